//! A documentation source on the local filesystem.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::{checked, DocTree, TreeError, TreeLimits};

/// The files under one directory. Symbolic links are followed only while
/// their target stays under the root: documentation in a checkout must not
/// be able to publish `/etc/passwd` by linking to it.
#[derive(Debug, Clone)]
pub struct DirTree {
    /// Canonical, so that "inside the root" is a prefix test on canonical
    /// targets.
    root: PathBuf,
    limits: TreeLimits,
}

impl DirTree {
    pub fn open(root: &Path) -> Result<DirTree, TreeError> {
        DirTree::open_with(root, TreeLimits::default())
    }

    pub fn open_with(root: &Path, limits: TreeLimits) -> Result<DirTree, TreeError> {
        let shown = root.display().to_string();
        let canonical = root.canonicalize().map_err(|e| io_error(&shown, e))?;
        if !canonical.is_dir() {
            return Err(TreeError::Io {
                path: shown,
                source: std::io::Error::new(ErrorKind::NotADirectory, "not a directory"),
            });
        }
        Ok(DirTree {
            root: canonical,
            limits,
        })
    }

    /// The canonical root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn inside(&self, path: &Path) -> bool {
        path.starts_with(&self.root)
    }

    /// The first symbolic link on `rel` whose target leaves the root: what
    /// an escape error names.
    fn escaping_link(&self, rel: &str) -> Option<String> {
        let mut at = self.root.clone();
        let mut shown = Vec::new();
        for part in rel.split('/') {
            at.push(part);
            shown.push(part);
            let is_link = at
                .symlink_metadata()
                .is_ok_and(|m| m.file_type().is_symlink());
            if is_link && at.canonicalize().is_ok_and(|t| !self.inside(&t)) {
                return Some(shown.join("/"));
            }
        }
        None
    }
}

fn io_error(path: &str, source: std::io::Error) -> TreeError {
    if source.kind() == ErrorKind::NotFound {
        TreeError::NotFound(path.to_string())
    } else {
        TreeError::Io {
            path: path.to_string(),
            source,
        }
    }
}

impl DocTree for DirTree {
    fn files(&self) -> Result<Vec<String>, TreeError> {
        let mut out = Vec::new();
        // Each directory to walk carries the canonical directories above
        // it: a link to one of them would loop, so it is not followed. Other
        // links to directories are walked under their own name, as a reader
        // of the checkout would see them.
        let mut stack: Vec<(PathBuf, String, Vec<PathBuf>)> =
            vec![(self.root.clone(), String::new(), Vec::new())];
        let mut walked = 0usize;
        while let Some((dir, prefix, mut above)) = stack.pop() {
            // Links can make a tree of empty directories wide; the file
            // limit bounds the walk as well.
            walked += 1;
            if walked > self.limits.max_files {
                return Err(TreeError::TooManyFiles {
                    limit: self.limits.max_files,
                });
            }
            let shown = if prefix.is_empty() { "." } else { &prefix };
            let entries = std::fs::read_dir(&dir).map_err(|e| io_error(shown, e))?;
            above.push(dir);
            for entry in entries {
                let entry = entry.map_err(|e| io_error(shown, e))?;
                // A name that is not UTF-8 cannot be linked to from Markdown.
                let Ok(name) = entry.file_name().into_string() else {
                    continue;
                };
                if name == ".git" {
                    continue;
                }
                let rel = if prefix.is_empty() {
                    name
                } else {
                    format!("{prefix}/{name}")
                };
                let path = entry.path();
                let kind = entry.file_type().map_err(|e| io_error(&rel, e))?;
                let (is_file, is_dir, canonical) = if kind.is_symlink() {
                    // Dangling links and links out of the root are not part
                    // of the tree.
                    let Ok(target) = path.canonicalize() else {
                        continue;
                    };
                    if !self.inside(&target) {
                        tracing::debug!(path = %rel, "symbolic link out of the documentation source skipped");
                        continue;
                    }
                    (target.is_file(), target.is_dir(), target)
                } else {
                    // Walked paths are canonical already: the root is, and
                    // links are replaced by their targets.
                    (kind.is_file(), kind.is_dir(), path)
                };
                if is_file {
                    out.push(rel);
                    if out.len() > self.limits.max_files {
                        return Err(TreeError::TooManyFiles {
                            limit: self.limits.max_files,
                        });
                    }
                } else if is_dir && !above.contains(&canonical) {
                    stack.push((canonical, rel, above.clone()));
                }
            }
        }
        out.sort();
        Ok(out)
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, TreeError> {
        let rel = checked(path)?;
        let full = self.root.join(&rel);
        let target = full.canonicalize().map_err(|e| io_error(&rel, e))?;
        if !self.inside(&target) {
            return Err(TreeError::Escapes {
                via: self.escaping_link(&rel),
                path: rel,
            });
        }
        let meta = target.metadata().map_err(|e| io_error(&rel, e))?;
        if !meta.is_file() {
            return Err(TreeError::NotFound(rel));
        }
        if meta.len() > self.limits.max_file_bytes {
            return Err(TreeError::TooLarge {
                path: rel,
                size: meta.len(),
                limit: self.limits.max_file_bytes,
            });
        }
        std::fs::read(&target).map_err(|e| io_error(&rel, e))
    }

    fn describe(&self) -> String {
        format!("directory {}", self.root.display())
    }
}
