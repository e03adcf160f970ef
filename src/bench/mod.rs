//! `portico bench`: generate a deterministic catalog, ingest it through the
//! real location pipeline into a fresh store, serve it with the real HTTP
//! server in-process, and measure the catalog API from a client.

mod docs;
mod generate;
mod git;
mod scaffold;
mod scorecards;
mod search;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use portico_catalog::{AddMode, Catalog, CatalogConfig};
use portico_store::Store;
use serde_json::json;

use crate::AnyError;

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// How many entities to generate (default 10000). With --docs-pages
    /// as well: the search bench over both.
    #[arg(long)]
    entities: Option<usize>,
    /// `sqlite` (a fresh temp file) or a PostgreSQL URL (a fresh schema in it).
    #[arg(long, default_value = "sqlite")]
    database: String,
    /// Requests per measured endpoint.
    #[arg(long, default_value_t = 1_000)]
    requests: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Write the generated catalog here (and keep it) instead of a temp dir.
    #[arg(long)]
    catalog_dir: Option<std::path::PathBuf>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// Instead of the catalog bench: this many git repositories, one
    /// location each; measures a refresh cycle with nothing changed and
    /// push-to-visible latency through the webhook.
    #[arg(long, default_value_t = 0)]
    git_locations: usize,
    /// How the git bench reaches its repositories: `local` (file://) or
    /// `daemon` (git:// from a `git daemon` on 127.0.0.1, through the mirrors).
    #[arg(long, default_value = "local")]
    git_transport: String,
    /// Pushes measured by the git bench.
    #[arg(long, default_value_t = 100)]
    pushes: usize,
    /// Instead of the catalog bench: a generated docs site of this many
    /// pages; measures a full build, an unchanged rebuild, a rebuild after
    /// one edit, and serving pages.
    #[arg(long, default_value_t = 0)]
    docs_pages: usize,
    /// Instead of the catalog bench: the shipped Rust service template
    /// through the HTTP API; measures dry runs (`--requests` of them, at
    /// most 200) and full tasks up to the entity being visible.
    #[arg(long)]
    scaffold: bool,
    /// Instead of the catalog bench: scorecards over the generated
    /// catalog (`--entities`, default 100,000); measures a full evaluation
    /// of 10 checks and single-entity changes (`--requests` of them, at
    /// most 1,000).
    #[arg(long)]
    scorecards: bool,
    /// Full tasks the scaffold bench runs.
    #[arg(long, default_value_t = 50)]
    tasks: usize,
}

struct Latencies {
    name: &'static str,
    samples: Vec<Duration>,
}

impl Latencies {
    fn percentile_ms(&self, p: f64) -> f64 {
        let mut v = self.samples.clone();
        v.sort();
        if v.is_empty() {
            return 0.0;
        }
        let idx = ((v.len() as f64 * p).ceil() as usize)
            .saturating_sub(1)
            .min(v.len() - 1);
        v[idx].as_secs_f64() * 1000.0
    }
}

pub fn run(args: &BenchArgs) -> Result<(), AnyError> {
    if args.scaffold {
        return scaffold::run(args, args.tasks);
    }
    if args.scorecards {
        return scorecards::run(args);
    }
    if args.git_locations > 0 {
        return git::run(args, args.git_locations);
    }
    if let (Some(entities), true) = (args.entities, args.docs_pages > 0) {
        return search::run(args, entities, args.docs_pages);
    }
    if args.docs_pages > 0 {
        return docs::run(args, args.docs_pages);
    }
    let dir = tempfile::tempdir()?;
    let catalog_dir = args
        .catalog_dir
        .clone()
        .unwrap_or_else(|| dir.path().join("catalog"));
    let generated = generate::generate(&catalog_dir, args.entities.unwrap_or(10_000), args.seed)?;

    let bench_db = BenchDatabase::open(&args.database, dir.path())?;
    let catalog = Arc::new(Catalog::open(
        bench_db.store.clone(),
        CatalogConfig::default(),
    )?);

    let started = Instant::now();
    let added =
        catalog.add_location("file", &generated.root.to_string_lossy(), AddMode::Lenient)?;
    let ingest = started.elapsed();
    let rss_after_ingest_mb = current_rss_mb();
    let ingested = catalog.index().len();
    // The generated files plus the Location entity standing for the registration.
    if ingested != generated.entities + 1 {
        return Err(format!(
            "ingested {ingested} entities, expected {}",
            generated.entities + 1
        )
        .into());
    }
    let problems = Catalog::location_problems(&added.location);
    if !problems.is_empty() {
        return Err(format!(
            "the generated catalog has problems: {:?}",
            &problems[..problems.len().min(3)]
        )
        .into());
    }

    let state = portico_server::AppState::for_catalog(catalog.clone(), None)?;
    // Measure the steady state: the scorecards' first pass over everything
    // would otherwise share the cores with the first requests.
    let waited = Instant::now();
    while !state.scorecards.is_ready() && waited.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let server = BenchServer::start(state)?;
    let port = server.port;

    let base = format!("http://127.0.0.1:{port}/api/catalog");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let n = args.requests;
    let comps = &generated.components;
    let groups = &generated.groups;
    let mut results = Vec::new();
    results.push(measure(&agent, "by-name", n, |i| {
        format!(
            "{base}/entities/by-name/component/default/{}",
            comps[(i * 7919) % comps.len()]
        )
    })?);
    results.push(measure(
        &agent,
        "by-query kind=component limit 50",
        n,
        |_| format!("{base}/entities/by-query?filter=kind=component&limit=50"),
    )?);
    results.push(measure(&agent, "by-query spec.owner=<group>", n, |i| {
        format!(
            "{base}/entities/by-query?filter=spec.owner={}&limit=50",
            groups[i % groups.len()]
        )
    })?);
    results.push(measure(&agent, "entity-facets spec.type", n, |_| {
        format!("{base}/entity-facets?facet=spec.type&filter=kind=component")
    })?);
    const TERMS: &[&str] = &["pay", "search", "lyrics", "svc-0001", "radio", "stream"];
    results.push(measure(&agent, "by-query fullTextFilterTerm", n, |i| {
        format!(
            "{base}/entities/by-query?fullTextFilterTerm={}&fullTextFilterFields=metadata.name&limit=50",
            TERMS[i % TERMS.len()]
        )
    })?);

    // The web UI's pages, rendered by the server from the same index.
    let ui = format!("http://127.0.0.1:{port}");
    results.push(measure(&agent, "UI /catalog components", n, |_| {
        format!("{ui}/catalog?kind=component")
    })?);
    results.push(measure(
        &agent,
        "UI /catalog owner + text, page 2",
        n,
        |i| {
            format!(
                "{ui}/catalog?kind=component&owner=group:default/{}&q={}&page=2",
                groups[i % groups.len()],
                TERMS[i % TERMS.len()]
            )
        },
    )?);
    results.push(measure(&agent, "UI entity page", n, |i| {
        format!(
            "{ui}/catalog/default/component/{}",
            comps[(i * 7919) % comps.len()]
        )
    })?);
    results.push(measure(&agent, "UI group page", n, |i| {
        format!("{ui}/catalog/default/group/{}", groups[i % groups.len()])
    })?);
    results.push(measure(&agent, "UI relations graph", n, |i| {
        format!(
            "{ui}/catalog/default/component/{}/graph",
            comps[(i * 7919) % comps.len()]
        )
    })?);

    server.stop();
    let rss_mb = peak_rss_mb();

    let p = |i: usize, q: f64| results[i].percentile_ms(q);
    let report = json!({
        "entities": ingested,
        "ingest_s": round(ingest.as_secs_f64(), 3),
        "ingest_per_s": round(ingested as f64 / ingest.as_secs_f64().max(1e-9), 0),
        "by_name_p50_ms": round(p(0, 0.5), 3),
        "by_name_p99_ms": round(p(0, 0.99), 3),
        "by_query_kind_p99_ms": round(p(1, 0.99), 3),
        "by_query_owner_p99_ms": round(p(2, 0.99), 3),
        "facets_p99_ms": round(p(3, 0.99), 3),
        "fulltext_p99_ms": round(p(4, 0.99), 3),
        "ui_catalog_p99_ms": round(p(5, 0.99), 3),
        "ui_catalog_filtered_p99_ms": round(p(6, 0.99), 3),
        "ui_entity_p99_ms": round(p(7, 0.99), 3),
        "ui_group_p99_ms": round(p(8, 0.99), 3),
        "ui_graph_p99_ms": round(p(9, 0.99), 3),
        "rss_mb": round(rss_mb, 1),
        "rss_after_ingest_mb": round(rss_after_ingest_mb, 1),
    });
    if args.json {
        println!("{report}");
    } else {
        println!(
            "portico bench: {ingested} entities on {}, {n} requests per endpoint",
            bench_db.label
        );
        println!(
            "ingest: {:.3} s ({:.0} entities/s)",
            ingest.as_secs_f64(),
            ingested as f64 / ingest.as_secs_f64()
        );
        println!(
            "{:<36} {:>10} {:>10} {:>10}",
            "endpoint", "p50 ms", "p99 ms", "max ms"
        );
        for r in &results {
            println!(
                "{:<36} {:>10.3} {:>10.3} {:>10.3}",
                r.name,
                r.percentile_ms(0.5),
                r.percentile_ms(0.99),
                r.percentile_ms(1.0)
            );
        }
        println!("RSS after ingest: {rss_after_ingest_mb:.1} MB; peak RSS: {rss_mb:.1} MB");
    }
    drop(catalog);
    bench_db.cleanup();
    Ok(())
}

/// The real HTTP server, in this process, on a free port of 127.0.0.1.
struct BenchServer {
    port: u16,
    handle: actix_web::dev::ServerHandle,
    thread: std::thread::JoinHandle<std::io::Result<()>>,
}

impl BenchServer {
    fn start(state: portico_server::AppState) -> Result<BenchServer, AnyError> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || -> std::io::Result<()> {
            actix_web::rt::System::new().block_on(async move {
                let server = portico_server::serve_state(listener, state)?;
                let _ = tx.send(server.handle());
                server.await
            })
        });
        let handle = rx
            .recv_timeout(Duration::from_secs(30))
            .map_err(|_| "the server did not start")?;
        Ok(BenchServer {
            port,
            handle,
            thread,
        })
    }

    fn stop(self) {
        actix_web::rt::System::new().block_on(self.handle.stop(true));
        let _ = self.thread.join();
    }
}

fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

fn measure(
    agent: &ureq::Agent,
    name: &'static str,
    n: usize,
    url: impl Fn(usize) -> String,
) -> Result<Latencies, AnyError> {
    // Warm the connection and caches; not measured.
    for i in 0..n.min(20) {
        get(agent, &url(i))?;
    }
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let u = url(i);
        let t = Instant::now();
        get(agent, &u)?;
        samples.push(t.elapsed());
    }
    Ok(Latencies { name, samples })
}

fn get(agent: &ureq::Agent, url: &str) -> Result<(), AnyError> {
    let mut res = agent.get(url).call()?;
    let status = res.status();
    let body = res.body_mut().read_to_string()?;
    if !status.is_success() {
        return Err(format!("GET {url} answered {status}: {body}").into());
    }
    Ok(())
}

/// Resident memory of this process (server and client together), in MB:
/// `VmRSS` now, or `VmHWM` for the peak.
fn proc_status_mb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn current_rss_mb() -> f64 {
    proc_status_mb("VmRSS:")
}

fn peak_rss_mb() -> f64 {
    proc_status_mb("VmHWM:")
}

struct BenchDatabase {
    store: Store,
    label: String,
    pg_schema: Option<(String, String)>,
}

impl BenchDatabase {
    fn open(database: &str, tmp: &std::path::Path) -> Result<BenchDatabase, AnyError> {
        if database == "sqlite" {
            let url = format!("sqlite://{}", tmp.join("bench.db").display());
            return Ok(BenchDatabase {
                store: Store::open(&url)?,
                label: "SQLite".to_string(),
                pg_schema: None,
            });
        }
        if database.starts_with("postgres://") || database.starts_with("postgresql://") {
            let schema = format!("portico_bench_{}", std::process::id());
            let url = portico_store::create_schema(database, &schema)?;
            return Ok(BenchDatabase {
                store: Store::open(&url)?,
                label: "PostgreSQL".to_string(),
                pg_schema: Some((database.to_string(), schema)),
            });
        }
        Err(format!("--database must be 'sqlite' or a postgres:// URL, not '{database}'").into())
    }

    fn cleanup(self) {
        drop(self.store);
        if let Some((url, schema)) = self.pg_schema {
            if let Err(e) = portico_store::drop_schema(&url, &schema) {
                eprintln!("warning: could not drop bench schema {schema}: {e}");
            }
        }
    }
}
