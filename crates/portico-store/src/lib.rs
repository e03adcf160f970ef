//! Persistence for Portico: one [`Store`] over SQLite (embedded default) or PostgreSQL
//! (shared by several replicas), with the same behaviour on both.
//!
//! All queries are methods on [`Tx`], which wraps a connection of either backend; they work
//! the same inside [`Store::transaction`] and [`Store::read`]. Calls block: run them on a
//! blocking thread.

/// Runs one diesel expression against whichever backend a [`Tx`] holds. The body is
/// compiled once per backend, so each query is written once without diesel's
/// `MultiConnection` (whose generated code is large and slow to compile).
macro_rules! db_run {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match &mut $tx.conn {
            $crate::store::TxConn::Sqlite(c) => {
                let $conn: &mut ::diesel::SqliteConnection = &mut **c;
                $body
            }
            $crate::store::TxConn::Postgres(c) => {
                let $conn: &mut ::diesel::PgConnection = &mut **c;
                $body
            }
        }
    };
}

mod audit;
mod change_log;
mod docs;
mod entities;
mod error;
mod locations;
mod pg_schema;
mod relations;
mod schema;
mod scorecards;
mod stats;
mod store;
mod tasks;
pub mod testing;

pub use audit::{AuditFilter, AuditRow, NewAudit};
pub use change_log::ChangeRow;
pub use docs::{DocAssetRow, DocChangeRow, DocPageRow, DocSiteRow};
pub use entities::EntityRow;
pub use error::StoreError;
pub use locations::{ClaimOutcome, LocationClaim, LocationRow};
pub use pg_schema::{create_schema, drop_schema};
pub use relations::RelationRow;
pub use scorecards::{DayCount, ScoreRow};
pub use stats::KindCounts;
pub use store::{Backend, PoolUsage, Store, Tx};
pub use tasks::{TaskEventRow, TaskEventType, TaskFilter, TaskRow, TaskStatus};

/// Rows per `IN (...)` lookup or delete. Far below SQLite's bound-variable limit, and small
/// enough that PostgreSQL still plans each chunk with the index.
pub(crate) const LOOKUP_CHUNK: usize = 500;

/// The current time as epoch milliseconds, the unit of every timestamp column.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        // A clock set before 1970 is a broken host; 0 keeps ordering sane rather than failing writes.
        .unwrap_or(0)
}
