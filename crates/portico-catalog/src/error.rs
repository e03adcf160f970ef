use portico_query::QueryError;
use portico_store::StoreError;

use crate::read::{Problem, ReadError};

/// Everything the catalog can refuse or fail at. The server maps each variant
/// to one HTTP status in one place.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Query(#[from] QueryError),
    /// The input was read but is not acceptable; every problem is listed.
    #[error("{}", join_problems(.0))]
    Invalid(Vec<Problem>),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Input(String),
    /// Stored data that cannot be decoded: a bug or a hand-edited database.
    #[error("corrupt catalog data: {0}")]
    Corrupt(String),
}

fn join_problems(problems: &[Problem]) -> String {
    let lines: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    lines.join("; ")
}
