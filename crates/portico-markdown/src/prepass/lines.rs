//! Reading single lines: block headers (`!!!`, `???`, `===`), code fences,
//! list items and indentation.

use super::Collapse;

/// A parsed `!!!`/`???` header.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Admonition {
    pub(super) classes: Vec<String>,
    pub(super) title: Option<String>,
    pub(super) collapse: Collapse,
}

/// A parsed `===` header.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Tab {
    pub(super) title: String,
    /// `===!`: starts a new set even right after another tab.
    pub(super) new_set: bool,
    /// `===+`: the tab shown first.
    pub(super) selected: bool,
}

/// An open code fence.
#[derive(Debug)]
pub(super) struct Fence {
    pub(super) marker: u8,
    pub(super) len: usize,
    pub(super) indent: usize,
}

impl Fence {
    pub(super) fn open(line: &str) -> Option<Fence> {
        let trimmed = line.trim_start();
        let marker = *trimmed.as_bytes().first()?;
        if marker != b'`' && marker != b'~' {
            return None;
        }
        let len = trimmed.bytes().take_while(|&b| b == marker).count();
        // A backtick "fence" whose info string has a backtick is an inline
        // code span (```x```), as CommonMark says.
        let info = trimmed.get(len..).unwrap_or("");
        if len < 3 || (marker == b'`' && info.contains('`')) {
            return None;
        }
        Some(Fence {
            marker,
            len,
            indent: indent_of(line),
        })
    }

    pub(super) fn is_closed_by(&self, trimmed: &str) -> bool {
        let run = trimmed.bytes().take_while(|&b| b == self.marker).count();
        run >= self.len
            && trimmed
                .get(run..)
                .is_some_and(|rest| rest.trim().is_empty())
    }

    pub(super) fn closing(&self) -> String {
        char::from(self.marker).to_string().repeat(self.len)
    }
}

/// Columns of leading whitespace, tabs stopping at multiples of 4 as
/// python-markdown expands them.
pub(super) fn indent_of(line: &str) -> usize {
    let mut col = 0;
    for b in line.bytes() {
        match b {
            b' ' => col += 1,
            b'\t' => col += 4 - col % 4,
            _ => break,
        }
    }
    col
}

pub(super) fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

pub(super) fn is_list_item(trimmed: &str) -> bool {
    let bytes = trimmed.as_bytes();
    let marker_len = match bytes.first() {
        Some(b'-' | b'*' | b'+') => 1,
        Some(b) if b.is_ascii_digit() => {
            let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
            match bytes.get(digits) {
                Some(b'.' | b')') if digits <= 9 => digits + 1,
                _ => return false,
            }
        }
        _ => return false,
    };
    matches!(bytes.get(marker_len), None | Some(b' ' | b'\t'))
}

/// Parses `!!! type more "Title"`, `??? type "Title"`, `???+ type` (the
/// line without its indentation).
pub(super) fn parse_admonition(trimmed: &str) -> Option<Admonition> {
    let (collapse, rest) = if let Some(rest) = trimmed.strip_prefix("!!!") {
        (Collapse::No, rest)
    } else if let Some(rest) = trimmed.strip_prefix("???+") {
        (Collapse::Open, rest)
    } else if let Some(rest) = trimmed.strip_prefix("???") {
        (Collapse::Closed, rest)
    } else {
        return None;
    };
    let (words, title) = split_title(rest)?;
    let classes: Vec<String> = words.split_whitespace().map(str::to_lowercase).collect();
    if !classes.iter().all(|w| w.chars().all(is_word_char)) {
        return None;
    }
    let Some(kind) = classes.first() else {
        // Only details may go without a type, and then need a title.
        return match (collapse, title) {
            (Collapse::No, _) | (_, None) => None,
            (_, Some(title)) => Some(Admonition {
                classes,
                title: Some(title),
                collapse,
            }),
        };
    };
    let title = match title {
        None => Some(capitalize(kind)),
        Some(t) if t.is_empty() && collapse == Collapse::No => None,
        Some(t) => Some(t),
    };
    Some(Admonition {
        classes,
        title,
        collapse,
    })
}

/// Parses `=== "Title"`, `===+ "Title"`, `===! "Title"`.
pub(super) fn parse_tab(trimmed: &str) -> Option<Tab> {
    let rest = trimmed.strip_prefix("===")?;
    let flags_len = rest
        .bytes()
        .take_while(|b| matches!(b, b'!' | b'+'))
        .count();
    let (flags, rest) = rest.split_at(flags_len.min(2));
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    let (words, title) = split_title(rest)?;
    if !words.trim().is_empty() {
        return None;
    }
    Some(Tab {
        title: title?,
        new_set: flags.contains('!'),
        selected: flags.contains('+'),
    })
}

/// Splits `words "title"` at the first quote; the title runs to the last
/// quote, which must end the line. `None` if text follows the closing
/// quote, or a title is not separated from the words by a space.
fn split_title(rest: &str) -> Option<(&str, Option<String>)> {
    let rest = rest.trim_end();
    let Some(open) = rest.find('"') else {
        return Some((rest, None));
    };
    let (words, quoted) = rest.split_at(open);
    if !words.is_empty() && !words.ends_with([' ', '\t']) {
        return None;
    }
    let title = quoted.strip_prefix('"')?.strip_suffix('"')?;
    Some((words, Some(title.to_string())))
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admonition_headers() {
        let a = parse_admonition("!!! Note").unwrap();
        assert_eq!(a.classes, vec!["note"]);
        assert_eq!(a.title.as_deref(), Some("Note"));
        let a = parse_admonition(r#"!!! warning inline end "Mind \"this\"""#).unwrap();
        assert_eq!(a.classes, vec!["warning", "inline", "end"]);
        assert_eq!(a.title.as_deref(), Some(r#"Mind \"this\""#));
        assert_eq!(parse_admonition(r#"!!! tip """#).unwrap().title, None);
        assert_eq!(parse_admonition("!!!note").unwrap().classes, vec!["note"]);
        assert_eq!(
            parse_admonition(r#"??? "Only title""#).unwrap().collapse,
            Collapse::Closed
        );
        assert_eq!(
            parse_admonition("???+ note").unwrap().collapse,
            Collapse::Open
        );
        assert!(parse_admonition(r#"!!! "no type""#).is_none());
        assert!(parse_admonition("!!!").is_none());
        assert!(parse_admonition("!!! note \"t\" trailing").is_none());
        assert!(parse_admonition("!!! what? no").is_none());
        assert!(parse_admonition("Hello!!!").is_none());
    }

    #[test]
    fn tab_headers() {
        let t = parse_tab(r#"=== "A b""#).unwrap();
        assert_eq!(
            (t.title.as_str(), t.new_set, t.selected),
            ("A b", false, false)
        );
        let t = parse_tab(r#"===!+ "x""#).unwrap();
        assert!(t.new_set && t.selected);
        assert!(parse_tab("=== no quotes").is_none());
        assert!(parse_tab("===").is_none());
        assert!(parse_tab("====== \"x\"").is_none());
    }

    #[test]
    fn list_items() {
        for yes in ["- a", "* a", "+ a", "1. a", "10) a", "-"] {
            assert!(is_list_item(yes), "{yes}");
        }
        for no in ["-a", "1.a", "a. b", "1234567890. a", "text"] {
            assert!(!is_list_item(no), "{no}");
        }
    }

    #[test]
    fn indentation_counts_tabs_to_stops() {
        assert_eq!(indent_of("\tx"), 4);
        assert_eq!(indent_of("  \tx"), 4);
        assert_eq!(indent_of("    \tx"), 8);
    }
}
