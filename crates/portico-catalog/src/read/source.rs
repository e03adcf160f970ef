//! Where a location's files come from. The tree walk, placeholders and
//! nested targets are the same for a directory on disk and for a commit of a
//! git repository; only these few operations differ.
//!
//! Paths are absolute: real paths for the filesystem, and paths rooted at the
//! repository (`/services/a/catalog-info.yaml`) for git. Lexical `..` can then
//! never climb above a repository's root, because `/..` is `/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::files::{self, FileError};
use super::ReadOptions;

/// Why a path has no canonical form; the text is the source's own message.
#[derive(Debug)]
pub(crate) enum Unresolved {
    /// Nothing is there.
    Missing(String),
    /// Something is there but cannot be followed (a link leading outside the
    /// repository, a permission).
    Other(String),
}

impl std::fmt::Display for Unresolved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unresolved::Missing(message) | Unresolved::Other(message) => f.write_str(message),
        }
    }
}

pub(crate) trait Source {
    /// The path with links resolved: what "already read" and cycle checks
    /// compare.
    fn canonical(&self, path: &Path) -> Result<PathBuf, Unresolved>;
    /// Whether a canonical path may be read at all.
    fn allows(&self, canonical: &Path) -> bool;
    /// Whether anything is at `path`. A link leading outside a repository
    /// counts: reading it then says why it is refused, rather than that
    /// nothing is there.
    fn exists(&self, path: &Path) -> bool {
        !matches!(self.canonical(path), Err(Unresolved::Missing(_)))
    }
    fn read(&self, path: &Path, limit: u64) -> Result<Vec<u8>, FileError>;
    /// Files matching `pattern` (relative to `dir` unless absolute), sorted, at most `cap`.
    fn glob(&self, dir: &Path, pattern: &str, cap: usize) -> Result<Vec<PathBuf>, String>;
    /// How a file is named in problems and in an entity's source file.
    fn describe(&self, path: &Path) -> String;
    /// `type:target` of a file: the entity's `backstage.io/managed-by-location`.
    fn location_of(&self, path: &Path) -> String;
    /// Annotations describing where an entity read from `path` lives
    /// (source, view and edit URLs, commit). Set only where absent, except
    /// the commit, which is a fact of the read.
    fn annotate(&self, path: &Path, annotations: &mut BTreeMap<String, String>);
    /// The type nested Location entities have when they name none.
    fn nested_type(&self) -> &str;
}

/// The local filesystem, confined to the allowed roots.
pub(crate) struct FsSource<'o> {
    pub opts: &'o ReadOptions,
}

impl Source for FsSource<'_> {
    fn canonical(&self, path: &Path) -> Result<PathBuf, Unresolved> {
        path.canonicalize().map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Unresolved::Missing(e.to_string()),
            _ => Unresolved::Other(e.to_string()),
        })
    }

    fn allows(&self, canonical: &Path) -> bool {
        self.opts.allows(canonical)
    }

    // One stat, rather than resolving every link of the path.
    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }

    fn read(&self, path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
        files::read_limited(path, limit)
    }

    fn glob(&self, dir: &Path, pattern: &str, cap: usize) -> Result<Vec<PathBuf>, String> {
        files::expand_glob(dir, pattern, cap)
    }

    fn describe(&self, path: &Path) -> String {
        path.to_string_lossy().into_owned()
    }

    fn location_of(&self, path: &Path) -> String {
        format!("file:{}", path.display())
    }

    fn annotate(&self, _path: &Path, _annotations: &mut BTreeMap<String, String>) {}

    fn nested_type(&self) -> &str {
        "file"
    }
}
