//! The HTML of the blocks the renderer writes itself: admonitions, details,
//! content tabs, headings, links and images. The markup is the contract
//! with the theme and is described in the crate documentation.

use std::borrow::Cow;
use std::fmt::Write as _;

use pulldown_cmark::BlockQuoteKind;

use crate::prepass::Collapse;
use crate::text::{escape, escape_text_into, PlainText};

/// The opening of an admonition or details block. The title (plain text,
/// for search) goes to `plain`.
pub(crate) fn admonition_open(
    classes: &[String],
    title: Option<&str>,
    collapse: Collapse,
    plain: &mut PlainText,
) -> String {
    let class = escape(&classes.join(" "));
    let title_html = title.map(|t| title_html(t, plain));
    match collapse {
        Collapse::No => {
            let mut out = format!("<div class=\"admonition {class}\">\n");
            if let Some(t) = title_html {
                let _ = writeln!(out, "<p class=\"admonition-title\">{t}</p>");
            }
            out
        }
        Collapse::Closed | Collapse::Open => {
            let mut out = String::from("<details");
            if !class.is_empty() {
                let _ = write!(out, " class=\"{class}\"");
            }
            if collapse == Collapse::Open {
                out.push_str(" open=\"\"");
            }
            let _ = writeln!(
                out,
                ">\n<summary>{}</summary>",
                title_html.unwrap_or_default()
            );
            out
        }
    }
}

pub(crate) fn admonition_close(collapse: Collapse) -> &'static str {
    match collapse {
        Collapse::No => "</div>\n",
        Collapse::Closed | Collapse::Open => "</details>\n",
    }
}

/// A GFM alert as the admonition of the same name.
pub(crate) fn alert_open(kind: BlockQuoteKind, plain: &mut PlainText) -> String {
    let (class, title) = match kind {
        BlockQuoteKind::Note => ("note", "Note"),
        BlockQuoteKind::Tip => ("tip", "Tip"),
        BlockQuoteKind::Important => ("important", "Important"),
        BlockQuoteKind::Warning => ("warning", "Warning"),
        BlockQuoteKind::Caution => ("caution", "Caution"),
    };
    plain.push(title);
    plain.gap();
    format!("<div class=\"admonition {class}\">\n<p class=\"admonition-title\">{title}</p>\n")
}

/// The opening of tab set number `set` (from 1), up to its first block.
pub(crate) fn tab_set_open(
    set: usize,
    titles: &[String],
    selected: usize,
    plain: &mut PlainText,
) -> String {
    let mut out = format!(
        "<div class=\"tabbed-set tabbed-alternate\" data-tabs=\"{set}:{}\">\n",
        titles.len()
    );
    for i in 1..=titles.len() {
        let checked = if i == selected + 1 {
            "checked=\"\" "
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "<input {checked}id=\"__tabbed_{set}_{i}\" name=\"__tabbed_{set}\" type=\"radio\">"
        );
    }
    out.push_str("<div class=\"tabbed-labels\">");
    for (i, title) in titles.iter().enumerate() {
        let _ = write!(
            out,
            "<label for=\"__tabbed_{set}_{}\">{}</label>",
            i + 1,
            title_html(title, plain)
        );
    }
    out.push_str("</div>\n<div class=\"tabbed-content\">\n");
    out
}

pub(crate) const TAB_OPEN: &str = "<div class=\"tabbed-block\">\n";
pub(crate) const TAB_CLOSE: &str = "</div>\n";
pub(crate) const TAB_SET_CLOSE: &str = "</div>\n</div>\n";

/// The opening tag of a heading.
pub(crate) fn heading_open(level: u8, id: &str, classes: &[String]) -> String {
    let mut out = format!("<h{level} id=\"{}\"", escape(id));
    if !classes.is_empty() {
        let _ = write!(out, " class=\"{}\"", escape(&classes.join(" ")));
    }
    out.push('>');
    out
}

/// The permalink and closing tag of a heading.
pub(crate) fn heading_close(level: u8, id: &str) -> String {
    format!(
        "<a class=\"headerlink\" href=\"#{}\" title=\"Permanent link\">¶</a></h{level}>\n",
        escape_href(id)
    )
}

/// A link's opening tag; without `href` when the URL was blocked.
pub(crate) fn link_open(href: Option<&str>, title: &str) -> String {
    let mut out = String::from("<a");
    if let Some(href) = href {
        let _ = write!(out, " href=\"{}\"", escape_href(href));
    }
    if !title.is_empty() {
        let _ = write!(out, " title=\"{}\"", escape(title));
    }
    out.push('>');
    out
}

/// An image; without `src` when the URL was blocked.
pub(crate) fn image(src: Option<&str>, alt: &str, title: &str) -> String {
    let mut out = String::from("<img");
    if let Some(src) = src {
        let _ = write!(out, " src=\"{}\"", escape_href(src));
    }
    let _ = write!(out, " alt=\"{}\"", escape(alt));
    if !title.is_empty() {
        let _ = write!(out, " title=\"{}\"", escape(title));
    }
    out.push('>');
    out
}

/// A URL for an attribute: characters a URL may not contain raw are
/// percent-encoded (`%` itself is kept: the URL may already be encoded),
/// `&` is escaped, and `"`, `<` and `>` are among the encoded ones.
pub(crate) fn escape_href(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            c if c.is_ascii_alphanumeric() || "-_.~!*'();:@=+$,/?#[]%".contains(c) => out.push(c),
            c => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    let _ = write!(out, "%{b:02X}");
                }
            }
        }
    }
    out
}

/// A block title as HTML: escaped text with `code` spans, as authors put
/// command names in titles, and backslash escapes (`\"`) resolved outside
/// them. Other inline Markdown stays literal: parsing the title as a
/// Markdown document would read `1. Install` as a list.
pub(crate) fn title_html(title: &str, plain: &mut PlainText) -> String {
    let mut out = String::with_capacity(title.len());
    let mut rest = title;
    while let Some(open) = rest.find('`') {
        let run = rest[open..].bytes().take_while(|&b| b == b'`').count();
        let fence = &rest[open..open + run];
        let after = &rest[open + run..];
        let Some(close) = find_run(after, run) else {
            // An unmatched run is literal text; spans may still follow it.
            let literal = unescape(&rest[..open + run]);
            escape_text_into(&mut out, &literal);
            plain.push(&literal);
            rest = after;
            continue;
        };
        let before = unescape(&rest[..open]);
        escape_text_into(&mut out, &before);
        plain.push(&before);
        let code = &after[..close];
        let code = strip_one_space(code);
        out.push_str("<code>");
        escape_text_into(&mut out, code);
        out.push_str("</code>");
        plain.push(code);
        rest = &after[close + fence.len()..];
    }
    let rest = unescape(rest);
    escape_text_into(&mut out, &rest);
    plain.push(&rest);
    plain.gap();
    out
}

/// Resolves CommonMark backslash escapes: `\` before ASCII punctuation
/// stands for that character.
fn unescape(text: &str) -> Cow<'_, str> {
    if !text.contains('\\') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match chars.peek() {
            Some(&next) if c == '\\' && next.is_ascii_punctuation() => {
                out.push(next);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Where a run of exactly `len` backticks starts in `s`.
fn find_run(s: &str, len: usize) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'`' {
            let run = bytes[i..].iter().take_while(|&&b| b == b'`').count();
            if run == len {
                return Some(i);
            }
            i += run;
        } else {
            i += 1;
        }
    }
    None
}

/// CommonMark strips one space from each side of a code span that has
/// non-space content and spaces at both ends.
fn strip_one_space(code: &str) -> &str {
    if code.len() >= 2 && code.starts_with(' ') && code.ends_with(' ') && !code.trim().is_empty() {
        &code[1..code.len() - 1]
    } else {
        code
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_render_code_spans_only() {
        let mut plain = PlainText::default();
        assert_eq!(
            title_html("Run `kubectl <x>` *now* & `` a`b `` 1. x ```open `y`", &mut plain),
            "Run <code>kubectl &lt;x&gt;</code> *now* &amp; <code>a`b</code> 1. x ```open <code>y</code>"
        );
        assert_eq!(plain.take(), "Run kubectl <x> *now* & a`b 1. x ```open y");
    }

    #[test]
    fn titles_resolve_backslash_escapes_outside_code() {
        let mut plain = PlainText::default();
        assert_eq!(
            title_html(r#"Say \"hi\" \\ \a `\"`"#, &mut plain),
            r#"Say "hi" \ \a <code>\"</code>"#
        );
    }

    #[test]
    fn hrefs_are_encoded_and_escaped() {
        assert_eq!(
            escape_href("a b/ü.md?x=1&y='2'#\"q\""),
            "a%20b/%C3%BC.md?x=1&amp;y='2'#%22q%22"
        );
        assert_eq!(escape_href("a%20b<>"), "a%20b%3C%3E");
    }

    #[test]
    fn details_without_type_have_no_class() {
        let mut plain = PlainText::default();
        assert_eq!(
            admonition_open(&[], Some("T"), Collapse::Open, &mut plain),
            "<details open=\"\">\n<summary>T</summary>\n"
        );
    }
}
