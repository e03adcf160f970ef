//! `GET /metrics` in Prometheus' text format.
//!
//! Two sources make one page. Events (requests, refreshes, builds, queries,
//! tasks) are recorded where they happen through the `metrics` facade, the
//! way `tracing` records logs: each crate records, none knows the exporter.
//! The state of this replica (entities by kind, orphans, failing entities,
//! tasks by status, index lag, the connection pool) is read at scrape time
//! from the app's own store and index, so it is always current and belongs
//! to this app even where several share a process (tests).

use std::fmt::Write as _;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use actix_web::{get, web, HttpResponse};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use portico_store::{KindCounts, StoreError};

use crate::error::ApiError;
use crate::AppState;

/// Upper bounds of latency buckets, in seconds: from a cached API answer
/// (sub-millisecond) to a docs build or a template run (minutes).
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0, 120.0, 300.0,
];

/// How often histogram samples are folded into buckets between scrapes, so
/// memory stays bounded when nobody scrapes.
pub const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Every family on the page, with its type and help text: the reference
/// for the docs, the Grafana dashboard and the alert rules (a test checks
/// that those use only names listed here).
pub const FAMILIES: &[(&str, &str, &str)] = &[
    (
        "portico_build_info",
        "gauge",
        "Always 1; the version label says which build runs.",
    ),
    (
        "portico_http_requests_total",
        "counter",
        "HTTP requests answered, by method, route pattern and status.",
    ),
    (
        "portico_http_request_duration_seconds",
        "histogram",
        "Time to answer an HTTP request, by method and route pattern.",
    ),
    ("portico_entities", "gauge", "Entities stored, by kind."),
    (
        "portico_scorecard_coverage",
        "gauge",
        "Share (0 to 1) of a team's entities that pass a scorecard check, by scorecard, check and owning team.",
    ),
    (
        "portico_scorecard_org_coverage",
        "gauge",
        "Share (0 to 1) of all entities a scorecard applies to that pass a check, by scorecard and check.",
    ),
    (
        "portico_scorecard_entities",
        "gauge",
        "Entities by scorecard and highest level reached (none: no level yet).",
    ),
    (
        "portico_orphaned_entities",
        "gauge",
        "Entities whose location no longer lists them, by kind.",
    ),
    (
        "portico_entities_with_errors",
        "gauge",
        "Entities whose last processing reported an error, by kind.",
    ),
    (
        "portico_locations_with_errors",
        "gauge",
        "Locations whose last read reported an error.",
    ),
    (
        "portico_location_refresh_duration_seconds",
        "histogram",
        "Time to read and commit one location, by type and outcome.",
    ),
    (
        "portico_location_refresh_failures_total",
        "counter",
        "Location reads that failed (unreadable, invalid), by type.",
    ),
    (
        "portico_techdocs_builds_total",
        "counter",
        "Docs builds, by result (built, warnings, failed).",
    ),
    (
        "portico_techdocs_build_duration_seconds",
        "histogram",
        "Time to build one docs site.",
    ),
    (
        "portico_search_query_duration_seconds",
        "histogram",
        "Time to answer a search query, by source (index or catalog scan).",
    ),
    (
        "portico_search_index_lag",
        "gauge",
        "Changes in the database not yet in this replica's search index, by log (entities, docs).",
    ),
    (
        "portico_search_index_updates_total",
        "counter",
        "Entity and doc-site updates sent to this replica's search index.",
    ),
    (
        "portico_search_index_ready",
        "gauge",
        "1 when this replica's search index has caught up with the database once.",
    ),
    (
        "portico_scaffolder_tasks",
        "gauge",
        "Scaffolder tasks in the database, by status.",
    ),
    (
        "portico_scaffolder_task_duration_seconds",
        "histogram",
        "Time a task ran on this replica, by final status.",
    ),
    (
        "portico_auth_sign_ins_total",
        "counter",
        "Sign-ins, by provider and result.",
    ),
    (
        "portico_db_pool_connections",
        "gauge",
        "Database connections of this replica, by state (active, idle, max).",
    ),
    (
        "portico_database_up",
        "gauge",
        "1 when this replica reached the database at the scrape (else the database-backed gauges are left out).",
    ),
];

/// How long the state part of the page is reused: scrapes cost database
/// queries, and `/metrics` is open to anyone who reaches the port.
const STATE_TTL: Duration = Duration::from_secs(2);

/// More kinds than this and the smallest are counted together as `other`:
/// kinds are free text, and each is a series.
const MAX_KINDS: usize = 30;

/// The state part of the page, as last rendered.
#[derive(Default)]
pub struct StateCache(Mutex<Option<(Instant, String)>>);

/// Installs the process-wide recorder once and returns its handle; `None`
/// when some other recorder was installed first (then only the state part
/// of the page is served).
pub fn recorder() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = match PrometheusBuilder::new().set_buckets(BUCKETS) {
                Ok(builder) => builder,
                Err(e) => {
                    tracing::error!(error = %e, "metrics buckets are invalid");
                    return None;
                }
            };
            match builder.install_recorder() {
                Ok(handle) => {
                    for (name, kind, help) in FAMILIES {
                        describe(name, kind, help);
                    }
                    Some(handle)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot install the metrics recorder");
                    None
                }
            }
        })
        .as_ref()
}

fn describe(name: &'static str, kind: &str, help: &'static str) {
    match kind {
        "counter" => metrics::describe_counter!(name, help),
        "histogram" => metrics::describe_histogram!(name, metrics::Unit::Seconds, help),
        _ => metrics::describe_gauge!(name, help),
    }
}

#[utoipa::path(
    security(()),
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"))
)]
#[get("/metrics")]
pub async fn scrape(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let state = state.into_inner();
    let body = web::block(move || render(&state)).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body))
}

/// The page: recorded events first, then this replica's state.
fn render(state: &AppState) -> String {
    let mut page = recorder().map(PrometheusHandle::render).unwrap_or_default();
    if !page.is_empty() && !page.ends_with('\n') {
        page.push('\n');
    }
    let mut cache = state
        .metrics_state
        .0
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    match cache.as_ref() {
        Some((at, text)) if at.elapsed() < STATE_TTL => page.push_str(text),
        _ => {
            let text = render_state(state);
            page.push_str(&text);
            *cache = Some((Instant::now(), text));
        }
    }
    page
}

/// This replica's state; the database-backed part only when the database
/// answers.
fn render_state(state: &AppState) -> String {
    let mut text = String::new();
    let mut out = Gauges { page: &mut text };
    out.family("portico_build_info");
    out.sample(
        "portico_build_info",
        &[("version", env!("CARGO_PKG_VERSION"))],
        1,
    );
    out.family("portico_search_index_ready");
    out.sample(
        "portico_search_index_ready",
        &[],
        i64::from(state.search.is_ready()),
    );
    render_scorecards(state, &mut out);
    let store = state.catalog.store();
    let pool = store.pool_usage();
    out.family("portico_db_pool_connections");
    let active = pool.open.saturating_sub(pool.idle);
    for (label, n) in [("active", active), ("idle", pool.idle), ("max", pool.max)] {
        out.sample(
            "portico_db_pool_connections",
            &[("state", label)],
            i64::from(n),
        );
    }
    // A short wait, as `/readyz` waits: while the database is away the
    // page still comes, with `portico_database_up 0`.
    let database = store.read_within(crate::routes::health::DATABASE_WAIT, |tx| {
        Ok::<_, StoreError>((
            tx.kind_counts()?,
            tx.failing_location_count()?,
            tx.task_status_counts()?,
            state.search.lag(tx)?,
        ))
    });
    out.family("portico_database_up");
    let (kinds, failing_locations, tasks, lag) = match database {
        Ok(found) => {
            out.sample("portico_database_up", &[], 1);
            found
        }
        Err(e) => {
            tracing::warn!(error = %e, "metrics: the database does not answer; its gauges are left out");
            out.sample("portico_database_up", &[], 0);
            return text;
        }
    };
    let kinds = fold_kinds(kinds);
    out.family("portico_entities");
    for k in &kinds {
        out.sample("portico_entities", &[("kind", &k.kind)], k.entities);
    }
    out.family("portico_orphaned_entities");
    for k in &kinds {
        out.sample("portico_orphaned_entities", &[("kind", &k.kind)], k.orphans);
    }
    out.family("portico_entities_with_errors");
    for k in &kinds {
        out.sample(
            "portico_entities_with_errors",
            &[("kind", &k.kind)],
            k.with_errors,
        );
    }
    out.family("portico_locations_with_errors");
    out.sample("portico_locations_with_errors", &[], failing_locations);
    out.family("portico_scaffolder_tasks");
    for status in portico_store::TaskStatus::ALL.map(portico_store::TaskStatus::as_str) {
        let n = tasks
            .iter()
            .find(|(s, _)| s == status)
            .map_or(0, |(_, n)| *n);
        out.sample("portico_scaffolder_tasks", &[("status", status)], n);
    }
    out.family("portico_search_index_lag");
    out.sample(
        "portico_search_index_lag",
        &[("log", "entities")],
        lag.entities,
    );
    out.sample("portico_search_index_lag", &[("log", "docs")], lag.docs);
    text
}

/// Coverage from the scorecards' results, which live in memory: present
/// while the database is away too, absent until the first evaluation.
fn render_scorecards(state: &AppState, out: &mut Gauges<'_>) {
    let scorecards = &state.scorecards;
    if !scorecards.is_ready() || scorecards.cards().is_empty() {
        return;
    }
    let (org, teams): (Vec<_>, Vec<_>) = {
        let results = scorecards.results();
        scorecards
            .cards()
            .iter()
            .map(|card| crate::scorecards::org_coverage(card, &results))
            .unzip()
    };
    out.family("portico_scorecard_coverage");
    let teams: Vec<_> = teams.into_iter().map(fold_teams).collect();
    for team in teams.iter().flatten() {
        for check in &team.coverage.checks {
            if let Some(coverage) = check.coverage {
                out.sample_f64(
                    "portico_scorecard_coverage",
                    &[
                        ("scorecard", &team.coverage.scorecard),
                        ("check", &check.id),
                        ("team", &team.team),
                    ],
                    coverage,
                );
            }
        }
    }
    out.family("portico_scorecard_org_coverage");
    for card in &org {
        for check in &card.checks {
            if let Some(coverage) = check.coverage {
                out.sample_f64(
                    "portico_scorecard_org_coverage",
                    &[("scorecard", &card.scorecard), ("check", &check.id)],
                    coverage,
                );
            }
        }
    }
    out.family("portico_scorecard_entities");
    for card in &org {
        for level in &card.levels {
            out.sample(
                "portico_scorecard_entities",
                &[("scorecard", &card.scorecard), ("level", &level.level)],
                i64::try_from(level.entities).unwrap_or(i64::MAX),
            );
        }
    }
}

/// Teams per scorecard on the page; the smallest beyond are counted as
/// `other`, as kinds are, so a large organisation stays a bounded set of
/// series.
const MAX_TEAMS: usize = 100;

/// The `MAX_TEAMS - 1` teams with most entities, the rest summed as `other`.
fn fold_teams(
    mut teams: Vec<crate::scorecards::TeamCoverage>,
) -> Vec<crate::scorecards::TeamCoverage> {
    if teams.len() <= MAX_TEAMS {
        return teams;
    }
    teams.sort_by(|a, b| {
        b.coverage
            .entities
            .cmp(&a.coverage.entities)
            .then_with(|| a.team.cmp(&b.team))
    });
    let rest = teams.split_off(MAX_TEAMS - 1);
    let mut other = rest[0].clone();
    other.team = "other".to_owned();
    for team in &rest[1..] {
        other.coverage.entities += team.coverage.entities;
        for (sum, check) in other.coverage.checks.iter_mut().zip(&team.coverage.checks) {
            sum.passed += check.passed;
            sum.applicable += check.applicable;
        }
    }
    for check in &mut other.coverage.checks {
        check.coverage = crate::scorecards::ratio(check.passed, check.applicable);
    }
    teams.push(other);
    teams
}

/// The `MAX_KINDS - 1` biggest kinds by name, the rest summed as `other`.
fn fold_kinds(mut kinds: Vec<KindCounts>) -> Vec<KindCounts> {
    if kinds.len() <= MAX_KINDS {
        return kinds;
    }
    kinds.sort_by(|a, b| b.entities.cmp(&a.entities).then(a.kind.cmp(&b.kind)));
    let rest = kinds.split_off(MAX_KINDS - 1);
    let other = rest.into_iter().fold(
        KindCounts {
            kind: "other".to_owned(),
            ..KindCounts::default()
        },
        |mut sum, k| {
            sum.entities += k.entities;
            sum.orphans += k.orphans;
            sum.with_errors += k.with_errors;
            sum
        },
    );
    kinds.push(other);
    kinds.sort_by(|a, b| a.kind.cmp(&b.kind));
    kinds
}

/// Writes gauge families in the text format, with their help lines.
struct Gauges<'a> {
    page: &'a mut String,
}

impl<'a> Gauges<'a> {
    fn family(&mut self, name: &str) {
        let help = FAMILIES
            .iter()
            .find(|(n, _, _)| *n == name)
            .map_or("", |(_, _, help)| help);
        let _ = writeln!(self.page, "# HELP {name} {help}");
        let _ = writeln!(self.page, "# TYPE {name} gauge");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: i64) {
        self.labels(name, labels);
        let _ = writeln!(self.page, " {value}");
    }

    fn sample_f64(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.labels(name, labels);
        let _ = writeln!(self.page, " {value}");
    }

    fn labels(&mut self, name: &str, labels: &[(&str, &str)]) {
        self.page.push_str(name);
        if !labels.is_empty() {
            self.page.push('{');
            for (i, (key, value)) in labels.iter().enumerate() {
                if i > 0 {
                    self.page.push(',');
                }
                let _ = write!(self.page, "{key}=\"{}\"", escape(value));
            }
            self.page.push('}');
        }
    }
}

/// Label values escape backslash, quote and newline.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// One line of a scraped page: family sample name, labels, value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

impl Sample {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// The value of the first sample named `name` that has these labels.
pub fn sample_value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| s.name == name && labels.iter().all(|(k, v)| s.label(k) == Some(v)))
        .map(|s| s.value)
}

/// Reads a page in the text format back into samples (for tests and
/// tools that check a scrape); comment lines are skipped, and a line that
/// does not parse is an error naming it.
pub fn parse_samples(page: &str) -> Result<Vec<Sample>, String> {
    page.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|line| parse_line(line).ok_or_else(|| format!("not a sample: {line}")))
        .collect()
}

fn parse_line(line: &str) -> Option<Sample> {
    let (series, value) = line.rsplit_once(' ')?;
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().ok()?,
    };
    let Some((name, rest)) = series.split_once('{') else {
        return Some(Sample {
            name: series.to_owned(),
            labels: Vec::new(),
            value,
        });
    };
    let mut labels = Vec::new();
    let mut rest = rest.strip_suffix('}')?;
    while !rest.is_empty() {
        let (key, after) = rest.split_once("=\"")?;
        let mut text = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next()? {
                (i, '"') => break i,
                (_, '\\') => match chars.next()?.1 {
                    'n' => text.push('\n'),
                    c => text.push(c),
                },
                (_, c) => text.push(c),
            }
        };
        labels.push((key.to_owned(), text));
        rest = after[end + 1..].trim_start_matches(',');
    }
    Some(Sample {
        name: name.to_owned(),
        labels,
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        let mut page = String::new();
        Gauges { page: &mut page }.sample("x", &[("kind", "a\"b\\c\nd")], 3);
        assert_eq!(page, "x{kind=\"a\\\"b\\\\c\\nd\"} 3\n");
    }

    #[test]
    fn pages_parse_back_into_samples() {
        let page =
            "# HELP x y\nx{kind=\"a\\\"b\",le=\"+Inf\"} 3\nup 1.5\nh_bucket{le=\"+Inf\"} +Inf\n";
        let samples = parse_samples(page).unwrap();
        assert_eq!(samples.len(), 3);
        assert_eq!(samples[0].label("kind"), Some("a\"b"));
        assert_eq!(samples[0].label("le"), Some("+Inf"));
        assert_eq!(samples[0].value, 3.0);
        assert_eq!(samples[1].name, "up");
        assert!(samples[1].labels.is_empty());
        assert!(samples[2].value.is_infinite());
        assert!(parse_samples("x{kind=\"a} 1").is_err());
        assert!(parse_samples("x one").is_err());
    }

    #[test]
    fn kinds_beyond_the_limit_are_counted_as_other() {
        let kinds: Vec<KindCounts> = (0..40)
            .map(|i| KindCounts {
                kind: format!("Kind{i:02}"),
                entities: 100 - i,
                orphans: 1,
                with_errors: 0,
            })
            .collect();
        let folded = fold_kinds(kinds);
        assert_eq!(folded.len(), MAX_KINDS);
        let other = folded.iter().find(|k| k.kind == "other").unwrap();
        // Kind29..Kind39: the 11 smallest.
        assert_eq!(other.entities, (29..40).map(|i| 100 - i).sum::<i64>());
        assert_eq!(other.orphans, 11);
        assert!(folded.iter().any(|k| k.kind == "Kind00"));
        assert!(!folded.iter().any(|k| k.kind == "Kind39"));
        let few = fold_kinds(vec![KindCounts::default()]);
        assert_eq!(few.len(), 1);
    }

    #[test]
    fn teams_beyond_the_limit_are_counted_as_other() {
        use crate::scorecards::{CardCoverage, CheckCoverage, TeamCoverage};
        let team = |i: usize, passed: usize| TeamCoverage {
            team: format!("group:default/t{i:03}"),
            coverage: CardCoverage {
                scorecard: "ready".to_owned(),
                title: "Ready".to_owned(),
                entities: 1000 - i,
                levels: Vec::new(),
                checks: vec![CheckCoverage {
                    id: "owner".to_owned(),
                    title: "Owner".to_owned(),
                    passed,
                    applicable: 2,
                    coverage: Some(passed as f64 / 2.0),
                }],
            },
        };
        let teams: Vec<TeamCoverage> = (0..MAX_TEAMS + 2).map(|i| team(i, i % 3)).collect();
        let folded = fold_teams(teams);
        assert_eq!(folded.len(), MAX_TEAMS);
        assert_eq!(folded[0].team, "group:default/t000", "the biggest stay");
        let other = folded.last().unwrap();
        assert_eq!(other.team, "other");
        // Teams 99, 100 and 101: 0, 1 and 2 passed of 2 each.
        assert_eq!(other.coverage.checks[0].passed, 3);
        assert_eq!(other.coverage.checks[0].applicable, 6);
        assert_eq!(other.coverage.checks[0].coverage, Some(0.5));
        assert_eq!(other.coverage.entities, 901 + 900 + 899);
    }

    #[test]
    fn every_family_has_a_known_type() {
        for (name, kind, help) in FAMILIES {
            assert!(name.starts_with("portico_"), "{name}");
            assert!(
                ["counter", "gauge", "histogram"].contains(kind),
                "{name}: {kind}"
            );
            assert!(!help.is_empty(), "{name}");
            assert_eq!(kind == &"counter", name.ends_with("_total"), "{name}");
        }
    }
}
