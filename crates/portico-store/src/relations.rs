use diesel::prelude::*;

use crate::schema::relations;
use crate::{StoreError, Tx, LOOKUP_CHUNK};

/// Rows per multi-row insert: 4 columns x 5000 = 20,000 bound values, under SQLite's
/// 32,766 and PostgreSQL's 65,535.
const INSERT_CHUNK: usize = 5000;

/// One directed relation. Both directions of a relation are stored as separate rows;
/// `origin_ref` is the entity whose spec produced the row, so a re-read of that entity
/// replaces exactly the rows it made.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Queryable, Selectable, Insertable)]
#[diesel(
    table_name = relations,
    check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg),
    // Lets SQLite insert a batch in one multi-row statement instead of row by row.
    treat_none_as_default_value = false
)]
pub struct RelationRow {
    pub source_ref: String,
    pub relation_type: String,
    pub target_ref: String,
    pub origin_ref: String,
}

impl Tx<'_> {
    /// The rows made by these origin entities, sorted by (source, type, target, origin).
    pub fn relations_by_origins(
        &mut self,
        origins: &[String],
    ) -> Result<Vec<RelationRow>, StoreError> {
        let mut out = Vec::new();
        for chunk in origins.chunks(LOOKUP_CHUNK) {
            let rows = db_run!(self, |conn| relations::table
                .filter(relations::origin_ref.eq_any(chunk))
                .select(RelationRow::as_select())
                .load(conn))?;
            out.extend(rows);
        }
        Ok(sorted_unique(out))
    }

    pub fn delete_relations_by_origins(&mut self, origins: &[String]) -> Result<(), StoreError> {
        for chunk in origins.chunks(LOOKUP_CHUNK) {
            db_run!(self, |conn| diesel::delete(
                relations::table.filter(relations::origin_ref.eq_any(chunk))
            )
            .execute(conn))?;
        }
        Ok(())
    }

    /// Inserts the rows; a row equal to a stored one (or to an earlier one in `rows`) is
    /// skipped.
    pub fn insert_relations(&mut self, rows: &[RelationRow]) -> Result<(), StoreError> {
        for chunk in rows.chunks(INSERT_CHUNK) {
            db_run!(self, |conn| diesel::insert_into(relations::table)
                .values(chunk)
                .on_conflict_do_nothing()
                .execute(conn))?;
        }
        Ok(())
    }

    /// The rows whose source is one of these entities, sorted by (source, type, target,
    /// origin).
    pub fn relations_by_sources(
        &mut self,
        sources: &[String],
    ) -> Result<Vec<RelationRow>, StoreError> {
        let mut out = Vec::new();
        for chunk in sources.chunks(LOOKUP_CHUNK) {
            let rows = db_run!(self, |conn| relations::table
                .filter(relations::source_ref.eq_any(chunk))
                .select(RelationRow::as_select())
                .load(conn))?;
            out.extend(rows);
        }
        Ok(sorted_unique(out))
    }
}

/// One order however the input was chunked; a key asked for twice yields its rows once.
fn sorted_unique(mut rows: Vec<RelationRow>) -> Vec<RelationRow> {
    rows.sort_unstable_by(|a, b| {
        (
            &a.source_ref,
            &a.relation_type,
            &a.target_ref,
            &a.origin_ref,
        )
            .cmp(&(
                &b.source_ref,
                &b.relation_type,
                &b.target_ref,
                &b.origin_ref,
            ))
    });
    rows.dedup();
    rows
}
