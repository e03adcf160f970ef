use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

use crate::error::conflict_or;
use crate::schema::locations;
use crate::store::Backend;
use crate::{StoreError, Tx};

/// A registered location: where entities are read from, and the state of its last read.
/// Its refresh schedule and claim (see [`LocationClaim`]) are separate columns that take
/// their defaults on insert: due at once, no failures, unclaimed.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(
    table_name = locations,
    check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg),
    treat_none_as_default_value = false
)]
pub struct LocationRow {
    pub id: String,
    pub location_type: String,
    pub target: String,
    pub content_hash: Option<String>,
    pub errors_json: String,
    pub refreshed_at: Option<i64>,
    pub created_at: i64,
}

impl Tx<'_> {
    /// Inserts a location; one with the same (type, target) gives `StoreError::Conflict`.
    pub fn insert_location(&mut self, row: &LocationRow) -> Result<(), StoreError> {
        // Inside a savepoint: on PostgreSQL a failed statement aborts the whole transaction,
        // and the caller should be able to report the conflict and carry on, as on SQLite.
        db_run!(self, |conn| conn.transaction(|conn| diesel::insert_into(
            locations::table
        )
        .values(row)
        .execute(conn)))
        .map(drop)
        .map_err(conflict_or)
    }

    pub fn location(&mut self, id: &str) -> Result<Option<LocationRow>, StoreError> {
        let row = db_run!(self, |conn| locations::table
            .find(id)
            .select(LocationRow::as_select())
            .first(conn)
            .optional())?;
        Ok(row)
    }

    pub fn location_by_target(
        &mut self,
        location_type: &str,
        target: &str,
    ) -> Result<Option<LocationRow>, StoreError> {
        let row = db_run!(self, |conn| locations::table
            .filter(locations::location_type.eq(location_type))
            .filter(locations::target.eq(target))
            .select(LocationRow::as_select())
            .first(conn)
            .optional())?;
        Ok(row)
    }

    /// All locations, oldest first (ties by id).
    pub fn locations(&mut self) -> Result<Vec<LocationRow>, StoreError> {
        let rows = db_run!(self, |conn| locations::table
            .order((locations::created_at.asc(), locations::id.asc()))
            .select(LocationRow::as_select())
            .load(conn))?;
        Ok(rows)
    }

    /// Records the outcome of reading a location. An unknown id changes nothing.
    pub fn update_location_state(
        &mut self,
        id: &str,
        content_hash: Option<&str>,
        errors_json: &str,
        refreshed_at: i64,
    ) -> Result<(), StoreError> {
        db_run!(self, |conn| diesel::update(locations::table.find(id))
            .set((
                locations::content_hash.eq(content_hash),
                locations::errors_json.eq(errors_json),
                locations::refreshed_at.eq(Some(refreshed_at)),
            ))
            .execute(conn))?;
        Ok(())
    }

    /// Deletes a location row only (not its entities); `false` when there was none.
    pub fn delete_location(&mut self, id: &str) -> Result<bool, StoreError> {
        let deleted = db_run!(self, |conn| diesel::delete(locations::table.find(id))
            .execute(conn))?;
        Ok(deleted > 0)
    }
}

/// A location handed to one refresher: it holds the claim until `claimed_until` (epoch ms)
/// unless it releases it first with [`Tx::release_location`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationClaim {
    pub id: String,
    pub location_type: String,
    pub target: String,
    /// Consecutive failed refreshes before this claim.
    pub refresh_failures: i32,
    pub claimed_until: i64,
}

/// The answer to [`Tx::claim_location`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimOutcome {
    Claimed(LocationClaim),
    /// Another owner holds a live claim, which lapses at `until` (epoch ms).
    Busy {
        owner: String,
        until: i64,
    },
    /// No location has this id.
    Missing,
}

/// One row of a claiming `UPDATE ... RETURNING`.
#[derive(QueryableByName)]
struct ClaimedRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    location_type: String,
    #[diesel(sql_type = Text)]
    target: String,
    #[diesel(sql_type = Integer)]
    refresh_failures: i32,
    #[diesel(sql_type = BigInt)]
    claimed_until: i64,
    #[diesel(sql_type = BigInt)]
    next_refresh_at: i64,
}

impl From<ClaimedRow> for LocationClaim {
    fn from(row: ClaimedRow) -> Self {
        LocationClaim {
            id: row.id,
            location_type: row.location_type,
            target: row.target,
            refresh_failures: row.refresh_failures,
            claimed_until: row.claimed_until,
        }
    }
}

// Raw SQL: diesel's DSL has RETURNING on SQLite only behind a feature this crate does not
// enable (`returning_clauses_for_sqlite_3_35`), and no locking clause in a subselect. Both
// backends bind the same values in the same order: 1 owner, 2 claimed_until, 3 now,
// 4 limit or id; PostgreSQL numbers them `$N`, SQLite `?N`, so a value used twice is
// bound once.
//
// A location is free when it is unclaimed or its lease has lapsed (claimed_until < now).

/// PostgreSQL: the candidates are locked with SKIP LOCKED, so a concurrent claimer passes
/// over rows this statement is taking instead of waiting for them and claiming them again.
/// MATERIALIZED makes the locking select run exactly once.
const CLAIM_DUE_PG: &str = "\
WITH due AS MATERIALIZED (
    SELECT id FROM locations
    WHERE next_refresh_at <= $3 AND (claimed_by IS NULL OR claimed_until < $3)
    ORDER BY next_refresh_at, id
    LIMIT $4
    FOR UPDATE SKIP LOCKED
)
UPDATE locations SET claimed_by = $1, claimed_until = $2, refresh_requested = FALSE
FROM due WHERE locations.id = due.id
RETURNING locations.id, locations.location_type, locations.target,
    locations.refresh_failures, locations.claimed_until, locations.next_refresh_at";

/// SQLite: one writer at a time, so the subselect and the update cannot interleave with
/// another claim.
const CLAIM_DUE_SQLITE: &str = "\
UPDATE locations SET claimed_by = ?1, claimed_until = ?2, refresh_requested = FALSE
WHERE id IN (
    SELECT id FROM locations
    WHERE next_refresh_at <= ?3 AND (claimed_by IS NULL OR claimed_until < ?3)
    ORDER BY next_refresh_at, id
    LIMIT ?4
)
RETURNING id, location_type, target, refresh_failures, claimed_until, next_refresh_at";

/// Claims one location unless another owner's claim is live. On PostgreSQL a concurrent
/// claim of the same row makes this wait for that transaction and re-check the condition.
const CLAIM_ONE_PG: &str = "\
UPDATE locations SET claimed_by = $1, claimed_until = $2, refresh_requested = FALSE
WHERE id = $4 AND (claimed_by IS NULL OR claimed_by = $1 OR claimed_until < $3)
RETURNING id, location_type, target, refresh_failures, claimed_until, next_refresh_at";

const CLAIM_ONE_SQLITE: &str = "\
UPDATE locations SET claimed_by = ?1, claimed_until = ?2, refresh_requested = FALSE
WHERE id = ?4 AND (claimed_by IS NULL OR claimed_by = ?1 OR claimed_until < ?3)
RETURNING id, location_type, target, refresh_failures, claimed_until, next_refresh_at";

/// Ends a claim; a refresh requested while it was held makes the location due at once.
const RELEASE_PG: &str = "\
UPDATE locations SET claimed_by = NULL, claimed_until = NULL,
    next_refresh_at = CASE WHEN refresh_requested THEN 0 ELSE $3 END,
    refresh_failures = $4, refresh_requested = FALSE
WHERE id = $1 AND claimed_by = $2";

const RELEASE_SQLITE: &str = "\
UPDATE locations SET claimed_by = NULL, claimed_until = NULL,
    next_refresh_at = CASE WHEN refresh_requested THEN 0 ELSE ?3 END,
    refresh_failures = ?4, refresh_requested = FALSE
WHERE id = ?1 AND claimed_by = ?2";

/// How often `claim_location` retries when the claim it found in the way was released
/// between its two statements. Each retry needs another claimer to get in between.
const CLAIM_ATTEMPTS: usize = 3;

impl Tx<'_> {
    /// Claims up to `limit` locations that are due (`next_refresh_at <= now`) and free
    /// (unclaimed, or their lease ended before `now`) for `owner` until `now + lease_ms`;
    /// most overdue first (by `next_refresh_at`, then id). Concurrent callers on one
    /// database never receive the same location. Run it in its own
    /// [`Store::transaction`](crate::Store::transaction) so the claims are committed before
    /// the refreshes start.
    pub fn claim_due_locations(
        &mut self,
        owner: &str,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<LocationClaim>, StoreError> {
        if limit <= 0 {
            return Ok(Vec::new());
        }
        let sql = match self.backend() {
            Backend::Sqlite => CLAIM_DUE_SQLITE,
            Backend::Postgres => CLAIM_DUE_PG,
        };
        let mut rows: Vec<ClaimedRow> = db_run!(self, |conn| diesel::sql_query(sql)
            .bind::<Text, _>(owner)
            .bind::<BigInt, _>(now.saturating_add(lease_ms))
            .bind::<BigInt, _>(now)
            .bind::<BigInt, _>(limit)
            .load(conn))?;
        // RETURNING gives rows in no particular order.
        rows.sort_by(|a, b| (a.next_refresh_at, &a.id).cmp(&(b.next_refresh_at, &b.id)));
        Ok(rows.into_iter().map(LocationClaim::from).collect())
    }

    /// Claims location `id` for `owner` until `now + lease_ms` whether or not it is due (a
    /// webhook or an API refresh), unless another owner holds a live claim: then `Busy`
    /// with that owner and the end of its lease. Re-claiming one's own claim renews it.
    pub fn claim_location(
        &mut self,
        id: &str,
        owner: &str,
        now: i64,
        lease_ms: i64,
    ) -> Result<ClaimOutcome, StoreError> {
        let sql = match self.backend() {
            Backend::Sqlite => CLAIM_ONE_SQLITE,
            Backend::Postgres => CLAIM_ONE_PG,
        };
        for _ in 0..CLAIM_ATTEMPTS {
            let claimed: Option<ClaimedRow> = db_run!(self, |conn| diesel::sql_query(sql)
                .bind::<Text, _>(owner)
                .bind::<BigInt, _>(now.saturating_add(lease_ms))
                .bind::<BigInt, _>(now)
                .bind::<Text, _>(id)
                .get_result(conn)
                .optional())?;
            if let Some(row) = claimed {
                return Ok(ClaimOutcome::Claimed(row.into()));
            }
            // Not claimed: find out why.
            let holder: Option<(Option<String>, Option<i64>)> = db_run!(self, |conn| {
                locations::table
                    .find(id)
                    .select((locations::claimed_by, locations::claimed_until))
                    .first(conn)
                    .optional()
            })?;
            match holder {
                None => return Ok(ClaimOutcome::Missing),
                Some((Some(holder), Some(until))) if holder != owner && until >= now => {
                    return Ok(ClaimOutcome::Busy {
                        owner: holder,
                        until,
                    })
                }
                // Released (or lapsed) between the two statements: try again.
                Some(_) => {}
            }
        }
        Err(StoreError::Database(format!(
            "location {id}: its claim changed under each of {CLAIM_ATTEMPTS} attempts to claim it"
        )))
    }

    /// Ends `owner`'s claim on location `id` and records when it is next due and how many
    /// refreshes in a row have failed. `false`, changing nothing, when `owner` no longer
    /// holds it (its lease lapsed and another owner claimed it, or the location is gone).
    pub fn release_location(
        &mut self,
        id: &str,
        owner: &str,
        next_refresh_at: i64,
        refresh_failures: i32,
    ) -> Result<bool, StoreError> {
        let sql = match self.backend() {
            Backend::Sqlite => RELEASE_SQLITE,
            Backend::Postgres => RELEASE_PG,
        };
        let released = db_run!(self, |conn| diesel::sql_query(sql)
            .bind::<Text, _>(id)
            .bind::<Text, _>(owner)
            .bind::<BigInt, _>(next_refresh_at)
            .bind::<Integer, _>(refresh_failures)
            .execute(conn))?;
        Ok(released > 0)
    }

    /// Records who registered location `id`: `"config"` (the configuration file) or
    /// `"api"`. An unknown id changes nothing.
    pub fn set_registered_by(&mut self, id: &str, registered_by: &str) -> Result<(), StoreError> {
        db_run!(self, |conn| diesel::update(locations::table.find(id))
            .set(locations::registered_by.eq(registered_by))
            .execute(conn))?;
        Ok(())
    }

    /// Locations registered by `registered_by`, oldest first.
    pub fn locations_registered_by(
        &mut self,
        registered_by: &str,
    ) -> Result<Vec<LocationRow>, StoreError> {
        let rows = db_run!(self, |conn| locations::table
            .filter(locations::registered_by.eq(registered_by))
            .order((locations::created_at.asc(), locations::id.asc()))
            .select(LocationRow::as_select())
            .load(conn))?;
        Ok(rows)
    }

    /// Asks for location `id` to be refreshed as soon as possible: due now, and, if a
    /// claim is held on it, due again as soon as that claim is released (the holder may
    /// have read the repository before whatever prompted this). An unknown id changes
    /// nothing.
    pub fn request_refresh(&mut self, id: &str) -> Result<(), StoreError> {
        db_run!(self, |conn| diesel::update(locations::table.find(id))
            .set((
                locations::next_refresh_at.eq(0),
                locations::refresh_requested.eq(true),
            ))
            .execute(conn))?;
        Ok(())
    }

    /// Sets when location `id` is next due, whoever holds it: after registration, or 0 (or
    /// now) to have it refreshed as soon as possible. An unknown id changes nothing.
    pub fn schedule_location(&mut self, id: &str, next_refresh_at: i64) -> Result<(), StoreError> {
        db_run!(self, |conn| diesel::update(locations::table.find(id))
            .set(locations::next_refresh_at.eq(next_refresh_at))
            .execute(conn))?;
        Ok(())
    }

    /// `(next_refresh_at, refresh_failures, claimed_by, claimed_until)` of location `id`,
    /// for status display; `None` for an unknown id.
    // The tuple is the agreed interface; a named type would be one more export for one caller.
    #[allow(clippy::type_complexity)]
    pub fn location_schedule(
        &mut self,
        id: &str,
    ) -> Result<Option<(i64, i32, Option<String>, Option<i64>)>, StoreError> {
        let row = db_run!(self, |conn| locations::table
            .find(id)
            .select((
                locations::next_refresh_at,
                locations::refresh_failures,
                locations::claimed_by,
                locations::claimed_until,
            ))
            .first(conn)
            .optional())?;
        Ok(row)
    }
}
