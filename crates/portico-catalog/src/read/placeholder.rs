//! `$text`, `$json` and `$yaml` placeholders: a mapping with exactly one of
//! these keys is replaced by the contents of the file it names, read relative
//! to the catalog file and never from outside the location's directory.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::files::{self, join_normalized};
use super::source::{Source, Unresolved};
use super::{yaml, ReadOptions, Severity};

/// A placeholder problem, before it is given a file and line.
#[derive(Debug)]
pub(crate) struct PlaceholderProblem {
    pub severity: Severity,
    pub field: String,
    pub message: String,
}

/// What placeholder resolution needs to know about where it is.
pub(crate) struct Context<'a> {
    /// Directory of the catalog file holding the document.
    pub file_dir: &'a Path,
    /// Directory of the root target, canonical: placeholders must stay inside.
    pub root_dir: &'a Path,
    pub opts: &'a ReadOptions,
    pub source: &'a dyn Source,
}

/// A file a placeholder read, for the content hash.
pub(crate) struct FileRead {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

const KINDS: [&str; 3] = ["$text", "$json", "$yaml"];

/// Replaces every resolvable placeholder in `doc`. Unresolvable ones stay as
/// they are and are reported.
pub(crate) fn resolve(
    doc: &mut Value,
    ctx: &Context<'_>,
    problems: &mut Vec<PlaceholderProblem>,
    reads: &mut Vec<FileRead>,
) {
    walk(doc, String::new(), ctx, problems, reads);
}

fn walk(
    value: &mut Value,
    field: String,
    ctx: &Context<'_>,
    problems: &mut Vec<PlaceholderProblem>,
    reads: &mut Vec<FileRead>,
) {
    match value {
        Value::Object(map) => {
            if let Some((kind, arg)) = as_placeholder(map) {
                let arg = arg.clone();
                match resolve_one(kind, &arg, ctx, &field, reads) {
                    Ok(Some(resolved)) => *value = resolved,
                    Ok(None) => {}
                    Err(problem) => problems.push(problem),
                }
                return;
            }
            for (key, child) in map.iter_mut() {
                let path = if field.is_empty() {
                    key.clone()
                } else {
                    format!("{field}.{key}")
                };
                walk(child, path, ctx, problems, reads);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                walk(child, format!("{field}[{i}]"), ctx, problems, reads);
            }
        }
        _ => {}
    }
}

fn as_placeholder(map: &Map<String, Value>) -> Option<(&'static str, &Value)> {
    if map.len() != 1 {
        return None;
    }
    let (key, arg) = map.iter().next()?;
    KINDS.iter().find(|k| **k == key).map(|k| (*k, arg))
}

/// `Ok(None)`: leave the placeholder as written (a remote URL, reported as a warning).
fn resolve_one(
    kind: &'static str,
    arg: &Value,
    ctx: &Context<'_>,
    field: &str,
    reads: &mut Vec<FileRead>,
) -> Result<Option<Value>, PlaceholderProblem> {
    let error = |message: String| PlaceholderProblem {
        severity: Severity::Error,
        field: field.to_string(),
        message: format!("\"{field}\": {message}"),
    };
    let Some(target) = arg.as_str() else {
        return Err(error(format!(
            "placeholder {kind} needs a file path string"
        )));
    };
    let lower = target.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        // Still an error-free entity: the model accepts an unresolved definition.
        return Err(PlaceholderProblem {
            severity: Severity::Warning,
            field: field.to_string(),
            message: format!(
                "\"{field}\": remote placeholder {kind} {target} not fetched; \
                 Portico reads local files only here"
            ),
        });
    }
    let resolved = join_normalized(ctx.file_dir, target);
    let escapes = || {
        error(format!(
            "placeholder {kind} {target} (resolved to {}) escapes the location; \
             it must stay inside {}",
            resolved.display(),
            ctx.root_dir.display()
        ))
    };
    if !resolved.starts_with(ctx.root_dir) {
        return Err(escapes());
    }
    // A symlink inside the directory may still point outside it.
    let canonical = match ctx.source.canonical(&resolved) {
        Ok(canonical) => canonical,
        Err(Unresolved::Missing(_)) => {
            return Err(error(format!(
                "placeholder {kind} {target} (resolved to {}) does not exist",
                resolved.display()
            )))
        }
        Err(err) => {
            return Err(error(format!(
                "placeholder {kind} {target} (resolved to {}) cannot be read: {err}",
                resolved.display()
            )))
        }
    };
    if !canonical.starts_with(ctx.root_dir) {
        return Err(escapes());
    }
    let bytes = ctx
        .source
        .read(&canonical, ctx.opts.max_file_bytes)
        .map_err(|err| {
            error(format!(
                "placeholder {kind} {target} (resolved to {}): {err}",
                resolved.display()
            ))
        })?;
    reads.push(FileRead {
        path: resolved.clone(),
        bytes: bytes.clone(),
    });
    let text = files::utf8_text(bytes).map_err(|msg| {
        error(format!(
            "placeholder {kind} {target} (resolved to {}): {msg}",
            resolved.display()
        ))
    })?;
    let parsed = match kind {
        "$text" => Value::String(text),
        "$json" => serde_json::from_str(&text)
            .map_err(|err| error(format!("placeholder {kind} {target}: invalid JSON: {err}")))?,
        _ => {
            parse_yaml(&text).map_err(|msg| error(format!("placeholder {kind} {target}: {msg}")))?
        }
    };
    Ok(Some(parsed))
}

fn parse_yaml(text: &str) -> Result<Value, String> {
    let chunks = yaml::split_documents(text);
    let mut docs = chunks.iter().filter(|c| c.content_line.is_some());
    let (Some(doc), None) = (docs.next(), docs.next()) else {
        return Err("expected exactly one YAML document".to_string());
    };
    match yaml::parse_chunk(doc) {
        Ok(value) => Ok(value.unwrap_or(Value::Null)),
        Err(err) => Err(format!("line {}: {}", err.line, err.message)),
    }
}
