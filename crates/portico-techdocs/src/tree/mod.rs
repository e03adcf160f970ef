//! Where a documentation site's files come from: a directory on disk or a
//! directory of a repository at one commit. The builder sees only
//! [`DocTree`], so both sources obey the same path rules.

mod dir;
mod git;

use sha1::{Digest, Sha1};

pub use dir::DirTree;
pub use git::GitTree;

/// A read-only tree of files addressed by `/`-separated relative paths.
pub trait DocTree: Send + Sync {
    /// Every regular file under the root, sorted, `.git` skipped.
    fn files(&self) -> Result<Vec<String>, TreeError>;
    /// The content of one file. Absolute paths and paths that climb out of
    /// the root (by `..` or through a symbolic link) are refused.
    fn read(&self, path: &str) -> Result<Vec<u8>, TreeError>;
    /// Where the tree comes from, for messages.
    fn describe(&self) -> String;
}

/// Bounds that keep one documentation source from exhausting the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeLimits {
    /// A larger file cannot be read.
    pub max_file_bytes: u64,
    /// A tree with more files cannot be listed.
    pub max_files: usize,
}

impl Default for TreeLimits {
    fn default() -> TreeLimits {
        TreeLimits {
            max_file_bytes: 10 << 20,
            max_files: 20_000,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    #[error("{0}: no such file")]
    NotFound(String),
    #[error("{path} leads outside the documentation source{}", via_suffix(.via))]
    Escapes { path: String, via: Option<String> },
    #[error("{path} is {size} bytes, more than the limit of {limit} bytes")]
    TooLarge { path: String, size: u64, limit: u64 },
    #[error("the documentation source has more than {limit} files")]
    TooManyFiles { limit: usize },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Git(String),
}

fn via_suffix(via: &Option<String>) -> String {
    match via {
        Some(link) => format!(" (through the symbolic link {link})"),
        None => String::new(),
    }
}

/// `path` as components with `.` dropped and `..` applied, or `None` when it
/// is absolute or climbs above the root. Backslashes are separators too, so
/// a Windows-style `..\..\x` cannot slip through.
pub fn normalize(path: &str) -> Option<Vec<&str>> {
    if path.starts_with('/') || path.starts_with('\\') || has_drive(path) {
        return None;
    }
    let mut out: Vec<&str> = Vec::new();
    for part in path.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            name => out.push(name),
        }
    }
    Some(out)
}

fn has_drive(path: &str) -> bool {
    let bytes = path.as_bytes();
    bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':'
}

/// The checked, normalized form of a path handed to [`DocTree::read`].
pub(crate) fn checked(path: &str) -> Result<String, TreeError> {
    match normalize(path) {
        Some(parts) if !parts.is_empty() => Ok(parts.join("/")),
        Some(_) => Err(TreeError::NotFound(path.to_string())),
        None => Err(TreeError::Escapes {
            path: path.to_string(),
            via: None,
        }),
    }
}

/// A digest of every path and content of the tree: equal keys mean the same
/// site. Used as the etag of a directory source (a git source has its
/// commit instead).
pub fn content_key(tree: &dyn DocTree) -> Result<String, TreeError> {
    let mut hasher = Sha1::new();
    for path in tree.files()? {
        let bytes = tree.read(&path)?;
        // Lengths delimit the fields, so ("ab", "c") and ("a", "bc") differ.
        hasher.update((path.len() as u64).to_le_bytes());
        hasher.update(path.as_bytes());
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    Ok(hex::encode(hasher.finalize()))
}
