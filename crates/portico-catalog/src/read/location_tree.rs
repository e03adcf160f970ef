//! Walking a location's tree: the root target, each file's documents, and the
//! targets of every Location entity found, depth first.

mod targets;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use sha1::{Digest, Sha1};

use portico_model::annotations::{MANAGED_BY_LOCATION, MANAGED_BY_ORIGIN_LOCATION};
use portico_model::{derive_relations, validate_entity, EntityRef, FieldError, DEFAULT_NAMESPACE};

use super::files::{self, display_path, join_normalized};
use super::placeholder::{self, FileRead};
use super::source::{FsSource, Source};
use super::yaml::{self, Chunk};
use super::{
    generated_location_name, locate, LocationRead, LocationSpec, Problem, ProcessedEntity,
    ReadError, ReadOptions, Severity,
};

/// Nested Locations deeper than this are refused: a chain that long is a
/// mistake, and recursion must not exhaust the stack.
const MAX_DEPTH: usize = 64;

/// Mixed into the content hash so that a new reader version re-processes
/// locations whose files did not change.
const HASH_VERSION: &[u8] = b"portico-read-v1";

/// Reads a `file` location from the local filesystem.
pub(super) fn read(spec: &LocationSpec, opts: &ReadOptions) -> Result<LocationRead, ReadError> {
    let cwd = std::env::current_dir().map_err(|err| ReadError::Unreadable {
        path: spec.target.clone(),
        message: format!("cannot resolve a relative path: {err}"),
    })?;
    let (root_dir, root_files) = root_files(spec, &cwd, opts)?;
    // A glob root has no one file: the generated entity names the pattern.
    let root_file = match root_files.as_slice() {
        [one] if !files::is_glob(&spec.target) => one.clone(),
        _ => join_normalized(&cwd, &spec.target),
    };

    let source = FsSource { opts };
    Ok(read_tree(
        spec,
        opts,
        &source,
        Root {
            dir: root_dir,
            file: root_file,
            files: root_files,
            content_hash: None,
        },
    ))
}

/// Where the walk of a location starts.
pub(super) struct Root {
    /// Placeholders must stay inside this directory.
    pub dir: PathBuf,
    /// The file the generated Location entity names (the pattern for a glob).
    pub file: PathBuf,
    /// The root target's files, in order.
    pub files: Vec<PathBuf>,
    /// A hash that stands for every file of the source (a git commit's), used
    /// instead of hashing the bytes read.
    pub content_hash: Option<String>,
}

/// Reads the tree below `root` from `source`.
pub(super) fn read_tree(
    spec: &LocationSpec,
    opts: &ReadOptions,
    source: &dyn Source,
    root: Root,
) -> LocationRead {
    let mut reader = Reader::new(spec, opts, source, root.dir);
    let root_ref = reader.push_root(spec, &root.file);
    for path in root.files {
        let parent = Parent {
            index: 0,
            key: &root_ref,
            field: "spec.target",
            target: &spec.target,
        };
        reader.read_file(&path, &parent, None);
    }
    let mut read = reader.finish();
    if let Some(hash) = root.content_hash {
        read.content_hash = hash;
    }
    tracing::debug!(
        location = %spec,
        files = read.files_read.len(),
        entities = read.entities.len(),
        complete = read.complete,
        "read location"
    );
    read
}

/// The root target's files (one, or a glob's matches) and the canonical
/// directory placeholders must stay inside.
fn root_files(
    spec: &LocationSpec,
    cwd: &Path,
    opts: &ReadOptions,
) -> Result<(PathBuf, Vec<PathBuf>), ReadError> {
    let unreadable = |path: &Path, message: String| ReadError::Unreadable {
        path: path.to_string_lossy().into_owned(),
        message,
    };
    if files::is_glob(&spec.target) {
        let pattern = files::join_normalized(cwd, &spec.target);
        let pattern = pattern.to_string_lossy();
        // The literal directory part before the first wildcard bounds the location.
        let literal = &pattern[..pattern.find(['*', '?', '[']).unwrap_or(pattern.len())];
        let base = Path::new(literal).parent().unwrap_or(Path::new("/"));
        let base = base
            .canonicalize()
            .map_err(|_| ReadError::NotFound(spec.target.clone()))?;
        let matches = files::expand_glob(cwd, &spec.target, opts.max_files.saturating_add(1))
            .map_err(|msg| unreadable(Path::new(&spec.target), msg))?;
        if matches.is_empty() {
            return Err(ReadError::NotFound(spec.target.clone()));
        }
        let mut canonical = Vec::with_capacity(matches.len());
        for path in matches {
            canonical.push(
                path.canonicalize()
                    .map_err(|e| unreadable(&path, e.to_string()))?,
            );
        }
        if let Some(outside) = canonical.iter().find(|p| !opts.allows(p)) {
            return Err(ReadError::NotAllowed(
                outside.to_string_lossy().into_owned(),
            ));
        }
        return Ok((base, canonical));
    }
    let path = files::join_normalized(cwd, &spec.target);
    let meta = match std::fs::metadata(&path) {
        Ok(meta) => meta,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(ReadError::NotFound(spec.target.clone()))
        }
        Err(err) => return Err(unreadable(&path, err.to_string())),
    };
    if meta.is_dir() {
        return Err(unreadable(
            &path,
            "is a directory, not a catalog file".to_string(),
        ));
    }
    let canonical = path
        .canonicalize()
        .map_err(|e| unreadable(&path, e.to_string()))?;
    if !opts.allows(&canonical) {
        return Err(ReadError::NotAllowed(
            canonical.to_string_lossy().into_owned(),
        ));
    }
    let dir = canonical
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("/"));
    Ok((dir, vec![canonical]))
}

/// The Location entity whose target is being read.
struct Parent<'a> {
    index: usize,
    key: &'a str,
    /// Field of the target in the Location (`spec.targets[2]`), for messages.
    field: &'a str,
    target: &'a str,
}

/// Where a document's text is, for locating fields in it.
struct DocText<'a> {
    file: &'a str,
    chunk: &'a Chunk<'a>,
    line: u32,
}

impl DocText<'_> {
    fn problem(&self, severity: Severity, field: Option<&str>, message: String) -> Problem {
        let line = field.and_then(|f| locate::locate(self.chunk.text, self.chunk.first_line, f));
        Problem {
            severity,
            file: Some(self.file.to_string()),
            line: Some(line.unwrap_or(self.line)),
            column: None,
            field: field.map(str::to_string),
            message,
        }
    }

    fn field_error(&self, err: &FieldError) -> Problem {
        // Messages normally quote their field already; make sure they do.
        let message = if err.message.contains(&err.field) {
            err.message.clone()
        } else {
            format!("\"{}\": {}", err.field, err.message)
        };
        self.problem(Severity::Error, Some(&err.field), message)
    }
}

struct Reader<'o> {
    opts: &'o ReadOptions,
    source: &'o dyn Source,
    origin: String,
    root_dir: PathBuf,
    entities: Vec<ProcessedEntity>,
    problems: Vec<Problem>,
    complete: bool,
    hasher: Sha1,
    files_read: Vec<String>,
    /// Entity key -> `file:line` where it was first read.
    keys: HashMap<String, String>,
    /// Canonical path -> path as first read.
    visited: HashMap<PathBuf, PathBuf>,
    /// Canonical and as-read paths of the files being read, outermost first.
    stack: Vec<(PathBuf, PathBuf)>,
    catalog_files: usize,
    limit_reported: bool,
}

impl<'o> Reader<'o> {
    fn new(
        spec: &LocationSpec,
        opts: &'o ReadOptions,
        source: &'o dyn Source,
        root_dir: PathBuf,
    ) -> Self {
        let mut hasher = Sha1::new();
        for part in [
            HASH_VERSION,
            spec.location_type.as_bytes(),
            spec.target.as_bytes(),
        ] {
            hash_part(&mut hasher, part);
        }
        Reader {
            opts,
            source,
            origin: spec.to_string(),
            root_dir,
            entities: Vec::new(),
            problems: Vec::new(),
            complete: true,
            hasher,
            files_read: Vec::new(),
            keys: HashMap::new(),
            visited: HashMap::new(),
            stack: Vec::new(),
            catalog_files: 0,
            limit_reported: false,
        }
    }

    fn finish(self) -> LocationRead {
        LocationRead {
            entities: self.entities,
            problems: self.problems,
            complete: self.complete,
            content_hash: hex::encode(self.hasher.finalize()),
            files_read: self.files_read,
        }
    }

    fn record_file(&mut self, path: &Path, bytes: &[u8]) {
        let path = self.source.describe(path);
        hash_part(&mut self.hasher, path.as_bytes());
        hash_part(&mut self.hasher, bytes);
        self.files_read.push(path);
    }

    /// The generated Location entity that stands for the registered location.
    fn push_root(&mut self, spec: &LocationSpec, file: &Path) -> String {
        let raw = json!({
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Location",
            "metadata": {
                "name": generated_location_name(spec),
                "namespace": DEFAULT_NAMESPACE,
                "annotations": {
                    MANAGED_BY_LOCATION: self.origin,
                    MANAGED_BY_ORIGIN_LOCATION: self.origin,
                },
            },
            "spec": { "type": spec.location_type, "target": spec.target },
        });
        let key = EntityRef::new(
            "Location",
            DEFAULT_NAMESPACE,
            &generated_location_name(spec),
        )
        .key();
        let file = self.source.describe(file);
        let mut processed = ProcessedEntity {
            entity_ref: key.clone(),
            entity: None,
            relations: Vec::new(),
            problems: Vec::new(),
            parent_ref: None,
            file,
            line: 0,
        };
        match validate_entity(&raw) {
            Ok(entity) => {
                let (relations, errors) = derive_relations(&entity);
                processed.relations = relations;
                processed
                    .problems
                    .extend(errors.iter().map(|e| Problem::error(e.to_string())));
                processed.entity = Some(entity);
            }
            // Only a target that breaks the model's rules gets here.
            Err(errors) => {
                let messages = errors
                    .iter()
                    .map(|e| e.message.as_str())
                    .collect::<Vec<_>>();
                processed.problems.push(Problem::error(format!(
                    "the generated Location entity for {} is invalid: {}",
                    self.origin,
                    messages.join("; ")
                )));
            }
        }
        self.keys.insert(
            key.clone(),
            format!("the registered location {}", self.origin),
        );
        self.entities.push(processed);
        key
    }

    fn parent_problem(&mut self, parent: &Parent<'_>, problem: Problem) {
        if let Some(entity) = self.entities.get_mut(parent.index) {
            entity.problems.push(problem);
        }
    }

    /// Reads one catalog file of the tree, reached through `parent`'s target.
    /// `doc` is the parent's document, to put target problems on its lines.
    fn read_file(&mut self, path: &Path, parent: &Parent<'_>, doc: Option<&DocText<'_>>) {
        let at_parent = |severity: Severity, message: String| match doc {
            Some(doc) => doc.problem(severity, Some(parent.field), message),
            None => Problem {
                severity,
                ..Problem::error(message)
            },
        };
        let canonical = match self.source.canonical(path) {
            Ok(canonical) => canonical,
            Err(err) => {
                let msg = format!(
                    "target {} (resolved to {}) cannot be read: {err}",
                    parent.target,
                    path.display()
                );
                self.parent_problem(parent, at_parent(Severity::Error, msg));
                self.complete = false;
                return;
            }
        };
        if !self.source.allows(&canonical) {
            let msg = format!(
                "target {} (resolved to {}) is outside the allowed file location roots",
                parent.target,
                canonical.display()
            );
            self.parent_problem(parent, at_parent(Severity::Error, msg));
            self.complete = false;
            return;
        }
        if let Some(pos) = self.stack.iter().position(|(c, _)| *c == canonical) {
            let chain = self.stack[pos..]
                .iter()
                .map(|(_, shown)| display_path(shown, &self.root_dir))
                .chain(std::iter::once(display_path(path, &self.root_dir)))
                .collect::<Vec<_>>()
                .join(" -> ");
            let msg = format!("target {} makes a location cycle: {chain}", parent.target);
            self.parent_problem(parent, at_parent(Severity::Error, msg));
            return;
        }
        if let Some(first) = self.visited.get(&canonical) {
            let alias = if first.as_path() == path {
                String::new()
            } else {
                format!(" as {}", first.display())
            };
            let msg = format!(
                "target {} (resolved to {}) was already read by this location{alias}; it is read once",
                parent.target,
                path.display(),
            );
            self.parent_problem(parent, at_parent(Severity::Warning, msg));
            return;
        }
        if self.stack.len() >= MAX_DEPTH {
            let msg = format!(
                "target {} is nested more than {MAX_DEPTH} Locations deep; it is not read",
                parent.target
            );
            self.parent_problem(parent, at_parent(Severity::Error, msg));
            self.complete = false;
            return;
        }
        if self.catalog_files >= self.opts.max_files {
            if !self.limit_reported {
                self.limit_reported = true;
                self.problems.push(Problem::error(format!(
                    "this location reads more than {} files; {} and any later files are not read",
                    self.opts.max_files,
                    path.display()
                )));
            }
            self.complete = false;
            return;
        }
        self.catalog_files += 1;
        self.visited.insert(canonical.clone(), path.to_path_buf());

        let file = self.source.describe(path);
        let bytes = match self.source.read(path, self.opts.max_file_bytes) {
            Ok(bytes) => bytes,
            Err(err) => {
                // Hashing the failure makes the hash change once the file is fixed.
                hash_part(&mut self.hasher, file.as_bytes());
                hash_part(&mut self.hasher, err.to_string().as_bytes());
                self.problems
                    .push(Problem::error(err.to_string()).at(&file, None));
                self.complete = false;
                return;
            }
        };
        self.record_file(path, &bytes);
        let text = match files::utf8_text(bytes) {
            Ok(text) => text,
            Err(msg) => {
                self.problems.push(Problem::error(msg).at(&file, None));
                self.complete = false;
                return;
            }
        };
        self.stack.push((canonical, path.to_path_buf()));
        for chunk in yaml::split_documents(&text) {
            self.read_document(&file, path, &chunk, parent.key);
        }
        self.stack.pop();
    }

    fn read_document(&mut self, file: &str, path: &Path, chunk: &Chunk<'_>, parent_key: &str) {
        let raw = match yaml::parse_chunk(chunk) {
            Ok(Some(raw)) => raw,
            Ok(None) => return,
            Err(err) => {
                let mut problem = Problem::error(err.message).at(file, Some(err.line));
                problem.column = err.column;
                self.problems.push(problem);
                self.complete = false;
                return;
            }
        };
        let line = chunk.content_line.unwrap_or(chunk.first_line);
        let doc = DocText { file, chunk, line };
        let Some((kind, namespace, name)) = identity(&raw) else {
            let message = if raw.is_object() {
                "document is not an entity: it needs a string \"kind\" and \"metadata.name\""
                    .to_string()
            } else {
                format!(
                    "expected a mapping (an entity), found {}",
                    yaml::describe(&raw)
                )
            };
            self.problems
                .push(Problem::error(message).at(file, Some(line)));
            self.complete = false;
            return;
        };
        let key = EntityRef::new(&kind, &namespace, &name).key();
        let here = format!("{file}:{line}");
        if let Some(first) = self.keys.get(&key) {
            let message = format!(
                "entity {key} is defined twice in this location: first at {first}; this one is ignored"
            );
            self.problems
                .push(Problem::error(message).at(file, Some(line)));
            return;
        }
        self.keys.insert(key.clone(), here);

        let dir = path.parent().unwrap_or(Path::new("/")).to_path_buf();
        let processed = self.process_entity(raw, key.clone(), parent_key, &doc, path);
        let is_location = processed
            .entity
            .as_ref()
            .is_some_and(|e| e.kind.eq_ignore_ascii_case("location"));
        let invalid_location = processed.entity.is_none() && kind.eq_ignore_ascii_case("location");
        self.entities.push(processed);
        if invalid_location {
            // Its targets cannot be followed: what they emitted before must stay.
            self.complete = false;
        }
        if is_location {
            let index = self.entities.len() - 1;
            self.follow_targets(index, &key, &doc, &dir);
        }
    }

    fn process_entity(
        &mut self,
        mut raw: Value,
        key: String,
        parent_key: &str,
        doc: &DocText<'_>,
        path: &Path,
    ) -> ProcessedEntity {
        let dir = path.parent().unwrap_or(Path::new("/"));
        let mut problems = Vec::new();
        let mut placeholder_problems = Vec::new();
        let mut reads: Vec<FileRead> = Vec::new();
        let ctx = placeholder::Context {
            file_dir: dir,
            root_dir: &self.root_dir,
            opts: self.opts,
            source: self.source,
        };
        placeholder::resolve(&mut raw, &ctx, &mut placeholder_problems, &mut reads);
        for read in reads {
            self.record_file(&read.path, &read.bytes);
        }
        for p in placeholder_problems {
            problems.push(doc.problem(p.severity, Some(&p.field), p.message));
        }

        let mut processed = ProcessedEntity {
            entity_ref: key,
            entity: None,
            relations: Vec::new(),
            problems: Vec::new(),
            parent_ref: Some(parent_key.to_string()),
            file: doc.file.to_string(),
            line: doc.line,
        };
        match validate_entity(&raw) {
            Ok(mut entity) => {
                entity
                    .metadata
                    .namespace
                    .get_or_insert_with(|| DEFAULT_NAMESPACE.to_string());
                let annotations = &mut entity.metadata.annotations;
                annotations.insert(
                    MANAGED_BY_LOCATION.to_string(),
                    self.source.location_of(path),
                );
                annotations.insert(MANAGED_BY_ORIGIN_LOCATION.to_string(), self.origin.clone());
                self.source.annotate(path, annotations);
                let (relations, errors) = derive_relations(&entity);
                problems.extend(errors.iter().map(|e| doc.field_error(e)));
                processed.relations = relations;
                processed.entity = Some(entity);
            }
            Err(errors) => problems.extend(errors.iter().map(|e| doc.field_error(e))),
        }
        processed.problems = problems;
        processed
    }
}

/// `(kind, namespace, name)` of a raw document, if it has string kind and name.
fn identity(raw: &Value) -> Option<(String, String, String)> {
    let kind = raw.get("kind")?.as_str()?;
    let metadata = raw.get("metadata")?;
    let name = metadata.get("name")?.as_str()?;
    let namespace = metadata
        .get("namespace")
        .and_then(Value::as_str)
        .unwrap_or(DEFAULT_NAMESPACE);
    Some((kind.to_string(), namespace.to_string(), name.to_string()))
}

/// The content hash of a location whose files are fixed by `version` (a git
/// commit): the same spec at the same version needs no read.
pub(super) fn source_hash(spec: &LocationSpec, version: &[u8]) -> String {
    let mut hasher = Sha1::new();
    for part in [
        HASH_VERSION,
        spec.location_type.as_bytes(),
        spec.target.as_bytes(),
        version,
    ] {
        hash_part(&mut hasher, part);
    }
    hex::encode(hasher.finalize())
}

/// Length-prefixed, so that no two different inputs hash the same stream.
fn hash_part(hasher: &mut Sha1, bytes: &[u8]) {
    hasher.update((bytes.len() as u64).to_le_bytes());
    hasher.update(bytes);
}
