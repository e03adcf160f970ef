//! Renders a scaffolder template's skeleton directory into a task workspace (`fetch:template`).
//!
//! Skeletons are written by template authors and `data` comes from users, so neither may crash
//! the renderer or write outside the target. Only the skeleton's own slashes make directories
//! (see [`mark_separators`]) and every path goes through [`crate::workspace`]. Templates are
//! checked before rendering for what would recurse without bound (partials, deep nesting):
//! handlebars renders recursively, and a stack overflow aborts the whole process.

use std::collections::HashMap;
use std::fs;
use std::io::{self, Read, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use handlebars::template::{Parameter, Template, TemplateElement};
use handlebars::{Context, Handlebars, RenderError, RenderErrorReason, TemplateError};
use serde_json::Value;

use crate::workspace::{self, is_executable, PathError};

/// Entries (files and directories) a skeleton may hold.
pub const MAX_FILES: usize = 10_000;
/// Largest skeleton file read, and largest rendered output.
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;
/// Nesting of blocks, `else if` chains and subexpressions combined. Real templates stay in single
/// digits; the bound keeps handlebars' recursive renderer well inside a 2 MiB thread stack.
const MAX_NESTING: usize = 100;
const BINARY_SNIFF_BYTES: usize = 8 * 1024;

pub struct SkeletonOptions {
    /// Glob patterns (relative to the skeleton root, `/`-separated, matched against the path
    /// *before* its name is rendered) whose files are copied byte for byte: no content templating
    /// (names are still rendered). A pattern matching a directory covers everything below it.
    pub copy_without_templating: Vec<String>,
}

#[derive(Debug)]
pub struct RenderedFile {
    /// Relative to the target, `/`-separated.
    pub path: String,
    pub executable: bool,
    pub templated: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SkeletonError {
    #[error("skeleton file `{file}`{}: {message}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Template {
        file: String,
        line: Option<usize>,
        message: String,
    },
    #[error("skeleton file `{file}` is a symbolic link; skeletons cannot contain links")]
    Symlink { file: String },
    #[error("bad copyWithoutTemplating pattern `{pattern}`: {message}")]
    Pattern { pattern: String, message: String },
    #[error(transparent)]
    Path(#[from] PathError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("skeleton has more than {limit} files")]
    TooMany { limit: usize },
}

fn template_err(file: &str, line: Option<usize>, message: impl Into<String>) -> SkeletonError {
    SkeletonError::Template {
        file: file.to_owned(),
        line,
        message: message.into(),
    }
}

mod helpers;
pub use helpers::engine;

// ---------------------------------------------------------------------------------------------
// Rendering one text

/// Refuses what handlebars would recurse on without bound: partials and decorators (an inline
/// partial can include itself) and nesting deeper than [`MAX_NESTING`]; in a path, also the
/// unescaped `{{{ }}}` form, which would bypass [`mark_separators`]. Returns the offending line.
fn check_structure(
    t: &Template,
    depth: usize,
    in_path: bool,
) -> Result<(), (Option<usize>, String)> {
    for (idx, el) in t.elements.iter().enumerate() {
        let line = t.mapping.get(idx).map(|m| m.0);
        let fail = |message: String| Err((line, message));
        match el {
            TemplateElement::RawString(_) | TemplateElement::Comment(_) => {}
            TemplateElement::HtmlExpression(_) if in_path => {
                return fail("`{{{ }}}` is not allowed in file names; use `{{ }}`".into());
            }
            TemplateElement::Expression(ht)
            | TemplateElement::HtmlExpression(ht)
            | TemplateElement::HelperBlock(ht) => {
                let params = std::iter::once(&ht.name)
                    .chain(&ht.params)
                    .chain(ht.hash.values());
                for p in params {
                    if parameter_depth(p, 0) + depth > MAX_NESTING {
                        return fail(format!("expressions nest deeper than {MAX_NESTING} levels"));
                    }
                }
                for inner in [&ht.template, &ht.inverse].into_iter().flatten() {
                    if depth + 1 > MAX_NESTING {
                        return fail(format!("blocks nest deeper than {MAX_NESTING} levels"));
                    }
                    check_structure(inner, depth + 1, in_path)?;
                }
            }
            _ => return fail(
                "partials and decorators (`{{> ...}}`, `{{* ...}}`) are not supported in skeletons"
                    .into(),
            ),
        }
    }
    Ok(())
}

/// Subexpression depth of a parameter; gives up counting once past the limit, which also bounds
/// this function's own recursion.
fn parameter_depth(p: &Parameter, depth: usize) -> usize {
    let Parameter::Subexpression(sub) = p else {
        return depth;
    };
    if depth > MAX_NESTING {
        return depth;
    }
    match sub.as_element() {
        TemplateElement::Expression(ht) => std::iter::once(&ht.name)
            .chain(&ht.params)
            .chain(ht.hash.values())
            .map(|p| parameter_depth(p, depth + 1))
            .max()
            .unwrap_or(depth + 1),
        _ => depth + 1,
    }
}

/// Collects rendered output and refuses to grow past [`MAX_FILE_BYTES`]: a few nested `#each`
/// can turn a small template into gigabytes.
struct LimitedOutput(Vec<u8>);

impl Write for LimitedOutput {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if (self.0.len() + buf.len()) as u64 > MAX_FILE_BYTES {
            return Err(io::Error::other(format!(
                "rendered output exceeds {} MiB",
                MAX_FILE_BYTES >> 20
            )));
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn template_error(origin: &str, e: &TemplateError) -> SkeletonError {
    template_err(
        origin,
        e.pos().map(|(line, _)| line),
        e.reason().to_string(),
    )
}

fn render_error(origin: &str, e: &RenderError) -> SkeletonError {
    let message = match e.reason() {
        RenderErrorReason::TemplateError(te) => return template_error(origin, te),
        RenderErrorReason::MissingVariable(Some(path)) => format!("variable `{path}` not found"),
        RenderErrorReason::MissingVariable(None) => "a variable used here is not set".to_owned(),
        RenderErrorReason::HelperNotFound(name) => format!("unknown helper `{name}`"),
        RenderErrorReason::IOError(io) => io.to_string(),
        RenderErrorReason::Other(message) => message.clone(),
        other => other.to_string(),
    };
    template_err(origin, e.line_no, message)
}

fn render_with(
    engine: &Handlebars<'_>,
    origin: &str,
    template: &str,
    ctx: &Context,
    in_path: bool,
) -> Result<String, SkeletonError> {
    // Most file names and many files have no expressions: skip the parser for them. Without
    // `{{` handlebars would give back the input unchanged.
    if !template.contains("{{") {
        return Ok(template.to_owned());
    }
    // handlebars' parser still holds `unwrap`s; a template must not take the worker down.
    let rendered = catch_unwind(AssertUnwindSafe(|| {
        let compiled = Template::compile(template).map_err(|e| template_error(origin, &e))?;
        check_structure(&compiled, 0, in_path)
            .map_err(|(line, message)| template_err(origin, line, message))?;
        let mut out = LimitedOutput(Vec::new());
        engine
            .render_template_with_context_to_write(template, ctx, &mut out)
            .map_err(|e| render_error(origin, &e))?;
        Ok::<_, SkeletonError>(out.0)
    }))
    .map_err(|_| template_err(origin, None, "internal error in the template engine"))??;
    String::from_utf8(rendered)
        .map_err(|_| template_err(origin, None, "rendered output is not valid UTF-8"))
}

/// Renders one template string (file names, small texts). `origin` is what errors name.
pub fn render_text(
    engine: &Handlebars<'_>,
    origin: &str,
    template: &str,
    data: &Value,
) -> Result<String, SkeletonError> {
    let ctx = Context::wraps(data).map_err(|e| render_error(origin, &e))?;
    render_with(engine, origin, template, &ctx, false)
}

// ---------------------------------------------------------------------------------------------
// Walking and rendering a tree

struct Entry {
    /// Source path components, relative to the skeleton root.
    rel: Vec<String>,
    source: PathBuf,
    is_dir: bool,
    executable: bool,
}

fn io_err(path: &str, source: io::Error) -> SkeletonError {
    SkeletonError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Lists the whole skeleton before rendering anything, so a link or an oversized tree is refused
/// even where it sits in a directory that this rendering would skip. Sorted: parents come before
/// their contents and the order does not depend on the filesystem.
fn walk(skeleton: &Path, limit: usize) -> Result<Vec<Entry>, SkeletonError> {
    let root = fs::symlink_metadata(skeleton).map_err(|e| io_err(".", e))?;
    if root.file_type().is_symlink() {
        return Err(SkeletonError::Symlink {
            file: ".".to_owned(),
        });
    }
    if !root.is_dir() {
        return Err(io_err(".", io::Error::other("skeleton is not a directory")));
    }
    let mut entries = Vec::new();
    let mut pending = vec![(skeleton.to_path_buf(), Vec::<String>::new())];
    while let Some((dir, rel)) = pending.pop() {
        let shown = if rel.is_empty() {
            ".".to_owned()
        } else {
            rel.join("/")
        };
        for item in fs::read_dir(&dir).map_err(|e| io_err(&shown, e))? {
            let item = item.map_err(|e| io_err(&shown, e))?;
            let mut item_rel = rel.clone();
            let name = item.file_name();
            let Some(name) = name.to_str() else {
                let lossy = format!("{}/{}", shown, name.to_string_lossy());
                return Err(io_err(
                    &lossy,
                    io::Error::new(io::ErrorKind::InvalidData, "file name is not UTF-8"),
                ));
            };
            item_rel.push(name.to_owned());
            let file = item_rel.join("/");
            // DirEntry::metadata does not follow links.
            let meta = item.metadata().map_err(|e| io_err(&file, e))?;
            let kind = meta.file_type();
            if kind.is_symlink() {
                return Err(SkeletonError::Symlink { file });
            }
            if entries.len() >= limit {
                return Err(SkeletonError::TooMany { limit });
            }
            if kind.is_dir() {
                pending.push((item.path(), item_rel.clone()));
            } else if !kind.is_file() {
                // A FIFO would block the read forever; devices and sockets make no sense here.
                return Err(io_err(
                    &file,
                    io::Error::other("not a regular file or directory"),
                ));
            } else if meta.len() > MAX_FILE_BYTES {
                return Err(io_err(&file, too_large()));
            }
            entries.push(Entry {
                rel: item_rel,
                source: item.path(),
                is_dir: kind.is_dir(),
                executable: is_executable(&meta),
            });
        }
    }
    entries.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(entries)
}

fn too_large() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("file is larger than the {} MiB limit", MAX_FILE_BYTES >> 20),
    )
}

fn read_bounded(path: &Path, shown: &str) -> Result<Vec<u8>, SkeletonError> {
    let file = fs::File::open(path).map_err(|e| io_err(shown, e))?;
    let mut content = Vec::new();
    // The size was checked while walking; the bound covers a file that grew since.
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut content)
        .map_err(|e| io_err(shown, e))?;
    if content.len() as u64 > MAX_FILE_BYTES {
        return Err(io_err(shown, too_large()));
    }
    Ok(content)
}

fn compile_patterns(patterns: &[String]) -> Result<Vec<glob::Pattern>, SkeletonError> {
    patterns
        .iter()
        .map(|pattern| {
            // Backstage templates often write `./.github/**`; the skeleton root is implied.
            let trimmed = pattern
                .strip_prefix("./")
                .unwrap_or(pattern)
                .trim_end_matches('/');
            glob::Pattern::new(trimmed).map_err(|e| SkeletonError::Pattern {
                pattern: pattern.clone(),
                message: e.msg.to_owned(),
            })
        })
        .collect()
}

/// True when the path or any directory above it matches a pattern.
fn copied_verbatim(patterns: &[glob::Pattern], rel: &[String]) -> bool {
    let options = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: false,
        require_literal_leading_dot: false,
    };
    (1..=rel.len()).any(|n| {
        let prefix = rel[..n].join("/");
        patterns.iter().any(|p| p.matches_with(&prefix, options))
    })
}

/// The content as text, or `None` for a binary file: not UTF-8, or a NUL early on.
fn as_text(content: &[u8]) -> Option<&str> {
    let head = &content[..content.len().min(BINARY_SNIFF_BYTES)];
    std::str::from_utf8(content)
        .ok()
        .filter(|_| !head.contains(&0))
}

/// Escape function of the engine that renders paths: marks every separator that comes out of an
/// expression with a NUL (which no real path can hold), so that only the skeleton's own slashes
/// make directories and a value like `a/b` or `..\x` is caught after rendering.
fn mark_separators(text: &str) -> String {
    text.replace('/', "\0/").replace('\\', "\0\\")
}

/// Renders a skeleton path as one template and splits it on the skeleton's own separators.
///
/// The path is rendered whole, not name by name, because a conditional name such as
/// `{{#if values.withDocs}}docs{{/if}}/index.md` spans two directory levels on disk
/// (`{{/if}}` holds a slash). `Ok(None)` means a component rendered empty: skip the entry.
fn render_path(
    names: &Handlebars<'_>,
    ctx: &Context,
    file: &str,
) -> Result<Option<String>, SkeletonError> {
    let rendered = render_with(names, file, file, ctx, true).map_err(|e| match e {
        // A line number would point into the content; the problem is in the name.
        SkeletonError::Template { file, message, .. } => SkeletonError::Template {
            file,
            line: None,
            message: format!("in the file name: {message}"),
        },
        other => other,
    })?;
    if rendered.contains(['\0', '\\']) {
        return Err(PathError::Escapes {
            path: rendered.replace('\0', ""),
        }
        .into());
    }
    let parts: Vec<&str> = rendered.split('/').collect();
    if parts.iter().any(|p| p.trim().is_empty()) {
        return Ok(None);
    }
    if parts.iter().any(|p| *p == "." || *p == "..") {
        return Err(PathError::Escapes { path: rendered }.into());
    }
    Ok(Some(rendered))
}

/// Walks `skeleton`, renders each path and each text file's content with `data`, and writes the
/// result below `target` (created if missing). Returns the files written, sorted by path. Empty
/// directories of the skeleton are created too, but not listed.
pub fn render_tree(
    engine: &Handlebars<'_>,
    skeleton: &Path,
    target: &Path,
    data: &Value,
    options: &SkeletonOptions,
) -> Result<Vec<RenderedFile>, SkeletonError> {
    render_tree_limited(engine, skeleton, target, data, options, MAX_FILES)
}

/// Copies `source` into `target` as it is, names included (`fetch:plain`):
/// the same walk, limits and refusals as [`render_tree`], no templating.
pub fn copy_tree(source: &Path, target: &Path) -> Result<Vec<RenderedFile>, SkeletonError> {
    let entries = walk(source, MAX_FILES)?;
    fs::create_dir_all(target).map_err(|e| io_err(".", e))?;
    let mut files = Vec::new();
    for entry in &entries {
        let path = entry.rel.join("/");
        if entry.is_dir {
            workspace::create_dir(target, &path)?;
            continue;
        }
        let content = read_bounded(&entry.source, &path)?;
        workspace::write_file(target, &path, &content, entry.executable)?;
        files.push(RenderedFile {
            path,
            executable: entry.executable,
            templated: false,
        });
    }
    Ok(files)
}

fn render_tree_limited(
    engine: &Handlebars<'_>,
    skeleton: &Path,
    target: &Path,
    data: &Value,
    options: &SkeletonOptions,
    limit: usize,
) -> Result<Vec<RenderedFile>, SkeletonError> {
    let patterns = compile_patterns(&options.copy_without_templating)?;
    let entries = walk(skeleton, limit)?;
    // Wrapped once: Context::wraps copies the data.
    let ctx = Context::wraps(data).map_err(|e| render_error(".", &e))?;
    let mut names = engine.clone();
    names.register_escape_fn(mark_separators);
    fs::create_dir_all(target).map_err(|e| io_err(".", e))?;

    let mut written: HashMap<String, String> = HashMap::new();
    let mut files = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        // Directories with content come into being through it; only empty ones need creating.
        let has_children = entries
            .get(i + 1)
            .is_some_and(|next| next.rel.starts_with(&entry.rel));
        if entry.is_dir && has_children {
            continue;
        }
        let file = entry.rel.join("/");
        let Some(path) = render_path(&names, &ctx, &file)? else {
            continue;
        };
        if entry.is_dir {
            workspace::create_dir(target, &path)?;
            continue;
        }
        if let Some(other) = written.insert(path.clone(), file.clone()) {
            // Two sources landing on one path would silently lose one of them.
            return Err(template_err(
                &file,
                None,
                format!("renders to `{path}`, as does `{other}`"),
            ));
        }
        let content = read_bounded(&entry.source, &file)?;
        let rendered = match as_text(&content) {
            Some(text) if !copied_verbatim(&patterns, &entry.rel) => {
                Some(render_with(engine, &file, text, &ctx, false)?)
            }
            _ => None,
        };
        let templated = rendered.is_some();
        let output = rendered.map_or(content, String::into_bytes);
        workspace::write_file(target, &path, &output, entry.executable)?;
        files.push(RenderedFile {
            path,
            executable: entry.executable,
            templated,
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

#[cfg(test)]
mod tests;
