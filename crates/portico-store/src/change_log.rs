use diesel::dsl::max;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::schema::change_log;
use crate::store::Backend;
use crate::{StoreError, Tx};

/// Rows per multi-row insert: 2 bound values per row.
const INSERT_CHUNK: usize = 5000;

/// Key of the PostgreSQL advisory lock that orders change-log appends (see `append_changes`).
const CHANGE_LOG_LOCK_KEY: i64 = 0x706f_7274_6963_6f02;

/// One entry of the change log: entity `entity_ref` changed (or was deleted) at `at`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(
    table_name = change_log,
    check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg)
)]
pub struct ChangeRow {
    pub seq: i64,
    pub entity_ref: String,
    pub at: i64,
}

impl Tx<'_> {
    /// Appends one entry per ref, in the given order, all with time `at`.
    pub fn append_changes(&mut self, refs: &[String], at: i64) -> Result<(), StoreError> {
        if refs.is_empty() {
            return Ok(());
        }
        let rows: Vec<_> = refs
            .iter()
            .map(|r| (change_log::entity_ref.eq(r), change_log::at.eq(at)))
            .collect();
        let postgres = self.backend() == Backend::Postgres;
        // A nested transaction (a savepoint inside the caller's) keeps the append all or
        // nothing when called outside `Store::transaction` too.
        db_run!(self, |conn| conn.transaction(|conn| {
            if postgres {
                // Followers read "seq > last seen". PostgreSQL hands out sequence numbers
                // at insert time but transactions commit in any order, so a follower could
                // see seq 8 before seq 7 commits and skip 7 for good. Holding this lock
                // until commit makes appends commit in seq order. SQLite needs nothing:
                // its write transactions are already serial.
                diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
                    .bind::<BigInt, _>(CHANGE_LOG_LOCK_KEY)
                    .execute(conn)?;
            }
            for chunk in rows.chunks(INSERT_CHUNK) {
                diesel::insert_into(change_log::table)
                    .values(chunk)
                    .execute(conn)?;
            }
            QueryResult::Ok(())
        }))?;
        Ok(())
    }

    /// Up to `limit` entries with a sequence number above `seq`, oldest first.
    pub fn changes_since(&mut self, seq: i64, limit: i64) -> Result<Vec<ChangeRow>, StoreError> {
        let rows = db_run!(self, |conn| change_log::table
            .filter(change_log::seq.gt(seq))
            .order(change_log::seq.asc())
            .limit(limit.max(0))
            .select(ChangeRow::as_select())
            .load(conn))?;
        Ok(rows)
    }

    /// The newest sequence number, or 0 when the log is empty.
    pub fn last_change_seq(&mut self) -> Result<i64, StoreError> {
        let last: Option<i64> = db_run!(self, |conn| change_log::table
            .select(max(change_log::seq))
            .first(conn))?;
        Ok(last.unwrap_or(0))
    }
}
