//! `{!path!}` includes (the markdown-include extension): the named file's
//! text replaces the directive before the page is rendered. Paths are
//! relative to the source root (the `mkdocs.yml` directory), the same tree
//! rules apply as to any read, and included files may include others.

use crate::tree::{normalize, DocTree};

/// Includes nested deeper than this are left as written: a cycle or a
/// runaway chain must not blow up a build.
const MAX_DEPTH: usize = 8;

/// A page with its includes expanded.
pub(crate) struct Expanded {
    pub text: String,
    /// For each line of `text` (0-based), the 1-based line of the original
    /// page it came from: an included line maps to its directive's line.
    pub line_map: Vec<usize>,
    /// Problems as (original line, message).
    pub warnings: Vec<(usize, String)>,
}

impl Expanded {
    /// The original line of 1-based line `line` of the expanded text.
    pub fn original_line(&self, line: usize) -> usize {
        line.checked_sub(1)
            .and_then(|i| self.line_map.get(i))
            .copied()
            .unwrap_or(line)
    }
}

/// One parsed directive on a line.
struct Directive<'a> {
    start: usize,
    end: usize,
    path: &'a str,
    /// `lines=1 3-5`: 1-based, inclusive ranges.
    lines: Option<Vec<(usize, usize)>>,
}

/// Finds the first `{!path!}` or `{!path!lines=...}` at or after `from`.
/// An escaped `\{!` is skipped (and reported with `escaped = true`).
fn next_directive(line: &str, from: usize) -> Option<(Directive<'_>, bool)> {
    let mut at = from;
    loop {
        let start = at + line.get(at..)?.find("{!")?;
        let escaped = start > 0 && line.as_bytes()[start - 1] == b'\\';
        let body_start = start + 2;
        let close = body_start + line[body_start..].find('!')?;
        let path = line[body_start..close].trim();
        let after = &line[close + 1..];
        let (lines, end) = if after.starts_with('}') {
            (None, close + 2)
        } else if let Some(rest) = after.strip_prefix("lines=") {
            match rest.find('}') {
                Some(brace) => (
                    parse_ranges(&rest[..brace]),
                    close + 1 + "lines=".len() + brace + 1,
                ),
                None => return None,
            }
        } else {
            at = close;
            continue;
        };
        if path.is_empty() {
            at = end;
            continue;
        }
        return Some((
            Directive {
                start,
                end,
                path,
                lines,
            },
            escaped,
        ));
    }
}

fn parse_ranges(spec: &str) -> Option<Vec<(usize, usize)>> {
    let mut out = Vec::new();
    for part in spec.split_whitespace() {
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
            None => {
                let n = part.parse().ok()?;
                (n, n)
            }
        };
        out.push((a, b));
    }
    Some(out)
}

/// Expands the includes of `text`. `page` is the page's path relative to
/// the tree root, which the cycle check starts from.
pub(crate) fn expand(text: &str, page: &str, tree: &dyn DocTree) -> Expanded {
    let mut out = Expanded {
        text: String::with_capacity(text.len()),
        line_map: Vec::new(),
        warnings: Vec::new(),
    };
    if !text.contains("{!") {
        // The common case: nothing to do but number the lines.
        out.text.push_str(text);
        out.line_map = (1..=text.lines().count().max(1)).collect();
        return out;
    }
    let mut stack = vec![page.to_string()];
    for (i, line) in text.lines().enumerate() {
        let mut messages = Vec::new();
        for piece in expand_line(line, tree, &mut stack, &mut messages) {
            out.text.push_str(&piece);
            out.text.push('\n');
            out.line_map.push(i + 1);
        }
        out.warnings
            .extend(messages.into_iter().map(|m| (i + 1, m)));
    }
    out
}

/// The lines one source line becomes. Text around a directive stays on the
/// first and last included lines, as markdown-include does; a failed
/// include leaves nothing behind but a warning.
fn expand_line(
    line: &str,
    tree: &dyn DocTree,
    stack: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut from = 0;
    while let Some((directive, escaped)) = next_directive(line, from) {
        current.push_str(&line[from..directive.start]);
        from = directive.end;
        if escaped {
            // `\{!x!}` is the literal text `{!x!}`.
            if current.ends_with('\\') {
                current.pop();
            }
            current.push_str(&line[directive.start..directive.end]);
            continue;
        }
        let text = match load(directive.path, tree, stack) {
            Ok(text) => select(&text, directive.lines.as_deref()),
            Err(message) => {
                warnings.push(message);
                continue;
            }
        };
        let included: Vec<String> = if stack.len() >= MAX_DEPTH {
            warnings.push(format!(
                "includes nested more than {MAX_DEPTH} deep at {:?}; not expanded further",
                directive.path
            ));
            text.lines().map(str::to_string).collect()
        } else {
            stack.push(
                normalize(directive.path)
                    .map_or_else(|| directive.path.to_string(), |p| p.join("/")),
            );
            let expanded = text
                .lines()
                .flat_map(|l| expand_line(l, tree, stack, warnings))
                .collect();
            stack.pop();
            expanded
        };
        let mut pieces = included.into_iter();
        if let Some(first) = pieces.next() {
            current.push_str(&first);
        }
        for piece in pieces {
            lines.push(std::mem::replace(&mut current, piece));
        }
    }
    current.push_str(&line[from..]);
    lines.push(current);
    lines
}

fn load(path: &str, tree: &dyn DocTree, stack: &[String]) -> Result<String, String> {
    let key = normalize(path).map(|parts| parts.join("/"));
    if key.is_some_and(|key| stack.contains(&key)) {
        return Err(format!("include {path:?} includes itself; not expanded"));
    }
    let bytes = tree
        .read(path)
        .map_err(|e| format!("include {path:?} failed: {e}"))?;
    String::from_utf8(bytes).map_err(|_| format!("include {path:?} failed: the file is not UTF-8"))
}

fn select(text: &str, ranges: Option<&[(usize, usize)]>) -> String {
    let Some(ranges) = ranges else {
        return text.trim_end_matches('\n').to_string();
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for &(a, b) in ranges {
        let a = a.max(1);
        let b = b.min(lines.len());
        if a <= b {
            out.extend_from_slice(&lines[a - 1..b]);
        }
    }
    out.join("\n")
}
