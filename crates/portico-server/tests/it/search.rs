//! `/api/search/query` against a real server: freshness through the change
//! logs, deletions, doc pages replaced on rebuild, parameter errors.

use std::time::{Duration, Instant};

use portico_store::testing::TestDb;
use serde_json::Value;

use crate::app::TestApp;

fn search(app: &TestApp, query: &str) -> Value {
    let r = app.get(&format!("/api/search/query?{query}"));
    assert_eq!(r.status, 200, "{query}: {}", r.text);
    r.body
}

fn locations(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .map(|results| {
            results
                .iter()
                .filter_map(|r| r["document"]["location"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Polls until `found` holds for the query's results; returns how long it took.
fn wait_for(app: &TestApp, query: &str, found: impl Fn(&[String]) -> bool) -> Duration {
    let started = Instant::now();
    loop {
        let got = locations(&search(app, query));
        if found(&got) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{query}: still {got:?} after 5 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn component(name: &str, description: &str, annotations: &str) -> String {
    format!(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n  \
         description: {description}\n{annotations}spec:\n  type: service\n  lifecycle: production\n  \
         owner: team-a\n"
    )
}

#[test]
fn a_registered_entity_is_found_within_a_second_and_gone_when_deleted() {
    for app in TestApp::all() {
        let file = app.write(
            "svc/catalog-info.yaml",
            &component("quasar-ledger", "Reconciles zebrafish invoices nightly", ""),
        );
        let r = app.register(&file);
        assert_eq!(r.status, 201);
        let location_id = r.body["location"]["id"].as_str().expect("id").to_string();
        let took = wait_for(&app, "term=zebrafish", |got| {
            got.contains(&"/catalog/default/component/quasar-ledger".to_string())
        });
        println!("entity searchable after {took:?}");
        assert!(took < Duration::from_secs(1), "took {took:?}");
        let page = search(&app, "term=quasar-ledger&types[]=software-catalog");
        assert_eq!(page["results"][0]["rank"], 1);
        assert_eq!(page["results"][0]["type"], "software-catalog");
        assert_eq!(page["results"][0]["document"]["name"], "quasar-ledger");

        assert_eq!(
            app.delete(&format!("/api/catalog/locations/{location_id}"))
                .status,
            204
        );
        let took = wait_for(&app, "term=zebrafish", |got| got.is_empty());
        assert!(took < Duration::from_secs(1), "took {took:?}");
    }
}

#[test]
fn an_edited_doc_page_is_found_by_its_new_words_and_not_its_old_ones() {
    for app in TestApp::all() {
        app.write("svc/mkdocs.yml", "site_name: Svc\n");
        app.write(
            "svc/docs/index.md",
            "# Svc\n\n## Rollback\n\nRevert the marmalade deployment first.\n",
        );
        let file = app.write(
            "svc/catalog-info.yaml",
            &component(
                "svc",
                "A service",
                "  annotations:\n    backstage.io/techdocs-ref: dir:.\n",
            ),
        );
        assert_eq!(app.register(&file).status, 201);
        let sync = app.get("/api/techdocs/sync/default/component/svc");
        assert!(sync.text.contains("\"updated\":true"), "{}", sync.text);
        let took = wait_for(&app, "term=marmalade&types[]=techdocs", |got| {
            got.contains(&"/docs/default/component/svc/#rollback".to_string())
        });
        assert!(took < Duration::from_secs(1), "took {took:?}");

        app.write(
            "svc/docs/index.md",
            "# Svc\n\n## Rollback\n\nPause the tangerine consumer instead.\n",
        );
        let sync = app.get("/api/techdocs/sync/default/component/svc");
        assert!(sync.text.contains("\"updated\":true"), "{}", sync.text);
        let took = wait_for(&app, "term=tangerine&types[]=techdocs", |got| {
            !got.is_empty()
        });
        println!("edited doc page searchable after {took:?}");
        assert!(took < Duration::from_secs(1), "took {took:?}");
        assert!(
            locations(&search(&app, "term=marmalade")).is_empty(),
            "old words no longer find the page"
        );
    }
}

#[test]
fn doc_sections_follow_their_entity_s_owner_and_title() {
    for app in TestApp::all() {
        app.write("svc/mkdocs.yml", "site_name: Svc\n");
        app.write(
            "svc/docs/index.md",
            "# Svc\n\n## Failover\n\nPromote the okapi replica.\n",
        );
        let annotations = "  annotations:\n    backstage.io/techdocs-ref: dir:.\n";
        let file = app.write(
            "svc/catalog-info.yaml",
            &component("svc", "A service", annotations),
        );
        assert_eq!(app.register(&file).status, 201);
        let sync = app.get("/api/techdocs/sync/default/component/svc");
        assert!(sync.text.contains("\"updated\":true"), "{}", sync.text);
        let owned_by = |team: &str| format!("term=okapi&types[]=techdocs&filters[owner]={team}");
        wait_for(&app, &owned_by("team-a"), |got| got.len() == 1);

        // The docs do not change; the entity's owner and title do.
        app.write(
            "svc/catalog-info.yaml",
            &component("svc", "A service", annotations)
                .replace("owner: team-a", "owner: team-b")
                .replace("  name: svc\n", "  name: svc\n  title: Okapi Service\n"),
        );
        let r = app.post(
            "/api/catalog/refresh",
            &serde_json::json!({ "entityRef": "component:default/svc" }),
        );
        assert!(r.status < 300, "{}", r.text);
        let took = wait_for(&app, &owned_by("team-b"), |got| got.len() == 1);
        assert!(took < Duration::from_secs(2), "took {took:?}");
        assert!(locations(&search(&app, &owned_by("team-a"))).is_empty());
        let page = search(&app, &owned_by("team-b"));
        assert_eq!(
            page["results"][0]["document"]["entityTitle"], "Okapi Service",
            "{page}"
        );
    }
}

#[test]
fn bad_parameters_are_input_errors_and_bad_syntax_is_not() {
    let app = TestApp::spawn(TestDb::sqlite());
    for (query, message) in [
        (
            "term=x&pageLimit=0",
            "pageLimit must be a whole number from 1 to 100",
        ),
        (
            "term=x&pageLimit=many",
            "pageLimit must be a whole number from 1 to 100",
        ),
        ("term=x&colour=red", "unknown search parameter 'colour'"),
        ("term=x&pageCursor=bm90LWEtY3Vyc29y", "invalid pageCursor"),
    ] {
        let r = app.get(&format!("/api/search/query?{query}"));
        assert_eq!(r.status, 400, "{query}: {}", r.text);
        assert_eq!(r.body["error"]["name"], "InputError", "{query}");
        let got = r.body["error"]["message"].as_str().unwrap_or_default();
        assert!(got.contains(message), "{query}: {got}");
    }
    for term in [
        "foo%20AND%20(",
        "%22unclosed",
        ":::",
        "-",
        "*",
        "%5B%5D%7B%7D",
    ] {
        let page = search(&app, &format!("term={term}"));
        assert!(page["results"].is_array(), "{term}: {page}");
    }
}
