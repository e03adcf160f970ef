//! The line-level pass that runs before pulldown-cmark: it turns the block
//! syntaxes CommonMark does not know (python-markdown admonitions,
//! pymdownx.details and pymdownx.tabbed) into CommonMark.
//!
//! Each such block becomes a marker line (`<!--portico:N-->`, an HTML
//! comment block, so pulldown-cmark passes it through as one `Html` event
//! wherever it sits) before and after its body, and the body is de-indented
//! by the four columns python-markdown strips, so it is parsed as ordinary
//! Markdown in the same document: reference links and footnotes defined
//! anywhere on the page still resolve inside it. Markers are only trusted on
//! lines this pass made (see [`LineKind`]), so an author cannot forge one.
//!
//! Every output line remembers its line in the original file, which is how
//! warnings point at the author's line whatever was removed or inserted.

mod lines;

use std::borrow::Cow;
use std::ops::Range;

use lines::{
    indent_of, is_blank, is_list_item, parse_admonition, parse_tab, Admonition, Fence, Tab,
};

/// A block the renderer must open or close where its marker is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Directive {
    AdmonitionOpen {
        /// Lower-case words after `!!!`; the first is the type.
        classes: Vec<String>,
        /// `None`: no title bar (`!!! tip ""`).
        title: Option<String>,
        collapse: Collapse,
    },
    AdmonitionClose {
        collapse: Collapse,
    },
    TabSetOpen {
        titles: Vec<String>,
        /// Index of the tab shown first (`===+`), else 0.
        selected: usize,
    },
    TabOpen,
    TabClose,
    TabSetClose,
}

/// `!!!` (always open), `???` (collapsed details) or `???+` (open details).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Collapse {
    No,
    Closed,
    Open,
}

/// Where a line of the prepared text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineKind {
    /// A line of the original file (possibly de-indented).
    Source,
    /// A blank line this pass inserted.
    Blank,
    /// A marker line for `directives[index]`.
    Marker(usize),
}

/// The page as pulldown-cmark sees it, with the map back to the source.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub(crate) text: String,
    pub(crate) directives: Vec<Directive>,
    line_starts: Vec<usize>,
    /// Per prepared line: its kind and the 1-based original line (for
    /// inserted lines, the last original line before them).
    lines: Vec<(LineKind, usize)>,
    /// How many blocks deep the pass is.
    depth: usize,
}

/// Blocks nested deeper than this are left as text: each level is a
/// recursion, and a hostile page could nest thousands.
const MAX_DEPTH: usize = 32;

impl Prepared {
    /// Prepares `body`, whose first line is line `first_line` of the file.
    pub(crate) fn new(body: &str, first_line: usize) -> Self {
        let source: Vec<Line<'_>> = body
            .lines()
            .enumerate()
            .map(|(i, text)| Line {
                text: Cow::Borrowed(text),
                origin: first_line + i,
            })
            .collect();
        let mut out = Prepared {
            text: String::with_capacity(body.len() + 64),
            directives: Vec::new(),
            line_starts: Vec::with_capacity(source.len()),
            lines: Vec::with_capacity(source.len()),
            depth: 0,
        };
        out.process(&source, 0);
        out
    }

    /// The 1-based original line of the byte at `offset` of `text`.
    pub(crate) fn source_line(&self, offset: usize) -> usize {
        self.line_index(offset)
            .and_then(|i| self.lines.get(i))
            .map_or(1, |&(_, origin)| origin)
    }

    /// The directive whose marker line holds `offset`, if this pass made
    /// that line.
    pub(crate) fn directive_at(&self, offset: usize) -> Option<&Directive> {
        match self.lines.get(self.line_index(offset)?)? {
            (LineKind::Marker(i), _) => self.directives.get(*i),
            _ => None,
        }
    }

    /// Whether `offset` lies on a line this pass inserted.
    pub(crate) fn is_inserted(&self, offset: usize) -> bool {
        self.line_index(offset)
            .and_then(|i| self.lines.get(i))
            .is_some_and(|(kind, _)| *kind != LineKind::Source)
    }

    fn line_index(&self, offset: usize) -> Option<usize> {
        self.line_starts
            .partition_point(|&start| start <= offset)
            .checked_sub(1)
    }

    fn push(&mut self, text: &str, kind: LineKind, origin: usize) {
        self.line_starts.push(self.text.len());
        self.text.push_str(text);
        self.text.push('\n');
        self.lines.push((kind, origin));
    }

    fn last_origin(&self) -> usize {
        self.lines.last().map_or(1, |&(_, origin)| origin)
    }

    /// A marker at `indent` columns, with blank lines around it so it never
    /// joins the paragraph or HTML block before or after it.
    fn push_marker(&mut self, indent: usize, directive: Directive) {
        let origin = self.last_origin();
        let index = self.directives.len();
        self.directives.push(directive);
        let line = format!("{:indent$}<!--portico:{index}-->", "");
        self.push("", LineKind::Blank, origin);
        self.push(&line, LineKind::Marker(index), origin);
        self.push("", LineKind::Blank, origin);
    }

    /// Copies `lines` (content indented by `base` columns) to the output,
    /// expanding the blocks found at this level and, recursively, in their
    /// bodies.
    fn process(&mut self, lines: &[Line<'_>], base: usize) {
        let mut fence: Option<Fence> = None;
        let mut i = 0;
        while let Some(line) = lines.get(i) {
            let trimmed = line.text.trim_start();
            if let Some(open) = &fence {
                if open.is_closed_by(trimmed) {
                    fence = None;
                }
                self.push(&line.text, LineKind::Source, line.origin);
                i += 1;
                continue;
            }
            let indent = indent_of(&line.text);
            let depth_ok = self.depth < MAX_DEPTH;
            let not_code = || allowed_here(lines, i, indent, base);
            let block_allowed = || depth_ok && not_code();
            // A fence shown inside an indented code block is code, and must
            // not hide the rest of the page from this pass.
            if let Some(open) = Fence::open(&line.text).filter(|_| not_code()) {
                fence = Some(open);
                self.push(&line.text, LineKind::Source, line.origin);
                i += 1;
                continue;
            }
            if let Some(head) = parse_admonition(trimmed).filter(|_| block_allowed()) {
                i = self.admonition(lines, i, indent, head);
            } else if let Some(head) = parse_tab(trimmed).filter(|_| block_allowed()) {
                i = self.tab_set(lines, i, indent, head);
            } else {
                self.push(&line.text, LineKind::Source, line.origin);
                i += 1;
            }
        }
        // python-markdown ends a block's body at its indentation whatever is
        // inside; a fence left open there would swallow our closing marker.
        if let Some(open) = fence {
            let origin = self.last_origin();
            let close = format!("{:1$}{2}", "", open.indent, open.closing());
            self.push(&close, LineKind::Blank, origin);
        }
    }

    /// Expands the admonition whose header is `lines[at]`; returns the index
    /// of the first line after it.
    fn admonition(
        &mut self,
        lines: &[Line<'_>],
        at: usize,
        indent: usize,
        head: Admonition,
    ) -> usize {
        let body = body_range(lines, at + 1, indent);
        let collapse = head.collapse;
        self.push_marker(
            indent,
            Directive::AdmonitionOpen {
                classes: head.classes,
                title: head.title,
                collapse,
            },
        );
        self.depth += 1;
        self.process(&dedent(lines, body.clone(), indent), indent);
        self.depth -= 1;
        self.push_marker(indent, Directive::AdmonitionClose { collapse });
        body.end
    }

    /// Expands the run of consecutive tabs starting at `lines[at]`; returns
    /// the index of the first line after the last one.
    fn tab_set(&mut self, lines: &[Line<'_>], at: usize, indent: usize, head: Tab) -> usize {
        let mut tabs = vec![(head, body_range(lines, at + 1, indent))];
        while let Some((_, last)) = tabs.last() {
            let mut next = last.end;
            while lines.get(next).is_some_and(|l| is_blank(&l.text)) {
                next += 1;
            }
            let Some(line) = lines.get(next) else { break };
            let following = parse_tab(line.text.trim_start())
                .filter(|t| !t.new_set && indent_of(&line.text) == indent);
            match following {
                Some(tab) => tabs.push((tab, body_range(lines, next + 1, indent))),
                None => break,
            }
        }
        let end = tabs.last().map_or(at + 1, |(_, body)| body.end);
        let selected = tabs.iter().rposition(|(t, _)| t.selected).unwrap_or(0);
        let titles = tabs.iter().map(|(t, _)| t.title.clone()).collect();
        self.push_marker(indent, Directive::TabSetOpen { titles, selected });
        for (_, body) in tabs {
            self.push_marker(indent, Directive::TabOpen);
            self.depth += 1;
            self.process(&dedent(lines, body, indent), indent);
            self.depth -= 1;
            self.push_marker(indent, Directive::TabClose);
        }
        self.push_marker(indent, Directive::TabSetClose);
        end
    }
}

/// A line of the page being prepared.
#[derive(Debug, Clone)]
struct Line<'a> {
    text: Cow<'a, str>,
    origin: usize,
}

/// How many lines back a block header deep in a list item looks for the
/// item's first line.
const LIST_LOOKBACK: usize = 1000;

/// Whether a block header indented `indent` columns at `lines[at]` is a
/// header rather than text of an indented code block. Up to three columns
/// past the enclosing block's content it always is; deeper, only inside a
/// list item (python-markdown's way of nesting an admonition in a list).
fn allowed_here(lines: &[Line<'_>], at: usize, indent: usize, base: usize) -> bool {
    if indent < base + 4 {
        return true;
    }
    // The look back is bounded so a page of thousands of indented fence
    // lines costs thousands of steps each, not the whole page each.
    let earlier = lines
        .get(at.saturating_sub(LIST_LOOKBACK)..at)
        .unwrap_or_default();
    for line in earlier.iter().rev() {
        if is_blank(&line.text) {
            continue;
        }
        let line_indent = indent_of(&line.text);
        if line_indent >= indent {
            continue;
        }
        if is_list_item(line.text.trim_start()) {
            return true;
        }
        if line_indent <= base {
            return false;
        }
    }
    false
}

/// The lines after a header at `indent` that form its body: every line
/// indented at least four columns more, blank lines included when an
/// indented line follows them.
fn body_range(lines: &[Line<'_>], start: usize, indent: usize) -> Range<usize> {
    let mut end = start;
    for (i, line) in lines.iter().enumerate().skip(start) {
        if is_blank(&line.text) {
            continue;
        }
        if indent_of(&line.text) < indent + 4 {
            break;
        }
        end = i + 1;
    }
    start..end
}

/// The body lines with the four columns after `indent` removed, so their
/// content sits where the header was (inside the same list item, if any).
fn dedent<'a>(lines: &[Line<'a>], range: Range<usize>, indent: usize) -> Vec<Line<'a>> {
    lines
        .get(range)
        .unwrap_or_default()
        .iter()
        .map(|line| {
            let text = if is_blank(&line.text) {
                Cow::Borrowed("")
            } else {
                let rest = line.text.trim_start_matches([' ', '\t']);
                let width = indent_of(&line.text).saturating_sub(4).max(indent);
                Cow::Owned(format!("{:width$}{rest}", ""))
            };
            Line {
                text,
                origin: line.origin,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(p: &Prepared) -> Vec<&str> {
        p.text.lines().collect()
    }

    #[test]
    fn admonition_becomes_markers_and_dedented_body() {
        let p = Prepared::new("a\n!!! note\n    body\n\n    more\nafter\n", 1);
        assert_eq!(
            lines(&p),
            vec![
                "a",
                "",
                "<!--portico:0-->",
                "",
                "body",
                "",
                "more",
                "",
                "<!--portico:1-->",
                "",
                "after"
            ]
        );
        assert_eq!(p.directives.len(), 2);
        let after = p.text.find("after").unwrap();
        assert_eq!(p.source_line(after), 6);
        let more = p.text.find("more").unwrap();
        assert_eq!(p.source_line(more), 5);
        let marker = p.text.find("<!--portico:1").unwrap();
        assert!(p.is_inserted(marker));
        assert_eq!(
            p.directive_at(marker),
            Some(&Directive::AdmonitionClose {
                collapse: Collapse::No
            })
        );
        assert_eq!(p.directive_at(after), None);
    }

    #[test]
    fn fenced_code_is_left_alone() {
        let src = "```md\n!!! note\n    x\n```\n";
        let p = Prepared::new(src, 1);
        assert_eq!(p.text, src);
        assert!(p.directives.is_empty());
    }

    #[test]
    fn indented_code_is_left_alone_but_list_items_nest() {
        let src = "para\n\n    !!! note\n        x\n";
        assert!(Prepared::new(src, 1).directives.is_empty());
        let src = "1. step\n   more\n\n        code\n\n    !!! note\n        x\n";
        let p = Prepared::new(src, 1);
        assert_eq!(p.directives.len(), 2);
        assert!(p.text.contains("\n    <!--portico:0-->\n"));
        assert!(p.text.contains("\n    x\n"));
    }

    #[test]
    fn a_fence_in_indented_code_does_not_hide_the_page() {
        let p = Prepared::new("Example:\n\n    ```\n\n!!! note\n    x\n", 1);
        assert_eq!(p.directives.len(), 2);
    }

    #[test]
    fn nesting_is_bounded() {
        let mut src = String::new();
        for level in 0..40 {
            src.push_str(&format!("{:1$}!!! note\n", "", level * 4));
        }
        let p = Prepared::new(&src, 1);
        assert_eq!(p.directives.len(), 2 * MAX_DEPTH);
    }

    #[test]
    fn nested_admonition_in_body() {
        let p = Prepared::new("!!! note\n    !!! tip\n        deep\n", 1);
        assert_eq!(p.directives.len(), 4);
        assert!(p.text.contains("\ndeep\n"));
        assert_eq!(p.source_line(p.text.find("deep").unwrap()), 3);
    }

    #[test]
    fn unclosed_fence_in_body_is_closed_before_the_marker() {
        let p = Prepared::new("!!! note\n    ```\n    code\nafter\n", 1);
        let text = &p.text;
        let close = text.rfind("```").unwrap();
        let marker = text.find("<!--portico:1").unwrap();
        assert!(close > text.find("code").unwrap() && close < marker);
    }

    #[test]
    fn consecutive_tabs_form_one_set() {
        let src = "=== \"A\"\n    a\n\n===+ \"B\"\n    b\n===! \"C\"\n    c\n";
        let p = Prepared::new(src, 1);
        let opens: Vec<_> = p
            .directives
            .iter()
            .filter_map(|d| match d {
                Directive::TabSetOpen { titles, selected } => Some((titles.clone(), *selected)),
                _ => None,
            })
            .collect();
        assert_eq!(
            opens,
            vec![
                (vec!["A".to_string(), "B".to_string()], 1),
                (vec!["C".to_string()], 0)
            ]
        );
    }

    #[test]
    fn crlf_lines_are_handled() {
        let p = Prepared::new("!!! note\r\n    body\r\n", 1);
        assert_eq!(p.directives.len(), 2);
        assert!(p.text.contains("\nbody\n"));
    }
}
