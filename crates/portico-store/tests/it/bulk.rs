use std::time::{Duration, Instant};

use portico_store::testing::TestDb;
use portico_store::{DocPageRow, EntityRow, RelationRow, StoreError};

use crate::docs::{page, site};
use crate::{entity, refs, relation};

/// The size of a big catalog refresh: 10,000 entities and 40,000 relation rows written in
/// one transaction. Run with
/// `cargo test --release -p portico-store -- --ignored --nocapture bulk`.
#[test]
#[ignore = "timing; run by hand in a release build"]
fn bulk_refresh_timing() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let refs = refs(10_000);
        let payload = "x".repeat(800);
        let entities: Vec<EntityRow> = refs
            .iter()
            .map(|r| EntityRow {
                final_json: Some(format!(r#"{{"ref":"{r}","pad":"{payload}"}}"#)),
                processed_json: Some(format!(r#"{{"ref":"{r}"}}"#)),
                ..entity(r, "loc-1")
            })
            .collect();
        let relations: Vec<RelationRow> = refs
            .iter()
            .flat_map(|r| {
                [
                    relation(r, "ownedBy", "group:default/team", r),
                    relation("group:default/team", "ownerOf", r, r),
                    relation(r, "partOf", "system:default/s", r),
                    relation("system:default/s", "hasPart", r, r),
                ]
            })
            .collect();

        let write = |label: &str| -> Duration {
            let start = Instant::now();
            db.store()
                .transaction(|tx| -> Result<(), StoreError> {
                    tx.delete_relations_by_origins(&refs)?;
                    tx.upsert_entities(&entities)?;
                    tx.insert_relations(&relations)?;
                    tx.append_changes(&refs, 1)
                })
                .unwrap();
            let elapsed = start.elapsed();
            eprintln!(
                "{backend:?} {label}: 10k entities + 40k relations + 10k changes in {elapsed:?}"
            );
            elapsed
        };
        let first = write("insert");
        let second = write("overwrite");

        let start = Instant::now();
        let read = db.store().read(|tx| tx.entities_by_refs(&refs)).unwrap();
        eprintln!(
            "{backend:?} read back 10k entities by ref in {:?}",
            start.elapsed()
        );
        assert_eq!(read.len(), 10_000);

        if backend == portico_store::Backend::Sqlite && !cfg!(debug_assertions) {
            assert!(first < Duration::from_secs(1), "{first:?}");
            assert!(second < Duration::from_secs(1), "{second:?}");
        }
    }
}

/// A big documentation site: 5,000 pages of about 10 KB written in one replace, first into
/// an empty store and then over the same site. Run with
/// `cargo test --release -p portico-store -- --ignored --nocapture bulk`.
#[test]
#[ignore = "timing; run by hand in a release build"]
fn bulk_doc_site_timing() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let pages: Vec<DocPageRow> = (0..5_000)
            .map(|i| {
                page(
                    &format!("section-{}/page-{i:04}/index.html", i % 37),
                    &text_html(i, 10_000),
                )
            })
            .collect();
        let bytes: usize = pages.iter().map(|p| p.html.len()).sum();

        let write = |label: &str, etag: &str| -> Duration {
            let start = Instant::now();
            db.store()
                .transaction(|tx| {
                    tx.replace_doc_site(&site("component:default/big", etag, 1), &pages, &[])
                })
                .unwrap();
            let elapsed = start.elapsed();
            eprintln!(
                "{backend:?} {label}: replace_doc_site of 5000 pages ({} MB of HTML) in {elapsed:?}",
                bytes / 1_000_000
            );
            elapsed
        };
        let first = write("insert", "1");
        let second = write("overwrite", "2");

        let start = Instant::now();
        let paths = db
            .store()
            .read(|tx| tx.doc_file_paths("component:default/big"))
            .unwrap();
        eprintln!(
            "{backend:?} doc_file_paths of 5000 pages in {:?}",
            start.elapsed()
        );
        assert_eq!(paths.len(), 5_000);
        let start = Instant::now();
        let found = db
            .store()
            .read(|tx| tx.doc_page("component:default/big", &pages[4321].path))
            .unwrap();
        eprintln!("{backend:?} one doc_page in {:?}", start.elapsed());
        assert_eq!(found.as_ref(), Some(&pages[4321]));

        // PostgreSQL's time depends on the server (and on lz4 being available to it), so
        // only SQLite is held to the target, as in `bulk_refresh_timing`.
        if backend == portico_store::Backend::Sqlite && !cfg!(debug_assertions) {
            assert!(first < Duration::from_secs(1), "{first:?}");
            assert!(second < Duration::from_secs(1), "{second:?}");
        }
    }
}

/// About `len` bytes of HTML paragraphs of varied words, different for each `seed`, so the
/// databases' compression has real text to work on rather than one repeated byte.
fn text_html(seed: u64, len: usize) -> String {
    const WORDS: &[&str] = &[
        "service",
        "deploy",
        "the",
        "runbook",
        "latency",
        "of",
        "database",
        "replica",
        "and",
        "alert",
        "kubernetes",
        "rollback",
        "owner",
        "team",
        "on-call",
        "metrics",
        "a",
        "to",
        "config",
        "incident",
        "cache",
        "queue",
        "throughput",
        "retry",
        "timeout",
        "region",
    ];
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut html = String::with_capacity(len + 64);
    while html.len() < len {
        html.push_str("<p>");
        for _ in 0..40 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            html.push_str(WORDS[(state >> 33) as usize % WORDS.len()]);
            html.push(' ');
        }
        html.push_str(&format!("{}</p>\n", state % 100_000));
    }
    html
}
