//! The writer: visibility, deletes, replacing docs, rebuilds, concurrency.

use std::sync::Arc;
use std::thread;

use portico_search::{Batch, Position, SearchIndex, SearchQuery, Update};

use crate::common::{catalog, component, locations, page, payments, Fixture, PAYMENTS, RUNBOOK};

#[test]
fn a_write_is_visible_after_flush() {
    let index = SearchIndex::in_memory().expect("index");
    let writer = index.writer().expect("writer");
    assert_eq!(
        index
            .query(&SearchQuery::term("payments"))
            .expect("q")
            .number_of_results,
        0
    );
    writer
        .send(Batch {
            updates: vec![Update::UpsertEntity(payments())],
            position: Position {
                entities: 7,
                docs: 3,
            },
        })
        .expect("send");
    let position = writer.flush().expect("flush");
    assert_eq!(
        position,
        Position {
            entities: 7,
            docs: 3
        }
    );
    assert_eq!(index.position(), position);
    let page = index.query(&SearchQuery::term("payments")).expect("q");
    assert_eq!(locations(&page), vec![PAYMENTS.to_owned()]);
    assert_eq!(index.num_docs(), 1);
}

#[test]
fn many_sends_before_one_flush_all_land() {
    let index = SearchIndex::in_memory().expect("index");
    let writer = index.writer().expect("writer");
    for i in 0..50 {
        writer
            .send(Batch {
                updates: vec![Update::UpsertEntity(component(
                    &format!("svc-{i}"),
                    "service",
                    "x",
                    "production",
                ))],
                position: Position {
                    entities: i,
                    docs: 0,
                },
            })
            .expect("send");
    }
    assert_eq!(writer.flush().expect("flush").entities, 49);
    assert_eq!(index.num_docs(), 50);
    // A second handle talks to the same thread.
    let again = index.writer().expect("same writer");
    assert_eq!(again.flush().expect("flush").entities, 49);
}

#[test]
fn upsert_replaces_and_remove_deletes() {
    let f = Fixture::catalog();
    let before = f.index.num_docs();
    let mut changed = payments();
    changed.description = Some("Now about invoices".into());
    f.apply(vec![Update::UpsertEntity(changed)]);
    assert_eq!(f.index.num_docs(), before, "replaced, not added");
    assert!(locations(&f.search("invoices")).contains(&PAYMENTS.to_owned()));
    assert!(!locations(&f.search("refunds")).contains(&PAYMENTS.to_owned()));

    f.apply(vec![Update::RemoveEntity(
        "Component:default/Payments".into(),
    )]);
    assert!(!locations(&f.search("payments")).contains(&PAYMENTS.to_owned()));
    // Its docs are a separate thing and stay until removed.
    assert!(!f.search("rollback").results.is_empty());
    f.apply(vec![Update::RemoveDocs(
        "component:default/payments".into(),
    )]);
    assert!(f.search("rollback").results.is_empty());
    assert!(f.search("operate").results.is_empty());
}

#[test]
fn replace_docs_drops_old_sections() {
    let f = Fixture::catalog();
    let owner = payments();
    f.apply(vec![Update::ReplaceDocs {
        entity_ref: owner.entity_ref.clone(),
        pages: vec![page(
            &owner,
            "Runbook",
            "runbook/",
            &[("Canary release", "canary", "Ship to one pod first")],
        )],
    }]);
    assert!(
        f.search("rollback").results.is_empty(),
        "old words no longer find the page"
    );
    assert!(
        f.search("architecture").results.is_empty(),
        "removed pages are gone"
    );
    assert_eq!(
        locations(&f.search("canary")),
        vec![format!("{RUNBOOK}#canary")]
    );
}

#[test]
fn delete_then_add_in_one_batch_keeps_the_add() {
    let f = Fixture::catalog();
    f.apply(vec![
        Update::RemoveEntity("component:default/payments".into()),
        Update::UpsertEntity(payments()),
    ]);
    assert_eq!(locations(&f.search("payments"))[0], PAYMENTS);
}

#[test]
fn rebuild_replaces_everything() {
    let f = Fixture::catalog();
    f.writer
        .rebuild(
            vec![Update::UpsertEntity(component(
                "fresh",
                "service",
                "x",
                "production",
            ))],
            Position {
                entities: 100,
                docs: 50,
            },
        )
        .expect("rebuild");
    assert_eq!(
        f.writer.flush().expect("flush"),
        Position {
            entities: 100,
            docs: 50
        }
    );
    assert_eq!(f.index.num_docs(), 1);
    assert!(f.search("payments").results.is_empty());
    assert_eq!(f.search("fresh").number_of_results, 1);
}

#[test]
fn a_rebuild_in_parts_is_invisible_until_finished() {
    let f = Fixture::catalog();
    let before = f.index.num_docs();
    let mut rebuild = f.writer.begin_rebuild().expect("begin");
    for name in ["fresh-a", "fresh-b"] {
        rebuild
            .add(vec![Update::UpsertEntity(component(
                name,
                "service",
                "x",
                "production",
            ))])
            .expect("add");
    }
    // A flush meanwhile commits nothing: the old index still answers, at
    // the position the fixture committed.
    assert_eq!(
        f.writer.flush().expect("flush"),
        Position {
            entities: 1,
            docs: 1
        }
    );
    assert_eq!(f.index.num_docs(), before);
    assert_eq!(locations(&f.search("payments"))[0], PAYMENTS);
    assert_eq!(f.search("fresh").number_of_results, 0);

    let at = Position {
        entities: 7,
        docs: 3,
    };
    rebuild.finish(at).expect("finish");
    assert_eq!(f.writer.flush().expect("flush"), at);
    assert_eq!(f.index.num_docs(), 2);
    assert_eq!(f.search("fresh").number_of_results, 2);
    assert_eq!(f.search("payments").number_of_results, 0);
}

#[test]
fn an_abandoned_rebuild_leaves_the_index_as_it_was() {
    let f = Fixture::catalog();
    let before = f.index.num_docs();
    {
        let mut rebuild = f.writer.begin_rebuild().expect("begin");
        rebuild
            .add(vec![Update::UpsertEntity(component(
                "fresh",
                "service",
                "x",
                "production",
            ))])
            .expect("add");
        // Dropped unfinished, as when reading the database fails midway.
    }
    // Later batches commit as usual, on the old content.
    f.apply(vec![Update::UpsertEntity(component(
        "later",
        "service",
        "x",
        "production",
    ))]);
    assert_eq!(f.index.num_docs(), before + 1);
    assert_eq!(f.search("fresh").number_of_results, 0);
    assert_eq!(f.search("later").number_of_results, 1);
    assert_eq!(locations(&f.search("payments"))[0], PAYMENTS);
}

#[test]
fn queries_during_writes_do_not_fail() {
    let index = Arc::new(SearchIndex::in_memory().expect("index"));
    let writer = index.writer().expect("writer");
    writer
        .send(Batch {
            updates: catalog(),
            position: Position::default(),
        })
        .expect("send");
    writer.flush().expect("flush");

    let readers: Vec<_> = (0..3)
        .map(|r| {
            let index = Arc::clone(&index);
            thread::spawn(move || {
                let terms = [
                    "payments",
                    "paym",
                    "rollbacks",
                    "\"roll back\"",
                    "ledgre",
                    "",
                ];
                for i in 0..150 {
                    let term = terms[(i + r) % terms.len()];
                    let page = index
                        .query(&SearchQuery::term(term))
                        .expect("query during writes");
                    if term == "payments" {
                        assert!(page.number_of_results > 0);
                    }
                }
            })
        })
        .collect();
    for i in 0..40 {
        let mut e = component(&format!("churn-{}", i % 7), "service", "x", "production");
        e.description = Some(format!("revision {i}"));
        writer
            .send(Batch {
                updates: vec![
                    Update::UpsertEntity(e),
                    Update::RemoveEntity("component:default/churn-3".into()),
                ],
                position: Position {
                    entities: i,
                    docs: 0,
                },
            })
            .expect("send");
        if i % 10 == 0 {
            writer.flush().expect("flush");
        }
    }
    for reader in readers {
        reader.join().expect("reader thread");
    }
    assert_eq!(writer.flush().expect("flush").entities, 39);
    // churn-0..6 minus the removed churn-3, each once.
    let churn = index
        .query(&SearchQuery {
            page_limit: 100,
            ..SearchQuery::term("churn")
        })
        .expect("query");
    assert_eq!(churn.number_of_results, 6, "{:?}", locations(&churn));
}
