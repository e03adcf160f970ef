//! Reading a location: the registered target file, every file its `Location`
//! entities point at (recursively), and the entities in them, validated, with
//! placeholders resolved and relations derived. Nothing here touches the store:
//! the result is handed to the commit, which decides what to write.
//!
//! Only the root target can fail the whole read ([`ReadError`]); anything wrong
//! below it is a [`Problem`], so one bad file or entity never hides the others.

pub mod docs;
mod files;
pub(crate) use files::join_normalized;
mod git;
pub use git::{GitTarget, DEFAULT_CATALOG_PATH};
mod locate;
mod location_tree;
mod placeholder;
mod source;
mod yaml;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use portico_git::{GitMirrors, GitOptions};

use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

use portico_model::{Entity, RelationEdge};

/// A registered location: `{ type, target }`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LocationSpec {
    #[serde(rename = "type")]
    pub location_type: String,
    pub target: String,
}

impl LocationSpec {
    pub fn file(target: impl Into<String>) -> Self {
        LocationSpec {
            location_type: "file".to_string(),
            target: target.into(),
        }
    }
}

impl fmt::Display for LocationSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.location_type, self.target)
    }
}

/// Limits that keep one bad location from exhausting memory or time, and
/// what may be read at all.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Largest catalog or placeholder file read; bigger ones are refused unread.
    pub max_file_bytes: u64,
    /// Most catalog files one location may read (its whole tree).
    pub max_files: usize,
    /// Canonical directories every file read must lie under (root targets
    /// and nested Location targets alike); `None` reads anywhere.
    pub allowed_roots: Option<Vec<PathBuf>>,
    /// Host names `url` and `git` locations may name (lower case; `*.example.com`
    /// matches sub-domains); `None` allows every host.
    pub allowed_hosts: Option<Vec<String>>,
    /// Whether `git` locations may name repositories on this machine (paths, `file://`).
    pub allow_local_repositories: bool,
    /// Directories whose repositories `git` locations may name even when
    /// `allow_local_repositories` is off: the ones the scaffolder creates.
    pub local_repository_roots: Vec<PathBuf>,
    pub git: GitCache,
}

/// The git mirrors every read shares.
#[derive(Clone)]
pub struct GitCache(Arc<GitMirrors>);

impl GitCache {
    pub fn new(opts: GitOptions) -> GitCache {
        GitCache(Arc::new(GitMirrors::new(opts)))
    }

    pub fn mirrors(&self) -> &GitMirrors {
        &self.0
    }
}

impl fmt::Debug for GitCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GitCache")
    }
}

impl ReadOptions {
    /// Whether a canonical path lies under one of the allowed roots.
    pub fn allows(&self, canonical: &Path) -> bool {
        match &self.allowed_roots {
            None => true,
            Some(roots) => roots.iter().any(|root| canonical.starts_with(root)),
        }
    }

    /// Whether a repository host may be read.
    pub fn allows_host(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        let Some(allowed) = &self.allowed_hosts else {
            return !host.is_empty();
        };
        allowed.iter().any(|a| {
            let a = a.to_ascii_lowercase();
            match a.strip_prefix("*.") {
                Some(domain) => host.ends_with(&format!(".{domain}")),
                None => a == host,
            }
        })
    }
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            max_file_bytes: 4 * 1024 * 1024,
            max_files: 20_000,
            allowed_roots: None,
            allowed_hosts: None,
            allow_local_repositories: true,
            local_repository_roots: Vec::new(),
            git: GitCache::new(GitOptions::default()),
        }
    }
}

/// Everything one read of a location produced.
#[derive(Debug, Clone)]
pub struct LocationRead {
    /// In read order; the generated root Location entity first. Keys are unique:
    /// a second document with a key already read is reported in `problems`.
    pub entities: Vec<ProcessedEntity>,
    /// Problems that belong to no entity: unreadable files, YAML syntax,
    /// documents that are not entities, duplicate keys, the file limit.
    pub problems: Vec<Problem>,
    /// False when some part of the tree could not be read or parsed (or a target
    /// was missing): the entities are then not the whole truth, so the commit
    /// must orphan nothing.
    pub complete: bool,
    /// sha1 hex over the spec and the path and bytes of every file read, in order.
    pub content_hash: String,
    /// Absolute paths of the files read (catalog files and placeholder files), in order.
    pub files_read: Vec<String>,
}

/// One entity document of the tree, processed.
#[derive(Debug, Clone)]
pub struct ProcessedEntity {
    /// Lower-cased `kind:namespace/name`.
    pub entity_ref: String,
    /// The validated entity, with namespace and managed-by annotations set.
    /// `None` when the document fails validation. When `Some`, `problems` may
    /// still hold errors (placeholder, relation or target errors): treat
    /// [`ProcessedEntity::has_errors`] as "processing failed".
    pub entity: Option<Entity>,
    /// Relations the entity's spec makes, both directions.
    pub relations: Vec<RelationEdge>,
    pub problems: Vec<Problem>,
    /// Key of the Location entity whose target held this document; `None` for
    /// the generated root Location.
    pub parent_ref: Option<String>,
    /// Absolute source file, and the 1-based line where the document's content
    /// starts (0 for the generated root Location, which has no document).
    pub file: String,
    pub line: u32,
}

impl ProcessedEntity {
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(Problem::is_error)
    }
}

impl LocationRead {
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(Problem::is_error)
            || self.entities.iter().any(ProcessedEntity::has_errors)
    }

    /// Every problem of the read: location-level ones, then each entity's.
    pub fn all_problems(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .chain(self.entities.iter().flat_map(|e| e.problems.iter()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One thing wrong (or doubtful) in a location, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub severity: Severity,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
    /// Dotted field path (`spec.owner`, `metadata.tags[1]`) when one field is at fault.
    pub field: Option<String>,
    /// Names the field itself, so it reads well without the other parts.
    pub message: String,
}

impl Problem {
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    pub(crate) fn error(message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Error,
            file: None,
            line: None,
            column: None,
            field: None,
            message: message.into(),
        }
    }

    pub(crate) fn at(mut self, file: &str, line: Option<u32>) -> Self {
        self.file = Some(file.to_string());
        self.line = line;
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            f.write_str(file)?;
            if let Some(line) = self.line {
                write!(f, ":{line}")?;
                if let Some(column) = self.column {
                    write!(f, ":{column}")?;
                }
            }
            f.write_str(": ")?;
        }
        f.write_str(&self.message)
    }
}

/// Why the root target of a location could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("location type \"{0}\" is not supported; Portico reads \"file\", \"url\" and \"git\" locations")]
    UnsupportedType(String),
    #[error("{0}")]
    InvalidTarget(String),
    #[error("repository {url} is on host {host:?}, which is not in catalog.allowedHosts")]
    HostNotAllowed { url: String, host: String },
    #[error("repository {0} is on this machine, and catalog.allowLocalRepositories is off")]
    LocalRepositoryNotAllowed(String),
    /// The repository could not be reached or read.
    #[error("{0}")]
    Git(String),
    #[error("location target {0} does not exist")]
    NotFound(String),
    #[error("cannot read location target {path}: {message}")]
    Unreadable { path: String, message: String },
    #[error("location target {0} is outside the allowed file location roots (catalog.fileLocationRoots)")]
    NotAllowed(String),
}

impl ReadError {
    /// Whether the configuration forbids the location (HTTP 403), rather
    /// than the location being wrong or unreadable.
    pub fn is_not_allowed(&self) -> bool {
        matches!(
            self,
            ReadError::NotAllowed(_)
                | ReadError::HostNotAllowed { .. }
                | ReadError::LocalRepositoryNotAllowed(_)
        )
    }
}

/// `generated-` + sha1 hex of `<type>:<target>`: the name of the Location
/// entity that stands for a registered location (50 chars, a valid name).
pub fn generated_location_name(spec: &LocationSpec) -> String {
    let digest = Sha1::digest(format!("{}:{}", spec.location_type, spec.target).as_bytes());
    format!("generated-{}", hex::encode(digest))
}

/// Reads and processes a location's whole tree. See the module docs for what
/// is an error of the read and what is a problem inside it.
pub fn read_location(spec: &LocationSpec, opts: &ReadOptions) -> Result<LocationRead, ReadError> {
    match spec.location_type.as_str() {
        "file" => location_tree::read(spec, opts),
        "url" | "git" => git::prepare(spec, opts)?.read(opts),
        other => Err(ReadError::UnsupportedType(other.to_string())),
    }
}

/// Reads a location unless its content hash would be `last_hash`: `None`
/// when nothing changed. A git location whose commit did not move is not
/// read at all; a file location is read and hashed.
pub fn read_location_if_changed(
    spec: &LocationSpec,
    opts: &ReadOptions,
    last_hash: Option<&str>,
) -> Result<Option<LocationRead>, ReadError> {
    match spec.location_type.as_str() {
        "file" => {
            let read = location_tree::read(spec, opts)?;
            Ok((Some(read.content_hash.as_str()) != last_hash).then_some(read))
        }
        "url" | "git" => {
            let prepared = git::prepare(spec, opts)?;
            if Some(prepared.content_hash.as_str()) == last_hash {
                return Ok(None);
            }
            prepared.read(opts).map(Some)
        }
        other => Err(ReadError::UnsupportedType(other.to_string())),
    }
}

/// `portico validate FILE...`: reads each file as the root of its own file
/// location (following its Location targets) and returns every problem, errors
/// and warnings, of the files and their entities.
pub fn validate_paths(paths: &[PathBuf], opts: &ReadOptions) -> Vec<Problem> {
    let mut problems = Vec::new();
    for path in paths {
        let spec = LocationSpec::file(path_string(path));
        match read_location(&spec, opts) {
            Ok(read) => problems.extend(read.all_problems().cloned()),
            // The error's message already names the path.
            Err(err) => problems.push(Problem::error(err.to_string())),
        }
    }
    problems
}

fn path_string(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}
