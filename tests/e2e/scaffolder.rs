//! A server killed while a scaffolder task runs: after the restart the
//! task is failed (its heartbeat stopped), never left `processing`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::cli::{free_port, http_get, wait_for, Server};
use crate::BIN;

pub(crate) const TEMPLATE: &str = r#"apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: slow
spec:
  owner: team-a
  type: service
  steps:
    - id: wait
      action: debug:wait
      input: { seconds: 60 }
"#;

pub(crate) fn start(config: &Path, port: u16) -> Server {
    start_logging(config, port, "warn", None)
}

/// `portico serve` with this config at this log level; its output goes
/// to `log` (stdout and stderr both), or nowhere.
fn start_logging(config: &Path, port: u16, level: &str, log: Option<&Path>) -> Server {
    let (stdout, stderr) = match log {
        Some(path) => {
            let file = std::fs::File::create(path).unwrap();
            (Stdio::from(file.try_clone().unwrap()), Stdio::from(file))
        }
        None => (Stdio::null(), Stdio::null()),
    };
    let child = Command::new(BIN)
        .args(["serve", "--config"])
        .arg(config)
        .args(["--port", &port.to_string()])
        .env("PORTICO_LOG", level)
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .unwrap();
    Server(child)
}

/// Writes a config serving one catalog file (`template`, kept at
/// `dir/tpl/template.yaml`) with its data under `dir/data` and `extra`
/// settings; returns the config's path.
pub(crate) fn config_for(dir: &Path, template: &str, extra: &str) -> std::path::PathBuf {
    let template_path = dir.join("tpl/template.yaml");
    std::fs::create_dir_all(template_path.parent().unwrap()).unwrap();
    std::fs::write(&template_path, template).unwrap();
    let config = dir.join("portico.yaml");
    std::fs::write(
        &config,
        format!(
            "dataDir: {data}\ncatalog:\n  locations:\n    - type: file\n      target: {template}\n{extra}",
            data = dir.join("data").display(),
            template = template_path.display()
        ),
    )
    .unwrap();
    config
}

thread_local! {
    /// The paths this test's thread POSTed to, for [`assert_audited`].
    static WRITES: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Every write this test sent is in the audit log of the server whose
/// data dir is `data`, made by the guest and allowed (the server keeps
/// running: SQLite lets us read beside it).
fn assert_audited(data: &Path) {
    let url = format!("sqlite://{}", data.join("portico.db").display());
    let store = portico_store::Store::open(&url).unwrap();
    let rows = store
        .read(|tx| {
            tx.audit(&portico_store::AuditFilter {
                limit: 100_000,
                ..portico_store::AuditFilter::default()
            })
        })
        .unwrap();
    let writes = WRITES.take();
    assert!(!writes.is_empty(), "the test wrote something");
    for path in writes {
        assert!(
            rows.iter().any(|r| r.target == path
                && r.action.starts_with("POST ")
                && r.actor == "user:default/guest"
                && r.result == "allowed"),
            "POST {path} by the guest is not in the audit log: {:?}",
            rows.iter()
                .map(|r| format!("{} {} {}", r.actor, r.action, r.result))
                .collect::<Vec<_>>()
        );
    }
}

/// POSTs JSON as the guest user (signed in for each request, as the
/// example server's sign-in provider allows).
pub(crate) fn post(port: u16, path: &str, body: &Value) -> Option<(u16, String)> {
    WRITES.with(|w| w.borrow_mut().push(path.to_owned()));
    let (_, signed_in) = http_get(port, "/api/auth/guest/refresh")?;
    let signed_in: Value = serde_json::from_str(&signed_in).ok()?;
    let token = signed_in["backstageIdentity"]["token"].as_str()?.to_owned();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let body = body.to_string();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, response.split_once("\r\n\r\n")?.1.to_string()))
}

/// Creates a task of the `slow` template (a long `debug:wait`) and waits
/// until a worker runs it; returns its id.
pub(crate) fn start_slow_task(port: u16) -> String {
    let (status, body) = post(
        port,
        "/api/scaffolder/v2/tasks",
        &json!({ "templateRef": "template:default/slow", "values": {} }),
    )
    .unwrap();
    assert_eq!(status, 201, "{body}");
    let id = serde_json::from_str::<Value>(&body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    wait_for("the task runs", Duration::from_secs(20), || {
        task(port, &id).is_some_and(|t| t["status"] == "processing")
    });
    id
}

fn task(port: u16, id: &str) -> Option<Value> {
    crate::cli::get_json(port, &format!("/api/scaffolder/v2/tasks/{id}"))
}

#[test]
fn a_task_of_a_killed_server_is_failed_after_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(dir.path(), TEMPLATE, "scaffolder:\n  heartbeatTimeout: 2\n");

    let port = free_port();
    let id = {
        let _server = start(&config, port);
        wait_for("the server answers", Duration::from_secs(60), || {
            matches!(
                http_get(port, "/api/catalog/entities/by-name/template/default/slow"),
                Some((200, _))
            )
        });
        start_slow_task(port)
        // Killed here (SIGKILL): no chance to record anything.
    };

    let workspace = dir.path().join("data/scaffolder-workspaces").join(&id);
    assert!(workspace.is_dir(), "the killed server left its workspace");
    let port = free_port();
    let _server = start(&config, port);
    let started = Instant::now();
    wait_for("the task is failed", Duration::from_secs(30), || {
        task(port, &id).is_some_and(|t| t["status"] == "failed")
    });
    let t = task(port, &id).unwrap();
    let error = t["error"].as_str().unwrap_or_default();
    assert!(error.contains("stopped sending heartbeats"), "{t}");
    println!("failed {:?} after the restart", started.elapsed());
    let (_, events) = http_get(port, &format!("/api/scaffolder/v2/tasks/{id}/events")).unwrap();
    assert!(events.contains("\"completion\""), "{events}");
    assert!(
        !workspace.exists(),
        "the restarted server removed the leftover workspace"
    );
    assert_audited(&dir.path().join("data"));
}

const SECRET: &str = "sekrit-4f9d1c";

/// Uses a secret every way a template can: in an `if`, in an action's
/// input, in a log message, in a rendered value and in a failing step's
/// error.
const SECRET_TEMPLATE: &str = r#"apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: secretive
spec:
  owner: team-a
  type: service
  parameters:
    - properties:
        fail: { type: boolean }
  steps:
    - id: log
      action: debug:log
      if: ${{ secrets.token }}
      input: { message: "calling the API with ${{ secrets.token }}" }
    - id: render
      action: fetch:template
      input:
        url: ./skeleton
        values: { token: "${{ secrets.token }}" }
    - id: fail
      action: fetch:plain
      if: ${{ parameters.fail }}
      input: { url: "./missing-${{ secrets.token }}" }
"#;

/// A secret given to tasks is in neither the server's log (at trace level,
/// every crate) nor any file under its data directory: the SQLite database
/// and its journal, the search index, repositories, workspaces.
#[test]
fn a_secret_is_nowhere_in_the_logs_or_the_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(dir.path(), SECRET_TEMPLATE, "");
    let skeleton = dir.path().join("tpl/skeleton");
    std::fs::create_dir_all(&skeleton).unwrap();
    std::fs::write(
        skeleton.join("README.md"),
        "hello{{#if values.token}} with a token{{/if}}\n",
    )
    .unwrap();
    let log_path = dir.path().join("server.log");
    let port = free_port();
    let server = start_logging(&config, port, "trace", Some(&log_path));
    wait_for("the server answers", Duration::from_secs(60), || {
        matches!(
            http_get(
                port,
                "/api/catalog/entities/by-name/template/default/secretive"
            ),
            Some((200, _))
        )
    });
    let mut outcomes = Vec::new();
    for fail in [false, true] {
        let (stream, t) = run_task(
            port,
            &json!({
                "templateRef": "template:default/secretive",
                "values": { "fail": fail },
                "secrets": { "token": SECRET }
            }),
        );
        assert!(!stream.contains(SECRET), "{stream}");
        assert!(!t.to_string().contains(SECRET), "{t}");
        outcomes.push(t["status"].as_str().unwrap_or_default().to_owned());
    }
    assert_eq!(outcomes, ["completed", "failed"]);
    let (_, events) = http_get(port, "/api/scaffolder/v2/tasks?limit=10").unwrap();
    assert!(!events.contains(SECRET), "{events}");
    drop(server);

    let log = std::fs::read(&log_path).unwrap();
    let text = String::from_utf8_lossy(&log);
    // The log is real: it holds the steps the tasks ran.
    assert!(text.contains("secretive"), "the log names the template");
    assert!(
        text.contains("calling the API with ***"),
        "task log lines reach the server log, redacted"
    );
    assert!(
        text.len() > 10_000,
        "a trace-level log: {} bytes",
        text.len()
    );
    assert!(
        !contains(&log, SECRET.as_bytes()),
        "the secret is in the server log"
    );
    let mut scanned = 0;
    let mut pending = vec![dir.path().join("data")];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            pending.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let content = std::fs::read(&path).unwrap();
        assert!(
            !contains(&content, SECRET.as_bytes()),
            "the secret is in {}",
            path.display()
        );
        scanned += 1;
    }
    assert!(
        scanned > 3,
        "the data directory holds the database and more: {scanned} files"
    );
    println!("scanned a {} byte log and {scanned} data files", log.len());
    assert_audited(&dir.path().join("data"));
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Creates a task, follows its event stream to the completion event and
/// returns the stream and the finished task.
pub(crate) fn run_task(port: u16, request: &Value) -> (String, Value) {
    let (status, body) = post(port, "/api/scaffolder/v2/tasks", request).unwrap();
    assert_eq!(status, 201, "{request}: {body}");
    let id = serde_json::from_str::<Value>(&body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let stream = event_stream(port, &id);
    assert!(stream.contains("event: completion"), "{request}: {stream}");
    (stream, task(port, &id).unwrap())
}

/// Reads the whole event stream of a task (it ends with the task).
fn event_stream(port: u16, id: &str) -> String {
    http_get(port, &format!("/api/scaffolder/v2/tasks/{id}/eventstream"))
        .map(|(_, body)| body)
        .unwrap_or_default()
}

/// Every file of the repository's `main` branch, read through the same
/// git reader the catalog uses.
fn repository_files(repo: &Path, cache: &Path) -> Vec<(String, Vec<u8>)> {
    let url = portico_git::RepoUrl::parse(&repo.display().to_string()).unwrap();
    let mirrors = portico_git::GitMirrors::new(portico_git::GitOptions {
        cache_dir: cache.to_path_buf(),
        ..portico_git::GitOptions::default()
    });
    let commit = mirrors.resolve(&url, Some("main")).unwrap().commit;
    let snapshot = mirrors.snapshot(&url, &commit).unwrap();
    // Dot files match only where a pattern spells the dot.
    let mut paths: Vec<String> = ["**", ".*", ".*/**", "**/.*", "**/.*/**"]
        .iter()
        .flat_map(|pattern| snapshot.glob(pattern, 10_000).unwrap())
        .collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .map(|path| {
            let content = snapshot.read(&path, 10 << 20).unwrap();
            (path, content)
        })
        .collect()
}

/// Each shipped template, through `portico serve` with the example catalog
/// (which registers `templates/`): a task over HTTP, its event stream to
/// the end, the repository, the component with its owner, its docs built
/// without warnings; with PORTICO_SCAFFOLD_BUILD=1 the generated Rust
/// service is `cargo check`ed and the Python one compiled.
#[test]
fn every_shipped_template_creates_a_working_registered_documented_service() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let _server = crate::cli::serve_example(data.path(), port);
    wait_for(
        "the templates are in the catalog",
        Duration::from_secs(60),
        || {
            matches!(
                http_get(
                    port,
                    "/api/catalog/entities/by-name/template/default/rust-service"
                ),
                Some((200, _))
            )
        },
    );
    let build = std::env::var("PORTICO_SCAFFOLD_BUILD").as_deref() == Ok("1");
    if !build {
        println!("skipping cargo check / py_compile of generated services: PORTICO_SCAFFOLD_BUILD is not 1");
    }
    let cases: &[(&str, &[&str])] = &[
        (
            "rust-service",
            &[
                "Cargo.toml",
                "src/main.rs",
                "Dockerfile",
                ".github/workflows/ci.yaml",
                "deploy/kubernetes/hpa.yaml",
                "deploy/prometheus/alerts.yaml",
                "docs/runbook.md",
            ],
        ),
        (
            "go-service",
            &[
                "go.mod",
                "main.go",
                "main_test.go",
                "Dockerfile",
                ".github/workflows/ci.yaml",
                "deploy/prometheus/alerts.yaml",
                "docs/runbook.md",
            ],
        ),
        (
            "python-service",
            &[
                "pyproject.toml",
                "app/main.py",
                "tests/test_health.py",
                "Dockerfile",
                ".github/workflows/ci.yaml",
                "deploy/prometheus/alerts.yaml",
                "docs/runbook.md",
            ],
        ),
        (
            "docs-site",
            &["mkdocs.yml", "docs/index.md", "docs/runbook.md"],
        ),
    ];
    for (template, expected) in cases {
        let name = format!("made-by-{template}");
        let (_, t) = run_task(
            port,
            &json!({
                "templateRef": format!("template:default/{template}"),
                "values": { "name": name, "repoName": name, "owner": "group:default/payments", "description": "Made by the e2e test" }
            }),
        );
        assert_eq!(t["status"], "completed", "{template}: {t}");

        // The repository, with the template's files and the answers file.
        let repo = data.path().join("repos").join(format!("{name}.git"));
        let files = repository_files(&repo, &data.path().join("e2e-git-cache"));
        let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
        for want in expected
            .iter()
            .chain(&["catalog-info.yaml", ".portico-answers.yaml"])
        {
            assert!(paths.contains(want), "{template}: {want} not in {paths:?}");
        }

        // In the catalog with its owner; its docs built without warnings.
        let (status, entity) = http_get(
            port,
            &format!("/api/catalog/entities/by-name/component/default/{name}"),
        )
        .unwrap();
        assert_eq!(status, 200, "{template}: {entity}");
        let entity: Value = serde_json::from_str(&entity).unwrap();
        assert_eq!(
            entity["spec"]["owner"], "group:default/payments",
            "{template}"
        );
        let mut docs = Value::Null;
        wait_for("the docs are built", Duration::from_secs(30), || {
            docs = http_get(
                port,
                &format!("/api/techdocs/metadata/techdocs/default/component/{name}"),
            )
            .filter(|(status, _)| *status == 200)
            .and_then(|(_, body)| serde_json::from_str(&body).ok())
            .unwrap_or(Value::Null);
            !docs.is_null()
        });
        assert_eq!(docs["warnings"], json!([]), "{template}: {docs}");

        if build {
            let checkout = tempfile::tempdir().unwrap();
            for (path, content) in &files {
                let target = checkout.path().join(path);
                std::fs::create_dir_all(target.parent().unwrap()).unwrap();
                std::fs::write(target, content).unwrap();
            }
            check_builds(template, checkout.path());
        }
    }
    assert_audited(data.path());
}

fn check_builds(template: &str, root: &Path) {
    let run = |command: &mut Command| {
        let out = command.current_dir(root).output().unwrap();
        assert!(
            out.status.success(),
            "{template}: {command:?} failed\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    match template {
        "rust-service" => {
            // Shared with the scaffolder's template tests: a warm build.
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map_or_else(
                    || Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
                    std::path::PathBuf::from,
                )
                .join("scaffold-check");
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            run(Command::new(cargo)
                .args(["check", "--tests", "--quiet"])
                .env("CARGO_TARGET_DIR", target));
        }
        "python-service" => {
            let mut command = Command::new("python3");
            command.args([
                "-m",
                "py_compile",
                "app/__init__.py",
                "app/main.py",
                "app/metrics.py",
                "tests/test_health.py",
            ]);
            run(&mut command);
        }
        _ => {}
    }
}
