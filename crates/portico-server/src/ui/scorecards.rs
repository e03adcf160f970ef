//! Scorecards in the UI: the level and failing checks on an entity's page,
//! a team's table of entities by checks on its group page, and the
//! organisation's dashboard (`/scorecards`) with coverage per check and per
//! team and a trend chart drawn on the server.

use actix_web::{get, web, HttpRequest};
use portico_scorecards::{CheckResult, Outcome};
use portico_web::trend::{colour, render_trend_svg, TrendLine};
use portico_web::{Page, Section};
use serde_json::{json, Value};

use super::{page, short_ref, UiResult};
use crate::params::Params;
use crate::scorecards::report::{self, EntityLine, DEFAULT_TREND_DAYS};
use crate::scorecards::{CardCoverage, TeamCoverage, TrendSeries};
use crate::AppState;

/// Rows of a group page's table per scorecard.
const TEAM_ROWS_MAX: usize = 100;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(dashboard);
}

fn percent(coverage: Option<f64>) -> Value {
    coverage.map_or(Value::Null, |c| json!((c * 100.0).round() as i64))
}

fn badge_class(level: Option<&str>, levels: &[String]) -> &'static str {
    match level {
        None => "badge-danger",
        Some(level) if levels.last().map(String::as_str) == Some(level) => "badge-ok",
        Some(_) => "badge-accent",
    }
}

fn check_item(check: &CheckResult) -> Value {
    json!({ "title": check.title, "reason": check.reason, "fix": check.fix })
}

/// The scorecards card of an entity's page; `Null` when none applies, or
/// while the first evaluation runs.
pub(super) fn entity_cards(state: &AppState, key: &str) -> Value {
    let Ok(report) = report::entity(&state.scorecards, &state.catalog, key, 0) else {
        return Value::Null;
    };
    let cards: Vec<Value> = report
        .scorecards
        .iter()
        .map(|card| {
            let of = |outcome: Outcome| -> Vec<Value> {
                card.checks
                    .iter()
                    .filter(|c| c.outcome == outcome)
                    .map(check_item)
                    .collect()
            };
            let (failing, passing, skipped) =
                (of(Outcome::Fail), of(Outcome::Pass), of(Outcome::Skip));
            json!({
                "title": card.title,
                "level": card.level.clone().unwrap_or_else(|| "no level yet".to_owned()),
                "badge_class": badge_class(card.level.as_deref(), &card.levels),
                "passed": card.passed,
                "applicable": card.applicable,
                "passing_count": passing.len(),
                "skipped_count": skipped.len(),
                "failing": failing,
                "passing": passing,
                "skipped": skipped,
            })
        })
        .collect();
    if cards.is_empty() {
        Value::Null
    } else {
        json!(cards)
    }
}

fn outcome_cell(outcome: Outcome, title: &str) -> Value {
    let (mark, class, word) = match outcome {
        Outcome::Pass => ("✓", "sc-pass", "passes"),
        Outcome::Fail => ("✗", "sc-fail", "fails"),
        Outcome::Skip => ("–", "sc-skip", "does not apply"),
    };
    json!({ "mark": mark, "class": class, "label": format!("{title} {word}") })
}

fn entity_rows(lines: &[&EntityLine], titles: &[String]) -> Vec<Value> {
    lines
        .iter()
        .map(|line| {
            json!({
                "href": super::entity_href(&line.kind, &line.namespace, &line.name),
                "text": line.title.clone().unwrap_or_else(|| line.name.clone()),
                "level": line.level.clone().unwrap_or_else(|| "—".to_owned()),
                "cells": line.checks.iter().zip(titles).map(|(o, t)| outcome_cell(*o, t)).collect::<Vec<_>>(),
            })
        })
        .collect()
}

fn coverage_row(coverage: &CardCoverage) -> Vec<Value> {
    coverage
        .checks
        .iter()
        .map(|c| json!({ "percent": percent(c.coverage), "passed": c.passed, "applicable": c.applicable }))
        .collect()
}

/// The scorecard tables of a group's page: its and its sub-groups'
/// entities by checks. `Null` when there are none.
pub(super) fn group_tables(state: &AppState, key: &str) -> Value {
    let Ok(report) = report::group(&state.scorecards, &state.catalog, key, 0, TEAM_ROWS_MAX) else {
        return Value::Null;
    };
    let tables: Vec<Value> = report
        .scorecards
        .iter()
        .map(|card| {
            let titles: Vec<String> = card
                .coverage
                .checks
                .iter()
                .map(|c| c.title.clone())
                .collect();
            let lines: Vec<&EntityLine> = card.items.iter().collect();
            let more = card.coverage.entities.saturating_sub(lines.len());
            let api = format!(
                "/api/scorecards/group/{}",
                key.split_once(':').map_or("", |(_, rest)| rest)
            );
            json!({
                "title": card.coverage.title,
                "entities": card.coverage.entities,
                "columns": titles,
                "rows": entity_rows(&lines, &titles),
                "coverage": coverage_row(&card.coverage),
                "more": (more > 0).then(|| format!("and {more} more, further ahead: the API lists them")),
                "more_href": (more > 0).then_some(api),
            })
        })
        .collect();
    if tables.is_empty() {
        Value::Null
    } else {
        json!(tables)
    }
}

/// The teams whose mean coverage over the checks is lowest, at most
/// `TEAM_ROWS_MAX` of them.
fn teams_furthest_behind(teams: &[TeamCoverage]) -> Vec<&TeamCoverage> {
    let mean = |team: &TeamCoverage| {
        let values: Vec<f64> = team
            .coverage
            .checks
            .iter()
            .filter_map(|c| c.coverage)
            .collect();
        if values.is_empty() {
            // Nothing applicable: nothing left to do.
            1.0
        } else {
            values.iter().sum::<f64>() / values.len() as f64
        }
    };
    let mut ranked: Vec<(f64, &TeamCoverage)> = teams.iter().map(|t| (mean(t), t)).collect();
    ranked.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.team.cmp(&b.1.team)));
    ranked
        .into_iter()
        .take(TEAM_ROWS_MAX)
        .map(|(_, t)| t)
        .collect()
}

/// The trend chart and its legend.
fn trend_chart(card: &CardCoverage, trend: &[TrendSeries]) -> Value {
    let days: Vec<String> = trend
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.day.clone()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let lines: Vec<TrendLine> = trend
        .iter()
        .map(|series| TrendLine {
            label: card
                .checks
                .iter()
                .find(|c| c.id == series.check)
                .map_or_else(|| series.check.clone(), |c| c.title.clone()),
            values: days
                .iter()
                .map(|day| {
                    series
                        .points
                        .iter()
                        .find(|p| &p.day == day)
                        .and_then(|p| p.coverage)
                })
                .collect(),
        })
        .collect();
    let legend: Vec<Value> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| json!({ "label": line.label, "colour": colour(i) }))
        .collect();
    json!({
        "trend_svg": render_trend_svg(&days, &lines, &format!("Coverage per check of {}, by day", card.title)),
        "legend": legend,
        "days": days.len(),
    })
}

#[utoipa::path(
    params(("days" = Option<u32>, Query, description = "Days of trend, default 30")),
    responses((status = 200, description = "The organisation's scorecards: coverage per check and per team, and their trend", body = String, content_type = "text/html"))
)]
#[get("/scorecards")]
async fn dashboard(state: web::Data<AppState>, req: HttpRequest) -> UiResult {
    let params = Params::parse(req.query_string())?;
    let days = report::trend_days(
        &state.scorecards,
        params.one("days").filter(|days| !days.is_empty()),
    )?;
    let ready = state.scorecards.is_ready();
    let cards: Vec<Value> = if ready {
        let state = state.clone().into_inner();
        let summary =
            web::block(move || report::summary(&state.scorecards, &state.catalog, days)).await??;
        summary
            .scorecards
            .iter()
            .map(|card| {
                let coverage = &card.coverage;
                json!({
                    "title": coverage.title,
                    "entities": coverage.entities,
                    "levels": coverage.levels,
                    "checks": coverage.checks.iter().map(|c| json!({
                        "title": c.title,
                        "passed": c.passed,
                        "applicable": c.applicable,
                        "percent": percent(c.coverage),
                    })).collect::<Vec<_>>(),
                    "columns": coverage.checks.iter().map(|c| c.title.clone()).collect::<Vec<_>>(),
                    "teams": teams_furthest_behind(&card.teams).iter().map(|team| json!({
                        "href": super::ref_href(&team.team),
                        "text": short_ref(&team.team, Some("group")),
                        "entities": team.coverage.entities,
                        "cells": coverage_row(&team.coverage),
                    })).collect::<Vec<_>>(),
                    "more_teams": card.teams.len().saturating_sub(TEAM_ROWS_MAX),
                    "shown_teams": card.teams.len().min(TEAM_ROWS_MAX),
                    "trend": trend_chart(coverage, &card.trend),
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    let data = json!({
        "title": "Scorecards",
        "ready": ready,
        "days": days,
        "default_days": DEFAULT_TREND_DAYS,
        "scorecards": cards,
    });
    page(
        Page::Scorecards,
        &super::chrome(&req, Section::Scorecards),
        data,
    )
}
