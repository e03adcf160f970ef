//! TechDocs through the HTTP API: sync builds, metadata, pages and assets,
//! git-backed sources following pushes, failures keeping the last good
//! site, borrowed docs.

use portico_catalog::{CatalogConfig, OrphanStrategy};
use portico_store::testing::TestDb;
use serde_json::{json, Value};

use crate::app::TestApp;
use crate::git::{GitRepo, SECRET};

const DOCS: &str = "/api/techdocs";

fn documented(name: &str, extra_annotations: &str) -> String {
    format!(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n  \
         annotations:\n    backstage.io/techdocs-ref: dir:.\n{extra_annotations}spec:\n  \
         type: service\n  lifecycle: production\n  owner: team-a\n"
    )
}

const MKDOCS: &str = "site_name: Payments\nsite_description: How payments work\nnav:\n  - Home: index.md\n  - Runbook: runbook.md\n";

const INDEX: &str =
    "# Payments\n\nRead the [runbook](runbook.md#alerts) first.\n\n![diagram](img/flow.png)\n";

const RUNBOOK: &str = "# Runbook\n\n## Alerts\n\n!!! warning \"Paging\"\n    Page the on-call.\n";

/// Server-sent events of a sync: `(event, data)` pairs.
fn sync(app: &TestApp, name: &str) -> Vec<(String, Value)> {
    let r = app.get(&format!("{DOCS}/sync/default/component/{name}"));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.content_type.as_deref(), Some("text/event-stream"));
    r.text
        .split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            let mut event = String::new();
            let mut data = Value::Null;
            for line in block.lines() {
                if let Some(e) = line.strip_prefix("event: ") {
                    event = e.to_string();
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data = serde_json::from_str(d).expect("event data is JSON");
                }
            }
            (event, data)
        })
        .collect()
}

fn finish(events: &[(String, Value)]) -> &Value {
    let (name, data) = events.last().expect("at least one event");
    assert_eq!(name, "finish", "events: {events:?}");
    data
}

fn write_site(app: &TestApp, dir: &str, name: &str) -> std::path::PathBuf {
    app.write(&format!("{dir}/mkdocs.yml"), MKDOCS);
    app.write(&format!("{dir}/docs/index.md"), INDEX);
    app.write(&format!("{dir}/docs/runbook.md"), RUNBOOK);
    let png = app.dir.path().join(format!("{dir}/docs/img/flow.png"));
    std::fs::create_dir_all(png.parent().expect("parent")).expect("mkdir");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\n\0fake").expect("png");
    app.write(&format!("{dir}/catalog-info.yaml"), &documented(name, ""))
}

#[test]
fn a_file_backed_site_builds_on_sync_and_serves_pages_assets_and_metadata() {
    for app in TestApp::all() {
        let file = write_site(&app, "payments", "payments");
        assert_eq!(app.register(&file).status, 201);

        let before = app.get(&format!(
            "{DOCS}/metadata/techdocs/default/component/payments"
        ));
        assert_eq!(before.status, 404, "not built yet: {}", before.text);
        assert!(
            before.text.contains("have not been built"),
            "{}",
            before.text
        );

        let events = sync(&app, "payments");
        assert_eq!(finish(&events), &json!({ "updated": true }));
        assert!(
            events.iter().any(|(e, d)| e == "log" && d.as_str().is_some_and(|l| l.contains("built 2 pages"))),
            "{events:?}"
        );

        let meta = app.get(&format!(
            "{DOCS}/metadata/techdocs/default/component/payments"
        ));
        assert_eq!(meta.status, 200, "{}", meta.text);
        assert_eq!(meta.body["site_name"], "Payments");
        assert_eq!(meta.body["site_description"], "How payments work");
        assert_eq!(
            meta.body["etag"].as_str().map(str::len),
            Some(40),
            "sha1 content hash"
        );
        assert!(meta.body["build_timestamp"]
            .as_i64()
            .is_some_and(|t| t > 1_700_000_000_000));
        let files: Vec<&str> = meta.body["files"]
            .as_array()
            .expect("files")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for f in ["index.html", "runbook/index.html", "img/flow.png"] {
            assert!(files.contains(&f), "{f} in {files:?}");
        }

        let page = app.get(&format!(
            "{DOCS}/static/docs/default/component/payments/runbook/"
        ));
        assert_eq!(page.status, 200);
        assert_eq!(
            page.content_type.as_deref(),
            Some("text/html; charset=utf-8")
        );
        assert!(
            page.text.contains("class=\"admonition warning\""),
            "{}",
            page.text
        );
        assert!(page.text.contains("Page the on-call."));
        assert!(!page.text.contains("!!! warning"));

        let index = app.get(&format!("{DOCS}/static/docs/default/component/payments/"));
        assert_eq!(index.status, 200);
        assert!(
            index.text.contains("href=\"runbook/#alerts\""),
            "{}",
            index.text
        );

        let img = app.get(&format!(
            "{DOCS}/static/docs/default/component/payments/img/flow.png"
        ));
        assert_eq!(img.status, 200);
        assert_eq!(img.content_type.as_deref(), Some("image/png"));
        assert_eq!(img.bytes, b"\x89PNG\r\n\x1a\n\0fake");

        let missing = app.get(&format!(
            "{DOCS}/static/docs/default/component/payments/nope.html"
        ));
        assert_eq!(missing.status, 404);
        assert_eq!(missing.body["error"]["name"], "NotFoundError");

        // The same source again: nothing to build.
        assert_eq!(
            finish(&sync(&app, "payments")),
            &json!({ "updated": false })
        );

        // An edit moves the content hash and shows up after the next sync.
        app.write("payments/docs/runbook.md", "# Runbook\n\nNew procedure.\n");
        assert_eq!(finish(&sync(&app, "payments")), &json!({ "updated": true }));
        let meta2 = app.get(&format!(
            "{DOCS}/metadata/techdocs/default/component/payments"
        ));
        assert_ne!(meta2.body["etag"], meta.body["etag"]);
        let page = app.get(&format!(
            "{DOCS}/static/docs/default/component/payments/runbook/"
        ));
        assert!(page.text.contains("New procedure."));

        let entity = app.get(&format!(
            "{DOCS}/metadata/entity/default/component/payments"
        ));
        assert_eq!(entity.status, 200);
        assert_eq!(entity.body["metadata"]["name"], "payments");
        assert_eq!(entity.body["locationMetadata"]["type"], "file");
    }
}

#[test]
fn files_an_author_wrote_as_html_or_svg_run_sandboxed_and_pages_allow_no_foreign_script() {
    let app = TestApp::spawn(TestDb::sqlite());
    let file = write_site(&app, "svc", "svc");
    app.write(
        "svc/docs/report.html",
        "<html><script>alert(document.cookie)</script></html>",
    );
    app.write(
        "svc/docs/img/logo.svg",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
    );
    assert_eq!(app.register(&file).status, 201);
    finish(&sync(&app, "svc"));
    for path in ["report.html", "img/logo.svg"] {
        let r = app.get(&format!("{DOCS}/static/docs/default/component/svc/{path}"));
        assert_eq!(r.status, 200, "{path}");
        let csp = r.content_security_policy.unwrap_or_default();
        assert!(csp.starts_with("sandbox;"), "{path}: {csp}");
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
    }
    let page = app.get(&format!("{DOCS}/static/docs/default/component/svc/"));
    let csp = page.content_security_policy.unwrap_or_default();
    assert!(
        csp.contains("script-src 'self' https://cdn.jsdelivr.net;"),
        "{csp}"
    );
    assert!(csp.contains("object-src 'none'"), "{csp}");
}

#[test]
fn a_page_without_its_trailing_slash_redirects_to_the_directory_url() {
    let app = TestApp::spawn(TestDb::sqlite());
    let file = write_site(&app, "payments", "payments");
    assert_eq!(app.register(&file).status, 201);
    finish(&sync(&app, "payments"));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let res = agent
        .get(&format!(
            "{}{DOCS}/static/docs/default/component/payments/runbook",
            app.base
        ))
        .call()
        .expect("GET");
    assert_eq!(res.status().as_u16(), 301);
    assert_eq!(
        res.headers().get("location").and_then(|v| v.to_str().ok()),
        Some("runbook/")
    );
}

#[test]
fn a_broken_link_is_a_warning_with_file_and_line_and_the_site_still_builds() {
    for app in TestApp::all() {
        let file = write_site(&app, "svc", "svc");
        app.write(
            "svc/docs/index.md",
            "# Svc\n\nSee\n[the guide](guide.md).\n",
        );
        assert_eq!(app.register(&file).status, 201);
        assert_eq!(finish(&sync(&app, "svc")), &json!({ "updated": true }));
        let meta = app.get(&format!("{DOCS}/metadata/techdocs/default/component/svc"));
        let warnings = meta.body["warnings"].as_array().expect("warnings").clone();
        assert!(
            warnings.iter().any(|w| w
                .as_str()
                .is_some_and(|w| w.starts_with("docs/index.md:4:") && w.contains("guide.md"))),
            "{warnings:?}"
        );
        let page = app.get(&format!(
            "{DOCS}/static/docs/default/component/svc/runbook/"
        ));
        assert_eq!(page.status, 200, "the rest of the site is there");
    }
}

#[test]
fn a_failed_build_keeps_the_last_good_site_and_says_why() {
    for app in TestApp::all() {
        let file = write_site(&app, "svc", "svc");
        assert_eq!(app.register(&file).status, 201);
        finish(&sync(&app, "svc"));
        let good = app.get(&format!("{DOCS}/metadata/techdocs/default/component/svc"));

        app.write(
            "svc/mkdocs.yml",
            "site_name: Svc\nmarkdown_extensions:\n  - pymdownx.emoji:\n      emoji_index: !!python/name:material.extensions.emoji.twemoji\n",
        );
        let events = sync(&app, "svc");
        let (name, data) = events.last().expect("events");
        assert_eq!(name, "error", "{events:?}");
        assert!(
            data.as_str().is_some_and(|m| m.contains("mkdocs.yml:4")),
            "{data}"
        );

        let meta = app.get(&format!("{DOCS}/metadata/techdocs/default/component/svc"));
        assert_eq!(meta.status, 200);
        assert_eq!(
            meta.body["etag"], good.body["etag"],
            "the last good site is served"
        );
        assert!(meta.body["failure"]
            .as_str()
            .is_some_and(|f| f.contains("python")));
        let page = app.get(&format!(
            "{DOCS}/static/docs/default/component/svc/runbook/"
        ));
        assert_eq!(page.status, 200);

        // Retrying the same broken source does not rebuild it.
        assert_eq!(finish(&sync(&app, "svc")), &json!({ "updated": false }));
    }
}

#[test]
fn an_entity_can_borrow_another_entitys_docs() {
    let app = TestApp::spawn(TestDb::sqlite());
    let file = write_site(&app, "payments", "payments");
    assert_eq!(app.register(&file).status, 201);
    let borrower = app.write(
        "borrower/catalog-info.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments-worker\n  annotations:\n    backstage.io/techdocs-entity: component:default/payments\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n",
    );
    assert_eq!(app.register(&borrower).status, 201);
    assert_eq!(
        finish(&sync(&app, "payments-worker")),
        &json!({ "updated": true })
    );
    let meta = app.get(&format!(
        "{DOCS}/metadata/techdocs/default/component/payments-worker"
    ));
    assert_eq!(meta.status, 200, "{}", meta.text);
    assert_eq!(meta.body["site_name"], "Payments");
    let page = app.get(&format!(
        "{DOCS}/static/docs/default/component/payments-worker/runbook/"
    ));
    assert!(page.text.contains("Page the on-call."));
}

#[test]
fn unknown_entities_and_entities_without_docs_are_404s() {
    let app = TestApp::spawn(TestDb::sqlite());
    let r = app.get(&format!(
        "{DOCS}/metadata/techdocs/default/component/nobody"
    ));
    assert_eq!(r.status, 404);
    assert_eq!(
        r.body["error"]["message"],
        "No entity named 'component:default/nobody' found"
    );
    let plain = app.write(
        "plain/catalog-info.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: plain\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n",
    );
    assert_eq!(app.register(&plain).status, 201);
    assert_eq!(finish(&sync(&app, "plain")), &json!({ "updated": false }));
    let r = app.get(&format!(
        "{DOCS}/static/docs/default/component/plain/index.html"
    ));
    assert_eq!(r.status, 404);
}

#[test]
fn a_docs_edit_pushed_to_git_shows_the_new_page_and_etag_after_refresh() {
    for db in TestDb::all() {
        let mut config = CatalogConfig {
            orphan_strategy: OrphanStrategy::Keep,
            ..CatalogConfig::default()
        };
        config.read.allow_local_repositories = true;
        let app = TestApp::spawn_full(db, config, Some(SECRET));
        let repo = GitRepo::new(app.dir.path(), "payments");
        repo.write("catalog-info.yaml", &documented("payments", ""));
        repo.write("mkdocs.yml", MKDOCS);
        repo.write("docs/index.md", INDEX);
        repo.write("docs/runbook.md", RUNBOOK);
        repo.write("docs/img/flow.png", "not really a png");
        let first = repo.push("docs");
        let r = app.post(
            "/api/catalog/locations",
            &json!({ "type": "git", "target": format!("{}//catalog-info.yaml?ref=main", repo.url()) }),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(finish(&sync(&app, "payments")), &json!({ "updated": true }));
        let meta = app.get(&format!(
            "{DOCS}/metadata/techdocs/default/component/payments"
        ));
        assert_eq!(meta.body["etag"], first, "a git site's etag is its commit");

        repo.write("docs/runbook.md", "# Runbook\n\nRestart the consumer.\n");
        let second = repo.push("new procedure");
        let hook = crate::git::push_hook(&app, &repo, SECRET);
        assert_eq!(hook.status, 200, "{}", hook.text);
        assert_eq!(finish(&sync(&app, "payments")), &json!({ "updated": true }));
        let meta = app.get(&format!(
            "{DOCS}/metadata/techdocs/default/component/payments"
        ));
        assert_eq!(meta.body["etag"], second);
        let page = app.get(&format!(
            "{DOCS}/static/docs/default/component/payments/runbook/"
        ));
        assert!(page.text.contains("Restart the consumer."), "{}", page.text);
    }
}

#[test]
fn a_url_ref_reads_docs_from_a_repository_at_its_branch_head() {
    let mut config = CatalogConfig::default();
    config.read.allow_local_repositories = true;
    let app = TestApp::spawn_full(TestDb::sqlite(), config, None);
    let repo = GitRepo::new(app.dir.path(), "handbook");
    repo.write("site/mkdocs.yml", "site_name: Handbook\n");
    repo.write("site/docs/index.md", "# Handbook\n\nVersion one.\n");
    let first = repo.push("docs");
    let file = app.write(
        "svc/catalog-info.yaml",
        &format!(
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc\n  \
             annotations:\n    backstage.io/techdocs-ref: url:{}//site?ref=main\nspec:\n  \
             type: service\n  lifecycle: production\n  owner: team-a\n",
            repo.url()
        ),
    );
    assert_eq!(app.register(&file).status, 201);
    assert_eq!(finish(&sync(&app, "svc")), &json!({ "updated": true }));
    let meta = app.get(&format!("{DOCS}/metadata/techdocs/default/component/svc"));
    assert_eq!(meta.body["site_name"], "Handbook");
    assert_eq!(meta.body["etag"], first);

    repo.write("site/docs/index.md", "# Handbook\n\nVersion two.\n");
    let second = repo.push("v2");
    assert_eq!(finish(&sync(&app, "svc")), &json!({ "updated": true }));
    let meta = app.get(&format!("{DOCS}/metadata/techdocs/default/component/svc"));
    assert_eq!(meta.body["etag"], second, "the branch is followed");
    let page = app.get(&format!("{DOCS}/static/docs/default/component/svc/"));
    assert!(page.text.contains("Version two."));
}

#[test]
fn a_url_ref_to_a_repository_the_config_does_not_allow_fails_and_builds_nothing() {
    let mut config = CatalogConfig::default();
    config.read.allowed_hosts = Some(Vec::new());
    let app = TestApp::spawn_full(TestDb::sqlite(), config, None);
    let file = app.write(
        "svc/catalog-info.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc\n  \
         annotations:\n    backstage.io/techdocs-ref: url:https://github.com/org/repo/tree/main/docs\nspec:\n  \
         type: service\n  lifecycle: production\n  owner: team-a\n",
    );
    assert_eq!(app.register(&file).status, 201);
    let events = sync(&app, "svc");
    let (name, data) = events.last().expect("events");
    assert_eq!(name, "error");
    assert!(
        data.as_str()
            .is_some_and(|m| m.contains("not in catalog.allowedHosts")),
        "{data}"
    );
    let meta = app.get(&format!("{DOCS}/metadata/techdocs/default/component/svc"));
    assert_eq!(meta.status, 404);
    assert!(
        meta.text.contains("not in catalog.allowedHosts"),
        "{}",
        meta.text
    );
}
