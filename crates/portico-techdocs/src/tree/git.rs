//! A documentation source inside a repository at one commit.

use portico_git::{Snapshot, TreeError as GitTreeError};

use super::{checked, normalize, DocTree, TreeError, TreeLimits};

/// The files under `dir` of a [`Snapshot`]. Symbolic links are followed
/// only while they stay under `dir`, as [`super::DirTree`] does for its
/// root.
///
/// Listing goes through [`Snapshot::glob`], which skips names starting with
/// a dot: dot files are not part of the tree (mkdocs ignores them anyway).
#[derive(Debug, Clone)]
pub struct GitTree {
    snapshot: Snapshot,
    /// Normalized, no leading or trailing `/`; empty for the repository root.
    dir: String,
    limits: TreeLimits,
}

impl GitTree {
    /// `dir` is repository-relative; `""` or `"."` is the repository root.
    /// A `dir` that climbs out of the repository names nothing: listing it
    /// is an error.
    pub fn new(snapshot: Snapshot, dir: &str) -> GitTree {
        GitTree::with_limits(snapshot, dir, TreeLimits::default())
    }

    pub fn with_limits(snapshot: Snapshot, dir: &str, limits: TreeLimits) -> GitTree {
        let dir = match normalize(dir.trim_start_matches('/')) {
            Some(parts) => parts.join("/"),
            // Kept as given, so every use reports the escape.
            None => dir.to_string(),
        };
        GitTree {
            snapshot,
            dir,
            limits,
        }
    }

    fn full(&self, rel: &str) -> String {
        if self.dir.is_empty() {
            rel.to_string()
        } else {
            format!("{}/{rel}", self.dir)
        }
    }

    fn dir_is_valid(&self) -> Result<(), TreeError> {
        if normalize(&self.dir).is_some() {
            Ok(())
        } else {
            Err(TreeError::Escapes {
                path: self.dir.clone(),
                via: None,
            })
        }
    }

    fn map(&self, e: GitTreeError) -> TreeError {
        match e {
            GitTreeError::NotFound(path) | GitTreeError::NotAFile(path) => {
                TreeError::NotFound(self.relative(&path))
            }
            GitTreeError::TooLarge { path, size, limit } => TreeError::TooLarge {
                path: self.relative(&path),
                size,
                limit,
            },
            GitTreeError::OutsideRepository { path, link } => TreeError::Escapes {
                path: self.relative(&path),
                via: Some(link),
            },
            other => TreeError::Git(other.to_string()),
        }
    }

    fn relative(&self, path: &str) -> String {
        if self.dir.is_empty() {
            return path.to_string();
        }
        path.strip_prefix(&self.dir)
            .and_then(|p| p.strip_prefix('/'))
            .unwrap_or(path)
            .to_string()
    }
}

impl DocTree for GitTree {
    fn files(&self) -> Result<Vec<String>, TreeError> {
        self.dir_is_valid()?;
        let pattern = if self.dir.is_empty() {
            "**".to_string()
        } else {
            format!("{}/**", self.dir)
        };
        // One more than the cap tells "exactly the cap" from "too many".
        let cap = self.limits.max_files.saturating_add(1);
        let found = self.snapshot.glob(&pattern, cap).map_err(|e| self.map(e))?;
        if found.len() > self.limits.max_files {
            return Err(TreeError::TooManyFiles {
                limit: self.limits.max_files,
            });
        }
        let prefix = format!("{}/", self.dir);
        let mut out = Vec::with_capacity(found.len());
        for path in found {
            let rel = self.relative(&path);
            // Git stores no `.git` entries, but a vendored tree may.
            if rel.split('/').any(|c| c == ".git") {
                continue;
            }
            // A link inside the repository but out of `dir` is out of the
            // tree, as for a directory source.
            match self.snapshot.canonical(&path) {
                Ok(canonical) if self.dir.is_empty() || canonical.starts_with(&prefix) => {
                    out.push(rel)
                }
                _ => {}
            }
        }
        out.sort();
        Ok(out)
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, TreeError> {
        self.dir_is_valid()?;
        let rel = checked(path)?;
        let full = self.full(&rel);
        let canonical = self.snapshot.canonical(&full).map_err(|e| self.map(e))?;
        let prefix = format!("{}/", self.dir);
        if !self.dir.is_empty() && !canonical.starts_with(&prefix) {
            return Err(TreeError::Escapes {
                path: rel,
                via: None,
            });
        }
        self.snapshot
            .read(&canonical, self.limits.max_file_bytes)
            .map_err(|e| self.map(e))
    }

    fn describe(&self) -> String {
        let dir = if self.dir.is_empty() { "." } else { &self.dir };
        format!("{dir} at commit {}", self.snapshot.commit())
    }
}
