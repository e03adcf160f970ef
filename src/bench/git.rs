//! `portico bench --git-locations N`: N repositories with one catalog file
//! each, registered as `git` locations; measures a refresh cycle over them
//! when nothing changed, and push-to-visible latency through the webhook.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use portico_catalog::read::GitCache;
use portico_catalog::{AddMode, Catalog, CatalogConfig};
use portico_git::serve::GitDaemon;
use portico_git::GitOptions;
use serde_json::json;

use super::{round, BenchArgs, BenchDatabase, BenchServer, Latencies};
use crate::AnyError;

const SECRET: &str = "bench-webhook-secret";
const AUTHOR: (&str, &str) = ("Portico Bench", "bench@portico.local");

fn catalog_file(i: usize, revision: usize) -> String {
    format!(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc-{i:05}\n  description: revision {revision}\nspec:\n  type: service\n  lifecycle: production\n  owner: team-{}\n",
        i % 40
    )
}

pub fn run(args: &BenchArgs, count: usize) -> Result<(), AnyError> {
    let dir = tempfile::tempdir()?;
    let repos = dir.path().join("repos");
    let started = Instant::now();
    for i in 0..count {
        let repo = repos.join(format!("svc-{i:05}.git"));
        portico_git::write::init_bare(&repo, "main")?;
        let file = catalog_file(i, 0);
        portico_git::write::commit_files(
            &repo,
            "main",
            &[("catalog-info.yaml", Some(file.as_bytes()))],
            "add catalog file",
            AUTHOR,
        )?;
    }
    let setup = started.elapsed();

    let daemon = match args.git_transport.as_str() {
        "local" => None,
        "daemon" => Some(GitDaemon::start(&repos)?),
        other => {
            return Err(format!("--git-transport must be local or daemon, not {other}").into())
        }
    };
    let repo_url = |i: usize| match &daemon {
        Some(daemon) => daemon.url(&format!("svc-{i:05}.git")),
        None => format!("file://{}", repos.join(format!("svc-{i:05}.git")).display()),
    };

    let bench_db = BenchDatabase::open(&args.database, dir.path())?;
    let mut config = CatalogConfig::default();
    config.read.allow_local_repositories = true;
    config.read.allowed_hosts = Some(vec!["127.0.0.1".to_string()]);
    config.read.git = GitCache::new(GitOptions {
        cache_dir: dir.path().join("mirrors"),
        ..GitOptions::default()
    });
    let catalog = Arc::new(Catalog::open(bench_db.store.clone(), config)?);

    let started = Instant::now();
    let mut ids = Vec::with_capacity(count);
    for i in 0..count {
        let target = format!("{}//catalog-info.yaml?ref=main", repo_url(i));
        ids.push(
            catalog
                .add_location("git", &target, AddMode::Strict)?
                .location
                .id,
        );
    }
    let register = started.elapsed();

    // Refresh cycles over unchanged repositories: everything made due at
    // once, as a cold start or a long pause would.
    let mut cycles = Vec::new();
    let cpu_before = own_cpu_ms();
    for _ in 0..3 {
        catalog.store().transaction(|tx| {
            for id in &ids {
                tx.schedule_location(id, 0)?;
            }
            Ok::<_, portico_store::StoreError>(())
        })?;
        let seq = catalog.store().read(|tx| tx.last_change_seq())?;
        let t = Instant::now();
        let refreshed = catalog.refresh_due()?;
        cycles.push(t.elapsed());
        if refreshed != count {
            return Err(format!("a cycle refreshed {refreshed} of {count} locations").into());
        }
        if catalog.store().read(|tx| tx.last_change_seq())? != seq {
            return Err("a cycle over unchanged repositories wrote something".into());
        }
    }
    // Portico's own CPU per cycle; the rest of a cycle's time is the remote
    // (for `daemon`: git-daemon starting an upload-pack per connection).
    let cpu_per_cycle = (own_cpu_ms() - cpu_before) / 3.0;
    cycles.sort();

    let pushes = push_latency(
        &catalog,
        args.pushes.min(count.max(1)),
        count,
        &repos,
        &repo_url,
    )?;

    let cycle_ms = |d: Duration| round(d.as_secs_f64() * 1000.0, 1);
    let report = json!({
        "git_locations": count,
        "transport": args.git_transport,
        "database": bench_db.label,
        "setup_s": round(setup.as_secs_f64(), 2),
        "register_s": round(register.as_secs_f64(), 2),
        "refresh_cycle_unchanged_ms_min": cycle_ms(cycles[0]),
        "refresh_cycle_unchanged_ms_median": cycle_ms(cycles[cycles.len() / 2]),
        "refresh_cycle_portico_cpu_ms": round(cpu_per_cycle, 0),
        "push_to_visible_p50_ms": round(pushes.percentile_ms(0.5), 2),
        "push_to_visible_p99_ms": round(pushes.percentile_ms(0.99), 2),
        "pushes": pushes.samples.len(),
    });
    if args.json {
        println!("{report}");
    } else {
        println!(
            "portico bench: {count} git locations ({} repositories) on {}",
            args.git_transport, bench_db.label
        );
        println!("create repositories: {:.2} s", setup.as_secs_f64());
        println!("register locations:  {:.2} s", register.as_secs_f64());
        println!(
            "refresh cycle, nothing changed: min {:.1} ms, median {:.1} ms (3 cycles)",
            cycles[0].as_secs_f64() * 1000.0,
            cycles[cycles.len() / 2].as_secs_f64() * 1000.0
        );
        println!("  of which Portico's own CPU: {cpu_per_cycle:.0} ms per cycle");
        println!(
            "push to visible over {} pushes: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            pushes.samples.len(),
            pushes.percentile_ms(0.5),
            pushes.percentile_ms(0.99),
            pushes.percentile_ms(1.0)
        );
    }
    drop(catalog);
    drop(daemon);
    bench_db.cleanup();
    Ok(())
}

/// User and system CPU time of this process (not its children), in ms.
fn own_cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields of the whole line, in clock ticks (100 per second).
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) * 10.0
}

/// Commits a change to a repository, sends the push webhook to the real
/// server and polls the entity until the change is served; `pushes` times.
fn push_latency(
    catalog: &Arc<Catalog>,
    pushes: usize,
    count: usize,
    repos: &Path,
    repo_url: &dyn Fn(usize) -> String,
) -> Result<Latencies, AnyError> {
    let server = BenchServer::start(portico_server::AppState::for_catalog(
        catalog.clone(),
        Some(SECRET.to_string()),
    )?)?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let base = format!("http://127.0.0.1:{}", server.port);
    let mut samples = Vec::with_capacity(pushes);
    for n in 0..pushes {
        let i = (n * 7919) % count;
        let revision = n + 1;
        let file = catalog_file(i, revision);
        portico_git::write::commit_files(
            &repos.join(format!("svc-{i:05}.git")),
            "main",
            &[("catalog-info.yaml", Some(file.as_bytes()))],
            "bump revision",
            AUTHOR,
        )?;
        let t = Instant::now();
        let body = json!({
            "ref": "refs/heads/main",
            "repository": { "clone_url": repo_url(i), "default_branch": "main" }
        })
        .to_string();
        let signature = format!("sha256={}", portico_forge::sign(SECRET, body.as_bytes()));
        let mut res = agent
            .post(&format!("{base}/api/catalog/webhooks/git"))
            .header("Content-Type", "application/json")
            .header("X-GitHub-Event", "push")
            .header("X-Hub-Signature-256", &signature)
            .send(body.as_bytes())?;
        if !res.status().is_success() {
            let text = res.body_mut().read_to_string()?;
            return Err(format!("webhook answered {}: {text}", res.status()).into());
        }
        let expected = format!("revision {revision}");
        let url = format!("{base}/api/catalog/entities/by-name/component/default/svc-{i:05}");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let mut res = agent.get(&url).call()?;
            let text = res.body_mut().read_to_string()?;
            if text.contains(&expected) {
                break;
            }
            if Instant::now() > deadline {
                return Err(format!("push {n} to svc-{i:05} not visible after 30 s").into());
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        samples.push(t.elapsed());
    }
    server.stop();
    Ok(Latencies {
        name: "push to visible",
        samples,
    })
}
