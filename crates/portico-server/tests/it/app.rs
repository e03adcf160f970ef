use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use portico_catalog::{Catalog, CatalogConfig, OrphanStrategy};
use portico_server::scaffolder::{Scaffolder, ScaffolderOptions};
use portico_store::testing::TestDb;
use serde_json::Value;

/// A running server over a fresh database, with a temp dir for catalog files.
pub struct TestApp {
    pub base: String,
    pub catalog: Arc<Catalog>,
    pub dir: tempfile::TempDir,
    agent: ureq::Agent,
    handle: ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
    /// The scaffolder and its workers, stopped on drop.
    pub scaffolder: Option<Arc<Scaffolder>>,
    workers: Vec<std::thread::JoinHandle<()>>,
    /// The server's keys and policy, for minting tokens.
    pub auth: Arc<portico_server::auth::Auth>,
    /// The token writes go with by default: `user:default/operator`, a
    /// member of `group:default/admins` (the admin group of every app made
    /// without its own identity settings).
    pub operator: String,
    /// Every write sent, for the audit check.
    writes: std::sync::Mutex<Vec<Write>>,
    /// The server's shutting-down flag (`/readyz` answers 503 when set).
    pub stopping: Arc<std::sync::atomic::AtomicBool>,
    _db: TestDb,
}

/// A write a test sent, as the audit log must have it.
struct Write {
    method: String,
    /// The path without the query.
    target: String,
    /// `None` where the test's own headers make it unknowable here
    /// (service tokens, sign-ins, tokens that are no one's).
    actor: Option<String>,
    /// `allowed`, `denied` or `failed`, from the status it got.
    result: &'static str,
}

/// Whose credentials a request carries when its headers name none.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Caller {
    Operator,
    Anonymous,
    /// Only what the headers carry.
    Given,
}

/// The actor the audit log records for a request with these headers: the
/// `sub` of a Portico token (bearer or cookie), `anonymous` without
/// credentials; `None` for anything else (service tokens, bad tokens).
fn expected_actor(headers: &[(&str, &str)]) -> Option<String> {
    use base64::Engine;
    let credential = headers.iter().find_map(|(name, value)| {
        if name.eq_ignore_ascii_case("authorization") {
            value.strip_prefix("Bearer ")
        } else if name.eq_ignore_ascii_case("cookie") {
            value
                .split("; ")
                .find_map(|c| c.strip_prefix("portico_token="))
        } else {
            None
        }
    });
    let Some(token) = credential else {
        return Some("anonymous".to_owned());
    };
    let payload = token.split('.').nth(1)?;
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .ok()?,
    )
    .ok()?;
    claims["sub"].as_str().map(str::to_owned)
}

pub struct Reply {
    pub status: u16,
    pub body: Value,
    /// The body as sent.
    pub text: String,
    pub content_type: Option<String>,
    pub link: Option<String>,
    /// The body's bytes (assets are not text).
    pub bytes: Vec<u8>,
    pub content_security_policy: Option<String>,
    pub location: Option<String>,
    pub set_cookie: Option<String>,
    pub request_id: Option<String>,
}

impl TestApp {
    pub fn spawn(db: TestDb) -> TestApp {
        Self::spawn_with(db, OrphanStrategy::Delete)
    }

    pub fn spawn_with(db: TestDb, orphan_strategy: OrphanStrategy) -> TestApp {
        let config = CatalogConfig {
            orphan_strategy,
            ..CatalogConfig::default()
        };
        Self::spawn_full(db, config, None)
    }

    /// A server with this catalog config (its file roots replaced by the
    /// test's own directory) and webhook secret.
    pub fn spawn_full(db: TestDb, config: CatalogConfig, webhook_secret: Option<&str>) -> TestApp {
        Self::spawn_inner(db, config, webhook_secret, None, None)
    }

    /// A server with these identity settings.
    pub fn spawn_auth(db: TestDb, auth: portico_server::config::AuthSection) -> TestApp {
        Self::spawn_inner(db, CatalogConfig::default(), None, None, Some(auth))
    }

    /// A server with a running scaffolder: repositories under `repos/`,
    /// workspaces under `workspaces/` of the test's directory, and this
    /// heartbeat timeout.
    pub fn spawn_scaffolder(db: TestDb, heartbeat_timeout: Duration) -> TestApp {
        Self::spawn_inner(
            db,
            CatalogConfig::default(),
            None,
            Some(heartbeat_timeout),
            None,
        )
    }

    fn spawn_inner(
        db: TestDb,
        mut config: CatalogConfig,
        webhook_secret: Option<&str>,
        scaffolder: Option<Duration>,
        auth: Option<portico_server::config::AuthSection>,
    ) -> TestApp {
        // Registrations are confined to the test's own directory, as a
        // production server confines them to catalog.fileLocationRoots.
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical tempdir");
        config.read.allowed_roots = Some(vec![root.clone()]);
        config.read.local_repository_roots = vec![root.join("repos")];
        config.read.git = portico_catalog::read::GitCache::new(portico_git::GitOptions {
            cache_dir: dir.path().join("git-cache"),
            ..portico_git::GitOptions::default()
        });
        let catalog = Arc::new(Catalog::open(db.store().clone(), config).expect("catalog opens"));
        let webhook_secret = webhook_secret.map(str::to_string);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let (tx, rx) = std::sync::mpsc::channel();
        let mut state = portico_server::AppState::for_catalog(catalog.clone(), webhook_secret)
            .expect("app state");
        let auth = auth.unwrap_or_else(|| portico_server::config::AuthSection {
            admin_group: Some(ADMINS.to_owned()),
            ..portico_server::config::AuthSection::default()
        });
        state = state.with_auth(&auth).expect("auth settings");
        if let Some(heartbeat_timeout) = scaffolder {
            state = state.with_scaffolder(ScaffolderOptions {
                workers: 2,
                heartbeat_timeout,
                repositories: root.join("repos"),
                workspaces: root.join("workspaces"),
            });
        }
        let auth = state.auth.clone();
        let stopping = state.stopping.clone();
        let operator = auth
            .issue(&portico_auth::Identity {
                user_entity_ref: OPERATOR.to_owned(),
                ownership_entity_refs: vec![OPERATOR.to_owned(), ADMINS.to_owned()],
            })
            .expect("operator token")
            .0;
        let scaffolder = state.scaffolder.clone();
        let workers = scaffolder.as_ref().map(|s| s.start()).unwrap_or_default();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = portico_server::serve_state(listener, state).expect("serve");
                tx.send(server.handle()).expect("send handle");
                let _ = server.await;
            })
        });
        let handle = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("server started");
        // Redirects are answers to check (form posts answer 303), not to follow.
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .build()
            .into();
        TestApp {
            base: format!("http://127.0.0.1:{port}"),
            catalog,
            dir,
            agent,
            handle,
            thread: Some(thread),
            scaffolder,
            workers,
            auth,
            operator,
            writes: std::sync::Mutex::new(Vec::new()),
            stopping,
            _db: db,
        }
    }

    /// Every backend configured for this run, one app each.
    pub fn all() -> Vec<TestApp> {
        TestDb::all().into_iter().map(TestApp::spawn).collect()
    }

    pub fn write(&self, rel: &str, content: &str) -> PathBuf {
        let path = self.dir.path().join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&path, content).expect("write");
        path
    }

    fn reply(mut res: ureq::http::Response<ureq::Body>) -> Reply {
        let status = res.status().as_u16();
        let header = |name: &str| {
            res.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let link = header("link");
        let content_type = header("content-type");
        let content_security_policy = header("content-security-policy");
        let location = header("location");
        let set_cookie = header("set-cookie");
        let request_id = header("x-request-id");
        let bytes = res.body_mut().read_to_vec().expect("body");
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()))
        };
        Reply {
            status,
            body,
            text,
            content_type,
            link,
            bytes,
            content_security_policy,
            location,
            set_cookie,
            request_id,
        }
    }

    /// GET with extra headers (`Authorization`, `Cookie`); no credentials
    /// but those.
    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        self.send("GET", path, None, headers, Caller::Given)
    }

    /// Reads go without credentials: anonymous reads are on unless a test
    /// turns them off.
    pub fn get(&self, path: &str) -> Reply {
        self.send("GET", path, None, &[], Caller::Anonymous)
    }

    /// GET as the operator (pages that show what a signed-in user may do).
    pub fn get_signed_in(&self, path: &str) -> Reply {
        self.send("GET", path, None, &[], Caller::Operator)
    }

    /// Writes (these and the other POST and DELETE helpers) go as the
    /// operator, an admin, unless headers name other credentials.
    pub fn post(&self, path: &str, body: &Value) -> Reply {
        self.post_raw(path, &body.to_string())
    }

    pub fn post_raw(&self, path: &str, body: &str) -> Reply {
        let json = ("application/json", body.as_bytes());
        self.send("POST", path, Some(json), &[], Caller::Operator)
    }

    /// POSTs raw bytes with extra headers (webhooks, other credentials).
    pub fn post_with_headers(&self, path: &str, body: &[u8], headers: &[(&str, &str)]) -> Reply {
        let json = ("application/json", body);
        self.send("POST", path, Some(json), headers, Caller::Operator)
    }

    /// POSTs JSON with no credentials at all.
    pub fn post_anonymous(&self, path: &str, body: &Value) -> Reply {
        let body = body.to_string();
        let json = ("application/json", body.as_bytes());
        self.send("POST", path, Some(json), &[], Caller::Anonymous)
    }

    /// POSTs an HTML form (`application/x-www-form-urlencoded`).
    pub fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        self.post_form_with(path, fields, &[])
    }

    /// [`TestApp::post_form`] with extra headers (`Origin`, `Cookie`).
    pub fn post_form_with(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Reply {
        let body = serde_urlencoded::to_string(fields).expect("form");
        let form = ("application/x-www-form-urlencoded", body.as_bytes());
        self.send("POST", path, Some(form), headers, Caller::Operator)
    }

    /// [`TestApp::post_form`] with no credentials but what `headers` carry.
    pub fn post_form_anonymous(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Reply {
        let body = serde_urlencoded::to_string(fields).expect("form");
        let form = ("application/x-www-form-urlencoded", body.as_bytes());
        self.send("POST", path, Some(form), headers, Caller::Given)
    }

    pub fn delete(&self, path: &str) -> Reply {
        self.send("DELETE", path, None, &[], Caller::Operator)
    }

    /// DELETE with these headers' credentials only.
    pub fn delete_with(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        self.send("DELETE", path, None, headers, Caller::Given)
    }

    /// A Portico token for `user` with these groups, signed by the
    /// server's own keys (what a sign-in would give such a user).
    pub fn token(&self, user: &str, groups: &[&str]) -> String {
        let mut ent = vec![user.to_owned()];
        ent.extend(groups.iter().map(|g| (*g).to_owned()));
        let identity = portico_auth::Identity {
            user_entity_ref: user.to_owned(),
            ownership_entity_refs: ent,
        };
        self.auth.issue(&identity).expect("token").0
    }

    /// Sends a request; `caller` says whose credentials go with it when
    /// `headers` have none. Writes are remembered, for the audit check
    /// when the app is dropped.
    fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<(&str, &[u8])>,
        headers: &[(&str, &str)],
        caller: Caller,
    ) -> Reply {
        let url = format!("{}{path}", self.base);
        let operator = format!("Bearer {}", self.operator);
        let has_credentials = headers.iter().any(|(name, _)| {
            name.eq_ignore_ascii_case("authorization") || name.eq_ignore_ascii_case("cookie")
        });
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        // A sign-in's bearer is an identity provider's token, never ours.
        let signing_in = path.starts_with("/api/auth/") || path == "/sign-in/guest";
        if caller == Caller::Operator && !has_credentials && !signing_in {
            all.push(("Authorization", &operator));
        }
        let mut req = ureq::http::Request::builder().method(method).uri(&url);
        if let Some((content_type, _)) = body {
            req = req.header("Content-Type", content_type);
        }
        for (name, value) in &all {
            req = req.header(*name, *value);
        }
        let sent = match body {
            Some((_, bytes)) => self.agent.run(req.body(bytes).expect("request")),
            None => self.agent.run(req.body(()).expect("request")),
        };
        let reply = Self::reply(sent.expect(method));
        if method != "GET" {
            let target = path.split('?').next().unwrap_or(path).to_owned();
            let actor = if signing_in {
                None
            } else {
                expected_actor(&all)
            };
            let result = match reply.status {
                200..=399 => "allowed",
                401 | 403 => "denied",
                _ => "failed",
            };
            self.writes.lock().expect("writes").push(Write {
                method: method.to_owned(),
                target,
                actor,
                result,
            });
        }
        reply
    }

    /// Registers a file location through the API and returns the reply.
    pub fn register(&self, path: &std::path::Path) -> Reply {
        self.post(
            "/api/catalog/locations",
            &serde_json::json!({ "type": "file", "target": path.to_string_lossy() }),
        )
    }

    /// A snapshot of what a client can see: every entity and location.
    pub fn snapshot(&self) -> (Value, Value) {
        (
            self.get("/api/catalog/entities?order=asc:metadata.name")
                .body,
            self.get("/api/catalog/locations").body,
        )
    }

    pub fn last_change_seq(&self) -> i64 {
        self.catalog
            .store()
            .read(|tx| tx.last_change_seq())
            .expect("seq")
    }
}

/// The user writes go as by default, and the admin group it is in.
pub const OPERATOR: &str = "user:default/operator";
pub const ADMINS: &str = "group:default/admins";

impl TestApp {
    /// Every write this app was sent is in the audit log, with the actor
    /// its credentials name: checked for every test, when its app goes.
    fn check_audit_log(&self) {
        let rows = self
            .catalog
            .store()
            .read(|tx| {
                tx.audit(&portico_store::AuditFilter {
                    limit: 1_000_000,
                    ..portico_store::AuditFilter::default()
                })
            })
            .expect("audit log");
        let mut unmatched: Vec<&portico_store::AuditRow> = rows.iter().collect();
        let writes = self.writes.lock().expect("writes");
        // Writes whose actor is known claim their rows first, so a write
        // whose actor is not known cannot take another's row.
        let mut ordered: Vec<&Write> = writes.iter().collect();
        ordered.sort_by_key(|w| w.actor.is_none());
        for Write {
            method,
            target,
            actor,
            result,
        } in ordered
        {
            let found = unmatched.iter().position(|row| {
                row.action.starts_with(&format!("{method} "))
                    && &row.target == target
                    && row.result == *result
                    && actor.as_ref().is_none_or(|a| &row.actor == a)
            });
            match found {
                Some(i) => {
                    unmatched.remove(i);
                }
                None => panic!(
                    "{method} {target} by {}, {result}, is not in the audit log; it has {:?}",
                    actor.as_deref().unwrap_or("?"),
                    rows.iter()
                        .map(|r| format!("{} {} {} {}", r.actor, r.action, r.target, r.result))
                        .collect::<Vec<_>>()
                ),
            }
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.check_audit_log();
        }
        let handle = self.handle.clone();
        actix_web::rt::System::new().block_on(async move { handle.stop(false).await });
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some(scaffolder) = &self.scaffolder {
            scaffolder.stop();
        }
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

pub const ORG: &str = r#"
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-a
spec:
  type: team
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: jane
spec:
  memberOf: [team-a]
"#;

pub const SERVICES: &str = r#"
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: playlist-service
  description: Stores playlists
  tags: [rust, playlists]
spec:
  type: service
  lifecycle: production
  owner: team-a
  providesApis: [playlist-api]
  dependsOn: [resource:playlist-db]
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: web-app
spec:
  type: website
  lifecycle: experimental
  owner: group:default/team-a
  consumesApis: [playlist-api]
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: playlist-api
spec:
  type: openapi
  lifecycle: production
  owner: team-a
  definition: |
    openapi: 3.0.0
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: playlist-db
spec:
  type: database
  owner: team-a
"#;

/// Writes and registers a small organisation; returns the root file.
pub fn seed(app: &TestApp) -> PathBuf {
    app.write("org.yaml", ORG);
    app.write("services.yaml", SERVICES);
    let root = app.write(
        "all.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: root\nspec:\n  targets: [./org.yaml, ./services.yaml]\n",
    );
    let r = app.register(&root);
    assert_eq!(r.status, 201, "register: {}", r.body);
    root
}

/// Polls `check` every 50 ms until it holds; fails, naming `what`, after
/// 30 s.
pub fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !check() {
        assert!(std::time::Instant::now() < deadline, "{what} within 30 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn names(items: &Value) -> Vec<String> {
    items
        .as_array()
        .expect("array")
        .iter()
        .map(|e| e["metadata"]["name"].as_str().unwrap_or("").to_string())
        .collect()
}

pub fn relation_targets(entity: &Value, relation_type: &str) -> Vec<String> {
    entity["relations"]
        .as_array()
        .map(|rels| {
            rels.iter()
                .filter(|r| r["type"] == relation_type)
                .map(|r| r["targetRef"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Asserts Backstage's error envelope.
pub fn assert_error(reply: &Reply, status: u16, name: &str, message_part: &str) {
    assert_eq!(reply.status, status, "body: {}", reply.body);
    assert_eq!(reply.body["error"]["name"], name, "body: {}", reply.body);
    let message = reply.body["error"]["message"].as_str().unwrap_or("");
    assert!(
        message.contains(message_part),
        "message {message:?} should contain {message_part:?}"
    );
    assert_eq!(reply.body["response"]["statusCode"], status);
    assert!(
        reply.body["request"]["method"].is_string(),
        "request.method missing: {}",
        reply.body
    );
    assert!(
        reply.body["request"]["url"].is_string(),
        "request.url missing: {}",
        reply.body
    );
}
