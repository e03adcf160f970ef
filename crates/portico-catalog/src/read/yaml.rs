//! Multi-document YAML: splitting a file into documents with their line
//! numbers, parsing each one on its own (a syntax error in one document does
//! not hide the others), and converting to JSON.

use serde_json::{Map, Number, Value as Json};
use serde_yaml::Value as Yaml;

/// One document of a file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Chunk<'a> {
    /// The document's text, from the start of its first line.
    pub text: &'a str,
    /// 1-based line of `text`'s first line in the file.
    pub first_line: u32,
    /// 1-based line of the document's first content (not a comment, blank line
    /// or bare `---`); `None` for a document without content.
    pub content_line: Option<u32>,
}

/// A YAML syntax error, with its position in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub line: u32,
    pub column: Option<u32>,
    pub message: String,
}

/// Splits a stream at document boundaries. A `---` line at column 0 starts a
/// new document unless the current one has neither content nor a `---` yet (so
/// leading comments stay with the document they precede); after a `...` line,
/// the next content starts a new document. YAML forbids these markers at column 0 inside
/// content, so this split agrees with the parser.
pub(crate) fn split_documents(text: &str) -> Vec<Chunk<'_>> {
    let mut chunks = Vec::new();
    let mut start = 0usize;
    let mut first_line = 1u32;
    let mut content_line: Option<u32> = None;
    let mut ended = false;
    let mut marked = false;
    let mut offset = 0usize;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let line_no = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let bare = line.trim_end_matches(['\n', '\r']);
        let doc_start = is_marker(bare, "---");
        let doc_end = is_marker(bare, "...");
        let has_content = if doc_start {
            !is_blank_or_comment(&bare[3..])
        } else {
            !doc_end && !is_blank_or_comment(bare)
        };
        let begins_next = (doc_start && (content_line.is_some() || ended || marked))
            || (ended && (has_content || bare.starts_with('%')));
        if begins_next && offset > start {
            chunks.push(Chunk {
                text: &text[start..offset],
                first_line,
                content_line,
            });
            start = offset;
            first_line = line_no;
            content_line = None;
            ended = false;
            marked = false;
        }
        marked |= doc_start;
        if doc_end {
            ended = true;
        } else if has_content && content_line.is_none() && !bare.starts_with('%') {
            content_line = Some(line_no);
        }
        offset += line.len();
    }
    if offset > start {
        chunks.push(Chunk {
            text: &text[start..offset],
            first_line,
            content_line,
        });
    }
    chunks
}

fn is_marker(line: &str, marker: &str) -> bool {
    line.strip_prefix(marker)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
}

fn is_blank_or_comment(s: &str) -> bool {
    let t = s.trim();
    t.is_empty() || t.starts_with('#')
}

/// Parses one document. `Ok(None)` for an empty (or `null`) document.
pub(crate) fn parse_chunk(chunk: &Chunk<'_>) -> Result<Option<Json>, SyntaxError> {
    if chunk.content_line.is_none() {
        return Ok(None);
    }
    let shift = chunk.first_line.saturating_sub(1);
    let mut value: Yaml = serde_yaml::from_str(chunk.text).map_err(|err| {
        let (line, column) = match err.location() {
            Some(loc) => (
                u32::try_from(loc.line())
                    .unwrap_or(u32::MAX)
                    .saturating_add(shift),
                u32::try_from(loc.column()).ok(),
            ),
            None => (chunk.content_line.unwrap_or(chunk.first_line), None),
        };
        SyntaxError {
            line,
            column,
            message: format!(
                "YAML syntax error: {}",
                shift_lines(&err.to_string(), shift)
            ),
        }
    })?;
    let line = chunk.content_line.unwrap_or(chunk.first_line);
    value.apply_merge().map_err(|err| SyntaxError {
        line,
        column: None,
        message: format!("YAML merge key (<<) error: {err}"),
    })?;
    match value {
        Yaml::Null => Ok(None),
        other => yaml_to_json(other)
            .map(Some)
            .map_err(|message| SyntaxError {
                line,
                column: None,
                message,
            }),
    }
}

/// The parser numbers lines within the document it was given; messages should
/// speak of lines in the file.
fn shift_lines(message: &str, shift: u32) -> String {
    if shift == 0 {
        return message.to_string();
    }
    let mut out = String::with_capacity(message.len() + 8);
    let mut rest = message;
    while let Some(pos) = rest.find("line ") {
        let (before, after) = rest.split_at(pos + "line ".len());
        out.push_str(before);
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        match after[..digits].parse::<u32>() {
            Ok(n) => out.push_str(&n.saturating_add(shift).to_string()),
            Err(_) => out.push_str(&after[..digits]),
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

/// YAML to JSON as Backstage sees it: scalar keys become strings, tags are
/// dropped, non-finite floats become their YAML spelling.
pub(crate) fn yaml_to_json(value: Yaml) -> Result<Json, String> {
    Ok(match value {
        Yaml::Null => Json::Null,
        Yaml::Bool(b) => Json::Bool(b),
        Yaml::Number(n) => {
            if let Some(i) = n.as_i64() {
                Json::Number(i.into())
            } else if let Some(u) = n.as_u64() {
                Json::Number(u.into())
            } else {
                match n.as_f64().and_then(Number::from_f64) {
                    Some(f) => Json::Number(f),
                    None => Json::String(n.to_string()),
                }
            }
        }
        Yaml::String(s) => Json::String(s),
        Yaml::Sequence(items) => Json::Array(
            items
                .into_iter()
                .map(yaml_to_json)
                .collect::<Result<_, _>>()?,
        ),
        Yaml::Mapping(mapping) => {
            let mut map = Map::with_capacity(mapping.len());
            for (key, val) in mapping {
                map.insert(key_string(key)?, yaml_to_json(val)?);
            }
            Json::Object(map)
        }
        Yaml::Tagged(tagged) => yaml_to_json(tagged.value)?,
    })
}

fn key_string(key: Yaml) -> Result<String, String> {
    match key {
        Yaml::String(s) => Ok(s),
        Yaml::Null => Ok("null".to_string()),
        Yaml::Bool(b) => Ok(b.to_string()),
        Yaml::Number(n) => Ok(n.to_string()),
        Yaml::Tagged(tagged) => key_string(tagged.value),
        Yaml::Sequence(_) | Yaml::Mapping(_) => {
            Err("a mapping key is a sequence or mapping; only scalar keys are supported".into())
        }
    }
}

/// "a sequence", "a string", ...: what a document was when a mapping was expected.
pub(crate) fn describe(value: &Json) -> String {
    match value {
        Json::Null => "null".to_string(),
        Json::Bool(b) => format!("a boolean ({b})"),
        Json::Number(n) => format!("a number ({n})"),
        Json::String(s) => {
            let short: String = s.chars().take(40).collect();
            format!("a string (\"{short}\")")
        }
        Json::Array(_) => "a sequence".to_string(),
        Json::Object(_) => "a mapping".to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn lines(chunks: &[Chunk<'_>]) -> Vec<(u32, Option<u32>)> {
        chunks
            .iter()
            .map(|c| (c.first_line, c.content_line))
            .collect()
    }

    #[test]
    fn split_keeps_leading_comments_with_their_document() {
        let text = "# head\n---\na: 1\n---\n\n# c\nb: 2\n--- {c: 3}\n---\n# empty\n---\nd: 4\n";
        let chunks = split_documents(text);
        assert_eq!(
            lines(&chunks),
            vec![
                (1, Some(3)),
                (4, Some(7)),
                (8, Some(8)),
                (9, None),
                (11, Some(12))
            ]
        );
        assert_eq!(chunks[1].text, "---\n\n# c\nb: 2\n");
    }

    #[test]
    fn split_ignores_dashes_that_are_not_markers() {
        let text = "a: |\n  ---\n  x\nb: ---x\n----\n";
        assert_eq!(split_documents(text).len(), 1);
    }

    #[test]
    fn document_end_marker_starts_next_document_at_content() {
        let text = "a: 1\n...\n# between\nb: 2\n";
        let chunks = split_documents(text);
        assert_eq!(lines(&chunks), vec![(1, Some(1)), (4, Some(4))]);
    }

    #[test]
    fn syntax_error_lines_are_file_lines() {
        let text = "a: 1\n---\nb: 2\nc: [1, 2\n";
        let chunks = split_documents(text);
        let err = parse_chunk(&chunks[1]).unwrap_err();
        assert_eq!(err.line, 5);
        assert!(
            err.message.starts_with("YAML syntax error: "),
            "{}",
            err.message
        );
        assert!(!err.message.contains("line 3 "), "{}", err.message);
    }

    #[test]
    fn shift_lines_rewrites_every_line_number() {
        assert_eq!(
            shift_lines("x at line 2 column 3, while y at line 1 column 1", 10),
            "x at line 12 column 3, while y at line 11 column 1"
        );
    }

    #[test]
    fn converts_keys_tags_and_numbers() {
        let yaml: Yaml = serde_yaml::from_str("1: a\ntrue: !foo b\nf: .inf\ng: 1.5\n").unwrap();
        let json = yaml_to_json(yaml).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"1": "a", "true": "b", "f": ".inf", "g": 1.5})
        );
    }
}
