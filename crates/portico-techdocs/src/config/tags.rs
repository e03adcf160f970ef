//! YAML tags in `mkdocs.yml`. mkdocs evaluates some of them in Python;
//! Portico never runs anything, so each tag is either refused (`!!python/`)
//! or replaced by a value that needs nothing from the server (`!ENV`).

use serde_yaml::Value;

use super::ConfigError;

/// The 1-based line holding byte `offset` of `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The part of a line before a YAML comment. Approximate (a `#` inside a
/// quoted string after a space counts as a comment), which is good enough
/// to find the line a tag is on.
fn uncommented(line: &str) -> &str {
    if line.trim_start().starts_with('#') {
        return "";
    }
    match line.find(" #") {
        Some(at) => &line[..at],
        None => line,
    }
}

/// 1-based numbers of the lines whose uncommented text contains `needle`.
fn lines_containing(text: &str, needle: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| uncommented(line).contains(needle))
        .map(|(i, _)| i + 1)
        .collect()
}

/// The line of the first `!!python/...` tag in `text`. The YAML parser
/// resolves `!!` tags itself and hands back a plain (empty) value, so tags
/// are found in the text: a `!!python/` that starts a value (after a key's
/// colon, a list dash, a flow bracket or comma), not one inside a string.
pub(super) fn python_tag_line(text: &str) -> Option<usize> {
    for (i, line) in text.lines().enumerate() {
        let line = uncommented(line);
        for needle in ["!!python/", "!<tag:yaml.org,2002:python/"] {
            let mut from = 0;
            while let Some(found) = line[from..].find(needle) {
                let at = from + found;
                let before = line[..at].trim_end();
                if before.is_empty() || before.ends_with([':', '-', '[', '{', ',', '?']) {
                    return Some(i + 1);
                }
                from = at + needle.len();
            }
        }
    }
    None
}

/// What [`untag`] found besides the cleaned value.
pub(super) struct Untagged {
    pub value: Value,
    pub notes: Vec<String>,
}

/// `value` with every tag resolved: `!ENV` replaced by its default (never
/// the server's environment: a documentation source must not be able to
/// read the portal's secrets), other tags dropped. Any `!!python/` tag is an
/// error, named by its line.
pub(super) fn untag(value: Value, file: &str, text: &str) -> Result<Untagged, ConfigError> {
    let mut walk = Walk {
        file,
        env_lines: lines_containing(text, "!ENV").into_iter(),
        python_line: python_tag_line(text),
        notes: Vec::new(),
    };
    let value = walk.value(value)?;
    Ok(Untagged {
        value,
        notes: walk.notes,
    })
}

struct Walk<'a> {
    file: &'a str,
    env_lines: std::vec::IntoIter<usize>,
    python_line: Option<usize>,
    notes: Vec<String>,
}

impl Walk<'_> {
    fn value(&mut self, value: Value) -> Result<Value, ConfigError> {
        match value {
            Value::Sequence(items) => items
                .into_iter()
                .map(|v| self.value(v))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Sequence),
            Value::Mapping(map) => {
                let mut out = serde_yaml::Mapping::with_capacity(map.len());
                for (k, v) in map {
                    let k = self.value(k)?;
                    let v = self.value(v)?;
                    out.insert(k, v);
                }
                Ok(Value::Mapping(out))
            }
            Value::Tagged(tagged) => {
                let tag = tagged.tag.to_string();
                if tag.contains("python/") {
                    return Err(ConfigError::PythonTag {
                        file: self.file.to_string(),
                        line: self.python_line,
                    });
                }
                if tag == "!ENV" {
                    return Ok(self.env(tagged.value));
                }
                self.notes.push(format!(
                    "{}: the YAML tag {tag} is ignored; its value is used as written",
                    self.file
                ));
                self.value(tagged.value)
            }
            other => Ok(other),
        }
    }

    /// `!ENV VAR` is null; `!ENV [VAR, ..., default]` is the default.
    fn env(&mut self, value: Value) -> Value {
        let at = match self.env_lines.next() {
            Some(line) => format!("{}:{line}", self.file),
            None => self.file.to_string(),
        };
        let (names, default) = match value {
            Value::Sequence(mut items) if items.len() >= 2 => {
                let default = items.pop().unwrap_or(Value::Null);
                (items, default)
            }
            Value::Sequence(items) => (items, Value::Null),
            other => (vec![other], Value::Null),
        };
        let names: Vec<String> = names
            .iter()
            .map(|n| n.as_str().unwrap_or("?").to_string())
            .collect();
        let shown = match &default {
            Value::Null => "null".to_string(),
            Value::String(s) => format!("{s:?}"),
            other => serde_yaml::to_string(other)
                .map(|s| s.trim().to_string())
                .unwrap_or_default(),
        };
        self.notes.push(format!(
            "{at}: !ENV {} is not read from the environment; the default {shown} is used",
            names.join(", ")
        ));
        default
    }
}
