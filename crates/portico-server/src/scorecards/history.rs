//! Keeping the stored history in step with the results: today's rows of an
//! entity are rewritten when its results change, and a new day starts with
//! a row for every entity and check.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use portico_scorecards::Outcome;
use portico_store::{ScoreRow, Store, StoreError};

use super::engine::{Results, Scored};

/// Entities written per transaction.
const WRITE_BATCH: usize = 2_000;
const DAY_MS: i64 = 86_400_000;

/// Days since 1970-01-01 (UTC) at `ms`.
pub fn day_of(ms: i64) -> i32 {
    i32::try_from(ms.div_euclid(DAY_MS)).unwrap_or(i32::MAX)
}

/// What this replica last wrote for each entity today.
pub struct History {
    day: i32,
    /// A digest of each entity's rows of `day`.
    written: HashMap<Arc<str>, u64>,
}

impl History {
    /// Reads what is stored for `day`, so that a restart writes only what
    /// changed since.
    pub fn load(store: &Store, day: i32) -> Result<History, StoreError> {
        let rows = store.read(|tx| tx.score_rows_of_day(day))?;
        let mut by_entity: HashMap<String, Vec<ScoreRow>> = HashMap::new();
        for row in rows {
            by_entity
                .entry(row.entity_ref.clone())
                .or_default()
                .push(row);
        }
        let written = by_entity
            .into_iter()
            .map(|(entity_ref, rows)| (Arc::from(entity_ref.as_str()), digest(&rows)))
            .collect();
        Ok(History { day, written })
    }

    /// Writes the rows of `day` that differ from what was written: for
    /// `refs`, or for every entity (at a new day, or after a full pass).
    /// Returns how many entities were written.
    pub fn write(
        &mut self,
        store: &Store,
        results: &Results,
        refs: Option<&[Arc<str>]>,
        day: i32,
    ) -> Result<usize, StoreError> {
        let mut refs: Vec<Arc<str>> = match refs {
            Some(refs) if day == self.day => refs.to_vec(),
            _ => results
                .entities
                .keys()
                .chain(self.written.keys())
                .cloned()
                .collect(),
        };
        if day != self.day {
            self.day = day;
            self.written.clear();
        }
        refs.sort_unstable();
        refs.dedup();
        let mut pending: Vec<(Arc<str>, Vec<ScoreRow>, u64)> = Vec::new();
        for entity_ref in refs {
            let rows = rows_of(&entity_ref, results.entities.get(&entity_ref), day);
            let sum = digest(&rows);
            let unchanged = match self.written.get(&entity_ref) {
                Some(old) => *old == sum,
                None => rows.is_empty(),
            };
            if !unchanged {
                pending.push((entity_ref, rows, sum));
            }
        }
        let count = pending.len();
        for batch in pending.chunks(WRITE_BATCH) {
            let refs: Vec<String> = batch.iter().map(|(r, _, _)| r.to_string()).collect();
            let rows: Vec<ScoreRow> = batch
                .iter()
                .flat_map(|(_, rows, _)| rows.iter().cloned())
                .collect();
            store.transaction(|tx| tx.replace_score_rows(day, &refs, &rows))?;
            for (entity_ref, rows, sum) in batch {
                if rows.is_empty() {
                    self.written.remove(entity_ref);
                } else {
                    self.written.insert(entity_ref.clone(), *sum);
                }
            }
        }
        Ok(count)
    }
}

/// The rows of one entity for `day`: one per check that applied.
fn rows_of(entity_ref: &str, scored: Option<&Scored>, day: i32) -> Vec<ScoreRow> {
    let Some(scored) = scored else {
        return Vec::new();
    };
    let mut rows: Vec<ScoreRow> = scored
        .scores
        .iter()
        .flat_map(|score| {
            score
                .checks
                .iter()
                .filter(|check| check.outcome != Outcome::Skip)
                .map(|check| ScoreRow {
                    scorecard: score.scorecard.clone(),
                    entity_ref: entity_ref.to_owned(),
                    check_id: check.id.to_string(),
                    day,
                    passed: check.outcome == Outcome::Pass,
                })
        })
        .collect();
    rows.sort_unstable_by(|a, b| {
        (a.scorecard.as_str(), a.check_id.as_str())
            .cmp(&(b.scorecard.as_str(), b.check_id.as_str()))
    });
    rows
}

fn digest(rows: &[ScoreRow]) -> u64 {
    let mut sorted: Vec<(&str, &str, bool)> = rows
        .iter()
        .map(|r| (r.scorecard.as_str(), r.check_id.as_str(), r.passed))
        .collect();
    sorted.sort_unstable();
    let mut hasher = DefaultHasher::new();
    sorted.hash(&mut hasher);
    hasher.finish()
}
