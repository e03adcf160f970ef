//! File access with limits, and path arithmetic that does not touch the disk.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

#[derive(Debug)]
pub(crate) enum FileError {
    TooLarge {
        size: u64,
        limit: u64,
    },
    NotAFile,
    Io(io::Error),
    /// A file of another source (a git tree) that cannot be read.
    Other(String),
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileError::TooLarge { size, limit } => {
                write!(f, "file is {size} bytes, over the limit of {limit} bytes")
            }
            FileError::NotAFile => f.write_str("not a regular file"),
            FileError::Io(err) => write!(f, "cannot read file: {err}"),
            FileError::Other(message) => f.write_str(message),
        }
    }
}

/// Reads a whole file, refusing (without reading) anything over `limit` bytes
/// or anything that is not a regular file (a FIFO would block the read).
pub(crate) fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    // stat before open: opening a FIFO would block until someone writes to it.
    let meta = std::fs::metadata(path).map_err(FileError::Io)?;
    if !meta.is_file() {
        return Err(FileError::NotAFile);
    }
    if meta.len() > limit {
        return Err(FileError::TooLarge {
            size: meta.len(),
            limit,
        });
    }
    let file = File::open(path).map_err(FileError::Io)?;
    // The file may grow between stat and read: never take more than the limit.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(FileError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(FileError::TooLarge {
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
}

/// The text of a file, or where its first invalid UTF-8 byte is (line, column).
pub(crate) fn utf8_text(bytes: Vec<u8>) -> Result<String, String> {
    match String::from_utf8(bytes) {
        Ok(mut text) => {
            if text.starts_with('\u{feff}') {
                text.drain(..'\u{feff}'.len_utf8());
            }
            Ok(text)
        }
        Err(err) => {
            let valid = &err.as_bytes()[..err.utf8_error().valid_up_to()];
            let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
            let line_start = valid.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            let column = valid.len() - line_start + 1;
            Err(format!(
                "file is not valid UTF-8 (first invalid byte at line {line}, column {column})"
            ))
        }
    }
}

/// `base.join(rel)` with `.` and `..` resolved lexically, so that messages show
/// the path a user would write and escape checks see through `..`.
pub(crate) fn join_normalized(base: &Path, rel: &str) -> PathBuf {
    normalize(&base.join(rel))
}

pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                // `..` at the root stays at the root, as the OS does.
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(component),
            },
            other => out.push(other),
        }
    }
    out
}

/// Whether a target is a glob pattern rather than one file name.
pub(crate) fn is_glob(target: &str) -> bool {
    target.contains(['*', '?', '['])
}

/// Files matching `pattern` (relative patterns against `base`), sorted, at most
/// `cap` of them. Dot files only match when the pattern names the dot.
pub(crate) fn expand_glob(base: &Path, pattern: &str, cap: usize) -> Result<Vec<PathBuf>, String> {
    let full = if Path::new(pattern).is_absolute() {
        pattern.to_string()
    } else {
        // The base directory is literal: its own `[` or `*` must not match.
        let base = glob::Pattern::escape(&base.to_string_lossy());
        format!(
            "{}/{}",
            base.trim_end_matches('/'),
            pattern.trim_start_matches("./")
        )
    };
    let options = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: true,
    };
    let paths =
        glob::glob_with(&full, options).map_err(|e| format!("invalid glob pattern: {e}"))?;
    let mut found: Vec<PathBuf> = paths
        .filter_map(Result::ok)
        .filter(|p| p.is_file())
        .map(|p| normalize(&p))
        .take(cap)
        .collect();
    found.sort();
    Ok(found)
}

/// A path as shown in messages: relative to `root_dir` when inside it.
pub(crate) fn display_path(path: &Path, root_dir: &Path) -> String {
    match path.strip_prefix(root_dir) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.to_string_lossy().into_owned(),
        _ => path.to_string_lossy().into_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn normalize_resolves_dots_lexically() {
        assert_eq!(
            join_normalized(Path::new("/a/b"), "./c/../d.yaml"),
            PathBuf::from("/a/b/d.yaml")
        );
        assert_eq!(
            join_normalized(Path::new("/a/b"), "../../../x"),
            PathBuf::from("/x")
        );
        assert_eq!(
            join_normalized(Path::new("/a"), "/abs/y"),
            PathBuf::from("/abs/y")
        );
    }

    #[test]
    fn utf8_error_names_line_and_column() {
        let err = utf8_text(b"ok\nab\xffc".to_vec()).unwrap_err();
        assert_eq!(
            err,
            "file is not valid UTF-8 (first invalid byte at line 2, column 3)"
        );
        assert_eq!(
            utf8_text("\u{feff}a: 1".as_bytes().to_vec()).unwrap(),
            "a: 1"
        );
    }

    #[test]
    fn glob_detection() {
        assert!(is_glob("./components/*.yaml"));
        assert!(is_glob("**/catalog-info.yaml"));
        assert!(!is_glob("./all.yaml"));
    }
}
