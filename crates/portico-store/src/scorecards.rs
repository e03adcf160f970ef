//! Scorecard history: whether each check passed, per scorecard, entity and
//! day. Today's rows follow the results as they change; earlier days stay as
//! they were and make the trends.

use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel::upsert::excluded;

use crate::schema::{doc_pages, entities, scorecard_results};
use crate::{StoreError, Tx, LOOKUP_CHUNK};

/// Rows per multi-row insert: 5 bound values per row.
const INSERT_CHUNK: usize = 2000;

/// One check's result for one entity on one day (days since 1970-01-01, UTC).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(
    table_name = scorecard_results,
    check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg),
    // One multi-row statement on SQLite too (see `EntityRow`).
    treat_none_as_default_value = false
)]
pub struct ScoreRow {
    pub scorecard: String,
    pub entity_ref: String,
    pub check_id: String,
    pub day: i32,
    pub passed: bool,
}

/// How many entities a check applied to, and passed, on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayCount {
    pub day: i32,
    pub passed: i64,
    pub applicable: i64,
}

impl Tx<'_> {
    /// Every row of `day`.
    pub fn score_rows_of_day(&mut self, day: i32) -> Result<Vec<ScoreRow>, StoreError> {
        let rows = db_run!(self, |conn| scorecard_results::table
            .filter(scorecard_results::day.eq(day))
            .select(ScoreRow::as_select())
            .load(conn))?;
        Ok(rows)
    }

    /// The rows of one entity from `from_day` on, by scorecard, check and
    /// day.
    pub fn score_rows_of_entity(
        &mut self,
        entity_ref: &str,
        from_day: i32,
    ) -> Result<Vec<ScoreRow>, StoreError> {
        let rows = db_run!(self, |conn| scorecard_results::table
            .filter(scorecard_results::entity_ref.eq(entity_ref))
            .filter(scorecard_results::day.ge(from_day))
            .order((
                scorecard_results::scorecard.asc(),
                scorecard_results::check_id.asc(),
                scorecard_results::day.asc(),
            ))
            .select(ScoreRow::as_select())
            .load(conn))?;
        Ok(rows)
    }

    /// Makes `rows` the results of `day` for the entities `refs`: their
    /// earlier rows of that day go (a check that no longer applies, an
    /// entity that is gone), then `rows` are written. Every row must be of
    /// `day` and of one of `refs`.
    pub fn replace_score_rows(
        &mut self,
        day: i32,
        refs: &[String],
        rows: &[ScoreRow],
    ) -> Result<(), StoreError> {
        for chunk in refs.chunks(LOOKUP_CHUNK) {
            db_run!(self, |conn| diesel::delete(
                scorecard_results::table
                    .filter(scorecard_results::day.eq(day))
                    .filter(scorecard_results::entity_ref.eq_any(chunk))
            )
            .execute(conn))?;
        }
        for chunk in rows.chunks(INSERT_CHUNK) {
            // Another replica may write the same rows at the same moment:
            // the last write wins rather than failing.
            db_run!(self, |conn| diesel::insert_into(scorecard_results::table)
                .values(chunk)
                .on_conflict((
                    scorecard_results::entity_ref,
                    scorecard_results::scorecard,
                    scorecard_results::check_id,
                    scorecard_results::day,
                ))
                .do_update()
                .set(scorecard_results::passed.eq(excluded(scorecard_results::passed)))
                .execute(conn))?;
        }
        Ok(())
    }

    /// Per check and day from `from_day` on: entities the check applied to
    /// and how many passed, over all entities or only `refs`. Sorted by
    /// check, then day.
    pub fn score_trend(
        &mut self,
        scorecard: &str,
        from_day: i32,
        refs: Option<&[String]>,
    ) -> Result<Vec<(String, DayCount)>, StoreError> {
        type Group = (String, i32, bool, i64);
        let mut groups: Vec<Group> = Vec::new();
        let query = || {
            scorecard_results::table
                .filter(scorecard_results::scorecard.eq(scorecard))
                .filter(scorecard_results::day.ge(from_day))
                .group_by((
                    scorecard_results::check_id,
                    scorecard_results::day,
                    scorecard_results::passed,
                ))
                .select((
                    scorecard_results::check_id,
                    scorecard_results::day,
                    scorecard_results::passed,
                    count_star(),
                ))
        };
        match refs {
            None => groups = db_run!(self, |conn| query().load::<Group>(conn))?,
            Some(refs) => {
                for chunk in refs.chunks(LOOKUP_CHUNK) {
                    let part = db_run!(self, |conn| query()
                        .filter(scorecard_results::entity_ref.eq_any(chunk))
                        .load::<Group>(conn))?;
                    groups.extend(part);
                }
            }
        }
        let mut counts: std::collections::BTreeMap<(String, i32), DayCount> = Default::default();
        for (check, day, passed, n) in groups {
            let count = counts.entry((check, day)).or_insert(DayCount {
                day,
                passed: 0,
                applicable: 0,
            });
            count.applicable += n;
            if passed {
                count.passed += n;
            }
        }
        Ok(counts
            .into_iter()
            .map(|((check, _), count)| (check, count))
            .collect())
    }

    /// Deletes history from before `day`; returns how many rows went.
    pub fn prune_score_rows(&mut self, before_day: i32) -> Result<usize, StoreError> {
        let n = db_run!(self, |conn| diesel::delete(
            scorecard_results::table.filter(scorecard_results::day.lt(before_day))
        )
        .execute(conn))?;
        Ok(n)
    }

    /// `(entity_ref, updated_at)` of the given entities, or of all: when
    /// each one's definition last changed.
    pub fn entity_update_times(
        &mut self,
        refs: Option<&[String]>,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let query = || entities::table.select((entities::entity_ref, entities::updated_at));
        let Some(refs) = refs else {
            return Ok(db_run!(self, |conn| query().load(conn))?);
        };
        let mut out = Vec::with_capacity(refs.len());
        for chunk in refs.chunks(LOOKUP_CHUNK) {
            let rows: Vec<(String, i64)> = db_run!(self, |conn| query()
                .filter(entities::entity_ref.eq_any(chunk))
                .load(conn))?;
            out.extend(rows);
        }
        Ok(out)
    }

    /// `(entity_ref, source_path, toc_json)` of the pages of the given
    /// entities' sites, or of every site: what a page is without its HTML.
    pub fn doc_page_outlines(
        &mut self,
        refs: Option<&[String]>,
    ) -> Result<Vec<(String, String, String)>, StoreError> {
        let query = || {
            doc_pages::table
                .order((doc_pages::entity_ref.asc(), doc_pages::path.asc()))
                .select((
                    doc_pages::entity_ref,
                    doc_pages::source_path,
                    doc_pages::toc_json,
                ))
        };
        let Some(refs) = refs else {
            return Ok(db_run!(self, |conn| query().load(conn))?);
        };
        let mut out = Vec::new();
        for chunk in refs.chunks(LOOKUP_CHUNK) {
            let rows: Vec<(String, String, String)> = db_run!(self, |conn| query()
                .filter(doc_pages::entity_ref.eq_any(chunk))
                .load(conn))?;
            out.extend(rows);
        }
        Ok(out)
    }
}
