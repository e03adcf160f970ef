//! The YAML block at the top of a page (`---` ... `---`), as mkdocs reads it.

use serde_yaml::Value;

use crate::{FrontMatter, PageWarning};

/// Why a front matter block could not be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FrontMatterError {
    #[error("front matter is not valid YAML: {0}")]
    Yaml(#[from] serde_yaml::Error),
    #[error("front matter field `{field}` must be {expected}")]
    Field {
        field: &'static str,
        expected: &'static str,
    },
}

/// A page split into its front matter and the Markdown after it.
#[derive(Debug)]
pub(crate) struct Split<'a> {
    pub(crate) front_matter: FrontMatter,
    /// The Markdown, front matter removed.
    pub(crate) body: &'a str,
    /// 1-based line of the original file on which `body` starts.
    pub(crate) first_line: usize,
    pub(crate) warnings: Vec<PageWarning>,
}

/// Finds and parses the front matter. A block whose YAML is broken is still
/// removed (its text is not meant as content) and reported at line 1; a
/// block that parses to something other than a mapping is not front matter
/// at all (mkdocs renders it), so it stays in the body.
pub(crate) fn split(text: &str) -> Split<'_> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let whole = Split {
        front_matter: FrontMatter::default(),
        body: text,
        first_line: 1,
        warnings: Vec::new(),
    };
    let Some((yaml, body, first_line)) = find_block(text) else {
        return whole;
    };
    let mut split = Split {
        body,
        first_line,
        ..whole
    };
    match serde_yaml::from_str::<Value>(yaml) {
        Err(e) => split.warnings.push(warning(e.into())),
        Ok(Value::Null) => {}
        Ok(Value::Mapping(map)) => {
            let (front_matter, errors) = fields(&map);
            split.front_matter = front_matter;
            split.warnings.extend(errors.into_iter().map(warning));
        }
        Ok(_) => {
            return Split {
                body: text,
                first_line: 1,
                ..split
            }
        }
    }
    split
}

fn warning(e: FrontMatterError) -> PageWarning {
    PageWarning {
        line: 1,
        message: e.to_string(),
    }
}

/// The YAML text, the rest of the page and the rest's first line number, if
/// the page starts with a `---` line that a later `---` or `...` line closes.
fn find_block(text: &str) -> Option<(&str, &str, usize)> {
    let mut lines = text.split_inclusive('\n');
    let first = lines.next()?;
    if first.trim_end() != "---" {
        return None;
    }
    let yaml_start = first.len();
    let mut offset = yaml_start;
    let mut line_no = 1;
    for line in lines {
        line_no += 1;
        let fence = line.trim_end();
        if fence == "---" || fence == "..." {
            let yaml = text.get(yaml_start..offset)?;
            let body = text.get(offset + line.len()..)?;
            return Some((yaml, body, line_no + 1));
        }
        offset += line.len();
    }
    None
}

fn fields(map: &serde_yaml::Mapping) -> (FrontMatter, Vec<FrontMatterError>) {
    let mut errors = Vec::new();
    let mut scalar = |field: &'static str| match map.get(field) {
        None | Some(Value::Null) => None,
        Some(v) => scalar_text(v).or_else(|| {
            errors.push(FrontMatterError::Field {
                field,
                expected: "text",
            });
            None
        }),
    };
    let title = scalar("title");
    let description = scalar("description");
    let tags = match map.get("tags") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Sequence(items)) => {
            let tags: Vec<String> = items.iter().filter_map(scalar_text).collect();
            if tags.len() != items.len() {
                errors.push(FrontMatterError::Field {
                    field: "tags",
                    expected: "a list of strings",
                });
            }
            tags
        }
        // `tags: runbook` is a common slip for a one-element list.
        Some(v) => match scalar_text(v) {
            Some(tag) => vec![tag],
            None => {
                errors.push(FrontMatterError::Field {
                    field: "tags",
                    expected: "a list of strings",
                });
                Vec::new()
            }
        },
    };
    let front_matter = FrontMatter {
        title,
        description,
        tags,
    };
    (front_matter, errors)
}

/// Strings as they are; numbers and booleans as YAML wrote them, because
/// `title: 2024` is meant as text.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_is_found_and_body_line_counted() {
        let s = split("---\ntitle: T\ntags: [a, b]\n---\n# Body\n");
        assert_eq!(s.front_matter.title.as_deref(), Some("T"));
        assert_eq!(s.front_matter.tags, vec!["a", "b"]);
        assert_eq!(s.body, "# Body\n");
        assert_eq!(s.first_line, 5);
        assert!(s.warnings.is_empty());
    }

    #[test]
    fn dots_close_the_block_and_crlf_is_accepted() {
        let s = split("---\r\ndescription: d\r\n...\r\nx");
        assert_eq!(s.front_matter.description.as_deref(), Some("d"));
        assert_eq!(s.body, "x");
        assert_eq!(s.first_line, 4);
    }

    #[test]
    fn unclosed_block_is_content() {
        let s = split("---\ntitle: T\n");
        assert_eq!(s.front_matter, FrontMatter::default());
        assert_eq!(s.body, "---\ntitle: T\n");
        assert_eq!(s.first_line, 1);
    }

    #[test]
    fn non_mapping_yaml_is_content() {
        let s = split("---\njust text\n---\nmore\n");
        assert_eq!(s.body, "---\njust text\n---\nmore\n");
        assert!(s.warnings.is_empty());
    }

    #[test]
    fn broken_yaml_is_dropped_with_a_warning_at_line_1() {
        let s = split("---\ntitle: [unclosed\n---\nbody\n");
        assert_eq!(s.body, "body\n");
        assert_eq!(s.first_line, 4);
        assert_eq!(s.warnings.len(), 1);
        assert_eq!(s.warnings[0].line, 1);
        assert!(s.warnings[0].message.contains("not valid YAML"));
    }

    #[test]
    fn wrong_field_types_warn_and_keep_the_rest() {
        let s = split("---\ntitle: {a: 1}\ndescription: 42\ntags: runbook\n---\n");
        assert_eq!(s.front_matter.title, None);
        assert_eq!(s.front_matter.description.as_deref(), Some("42"));
        assert_eq!(s.front_matter.tags, vec!["runbook"]);
        assert_eq!(s.warnings.len(), 1);
        assert!(s.warnings[0].message.contains("`title`"));
    }

    #[test]
    fn bom_is_ignored() {
        let s = split("\u{feff}---\ntitle: T\n---\n");
        assert_eq!(s.front_matter.title.as_deref(), Some("T"));
    }
}
