//! Git locations end to end: real repositories made with the git CLI in a
//! temp dir, pushed to, and announced through the push webhook.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use portico_catalog::{CatalogConfig, OrphanStrategy};
use portico_git::serve::{GitDaemon, HttpGitServer};
use portico_store::testing::TestDb;
use serde_json::{json, Value};

use crate::app::{assert_error, Reply, TestApp};

pub const SECRET: &str = "webhook-test-secret";

/// Runs git with a fixed identity; panics with its stderr on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A bare repository and a work tree that pushes to it.
pub struct GitRepo {
    pub bare: PathBuf,
    work: PathBuf,
}

impl GitRepo {
    pub fn new(dir: &Path, name: &str) -> GitRepo {
        let bare = dir.join(format!("{name}.git"));
        let work = dir.join(format!("{name}-work"));
        git(dir, &["init", "-q", "--bare", bare.to_str().unwrap()]);
        git(dir, &["init", "-q", work.to_str().unwrap()]);
        git(&work, &["remote", "add", "origin", bare.to_str().unwrap()]);
        GitRepo { bare, work }
    }

    pub fn write(&self, rel: &str, content: &str) {
        let path = self.work.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    pub fn remove(&self, rel: &str) {
        std::fs::remove_file(self.work.join(rel)).unwrap();
    }

    /// Commits everything and pushes `main`; returns the commit.
    pub fn push(&self, message: &str) -> String {
        git(&self.work, &["add", "-A"]);
        git(
            &self.work,
            &["commit", "-q", "--allow-empty", "-m", message],
        );
        git(
            &self.work,
            &["push", "-q", "origin", "HEAD:refs/heads/main"],
        );
        git(&self.work, &["rev-parse", "HEAD"])
    }

    pub fn url(&self) -> String {
        format!("file://{}", self.bare.display())
    }
}

pub fn component(name: &str, lifecycle: &str) -> String {
    format!(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\nspec:\n  type: service\n  lifecycle: {lifecycle}\n  owner: team-a\n"
    )
}

fn git_config() -> CatalogConfig {
    let mut config = CatalogConfig {
        orphan_strategy: OrphanStrategy::Keep,
        ..CatalogConfig::default()
    };
    config.read.allow_local_repositories = true;
    config.read.allowed_hosts = Some(vec!["127.0.0.1".to_string()]);
    config
}

fn apps() -> Vec<TestApp> {
    TestDb::all()
        .into_iter()
        .map(|db| TestApp::spawn_full(db, git_config(), Some(SECRET)))
        .collect()
}

/// A GitHub push event for `main` of `repo`, signed with `secret`.
pub fn push_hook(app: &TestApp, repo: &GitRepo, secret: &str) -> Reply {
    let body = json!({
        "ref": "refs/heads/main",
        "after": "0000000000000000000000000000000000000001",
        "repository": {
            "clone_url": repo.url(),
            "html_url": repo.url(),
            "default_branch": "main"
        }
    })
    .to_string();
    let signature = format!("sha256={}", portico_forge::sign(secret, body.as_bytes()));
    app.post_with_headers(
        "/api/catalog/webhooks/git",
        body.as_bytes(),
        &[
            ("X-GitHub-Event", "push"),
            ("X-Hub-Signature-256", &signature),
        ],
    )
}

fn register_git(app: &TestApp, target: &str) -> Reply {
    app.post(
        "/api/catalog/locations",
        &json!({ "type": "git", "target": target }),
    )
}

fn entity(app: &TestApp, name: &str) -> Reply {
    app.get(&format!(
        "/api/catalog/entities/by-name/component/default/{name}"
    ))
}

#[test]
fn a_git_location_is_annotated_and_a_push_webhook_shows_the_change() {
    for app in apps() {
        let repo = GitRepo::new(app.dir.path(), "payments");
        repo.write(
            "catalog-info.yaml",
            &component("payments-api", "experimental"),
        );
        let first = repo.push("first");

        let target = format!("{}//catalog-info.yaml?ref=main", repo.url());
        let r = register_git(&app, &target);
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["location"]["target"], target, "canonical already");

        let e = entity(&app, "payments-api").body;
        let a = &e["metadata"]["annotations"];
        assert_eq!(
            a["backstage.io/managed-by-location"],
            format!("git:{}//catalog-info.yaml?ref=main", repo.url())
        );
        assert_eq!(
            a["backstage.io/managed-by-origin-location"],
            format!("git:{target}")
        );
        assert_eq!(
            a["backstage.io/source-location"],
            format!("git:{}//.?ref=main", repo.url())
        );
        assert_eq!(a["portico.dev/source-commit"], first);
        let uid = e["metadata"]["uid"].clone();

        repo.write(
            "catalog-info.yaml",
            &component("payments-api", "production"),
        );
        let second = repo.push("promote");
        let start = Instant::now();
        let hook = push_hook(&app, &repo, SECRET);
        assert_eq!(hook.status, 200, "{}", hook.body);
        assert_eq!(hook.body["refreshed"][0]["result"]["status"], "committed");
        let e = entity(&app, "payments-api").body;
        let elapsed = start.elapsed();
        println!("push-to-visible through the webhook: {elapsed:?}");
        assert_eq!(e["spec"]["lifecycle"], "production");
        assert_eq!(
            e["metadata"]["annotations"]["portico.dev/source-commit"],
            second
        );
        assert_eq!(e["metadata"]["uid"], uid, "uid is stable");
        assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");

        // The same commit again: nothing read, nothing written.
        let seq = app.last_change_seq();
        let hook = push_hook(&app, &repo, SECRET);
        assert_eq!(hook.body["refreshed"][0]["result"]["status"], "unchanged");
        assert_eq!(app.last_change_seq(), seq);
    }
}

#[test]
fn broken_yaml_keeps_the_entity_deletion_orphans_it_and_it_returns_with_its_uid() {
    for app in apps() {
        let repo = GitRepo::new(app.dir.path(), "search");
        repo.write("catalog-info.yaml", &component("search-api", "production"));
        repo.push("first");
        let target = format!("{}//catalog-info.yaml?ref=main", repo.url());
        assert_eq!(register_git(&app, &target).status, 201);
        let before = entity(&app, "search-api").body;

        repo.write(
            "catalog-info.yaml",
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: [oops\n",
        );
        repo.push("break it");
        assert_eq!(push_hook(&app, &repo, SECRET).status, 200);
        let failed = app.get("/api/catalog/entities/unprocessed/failed").body;
        let errors = failed["locations"][0]["errors"].to_string();
        assert!(
            errors.contains(&format!("{}//catalog-info.yaml:", repo.url())),
            "the error names file and line: {failed}"
        );
        let kept = entity(&app, "search-api").body;
        assert_eq!(kept["spec"], before["spec"], "previous entity stays");
        assert!(kept["metadata"]["annotations"]
            .get("backstage.io/orphan")
            .is_none());

        repo.remove("catalog-info.yaml");
        repo.write("README.md", "moved away\n");
        repo.push("delete it");
        assert_eq!(push_hook(&app, &repo, SECRET).status, 200);
        let orphan = entity(&app, "search-api").body;
        assert_eq!(
            orphan["metadata"]["annotations"]["backstage.io/orphan"], "true",
            "{orphan}"
        );

        repo.write("catalog-info.yaml", &component("search-api", "production"));
        repo.push("bring it back");
        assert_eq!(push_hook(&app, &repo, SECRET).status, 200);
        let back = entity(&app, "search-api").body;
        assert!(back["metadata"]["annotations"]
            .get("backstage.io/orphan")
            .is_none());
        assert_eq!(back["metadata"]["uid"], before["metadata"]["uid"]);
    }
}

#[test]
fn a_wrong_signature_is_refused_and_refreshes_nothing() {
    for app in apps() {
        let repo = GitRepo::new(app.dir.path(), "billing");
        repo.write("catalog-info.yaml", &component("billing", "experimental"));
        repo.push("first");
        let target = format!("{}//catalog-info.yaml?ref=main", repo.url());
        assert_eq!(register_git(&app, &target).status, 201);
        repo.write("catalog-info.yaml", &component("billing", "production"));
        repo.push("second");
        let seq = app.last_change_seq();

        let r = push_hook(&app, &repo, "not-the-secret");
        assert_error(&r, 401, "AuthenticationError", "signature");
        let r = app.post_with_headers(
            "/api/catalog/webhooks/git",
            b"{}",
            &[("X-GitHub-Event", "push")],
        );
        assert_error(&r, 401, "AuthenticationError", "");
        assert_eq!(app.last_change_seq(), seq, "nothing was refreshed");
        assert_eq!(
            entity(&app, "billing").body["spec"]["lifecycle"],
            "experimental"
        );
    }
}

#[test]
fn webhooks_are_refused_without_a_configured_secret() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn_full(db, git_config(), None);
    let repo = GitRepo::new(app.dir.path(), "x");
    let r = push_hook(&app, &repo, SECRET);
    assert_error(&r, 401, "AuthenticationError", "webhookSecret");
}

#[test]
fn disallowed_hosts_and_local_repositories_get_403_and_change_nothing() {
    for db in TestDb::all() {
        let mut config = git_config();
        config.read.allow_local_repositories = false;
        let app = TestApp::spawn_full(db, config, Some(SECRET));
        let repo = GitRepo::new(app.dir.path(), "local");
        repo.write("catalog-info.yaml", &component("local", "production"));
        repo.push("first");
        let before = app.snapshot();
        let seq = app.last_change_seq();

        let r = register_git(&app, &format!("{}//catalog-info.yaml", repo.url()));
        assert_error(&r, 403, "NotAllowedError", "allowLocalRepositories");
        let r = register_git(&app, &format!("{}//catalog-info.yaml", repo.bare.display()));
        assert_error(&r, 403, "NotAllowedError", "allowLocalRepositories");
        let r = register_git(
            &app,
            "https://git.internal.example.com/org/repo.git//catalog-info.yaml?ref=main",
        );
        assert_error(&r, 403, "NotAllowedError", "catalog.allowedHosts");
        let r = app.post(
            "/api/catalog/locations",
            &json!({
                "type": "url",
                "target": "https://github.com/acme/payments/blob/main/catalog-info.yaml"
            }),
        );
        assert_error(&r, 403, "NotAllowedError", "\"github.com\"");
        let r = app.register(Path::new("/etc/passwd"));
        assert_error(&r, 403, "NotAllowedError", "");

        assert_eq!(app.snapshot(), before);
        assert_eq!(app.last_change_seq(), seq);
    }
}

#[test]
fn bad_git_targets_are_input_errors() {
    let app = TestApp::spawn_full(TestDb::sqlite(), git_config(), Some(SECRET));
    let r = register_git(&app, "ftp://example.com/repo.git//x.yaml");
    assert_eq!(r.status, 400, "{}", r.body);
    let r = register_git(&app, "https://127.0.0.1/repo.git//x.yaml?branch=main");
    assert_error(&r, 400, "InputError", "?ref=");
    let r = register_git(&app, "https://127.0.0.1/repo.git//../../etc/passwd");
    assert_error(&r, 400, "InputError", "leaves the repository");
    let repo = GitRepo::new(app.dir.path(), "empty");
    repo.write("README.md", "no catalog here\n");
    repo.push("first");
    let r = register_git(&app, &format!("{}//catalog-info.yaml?ref=nope", repo.url()));
    assert_error(&r, 404, "NotFoundError", "nope");
    let r = register_git(&app, &format!("{}//catalog-info.yaml?ref=main", repo.url()));
    assert_error(&r, 400, "InputError", "does not exist at commit");
    assert_eq!(app.get("/api/catalog/locations").body, json!([]));
}

#[test]
fn a_glob_over_a_repository_registers_every_match_and_drops_deleted_ones() {
    for db in TestDb::all() {
        let mut config = git_config();
        let repo_dir = tempfile::tempdir().unwrap();
        let repo = GitRepo::new(repo_dir.path(), "platform");
        for i in 0..20 {
            repo.write(
                &format!("services/svc-{i:02}/catalog-info.yaml"),
                &component(&format!("svc-{i:02}"), "production"),
            );
        }
        repo.write("docs/catalog-info.yaml.bak", "not: matched\n");
        repo.push("twenty services");
        // As `catalog.providers.git` registers it: a provider's location.
        let target = format!("{}//services/*/catalog-info.yaml?ref=main", repo.url());
        let spec = portico_catalog::normalize_spec("git", &target, &config.read).unwrap();
        config.provider_locations.push(spec);
        let app = TestApp::spawn_full(db, config, Some(SECRET));
        let added = app
            .catalog
            .add_location("git", &target, portico_catalog::AddMode::Lenient)
            .unwrap();
        assert_eq!(added.entities.len(), 21, "20 components and the Location");
        let list = |app: &TestApp| -> Vec<Value> {
            app.get("/api/catalog/entities?filter=kind=component")
                .body
                .as_array()
                .unwrap()
                .clone()
        };
        assert_eq!(list(&app).len(), 20);

        repo.remove("services/svc-07/catalog-info.yaml");
        repo.push("retire svc-07");
        assert_eq!(push_hook(&app, &repo, SECRET).status, 200);
        let names: Vec<String> = list(&app)
            .iter()
            .map(|e| e["metadata"]["name"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(names.len(), 19, "{names:?}");
        assert!(!names.contains(&"svc-07".to_string()));
        assert_eq!(entity(&app, "svc-07").status, 404, "providers delete");
    }
}

#[test]
fn a_repository_served_by_git_daemon_is_read_over_git_protocol() {
    for app in apps() {
        let repo = GitRepo::new(app.dir.path(), "remote");
        repo.write(
            "catalog-info.yaml",
            &component("remote-svc", "experimental"),
        );
        repo.push("first");
        let daemon = match GitDaemon::start(app.dir.path()) {
            Ok(daemon) => daemon,
            Err(why) => return println!("skipped: {why}"),
        };
        let url = daemon.url("remote.git");
        let r = register_git(&app, &format!("{url}//catalog-info.yaml?ref=main"));
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(
            entity(&app, "remote-svc").body["spec"]["lifecycle"],
            "experimental"
        );

        repo.write("catalog-info.yaml", &component("remote-svc", "production"));
        repo.push("second");
        let body = json!({
            "ref": "refs/heads/main",
            "repository": { "git_url": url, "default_branch": "main" }
        })
        .to_string();
        let signature = format!("sha256={}", portico_forge::sign(SECRET, body.as_bytes()));
        let hook = app.post_with_headers(
            "/api/catalog/webhooks/git",
            body.as_bytes(),
            &[
                ("X-GitHub-Event", "push"),
                ("X-Hub-Signature-256", &signature),
            ],
        );
        assert_eq!(hook.status, 200, "{}", hook.body);
        assert_eq!(
            hook.body["refreshed"][0]["result"]["status"], "committed",
            "{}",
            hook.body
        );
        assert_eq!(
            entity(&app, "remote-svc").body["spec"]["lifecycle"],
            "production"
        );
    }
}

#[test]
fn nested_targets_and_placeholders_resolve_inside_the_repository_at_its_commit() {
    let app = TestApp::spawn_full(TestDb::sqlite(), git_config(), Some(SECRET));
    let repo = GitRepo::new(app.dir.path(), "mono");
    repo.write(
        "catalog-info.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: mono\nspec:\n  targets:\n    - ./services/orders.yaml\n    - ./apis/*.yaml\n    - ../../../etc/passwd\n    - ./escape.yaml\n",
    );
    repo.write("services/orders.yaml", &component("orders", "production"));
    repo.write(
        "apis/orders-api.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: orders-api\nspec:\n  type: openapi\n  lifecycle: production\n  owner: team-a\n  definition:\n    $text: ../specs/orders.yaml\n",
    );
    repo.write("specs/orders.yaml", "openapi: 3.0.0\n");
    repo.push("monorepo");
    // A symlink in the repository that points outside it.
    std::os::unix::fs::symlink(
        "/etc/hostname",
        app.dir.path().join("mono-work/escape.yaml"),
    )
    .unwrap();
    let commit = repo.push("add a link");

    let target = format!("{}//catalog-info.yaml?ref=main", repo.url());
    let r = app.post(
        "/api/catalog/locations",
        &json!({ "type": "git", "target": target }),
    );
    // The bad targets are errors, so a strict registration is refused...
    assert_eq!(r.status, 400, "{}", r.body);
    let message = r.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("escape.yaml"), "{message}");
    // ...and a lenient one (as from the config) reads what is inside.
    let added = app
        .catalog
        .add_location("git", &target, portico_catalog::AddMode::Lenient)
        .unwrap();
    assert!(added.entities.len() >= 3, "{}", added.entities.len());
    let orders = entity(&app, "orders").body;
    assert_eq!(
        orders["metadata"]["annotations"]["backstage.io/managed-by-location"],
        format!("git:{}//services/orders.yaml?ref=main", repo.url())
    );
    assert_eq!(
        orders["metadata"]["annotations"]["portico.dev/source-commit"],
        commit
    );
    let api = app
        .get("/api/catalog/entities/by-name/api/default/orders-api")
        .body;
    assert_eq!(api["spec"]["definition"], "openapi: 3.0.0\n");
    // The Location naming the link fails processing, with the reason.
    let failed = app.get("/api/catalog/entities/unprocessed/failed").body;
    let errors = failed["entities"].to_string();
    assert!(errors.contains("location:default/mono"), "{failed}");
    assert!(errors.contains("escape.yaml"), "{errors}");
    assert!(errors.contains("outside"), "the link is refused: {errors}");
}

#[test]
fn a_url_location_on_a_forge_is_read_over_smart_http_with_view_and_edit_links() {
    let app = TestApp::spawn_full(TestDb::sqlite(), git_config(), Some(SECRET));
    let served = app.dir.path().join("served");
    std::fs::create_dir_all(served.join("group")).unwrap();
    let repo = GitRepo::new(&served.join("group"), "checkout");
    repo.write("catalog-info.yaml", &component("checkout", "production"));
    let commit = repo.push("first");
    let server = match HttpGitServer::start(&served, false) {
        Ok(server) => server,
        Err(why) => return println!("skipped: {why}"),
    };
    // GitLab's file URL form on a host of our own.
    let web = server.url("group/checkout");
    let target = format!("{web}/-/blob/main/catalog-info.yaml");
    let r = app.post(
        "/api/catalog/locations",
        &json!({ "type": "url", "target": target }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let e = entity(&app, "checkout").body;
    let a = &e["metadata"]["annotations"];
    assert_eq!(
        a["backstage.io/managed-by-location"],
        format!("url:{target}")
    );
    assert_eq!(
        a["backstage.io/managed-by-origin-location"],
        format!("url:{target}")
    );
    assert_eq!(a["backstage.io/view-url"], target);
    assert_eq!(
        a["backstage.io/edit-url"],
        format!("{web}/-/edit/main/catalog-info.yaml")
    );
    assert_eq!(
        a["backstage.io/source-location"],
        format!("url:{web}/-/tree/main/")
    );
    assert_eq!(a["portico.dev/source-commit"], commit);
}

#[test]
fn a_push_for_a_location_another_replica_is_refreshing_is_queued_for_right_after() {
    for db in TestDb::all() {
        let mut config = git_config();
        config.refresh.claim_wait = Duration::from_millis(200);
        let app = TestApp::spawn_full(db, config, Some(SECRET));
        let repo = GitRepo::new(app.dir.path(), "busy");
        repo.write("catalog-info.yaml", &component("busy", "experimental"));
        repo.push("first");
        let target = format!("{}//catalog-info.yaml?ref=main", repo.url());
        let id = register_git(&app, &target).body["location"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let store = app.catalog.store();
        // Another replica holds the location (it may have read before the push).
        let now = portico_store::now_ms();
        store
            .transaction(|tx| tx.claim_location(&id, "other-replica", now, 60_000))
            .unwrap();
        repo.write("catalog-info.yaml", &component("busy", "production"));
        repo.push("second");
        let hook = push_hook(&app, &repo, SECRET);
        assert_eq!(hook.status, 200, "{}", hook.body);
        assert_eq!(hook.body["refreshed"][0]["result"]["status"], "queued");
        assert_eq!(
            entity(&app, "busy").body["spec"]["lifecycle"],
            "experimental"
        );

        // When that replica is done, the location is due at once, not in an interval.
        let released = store
            .transaction(|tx| tx.release_location(&id, "other-replica", now + 60_000, 0))
            .unwrap();
        assert!(released);
        let due = store
            .read(|tx| tx.location_schedule(&id))
            .unwrap()
            .unwrap()
            .0;
        assert_eq!(due, 0);
        assert_eq!(app.catalog.refresh_due().unwrap(), 1);
        assert_eq!(entity(&app, "busy").body["spec"]["lifecycle"], "production");
    }
}

#[test]
fn analyze_location_looks_into_repositories_by_forge_url_or_git_target() {
    let app = TestApp::spawn_full(TestDb::sqlite(), git_config(), Some(SECRET));
    let served = app.dir.path().join("served");
    std::fs::create_dir_all(served.join("group")).unwrap();
    let with_file = GitRepo::new(&served.join("group"), "ledger");
    with_file.write("catalog-info.yaml", &component("ledger", "production"));
    with_file.push("first");
    let without = GitRepo::new(&served.join("group"), "fresh-idea");
    without.write("README.md", "no catalog file yet\n");
    without.push("first");
    let server = match HttpGitServer::start(&served, false) {
        Ok(server) => server,
        Err(why) => return println!("skipped: {why}"),
    };
    let analyze = |location_type: &str, target: &str| {
        app.post(
            "/api/catalog/analyze-location",
            &json!({ "location": { "type": location_type, "target": target } }),
        )
    };

    // A forge directory URL: the catalog file in it, and where to register it.
    let web = server.url("group/ledger");
    let r = analyze("url", &format!("{web}/-/tree/main"));
    assert_eq!(r.status, 200, "{}", r.body);
    let files = r.body["existingEntityFiles"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{}", r.body);
    assert_eq!(files[0]["entity"]["metadata"]["name"], "ledger");
    assert_eq!(files[0]["isRegistered"], false);
    let location = files[0]["location"].clone();
    assert_eq!(
        location,
        json!({ "type": "url", "target": format!("{web}/-/blob/main/catalog-info.yaml") })
    );
    // Registering what it suggests works, and is then reported as registered.
    let reg = app.post("/api/catalog/locations", &location);
    assert_eq!(reg.status, 201, "{}", reg.body);
    let r = analyze("url", &format!("{web}/-/tree/main"));
    assert_eq!(r.body["existingEntityFiles"][0]["isRegistered"], true);

    // No catalog file: a Component named after the repository is suggested.
    let r = analyze("git", &format!("{}?ref=main", without.url()));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["existingEntityFiles"], json!([]));
    assert_eq!(
        r.body["generateEntities"][0]["entity"]["metadata"]["name"],
        "fresh-idea"
    );
    // Hosts not allowed are refused before anything is fetched.
    let r = analyze("url", "https://github.com/acme/payments");
    assert_error(&r, 403, "NotAllowedError", "github.com");
}
