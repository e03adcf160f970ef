//! `/metrics` and `/readyz` over HTTP: the state part of the page is this
//! app's own catalog, counted exactly; events are counted process-wide.

use std::collections::BTreeMap;

use portico_catalog::OrphanStrategy;
use portico_server::metrics::{parse_samples, sample_value as value, Sample};
use portico_store::testing::TestDb;
use serde_json::json;

use crate::app::{seed, TestApp, SERVICES};

fn scrape(app: &TestApp) -> Vec<Sample> {
    let reply = app.get("/metrics");
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.content_type.as_deref(),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    parse_samples(&reply.text).unwrap()
}

#[test]
fn the_page_counts_this_apps_entities_orphans_and_errors_exactly() {
    for db in TestDb::all() {
        let app = TestApp::spawn_with(db, OrphanStrategy::Keep);
        seed(&app);
        let listed = app.get("/api/catalog/entities").body;
        let mut by_kind: BTreeMap<String, f64> = BTreeMap::new();
        for entity in listed.as_array().unwrap() {
            *by_kind
                .entry(entity["kind"].as_str().unwrap().to_owned())
                .or_default() += 1.0;
        }
        let page = scrape(&app);
        let scraped: BTreeMap<String, f64> = page
            .iter()
            .filter(|s| s.name == "portico_entities")
            .map(|s| (s.label("kind").unwrap().to_owned(), s.value))
            .collect();
        assert_eq!(scraped, by_kind);
        assert_eq!(
            value(&page, "portico_orphaned_entities", &[("kind", "Resource")]),
            Some(0.0)
        );

        // web-app loses its owner (an error; its last good version stays),
        // playlist-db leaves the file (an orphan, kept).
        let broken = SERVICES
            .replace("  owner: group:default/team-a\n", "")
            .split("---")
            .filter(|d| !d.contains("name: playlist-db"))
            .collect::<Vec<_>>()
            .join("---");
        app.write("services.yaml", &broken);
        let r = app.post(
            "/api/catalog/refresh",
            &json!({ "entityRef": "component:default/web-app" }),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        // The state part is reused for 2 s: the new counts come after that.
        let mut page = Vec::new();
        crate::app::wait_until("the counts follow the catalog", || {
            page = scrape(&app);
            value(&page, "portico_orphaned_entities", &[("kind", "Resource")]) == Some(1.0)
        });
        assert_eq!(value(&page, "portico_database_up", &[]), Some(1.0));
        assert_eq!(
            value(&page, "portico_orphaned_entities", &[("kind", "Resource")]),
            Some(1.0)
        );
        assert_eq!(
            value(
                &page,
                "portico_entities_with_errors",
                &[("kind", "Component")]
            ),
            Some(1.0)
        );
        assert_eq!(
            value(&page, "portico_entities_with_errors", &[("kind", "API")]),
            Some(0.0)
        );
        // Events are process-wide: at least this test's own.
        let refreshes = value(
            &page,
            "portico_http_requests_total",
            &[
                ("method", "POST"),
                ("route", "/api/catalog/refresh"),
                ("status", "200"),
            ],
        );
        assert!(refreshes.is_some_and(|n| n >= 1.0), "{refreshes:?}");
        let reads = page
            .iter()
            .filter(|s| s.name == "portico_location_refresh_duration_seconds_count")
            .map(|s| s.value)
            .sum::<f64>();
        assert!(reads >= 1.0, "location reads: {reads}");
        assert_eq!(
            value(&page, "portico_db_pool_connections", &[("state", "max")]),
            Some(
                if app.catalog.store().backend() == portico_store::Backend::Sqlite {
                    6.0
                } else {
                    10.0
                }
            )
        );
        assert_eq!(
            value(&page, "portico_scaffolder_tasks", &[("status", "open")]),
            Some(0.0)
        );
    }
}

#[test]
fn metrics_and_health_are_open_to_scrapers_without_credentials() {
    let app = TestApp::spawn_auth(
        TestDb::sqlite(),
        serde_yaml::from_str("allowAnonymousRead: false").unwrap(),
    );
    assert_eq!(app.get("/api/catalog/entities").status, 401);
    assert_eq!(app.get("/metrics").status, 200);
}

#[test]
fn readyz_reports_each_check_and_turns_503_while_shutting_down() {
    for app in TestApp::all() {
        crate::app::wait_until("the search index is ready", || {
            app.get("/readyz").status == 200
        });
        let ready = app.get("/readyz").body;
        assert_eq!(ready["status"], "ok", "{ready}");
        for check in ["database", "migrations", "searchIndex", "server"] {
            assert_eq!(ready["checks"][check]["status"], "ok", "{check}: {ready}");
        }
        assert_eq!(ready["checks"]["migrations"]["pending"], 0);
        assert!(ready["checks"]["database"]["latencyMs"].is_u64(), "{ready}");

        app.stopping
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let stopping = app.get("/readyz");
        assert_eq!(stopping.status, 503);
        assert_eq!(stopping.body["status"], "unavailable");
        assert_eq!(
            stopping.body["checks"]["server"]["message"],
            "shutting down"
        );
        assert_eq!(stopping.body["checks"]["database"]["status"], "ok");
        assert_eq!(app.get("/healthz").status, 200, "alive while stopping");
    }
}
