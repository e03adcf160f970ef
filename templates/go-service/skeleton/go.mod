module {{values.name}}

go 1.22
