//! What the API and the pages show of scorecards: an entity's checks, a
//! team's table, the organisation's coverage, each with trends.

use std::collections::HashSet;

use portico_scorecards::{CheckResult, Outcome};
use serde::Serialize;

use super::coverage::{
    card_coverage, group_members, org_coverage, trend, CardCoverage, TeamCoverage, TrendSeries,
};
use super::engine::Scored;
use super::{day_of, trend_from, window_start, Scorecards};
use crate::ApiError;
use portico_catalog::Catalog;

/// Trend length when none is asked for.
pub const DEFAULT_TREND_DAYS: u32 = 30;
/// Entities listed per scorecard by the group route when no limit is
/// asked for, and the most it lists.
pub const DEFAULT_GROUP_ITEMS: usize = 1_000;
pub const MAX_GROUP_ITEMS: usize = 100_000;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityReport {
    pub entity_ref: String,
    /// One per scorecard that applies, in the configured order.
    pub scorecards: Vec<EntityCard>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityCard {
    pub scorecard: String,
    pub title: String,
    /// The highest level reached.
    pub level: Option<String>,
    /// The scorecard's levels, in order.
    pub levels: Vec<String>,
    pub passed: usize,
    pub applicable: usize,
    pub checks: Vec<CheckResult>,
    /// Each check's outcome per day, oldest first, today's as it is now;
    /// days the check did not apply are missing.
    pub history: Vec<CheckHistory>,
}

#[derive(Debug, Serialize)]
pub struct CheckHistory {
    pub check: String,
    pub days: Vec<DayOutcome>,
}

#[derive(Debug, Serialize)]
pub struct DayOutcome {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub passed: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupReport {
    pub group: String,
    /// The group and its sub-groups, whose entities count.
    pub groups: Vec<String>,
    pub scorecards: Vec<GroupCard>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupCard {
    #[serde(flatten)]
    pub coverage: CardCoverage,
    /// The entities the scorecard applies to, furthest behind first, up to
    /// the limit asked for (`entities` counts them all).
    pub items: Vec<EntityLine>,
    pub trend: Vec<TrendSeries>,
}

/// One entity in a team's table.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityLine {
    pub entity_ref: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub title: Option<String>,
    pub owner: Option<String>,
    pub level: Option<String>,
    pub passed: usize,
    pub applicable: usize,
    /// Each check's outcome, in the scorecard's order.
    pub checks: Vec<Outcome>,
    /// Ids of the checks that failed.
    pub failing: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryReport {
    pub scorecards: Vec<SummaryCard>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryCard {
    #[serde(flatten)]
    pub coverage: CardCoverage,
    /// Coverage per owning team (the entity's `ownedBy`).
    pub teams: Vec<TeamCoverage>,
    pub trend: Vec<TrendSeries>,
}

fn ready(scorecards: &Scorecards) -> Result<(), ApiError> {
    if scorecards.is_ready() {
        Ok(())
    } else {
        Err(ApiError::unavailable(
            "scorecards are being evaluated for the first time; try again in a few seconds",
        ))
    }
}

/// The trend length asked for (`days`), checked against the history kept;
/// the default when none is given.
pub fn trend_days(scorecards: &Scorecards, days: Option<&str>) -> Result<u32, ApiError> {
    let most = scorecards.history_days();
    let Some(text) = days else {
        return Ok(DEFAULT_TREND_DAYS.min(most));
    };
    match text.parse::<u32>() {
        Ok(days) if (1..=most).contains(&days) => Ok(days),
        Ok(days) => Err(ApiError::input(format!(
            "days must be from 1 to {most} (the history kept), got {days}"
        ))),
        Err(_) => Err(ApiError::input(format!(
            "days must be from 1 to {most} (the history kept), got '{text}'"
        ))),
    }
}

/// The checks of `entity_ref`, with `days` of history (0: none, and no
/// database read); 404 when the catalog has no such entity.
pub fn entity(
    scorecards: &Scorecards,
    catalog: &Catalog,
    entity_ref: &str,
    days: u32,
) -> Result<EntityReport, ApiError> {
    if catalog.index().get(entity_ref).is_none() {
        return Err(ApiError::not_found(format!(
            "No entity named '{entity_ref}' found"
        )));
    }
    ready(scorecards)?;
    let today = day_of(portico_store::now_ms());
    let stored = if days == 0 {
        Vec::new()
    } else {
        let from = window_start(days, today);
        catalog
            .store()
            .read(|tx| tx.score_rows_of_entity(entity_ref, from))?
    };
    let results = scorecards.results();
    let cards = results
        .entities
        .get(entity_ref)
        .map(|scored| {
            scorecards
                .cards()
                .iter()
                .filter_map(|card| {
                    let score = scored.score(&card.name)?;
                    let history = if days == 0 {
                        Vec::new()
                    } else {
                        entity_history(card, &score.checks, &stored, today)
                    };
                    Some(EntityCard {
                        scorecard: card.name.clone(),
                        title: card.title.clone(),
                        level: score.level.clone(),
                        levels: card.levels.iter().map(|l| l.name.clone()).collect(),
                        passed: score.passed,
                        applicable: score.applicable,
                        checks: score.checks.clone(),
                        history,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(EntityReport {
        entity_ref: entity_ref.to_owned(),
        scorecards: cards,
    })
}

/// Stored days before today, then today from the current results.
fn entity_history(
    card: &portico_scorecards::Scorecard,
    now: &[CheckResult],
    stored: &[portico_store::ScoreRow],
    today: i32,
) -> Vec<CheckHistory> {
    card.checks
        .iter()
        .map(|check| {
            let mut days: Vec<DayOutcome> = stored
                .iter()
                .filter(|r| r.scorecard == card.name && r.check_id == check.id && r.day < today)
                .map(|r| DayOutcome {
                    day: super::coverage::iso_day(r.day),
                    passed: r.passed,
                })
                .collect();
            if let Some(current) = now
                .iter()
                .find(|c| *c.id == *check.id && c.outcome != Outcome::Skip)
            {
                days.push(DayOutcome {
                    day: super::coverage::iso_day(today),
                    passed: current.outcome == Outcome::Pass,
                });
            }
            CheckHistory {
                check: check.id.clone(),
                days,
            }
        })
        .collect()
}

/// Coverage over everything `group_ref` and its sub-groups own, with
/// `days` of trend (0: none) and the `limit` entities furthest behind.
pub fn group(
    scorecards: &Scorecards,
    catalog: &Catalog,
    group_ref: &str,
    days: u32,
    limit: usize,
) -> Result<GroupReport, ApiError> {
    let (groups, owned) = group_members(catalog, group_ref)
        .ok_or_else(|| ApiError::not_found(format!("No group named '{group_ref}' found")))?;
    ready(scorecards)?;
    let today = day_of(portico_store::now_ms());
    let mut cards = Vec::new();
    for card in scorecards.cards() {
        let (coverage, items, refs) = {
            let results = scorecards.results();
            let members: Vec<(&str, &Scored)> = owned_results(&results.entities, &owned);
            let coverage = card_coverage(card, members.iter().map(|(_, s)| *s));
            // Furthest behind first (the lowest share of checks passed),
            // then by ref; only the lines shown are built.
            let mut ranked: Vec<(&str, &Scored, usize, usize)> = members
                .iter()
                .filter_map(|(entity_ref, scored)| {
                    let score = scored.score(&card.name)?;
                    Some((*entity_ref, *scored, score.passed, score.applicable))
                })
                .collect();
            // Nothing applicable counts as nothing left to do.
            let share = |passed: usize, applicable: usize| {
                if applicable == 0 {
                    1.0
                } else {
                    passed as f64 / applicable as f64
                }
            };
            ranked.sort_by(|a, b| {
                share(a.2, a.3)
                    .total_cmp(&share(b.2, b.3))
                    .then_with(|| a.0.cmp(b.0))
            });
            let items: Vec<EntityLine> = ranked
                .iter()
                .take(limit)
                .filter_map(|(entity_ref, scored, _, _)| line(card, entity_ref, scored))
                .collect();
            let refs: Vec<String> = ranked.iter().map(|r| r.0.to_owned()).collect();
            (coverage, items, refs)
        };
        if coverage.entities == 0 {
            continue;
        }
        // No days: no trend, and no database read (the group page).
        let trend = if days == 0 {
            Vec::new()
        } else {
            trend(catalog.store(), card, days, today, &coverage, Some(&refs))?
        };
        cards.push(GroupCard {
            coverage,
            items,
            trend,
        });
    }
    Ok(GroupReport {
        group: group_ref.to_owned(),
        groups,
        scorecards: cards,
    })
}

/// Organisation-wide coverage, per check and per team.
pub fn summary(
    scorecards: &Scorecards,
    catalog: &Catalog,
    days: u32,
) -> Result<SummaryReport, ApiError> {
    ready(scorecards)?;
    let today = day_of(portico_store::now_ms());
    let mut cards = Vec::new();
    for card in scorecards.cards() {
        let (coverage, teams) = org_coverage(card, &scorecards.results());
        let stored = scorecards.org_counts(
            catalog.store(),
            &card.name,
            window_start(days, today),
            today,
        )?;
        let trend = trend_from(card, &stored, today, &coverage);
        cards.push(SummaryCard {
            coverage,
            teams,
            trend,
        });
    }
    Ok(SummaryReport { scorecards: cards })
}

fn owned_results<'a>(
    entities: &'a std::collections::HashMap<std::sync::Arc<str>, Scored>,
    owned: &HashSet<String>,
) -> Vec<(&'a str, &'a Scored)> {
    owned
        .iter()
        .filter_map(|entity_ref| {
            entities
                .get_key_value(entity_ref.as_str())
                .map(|(k, v)| (&**k, v))
        })
        .collect()
}

fn line(
    card: &portico_scorecards::Scorecard,
    entity_ref: &str,
    scored: &Scored,
) -> Option<EntityLine> {
    let score = scored.score(&card.name)?;
    let outcome = |id: &str| {
        score
            .checks
            .iter()
            .find(|c| &*c.id == id)
            .map_or(Outcome::Skip, |c| c.outcome)
    };
    Some(EntityLine {
        entity_ref: entity_ref.to_owned(),
        kind: scored.kind.clone(),
        namespace: scored.namespace.clone(),
        name: scored.name.clone(),
        title: scored.title.clone(),
        owner: scored.owner.clone(),
        level: score.level.clone(),
        passed: score.passed,
        applicable: score.applicable,
        checks: card.checks.iter().map(|c| outcome(&c.id)).collect(),
        failing: score
            .checks
            .iter()
            .filter(|c| c.outcome == Outcome::Fail)
            .map(|c| c.id.to_string())
            .collect(),
    })
}
