use portico_store::testing::TestDb;
use portico_store::RelationRow;

use crate::{refs, relation};

#[test]
fn duplicates_are_ignored_and_rows_are_found_by_source_and_origin() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let a_owned = relation(
            "component:default/a",
            "ownedBy",
            "group:default/g",
            "component:default/a",
        );
        let g_owns = relation(
            "group:default/g",
            "ownerOf",
            "component:default/a",
            "component:default/a",
        );
        let b_owned = relation(
            "component:default/b",
            "ownedBy",
            "group:default/g",
            "component:default/b",
        );
        let g_owns_b = relation(
            "group:default/g",
            "ownerOf",
            "component:default/b",
            "component:default/b",
        );
        // The same edge made by another origin is a row of its own.
        let a_owned_by_b = relation(
            "component:default/a",
            "ownedBy",
            "group:default/g",
            "component:default/b",
        );
        db.store()
            .transaction(|tx| {
                tx.insert_relations(&[a_owned.clone(), g_owns.clone(), a_owned.clone()])
            })
            .unwrap();
        db.store()
            .transaction(|tx| {
                tx.insert_relations(&[
                    g_owns.clone(),
                    b_owned.clone(),
                    g_owns_b.clone(),
                    a_owned_by_b.clone(),
                ])
            })
            .unwrap();

        let by_source = db
            .store()
            .read(|tx| tx.relations_by_sources(&["group:default/g".into()]))
            .unwrap();
        assert_eq!(
            by_source,
            vec![g_owns.clone(), g_owns_b.clone()],
            "{backend:?}"
        );

        let by_source = db
            .store()
            .read(|tx| {
                tx.relations_by_sources(&[
                    "component:default/a".into(),
                    "component:default/none".into(),
                ])
            })
            .unwrap();
        assert_eq!(
            by_source,
            vec![a_owned.clone(), a_owned_by_b.clone()],
            "{backend:?}"
        );

        let by_origin = db
            .store()
            .read(|tx| tx.relations_by_origins(&["component:default/b".into()]))
            .unwrap();
        assert_eq!(
            by_origin,
            vec![a_owned_by_b.clone(), b_owned.clone(), g_owns_b.clone()],
            "{backend:?}"
        );

        db.store()
            .transaction(|tx| tx.delete_relations_by_origins(&["component:default/b".into()]))
            .unwrap();
        let left = db
            .store()
            .read(|tx| {
                tx.relations_by_origins(&[
                    "component:default/a".into(),
                    "component:default/b".into(),
                ])
            })
            .unwrap();
        assert_eq!(left, vec![a_owned, g_owns], "{backend:?}");
    }
}

#[test]
fn many_relations_are_inserted_queried_and_deleted_in_chunks() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let origins = refs(1500);
        // 4 rows per origin: 6000 rows, more than one insert chunk.
        let rows: Vec<RelationRow> = origins
            .iter()
            .flat_map(|o| {
                [
                    relation(o, "ownedBy", "group:default/g", o),
                    relation("group:default/g", "ownerOf", o, o),
                    relation(o, "partOf", "system:default/s", o),
                    relation("system:default/s", "hasPart", o, o),
                ]
            })
            .collect();
        db.store()
            .transaction(|tx| tx.insert_relations(&rows))
            .unwrap();

        let by_origin = db
            .store()
            .read(|tx| tx.relations_by_origins(&origins))
            .unwrap();
        assert_eq!(by_origin.len(), 6000, "{backend:?}");
        let mut expected = rows.clone();
        expected.sort_by(|a, b| {
            (
                &a.source_ref,
                &a.relation_type,
                &a.target_ref,
                &a.origin_ref,
            )
                .cmp(&(
                    &b.source_ref,
                    &b.relation_type,
                    &b.target_ref,
                    &b.origin_ref,
                ))
        });
        assert_eq!(by_origin, expected, "{backend:?}");

        let by_source = db
            .store()
            .read(|tx| tx.relations_by_sources(&origins))
            .unwrap();
        assert_eq!(by_source.len(), 3000, "{backend:?}");
        assert!(by_source
            .iter()
            .all(|r| r.source_ref.starts_with("component:")));

        db.store()
            .transaction(|tx| tx.delete_relations_by_origins(&origins[..1200]))
            .unwrap();
        let left = db
            .store()
            .read(|tx| tx.relations_by_origins(&origins))
            .unwrap();
        assert_eq!(left.len(), 1200, "{backend:?}");
        assert!(left.iter().all(|r| origins[1200..].contains(&r.origin_ref)));
    }
}

#[test]
fn empty_inputs_do_nothing() {
    for db in TestDb::all() {
        let store = db.store();
        store.read(|tx| tx.insert_relations(&[])).unwrap();
        store
            .read(|tx| tx.delete_relations_by_origins(&[]))
            .unwrap();
        assert!(store
            .read(|tx| tx.relations_by_origins(&[]))
            .unwrap()
            .is_empty());
        assert!(store
            .read(|tx| tx.relations_by_sources(&[]))
            .unwrap()
            .is_empty());
    }
}
