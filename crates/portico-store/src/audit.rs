//! The audit log: every write through the API or the UI, who asked, what it
//! was done to and how it ended. Rows are only ever added.

use diesel::prelude::*;

use crate::schema::audit_log;
use crate::{StoreError, Tx};

/// One recorded write.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(
    table_name = audit_log,
    check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg)
)]
pub struct AuditRow {
    /// Grows with each append.
    pub id: i64,
    /// Epoch milliseconds.
    pub at: i64,
    /// A user entity ref, `service:<subject>` or `anonymous`.
    pub actor: String,
    /// What was asked, e.g. `location.create`, `entity.delete`.
    pub action: String,
    /// What it was done to: an entity ref, a location, a task id.
    pub target: String,
    /// The entity the write concerns, when there is one.
    pub entity_ref: Option<String>,
    /// `allowed`, `denied` or `failed`.
    pub result: String,
    /// Status and other particulars, as JSON; opaque to the store.
    pub detail_json: String,
}

/// A write to record; the store gives it its id.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_log)]
pub struct NewAudit<'a> {
    pub at: i64,
    pub actor: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub entity_ref: Option<&'a str>,
    pub result: &'a str,
    pub detail_json: &'a str,
}

/// Which rows to read, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter<'a> {
    /// Only writes concerning this entity ref (lower case, as stored).
    pub entity_ref: Option<&'a str>,
    /// Only writes by this actor.
    pub actor: Option<&'a str>,
    /// Only writes at or after this instant (epoch ms).
    pub since: Option<i64>,
    /// Page size; 0 or less reads nothing.
    pub limit: i64,
}

impl Tx<'_> {
    /// Records a write.
    pub fn append_audit(&mut self, row: &NewAudit<'_>) -> Result<(), StoreError> {
        db_run!(self, |conn| diesel::insert_into(audit_log::table)
            .values(row)
            .execute(conn))?;
        Ok(())
    }

    /// The writes matching `filter`, newest first.
    pub fn audit(&mut self, filter: &AuditFilter<'_>) -> Result<Vec<AuditRow>, StoreError> {
        let rows = db_run!(self, |conn| {
            let mut query = audit_log::table.into_boxed();
            if let Some(entity_ref) = filter.entity_ref {
                query = query.filter(audit_log::entity_ref.eq(entity_ref));
            }
            if let Some(actor) = filter.actor {
                query = query.filter(audit_log::actor.eq(actor));
            }
            if let Some(since) = filter.since {
                query = query.filter(audit_log::at.ge(since));
            }
            query
                .order(audit_log::id.desc())
                .limit(filter.limit.max(0))
                .select(AuditRow::as_select())
                .load(conn)
        })?;
        Ok(rows)
    }
}
