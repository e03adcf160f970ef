//! The one error vocabulary of the search crate.

use std::path::PathBuf;

/// Everything that can go wrong in search. Bad query *syntax* is not here on
/// purpose: every term string is answered (see `query::lex`).
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// Reading or writing the index directory failed.
    #[error("search index directory {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The index directory holds files tantivy did not write; we refuse to
    /// wipe it, so a mistyped path cannot delete someone's data.
    #[error(
        "search index directory {path} contains {file:?}, which is not an index file; \
         point the index at an empty or dedicated directory"
    )]
    ForeignFiles { path: PathBuf, file: String },
    /// Another writer (this or another process) holds the index lock.
    #[error("search index {path} is locked by another writer: {message}")]
    Locked { path: String, message: String },
    /// tantivy failed; the operation names what we were doing.
    #[error("search index {operation}: {source}")]
    Tantivy {
        operation: &'static str,
        #[source]
        source: tantivy::TantivyError,
    },
    /// A `pageCursor` that this crate did not hand out.
    #[error("invalid pageCursor {0:?}: not a cursor returned by a previous search")]
    InvalidCursor(String),
    /// The writer thread failed to apply or commit a batch; the batch is
    /// lost and the index still reflects the position it reports.
    #[error("search index writer: {0}")]
    Writer(String),
    /// The writer thread is gone (it panicked or the index was dropped).
    #[error("search index writer thread has stopped")]
    WriterStopped,
}

impl SearchError {
    pub(crate) fn tantivy(operation: &'static str) -> impl FnOnce(tantivy::TantivyError) -> Self {
        move |source| SearchError::Tantivy { operation, source }
    }

    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| SearchError::Io { path, source }
    }
}
