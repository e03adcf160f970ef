//! Finds the line of a field (`spec.owner`, `metadata.tags[1]`,
//! `metadata.annotations.backstage.io/x`) in a document's block-style YAML by
//! following keys and `- ` items by indentation. Good enough to point a user
//! at the right line; anything it cannot follow (flow style, multi-line keys)
//! falls back to the nearest enclosing field found, or to `None`.

/// One line of the document, seen structurally: a `- ` item marker, or a line
/// of text (maybe `key: value`) at an indentation.
#[derive(Debug)]
struct Token {
    line: u32,
    indent: usize,
    dash: bool,
    key: Option<String>,
}

/// The 1-based file line of `path` in `text`, whose first line is `first_line`.
pub(crate) fn locate(text: &str, first_line: u32, path: &str) -> Option<u32> {
    let tokens = tokenize(text, first_line);
    let mut region: &[Token] = &tokens;
    let mut rest = path;
    let mut found: Option<u32> = None;
    while !rest.is_empty() && !region.is_empty() {
        let indent = region[0].indent;
        let (index, remaining) = if let Some(n) = index_segment(rest) {
            let (n, after) = n;
            let items = region
                .iter()
                .enumerate()
                .filter(|(_, t)| t.dash && t.indent == indent);
            match items.clone().nth(n) {
                Some((i, _)) => (i, after),
                None => break,
            }
        } else {
            match find_key(region, indent, rest) {
                Some(hit) => hit,
                None => break,
            }
        };
        found = Some(region[index].line);
        rest = remaining.strip_prefix('.').unwrap_or(remaining);
        region = value_region(region, index);
    }
    found
}

/// Lines of the document as tokens; comments, blanks and markers dropped.
/// `  - name: x` becomes a dash at 2 and the text `name: x` at 4.
fn tokenize(text: &str, first_line: u32) -> Vec<Token> {
    let mut tokens = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = first_line.saturating_add(u32::try_from(i).unwrap_or(u32::MAX));
        if raw.starts_with("---") || raw.starts_with("...") || raw.starts_with('%') {
            continue;
        }
        let mut indent = raw.len() - raw.trim_start_matches(' ').len();
        let mut rest = &raw[indent..];
        while rest == "-" || rest.starts_with("- ") {
            tokens.push(Token {
                line,
                indent,
                dash: true,
                key: None,
            });
            let after = &rest[1..];
            let spaces = after.len() - after.trim_start_matches(' ').len();
            indent += 1 + spaces;
            rest = &after[spaces..];
        }
        let rest = rest.trim_end();
        if rest.is_empty() || rest.starts_with('#') {
            continue;
        }
        tokens.push(Token {
            line,
            indent,
            dash: false,
            key: parse_key(rest),
        });
    }
    tokens
}

/// The key of a `key: value` line, unquoted; `None` for other lines.
fn parse_key(text: &str) -> Option<String> {
    let first = text.chars().next()?;
    if first == '"' || first == '\'' {
        let (key, after) = parse_quoted(text, first)?;
        return after.trim_start().starts_with(':').then_some(key);
    }
    if matches!(first, '{' | '[' | '?' | '|' | '>' | '&' | '*' | '!') {
        return None;
    }
    let colon = text
        .match_indices(':')
        .map(|(i, _)| i)
        .find(|&i| text[i + 1..].is_empty() || text[i + 1..].starts_with([' ', '\t']))?;
    Some(text[..colon].trim_end().to_string())
}

fn parse_quoted(text: &str, quote: char) -> Option<(String, &str)> {
    let mut key = String::new();
    let mut chars = text.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        if c == quote {
            if quote == '\'' && text[i + 1..].starts_with('\'') {
                chars.next();
                key.push('\'');
                continue;
            }
            return Some((key, &text[i + 1..]));
        }
        if c == '\\' && quote == '"' {
            if let Some((_, escaped)) = chars.next() {
                key.push(escaped);
            }
            continue;
        }
        key.push(c);
    }
    None
}

/// `[3]...` -> (3, rest after `]`).
fn index_segment(path: &str) -> Option<(usize, &str)> {
    let inner = path.strip_prefix('[')?;
    let close = inner.find(']')?;
    let n = inner[..close].parse().ok()?;
    Some((n, &inner[close + 1..]))
}

/// The token index of the key `path` starts with, among the keys at `indent`,
/// and the path after it. Keys may contain dots (`backstage.io/x`), so the
/// longest key that matches up to a `.`, `[` or the end wins; `["k"]` and
/// `[k]` name a key exactly.
fn find_key<'p>(region: &[Token], indent: usize, path: &'p str) -> Option<(usize, &'p str)> {
    if let Some(inner) = path.strip_prefix('[') {
        let (key, after) = match inner.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let (key, after) = parse_quoted(inner, q)?;
                (key, after.strip_prefix(']')?)
            }
            _ => {
                let close = inner.find(']')?;
                (inner[..close].to_string(), &inner[close + 1..])
            }
        };
        let index = keys_at(region, indent).find(|(_, k)| *k == key)?.0;
        return Some((index, after));
    }
    keys_at(region, indent)
        .filter(|(_, key)| {
            path.strip_prefix(*key)
                .is_some_and(|after| after.is_empty() || after.starts_with(['.', '[']))
        })
        .max_by_key(|(_, key)| key.len())
        .map(|(index, key)| (index, &path[key.len()..]))
}

fn keys_at(region: &[Token], indent: usize) -> impl Iterator<Item = (usize, &str)> + Clone {
    region
        .iter()
        .enumerate()
        .filter_map(move |(i, t)| match &t.key {
            Some(key) if !t.dash && t.indent == indent => Some((i, key.as_str())),
            _ => None,
        })
}

/// The tokens that make up the value of the key or item at `index`: deeper
/// lines, plus (for a key) `- ` items at the key's own indentation, which YAML
/// allows for a sequence under a key.
fn value_region(region: &[Token], index: usize) -> &[Token] {
    let owner = &region[index];
    let start = index + 1;
    let len = region[start..]
        .iter()
        .take_while(|t| {
            t.indent > owner.indent || (!owner.dash && t.dash && t.indent == owner.indent)
        })
        .count();
    &region[start..start + len]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const DOC: &str = "\
# leading comment
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: invalid component
  annotations:
    backstage.io/techdocs-ref: dir:.
    'quoted.key/x': y
  tags:
    - go
    - go 1.15.3
  links:
  - url: https://a
    title: A
  - url: https://b
spec:
  type: service
  dependsOn: [a, b]
  owner: user:guest
";

    fn at(path: &str) -> Option<u32> {
        locate(DOC, 10, path)
    }

    #[test]
    fn finds_nested_keys_and_items() {
        assert_eq!(at("apiVersion"), Some(11));
        assert_eq!(at("metadata.name"), Some(14));
        assert_eq!(at("metadata.tags[1]"), Some(20));
        assert_eq!(at("metadata.tags[0]"), Some(19));
        assert_eq!(at("metadata.links[1].url"), Some(24));
        assert_eq!(at("metadata.links[0].title"), Some(23));
        assert_eq!(at("spec.owner"), Some(28));
    }

    #[test]
    fn keys_with_dots_and_quotes() {
        assert_eq!(
            at("metadata.annotations.backstage.io/techdocs-ref"),
            Some(16)
        );
        assert_eq!(
            at("metadata.annotations[\"backstage.io/techdocs-ref\"]"),
            Some(16)
        );
        assert_eq!(at("metadata.annotations.quoted.key/x"), Some(17));
    }

    #[test]
    fn falls_back_to_nearest_found_field() {
        assert_eq!(at("spec.lifecycle"), Some(25));
        assert_eq!(at("spec.dependsOn[1]"), Some(27));
        assert_eq!(at("metadata.tags[7]"), Some(18));
        assert_eq!(at("nothing.here"), None);
    }

    #[test]
    fn parses_keys() {
        assert_eq!(parse_key("url: http://x:1"), Some("url".into()));
        assert_eq!(parse_key("\"a\\\"b\": 1"), Some("a\"b".into()));
        assert_eq!(parse_key("plain text"), None);
        assert_eq!(parse_key("k:"), Some("k".into()));
    }
}
