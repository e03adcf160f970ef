use diesel::result::{ConnectionError, DatabaseErrorKind, Error as DieselError};

/// Everything the store can fail with. The server maps `Unavailable` to 503, `Conflict` to
/// 409 and `InvalidUrl`/`Migration`/`Database`/`InvalidInput` to startup failures or 500.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached: connection refused, pool timeout, lost connection,
    /// or SQLite still locked after the busy timeout. Retrying later may succeed.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A row with the same unique key already exists.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database URL is neither a SQLite path nor a PostgreSQL URL.
    #[error("invalid database URL: {0}")]
    InvalidUrl(String),
    /// The caller passed something the store does not store: an unknown task status or
    /// event type, or an event for a task that does not exist. A bug in the caller.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error("database error: {0}")]
    Database(String),
}

impl From<DieselError> for StoreError {
    fn from(err: DieselError) -> Self {
        match &err {
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => {
                StoreError::Unavailable(err.to_string())
            }
            // SQLite reports lock contention that outlasted busy_timeout this way; like a pool
            // timeout it is load, not a bug, so the client should retry.
            DieselError::DatabaseError(DatabaseErrorKind::Unknown, info)
                if info.message().contains("database is locked")
                    || info.message().contains("database table is locked") =>
            {
                StoreError::Unavailable(err.to_string())
            }
            _ => StoreError::Database(err.to_string()),
        }
    }
}

impl From<ConnectionError> for StoreError {
    fn from(err: ConnectionError) -> Self {
        match err {
            ConnectionError::InvalidCString(_) | ConnectionError::InvalidConnectionUrl(_) => {
                StoreError::InvalidUrl(err.to_string())
            }
            ConnectionError::BadConnection(_) | ConnectionError::CouldntSetupConfiguration(_) => {
                StoreError::Unavailable(err.to_string())
            }
            // The enum is non-exhaustive; any new way of failing to connect is still "cannot connect".
            _ => StoreError::Unavailable(err.to_string()),
        }
    }
}

impl From<diesel::r2d2::PoolError> for StoreError {
    fn from(err: diesel::r2d2::PoolError) -> Self {
        StoreError::Unavailable(err.to_string())
    }
}

/// Like `From<DieselError>`, but a unique violation becomes `Conflict`; used where a
/// duplicate is a caller mistake rather than a bug.
pub(crate) fn conflict_or(err: DieselError) -> StoreError {
    match &err {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
            StoreError::Conflict(err.to_string())
        }
        _ => StoreError::from(err),
    }
}
