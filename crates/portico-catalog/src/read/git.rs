//! Locations in git repositories. Two target forms name a repository, a ref
//! and a path:
//!
//! - `url`: a browser URL of a file on a forge
//!   (`https://github.com/org/repo/blob/main/catalog-info.yaml`, and the
//!   GitLab, Gitea and Bitbucket forms);
//! - `git`: any repository URL in the go-getter form
//!   `<repo-url>//<path-or-glob>?ref=<branch>`; the path defaults to
//!   `catalog-info.yaml` and the ref to the repository's HEAD.
//!
//! Both are read at one commit through [`portico_git::GitMirrors`]; the
//! commit stands for every file, so a refresh that finds the same commit
//! reads nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use portico_forge::HostedFile;
use portico_git::{GitError, RepoUrl, Resolved, Snapshot, TreeError};
use portico_model::annotations::{EDIT_URL, SOURCE_COMMIT, SOURCE_LOCATION, VIEW_URL};

use super::files::{self, FileError};
use super::location_tree::{self, Root};
use super::source::{Source, Unresolved};
use super::{LocationRead, LocationSpec, Problem, ReadError, ReadOptions};

/// The path a `git` target reads when it names none.
pub const DEFAULT_CATALOG_PATH: &str = "catalog-info.yaml";

/// A repository, a ref and a path (or glob) in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitTarget {
    pub repo: RepoUrl,
    /// Branch, tag or full ref; `None` follows the repository's HEAD.
    pub reference: Option<String>,
    /// Repository-relative, no leading `/`.
    pub path: String,
    /// The forge the repository is on, when known: for view and edit URLs.
    pub hosted: Option<HostedFile>,
}

impl GitTarget {
    /// Parses a `url` or `git` target. Touches no network.
    pub fn parse(location_type: &str, target: &str) -> Result<GitTarget, ReadError> {
        match location_type {
            "url" => parse_url_target(target),
            "git" => parse_git_target(target),
            other => Err(ReadError::UnsupportedType(other.to_string())),
        }
    }

    /// The `git` target text in its one canonical form, so that the same
    /// repository and path registered twice is recognised.
    pub fn git_target(&self) -> String {
        let mut out = format!("{}//{}", self.repo, self.path);
        if let Some(reference) = &self.reference {
            out.push_str("?ref=");
            out.push_str(reference);
        }
        out
    }

    /// Refuses repositories the configuration does not allow, before any
    /// network or disk access.
    pub fn check_allowed(&self, opts: &ReadOptions) -> Result<(), ReadError> {
        if self.repo.is_local() {
            let under_a_root = self.repo.local_path().is_some_and(|path| {
                // Lexically: `..` would climb out of a root unnoticed.
                !path
                    .components()
                    .any(|c| c == std::path::Component::ParentDir)
                    && opts
                        .local_repository_roots
                        .iter()
                        .any(|root| path.starts_with(root))
            });
            if opts.allow_local_repositories || under_a_root {
                return Ok(());
            }
            return Err(ReadError::LocalRepositoryNotAllowed(self.repo.to_string()));
        }
        let host = self.repo.host().unwrap_or_default();
        if opts.allows_host(host) {
            Ok(())
        } else {
            Err(ReadError::HostNotAllowed {
                url: self.repo.to_string(),
                host: host.to_string(),
            })
        }
    }
}

fn parse_url_target(target: &str) -> Result<GitTarget, ReadError> {
    let hosted = portico_forge::parse_file_url(target)
        .map_err(|e| ReadError::InvalidTarget(e.to_string()))?;
    let repo = RepoUrl::parse(&hosted.repo_url).map_err(git_error)?;
    let reference = (!hosted.branch.is_empty()).then(|| hosted.branch.clone());
    if hosted.path.is_empty() {
        return Err(ReadError::InvalidTarget(format!(
            "url target {target} names a repository, not a catalog file"
        )));
    }
    Ok(GitTarget {
        repo,
        reference,
        path: hosted.path.clone(),
        hosted: Some(hosted),
    })
}

/// `<repo-url>//<path>?ref=<ref>`.
fn parse_git_target(target: &str) -> Result<GitTarget, ReadError> {
    let invalid = |why: &str| {
        ReadError::InvalidTarget(format!(
            "git target {target} {why}; expected <repository-url>//<path-or-glob>?ref=<branch>, \
             e.g. https://git.example.com/org/repo.git//catalog-info.yaml?ref=main"
        ))
    };
    let (rest, reference) = match target.rsplit_once('?') {
        Some((rest, query)) => {
            let Some(reference) = query.strip_prefix("ref=") else {
                return Err(invalid("has a query other than ?ref="));
            };
            if reference.is_empty() || reference.contains(['&', ' ', '?']) {
                return Err(invalid("has an empty or malformed ?ref="));
            }
            (rest, Some(reference.to_string()))
        }
        None => (target, None),
    };
    // The `//` after the scheme's own `://` (and after the `/` that starts
    // the path of `file:///srv/x.git`) separates repository and path.
    let search_from = rest.find("://").map_or(1, |i| i + 4).min(rest.len());
    let (repo_text, path) = match rest[search_from..].find("//") {
        Some(i) => (&rest[..search_from + i], &rest[search_from + i + 2..]),
        None => (rest, ""),
    };
    if repo_text.is_empty() {
        return Err(invalid("names no repository"));
    }
    let path = if path.is_empty() {
        DEFAULT_CATALOG_PATH.to_string()
    } else {
        let normalized = files::normalize(&Path::new("/").join(path));
        let rel = normalized
            .to_string_lossy()
            .trim_start_matches('/')
            .to_string();
        if rel.is_empty() || path.split('/').any(|c| c == "..") {
            return Err(invalid("has a path that leaves the repository"));
        }
        rel
    };
    let repo = RepoUrl::parse(repo_text).map_err(git_error)?;
    let branch = reference.as_deref().unwrap_or("HEAD");
    let hosted = portico_forge::hosted_file(repo.as_str(), branch, &path);
    Ok(GitTarget {
        repo,
        reference,
        path,
        hosted,
    })
}

pub(crate) fn git_error(e: GitError) -> ReadError {
    match e {
        GitError::InvalidUrl { message, .. } => ReadError::InvalidTarget(message),
        GitError::RefNotFound { .. } => ReadError::NotFound(e.to_string()),
        other => ReadError::Git(other.to_string()),
    }
}

/// A git location resolved to a commit, not read yet: enough to tell
/// whether anything changed since the last read.
pub(super) struct Prepared {
    spec: LocationSpec,
    target: GitTarget,
    resolved: Resolved,
    pub content_hash: String,
}

pub(super) fn prepare(spec: &LocationSpec, opts: &ReadOptions) -> Result<Prepared, ReadError> {
    let target = GitTarget::parse(&spec.location_type, &spec.target)?;
    target.check_allowed(opts)?;
    let mirrors = opts.git.mirrors();
    let resolved = mirrors
        .resolve(&target.repo, target.reference.as_deref())
        .map_err(git_error)?;
    let content_hash = location_tree::source_hash(spec, resolved.commit.as_bytes());
    Ok(Prepared {
        spec: spec.clone(),
        target,
        resolved,
        content_hash,
    })
}

impl Prepared {
    pub(super) fn read(self, opts: &ReadOptions) -> Result<LocationRead, ReadError> {
        let Prepared {
            spec,
            target,
            resolved,
            content_hash,
        } = self;
        // Opened only now: an unchanged commit never gets this far.
        let snapshot = opts
            .git
            .mirrors()
            .snapshot(&target.repo, &resolved.commit)
            .map_err(git_error)?;
        // A file missing at a commit that was read is a definite answer, not
        // a failure to read: the read is complete and empty, so what the
        // location emitted before is orphaned (an unreachable repository, by
        // contrast, keeps everything). Registration still refuses it: it is
        // an error.
        let mut missing = None;
        let files = if files::is_glob(&target.path) {
            let cap = opts.max_files.saturating_add(1);
            let found = snapshot
                .glob(&target.path, cap)
                .map_err(|e| ReadError::InvalidTarget(e.to_string()))?;
            if found.is_empty() {
                missing = Some(format!(
                    "no file matches {} at commit {}",
                    target.path,
                    short(&resolved.commit)
                ));
            }
            found.iter().map(|p| rooted(p)).collect()
        } else {
            match snapshot.canonical(&target.path) {
                Ok(path) => vec![rooted(&path)],
                Err(TreeError::NotFound(_)) => {
                    missing = Some(format!(
                        "location target {} does not exist at commit {}",
                        target.path,
                        short(&resolved.commit)
                    ));
                    Vec::new()
                }
                Err(e) => {
                    return Err(ReadError::Unreadable {
                        path: spec.target.clone(),
                        message: e.to_string(),
                    })
                }
            }
        };
        let branch = resolved
            .reference
            .strip_prefix("refs/heads/")
            .or_else(|| resolved.reference.strip_prefix("refs/tags/"))
            .unwrap_or(&resolved.reference)
            .to_string();
        let hosted = match &target.hosted {
            Some(h) if target.reference.is_none() => {
                portico_forge::hosted_file(target.repo.as_str(), &branch, &target.path)
                    .or_else(|| Some(h.clone()))
            }
            other => other.clone(),
        };
        let source = GitSource {
            location_type: spec.location_type.clone(),
            target: &target,
            hosted,
            commit: resolved.commit.clone(),
            snapshot,
        };
        let root = Root {
            dir: PathBuf::from("/"),
            file: rooted(&target.path),
            files,
            content_hash: Some(content_hash),
        };
        let mut read = location_tree::read_tree(&spec, opts, &source, root);
        if let Some(message) = missing {
            read.problems
                .push(Problem::error(message).at(&source.describe(&rooted(&target.path)), None));
        }
        Ok(read)
    }
}

fn rooted(rel: &str) -> PathBuf {
    PathBuf::from(format!("/{}", rel.trim_start_matches('/')))
}

fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

/// One commit of a repository, as a [`Source`].
struct GitSource<'t> {
    location_type: String,
    target: &'t GitTarget,
    hosted: Option<HostedFile>,
    commit: String,
    snapshot: Snapshot,
}

impl GitSource<'_> {
    fn rel(path: &Path) -> String {
        path.to_string_lossy().trim_start_matches('/').to_string()
    }

    fn hosted_at(&self, rel: &str) -> Option<HostedFile> {
        self.hosted.as_ref().map(|h| h.with_path(rel))
    }

    fn ref_query(&self) -> String {
        match &self.target.reference {
            Some(r) => format!("?ref={r}"),
            None => String::new(),
        }
    }
}

impl Source for GitSource<'_> {
    fn canonical(&self, path: &Path) -> Result<PathBuf, Unresolved> {
        self.snapshot
            .canonical(&Self::rel(path))
            .map(|p| rooted(&p))
            .map_err(|e| match e {
                TreeError::NotFound(_) => Unresolved::Missing(e.to_string()),
                other => Unresolved::Other(other.to_string()),
            })
    }

    fn allows(&self, _canonical: &Path) -> bool {
        // Canonical paths of a snapshot never leave the repository.
        true
    }

    fn read(&self, path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
        self.snapshot
            .read(&Self::rel(path), limit)
            .map_err(|e| match e {
                TreeError::TooLarge { size, limit, .. } => FileError::TooLarge { size, limit },
                TreeError::NotAFile(_) => FileError::NotAFile,
                other => FileError::Other(other.to_string()),
            })
    }

    fn glob(&self, dir: &Path, pattern: &str, cap: usize) -> Result<Vec<PathBuf>, String> {
        let full = files::normalize(&dir.join(pattern));
        let rel = Self::rel(&full);
        self.snapshot
            .glob(&rel, cap)
            .map(|found| found.iter().map(|p| rooted(p)).collect())
            .map_err(|e| e.to_string())
    }

    fn describe(&self, path: &Path) -> String {
        let rel = Self::rel(path);
        match (&self.location_type[..], self.hosted_at(&rel)) {
            ("url", Some(hosted)) => hosted.view_url(),
            _ => format!("{}//{rel}", self.target.repo),
        }
    }

    fn location_of(&self, path: &Path) -> String {
        let rel = Self::rel(path);
        match (&self.location_type[..], self.hosted_at(&rel)) {
            ("url", Some(hosted)) => format!("url:{}", hosted.view_url()),
            _ => format!("git:{}//{rel}{}", self.target.repo, self.ref_query()),
        }
    }

    fn annotate(&self, path: &Path, annotations: &mut BTreeMap<String, String>) {
        let rel = Self::rel(path);
        let dir = rel.rsplit_once('/').map_or("", |(dir, _)| dir);
        annotations.insert(SOURCE_COMMIT.to_string(), self.commit.clone());
        let hosted = self.hosted_at(&rel);
        let source_location = match &hosted {
            Some(h) => format!("url:{}", h.tree_url(dir)),
            None => {
                let dir = if dir.is_empty() { "." } else { dir };
                format!("git:{}//{dir}{}", self.target.repo, self.ref_query())
            }
        };
        annotations
            .entry(SOURCE_LOCATION.to_string())
            .or_insert(source_location);
        if let Some(h) = hosted {
            annotations
                .entry(VIEW_URL.to_string())
                .or_insert_with(|| h.view_url());
            annotations
                .entry(EDIT_URL.to_string())
                .or_insert_with(|| h.edit_url());
        }
    }

    fn nested_type(&self) -> &str {
        &self.location_type
    }
}
