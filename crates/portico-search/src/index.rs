//! Opening (or recreating) the index, and the read side.

use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use tantivy::directory::{Directory, DirectoryLock, MmapDirectory, INDEX_WRITER_LOCK};
use tantivy::{Index, IndexReader, ReloadPolicy};

use crate::query;
use crate::schema::{self, Fields, SCHEMA_VERSION};
use crate::types::{Opened, Position, SearchPage, SearchQuery};
use crate::writer::SearchWriter;
use crate::SearchError;

/// What every commit carries, so an open knows what it is looking at.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Payload {
    pub schema_version: u32,
    pub position: Position,
}

/// Stored blocks kept decompressed; results of one page usually share few.
const DOC_STORE_CACHE_BLOCKS: usize = 64;

/// The search index: shared by every request (`&self` everywhere), written
/// by one background thread (see [`SearchIndex::writer`]).
pub struct SearchIndex {
    pub(crate) index: Index,
    pub(crate) reader: IndexReader,
    pub(crate) fields: Fields,
    dir: Option<PathBuf>,
    pub(crate) position: Arc<Mutex<Position>>,
    writer: Mutex<Option<SearchWriter>>,
}

impl SearchIndex {
    /// Opens the index in `dir`, creating the directory if needed.
    ///
    /// An index of another schema version, or one that cannot be read
    /// (garbled or truncated files), is wiped and recreated empty, and
    /// `Opened::Created` tells the caller to rebuild it. A directory holding
    /// files that are not tantivy's is never wiped: that is an error.
    pub fn open(dir: &Path) -> Result<(SearchIndex, Opened), SearchError> {
        fs::create_dir_all(dir).map_err(SearchError::io(dir))?;
        let entries = index_files(dir)?;
        if entries.is_empty() {
            return Ok((create(dir)?, Opened::Created));
        }
        // Corrupt files can make tantivy panic rather than fail; either way
        // the index is unusable and is rebuilt.
        let attempt = catch_unwind(AssertUnwindSafe(|| open_existing(dir)));
        let reason = match attempt {
            Ok(Ok((index, position))) => return Ok((index, Opened::Reused(position))),
            Ok(Err(reason)) => reason,
            Err(_) => "opening it panicked".to_owned(),
        };
        // Holding the writer lock while wiping: an index another writer is
        // using is refused, not deleted under its feet.
        let _lock = writer_lock(dir)?;
        tracing::warn!(dir = %dir.display(), %reason, "search index not reusable; recreating it");
        for entry in entries.iter().filter(|e| !LOCK_FILES.contains(&e.as_str())) {
            let path = dir.join(entry);
            fs::remove_file(&path).map_err(SearchError::io(path))?;
        }
        Ok((create(dir)?, Opened::Created))
    }

    /// An index in memory, for tests.
    pub fn in_memory() -> Result<SearchIndex, SearchError> {
        let (schema, fields) = schema::build();
        let index = Index::builder()
            .schema(schema)
            .settings(schema::index_settings())
            .create_in_ram()
            .map_err(SearchError::tantivy("creating"))?;
        Self::from_index(index, fields, None, Position::default())
    }

    fn from_index(
        index: Index,
        fields: Fields,
        dir: Option<PathBuf>,
        position: Position,
    ) -> Result<SearchIndex, SearchError> {
        schema::register_tokenizers(&index);
        // Manual: the writer thread reloads right after each commit, so a
        // write is visible to the next query without polling.
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .doc_store_cache_num_blocks(DOC_STORE_CACHE_BLOCKS)
            .try_into()
            .map_err(SearchError::tantivy("opening a reader"))?;
        Ok(SearchIndex {
            index,
            reader,
            fields,
            dir,
            position: Arc::new(Mutex::new(position)),
            writer: Mutex::new(None),
        })
    }

    /// The one writer of this index, started on first call; later calls
    /// return handles to the same thread.
    pub fn writer(&self) -> Result<SearchWriter, SearchError> {
        let mut slot = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(writer) = slot.as_ref() {
            return Ok(writer.clone());
        }
        let writer = SearchWriter::start(self)?;
        *slot = Some(writer.clone());
        Ok(writer)
    }

    /// Searches; see the crate docs for what the term understands.
    pub fn query(&self, q: &SearchQuery) -> Result<SearchPage, SearchError> {
        query::search(&self.reader.searcher(), &self.fields, q)
    }

    /// The change-log positions the visible index reflects.
    pub fn position(&self) -> Position {
        *self.position.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// tantivy documents (one per entity, one per doc section) visible now.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Segments the visible index is made of (diagnostics: many small
    /// segments make queries slower until merges catch up).
    pub fn num_segments(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    /// Bytes the index takes on disk; 0 in memory.
    pub fn size_on_disk(&self) -> u64 {
        let Some(dir) = &self.dir else { return 0 };
        let Ok(entries) = fs::read_dir(dir) else {
            return 0;
        };
        entries
            .filter_map(Result::ok)
            .filter_map(|e| e.metadata().ok())
            .filter(fs::Metadata::is_file)
            .map(|m| m.len())
            .sum()
    }

    pub(crate) fn directory(&self) -> String {
        self.dir
            .as_ref()
            .map_or_else(|| "in memory".to_owned(), |d| d.display().to_string())
    }
}

const LOCK_FILES: [&str; 2] = [".tantivy-meta.lock", ".tantivy-writer.lock"];

fn writer_lock(dir: &Path) -> Result<DirectoryLock, SearchError> {
    let directory = MmapDirectory::open(dir).map_err(|e| SearchError::Tantivy {
        operation: "opening the directory",
        source: e.into(),
    })?;
    directory
        .acquire_lock(&INDEX_WRITER_LOCK)
        .map_err(|e| SearchError::Locked {
            path: dir.display().to_string(),
            message: e.to_string(),
        })
}

fn create(dir: &Path) -> Result<SearchIndex, SearchError> {
    let (schema, fields) = schema::build();
    let index = Index::builder()
        .schema(schema)
        .settings(schema::index_settings())
        .create_in_dir(dir)
        .map_err(SearchError::tantivy("creating"))?;
    SearchIndex::from_index(index, fields, Some(dir.to_owned()), Position::default())
}

/// Opens an index we wrote, or says why it is not usable.
fn open_existing(dir: &Path) -> Result<(SearchIndex, Position), String> {
    let index = Index::open_in_dir(dir).map_err(|e| format!("cannot open: {e}"))?;
    let metas = index
        .load_metas()
        .map_err(|e| format!("cannot read meta.json: {e}"))?;
    let payload: Payload = metas
        .payload
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok())
        .ok_or("no Portico commit payload (never committed, or not ours)")?;
    if payload.schema_version != SCHEMA_VERSION {
        return Err(format!(
            "schema version {} on disk, this build uses {SCHEMA_VERSION}",
            payload.schema_version
        ));
    }
    let (schema, fields) = schema::build();
    if index.schema() != schema {
        return Err("schema differs although the version matches".to_owned());
    }
    let damaged = index
        .validate_checksum()
        .map_err(|e| format!("cannot check files: {e}"))?;
    if !damaged.is_empty() {
        return Err(format!("damaged files: {damaged:?}"));
    }
    let search = SearchIndex::from_index(index, fields, Some(dir.to_owned()), payload.position)
        .map_err(|e| e.to_string())?;
    // Touch every segment once so a missing file shows up now, not at the
    // first query.
    let searcher = search.reader.searcher();
    for segment in searcher.segment_readers() {
        segment
            .get_store_reader(1)
            .map_err(|e| format!("unreadable segment: {e}"))?;
    }
    Ok((search, payload.position))
}

/// The names in `dir`, all of which must be files tantivy writes: we are
/// about to delete them when the index is not reusable.
fn index_files(dir: &Path) -> Result<Vec<String>, SearchError> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).map_err(SearchError::io(dir))? {
        let entry = entry.map_err(SearchError::io(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_file = entry.file_type().map(|t| t.is_file()).unwrap_or(false);
        if !is_file || !is_index_file(&name) {
            return Err(SearchError::ForeignFiles {
                path: dir.to_owned(),
                file: name,
            });
        }
        names.push(name);
    }
    Ok(names)
}

fn is_index_file(name: &str) -> bool {
    const NAMES: [&str; 2] = ["meta.json", ".managed.json"];
    // Segment files are `<32 hex uuid>.<component>`; temporary files of
    // atomic writes start with `.tmp`.
    let segment_file = name.get(32..33) == Some(".")
        && name.len() > 33
        && name
            .get(..32)
            .is_some_and(|uuid| uuid.bytes().all(|b| b.is_ascii_hexdigit()));
    NAMES.contains(&name) || LOCK_FILES.contains(&name) || segment_file || name.starts_with(".tmp")
}

#[cfg(test)]
mod tests {
    use super::is_index_file;

    #[test]
    fn recognizes_only_tantivy_files() {
        assert!(is_index_file("meta.json"));
        assert!(is_index_file("0123456789abcdef0123456789abcdef.store"));
        assert!(is_index_file("0123456789abcdef0123456789abcdef.12.del"));
        assert!(!is_index_file("notes.txt"));
        assert!(!is_index_file("0123456789abcdef0123456789abcdeg.store"));
    }
}
