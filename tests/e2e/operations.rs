//! Running Portico as a service: what `/metrics` shows after real work,
//! `/readyz` through a database outage, and SIGTERM.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portico_server::metrics::{parse_samples, sample_value, Sample, FAMILIES};
use serde_json::{json, Value};

use crate::cli::{free_port, http_get, wait_for, Server};
use crate::scaffolder::{post, run_task, start, start_slow_task};

fn scrape(port: u16) -> Vec<Sample> {
    let (status, page) = http_get(port, "/metrics").unwrap();
    assert_eq!(status, 200, "{page}");
    parse_samples(&page).unwrap()
}

/// The sum of a family's samples (a histogram's by its `_count`).
fn total(samples: &[Sample], family: &str) -> Option<f64> {
    let count = format!("{family}_count");
    let matching: Vec<f64> = samples
        .iter()
        .filter(|s| s.name == family || s.name == count)
        .map(|s| s.value)
        .collect();
    (!matching.is_empty()).then(|| matching.iter().sum())
}

fn sigterm(server: &Server) {
    let status = Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits for the process to exit; its exit code and how long it took.
fn wait_exit(server: &mut Server, limit: Duration) -> (Option<i32>, Duration) {
    let started = Instant::now();
    loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            return (status.code(), started.elapsed());
        }
        assert!(
            started.elapsed() < limit,
            "still running {limit:?} after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

const CATALOG: &str = r#"apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-a
spec:
  type: team
  children: []
  members: [jane]
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: jane
spec:
  memberOf: [team-a]
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: documented
  annotations:
    backstage.io/techdocs-ref: dir:.
spec:
  type: service
  lifecycle: production
  owner: team-a
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: fragile
spec:
  type: service
  lifecycle: production
  owner: team-a
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: temp-db
spec:
  type: database
  owner: team-a
---
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: hello
spec:
  owner: team-a
  type: service
  steps:
    - id: greet
      action: debug:log
      input: { message: hello }
"#;

#[test]
fn metrics_show_every_family_after_ingest_search_docs_a_task_and_failures() {
    let dir = tempfile::tempdir().unwrap();
    let cat = dir.path().join("cat");
    std::fs::create_dir_all(cat.join("docs")).unwrap();
    std::fs::write(cat.join("catalog-info.yaml"), CATALOG).unwrap();
    std::fs::write(cat.join("mkdocs.yml"), "site_name: Documented\n").unwrap();
    std::fs::write(cat.join("docs/index.md"), "# Documented\n\nRunbook.\n").unwrap();
    // A location whose file goes away below: its reads fail from then on.
    std::fs::create_dir_all(dir.path().join("broken")).unwrap();
    std::fs::write(
        dir.path().join("broken/catalog-info.yaml"),
        "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: passing\nspec:\n  owner: team-a\n",
    )
    .unwrap();
    let config = dir.path().join("portico.yaml");
    std::fs::write(
        &config,
        format!(
            "dataDir: {data}\ncatalog:\n  orphanStrategy: keep\n  refreshInterval: 1\n  locations:\n    - type: file\n      target: {cat}\n    - type: file\n      target: {broken}\n",
            data = dir.path().join("data").display(),
            cat = cat.join("catalog-info.yaml").display(),
            broken = dir.path().join("broken/catalog-info.yaml").display(),
        ),
    )
    .unwrap();
    let port = free_port();
    let _server = start(&config, port);
    crate::cli::wait_ready(port);

    // Search, a docs build (the follower builds on its own), a task.
    let (status, found) = http_get(port, "/api/search/query?term=documented").unwrap();
    assert_eq!(status, 200, "{found}");
    wait_for("the docs are built", Duration::from_secs(60), || {
        total(&scrape(port), "portico_techdocs_builds_total").is_some_and(|n| n >= 1.0)
    });
    let (_, task) = run_task(
        port,
        &json!({ "templateRef": "template:default/hello", "values": {} }),
    );
    assert_eq!(task["status"], "completed", "{task}");

    // fragile loses its owner (a processing error), temp-db leaves the
    // file (an orphan).
    let changed = CATALOG
        .replace(
            "  name: fragile\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n",
            "  name: fragile\nspec:\n  type: service\n  lifecycle: production\n",
        )
        .split("---")
        .filter(|d| !d.contains("name: temp-db"))
        .collect::<Vec<_>>()
        .join("---");
    std::fs::write(cat.join("catalog-info.yaml"), changed).unwrap();
    let (status, body) = post(
        port,
        "/api/catalog/refresh",
        &json!({ "entityRef": "component:default/fragile" }),
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    std::fs::remove_file(dir.path().join("broken/catalog-info.yaml")).unwrap();
    // The missing file's scheduled reads (every second here) fail.
    wait_for(
        "a failed location read is counted",
        Duration::from_secs(30),
        || {
            total(&scrape(port), "portico_location_refresh_failures_total")
                .is_some_and(|n| n >= 1.0)
        },
    );
    // The state part of the page is reused for 2 s: wait for the counts of
    // the change above.
    let mut samples = Vec::new();
    wait_for(
        "the gauges follow the catalog",
        Duration::from_secs(30),
        || {
            samples = scrape(port);
            sample_value(
                &samples,
                "portico_orphaned_entities",
                &[("kind", "Resource")],
            ) == Some(1.0)
                && sample_value(&samples, "portico_locations_with_errors", &[]) == Some(1.0)
        },
    );
    let mut report = Vec::new();
    for (family, _, _) in FAMILIES {
        let value = total(&samples, family);
        report.push(format!("{family} = {value:?}"));
        // Lag is 0 when the index has caught up: present is what to check.
        if *family == "portico_search_index_lag" {
            assert!(value.is_some(), "{family} is missing");
            continue;
        }
        assert!(
            value.is_some_and(|v| v > 0.0),
            "{family} should be non-zero after this test's work; page:\n{}",
            report.join("\n")
        );
    }
    println!("{}", report.join("\n"));
    let value = |name: &str, labels: &[(&str, &str)]| sample_value(&samples, name, labels);
    for (name, labels) in [
        ("portico_orphaned_entities", [("kind", "Resource")]),
        ("portico_entities_with_errors", [("kind", "Component")]),
        ("portico_scaffolder_tasks", [("status", "completed")]),
        ("portico_entities", [("kind", "Template")]),
    ] {
        assert_eq!(value(name, &labels), Some(1.0), "{name} {labels:?}");
    }
    assert_eq!(value("portico_locations_with_errors", &[]), Some(1.0));
    assert!(value(
        "portico_http_requests_total",
        &[
            ("method", "GET"),
            ("route", "/api/search/query"),
            ("status", "200")
        ]
    )
    .is_some_and(|n| n >= 1.0));
}

/// A TCP proxy in front of PostgreSQL that the test can take down and
/// bring back on the same port: to Portico, the database goes away.
struct DbProxy {
    port: u16,
    upstream: String,
    running: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<TcpStream>>>,
    accept: Option<std::thread::JoinHandle<()>>,
}

impl DbProxy {
    fn new(upstream: &str) -> DbProxy {
        let mut proxy = DbProxy {
            port: free_port(),
            upstream: upstream.to_owned(),
            running: Arc::new(AtomicBool::new(false)),
            conns: Arc::default(),
            accept: None,
        };
        proxy.up();
        proxy
    }

    fn up(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).unwrap();
        listener.set_nonblocking(true).unwrap();
        self.running.store(true, Ordering::SeqCst);
        let (running, conns, upstream) = (
            self.running.clone(),
            self.conns.clone(),
            self.upstream.clone(),
        );
        self.accept = Some(std::thread::spawn(move || {
            while running.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        client.set_nonblocking(false).unwrap();
                        let Ok(server) = TcpStream::connect(&upstream) else {
                            continue;
                        };
                        let mut all = conns.lock().unwrap();
                        all.push(client.try_clone().unwrap());
                        all.push(server.try_clone().unwrap());
                        pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                        pipe(server, client);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        }));
    }

    /// Refuses new connections and cuts the open ones.
    fn down(&mut self) {
        self.running.store(false, Ordering::SeqCst);
        if let Some(accept) = self.accept.take() {
            accept.join().unwrap();
        }
        for conn in self.conns.lock().unwrap().drain(..) {
            let _ = conn.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for DbProxy {
    fn drop(&mut self) {
        self.down();
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Both);
    });
}

fn readyz(port: u16) -> Option<(u16, Value)> {
    let (status, body) = http_get(port, "/readyz")?;
    Some((status, serde_json::from_str(&body).ok()?))
}

#[test]
fn readyz_turns_503_when_postgresql_goes_away_and_200_when_it_returns() {
    let Ok(url) = std::env::var("PORTICO_TEST_DATABASE_URL") else {
        println!("skipped: PORTICO_TEST_DATABASE_URL is not set (needs PostgreSQL)");
        return;
    };
    // postgres://user@host:port/db → the proxy stands in for host:port.
    let (scheme_user, rest) = url.split_once('@').unwrap();
    let (authority, db_part) = rest.split_once('/').unwrap();
    let mut proxy = DbProxy::new(authority);
    let schema = format!("portico_ready_{}", std::process::id());
    let _ = portico_store::drop_schema(&url, &schema);
    let proxied = format!("{scheme_user}@127.0.0.1:{}/{db_part}", proxy.port);
    let schema_url = portico_store::create_schema(&proxied, &schema).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let (mut server, port) = serve_file(
        dir.path(),
        CATALOG,
        &format!("database:\n  url: \"{schema_url}\"\n"),
    );

    proxy.down();
    let went = Instant::now();
    let mut seen = Value::Null;
    wait_for(
        "503 once PostgreSQL is gone",
        Duration::from_secs(15),
        || match readyz(port) {
            Some((503, body)) => {
                seen = body;
                true
            }
            _ => false,
        },
    );
    println!(
        "readyz turned 503 {:?} after the database went",
        went.elapsed()
    );
    assert_eq!(seen["status"], "unavailable");
    assert_eq!(seen["checks"]["database"]["status"], "failing", "{seen}");
    assert!(seen["checks"]["database"]["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    assert_eq!(
        http_get(port, "/healthz").map(|(s, _)| s),
        Some(200),
        "still alive"
    );
    // Metrics still answer, saying the database is away.
    let mut down = Vec::new();
    wait_for(
        "metrics say the database is down",
        Duration::from_secs(15),
        || {
            down = scrape(port);
            sample_value(&down, "portico_database_up", &[]) == Some(0.0)
        },
    );
    assert!(total(&down, "portico_http_requests_total").is_some_and(|n| n > 0.0));
    assert_eq!(
        total(&down, "portico_entities"),
        None,
        "no stale catalog counts"
    );

    proxy.up();
    let back = Instant::now();
    wait_for(
        "200 once PostgreSQL is back",
        Duration::from_secs(30),
        || readyz(port).is_some_and(|(s, _)| s == 200),
    );
    println!(
        "readyz turned 200 {:?} after the database returned",
        back.elapsed()
    );
    assert!(server.0.try_wait().unwrap().is_none(), "never restarted");
    let (status, entities) = http_get(port, "/api/catalog/entities?filter=kind=component").unwrap();
    assert_eq!(status, 200, "{entities}");
    assert!(entities.contains("documented"), "{entities}");
    drop(server);
    let _ = portico_store::drop_schema(&url, &schema);
}

/// `portico serve` over one catalog file (`content`) with its data in
/// `dir/data` and `extra` config; returns it once `/readyz` says 200.
fn serve_file(dir: &Path, content: &str, extra: &str) -> (Server, u16) {
    let config = crate::scaffolder::config_for(dir, content, extra);
    let port = free_port();
    let server = start(&config, port);
    crate::cli::wait_ready(port);
    (server, port)
}

/// A catalog big enough that listing it takes a while, so that requests
/// are in flight when the signal comes.
fn big_catalog(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc-{i}\n  description: Service number {i} of the burst test\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n"
            )
        })
        .collect::<Vec<_>>()
        .join("---\n")
}

#[derive(Debug)]
// `Broken`'s reason is read through `Debug`, in the failure message.
#[allow(dead_code)]
enum Outcome {
    Answered(u16),
    /// The listener was closed: the request never reached the server.
    Refused,
    Broken(String),
}

/// One GET on a new connection, read to the end.
fn get_once(port: u16, path: &str) -> Outcome {
    let mut stream = match TcpStream::connect(("127.0.0.1", port)) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => return Outcome::Refused,
        Err(e) => return Outcome::Broken(e.to_string()),
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let sent = write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    );
    if let Err(e) = sent {
        return Outcome::Broken(format!("write: {e}"));
    }
    let mut response = Vec::new();
    if let Err(e) = stream.read_to_end(&mut response) {
        return Outcome::Broken(format!("read: {e}"));
    }
    let text = String::from_utf8_lossy(&response);
    let Some(status) = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()) else {
        return Outcome::Broken(format!("no status in {} bytes", response.len()));
    };
    // A cut-off body would parse as a status and still be a failure.
    let complete = text
        .split_once("\r\n\r\n")
        .is_some_and(|(_, body)| body.trim_end().ends_with([']', '}']));
    if status == 200 && !complete {
        return Outcome::Broken("body cut off".to_owned());
    }
    Outcome::Answered(status)
}

#[test]
fn sigterm_during_a_burst_fails_no_request_and_exits_within_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, port) = serve_file(dir.path(), &big_catalog(3000), "");

    // A load balancer: checks /readyz every 200 ms and stops sending new
    // requests once it fails, as Kubernetes takes a pod out of a Service.
    let in_rotation = Arc::new(AtomicBool::new(true));
    let balancer = {
        let in_rotation = in_rotation.clone();
        std::thread::spawn(move || {
            while in_rotation.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(200));
                if !matches!(get_once(port, "/readyz"), Outcome::Answered(200)) {
                    in_rotation.store(false, Ordering::SeqCst);
                }
            }
        })
    };
    let results: Arc<Mutex<Vec<(Instant, Instant, Outcome)>>> = Arc::default();
    let clients: Vec<_> = (0..6)
        .map(|_| {
            let (in_rotation, results) = (in_rotation.clone(), results.clone());
            std::thread::spawn(move || {
                while in_rotation.load(Ordering::SeqCst) {
                    let started = Instant::now();
                    let outcome = get_once(port, "/api/catalog/entities?filter=kind=component");
                    results
                        .lock()
                        .unwrap()
                        .push((started, Instant::now(), outcome));
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    let signal_at = Instant::now();
    sigterm(&server);
    let (code, took) = wait_exit(&mut server, Duration::from_secs(15));
    balancer.join().unwrap();
    for client in clients {
        client.join().unwrap();
    }
    let results = results.lock().unwrap();
    let spanning = results
        .iter()
        .filter(|(s, e, _)| *s < signal_at && *e > signal_at)
        .count();
    let after = results.iter().filter(|(s, _, _)| *s > signal_at).count();
    let failed: Vec<_> = results
        .iter()
        .filter(|(_, _, o)| !matches!(o, Outcome::Answered(200)))
        .collect();
    println!(
        "{} requests, {spanning} in flight at SIGTERM, {after} sent after it (before the balancer saw /readyz fail); exit {code:?} in {took:?}",
        results.len()
    );
    assert!(
        failed.is_empty(),
        "{} of {} requests failed: {failed:?}",
        failed.len(),
        results.len()
    );
    assert!(
        spanning > 0,
        "no request was in flight at the signal; the test proved nothing"
    );
    assert!(after > 0, "none was sent during the drain");
    assert_eq!(code, Some(0), "a clean stop");
    assert!(took <= Duration::from_secs(10), "exit took {took:?}");
}

#[test]
fn a_task_running_at_sigterm_goes_back_to_the_queue() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (mut server, port) = serve_file(
        dir.path(),
        crate::scaffolder::TEMPLATE,
        "server:\n  shutdownTimeout: 4\n",
    );
    let id = start_slow_task(port);
    // A client following the task's event stream: the stream lasts as long
    // as the task, so shutdown must cut it rather than wait for it.
    let path = format!("/api/scaffolder/v2/tasks/{id}/eventstream");
    let stream = std::thread::spawn(move || http_get(port, &path));
    std::thread::sleep(Duration::from_millis(300));
    sigterm(&server);
    let (code, took) = wait_exit(&mut server, Duration::from_secs(10));
    println!("exit {code:?} in {took:?} with a task running and its event stream open");
    let followed = stream.join().unwrap();
    assert!(
        followed.is_some_and(|(status, body)| status == 200 && body.contains("event: log")),
        "the stream was answered until it was cut"
    );
    assert_eq!(code, Some(0));
    assert!(
        took <= Duration::from_secs(4) + Duration::from_millis(500),
        "{took:?}"
    );
    // Drain (2 s of the 4), then the task is interrupted 2 s before the end.

    let store =
        portico_store::Store::open(&format!("sqlite://{}", data.join("portico.db").display()))
            .unwrap();
    let (task, events) = store
        .read(|tx| {
            Ok::<_, portico_store::StoreError>((tx.task(&id)?, tx.task_events(&id, 0, 1000)?))
        })
        .unwrap();
    let task = task.unwrap();
    assert_eq!(task.status, "open", "queued again, not failed: {task:?}");
    assert_eq!(task.claimed_by, None);
    assert!(
        events
            .iter()
            .any(|e| e.body_json.contains("will run again from the start")),
        "{events:?}"
    );
}

/// With `--features otlp`, spans reach an OTLP/HTTP collector: here a
/// socket that records what is POSTed to it.
#[cfg(feature = "otlp")]
#[test]
fn spans_are_exported_over_otlp_when_an_endpoint_is_set() {
    let collector = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", collector.local_addr().unwrap());
    let received: Arc<Mutex<Vec<u8>>> = Arc::default();
    {
        let received = received.clone();
        std::thread::spawn(move || {
            for stream in collector.incoming().flatten() {
                let mut stream = stream;
                stream
                    .set_read_timeout(Some(Duration::from_secs(5)))
                    .unwrap();
                let mut request = Vec::new();
                let mut buf = [0u8; 64 * 1024];
                // Read headers, then the body by Content-Length.
                while let Ok(n) = stream.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    request.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&request).to_string();
                    if let Some((head, body)) = text.split_once("\r\n\r\n") {
                        let length = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if body.len() >= length {
                            break;
                        }
                    }
                }
                received.lock().unwrap().extend_from_slice(&request);
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nContent-Type: application/x-protobuf\r\n\r\n");
            }
        });
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = crate::cli::serve_example_with(
        dir.path(),
        port,
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)],
    );
    crate::cli::wait_ready(port);
    assert_eq!(
        http_get(port, "/api/catalog/entities?limit=1").map(|(s, _)| s),
        Some(200)
    );
    sigterm(&server);
    wait_exit(&mut server, Duration::from_secs(15));
    let received = received.lock().unwrap();
    let text = String::from_utf8_lossy(&received);
    assert!(
        text.starts_with("POST /v1/traces"),
        "{}",
        &text[..text.len().min(200)]
    );
    for needle in ["request", "/api/catalog/entities", "portico"] {
        assert!(
            received
                .windows(needle.len())
                .any(|w| w == needle.as_bytes()),
            "{needle} is not in the exported spans"
        );
    }
}
