//! A server killed while a scaffolder task runs: after the restart the
//! task is failed (its heartbeat stopped), never left `processing`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::cli::{free_port, http_get, Server};
use crate::BIN;

const TEMPLATE: &str = r#"apiVersion: scaffolder.backstage.io/v1beta3
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

fn start(config: &Path, port: u16) -> Server {
    let child = Command::new(BIN)
        .args(["serve", "--config"])
        .arg(config)
        .args(["--port", &port.to_string()])
        .env("PORTICO_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Server(child)
}

fn post(port: u16, path: &str, body: &Value) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let body = body.to_string();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, response.split_once("\r\n\r\n")?.1.to_string()))
}

fn task(port: u16, id: &str) -> Option<Value> {
    let (status, body) = http_get(port, &format!("/api/scaffolder/v2/tasks/{id}"))?;
    (status == 200).then(|| serde_json::from_str(&body).ok())?
}

fn wait_for(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !check() {
        assert!(Instant::now() < deadline, "{what} within {timeout:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_task_of_a_killed_server_is_failed_after_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("tpl/template.yaml");
    std::fs::create_dir_all(template.parent().unwrap()).unwrap();
    std::fs::write(&template, TEMPLATE).unwrap();
    let config = dir.path().join("portico.yaml");
    std::fs::write(
        &config,
        format!(
            "dataDir: {data}\ncatalog:\n  locations:\n    - type: file\n      target: {template}\nscaffolder:\n  heartbeatTimeout: 2\n",
            data = dir.path().join("data").display(),
            template = template.display()
        ),
    )
    .unwrap();

    let port = free_port();
    let id = {
        let _server = start(&config, port);
        wait_for("the server answers", Duration::from_secs(60), || {
            matches!(
                http_get(port, "/api/catalog/entities/by-name/template/default/slow"),
                Some((200, _))
            )
        });
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
        let (status, body) = post(
            port,
            "/api/scaffolder/v2/tasks",
            &json!({
                "templateRef": format!("template:default/{template}"),
                "values": { "name": name, "repoName": name, "owner": "group:default/payments", "description": "Made by the e2e test" }
            }),
        )
        .unwrap();
        assert_eq!(status, 201, "{template}: {body}");
        let id = serde_json::from_str::<Value>(&body).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let stream = event_stream(port, &id);
        assert!(stream.contains("event: completion"), "{template}: {stream}");
        let t = task(port, &id).unwrap();
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
