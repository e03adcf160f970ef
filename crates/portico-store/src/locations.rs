use diesel::prelude::*;

use crate::error::conflict_or;
use crate::schema::locations;
use crate::{StoreError, Tx};

/// A registered location: where entities are read from, and the state of its last read.
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
