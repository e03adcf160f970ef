//! Hand-written highlighters for the languages runbooks are mostly made of.
//!
//! syntect runs its grammars on fancy-regex, the pure-Rust engine: YAML,
//! shell and JSON blocks highlight at 0.2–1.5 MB/s that way (YAML's grammar
//! even compiles a regex per token for its back-references), which alone
//! would hold a page below the renderer's 3 MB/s target. These lexers run
//! at tens of MB/s and emit the class names of the same TextMate scopes
//! syntect would, so one stylesheet serves both.

use crate::text::escape_text_into;

/// Scope classes the lexers use (a subset of what syntect emits).
pub(super) const COMMENT: &str = "hl-comment";
pub(super) const STRING: &str = "hl-string";
pub(super) const NUMBER: &str = "hl-constant hl-numeric";
pub(super) const CONSTANT: &str = "hl-constant hl-language";
pub(super) const KEY: &str = "hl-entity hl-name hl-tag";
pub(super) const PUNCTUATION: &str = "hl-punctuation";
pub(super) const KEYWORD: &str = "hl-keyword";
pub(super) const OPERATOR: &str = "hl-keyword hl-operator";
pub(super) const VARIABLE: &str = "hl-variable";
pub(super) const FUNCTION: &str = "hl-variable hl-function";
pub(super) const PARAMETER: &str = "hl-variable hl-parameter";
pub(super) const TAG: &str = "hl-storage hl-type";

/// Escaped HTML with `<span class="…">` around tokens.
#[derive(Debug)]
pub(super) struct Spans {
    html: String,
}

impl Spans {
    pub(super) fn with_capacity(len: usize) -> Self {
        Spans {
            html: String::with_capacity(len * 2),
        }
    }

    pub(super) fn plain(&mut self, text: &str) {
        escape_text_into(&mut self.html, text);
    }

    pub(super) fn span(&mut self, class: &str, text: &str) {
        if text.is_empty() {
            return;
        }
        self.html.push_str("<span class=\"");
        self.html.push_str(class);
        self.html.push_str("\">");
        escape_text_into(&mut self.html, text);
        self.html.push_str("</span>");
    }

    pub(super) fn finish(self) -> String {
        self.html
    }
}

/// Splits a line from `split_inclusive('\n')` into its text and line end.
pub(super) fn split_newline(line: &str) -> (&str, &str) {
    let text = line.trim_end_matches(['\n', '\r']);
    (text, &line[text.len()..])
}

/// Whether a bare word reads as a number (`42`, `-1.5e3`, `0x1F`).
pub(super) fn is_number(word: &str) -> bool {
    let digits = word.strip_prefix(['-', '+']).unwrap_or(word);
    if let Some(hex) = digits.strip_prefix("0x") {
        return !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    // `parse` alone would also take `inf` and `NaN`.
    digits
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || b == b'.')
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && digits.parse::<f64>().is_ok()
}

/// The end (exclusive) of the quoted string starting at `s[0]`, honouring
/// backslash escapes in double quotes; `None` if it does not close.
pub(super) fn quoted_end(s: &str) -> Option<usize> {
    let quote = *s.as_bytes().first()?;
    closing_quote(s.get(1..)?, quote).map(|end| end + 1)
}

/// The end (exclusive) of a string quoted with `quote` whose opening quote
/// came before `s` (maybe on an earlier line). `\` escapes only in `"`.
pub(super) fn closing_quote(s: &str, quote: u8) -> Option<usize> {
    let mut escaped = false;
    for (i, b) in s.bytes().enumerate() {
        if escaped {
            escaped = false;
        } else if b == b'\\' && quote == b'"' {
            escaped = true;
        } else if b == quote {
            return Some(i + 1);
        }
    }
    None
}

/// JSON: keys, strings, numbers, `true`/`false`/`null`, punctuation.
pub(super) fn json(code: &str) -> String {
    let mut out = Spans::with_capacity(code.len());
    let mut rest = code;
    while let Some(c) = rest.chars().next() {
        let len = match c {
            '"' => {
                let end = quoted_end(rest).unwrap_or(rest.len());
                let is_key = rest[end..].trim_start().starts_with(':');
                out.span(if is_key { KEY } else { STRING }, &rest[..end]);
                end
            }
            '{' | '}' | '[' | ']' | ',' | ':' => {
                out.span(PUNCTUATION, &rest[..1]);
                1
            }
            c if c.is_whitespace() => {
                let end = rest
                    .find(|c: char| !c.is_whitespace())
                    .unwrap_or(rest.len());
                out.plain(&rest[..end]);
                end
            }
            _ => {
                let end = rest
                    .find(|c: char| c.is_whitespace() || "{}[],:\"".contains(c))
                    .unwrap_or(rest.len());
                let word = &rest[..end];
                match word {
                    "true" | "false" | "null" => out.span(CONSTANT, word),
                    w if is_number(w) => out.span(NUMBER, w),
                    w => out.plain(w),
                }
                end
            }
        };
        rest = &rest[len..];
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        for yes in ["0", "42", "-1.5e3", "+7", "0x1F", ".5"] {
            assert!(is_number(yes), "{yes}");
        }
        for no in ["", "-", "inf", "NaN", "1.2.3", "12ab", "v1", "0x"] {
            assert!(!is_number(no), "{no}");
        }
    }

    #[test]
    fn quoted_strings() {
        assert_eq!(quoted_end(r#""a\"b" x"#), Some(6));
        assert_eq!(quoted_end(r"'a\' x"), Some(4));
        assert_eq!(quoted_end("\"open"), None);
    }

    #[test]
    fn json_tokens() {
        assert_eq!(
            json("{\"k\": [1, true, \"<v>\"]}"),
            concat!(
                r#"<span class="hl-punctuation">{</span><span class="hl-entity hl-name hl-tag">"k"</span>"#,
                r#"<span class="hl-punctuation">:</span> <span class="hl-punctuation">[</span>"#,
                r#"<span class="hl-constant hl-numeric">1</span><span class="hl-punctuation">,</span> "#,
                r#"<span class="hl-constant hl-language">true</span><span class="hl-punctuation">,</span> "#,
                r#"<span class="hl-string">"&lt;v&gt;"</span><span class="hl-punctuation">]</span>"#,
                r#"<span class="hl-punctuation">}</span>"#
            )
        );
    }
}
