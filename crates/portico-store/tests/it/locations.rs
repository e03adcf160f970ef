use portico_store::testing::TestDb;
use portico_store::{StoreError, Tx};

use crate::location;

#[test]
fn inserted_location_is_found_by_id_and_by_target() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let mut row = location("loc-1", "https://example.com/catalog-info.yaml", 10);
        row.content_hash = Some("abc".into());
        row.refreshed_at = Some(11);
        db.store()
            .transaction(|tx| tx.insert_location(&row))
            .unwrap();

        db.store()
            .read(|tx: &mut Tx<'_>| -> Result<(), StoreError> {
                assert_eq!(tx.location("loc-1")?, Some(row.clone()), "{backend:?}");
                assert_eq!(tx.location("loc-2")?, None, "{backend:?}");
                assert_eq!(
                    tx.location_by_target("url", "https://example.com/catalog-info.yaml")?,
                    Some(row.clone()),
                    "{backend:?}"
                );
                assert_eq!(
                    tx.location_by_target("file", "https://example.com/catalog-info.yaml")?,
                    None,
                    "{backend:?}: the type is part of the key"
                );
                assert_eq!(
                    tx.location_by_target("url", "https://example.com/other")?,
                    None
                );
                Ok(())
            })
            .unwrap();
    }
}

#[test]
fn duplicate_type_and_target_is_a_conflict() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        db.store()
            .read(|tx| tx.insert_location(&location("a", "t1", 1)))
            .unwrap();

        let same_target = db
            .store()
            .read(|tx| tx.insert_location(&location("b", "t1", 2)));
        assert!(
            matches!(same_target, Err(StoreError::Conflict(_))),
            "{backend:?}: {same_target:?}"
        );
        let same_id = db
            .store()
            .read(|tx| tx.insert_location(&location("a", "t2", 2)));
        assert!(
            matches!(same_id, Err(StoreError::Conflict(_))),
            "{backend:?}: {same_id:?}"
        );

        let mut other_type = location("c", "t1", 3);
        other_type.location_type = "file".into();
        db.store()
            .read(|tx| tx.insert_location(&other_type))
            .unwrap();
        let ids: Vec<String> = db
            .store()
            .read(|tx| tx.locations())
            .unwrap()
            .into_iter()
            .map(|l| l.id)
            .collect();
        assert_eq!(ids, ["a", "c"], "{backend:?}");
    }
}

#[test]
fn a_conflict_leaves_the_transaction_usable() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        db.store()
            .transaction(|tx| -> Result<(), StoreError> {
                tx.insert_location(&location("a", "t1", 1))?;
                let dup = tx.insert_location(&location("b", "t1", 1));
                assert!(matches!(dup, Err(StoreError::Conflict(_))), "{backend:?}");
                // On PostgreSQL this would fail with "transaction is aborted" without the
                // savepoint around the insert.
                tx.insert_location(&location("c", "t3", 1))?;
                Ok(())
            })
            .unwrap();
        let ids: Vec<String> = db
            .store()
            .read(|tx| tx.locations())
            .unwrap()
            .into_iter()
            .map(|l| l.id)
            .collect();
        assert_eq!(ids, ["a", "c"], "{backend:?}");
    }
}

#[test]
fn locations_are_listed_by_creation_time_then_id() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        db.store()
            .transaction(|tx| -> Result<(), StoreError> {
                for (id, created) in [("m", 20), ("z", 10), ("b", 20), ("a", 30), ("B", 20)] {
                    tx.insert_location(&location(id, &format!("target-{id}"), created))?;
                }
                Ok(())
            })
            .unwrap();
        let ids: Vec<String> = db
            .store()
            .read(|tx| tx.locations())
            .unwrap()
            .into_iter()
            .map(|l| l.id)
            .collect();
        // Byte order for ties ("B" < "b"), whatever PostgreSQL's locale is.
        assert_eq!(ids, ["z", "B", "b", "m", "a"], "{backend:?}");
    }
}

#[test]
fn update_location_state_records_the_read_outcome() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let store = db.store();
        store
            .read(|tx| tx.insert_location(&location("loc", "t", 5)))
            .unwrap();

        store
            .transaction(|tx| tx.update_location_state("loc", Some("h1"), r#"["boom"]"#, 99))
            .unwrap();
        let got = store.read(|tx| tx.location("loc")).unwrap().unwrap();
        assert_eq!(got.content_hash.as_deref(), Some("h1"), "{backend:?}");
        assert_eq!(got.errors_json, r#"["boom"]"#);
        assert_eq!(got.refreshed_at, Some(99));
        assert_eq!(got.created_at, 5, "{backend:?}: creation time is kept");
        assert_eq!(got.target, "t");

        store
            .read(|tx| tx.update_location_state("loc", None, "[]", 100))
            .unwrap();
        let got = store.read(|tx| tx.location("loc")).unwrap().unwrap();
        assert_eq!(got.content_hash, None, "{backend:?}");
        assert_eq!(got.errors_json, "[]");
        assert_eq!(got.refreshed_at, Some(100));

        // An unknown id is not an error and creates nothing.
        store
            .read(|tx| tx.update_location_state("nope", None, "[]", 1))
            .unwrap();
        assert_eq!(store.read(|tx| tx.locations()).unwrap().len(), 1);
    }
}

#[test]
fn delete_location_reports_whether_it_existed() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let store = db.store();
        store
            .read(|tx| tx.insert_location(&location("loc", "t", 5)))
            .unwrap();
        store
            .read(|tx| tx.insert_location(&location("keep", "t2", 5)))
            .unwrap();
        assert!(
            store.transaction(|tx| tx.delete_location("loc")).unwrap(),
            "{backend:?}"
        );
        assert!(
            !store.transaction(|tx| tx.delete_location("loc")).unwrap(),
            "{backend:?}"
        );
        assert_eq!(store.read(|tx| tx.location("loc")).unwrap(), None);
        assert!(store.read(|tx| tx.location("keep")).unwrap().is_some());
        // The (type, target) pair is free again.
        store
            .read(|tx| tx.insert_location(&location("loc2", "t", 6)))
            .unwrap();
    }
}
