//! `portico bench --scorecards`: a generated catalog (100,000 entities by
//! default) goes through the real pipeline into a fresh store; a scorecard
//! of 10 checks that applies to every entity is evaluated over all of it
//! (first with every history row to write, then again with none), and then
//! after single-entity changes written the way another replica writes them:
//! the changed row and a change-log entry.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use portico_catalog::{AddMode, Catalog, CatalogConfig};
use portico_scorecards::Scorecard;
use portico_server::scorecards::{Evaluator, Results};
use portico_store::Store;
use serde_json::{json, Value};

use super::{current_rss_mb, generate, peak_rss_mb, round, BenchArgs, BenchDatabase, Latencies};
use crate::AnyError;

/// Ten checks, every kind of input: other entities (owner, system,
/// dependencies), docs sites, the entity's own fields, its processing
/// status and its definition time.
const BENCH_CARD: &str = "
name: bench
checks:
  - { id: owner, type: owner-is-team }
  - { id: description, type: description }
  - { id: lifecycle, type: lifecycle }
  - { id: system, type: part-of-system }
  - { id: techdocs, type: techdocs }
  - { id: runbook, type: runbook }
  - { id: on-call, type: on-call }
  - { id: dependencies, type: no-deprecated-dependencies }
  - { id: healthy, type: healthy }
  - { id: fresh, type: updated-within, days: 180 }
levels:
  - { name: bronze, checks: [owner, description, lifecycle, system] }
  - { name: silver, checks: [techdocs, runbook, dependencies, healthy] }
  - { name: gold, checks: [on-call, fresh] }
";

const ON_CALL: &str = "pagerduty.com/service-id";

pub fn run(args: &BenchArgs) -> Result<(), AnyError> {
    let dir = tempfile::tempdir()?;
    let catalog_dir = args
        .catalog_dir
        .clone()
        .unwrap_or_else(|| dir.path().join("catalog"));
    let generated = generate::generate(&catalog_dir, args.entities.unwrap_or(100_000), args.seed)?;
    let bench_db = BenchDatabase::open(&args.database, dir.path())?;
    let store = bench_db.store.clone();
    let catalog = Arc::new(Catalog::open(store.clone(), CatalogConfig::default())?);
    let started = Instant::now();
    catalog.add_location("file", &generated.root.to_string_lossy(), AddMode::Lenient)?;
    let ingest = started.elapsed();
    let entities = catalog.index().len();

    let card = Scorecard::from_yaml(BENCH_CARD)?;
    let checks = card.checks.len();
    let results = RwLock::new(Results::default());
    let mut evaluator = Evaluator::new(vec![Arc::new(card)], &store, 180)?;
    let cold = evaluator.full(&catalog, &results)?;
    let warm = evaluator.full(&catalog, &results)?;
    if warm.entities != entities {
        return Err(format!("evaluated {} entities of {entities}", warm.entities).into());
    }

    // Single-entity changes: a component gains or loses its on-call
    // annotation, so its results and today's history rows change.
    let samples = args.requests.clamp(1, 1_000);
    let comps = &generated.components;
    let mut visible = Latencies {
        name: "single-entity change, served",
        samples: Vec::with_capacity(samples),
    };
    let mut total = Latencies {
        name: "single-entity change, stored",
        samples: Vec::with_capacity(samples),
    };
    let (mut evaluated, mut written) = (0usize, 0usize);
    for i in 0..samples {
        let entity_ref = format!("component:default/{}", comps[(i * 7919) % comps.len()]);
        let on_call = toggle_on_call(&store, &entity_ref)?;
        let pass = evaluator.changed(&catalog, &results, std::slice::from_ref(&entity_ref), &[])?;
        evaluated += pass.evaluated;
        written += pass.written;
        visible.samples.push(pass.visible);
        total.samples.push(pass.total);
        let passed = results
            .read()
            .map_err(|_| "results poisoned")?
            .entities
            .get(entity_ref.as_str())
            .and_then(|s| s.score("bench"))
            .and_then(|s| s.checks.iter().find(|c| &*c.id == "on-call"))
            .map(|c| c.outcome == portico_scorecards::Outcome::Pass);
        if passed != Some(on_call) {
            return Err(format!(
                "{entity_ref}: the on-call check is {passed:?} after the change, expected {on_call}"
            )
            .into());
        }
    }
    let rss_mb = peak_rss_mb();
    let secs = |d: Duration| round(d.as_secs_f64(), 3);
    let report = json!({
        "entities": entities,
        "checks": checks,
        "ingest_s": secs(ingest),
        "full_first_evaluate_s": secs(cold.evaluated),
        "full_first_history_s": secs(cold.stored),
        "full_first_history_entities": cold.written,
        "full_evaluate_s": secs(warm.evaluated),
        "full_history_s": secs(warm.stored),
        "change_served_p50_ms": round(visible.percentile_ms(0.5), 3),
        "change_served_p99_ms": round(visible.percentile_ms(0.99), 3),
        "change_served_max_ms": round(visible.percentile_ms(1.0), 3),
        "change_stored_p50_ms": round(total.percentile_ms(0.5), 3),
        "change_stored_p99_ms": round(total.percentile_ms(0.99), 3),
        "change_samples": samples,
        "entities_evaluated_per_change": round(evaluated as f64 / samples as f64, 2),
        "entities_written_per_change": round(written as f64 / samples as f64, 2),
        "rss_mb": round(rss_mb, 1),
        "rss_now_mb": round(current_rss_mb(), 1),
    });
    if args.json {
        println!("{report}");
        drop(evaluator);
        drop(catalog);
        bench_db.cleanup();
        return Ok(());
    }
    println!(
        "portico bench --scorecards: {entities} entities x {checks} checks on {}",
        bench_db.label
    );
    println!("ingest: {:.3} s", ingest.as_secs_f64());
    println!("{:<52} {:>10}", "measure", "value");
    let row = |name: String, value: f64| println!("{name:<52} {value:>10.3}");
    row(
        "full pass, first: evaluate (s)".into(),
        cold.evaluated.as_secs_f64(),
    );
    row(
        format!("full pass, first: history of {} entities (s)", cold.written),
        cold.stored.as_secs_f64(),
    );
    row(
        "full pass, again: evaluate (s)".into(),
        warm.evaluated.as_secs_f64(),
    );
    row(
        format!("full pass, again: history of {} entities (s)", warm.written),
        warm.stored.as_secs_f64(),
    );
    for latencies in [&visible, &total] {
        for (label, q) in [("p50", 0.5), ("p99", 0.99), ("max", 1.0)] {
            row(
                format!("{} {label} (ms)", latencies.name),
                latencies.percentile_ms(q),
            );
        }
    }
    row(
        format!("entities evaluated per change ({samples} changes)"),
        evaluated as f64 / samples as f64,
    );
    row("peak RSS (MB)".into(), rss_mb);
    drop(evaluator);
    drop(catalog);
    bench_db.cleanup();
    Ok(())
}

/// Adds the on-call annotation to the entity's served JSON, or removes it,
/// as a write of another replica would: the row and a change-log entry.
/// Returns whether the entity has it now.
fn toggle_on_call(store: &Store, entity_ref: &str) -> Result<bool, AnyError> {
    store.transaction(|tx| {
        let mut row = tx
            .entities_by_refs(&[entity_ref.to_owned()])?
            .pop()
            .ok_or_else(|| format!("{entity_ref} is not stored"))?;
        let mut entity: Value = serde_json::from_str(row.final_json.as_deref().unwrap_or("{}"))?;
        let annotations = entity
            .pointer_mut("/metadata/annotations")
            .and_then(Value::as_object_mut)
            .ok_or_else(|| format!("{entity_ref} has no annotations"))?;
        let on_call = if annotations.remove(ON_CALL).is_some() {
            false
        } else {
            annotations.insert(ON_CALL.to_owned(), json!("PBENCH1"));
            true
        };
        row.final_json = Some(entity.to_string());
        row.updated_at = portico_store::now_ms();
        tx.upsert_entities(&[row])?;
        tx.append_changes(&[entity_ref.to_owned()], portico_store::now_ms())?;
        Ok::<_, AnyError>(on_call)
    })
}
