//! Counts for metrics: what the catalog holds and how the scaffolder's
//! tasks stand. Each is one grouped query, cheap enough for every scrape.

use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::schema::{entities, locations, scaffolder_tasks};
use crate::{StoreError, Tx};

/// Stored entities of one kind.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KindCounts {
    pub kind: String,
    pub entities: i64,
    /// Marked orphan: their location no longer lists them.
    pub orphans: i64,
    /// Their last processing reported an error.
    pub with_errors: i64,
}

/// Processing problems are stored as JSON lists of items with a `level`;
/// an entity with an error item holds this text (serde_json writes no
/// spaces).
const ERROR_ITEM: &str = "%\"level\":\"error\"%";

impl Tx<'_> {
    /// Entities per kind (as written in their files), with orphans and
    /// processing errors, sorted by kind.
    pub fn kind_counts(&mut self) -> Result<Vec<KindCounts>, StoreError> {
        let totals: Vec<(String, i64)> = db_run!(self, |conn| entities::table
            .group_by(entities::kind)
            .select((entities::kind, count_star()))
            .load(conn))?;
        let orphans: Vec<(String, i64)> = db_run!(self, |conn| entities::table
            .filter(entities::orphan.eq(true))
            .group_by(entities::kind)
            .select((entities::kind, count_star()))
            .load(conn))?;
        let failing: Vec<(String, i64)> = db_run!(self, |conn| entities::table
            .filter(entities::errors_json.like(ERROR_ITEM))
            .group_by(entities::kind)
            .select((entities::kind, count_star()))
            .load(conn))?;
        let mut counts: Vec<KindCounts> = totals
            .into_iter()
            .map(|(kind, entities)| KindCounts {
                kind,
                entities,
                ..KindCounts::default()
            })
            .collect();
        counts.sort_unstable_by(|a, b| a.kind.cmp(&b.kind));
        let find = |counts: &[KindCounts], kind: &str| {
            counts.binary_search_by(|c| c.kind.as_str().cmp(kind)).ok()
        };
        for (kind, n) in orphans {
            if let Some(i) = find(&counts, &kind) {
                counts[i].orphans = n;
            }
        }
        for (kind, n) in failing {
            if let Some(i) = find(&counts, &kind) {
                counts[i].with_errors = n;
            }
        }
        Ok(counts)
    }

    /// Locations whose last read reported an error.
    pub fn failing_location_count(&mut self) -> Result<i64, StoreError> {
        Ok(db_run!(self, |conn| locations::table
            .filter(locations::errors_json.like(ERROR_ITEM))
            .select(count_star())
            .first(conn))?)
    }

    /// Scaffolder tasks per status, sorted by status.
    pub fn task_status_counts(&mut self) -> Result<Vec<(String, i64)>, StoreError> {
        let mut counts: Vec<(String, i64)> = db_run!(self, |conn| scaffolder_tasks::table
            .group_by(scaffolder_tasks::status)
            .select((scaffolder_tasks::status, count_star()))
            .load(conn))?;
        counts.sort_unstable();
        Ok(counts)
    }
}
