//! Glob matching over a commit's tree.

use gix::objs::tree::EntryKind;
use gix::ObjectId;

use crate::error::TreeError;
use crate::paths::split_repo_path;
use crate::snapshot::{entries, resolve, Found};

/// Entries a single glob may visit; beyond this the pattern is too broad
/// for the repository and the caller is told so instead of waiting.
const MAX_VISITED: usize = 1_000_000;

const OPTIONS: glob::MatchOptions = glob::MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: true,
};

fn has_wildcard(component: &str) -> bool {
    component.contains(['*', '?', '['])
}

pub(crate) fn glob(
    repo: &gix::Repository,
    root: ObjectId,
    pattern: &str,
    cap: usize,
) -> Result<Vec<String>, TreeError> {
    let invalid =
        |why: String| TreeError::InvalidPattern(format!("invalid glob pattern {pattern:?}: {why}"));
    let components = split_repo_path(pattern)
        .ok_or_else(|| invalid("it leads outside the repository".to_string()))?;
    if components.is_empty() {
        return Err(invalid("it names no file".to_string()));
    }
    let normalized = components.join("/");
    let compiled = glob::Pattern::new(&normalized).map_err(|e| invalid(e.to_string()))?;
    if cap == 0 {
        return Ok(Vec::new());
    }
    let literal = components.iter().take_while(|c| !has_wildcard(c)).count();
    if literal == components.len() {
        // No wildcard: the pattern names one path.
        return match resolve(repo, root, &normalized, true) {
            Ok(found) if matches!(found.found, Found::Blob(_)) => Ok(vec![normalized]),
            Ok(_) | Err(TreeError::NotFound(_)) => Ok(Vec::new()),
            Err(TreeError::OutsideRepository { .. } | TreeError::SymlinkLoop(_)) => Ok(Vec::new()),
            Err(e) => Err(e),
        };
    }
    let prefix = components[..literal].join("/");
    let start = match resolve(repo, root, &prefix, true) {
        Ok(found) => match found.found {
            Found::Tree(id) => id,
            _ => return Ok(Vec::new()),
        },
        Err(
            TreeError::NotFound(_)
            | TreeError::OutsideRepository { .. }
            | TreeError::SymlinkLoop(_),
        ) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    // Without `**` nothing deeper than the pattern can match.
    let max_depth = if normalized.contains("**") {
        usize::MAX
    } else {
        components.len() - literal
    };
    let mut walk = Walk {
        repo,
        root,
        compiled: &compiled,
        cap,
        max_depth,
        visited: 0,
        found: Vec::new(),
    };
    walk.run(start, prefix)?;
    let mut found = walk.found;
    found.sort();
    found.truncate(cap);
    Ok(found)
}

struct Walk<'a> {
    repo: &'a gix::Repository,
    root: ObjectId,
    compiled: &'a glob::Pattern,
    cap: usize,
    max_depth: usize,
    visited: usize,
    found: Vec<String>,
}

struct Frame {
    dir: String,
    depth: usize,
    entries: std::vec::IntoIter<(Vec<u8>, EntryKind, ObjectId)>,
}

impl Walk<'_> {
    /// Depth first in tree order. Git orders entries so that this visits
    /// full paths in byte order, so stopping at `cap` keeps the first `cap`
    /// of the sorted result.
    fn run(&mut self, start: ObjectId, dir: String) -> Result<(), TreeError> {
        let mut stack = vec![Frame {
            dir,
            depth: 1,
            entries: entries(self.repo, start)?.into_iter(),
        }];
        while let Some(frame) = stack.last_mut() {
            let Some((name, kind, id)) = frame.entries.next() else {
                stack.pop();
                continue;
            };
            self.visited += 1;
            if self.visited > MAX_VISITED {
                return Err(TreeError::Git(format!(
                    "glob pattern {} visits more than {MAX_VISITED} entries",
                    self.compiled.as_str()
                )));
            }
            // Names that are not UTF-8 cannot match a UTF-8 pattern.
            let Ok(name) = String::from_utf8(name) else {
                continue;
            };
            let path = if frame.dir.is_empty() {
                name
            } else {
                format!("{}/{name}", frame.dir)
            };
            let depth = frame.depth;
            match kind {
                EntryKind::Tree => {
                    if depth < self.max_depth {
                        stack.push(Frame {
                            dir: path,
                            depth: depth + 1,
                            entries: entries(self.repo, id)?.into_iter(),
                        });
                    }
                }
                EntryKind::Blob | EntryKind::BlobExecutable => {
                    if self.compiled.matches_with(&path, OPTIONS) {
                        self.found.push(path);
                    }
                }
                EntryKind::Link => {
                    if self.compiled.matches_with(&path, OPTIONS) && self.is_file(&path)? {
                        self.found.push(path);
                    }
                }
                EntryKind::Commit => {}
            }
            if self.found.len() >= self.cap {
                break;
            }
        }
        Ok(())
    }

    fn is_file(&self, path: &str) -> Result<bool, TreeError> {
        match resolve(self.repo, self.root, path, true) {
            Ok(found) => Ok(matches!(found.found, Found::Blob(_))),
            Err(TreeError::Git(message)) => Err(TreeError::Git(message)),
            Err(_) => Ok(false),
        }
    }
}
