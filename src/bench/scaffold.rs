//! `portico bench --scaffold`: the shipped Rust service template through
//! the real HTTP server: dry runs (render only), and full tasks from the
//! request to the new component being visible in the catalog (render,
//! commit, register, read back).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use portico_catalog::{AddMode, Catalog, CatalogConfig};
use portico_server::scaffolder::ScaffolderOptions;
use serde_json::{json, Value};

use super::{BenchArgs, BenchDatabase, BenchServer, Latencies};
use crate::AnyError;

/// The template measured, relative to the repository root.
const TEMPLATE_DIR: &str = "templates/rust-service";

pub fn run(args: &BenchArgs, tasks: usize) -> Result<(), AnyError> {
    let template_dir = Path::new(TEMPLATE_DIR).canonicalize().map_err(|_| {
        format!("{TEMPLATE_DIR} not found: run the scaffold bench from the repository root")
    })?;
    let dir = tempfile::tempdir()?;
    let bench_db = BenchDatabase::open(&args.database, dir.path())?;
    let repos = dir.path().join("repos");
    let mut config = CatalogConfig::default();
    config.read.local_repository_roots = vec![repos.clone()];
    let catalog = Arc::new(Catalog::open(bench_db.store.clone(), config)?);
    let template_file = template_dir.join("template.yaml");
    catalog.add_location("file", &template_file.to_string_lossy(), AddMode::Lenient)?;

    let workers = 2;
    let state = portico_server::AppState::for_catalog(catalog.clone(), None)?.with_scaffolder(
        ScaffolderOptions {
            workers,
            heartbeat_timeout: Duration::from_secs(30),
            repositories: repos,
            workspaces: dir.path().join("workspaces"),
        },
    );
    let scaffolder = state.scaffolder.clone().ok_or("no scaffolder")?;
    let handles = scaffolder.start();
    let server = BenchServer::start(state)?;
    let base = format!("http://127.0.0.1:{}/api", server.port);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    // Running templates needs a signed-in user: sign in as a client would.
    let signed_in = post(
        &agent,
        &format!("{base}/auth/guest/refresh"),
        "",
        &json!({}),
    )?;
    let token = signed_in["backstageIdentity"]["token"]
        .as_str()
        .ok_or("the guest sign-in gave no token")?
        .to_owned();

    // Dry runs: the template and its skeleton in the request, as an editor
    // sends them.
    let template: Value = serde_yaml::from_str(&std::fs::read_to_string(&template_file)?)?;
    let contents = directory_contents(&template_dir)?;
    let dry = |i: usize| {
        json!({
            "template": template,
            "values": values(&format!("dry-{i}")),
            "directoryContents": contents,
        })
    };
    let mut dry_runs = Latencies {
        name: "dry-run",
        samples: Vec::new(),
    };
    for i in 0..args.requests.min(200) + 10 {
        let started = Instant::now();
        let answer = post(
            &agent,
            &format!("{base}/scaffolder/v2/dry-run"),
            &token,
            &dry(i),
        )?;
        if !answer["error"].is_null() {
            return Err(format!("dry run failed: {}", answer["error"]).into());
        }
        // The first ten warm the server; not measured.
        if i >= 10 {
            dry_runs.samples.push(started.elapsed());
        }
    }
    let files = post(
        &agent,
        &format!("{base}/scaffolder/v2/dry-run"),
        &token,
        &dry(0),
    )?["directoryContents"]
        .as_array()
        .map_or(0, Vec::len);

    // Full tasks, one after another: request to entity visible.
    let mut full = Latencies {
        name: "task",
        samples: Vec::new(),
    };
    for i in 0..tasks {
        let name = format!("bench-svc-{i}");
        let started = Instant::now();
        let created = post(
            &agent,
            &format!("{base}/scaffolder/v2/tasks"),
            &token,
            &json!({ "templateRef": "template:default/rust-service", "values": values(&name) }),
        )?;
        let id = created["id"].as_str().ok_or("no task id")?.to_owned();
        loop {
            let task = get(&agent, &format!("{base}/scaffolder/v2/tasks/{id}"))?;
            match task["status"].as_str() {
                Some("completed") => break,
                Some("failed" | "cancelled") => {
                    return Err(
                        format!("task {name} ended {}: {}", task["status"], task["error"]).into(),
                    )
                }
                _ => std::thread::sleep(Duration::from_millis(2)),
            }
        }
        let entity = get(
            &agent,
            &format!("{base}/catalog/entities/by-name/component/default/{name}"),
        )?;
        if entity["metadata"]["name"] != name.as_str() {
            return Err(format!("{name} is not in the catalog after its task").into());
        }
        full.samples.push(started.elapsed());
    }

    server.stop();
    scaffolder.stop();
    for handle in handles {
        let _ = handle.join();
    }

    if args.json {
        println!(
            "{}",
            json!({
                "template": "template:default/rust-service",
                "database": bench_db.label,
                "renderedFiles": files,
                "dryRuns": dry_runs.samples.len(),
                "dryRunP50Ms": dry_runs.percentile_ms(0.5),
                "dryRunP99Ms": dry_runs.percentile_ms(0.99),
                "tasks": full.samples.len(),
                "taskP50Ms": full.percentile_ms(0.5),
                "taskP99Ms": full.percentile_ms(0.99),
            })
        );
        return Ok(());
    }
    println!(
        "scaffold bench: template:default/rust-service ({files} files), {}, {workers} workers",
        bench_db.label
    );
    println!("{:<40} {:>12}", "measure", "value");
    for (label, l) in [
        ("dry-run (HTTP, render only)", &dry_runs),
        ("task: request to entity visible", &full),
    ] {
        println!("{:<40} {:>12}", format!("{label} count"), l.samples.len());
        println!(
            "{:<40} {:>9.1} ms",
            format!("{label} p50"),
            l.percentile_ms(0.5)
        );
        println!(
            "{:<40} {:>9.1} ms",
            format!("{label} p99"),
            l.percentile_ms(0.99)
        );
    }
    Ok(())
}

/// The form's answers for a service called `name`.
fn values(name: &str) -> Value {
    json!({
        "name": name,
        "repoName": name,
        "description": "Generated by the bench",
        "owner": "group:default/platform",
        "lifecycle": "experimental",
        "port": 8080,
    })
}

/// Every file under `root` as Backstage's dry-run `directoryContents`.
fn directory_contents(root: &Path) -> Result<Vec<Value>, AnyError> {
    let mut out = Vec::new();
    let mut pending: Vec<PathBuf> = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                pending.push(path);
                continue;
            }
            let relative = path
                .strip_prefix(root)?
                .to_string_lossy()
                .replace('\\', "/");
            out.push(json!({ "path": relative, "base64Content": STANDARD.encode(std::fs::read(&path)?) }));
        }
    }
    Ok(out)
}

/// POSTs JSON with `token` as bearer (none when empty).
fn post(agent: &ureq::Agent, url: &str, token: &str, body: &Value) -> Result<Value, AnyError> {
    let mut req = agent.post(url).header("content-type", "application/json");
    if !token.is_empty() {
        req = req.header("authorization", &format!("Bearer {token}"));
    }
    let mut res = req.send(body.to_string())?;
    let status = res.status();
    let text = res.body_mut().read_to_string()?;
    if !status.is_success() {
        return Err(format!("POST {url} answered {status}: {text}").into());
    }
    Ok(serde_json::from_str(&text)?)
}

fn get(agent: &ureq::Agent, url: &str) -> Result<Value, AnyError> {
    let mut res = agent.get(url).call()?;
    let status = res.status();
    let text = res.body_mut().read_to_string()?;
    if !status.is_success() {
        return Err(format!("GET {url} answered {status}: {text}").into());
    }
    Ok(serde_json::from_str(&text)?)
}
