//! Where an entity's TechDocs live. The catalog owns this answer because it
//! owns what the answer depends on: how a location target names a file, and
//! which directories, hosts and repositories this server may read.
//!
//! `backstage.io/techdocs-ref` takes two forms:
//! - `dir:<path>`: relative to the directory of the entity's catalog file,
//!   in the same file tree, or in the same repository at the same commit;
//! - `url:<url>`: a directory of a hosted repository (a forge tree URL such
//!   as `https://github.com/org/repo/tree/main/docs-root`, or a `git` target
//!   `<repo>//<dir>?ref=<branch>`), read at the ref's current commit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use portico_forge::HostedFile;
use portico_git::RepoUrl;
use portico_model::annotations::{MANAGED_BY_LOCATION, SOURCE_COMMIT, TECHDOCS_REF};

use super::files;
use super::git::{git_error, GitTarget};
use super::{ReadError, ReadOptions};

/// Why an entity's docs directory cannot be named or read.
#[derive(Debug, thiserror::Error)]
pub enum DocsOriginError {
    #[error("{0}")]
    Invalid(String),
    #[error(
        "docs directory {0} is outside the allowed file location roots (catalog.fileLocationRoots)"
    )]
    NotAllowed(String),
    #[error("docs directory {0}")]
    NotFound(String),
    #[error(transparent)]
    Read(#[from] ReadError),
}

/// The directory an entity's docs are built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocsOrigin {
    /// A directory on this machine, canonical and under an allowed root.
    Dir(PathBuf),
    /// A directory of a repository at one commit.
    Git {
        repo: RepoUrl,
        commit: String,
        /// Repository-relative, no leading or trailing `/`; empty for the root.
        dir: String,
        /// The forge the repository is on, when known: for edit links.
        hosted: Option<Box<HostedFile>>,
    },
}

/// The docs origin of an entity given its annotations; `None` when it has
/// no `backstage.io/techdocs-ref`. Touches the network only for `url:`
/// refs, whose branch is resolved to a commit.
pub fn docs_origin(
    annotations: &BTreeMap<String, String>,
    opts: &ReadOptions,
) -> Result<Option<DocsOrigin>, DocsOriginError> {
    let Some(reference) = annotations.get(TECHDOCS_REF) else {
        return Ok(None);
    };
    let reference = reference.trim();
    if let Some(dir) = reference.strip_prefix("dir:") {
        let location = annotations.get(MANAGED_BY_LOCATION).ok_or_else(|| {
            DocsOriginError::Invalid(format!(
                "{TECHDOCS_REF} '{reference}' is relative to the entity's catalog file, \
                 but the entity has no {MANAGED_BY_LOCATION} annotation"
            ))
        })?;
        return relative_origin(location, dir, annotations.get(SOURCE_COMMIT), opts).map(Some);
    }
    if let Some(url) = reference.strip_prefix("url:") {
        return url_origin(url, opts).map(Some);
    }
    Err(DocsOriginError::Invalid(format!(
        "{TECHDOCS_REF} '{reference}' must start with dir: or url:"
    )))
}

fn relative_origin(
    location: &str,
    dir: &str,
    commit: Option<&String>,
    opts: &ReadOptions,
) -> Result<DocsOrigin, DocsOriginError> {
    let (location_type, target) = location.split_once(':').ok_or_else(|| {
        DocsOriginError::Invalid(format!("{MANAGED_BY_LOCATION} '{location}' has no type"))
    })?;
    if location_type == "file" {
        let file = Path::new(target);
        let base = file.parent().unwrap_or(Path::new("/"));
        let path = files::join_normalized(base, dir);
        let canonical = path
            .canonicalize()
            .map_err(|e| DocsOriginError::NotFound(format!("{}: {e}", path.display())))?;
        if !opts.allows(&canonical) {
            return Err(DocsOriginError::NotAllowed(path.display().to_string()));
        }
        if !canonical.is_dir() {
            return Err(DocsOriginError::NotFound(format!(
                "{} is not a directory",
                path.display()
            )));
        }
        return Ok(DocsOrigin::Dir(canonical));
    }
    let target = GitTarget::parse(location_type, target)?;
    target.check_allowed(opts)?;
    let file_dir = target.path.rsplit_once('/').map_or("", |(d, _)| d);
    let dir = repo_relative(file_dir, dir)?;
    let commit = match commit {
        Some(commit) => commit.clone(),
        // An entity read before commits were recorded: follow the ref.
        None => resolve(&target, opts)?,
    };
    Ok(DocsOrigin::Git {
        repo: target.repo,
        commit,
        dir,
        hosted: target.hosted.map(Box::new),
    })
}

fn url_origin(url: &str, opts: &ReadOptions) -> Result<DocsOrigin, DocsOriginError> {
    // A go-getter `git` target, or a path on this machine; else a forge URL.
    let target = if (url.contains("//") && url.contains("?ref=")) || !url.contains("://") {
        GitTarget::parse("git", url)?
    } else {
        tree_target(url)?
    };
    target.check_allowed(opts)?;
    let commit = resolve(&target, opts)?;
    let dir = repo_relative("", &target.path)?;
    Ok(DocsOrigin::Git {
        repo: target.repo,
        commit,
        dir,
        hosted: target.hosted.map(Box::new),
    })
}

/// A forge URL of a directory (`.../tree/main/docs`) or of the repository
/// itself (`https://github.com/org/repo`).
fn tree_target(url: &str) -> Result<GitTarget, DocsOriginError> {
    match portico_forge::parse_file_url(url) {
        Ok(hosted) => {
            let repo = RepoUrl::parse(&hosted.repo_url)
                .map_err(|e| DocsOriginError::Read(git_error(e)))?;
            let reference = (!hosted.branch.is_empty()).then(|| hosted.branch.clone());
            Ok(GitTarget {
                repo,
                reference,
                path: hosted.path.trim_matches('/').to_string(),
                hosted: Some(hosted),
            })
        }
        // A bare repository URL: its root at HEAD.
        Err(_) => {
            let repo = RepoUrl::parse(url).map_err(|e| DocsOriginError::Read(git_error(e)))?;
            let hosted = portico_forge::hosted_file(repo.as_str(), "HEAD", "");
            Ok(GitTarget {
                repo,
                reference: None,
                path: String::new(),
                hosted,
            })
        }
    }
}

fn resolve(target: &GitTarget, opts: &ReadOptions) -> Result<String, DocsOriginError> {
    let resolved = opts
        .git
        .mirrors()
        .resolve(&target.repo, target.reference.as_deref())
        .map_err(|e| DocsOriginError::Read(git_error(e)))?;
    Ok(resolved.commit)
}

/// `base/rel` inside a repository, normalized; refuses to climb out of it.
fn repo_relative(base: &str, rel: &str) -> Result<String, DocsOriginError> {
    let joined = files::join_normalized(&Path::new("/").join(base), rel);
    let climbs = rel.split('/').filter(|c| *c == "..").count();
    let depth = base.split('/').filter(|c| !c.is_empty()).count();
    if climbs > depth {
        return Err(DocsOriginError::Invalid(format!(
            "docs directory '{rel}' leaves the repository"
        )));
    }
    Ok(joined.to_string_lossy().trim_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_relative_stays_inside() {
        assert_eq!(repo_relative("svc/a", ".").ok().as_deref(), Some("svc/a"));
        assert_eq!(
            repo_relative("svc/a", "../b").ok().as_deref(),
            Some("svc/b")
        );
        assert_eq!(repo_relative("", ".").ok().as_deref(), Some(""));
        assert!(repo_relative("svc", "../../etc").is_err());
        assert!(repo_relative("", "..").is_err());
    }
}
