//! Files of one commit, read from the object database without a work tree.

use std::collections::VecDeque;
use std::path::PathBuf;

use gix::objs::tree::EntryKind;
use gix::ObjectId;

use crate::error::{chain, GitError, TreeError};
use crate::paths::split_repo_path;
use crate::{handles, tree_walk, RepoUrl};

/// At most this many symbolic links are followed for one path, as Linux does.
const MAX_HOPS: usize = 40;
/// Longer link targets are not paths (Linux's PATH_MAX).
const MAX_LINK_TARGET: u64 = 4096;

/// One commit of a repository. Holds the repository's path and the root tree
/// id; the repository handle itself is cached per thread.
#[derive(Debug, Clone)]
pub struct Snapshot {
    repo_path: PathBuf,
    commit: String,
    tree: ObjectId,
}

/// What a path names once its symbolic links are followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    Tree(ObjectId),
    Blob(ObjectId),
    /// A submodule.
    Commit,
    /// A symbolic link that was not followed (the last component, when
    /// asked not to follow it).
    Link,
}

pub(crate) struct Resolution {
    pub path: Vec<String>,
    pub found: Found,
}

impl Snapshot {
    pub(crate) fn open(
        url: &RepoUrl,
        repo_path: PathBuf,
        commit: &str,
    ) -> Result<Snapshot, GitError> {
        let not_found = || GitError::CommitNotFound {
            url: url.to_string(),
            commit: commit.to_string(),
        };
        if commit.len() != 40 {
            return Err(not_found());
        }
        let id = ObjectId::from_hex(commit.as_bytes()).map_err(|_| not_found())?;
        let tree = handles::with_repo(&repo_path, |repo| match repo.try_find_object(id) {
            Ok(Some(object)) => match object.try_into_commit() {
                Ok(found) => found
                    .tree_id()
                    .map(|t| t.detach())
                    .map_err(|e| GitError::repository(url, chain(&e))),
                Err(_) => Err(not_found()),
            },
            Ok(None) => Err(not_found()),
            Err(e) => Err(GitError::repository(url, chain(&e))),
        })
        .map_err(|message| GitError::repository(url, message))??;
        Ok(Snapshot {
            repo_path,
            commit: id.to_string(),
            tree,
        })
    }

    /// The commit, 40 hex digits.
    pub fn commit(&self) -> &str {
        &self.commit
    }

    /// The content of the file at `path` (repository-relative, `/`
    /// separated, a leading `/` or `./` accepted).
    ///
    /// `..` is applied lexically before anything is looked up, and a path
    /// that climbs above the root is refused with
    /// [`TreeError::OutsideRepository`], never clamped. Symbolic links are
    /// followed component by component within the repository only.
    pub fn read(&self, path: &str, limit: u64) -> Result<Vec<u8>, TreeError> {
        self.with_repo(|repo| {
            let resolution = resolve(repo, self.tree, path, true)?;
            let Found::Blob(id) = resolution.found else {
                return Err(TreeError::NotAFile(display(path)));
            };
            let header = repo.find_header(id).map_err(git)?;
            if header.size() > limit {
                return Err(TreeError::TooLarge {
                    path: display(path),
                    size: header.size(),
                    limit,
                });
            }
            let mut blob = repo.find_blob(id).map_err(git)?;
            Ok(blob.take_data())
        })
    }

    /// `path` with every symbolic link resolved: repository-relative, no
    /// leading `/`, empty for the root. Works for files and directories.
    pub fn canonical(&self, path: &str) -> Result<String, TreeError> {
        self.with_repo(|repo| Ok(resolve(repo, self.tree, path, true)?.path.join("/")))
    }

    /// Regular files (and symbolic links to regular files in the
    /// repository) whose path matches `pattern`, sorted, at most `cap`.
    ///
    /// `pattern` uses the `glob` crate's syntax with literal separators and
    /// leading dots: `*` stays within a directory, `**` crosses them, and
    /// dot files match only where the pattern spells the dot. Only the
    /// directory named by the pattern's literal prefix is walked, and
    /// symbolic links to directories are not descended into.
    pub fn glob(&self, pattern: &str, cap: usize) -> Result<Vec<String>, TreeError> {
        self.with_repo(|repo| tree_walk::glob(repo, self.tree, pattern, cap))
    }

    fn with_repo<T>(
        &self,
        f: impl FnOnce(&gix::Repository) -> Result<T, TreeError>,
    ) -> Result<T, TreeError> {
        handles::with_repo(&self.repo_path, f).map_err(TreeError::Git)?
    }
}

pub(crate) fn git(e: gix::Error) -> TreeError {
    TreeError::Git(chain(&e))
}

fn display(path: &str) -> String {
    path.trim_start_matches('/').to_string()
}

/// The entries of a tree: name, kind and id.
pub(crate) fn entries(
    repo: &gix::Repository,
    tree: ObjectId,
) -> Result<Vec<(Vec<u8>, EntryKind, ObjectId)>, TreeError> {
    let tree = repo.find_tree(tree).map_err(git)?;
    let decoded = tree.decode().map_err(git)?;
    Ok(decoded
        .entries
        .iter()
        .map(|e| (e.filename.to_vec(), e.mode.kind(), e.oid.to_owned()))
        .collect())
}

fn find_entry(
    repo: &gix::Repository,
    tree: ObjectId,
    name: &str,
) -> Result<Option<(EntryKind, ObjectId)>, TreeError> {
    let tree = repo.find_tree(tree).map_err(git)?;
    let decoded = tree.decode().map_err(git)?;
    Ok(decoded
        .entries
        .iter()
        .find(|e| e.filename == name.as_bytes())
        .map(|e| (e.mode.kind(), e.oid.to_owned())))
}

fn read_link(repo: &gix::Repository, id: ObjectId, link: &str) -> Result<String, TreeError> {
    let header = repo.find_header(id).map_err(git)?;
    if header.size() > MAX_LINK_TARGET {
        return Err(TreeError::Git(format!(
            "symbolic link {link} has a target of {} bytes",
            header.size()
        )));
    }
    let mut blob = repo.find_blob(id).map_err(git)?;
    Ok(String::from_utf8_lossy(&blob.take_data()).into_owned())
}

/// Walks `path` from the root tree, following symbolic links (the last
/// component too when `follow_last`).
///
/// The input path is normalized lexically first; `..` in a link target is
/// applied to the directory the link is in, as the kernel does.
pub(crate) fn resolve(
    repo: &gix::Repository,
    root: ObjectId,
    path: &str,
    follow_last: bool,
) -> Result<Resolution, TreeError> {
    let shown = display(path);
    let Some(components) = split_repo_path(path) else {
        return Err(TreeError::OutsideRepository {
            link: shown.clone(),
            path: shown,
        });
    };
    let mut pending: VecDeque<String> = components.into_iter().map(str::to_string).collect();
    // The directories walked so far, each with its tree.
    let mut dirs: Vec<(String, ObjectId)> = Vec::new();
    let mut hops = 0;
    let mut last_link = String::new();
    while let Some(name) = pending.pop_front() {
        match name.as_str() {
            "" | "." => continue,
            ".." => {
                if dirs.pop().is_none() {
                    return Err(TreeError::OutsideRepository {
                        path: shown,
                        link: last_link,
                    });
                }
                continue;
            }
            _ => {}
        }
        let tree = dirs.last().map_or(root, |(_, id)| *id);
        let Some((kind, id)) = find_entry(repo, tree, &name)? else {
            return Err(TreeError::NotFound(shown));
        };
        let is_last = pending.iter().all(|c| c.is_empty() || c == ".");
        match kind {
            EntryKind::Tree => dirs.push((name, id)),
            EntryKind::Link if !is_last || follow_last => {
                hops += 1;
                let link = join(&dirs, &name);
                if hops > MAX_HOPS {
                    return Err(TreeError::SymlinkLoop(shown));
                }
                let target = read_link(repo, id, &link)?;
                if target.starts_with('/') {
                    return Err(TreeError::OutsideRepository { path: shown, link });
                }
                if target.is_empty() {
                    return Err(TreeError::NotFound(shown));
                }
                for component in target.split('/').rev() {
                    pending.push_front(component.to_string());
                }
                last_link = link;
            }
            _ if !is_last => {
                // A file or submodule used as a directory.
                return Err(TreeError::NotFound(shown));
            }
            kind => {
                let found = match kind {
                    EntryKind::Blob | EntryKind::BlobExecutable => Found::Blob(id),
                    EntryKind::Link => Found::Link,
                    _ => Found::Commit,
                };
                let mut path: Vec<String> = dirs.into_iter().map(|(n, _)| n).collect();
                path.push(name);
                return Ok(Resolution { path, found });
            }
        }
    }
    let tree = dirs.last().map_or(root, |(_, id)| *id);
    Ok(Resolution {
        path: dirs.into_iter().map(|(n, _)| n).collect(),
        found: Found::Tree(tree),
    })
}

fn join(dirs: &[(String, ObjectId)], name: &str) -> String {
    let mut out = String::new();
    for (dir, _) in dirs {
        out.push_str(dir);
        out.push('/');
    }
    out.push_str(name);
    out
}
