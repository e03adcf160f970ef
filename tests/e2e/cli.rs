//! The CLI: what a user types.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::BIN;

#[test]
fn validate_prints_file_line_message_and_fails_on_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("catalog-info.yaml");
    std::fs::write(
        &bad,
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: bad name\nspec:\n  type: service\n  lifecycle: production\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .arg("validate")
        .arg(&bad)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "stdout: {stdout}");
    let file = bad.canonicalize().unwrap();
    assert!(
        stdout.contains(&format!("{}:4:", file.display())),
        "{stdout}"
    );
    assert!(stdout.contains("metadata.name"), "{stdout}");
    assert!(stdout.contains("spec.owner"), "{stdout}");
}

#[test]
fn validate_accepts_the_example_catalog() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog-examples/all.yaml");
    let out = Command::new(BIN)
        .arg("validate")
        .arg(&examples)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n")?.1.to_string();
    Some((status, body))
}

/// `portico serve` with no config, run from the repository root, serves the
/// example organisation.
#[test]
fn serve_without_config_serves_the_example_catalog() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = Command::new(BIN)
        .args(["serve", "--port", &port.to_string(), "--data-dir"])
        .arg(data.path())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("PORTICO_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut reply = None;
    while Instant::now() < deadline {
        reply = http_get(
            port,
            "/api/catalog/entities/by-query?filter=kind=component&limit=100",
        );
        if reply.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let (status, body) = reply.expect("the server answered within 60 s");
    assert_eq!(status, 200, "{body}");
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    let items = page["items"].as_array().unwrap();
    assert!(items.len() >= 15, "{} components", items.len());
    for item in items {
        let owned = item["relations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["type"] == "ownedBy");
        assert!(owned, "{} has no ownedBy", item["metadata"]["name"]);
    }
    assert!(
        data.path().join("portico.db").exists(),
        "SQLite lives under --data-dir"
    );
}
