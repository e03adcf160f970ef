//! Scorecards over real catalogs: the example organisation's known gaps,
//! and a runbook pushed to git turning its check green.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::cli::{free_port, get_json, serve_example, wait_for};
use crate::scaffolder::post;

/// The production-readiness card of an entity's report.
fn readiness(report: &Value) -> &Value {
    report["scorecards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["scorecard"] == "production-readiness")
        .unwrap_or_else(|| panic!("no production-readiness card in {report}"))
}

fn failing(card: &Value) -> Vec<String> {
    card["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["outcome"] == "fail")
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

fn check<'a>(card: &'a Value, id: &str) -> &'a Value {
    card["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {card}"))
}

fn coverage(card: &Value, id: &str) -> (u64, u64) {
    let c = check(card, id);
    (
        c["passed"].as_u64().unwrap(),
        c["applicable"].as_u64().unwrap(),
    )
}

#[test]
fn the_example_catalogs_known_gaps_fail_exactly_the_expected_checks() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let _server = serve_example(data.path(), port);
    // Every site with docs is built (16 of the 19 services and websites).
    wait_for(
        "scorecards with every docs site built",
        Duration::from_secs(120),
        || {
            get_json(port, "/api/scorecards/summary").is_some_and(|s| {
                s["scorecards"][0]["scorecard"] == "production-readiness"
                    && coverage(&s["scorecards"][0], "techdocs") == (16, 19)
            })
        },
    );
    let silver_without_on_call = ["on-call", "slos"];
    let mut expected: BTreeMap<&str, (Option<&str>, Vec<&str>)> = BTreeMap::new();
    for name in [
        "music-metadata-service",
        "audio-transcoder",
        "search-indexer",
        "subscription-billing-worker",
        "portico",
        "legacy-stream-proxy",
        "playlist-cover-generator",
    ] {
        expected.insert(name, (Some("silver"), silver_without_on_call.to_vec()));
    }
    for name in [
        "search-service",
        "identity-service",
        "recommendations-service",
        "playlists-service",
        "edge-gateway",
        "graph-gateway",
    ] {
        expected.insert(name, (Some("silver"), vec!["slos"]));
    }
    for name in ["playback-service", "payments-service"] {
        expected.insert(name, (Some("gold"), vec![]));
    }
    for name in ["web-player", "artist-portal", "checkout-web"] {
        expected.insert(
            name,
            (
                Some("bronze"),
                vec!["techdocs", "runbook", "on-call", "slos"],
            ),
        );
    }
    expected.insert(
        "listening-insights",
        (None, vec!["owner", "runbook", "on-call", "slos"]),
    );
    let mut reports = BTreeMap::new();
    for (name, (level, fails)) in &expected {
        let report = get_json(
            port,
            &format!("/api/scorecards/entity/default/component/{name}"),
        )
        .unwrap_or_else(|| panic!("no report for {name}"));
        let card = readiness(&report);
        assert_eq!(card["level"].as_str(), *level, "{name}: {card}");
        assert_eq!(failing(card), *fails, "{name}: {card}");
        for failed in card["checks"].as_array().unwrap() {
            if failed["outcome"] == "fail" {
                assert!(
                    failed["fix"].as_str().is_some_and(|f| !f.is_empty()),
                    "{name}: a failure says how to fix it: {failed}"
                );
            }
        }
        reports.insert(*name, report);
    }
    // The gaps the example data has on purpose, with their reasons.
    for (name, id, reason) in [
        (
            "listening-insights",
            "owner",
            "the owner group:default/insights has no members",
        ),
        (
            "listening-insights",
            "runbook",
            "no docs page is a runbook (a page named runbook or tagged runbook)",
        ),
        (
            "listening-insights",
            "techdocs",
            "built without warnings, 1 page(s)",
        ),
        (
            "music-metadata-service",
            "on-call",
            "none of pagerduty.com/service-id, opsgenie.com/team, portico.dev/oncall is set",
        ),
        (
            "checkout-web",
            "runbook",
            "no docs site, so no runbook page",
        ),
        (
            "playback-service",
            "slos",
            "2 portico.dev/slo annotation(s)",
        ),
        ("playback-service", "runbook", "runbook at runbook.md"),
        // Portico's own runbook is a page deeper down.
        ("portico", "runbook", "runbook at operations/runbook.md"),
    ] {
        assert_eq!(
            check(readiness(&reports[name]), id)["reason"],
            reason,
            "{name} {id}"
        );
    }

    // The organisation: exactly the entities above, per level and check.
    let summary = get_json(port, "/api/scorecards/summary").unwrap();
    let card = &summary["scorecards"][0];
    assert_eq!(card["entities"], 19);
    assert_eq!(
        card["levels"],
        json!([
            { "level": "bronze", "entities": 3 },
            { "level": "silver", "entities": 13 },
            { "level": "gold", "entities": 2 },
            { "level": "none", "entities": 1 }
        ])
    );
    assert_eq!(coverage(card, "owner"), (18, 19));
    assert_eq!(coverage(card, "runbook"), (15, 19));
    assert_eq!(coverage(card, "on-call"), (8, 19));
    assert_eq!(coverage(card, "slos"), (2, 19));
    let team = |name: &str| {
        card["teams"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["team"] == format!("group:default/{name}"))
            .cloned()
            .unwrap_or_else(|| panic!("no team {name} in {card}"))
    };
    assert_eq!(coverage(&team("discovery"), "on-call"), (2, 4));
    assert_eq!(coverage(&team("insights"), "owner"), (0, 1));
    let trend = card["trend"].as_array().unwrap();
    let on_call = trend.iter().find(|s| s["check"] == "on-call").unwrap();
    let today = on_call["points"].as_array().unwrap().last().unwrap();
    assert_eq!(
        (today["passed"].clone(), today["applicable"].clone()),
        (json!(8), json!(19))
    );

    // A department covers its teams' entities; its table names each one.
    let engineering = get_json(port, "/api/scorecards/group/default/engineering").unwrap();
    let card = &engineering["scorecards"][0];
    assert_eq!(card["entities"], 19, "{card}");
    assert!(engineering["groups"]
        .as_array()
        .unwrap()
        .contains(&json!("group:default/insights")));
    let line = card["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["entityRef"] == "component:default/listening-insights")
        .unwrap();
    assert_eq!(
        line["failing"],
        json!(["owner", "runbook", "on-call", "slos"])
    );
    assert_eq!(line["level"], Value::Null);

    // APIs have their own card; definitions that Portico cannot parse
    // (GraphQL, gRPC) are skipped, not failed.
    let api = get_json(port, "/api/scorecards/entity/default/api/playback-api").unwrap();
    let card = &api["scorecards"][0];
    assert_eq!(card["scorecard"], "api-quality");
    assert_eq!(card["level"], "gold", "{card}");
    assert!(check(card, "definition")["reason"]
        .as_str()
        .unwrap()
        .starts_with("a openapi "));
    let graph = get_json(port, "/api/scorecards/entity/default/api/catalog-graph").unwrap();
    assert_eq!(
        check(&graph["scorecards"][0], "definition")["outcome"],
        "skip"
    );
}

const TEAM_AND_SERVICE: &str = "apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: stats-team
spec:
  type: team
  children: []
  members: [ada]
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: ada
spec:
  memberOf: [stats-team]
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: weekly-stats
  description: Weekly listening stats.
  annotations:
    backstage.io/techdocs-ref: dir:.
spec:
  type: service
  lifecycle: production
  owner: stats-team
";

fn commit(repo: &Path, files: &[(&str, &str)], message: &str) {
    let files: Vec<(&str, Option<&[u8]>)> = files
        .iter()
        .map(|(path, text)| (*path, Some(text.as_bytes())))
        .collect();
    portico_git::write::commit_files(repo, "main", &files, message, ("Test", "test@example.com"))
        .unwrap();
}

#[test]
fn a_runbook_pushed_to_git_passes_its_check_and_lifts_the_team_within_two_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repos/weekly-stats.git");
    portico_git::write::init_bare(&repo, "main").unwrap();
    commit(
        &repo,
        &[
            ("catalog-info.yaml", TEAM_AND_SERVICE),
            (
                "mkdocs.yml",
                "site_name: Weekly stats\nnav:\n  - Home: index.md\n",
            ),
            ("docs/index.md", "# Weekly stats\n\nWhat it computes.\n"),
        ],
        "service without a runbook",
    );
    let config = dir.path().join("portico.yaml");
    std::fs::write(
        &config,
        format!(
            "dataDir: {data}\nscaffolder:\n  repositoriesDir: {repos}\ncatalog:\n  allowLocalRepositories: true\n  locations:\n    - type: git\n      target: file://{repo}//catalog-info.yaml?ref=main\n",
            data = dir.path().join("data").display(),
            repos = dir.path().join("repos").display(),
            repo = repo.display(),
        ),
    )
    .unwrap();
    let port = free_port();
    let _server = crate::scaffolder::start(&config, port);
    let entity = "/api/scorecards/entity/default/component/weekly-stats";
    let team = "/api/scorecards/group/default/stats-team";
    let runbook_check =
        || get_json(port, entity).map(|report| check(readiness(&report), "runbook").clone());
    wait_for(
        "the docs built and evaluated",
        Duration::from_secs(60),
        || runbook_check().is_some_and(|c| c["reason"] != "no docs site, so no runbook page"),
    );
    assert_eq!(runbook_check().unwrap()["outcome"], "fail");
    let before = get_json(port, team).unwrap();
    assert_eq!(coverage(&before["scorecards"][0], "runbook"), (0, 1));
    assert_eq!(coverage(&before["scorecards"][0], "owner"), (1, 1));

    commit(
        &repo,
        &[
            (
                "mkdocs.yml",
                "site_name: Weekly stats\nnav:\n  - Home: index.md\n  - Runbook: runbook.md\n",
            ),
            (
                "docs/runbook.md",
                "# Runbook\n\n## Stats are late\n\nRe-run the job.\n",
            ),
        ],
        "add a runbook",
    );
    let (status, body) = post(
        port,
        "/api/catalog/refresh",
        &json!({ "entityRef": "component:default/weekly-stats" }),
    )
    .unwrap();
    assert!(status < 300, "{status} {body}");
    let refreshed = Instant::now();
    let mut took = None;
    while refreshed.elapsed() < Duration::from_secs(10) {
        let passed = runbook_check().is_some_and(|c| c["outcome"] == "pass");
        let lifted = get_json(port, team)
            .is_some_and(|t| coverage(&t["scorecards"][0], "runbook") == (1, 1));
        if passed && lifted {
            took = Some(refreshed.elapsed());
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let took = took.expect("the runbook check passed within 10 s of the refresh");
    println!(
        "runbook visible through the API {} ms after the refresh",
        took.as_millis()
    );
    assert!(took <= Duration::from_secs(2), "took {took:?}");
    assert_eq!(runbook_check().unwrap()["reason"], "runbook at runbook.md");
}
