use std::time::{Duration, Instant};

use portico_store::testing::TestDb;
use portico_store::{EntityRow, RelationRow, StoreError};

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
