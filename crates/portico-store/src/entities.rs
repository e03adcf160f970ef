use std::collections::HashMap;

use diesel::prelude::*;
use diesel::upsert::excluded;

use crate::schema::entities;
use crate::{StoreError, Tx, LOOKUP_CHUNK};

/// Rows per multi-row upsert: 17 columns x 1000 = 17,000 bound values, under SQLite's
/// 32,766 and PostgreSQL's 65,535.
const UPSERT_CHUNK: usize = 1000;

/// One stored entity: identity, provenance, and its JSON at each pipeline stage.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(
    table_name = entities,
    check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg),
    // None is inserted as NULL, not DEFAULT: this lets SQLite insert a batch in one
    // multi-row statement (diesel goes row by row when DEFAULT may appear).
    treat_none_as_default_value = false
)]
pub struct EntityRow {
    /// Lower-cased `kind:namespace/name`; the primary key.
    pub entity_ref: String,
    /// Unique across all entities.
    pub uid: String,
    pub etag: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub location_id: String,
    pub parent_ref: Option<String>,
    pub source_file: String,
    pub source_line: i32,
    pub processed_json: Option<String>,
    pub final_json: Option<String>,
    pub errors_json: String,
    pub content_hash: String,
    pub orphan: bool,
    pub created_at: i64,
    /// When the entity's own definition last changed: its file's content,
    /// its processing outcome, its orphaning. Relations other entities add
    /// (stitching) do not count.
    pub updated_at: i64,
}

impl Tx<'_> {
    /// The entities with these refs, sorted by ref; unknown refs are skipped.
    pub fn entities_by_refs(&mut self, refs: &[String]) -> Result<Vec<EntityRow>, StoreError> {
        let mut out = Vec::with_capacity(refs.len());
        for chunk in refs.chunks(LOOKUP_CHUNK) {
            let rows = db_run!(self, |conn| entities::table
                .filter(entities::entity_ref.eq_any(chunk))
                .select(EntityRow::as_select())
                .load(conn))?;
            out.extend(rows);
        }
        // One order however the input was chunked; a ref asked for twice comes back once.
        out.sort_unstable_by(|a, b| a.entity_ref.cmp(&b.entity_ref));
        out.dedup_by(|a, b| a.entity_ref == b.entity_ref);
        Ok(out)
    }

    pub fn entity_by_uid(&mut self, uid: &str) -> Result<Option<EntityRow>, StoreError> {
        let row = db_run!(self, |conn| entities::table
            .filter(entities::uid.eq(uid))
            .select(EntityRow::as_select())
            .first(conn)
            .optional())?;
        Ok(row)
    }

    /// The entities emitted by one location, sorted by ref.
    pub fn entities_of_location(
        &mut self,
        location_id: &str,
    ) -> Result<Vec<EntityRow>, StoreError> {
        let rows = db_run!(self, |conn| entities::table
            .filter(entities::location_id.eq(location_id))
            .order(entities::entity_ref.asc())
            .select(EntityRow::as_select())
            .load(conn))?;
        Ok(rows)
    }

    /// Every entity, sorted by ref.
    /// Refs of the entities a location manages, in ref order: for callers that
    /// need only the names, not 17 columns of every row.
    pub fn entity_refs_of_location(
        &mut self,
        location_id: &str,
    ) -> Result<Vec<String>, StoreError> {
        let refs = db_run!(self, |conn| entities::table
            .filter(entities::location_id.eq(location_id))
            .order(entities::entity_ref.asc())
            .select(entities::entity_ref)
            .load::<String>(conn))?;
        Ok(refs)
    }

    /// One page of `(entity_ref, final_json)` for entities that have a final
    /// version, in ref order after `after`: how the index is rebuilt without
    /// holding every full row at once.
    pub fn final_entities_page(
        &mut self,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let after = after.unwrap_or("");
        let rows = db_run!(self, |conn| entities::table
            .filter(entities::final_json.is_not_null())
            .filter(entities::entity_ref.gt(after))
            .order(entities::entity_ref.asc())
            .limit(limit)
            .select((entities::entity_ref, entities::final_json))
            .load::<(String, Option<String>)>(conn))?;
        Ok(rows
            .into_iter()
            .filter_map(|(r, j)| j.map(|j| (r, j)))
            .collect())
    }

    /// `(entity_ref, final_json)` for these refs; a ref with no row is absent,
    /// one with no final version has `None`.
    pub fn final_json_by_refs(
        &mut self,
        refs: &[String],
    ) -> Result<Vec<(String, Option<String>)>, StoreError> {
        let mut out = Vec::with_capacity(refs.len());
        for chunk in refs.chunks(LOOKUP_CHUNK) {
            let rows = db_run!(self, |conn| entities::table
                .filter(entities::entity_ref.eq_any(chunk))
                .select((entities::entity_ref, entities::final_json))
                .load::<(String, Option<String>)>(conn))?;
            out.extend(rows);
        }
        out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        out.dedup_by(|a, b| a.0 == b.0);
        Ok(out)
    }

    pub fn all_entities(&mut self) -> Result<Vec<EntityRow>, StoreError> {
        let rows = db_run!(self, |conn| entities::table
            .order(entities::entity_ref.asc())
            .select(EntityRow::as_select())
            .load(conn))?;
        Ok(rows)
    }

    /// Inserts each row, or overwrites every column of the stored row with its ref.
    /// When `rows` holds one ref twice, the last one wins.
    pub fn upsert_entities(&mut self, rows: &[EntityRow]) -> Result<(), StoreError> {
        // PostgreSQL refuses to update one row twice in a statement, so repeated refs are
        // reduced to their last occurrence first (SQLite would apply both in order).
        let rows = last_per_ref(rows);
        for chunk in rows.chunks(UPSERT_CHUNK) {
            let chunk = chunk.to_vec();
            db_run!(self, |conn| diesel::insert_into(entities::table)
                .values(chunk)
                .on_conflict(entities::entity_ref)
                .do_update()
                .set((
                    entities::uid.eq(excluded(entities::uid)),
                    entities::etag.eq(excluded(entities::etag)),
                    entities::kind.eq(excluded(entities::kind)),
                    entities::namespace.eq(excluded(entities::namespace)),
                    entities::name.eq(excluded(entities::name)),
                    entities::location_id.eq(excluded(entities::location_id)),
                    entities::parent_ref.eq(excluded(entities::parent_ref)),
                    entities::source_file.eq(excluded(entities::source_file)),
                    entities::source_line.eq(excluded(entities::source_line)),
                    entities::processed_json.eq(excluded(entities::processed_json)),
                    entities::final_json.eq(excluded(entities::final_json)),
                    entities::errors_json.eq(excluded(entities::errors_json)),
                    entities::content_hash.eq(excluded(entities::content_hash)),
                    entities::orphan.eq(excluded(entities::orphan)),
                    entities::created_at.eq(excluded(entities::created_at)),
                    entities::updated_at.eq(excluded(entities::updated_at)),
                ))
                .execute(conn))?;
        }
        Ok(())
    }

    /// Deletes the entities with these refs (only the entity rows; relations and change
    /// log entries are the caller's to handle).
    pub fn delete_entities(&mut self, refs: &[String]) -> Result<(), StoreError> {
        for chunk in refs.chunks(LOOKUP_CHUNK) {
            db_run!(self, |conn| diesel::delete(
                entities::table.filter(entities::entity_ref.eq_any(chunk))
            )
            .execute(conn))?;
        }
        Ok(())
    }
}

/// The rows in input order, keeping only the last row of each ref.
fn last_per_ref(rows: &[EntityRow]) -> Vec<&EntityRow> {
    let mut last: HashMap<&str, usize> = HashMap::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        last.insert(row.entity_ref.as_str(), i);
    }
    rows.iter()
        .enumerate()
        .filter(|(i, row)| last.get(row.entity_ref.as_str()) == Some(i))
        .map(|(_, row)| row)
        .collect()
}
