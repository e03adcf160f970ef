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
}
