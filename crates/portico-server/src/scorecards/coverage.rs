//! Coverage: how many of a set of entities pass each check and reach each
//! level, per team, and over time from the stored history.

use std::collections::{BTreeMap, HashSet};

use portico_catalog::Catalog;
use portico_scorecards::{Outcome, Scorecard};
use portico_store::{DayCount, Store, StoreError};
use serde::Serialize;

use super::engine::{Results, Scored};

/// Entities that have no level yet are counted under this name.
pub const NO_LEVEL: &str = "none";

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckCoverage {
    pub id: String,
    pub title: String,
    pub passed: usize,
    /// Entities the check applied to (not skipped).
    pub applicable: usize,
    /// `passed / applicable`, absent when nothing applied.
    pub coverage: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CardCoverage {
    pub scorecard: String,
    pub title: String,
    /// Entities the scorecard applies to.
    pub entities: usize,
    /// Entities per highest level reached, in the scorecard's order, then
    /// `none`.
    pub levels: Vec<LevelCount>,
    pub checks: Vec<CheckCoverage>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LevelCount {
    pub level: String,
    pub entities: usize,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamCoverage {
    /// The owner's ref (`group:default/playback`), or `none`.
    pub team: String,
    #[serde(flatten)]
    pub coverage: CardCoverage,
}

/// A check's coverage per day, oldest first.
#[derive(Debug, Clone, Serialize)]
pub struct TrendSeries {
    pub check: String,
    pub points: Vec<TrendPoint>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TrendPoint {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub passed: i64,
    pub applicable: i64,
    pub coverage: Option<f64>,
}

/// `passed / applicable`, or `None` when nothing applied.
pub fn ratio(passed: usize, applicable: usize) -> Option<f64> {
    (applicable > 0).then(|| passed as f64 / applicable as f64)
}

/// Coverage of `card` over `entities` (those it does not apply to are
/// left out).
pub fn card_coverage<'a>(
    card: &Scorecard,
    entities: impl Iterator<Item = &'a Scored>,
) -> CardCoverage {
    let mut passed = vec![0usize; card.checks.len()];
    let mut applicable = vec![0usize; card.checks.len()];
    let mut levels: BTreeMap<Option<&str>, usize> = BTreeMap::new();
    let mut count = 0;
    for scored in entities {
        let Some(score) = scored.score(&card.name) else {
            continue;
        };
        count += 1;
        *levels.entry(score.level.as_deref()).or_default() += 1;
        for (i, check) in card.checks.iter().enumerate() {
            match score
                .checks
                .iter()
                .find(|c| *c.id == *check.id)
                .map(|c| c.outcome)
            {
                Some(Outcome::Pass) => {
                    passed[i] += 1;
                    applicable[i] += 1;
                }
                Some(Outcome::Fail) => applicable[i] += 1,
                Some(Outcome::Skip) | None => {}
            }
        }
    }
    let mut level_counts: Vec<LevelCount> = card
        .levels
        .iter()
        .map(|level| LevelCount {
            level: level.name.clone(),
            entities: levels.get(&Some(level.name.as_str())).copied().unwrap_or(0),
        })
        .collect();
    level_counts.push(LevelCount {
        level: NO_LEVEL.to_owned(),
        entities: levels.get(&None).copied().unwrap_or(0),
    });
    CardCoverage {
        scorecard: card.name.clone(),
        title: card.title.clone(),
        entities: count,
        levels: level_counts,
        checks: card
            .checks
            .iter()
            .enumerate()
            .map(|(i, check)| CheckCoverage {
                id: check.id.clone(),
                title: check.title.clone(),
                passed: passed[i],
                applicable: applicable[i],
                coverage: ratio(passed[i], applicable[i]),
            })
            .collect(),
    }
}

/// Coverage of `card` over every entity of `results`, and per owning
/// team: the organisation's view.
pub fn org_coverage(card: &Scorecard, results: &Results) -> (CardCoverage, Vec<TeamCoverage>) {
    (
        card_coverage(card, results.entities.values()),
        by_team(card, results.entities.values()),
    )
}

/// Coverage of `card` per owning team, sorted by team.
pub fn by_team<'a>(
    card: &Scorecard,
    entities: impl Iterator<Item = &'a Scored>,
) -> Vec<TeamCoverage> {
    let mut teams: BTreeMap<&str, Vec<&Scored>> = BTreeMap::new();
    for scored in entities.filter(|s| s.score(&card.name).is_some()) {
        teams
            .entry(scored.owner.as_deref().unwrap_or(NO_LEVEL))
            .or_default()
            .push(scored);
    }
    teams
        .into_iter()
        .map(|(team, members)| TeamCoverage {
            team: team.to_owned(),
            coverage: card_coverage(card, members.into_iter()),
        })
        .collect()
}

/// The group and its sub-groups (following `parentOf`), and every entity
/// they own; `None` when `group_ref` is not a Group of the catalog.
pub fn group_members(catalog: &Catalog, group_ref: &str) -> Option<(Vec<String>, HashSet<String>)> {
    let index = catalog.index();
    index.get(group_ref)?;
    if !group_ref.starts_with("group:") {
        return None;
    }
    let mut owned = HashSet::new();
    let mut groups = crate::access::group_tree(&index, group_ref, usize::MAX, |_, group| {
        owned.extend(
            crate::access::relation_targets(group)
                .filter(|(relation, _)| *relation == "ownerOf")
                .map(|(_, target)| target.to_owned()),
        );
    });
    groups.sort_unstable();
    Some((groups, owned))
}

/// The first day of a window of `days` days ending `today`.
pub fn window_start(days: u32, today: i32) -> i32 {
    today - i32::try_from(days.max(1)).unwrap_or(i32::MAX) + 1
}

/// Each check's coverage per day over the last `days` days: stored
/// history for the days before today, `now` for today. Over every
/// entity, or only `refs`.
pub fn trend(
    store: &Store,
    card: &Scorecard,
    days: u32,
    today: i32,
    now: &CardCoverage,
    refs: Option<&[String]>,
) -> Result<Vec<TrendSeries>, StoreError> {
    let from = window_start(days, today);
    let stored = store.read(|tx| tx.score_trend(&card.name, from, refs))?;
    Ok(trend_from(card, &stored, today, now))
}

/// [`trend`] from stored counts already read (`(check, count)`, by check
/// then day).
pub fn trend_from(
    card: &Scorecard,
    stored: &[(String, DayCount)],
    today: i32,
    now: &CardCoverage,
) -> Vec<TrendSeries> {
    card.checks
        .iter()
        .map(|check| {
            let mut points: Vec<TrendPoint> = stored
                .iter()
                .filter(|(id, count)| *id == check.id && count.day < today)
                .map(|(_, count)| TrendPoint {
                    day: iso_day(count.day),
                    passed: count.passed,
                    applicable: count.applicable,
                    coverage: ratio(
                        usize::try_from(count.passed).unwrap_or(0),
                        usize::try_from(count.applicable).unwrap_or(0),
                    ),
                })
                .collect();
            if let Some(current) = now.checks.iter().find(|c| c.id == check.id) {
                points.push(TrendPoint {
                    day: iso_day(today),
                    passed: current.passed as i64,
                    applicable: current.applicable as i64,
                    coverage: current.coverage,
                });
            }
            TrendSeries {
                check: check.id.clone(),
                points,
            }
        })
        .collect()
}

/// `YYYY-MM-DD` of a day number.
pub fn iso_day(day: i32) -> String {
    let (y, m, d) = portico_model::time::civil_from_days(i64::from(day));
    format!("{y:04}-{m:02}-{d:02}")
}
