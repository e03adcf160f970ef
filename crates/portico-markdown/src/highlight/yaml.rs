//! A line-by-line YAML highlighter: keys, scalars by kind, comments, block
//! scalars, anchors and tags, flow collections.

use super::lexer::{
    is_number, quoted_end, split_newline, Spans, COMMENT, CONSTANT, KEY, NUMBER, PUNCTUATION,
    STRING, TAG, VARIABLE,
};

pub(super) fn yaml(code: &str) -> String {
    let mut out = Spans::with_capacity(code.len());
    // While in a block scalar (`key: |`), the column its lines must be
    // indented past.
    let mut block: Option<usize> = None;
    for line in code.split_inclusive('\n') {
        let (text, newline) = split_newline(line);
        let rest = text.trim_start_matches(' ');
        let indent = text.len() - rest.len();
        if let Some(parent) = block {
            if rest.trim().is_empty() || indent > parent {
                out.span(STRING, text);
                out.plain(newline);
                continue;
            }
        }
        out.plain(&text[..indent]);
        block = line_content(rest, indent, &mut out);
        out.plain(newline);
    }
    out.finish()
}

/// Highlights a line after its indentation; returns the parent column if
/// the line opens a block scalar.
fn line_content(line: &str, indent: usize, out: &mut Spans) -> Option<usize> {
    if line.starts_with('#') {
        out.span(COMMENT, line);
        return None;
    }
    let mut rest = line;
    let mut column = indent;
    if let Some(after) = rest
        .strip_prefix("---")
        .or_else(|| rest.strip_prefix("..."))
    {
        if after.is_empty() || after.starts_with(' ') {
            out.span(PUNCTUATION, &rest[..3]);
            rest = after;
            column += 3;
        }
    }
    // `- - key: value`: every dash is punctuation, and the content's column
    // moves past it.
    while rest == "-" || rest.starts_with("- ") {
        out.span(PUNCTUATION, "-");
        let after = &rest[1..];
        let content = after.trim_start_matches(' ');
        out.plain(&after[..after.len() - content.len()]);
        column += rest.len() - content.len();
        rest = content;
    }
    if let Some(colon) = key_end(rest) {
        let (key, after) = rest.split_at(colon);
        out.span(KEY, key.trim_end());
        out.plain(&key[key.trim_end().len()..]);
        out.span(PUNCTUATION, ":");
        rest = &after[1..];
    }
    let block = value(rest, out);
    block.then_some(column)
}

/// Where the `:` of `key: value` is, if the line is a mapping entry.
fn key_end(line: &str) -> Option<usize> {
    let search_from = match line.as_bytes().first()? {
        b'"' | b'\'' => quoted_end(line)?,
        b'[' | b'{' | b'|' | b'>' | b'#' | b'&' | b'*' | b'!' | b'%' | b'@' | b'`' => return None,
        _ => 0,
    };
    let bytes = line.as_bytes();
    for i in search_from..bytes.len() {
        match bytes[i] {
            b':' if matches!(bytes.get(i + 1), None | Some(b' ' | b'\t')) => return Some(i),
            // A comment ends the search: `a # b: c` has no key.
            b'#' if i > 0 && matches!(bytes[i - 1], b' ' | b'\t') => return None,
            _ => {}
        }
    }
    None
}

/// Highlights a value (with any trailing comment); returns whether it
/// opens a block scalar.
fn value(text: &str, out: &mut Spans) -> bool {
    let (body, comment) = split_comment(text);
    let trimmed = body.trim_start();
    out.plain(&body[..body.len() - trimmed.len()]);
    let scalar = trimmed.trim_end();
    let trailing = &trimmed[scalar.len()..];
    let block = match scalar.as_bytes().first() {
        None => false,
        Some(b'|' | b'>')
            if scalar[1..]
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'+' || b == b'-') =>
        {
            out.span(PUNCTUATION, scalar);
            true
        }
        Some(b'&' | b'*' | b'!') => {
            let end = scalar.find(' ').unwrap_or(scalar.len());
            let class = if scalar.starts_with('!') {
                TAG
            } else {
                VARIABLE
            };
            out.span(class, &scalar[..end]);
            value(&scalar[end..], out)
        }
        Some(b'[' | b'{') => {
            flow(scalar, out);
            false
        }
        Some(_) => {
            out.span(scalar_class(scalar), scalar);
            false
        }
    };
    out.plain(trailing);
    out.span(COMMENT, comment);
    block
}

/// `[a, "b", 1]` and `{k: v}`: brackets and separators are punctuation,
/// the items scalars.
fn flow(text: &str, out: &mut Spans) {
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let len = match c {
            '[' | ']' | '{' | '}' | ',' | ':' => {
                out.span(PUNCTUATION, &rest[..1]);
                1
            }
            '"' | '\'' => {
                let end = quoted_end(rest).unwrap_or(rest.len());
                out.span(STRING, &rest[..end]);
                end
            }
            c if c.is_whitespace() => {
                out.plain(&rest[..c.len_utf8()]);
                c.len_utf8()
            }
            _ => {
                let end = rest
                    .find(['[', ']', '{', '}', ',', ':'])
                    .unwrap_or(rest.len());
                let item = rest[..end].trim_end();
                out.span(scalar_class(item), item);
                out.plain(&rest[item.len()..end]);
                end
            }
        };
        rest = &rest[len..];
    }
}

/// Splits off a trailing ` # comment` that is outside quotes.
fn split_comment(text: &str) -> (&str, &str) {
    let bytes = text.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match quote {
            // `''` inside single quotes and `\x` inside double quotes are
            // escapes, not the closing quote.
            Some(b'\'') if b == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 1,
            Some(b'"') if b == b'\\' => i += 1,
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if matches!(b, b'"' | b'\'')
                && (i == 0 || matches!(bytes[i - 1], b' ' | b'[' | b'{' | b',')) =>
            {
                quote = Some(b);
            }
            None if b == b'#' && (i == 0 || matches!(bytes[i - 1], b' ' | b'\t')) => {
                return text.split_at(i)
            }
            None => {}
        }
        i += 1;
    }
    (text, "")
}

fn scalar_class(scalar: &str) -> &'static str {
    match scalar {
        "true" | "false" | "True" | "False" | "TRUE" | "FALSE" | "null" | "Null" | "NULL" | "~" => {
            CONSTANT
        }
        s if is_number(s) => NUMBER,
        _ => STRING,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The highlighted code with spans written as `[class|text]`.
    fn tokens(code: &str) -> String {
        yaml(code)
            .replace("<span class=\"hl-entity hl-name hl-tag\">", "[key|")
            .replace("<span class=\"hl-string\">", "[str|")
            .replace("<span class=\"hl-constant hl-numeric\">", "[num|")
            .replace("<span class=\"hl-constant hl-language\">", "[const|")
            .replace("<span class=\"hl-punctuation\">", "[p|")
            .replace("<span class=\"hl-comment\">", "[#|")
            .replace("<span class=\"hl-variable\">", "[var|")
            .replace("<span class=\"hl-storage hl-type\">", "[tag|")
            .replace("</span>", "]")
    }

    #[test]
    fn mapping_entries() {
        assert_eq!(
            tokens("apiVersion: v1\nspec:\n  replicas: 3 # three\n  url: http://x:80/a#b\n"),
            "[key|apiVersion][p|:] [str|v1]\n[key|spec][p|:]\n  [key|replicas][p|:] [num|3] [#|# three]\n  [key|url][p|:] [str|http://x:80/a#b]\n"
        );
    }

    #[test]
    fn sequences_and_constants() {
        assert_eq!(
            tokens("- name: a\n  - true\n- ~\n-\n"),
            "[p|-] [key|name][p|:] [str|a]\n  [p|-] [const|true]\n[p|-] [const|~]\n[p|-]\n"
        );
    }

    #[test]
    fn quoted_keys_and_values() {
        assert_eq!(
            tokens("\"a: b\": 'it''s # not a comment'\n"),
            "[key|\"a: b\"][p|:] [str|'it''s # not a comment']\n"
        );
    }

    #[test]
    fn block_scalars_run_while_indented() {
        assert_eq!(
            tokens("- script: |-\n    echo: 1\n\n    x\n  next: 2\n"),
            "[p|-] [key|script][p|:] [p||-]\n[str|    echo: 1]\n[str|]\n[str|    x]\n  [key|next][p|:] [num|2]\n"
                .replace("[str|]", "")
        );
    }

    #[test]
    fn anchors_tags_and_flow() {
        assert_eq!(
            tokens("base: &b !!map {a: 1, b: [x, \"y\"]}\nuse: *b\n"),
            "[key|base][p|:] [var|&amp;b] [tag|!!map] [p|{][str|a][p|:] [num|1][p|,] [str|b][p|:] [p|[][str|x][p|,] [str|\"y\"][p|]][p|}]\n[key|use][p|:] [var|*b]\n"
        );
    }

    #[test]
    fn document_markers_and_comments() {
        assert_eq!(tokens("---\n# c\n...\n"), "[p|---]\n[#|# c]\n[p|...]\n");
    }
}
