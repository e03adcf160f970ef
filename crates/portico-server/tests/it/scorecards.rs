//! Scorecards through the HTTP API, on every backend: definitions, an
//! entity's checks following changes to what they read, history and
//! trends, and bad requests.

use portico_server::config::{Config, ScorecardsSection};
use portico_server::scorecards::day_of;
use portico_store::ScoreRow;
use serde_json::{json, Value};

use crate::app::{assert_error, wait_until, TestApp};

const ENTITY: &str = "/api/scorecards/entity/default/component/checkout";

fn team(members: &str) -> String {
    format!(
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: shop\nspec:\n  type: team\n  children: []\n  members: [{members}]\n"
    )
}

const SERVICE: &str = "apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout
  description: Takes orders.
  annotations:
    pagerduty.com/service-id: PCHECK1
spec:
  type: service
  lifecycle: production
  owner: shop
";

fn card(report: &Value) -> &Value {
    &report["scorecards"][0]
}

/// The check `id` of a card (or of a definition), `Null` when absent.
fn check<'a>(card: &'a Value, id: &str) -> &'a Value {
    static NONE: Value = Value::Null;
    card["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["id"] == id))
        .unwrap_or(&NONE)
}

fn outcome(report: &Value, id: &str) -> Value {
    check(card(report), id)["outcome"].clone()
}

/// Waits until the entity at `path` (an entity route) has results.
fn wait_evaluated(app: &TestApp, path: &str) {
    wait_until("the entity is evaluated", || {
        app.get(path).body["scorecards"]
            .as_array()
            .is_some_and(|cards| !cards.is_empty())
    });
}

/// The points of the on-call check's trend in a coverage answer.
fn on_call_points(body: &Value) -> Vec<Value> {
    body["scorecards"][0]["trend"]
        .as_array()
        .and_then(|series| series.iter().find(|s| s["check"] == "on-call"))
        .and_then(|s| s["points"].as_array())
        .cloned()
        .unwrap_or_default()
}

/// Registers the team (without members) and the service; waits until the
/// service is evaluated.
fn seed(app: &TestApp) {
    app.write("team.yaml", &team(""));
    app.write("service.yaml", SERVICE);
    let root = app.write(
        "all.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: root\nspec:\n  targets: [./team.yaml, ./service.yaml]\n",
    );
    let r = app.register(&root);
    assert_eq!(r.status, 201, "{}", r.text);
    wait_until("the service is evaluated", || {
        app.get(ENTITY).status == 200 && outcome(&app.get(ENTITY).body, "owner") == "fail"
    });
}

#[test]
fn definitions_list_every_check_with_its_title_and_fix() {
    let app = TestApp::all().remove(0);
    let r = app.get("/api/scorecards");
    assert_eq!(r.status, 200, "{}", r.text);
    let names: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["production-readiness", "api-quality"]);
    let readiness = &r.body["items"][0];
    assert_eq!(
        readiness["appliesTo"]["types"],
        json!(["service", "website"])
    );
    let fresh = check(readiness, "fresh");
    assert_eq!(fresh["type"], "updated-within");
    assert_eq!(fresh["days"], 365);
    assert_eq!(fresh["title"], "Catalog file updated within 365 days");
    assert!(fresh["fix"]
        .as_str()
        .unwrap()
        .starts_with("Review the catalog file"));
    assert_eq!(readiness["levels"][0]["name"], "bronze");
}

#[test]
fn a_team_gaining_members_passes_its_services_owner_check_without_touching_them() {
    for app in TestApp::all() {
        seed(&app);
        let report = app.get(ENTITY).body;
        assert_eq!(report["entityRef"], "component:default/checkout");
        let owner = card(&report)["checks"][0].clone();
        assert_eq!(
            owner["reason"],
            "the owner group:default/shop has no members"
        );
        assert!(owner["fix"].as_str().unwrap().contains("spec.owner"));
        assert_eq!(card(&report)["level"], Value::Null);

        // Only the group's file changes: the service is evaluated again
        // because its owner check read the group.
        let seq = app.last_change_seq();
        app.write("team.yaml", &team("ada, grace"));
        let r = app.post(
            "/api/catalog/refresh",
            &json!({ "entityRef": "group:default/shop" }),
        );
        assert!(r.status < 300, "{}", r.text);
        let changed: Vec<String> = app
            .catalog
            .store()
            .read(|tx| tx.changes_since(seq, 100))
            .unwrap()
            .into_iter()
            .map(|c| c.entity_ref)
            .collect();
        assert!(
            !changed.contains(&"component:default/checkout".to_owned()),
            "{changed:?}"
        );
        wait_until("the owner check passes", || {
            outcome(&app.get(ENTITY).body, "owner") == "pass"
        });
        let report = app.get(ENTITY).body;
        let owner = &card(&report)["checks"][0];
        assert_eq!(owner["reason"], "owned by group:default/shop (2 member(s))");
        assert!(owner.get("fix").is_none(), "{owner}");

        // The team's table and the organisation's coverage agree.
        let group = app.get("/api/scorecards/group/default/shop");
        assert_eq!(group.status, 200, "{}", group.text);
        let card = &group.body["scorecards"][0];
        assert_eq!(card["entities"], 1);
        assert_eq!(card["items"][0]["entityRef"], "component:default/checkout");
        let owner = check(card, "owner");
        assert_eq!(
            (owner["passed"].clone(), owner["applicable"].clone()),
            (json!(1), json!(1))
        );
        let summary = app.get("/api/scorecards/summary").body;
        assert_eq!(
            summary["scorecards"][0]["teams"][0]["team"],
            "group:default/shop"
        );
    }
}

#[test]
fn results_are_stored_per_day_and_trends_read_the_days_before_today() {
    for app in TestApp::all() {
        seed(&app);
        let store = app.catalog.store();
        let today = day_of(portico_store::now_ms());
        wait_until("today's rows are written", || {
            store
                .read(|tx| tx.score_rows_of_day(today))
                .unwrap()
                .iter()
                .any(|r| r.entity_ref == "component:default/checkout" && r.check_id == "owner")
        });
        let rows = store.read(|tx| tx.score_rows_of_day(today)).unwrap();
        let owner = rows
            .iter()
            .find(|r| r.entity_ref == "component:default/checkout" && r.check_id == "owner")
            .unwrap();
        assert!(!owner.passed);
        // One row per check that applied: 11 checks, none skipped.
        assert_eq!(
            rows.iter()
                .filter(|r| r.entity_ref == "component:default/checkout")
                .count(),
            11
        );

        // Two earlier days, as a replica running then would have left them.
        let refs = ["component:default/checkout".to_owned()];
        for (back, passed) in [(2, false), (1, true)] {
            let row = ScoreRow {
                scorecard: "production-readiness".to_owned(),
                entity_ref: refs[0].clone(),
                check_id: "on-call".to_owned(),
                day: today - back,
                passed,
            };
            store
                .transaction(|tx| tx.replace_score_rows(today - back, &refs, &[row]))
                .unwrap();
        }
        let r = app.get("/api/scorecards/summary?days=3");
        assert_eq!(r.status, 200, "{}", r.text);
        let on_call = on_call_points(&r.body);
        let points: Vec<(Value, Value, Value)> = on_call
            .iter()
            .map(|p| {
                (
                    p["passed"].clone(),
                    p["applicable"].clone(),
                    p["coverage"].clone(),
                )
            })
            .collect();
        assert_eq!(
            points,
            [
                (json!(0), json!(1), json!(0.0)),
                (json!(1), json!(1), json!(1.0)),
                (json!(1), json!(1), json!(1.0)),
            ]
        );
        let days: Vec<&str> = on_call.iter().map(|p| p["day"].as_str().unwrap()).collect();
        assert_eq!(days.len(), 3);
        assert!(days.windows(2).all(|w| w[0] < w[1]), "{days:?}");
        // A day before the window is not in it.
        let one = app.get("/api/scorecards/summary?days=1").body;
        assert_eq!(on_call_points(&one).len(), 1);
        // The team's trend reads only its own entities.
        let group = app.get("/api/scorecards/group/default/shop?days=3").body;
        assert_eq!(on_call_points(&group).len(), 3);
        // The entity's own history: the stored days, then today as now.
        let entity = app.get(&format!("{ENTITY}?days=3")).body;
        let history = card(&entity)["history"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["check"] == "on-call")
            .unwrap()
            .clone();
        let passed: Vec<Value> = history["days"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["passed"].clone())
            .collect();
        assert_eq!(passed, [json!(false), json!(true), json!(true)]);
        assert_eq!(
            history["days"][2]["day"],
            on_call_points(&r.body)[2]["day"],
            "today is the last day"
        );
    }
}

#[test]
fn unknown_entities_and_groups_and_bad_trend_lengths_are_refused() {
    let app = TestApp::all().remove(0);
    seed(&app);
    let before = app.get("/api/scorecards/summary").body;
    assert_error(
        &app.get("/api/scorecards/entity/default/component/nope"),
        404,
        "NotFoundError",
        "No entity named 'component:default/nope' found",
    );
    assert_error(
        &app.get("/api/scorecards/group/default/nope"),
        404,
        "NotFoundError",
        "No group named 'group:default/nope' found",
    );
    assert_error(
        &app.get("/api/scorecards/summary?days=0"),
        400,
        "InputError",
        "days must be from 1 to 180 (the history kept), got 0",
    );
    assert_error(
        &app.get("/api/scorecards/group/default/shop?days=181"),
        400,
        "InputError",
        "days must be from 1 to 180",
    );
    assert_error(
        &app.get("/api/scorecards/summary?days=many"),
        400,
        "InputError",
        "days must be from 1 to 180 (the history kept), got 'many'",
    );
    assert_error(
        &app.get("/api/scorecards/summary?day=3"),
        400,
        "InputError",
        "unknown parameter 'day'; expected days",
    );
    // A known entity no scorecard applies to has no cards.
    let r = app.get("/api/scorecards/entity/default/group/shop");
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["scorecards"], json!([]));
    assert_eq!(app.get("/api/scorecards/summary").body, before);
}

#[test]
fn bad_definitions_stop_the_configuration_naming_the_definition() {
    let section = |definitions: Value| ScorecardsSection {
        definitions: Some(serde_json::from_value(definitions).unwrap()),
        ..ScorecardsSection::default()
    };
    let err = section(json!([{ "name": "x", "checks": [{ "id": "a", "type": "on-cal" }] }]))
        .compile()
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("invalid config scorecards.definitions[0]:"),
        "{err}"
    );
    assert!(err.contains("unknown variant `on-cal`"), "{err}");
    let card = json!({ "name": "x", "checks": [{ "id": "a", "type": "lifecycle" }] });
    let err = section(json!([card, card]))
        .compile()
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "invalid config scorecards.definitions[1]: the name x is used twice"
    );
    assert_eq!(section(json!([])).compile().unwrap().len(), 0);
    assert_eq!(ScorecardsSection::default().compile().unwrap().len(), 2);

    // From a file: the key, and `portico serve` would not start.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("portico.yaml");
    std::fs::write(
        &file,
        "scorecards:\n  definitions:\n    - name: x\n      checks:\n        - { id: a, type: matches, field: metadata.name, pattern: \"(\" }\n",
    )
    .unwrap();
    let err = Config::load_layers(&[file], &[]).unwrap_err().to_string();
    assert!(err.contains("scorecards.definitions[0]"), "{err}");
    assert!(err.contains("the pattern does not compile"), "{err}");
}

#[test]
fn pages_show_levels_failing_checks_team_tables_and_the_trend() {
    for app in crate::ui::seeded() {
        let service = "/api/scorecards/entity/default/component/playlist-service";
        wait_evaluated(&app, service);
        let html = crate::ui::page(&app, "/catalog/default/component/playlist-service");
        let section = crate::ui::texts(&html, "section[aria-labelledby=scorecards-title]").concat();
        assert!(section.contains("Production readiness"), "{section}");
        assert!(
            section.contains("Has a runbook: no docs site, so no runbook page"),
            "{section}"
        );
        assert!(
            section.contains(
                "How to fix: Add docs/runbook.md (or tag a page `runbook` in its front matter)."
            ),
            "{section}"
        );
        let level = crate::ui::texts(&html, "section[aria-labelledby=scorecards-title] h3 .badge");
        let api_level = app.get(service).body["scorecards"][0]["level"].clone();
        assert_eq!(
            level,
            [api_level.as_str().unwrap_or("no level yet").to_owned()],
            "the badge is the API's level"
        );

        // The team's table: its entities by checks, failures marked.
        let html = crate::ui::page(&app, "/catalog/default/group/team-a");
        let rows = crate::ui::texts(&html, "table.sc-team tbody td:first-child");
        assert!(rows.contains(&"playlist-service".to_owned()), "{rows:?}");
        let headers = crate::ui::texts(&html, "table.sc-team thead th");
        let runbook = headers.iter().position(|h| h == "Has a runbook").unwrap();
        let first_row = crate::ui::select(&html, "table.sc-team tbody tr");
        let cells: Vec<_> = first_row[0]
            .select(&scraper::Selector::parse("td").unwrap())
            .collect();
        assert_eq!(cells[runbook].value().attr("class"), Some("sc-fail"));
        assert_eq!(
            cells[runbook].value().attr("title"),
            Some("Has a runbook fails")
        );

        // The organisation: coverage per check, per team, and a line per
        // check in the trend chart.
        let html = crate::ui::page(&app, "/scorecards");
        let coverage = crate::ui::texts(&html, "table.sc-coverage tbody tr");
        assert!(
            coverage
                .iter()
                .any(|r| r.starts_with("Has a runbook") && r.contains("0 / ")),
            "{coverage:?}"
        );
        let lines = crate::ui::select(&html, "svg.pg-trend g.pg-trend__line");
        assert_eq!(
            lines.len(),
            11 + 5,
            "one line per check of production-readiness and of api-quality"
        );
        let teams = crate::ui::texts(&html, "table.sc-teams tbody td:first-child");
        assert!(teams.contains(&"team-a".to_owned()), "{teams:?}");
        let bad = app.get("/scorecards?days=0");
        assert_eq!(bad.status, 400);
        assert!(
            bad.text.contains("days must be from 1 to 180"),
            "{}",
            bad.text
        );
    }
}

#[test]
fn checks_read_other_entities_and_the_group_route_lists_the_furthest_behind_first() {
    let app = TestApp::all().remove(0);
    seed(&app);
    // A deprecated library the service depends on, and a second service
    // of the team that passes fewer checks (no on-call, no SLOs).
    let more = app.write(
        "more.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: old-lib\nspec:\n  type: library\n  lifecycle: deprecated\n  owner: shop\n---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: cart\n  description: Holds carts.\nspec:\n  type: service\n  lifecycle: production\n  owner: shop\n  dependsOn: [component:old-lib]\n",
    );
    assert_eq!(app.register(&more).status, 201);
    let cart = "/api/scorecards/entity/default/component/cart";
    wait_evaluated(&app, cart);
    let report = app.get(cart).body;
    let dependencies = check(card(&report), "dependencies");
    assert_eq!(dependencies["outcome"], "fail");
    assert_eq!(
        dependencies["reason"],
        "depends on deprecated component:default/old-lib"
    );

    let group = app.get("/api/scorecards/group/default/shop?limit=1");
    assert_eq!(group.status, 200, "{}", group.text);
    let card = &group.body["scorecards"][0];
    assert_eq!(card["entities"], 2, "both services count");
    let items = card["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "the limit holds");
    assert_eq!(
        items[0]["entityRef"], "component:default/cart",
        "cart passes fewer checks than checkout"
    );
    assert_error(
        &app.get("/api/scorecards/group/default/shop?limit=0"),
        400,
        "InputError",
        "limit must be from 1 to 100000, got '0'",
    );
    assert_error(
        &app.get("/api/scorecards/summary?limit=5"),
        400,
        "InputError",
        "unknown parameter 'limit'; expected days",
    );
}

fn check_of(app: &TestApp, name: &str, id: &str) -> Value {
    let report = app
        .get(&format!("/api/scorecards/entity/default/component/{name}"))
        .body;
    check(card(&report), id).clone()
}

#[test]
fn what_checks_read_reaches_them_when_it_appears_fails_or_is_borrowed() {
    for app in TestApp::all() {
        // A service whose system does not exist yet, whose docs will fail
        // to build, and one that borrows another's docs.
        app.write("docs-broken/mkdocs.yml", "site_name: [unclosed\n");
        app.write("docs-broken/docs/index.md", "# Hi\n");
        app.write("docs-good/mkdocs.yml", "site_name: Good\n");
        app.write("docs-good/docs/index.md", "# Good\n");
        app.write("docs-good/docs/runbook.md", "# Runbook\n");
        let service = |name: &str, extra: &str| {
            format!("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n  annotations:\n{extra}spec:\n  type: service\n  lifecycle: production\n  owner: nobody\n  system: later\n")
        };
        let file = app.write(
            "services.yaml",
            &[
                service(
                    "broken",
                    "    backstage.io/techdocs-ref: dir:./docs-broken\n",
                ),
                service("good", "    backstage.io/techdocs-ref: dir:./docs-good\n"),
                service(
                    "borrower",
                    "    backstage.io/techdocs-entity: component:default/good\n",
                ),
            ]
            .join("---\n"),
        );
        assert_eq!(app.register(&file).status, 201);
        wait_until("the services are evaluated", || {
            check_of(&app, "broken", "system")["reason"]
                == "the system system:default/later is not in the catalog"
        });
        assert_eq!(
            check_of(&app, "borrower", "techdocs")["reason"],
            "the docs have not been built"
        );

        // The system arrives: the services read it, so they pass.
        let system = app.write(
            "system.yaml",
            "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: later\nspec:\n  owner: nobody\n",
        );
        assert_eq!(app.register(&system).status, 201);
        wait_until("the system check passes", || {
            check_of(&app, "broken", "system")["outcome"] == "pass"
        });

        // A failed build and a good one, each through the doc change log.
        let r = app.get("/api/techdocs/sync/default/component/broken");
        assert_eq!(r.status, 200, "{}", r.text);
        wait_until("the failure is seen", || {
            check_of(&app, "broken", "techdocs")["reason"] == "the last docs build failed"
        });
        let r = app.get("/api/techdocs/sync/default/component/good");
        assert_eq!(r.status, 200, "{}", r.text);
        wait_until("the borrower sees the site it borrows", || {
            check_of(&app, "borrower", "runbook")["reason"] == "runbook at runbook.md"
        });
        assert_eq!(check_of(&app, "borrower", "techdocs")["outcome"], "pass");

        // The system goes again: the check fails, naming it.
        let r = app.delete(&format!(
            "/api/catalog/entities/by-uid/{}",
            app.get("/api/catalog/entities/by-name/system/default/later")
                .body["metadata"]["uid"]
                .as_str()
                .unwrap()
        ));
        assert!(r.status < 300, "{}", r.text);
        wait_until("the system check fails again", || {
            check_of(&app, "good", "system")["outcome"] == "fail"
        });
    }
}
