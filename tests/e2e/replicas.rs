//! Two `portico serve` replicas on one PostgreSQL database share the
//! refreshing of git locations: every location is refreshed every cycle,
//! never by both at once.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use portico_store::testing::TestDb;

use crate::cli::{free_port, http_get, Server};
use crate::BIN;

const LOCATIONS: usize = 50;
const INTERVAL_SECS: u64 = 2;

/// One refresh as a replica logged it.
#[derive(Debug, Clone)]
struct Refresh {
    location: String,
    replica: String,
    started: i64,
    finished: i64,
}

/// The `key=value` fields of the refresh log lines in `log`.
fn refreshes(log: &str) -> Vec<Refresh> {
    log.lines()
        .filter(|l| l.contains("refreshed location"))
        .filter_map(|line| {
            let field = |key: &str| {
                line.split_whitespace()
                    .find_map(|w| w.strip_prefix(&format!("{key}=")))
                    .map(|v| v.trim_matches('"').to_string())
            };
            Some(Refresh {
                location: field("location")?,
                replica: field("replica")?,
                started: field("started")?.parse().ok()?,
                finished: field("finished")?.parse().ok()?,
            })
        })
        .collect()
}

fn start(config: &Path, port: u16, log: &Path) -> Server {
    let child = Command::new(BIN)
        .args(["serve", "--config"])
        .arg(config)
        .args(["--port", &port.to_string()])
        .env("PORTICO_LOG", "warn,portico::refresh=debug")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    Server(child)
}

fn wait_ready(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if let Some((200, _)) = http_get(port, "/api/catalog/locations") {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("replica on port {port} did not start");
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[test]
fn two_replicas_share_refreshes_and_never_refresh_one_location_together() {
    let Some(db) = TestDb::postgres() else {
        println!("skipped: PORTICO_TEST_DATABASE_URL is not set (needs PostgreSQL)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut locations = String::new();
    for i in 0..LOCATIONS {
        let repo = dir.path().join(format!("repos/svc-{i:02}.git"));
        portico_git::write::init_bare(&repo, "main").unwrap();
        let yaml = format!(
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc-{i:02}\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n"
        );
        portico_git::write::commit_files(
            &repo,
            "main",
            &[("catalog-info.yaml", Some(yaml.as_bytes()))],
            "add catalog file",
            ("Test", "test@example.com"),
        )
        .unwrap();
        locations.push_str(&format!(
            "    - type: git\n      target: file://{}//catalog-info.yaml?ref=main\n",
            repo.display()
        ));
    }
    let config = |name: &str| {
        let path = dir.path().join(format!("{name}.yaml"));
        std::fs::write(
            &path,
            format!(
                "database:\n  url: \"{}\"\ndataDir: {}\ncatalog:\n  refreshInterval: {INTERVAL_SECS}\n  syncIntervalMillis: 500\n  allowLocalRepositories: true\n  locations:\n{locations}",
                db.url(),
                dir.path().join(name).display()
            ),
        )
        .unwrap();
        path
    };
    let (config_a, config_b) = (config("a"), config("b"));
    let (log_a, log_b) = (dir.path().join("a.log"), dir.path().join("b.log"));
    let (port_a, port_b) = (free_port(), free_port());

    // One after the other, as a rolling deploy starts them: both register
    // the same configured locations, and the second finds them there.
    let _a = start(&config_a, port_a, &log_a);
    wait_ready(port_a);
    let _b = start(&config_b, port_b, &log_b);
    wait_ready(port_b);
    let both_up = now_ms();
    let window = Duration::from_secs(INTERVAL_SECS * 4 + 1);
    std::thread::sleep(window);
    let until = now_ms();
    drop((_a, _b));

    let text_a = std::fs::read_to_string(&log_a).unwrap();
    let text_b = std::fs::read_to_string(&log_b).unwrap();
    let mut all = refreshes(&text_a);
    all.extend(refreshes(&text_b));
    assert!(!all.is_empty(), "no refresh logged:\n{text_a}\n{text_b}");

    // No location is ever refreshed by two replicas (or twice) at once.
    let mut by_location: BTreeMap<String, Vec<Refresh>> = BTreeMap::new();
    for r in &all {
        by_location
            .entry(r.location.clone())
            .or_default()
            .push(r.clone());
    }
    for (location, list) in &mut by_location {
        list.sort_by_key(|r| r.started);
        for pair in list.windows(2) {
            assert!(
                pair[1].started >= pair[0].finished,
                "location {location} was refreshed concurrently: {pair:?}"
            );
        }
    }

    // Every location is refreshed every cycle, once per cycle.
    let steady: Vec<&Refresh> = all
        .iter()
        .filter(|r| r.started >= both_up && r.finished <= until)
        .collect();
    let cycles = (until - both_up) / (INTERVAL_SECS as i64 * 1000);
    let mut per_location: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for r in &steady {
        per_location.entry(&r.location).or_default().push(r.started);
    }
    assert_eq!(
        per_location.len(),
        LOCATIONS,
        "every location was refreshed"
    );
    for (location, starts) in &mut per_location {
        starts.sort();
        assert!(
            starts.len() as i64 >= cycles - 1 && starts.len() as i64 <= cycles + 1,
            "location {location} refreshed {} times in {cycles} cycles",
            starts.len()
        );
        for gap in starts.windows(2).map(|w| w[1] - w[0]) {
            // Jitter is ±10 %: two refreshes in one cycle would be far closer.
            assert!(
                gap >= (INTERVAL_SECS as i64) * 1000 * 8 / 10,
                "location {location} refreshed twice within {gap} ms"
            );
        }
    }
    let replicas: HashSet<&str> = steady.iter().map(|r| r.replica.as_str()).collect();
    assert_eq!(
        replicas.len(),
        2,
        "both replicas took a share: {replicas:?}"
    );
    println!(
        "{} refreshes in {cycles} cycles by {} replicas",
        steady.len(),
        replicas.len()
    );
}
