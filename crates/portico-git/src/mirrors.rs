//! Resolving references: local repositories in place, remote ones through
//! a mirror under the cache directory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use sha1::{Digest, Sha1};

use crate::error::{chain, GitError};
use crate::snapshot::Snapshot;
use crate::{fetch, handles, GitOptions, RepoUrl, Resolved};

/// Mirrors of remote repositories and readers of local ones. Shared by all
/// threads of the process.
pub struct GitMirrors {
    opts: GitOptions,
    /// One per mirror, so that two threads never fetch into it at once.
    locks: Mutex<HashMap<PathBuf, Arc<Mutex<()>>>>,
}

impl GitMirrors {
    pub fn new(opts: GitOptions) -> GitMirrors {
        GitMirrors {
            opts,
            locks: Mutex::new(HashMap::new()),
        }
    }

    /// The commit `reference` names now: a branch (`main`), a full ref
    /// (`refs/heads/main`, `refs/tags/v1.0`), or `None` for the
    /// repository's HEAD. A branch is preferred over a tag of the same name.
    ///
    /// Local repositories are read in place. For a remote one the refs are
    /// listed, and the commit is fetched into the mirror only when the
    /// mirror lacks it.
    pub fn resolve(&self, url: &RepoUrl, reference: Option<&str>) -> Result<Resolved, GitError> {
        let started = Instant::now();
        let result = match url.local_path() {
            Some(path) => resolve_local(url, path, reference),
            None => self.resolve_remote(url, reference),
        };
        let ms = started.elapsed().as_millis();
        match &result {
            Ok(resolved) => tracing::debug!(
                url = %url,
                reference = reference.unwrap_or("HEAD"),
                commit = %resolved.commit,
                fetched = resolved.fetched,
                ms,
                "resolved git reference"
            ),
            Err(error) => tracing::debug!(
                url = %url,
                reference = reference.unwrap_or("HEAD"),
                ms,
                %error,
                "git reference not resolved"
            ),
        }
        result
    }

    /// The files of `url` at `commit`, which [`GitMirrors::resolve`] made
    /// available.
    pub fn snapshot(&self, url: &RepoUrl, commit: &str) -> Result<Snapshot, GitError> {
        let path = match url.local_path() {
            Some(path) => path.to_path_buf(),
            None => {
                let path = self.mirror_path(url);
                if !path.exists() {
                    return Err(GitError::CommitNotFound {
                        url: url.to_string(),
                        commit: commit.to_string(),
                    });
                }
                path
            }
        };
        Snapshot::open(url, path, commit)
    }

    fn resolve_remote(&self, url: &RepoUrl, reference: Option<&str>) -> Result<Resolved, GitError> {
        let mirror = self.mirror_path(url);
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            locks.entry(mirror.clone()).or_default().clone()
        };
        fetch::run(
            fetch::Job {
                url: url.clone(),
                mirror,
                reference: reference.map(str::to_string),
                timeout: self.opts.fetch_timeout,
                max_bytes: self.opts.max_fetch_bytes,
                credential: url.host().and_then(|host| {
                    self.opts
                        .credentials
                        .iter()
                        .find(|c| c.host.eq_ignore_ascii_case(host))
                        .cloned()
                }),
            },
            lock,
        )
    }

    fn mirror_path(&self, url: &RepoUrl) -> PathBuf {
        self.opts.cache_dir.join(mirror_name(url))
    }
}

/// `<readable slug>-<16 hex of sha1(canonical url)>.git`: the slug is for
/// people looking at the directory, the hash keeps distinct URLs apart.
pub(crate) fn mirror_name(url: &RepoUrl) -> String {
    let digest = Sha1::digest(url.as_str().as_bytes());
    let hash = hex::encode(digest);
    let mut slug = String::new();
    for c in url.identity().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
        if slug.len() >= 60 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    let short = hash.get(..16).unwrap_or(&hash);
    if slug.is_empty() {
        format!("{short}.git")
    } else {
        format!("{slug}-{short}.git")
    }
}

fn resolve_local(
    url: &RepoUrl,
    path: &Path,
    reference: Option<&str>,
) -> Result<Resolved, GitError> {
    handles::with_repo(path, |repo| lookup(repo, url, reference))
        .map_err(|message| GitError::repository(url, message))?
}

/// The full ref names `reference` may stand for, most preferred first.
/// `None` for names no ref can have, which are simply not found.
pub(crate) fn candidates(reference: &str) -> Option<Vec<String>> {
    let bad = reference.is_empty()
        || reference.starts_with(['-', '/'])
        || reference.ends_with(['/', '.'])
        || reference.contains("..")
        || reference.contains("//")
        || reference.contains("@{")
        || reference
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "*?[\\:^~".contains(c));
    if bad {
        return None;
    }
    if reference.starts_with("refs/") {
        Some(vec![reference.to_string()])
    } else {
        Some(vec![
            format!("refs/heads/{reference}"),
            format!("refs/tags/{reference}"),
        ])
    }
}

fn lookup(
    repo: &gix::Repository,
    url: &RepoUrl,
    reference: Option<&str>,
) -> Result<Resolved, GitError> {
    let not_found = |name: &str| GitError::RefNotFound {
        url: url.to_string(),
        reference: name.to_string(),
    };
    let broken = |name: &str, e: &gix::Error| {
        GitError::repository(
            url,
            format!("reference {name} could not be read: {}", chain(e)),
        )
    };
    let wanted = reference.filter(|r| *r != "HEAD");
    let Some(wanted) = wanted else {
        let mut head = repo.head().map_err(|e| broken("HEAD", &e))?;
        let name = head
            .referent_name()
            .map_or_else(|| "HEAD".to_string(), |n| n.as_bstr().to_string());
        if head.is_unborn() {
            return Err(not_found(reference.unwrap_or(name.as_str())));
        }
        let commit = head.peel_to_commit().map_err(|e| broken(&name, &e))?;
        return Ok(Resolved {
            commit: commit.id().to_string(),
            reference: name,
            fetched: false,
        });
    };
    for name in candidates(wanted).ok_or_else(|| not_found(wanted))? {
        let found = repo
            .try_find_reference(name.as_str())
            .map_err(|e| broken(&name, &e))?;
        if let Some(mut found) = found {
            let commit = found.peel_to_commit().map_err(|e| broken(&name, &e))?;
            return Ok(Resolved {
                commit: commit.id().to_string(),
                reference: name,
                fetched: false,
            });
        }
    }
    Err(not_found(wanted))
}
