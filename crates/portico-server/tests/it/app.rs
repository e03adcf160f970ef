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
    _db: TestDb,
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
        if let Some(auth) = &auth {
            state = state.with_auth(auth).expect("auth settings");
        }
        if let Some(heartbeat_timeout) = scaffolder {
            state = state.with_scaffolder(ScaffolderOptions {
                workers: 2,
                heartbeat_timeout,
                repositories: root.join("repos"),
                workspaces: root.join("workspaces"),
            });
        }
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
        }
    }

    /// GET with extra headers (`Authorization`, `Cookie`).
    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut req = self.agent.get(&format!("{}{path}", self.base));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        Self::reply(req.call().expect("GET"))
    }

    pub fn get(&self, path: &str) -> Reply {
        Self::reply(
            self.agent
                .get(&format!("{}{path}", self.base))
                .call()
                .expect("GET"),
        )
    }

    pub fn post(&self, path: &str, body: &Value) -> Reply {
        self.post_raw(path, &body.to_string())
    }

    pub fn post_raw(&self, path: &str, body: &str) -> Reply {
        let res = self
            .agent
            .post(&format!("{}{path}", self.base))
            .header("Content-Type", "application/json")
            .send(body)
            .expect("POST");
        Self::reply(res)
    }

    /// POSTs raw bytes with extra headers (webhooks).
    pub fn post_with_headers(&self, path: &str, body: &[u8], headers: &[(&str, &str)]) -> Reply {
        let mut req = self
            .agent
            .post(&format!("{}{path}", self.base))
            .header("Content-Type", "application/json");
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        Self::reply(req.send(body).expect("POST"))
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
        let mut req = self
            .agent
            .post(&format!("{}{path}", self.base))
            .header("Content-Type", "application/x-www-form-urlencoded");
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        Self::reply(req.send(body.as_bytes()).expect("POST"))
    }

    pub fn delete(&self, path: &str) -> Reply {
        Self::reply(
            self.agent
                .delete(&format!("{}{path}", self.base))
                .call()
                .expect("DELETE"),
        )
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

impl Drop for TestApp {
    fn drop(&mut self) {
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
