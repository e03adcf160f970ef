//! `portico bench --entities N --docs-pages M`: the search bench. A
//! generated catalog and a generated docs site go through the real
//! pipeline into a fresh store; then the search index is built from the
//! database the way a replica builds it at start (timed until ready), and
//! 1,000 mixed queries (names, prefixes, typos, phrases, filters, doc
//! words) are answered by it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use portico_catalog::{AddMode, Catalog, CatalogConfig};
use portico_search::SearchQuery;
use portico_server::search::Search;
use serde_json::json;

use super::{current_rss_mb, generate, BenchArgs, BenchDatabase, Latencies};
use crate::AnyError;

/// Pages per generated site.
const SITE_PAGES: usize = 5_000;

pub fn run(args: &BenchArgs, entities: usize, pages: usize) -> Result<(), AnyError> {
    let dir = tempfile::tempdir()?;
    let catalog_dir = args
        .catalog_dir
        .clone()
        .unwrap_or_else(|| dir.path().join("catalog"));
    let generated = generate::generate(&catalog_dir, entities, args.seed)?;
    // Sites of at most 5,000 pages, as big handbooks are.
    let sites: Vec<(String, usize)> = (0..pages.div_ceil(SITE_PAGES))
        .map(|i| {
            (
                format!("handbook-{i:02}"),
                SITE_PAGES.min(pages - i * SITE_PAGES),
            )
        })
        .collect();
    for (i, (name, n)) in sites.iter().enumerate() {
        super::docs::generate_named_site(&dir.path().join(name), name, *n, args.seed + i as u64)?;
    }

    let bench_db = BenchDatabase::open(&args.database, dir.path())?;
    let catalog = Arc::new(Catalog::open(
        bench_db.store.clone(),
        CatalogConfig::default(),
    )?);
    let started = Instant::now();
    catalog.add_location("file", &generated.root.to_string_lossy(), AddMode::Lenient)?;
    for (name, _) in &sites {
        let file = dir.path().join(name).join("catalog-info.yaml");
        catalog.add_location("file", &file.to_string_lossy(), AddMode::Lenient)?;
    }
    let ingest = started.elapsed();
    let state = portico_server::AppState::for_catalog(catalog.clone(), None)?;
    let started = Instant::now();
    for (name, _) in &sites {
        let entity_ref = format!("component:default/{name}");
        let entity = catalog
            .index()
            .get(&entity_ref)
            .ok_or("a generated docs entity was not ingested")?
            .value();
        let outcome = state.docs.build(&entity_ref, &entity, false, &mut |_| {})?;
        if !outcome.updated() {
            return Err(format!("{entity_ref}: the docs site was not built: {outcome:?}").into());
        }
    }
    let docs_build = started.elapsed();
    drop(state);

    // The index a replica builds at start, from the database, on disk.
    let index_dir = dir.path().join("search");
    let started = Instant::now();
    let search = Search::start(bench_db.store.clone(), Some(&index_dir))?;
    while !search.is_ready() {
        if started.elapsed() > Duration::from_secs(600) {
            return Err("the search index was not ready within 600 s".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let index_build = started.elapsed();
    let documents = search.index().num_docs();
    // Queries are measured on the index a replica serves from for the rest
    // of its life: after the rebuild's segments are merged into one (the
    // merge runs in the background and would compete for the two cores).
    let segments_at_ready = search.index().num_segments();
    while search.index().num_segments() > 1 {
        if started.elapsed() > Duration::from_secs(600) {
            return Err("the search index was not merged within 600 s".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let merged = started.elapsed();

    let queries = mixed_queries(&generated.components, 1_000);
    // One pass to warm the caches a long-running replica has warm.
    for (_, q) in queries.iter().take(100) {
        search.index().query(q)?;
    }
    let mut all = Latencies {
        name: "all",
        samples: Vec::new(),
    };
    let mut by_kind: Vec<Latencies> = Vec::new();
    let mut empty = 0usize;
    for (kind, q) in &queries {
        let started = Instant::now();
        let page = search.index().query(q)?;
        let took = started.elapsed();
        empty += usize::from(page.number_of_results == 0);
        all.samples.push(took);
        match by_kind.iter_mut().find(|l| l.name == *kind) {
            Some(l) => l.samples.push(took),
            None => by_kind.push(Latencies {
                name: kind,
                samples: vec![took],
            }),
        }
    }
    // Let a background merge settle before measuring the directory.
    std::thread::sleep(Duration::from_secs(2));
    let size_mb = search.index().size_on_disk() as f64 / 1e6;
    let rss = current_rss_mb();
    let peak = super::peak_rss_mb();

    if args.json {
        println!(
            "{}",
            json!({
                "entities": generated.entities,
                "docPages": pages,
                "database": bench_db.label,
                "ingestSeconds": ingest.as_secs_f64(),
                "docsBuildSeconds": docs_build.as_secs_f64(),
                "indexBuildSeconds": index_build.as_secs_f64(),
                "indexMergedSeconds": merged.as_secs_f64(),
                "segmentsAtReady": segments_at_ready,
                "indexDocuments": documents,
                "indexMegabytes": size_mb,
                "queries": queries.len(),
                "queriesWithoutResults": empty,
                "p50Ms": all.percentile_ms(0.5),
                "p99Ms": all.percentile_ms(0.99),
                "byKind": by_kind.iter().map(|l| json!({
                    "kind": l.name, "p50Ms": l.percentile_ms(0.5), "p99Ms": l.percentile_ms(0.99)
                })).collect::<Vec<_>>(),
                "rssMb": rss,
                "peakRssMb": peak,
            })
        );
        return Ok(());
    }
    println!(
        "search bench: {} entities, {pages} doc pages, {}",
        generated.entities, bench_db.label
    );
    println!("{:<34} {:>12}", "measure", "value");
    println!(
        "{:<34} {:>10.1} s",
        "ingest (catalog + docs entity)",
        ingest.as_secs_f64()
    );
    println!("{:<34} {:>10.1} s", "docs build", docs_build.as_secs_f64());
    println!(
        "{:<34} {:>10.1} s",
        "index build (until ready)",
        index_build.as_secs_f64()
    );
    println!(
        "{:<34} {:>10.1} s",
        format!("index merged ({segments_at_ready} segments to 1)"),
        merged.as_secs_f64()
    );
    println!("{:<34} {:>12}", "index documents", documents);
    println!("{:<34} {:>9.0} MB", "index size on disk", size_mb);
    println!(
        "{:<34} {:>12}",
        "queries (no result)",
        format!("{} ({empty})", queries.len())
    );
    println!("{:<34} {:>9.2} ms", "query p50", all.percentile_ms(0.5));
    println!("{:<34} {:>9.2} ms", "query p99", all.percentile_ms(0.99));
    for l in &by_kind {
        println!(
            "{:<34} {:>5.2} / {:>5.2} ms",
            format!("  {} p50 / p99", l.name),
            l.percentile_ms(0.5),
            l.percentile_ms(0.99)
        );
    }
    println!("{:<34} {:>9.0} MB", "RSS", rss);
    println!("{:<34} {:>9.0} MB", "peak RSS", peak);
    Ok(())
}

/// A typo a user makes: two neighbouring letters swapped.
fn typo(word: &str) -> String {
    let mut chars: Vec<char> = word.chars().collect();
    if chars.len() > 4 {
        chars.swap(2, 3);
    }
    chars.into_iter().collect()
}

/// `count` queries cycling through the kinds a search box sees.
fn mixed_queries(components: &[String], count: usize) -> Vec<(&'static str, SearchQuery)> {
    let doc_phrases = [
        "\"rollout status\"",
        "\"replicas template\"",
        "\"containerPort\"",
    ];
    let doc_words = [
        "kubectl logs",
        "failover budget",
        "retry timeout",
        "partition consumer",
    ];
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let name = components
            .get((i * 7919) % components.len().max(1))
            .cloned()
            .unwrap_or_else(|| "payments".to_string());
        let word = name.split('-').next().unwrap_or("payments").to_string();
        let query = match i % 6 {
            0 => ("name", SearchQuery::term(name.clone())),
            1 => (
                "prefix",
                SearchQuery::term(name.chars().take(6).collect::<String>()),
            ),
            2 => ("typo", SearchQuery::term(typo(&word))),
            3 => (
                "phrase",
                SearchQuery::term(doc_phrases[i % doc_phrases.len()]),
            ),
            4 => (
                "filter",
                SearchQuery::term(word.clone()).filter("kind", "component"),
            ),
            _ => (
                "doc words",
                SearchQuery::term(doc_words[i % doc_words.len()]),
            ),
        };
        out.push(query);
    }
    out
}
