//! The `nav` of `mkdocs.yml`, as written: titles and paths, not yet checked
//! against the pages.

use serde_yaml::Value;

use super::tags::line_of;
use crate::warning::BuildWarning;

/// One entry of the configured navigation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NavEntry {
    /// `- page.md` or `- Title: page.md`; `path` is docs-relative as written.
    Page {
        title: Option<String>,
        path: String,
        /// Where in the config file the entry is, for "missing page"
        /// warnings.
        line: Option<usize>,
    },
    /// `- Title: https://...` (or any absolute URL).
    Link { title: String, url: String },
    /// `- Title: [ ... ]`.
    Section {
        title: String,
        children: Vec<NavEntry>,
    },
}

/// Whether a nav target is a URL rather than a docs file: it has a scheme
/// or is absolute on the host.
pub(crate) fn is_url(target: &str) -> bool {
    if target.starts_with('/') {
        return true;
    }
    match target.split_once(':') {
        Some((scheme, _)) => {
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
                && scheme
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic())
        }
        None => false,
    }
}

/// Reads `nav` entries. Line numbers come from a forward search of the raw
/// text, since YAML values carry no positions: entries appear in the file in
/// the order they are read, so each is looked for after the previous one.
pub(super) struct NavReader<'a> {
    file: &'a str,
    text: &'a str,
    cursor: usize,
    pub warnings: Vec<BuildWarning>,
}

impl<'a> NavReader<'a> {
    pub fn new(file: &'a str, text: &'a str, start: usize) -> Self {
        NavReader {
            file,
            text,
            cursor: start,
            warnings: Vec::new(),
        }
    }

    /// The line of the next occurrence of `needle`, moving past it.
    fn seek(&mut self, needle: &str) -> Option<usize> {
        if needle.is_empty() {
            return None;
        }
        let found = self.text.get(self.cursor..)?.find(needle)?;
        let at = self.cursor + found;
        self.cursor = at + needle.len();
        Some(line_of(self.text, at))
    }

    fn line_here(&self) -> usize {
        line_of(self.text, self.cursor)
    }

    fn warn(&mut self, line: Option<usize>, message: String) {
        self.warnings
            .push(BuildWarning::new(self.file, line, message));
    }

    pub fn entries(&mut self, value: &Value) -> Vec<NavEntry> {
        let Value::Sequence(items) = value else {
            let line = Some(self.line_here());
            self.warn(line, "nav must be a list; it is ignored".to_string());
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            self.entry(item, &mut out);
        }
        out
    }

    fn entry(&mut self, item: &Value, out: &mut Vec<NavEntry>) {
        match item {
            Value::String(target) => out.push(self.target(None, target)),
            Value::Mapping(map) => {
                if map.len() > 1 {
                    let line = Some(self.line_here());
                    self.warn(
                        line,
                        "a nav entry has more than one title; each is used as its own entry"
                            .to_string(),
                    );
                }
                for (key, value) in map {
                    let title = scalar_text(key);
                    self.seek(&title);
                    match value {
                        Value::String(target) => out.push(self.target(Some(title), target)),
                        Value::Sequence(_) => {
                            let children = self.entries(value);
                            out.push(NavEntry::Section { title, children });
                        }
                        _ => {
                            let line = Some(self.line_here());
                            self.warn(
                                line,
                                format!(
                                    "nav entry {title:?} names neither a page, a link nor a \
                                     list; it is ignored"
                                ),
                            );
                        }
                    }
                }
            }
            other => {
                let line = Some(self.line_here());
                let shown = scalar_text(other);
                self.warn(
                    line,
                    format!("nav entry {shown:?} is not a page, link or section; it is ignored"),
                );
            }
        }
    }

    fn target(&mut self, title: Option<String>, target: &str) -> NavEntry {
        let line = self.seek(target);
        if is_url(target) {
            NavEntry::Link {
                title: title.unwrap_or_else(|| target.to_string()),
                url: target.to_string(),
            }
        } else {
            NavEntry::Page {
                title,
                path: target.to_string(),
                line,
            }
        }
    }
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Null => String::new(),
        other => serde_yaml::to_string(other)
            .map(|s| s.trim().to_string())
            .unwrap_or_default(),
    }
}
