use portico_store::testing::TestDb;
use portico_store::{EntityRow, StoreError};

use crate::{entity, refs};

fn upsert(db: &TestDb, rows: &[EntityRow]) {
    db.store()
        .transaction(|tx| tx.upsert_entities(rows))
        .unwrap();
}

#[test]
fn upsert_inserts_then_overwrites_every_column() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let a = entity("component:default/a", "loc-1");
        let b = entity("component:default/b", "loc-1");
        upsert(&db, &[a.clone(), b.clone()]);
        let stored = db
            .store()
            .read(|tx| tx.entities_by_refs(&[a.entity_ref.clone(), b.entity_ref.clone()]))
            .unwrap();
        assert_eq!(stored, vec![a.clone(), b.clone()], "{backend:?}");

        let changed = EntityRow {
            entity_ref: a.entity_ref.clone(),
            uid: "uid-new".into(),
            etag: "etag-2".into(),
            kind: "Component".into(),
            namespace: "Default".into(),
            name: "A".into(),
            location_id: "loc-2".into(),
            parent_ref: Some("location:default/root".into()),
            source_file: "dir/other.yaml".into(),
            source_line: 42,
            processed_json: Some(r#"{"p":"ü \" ' \\ 日本"}"#.into()),
            final_json: None,
            errors_json: r#"[{"name":"InputError"}]"#.into(),
            content_hash: "hash-2".into(),
            orphan: true,
            created_at: 5,
            updated_at: 6,
        };
        upsert(&db, std::slice::from_ref(&changed));
        let all = db.store().read(|tx| tx.all_entities()).unwrap();
        assert_eq!(all, vec![changed.clone(), b.clone()], "{backend:?}");

        // And back: Some -> None and true -> false are overwritten too.
        upsert(&db, std::slice::from_ref(&a));
        let all = db.store().read(|tx| tx.all_entities()).unwrap();
        assert_eq!(all, vec![a, b], "{backend:?}");
    }
}

#[test]
fn a_ref_repeated_in_one_batch_keeps_the_last_row() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let first = entity("component:default/a", "loc-1");
        let mut second = first.clone();
        second.etag = "etag-2".into();
        let other = entity("component:default/b", "loc-1");
        upsert(&db, &[first, other.clone(), second.clone()]);
        let all = db.store().read(|tx| tx.all_entities()).unwrap();
        assert_eq!(all, vec![second, other], "{backend:?}");
    }
}

#[test]
fn large_batches_are_written_and_read_in_chunks() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let refs = refs(2500);
        let rows: Vec<EntityRow> = refs.iter().map(|r| entity(r, "loc-1")).collect();
        upsert(&db, &rows);

        // Asking in reverse, with a duplicate and unknown refs, still gives each stored
        // entity once, sorted.
        let mut query: Vec<String> = refs.iter().rev().cloned().collect();
        query.push(refs[0].clone());
        query.push("component:default/missing".into());
        let got = db.store().read(|tx| tx.entities_by_refs(&query)).unwrap();
        assert_eq!(got.len(), 2500, "{backend:?}");
        assert_eq!(got, rows, "{backend:?}");

        // Overwrite them all in one call too.
        let rows2: Vec<EntityRow> = rows
            .iter()
            .map(|r| EntityRow {
                etag: "etag-2".into(),
                ..r.clone()
            })
            .collect();
        upsert(&db, &rows2);
        let got = db.store().read(|tx| tx.all_entities()).unwrap();
        assert_eq!(got, rows2, "{backend:?}");

        // Delete more than one chunk's worth.
        db.store()
            .transaction(|tx| tx.delete_entities(&refs[..2400]))
            .unwrap();
        let left: Vec<String> = db
            .store()
            .read(|tx| tx.all_entities())
            .unwrap()
            .into_iter()
            .map(|e| e.entity_ref)
            .collect();
        assert_eq!(left, refs[2400..], "{backend:?}");
    }
}

#[test]
fn empty_inputs_do_nothing() {
    for db in TestDb::all() {
        let store = db.store();
        store.read(|tx| tx.upsert_entities(&[])).unwrap();
        store.read(|tx| tx.delete_entities(&[])).unwrap();
        assert!(store
            .read(|tx| tx.entities_by_refs(&[]))
            .unwrap()
            .is_empty());
        assert!(store.read(|tx| tx.all_entities()).unwrap().is_empty());
    }
}

#[test]
fn entity_is_found_by_uid() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let a = entity("component:default/a", "loc-1");
        upsert(&db, &[a.clone(), entity("component:default/b", "loc-1")]);
        let got = db
            .store()
            .read(|tx| tx.entity_by_uid("uid-component:default/a"))
            .unwrap();
        assert_eq!(got, Some(a), "{backend:?}");
        assert_eq!(
            db.store().read(|tx| tx.entity_by_uid("nope")).unwrap(),
            None
        );
    }
}

#[test]
fn a_uid_taken_by_another_ref_is_refused() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let a = entity("component:default/a", "loc-1");
        upsert(&db, std::slice::from_ref(&a));
        let mut b = entity("component:default/b", "loc-1");
        b.uid = a.uid.clone();
        let result = db.store().transaction(|tx| tx.upsert_entities(&[b]));
        assert!(
            matches!(result, Err(StoreError::Database(_))),
            "{backend:?}: {result:?}"
        );
        let all = db.store().read(|tx| tx.all_entities()).unwrap();
        assert_eq!(all, vec![a], "{backend:?}");
    }
}

#[test]
fn entities_of_location_are_sorted_by_ref() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        upsert(
            &db,
            &[
                entity("system:default/z", "loc-1"),
                entity("api:default/q", "loc-2"),
                entity("api:default/b", "loc-1"),
            ],
        );
        let refs: Vec<String> = db
            .store()
            .read(|tx| tx.entities_of_location("loc-1"))
            .unwrap()
            .into_iter()
            .map(|e| e.entity_ref)
            .collect();
        assert_eq!(refs, ["api:default/b", "system:default/z"], "{backend:?}");
        assert!(db
            .store()
            .read(|tx| tx.entities_of_location("loc-3"))
            .unwrap()
            .is_empty());
    }
}

#[test]
fn deleted_entities_are_gone_and_others_stay() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let keep = entity("component:default/keep", "loc-1");
        upsert(
            &db,
            &[entity("component:default/gone", "loc-1"), keep.clone()],
        );
        db.store()
            .transaction(|tx| {
                tx.delete_entities(&[
                    "component:default/gone".into(),
                    "component:default/never".into(),
                ])
            })
            .unwrap();
        assert_eq!(
            db.store().read(|tx| tx.all_entities()).unwrap(),
            vec![keep],
            "{backend:?}"
        );
        assert_eq!(
            db.store()
                .read(|tx| tx.entity_by_uid("uid-component:default/gone"))
                .unwrap(),
            None
        );
    }
}

#[test]
fn light_queries_return_refs_and_final_json_only() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let mut never_final = entity("component:default/broken", "loc-1");
        never_final.final_json = None;
        let mut rows = vec![never_final];
        for i in 0..7 {
            let mut e = entity(&format!("component:default/c{i}"), "loc-1");
            e.final_json = Some(format!("{{\"n\":{i}}}"));
            rows.push(e);
        }
        rows.push(entity("api:default/other", "loc-2"));
        upsert(&db, &rows);

        let refs = db
            .store()
            .read(|tx| tx.entity_refs_of_location("loc-1"))
            .unwrap();
        assert_eq!(refs.len(), 8, "{backend:?}");
        assert_eq!(refs[0], "component:default/broken");

        // Paging by ref walks every final entity once and skips the one without.
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = db
                .store()
                .read(|tx| tx.final_entities_page(after.as_deref(), 3))
                .unwrap();
            let Some(last) = page.last() else { break };
            after = Some(last.0.clone());
            seen.extend(page);
        }
        let seen_refs: Vec<&str> = seen.iter().map(|(r, _)| r.as_str()).collect();
        assert!(
            !seen_refs.contains(&"component:default/broken"),
            "{backend:?}"
        );
        assert!(seen_refs.contains(&"component:default/c6"), "{backend:?}");
        let mut sorted = seen_refs.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(seen_refs, sorted, "{backend:?}: in order, each once");
        assert_eq!(
            seen.iter()
                .find(|(r, _)| r == "component:default/c3")
                .unwrap()
                .1,
            "{\"n\":3}"
        );

        let wanted = vec![
            "component:default/c1".to_string(),
            "component:default/broken".to_string(),
            "api:default/none".to_string(),
        ];
        let got = db
            .store()
            .read(|tx| tx.final_json_by_refs(&wanted))
            .unwrap();
        assert_eq!(
            got,
            vec![
                ("component:default/broken".to_string(), None),
                (
                    "component:default/c1".to_string(),
                    Some("{\"n\":1}".to_string())
                )
            ],
            "{backend:?}"
        );
    }
}
