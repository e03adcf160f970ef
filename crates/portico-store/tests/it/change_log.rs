use portico_store::testing::TestDb;
use portico_store::StoreError;

#[test]
fn changes_come_back_in_append_order_after_a_sequence_number() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let store = db.store();
        assert_eq!(
            store.read(|tx| tx.last_change_seq()).unwrap(),
            0,
            "{backend:?}"
        );
        assert!(store
            .read(|tx| tx.changes_since(0, 100))
            .unwrap()
            .is_empty());

        store
            .transaction(|tx| tx.append_changes(&["c:d/b".into(), "c:d/a".into()], 100))
            .unwrap();
        store
            .read(|tx| tx.append_changes(&["c:d/z".into()], 200))
            .unwrap();
        store.read(|tx| tx.append_changes(&[], 300)).unwrap();

        let all = store.read(|tx| tx.changes_since(0, 100)).unwrap();
        let got: Vec<(&str, i64)> = all.iter().map(|c| (c.entity_ref.as_str(), c.at)).collect();
        assert_eq!(
            got,
            [("c:d/b", 100), ("c:d/a", 100), ("c:d/z", 200)],
            "{backend:?}"
        );
        assert!(
            all.windows(2).all(|w| w[0].seq < w[1].seq),
            "{backend:?}: sequence numbers increase: {all:?}"
        );
        let last = store.read(|tx| tx.last_change_seq()).unwrap();
        assert_eq!(last, all[2].seq, "{backend:?}");

        let after_first = store.read(|tx| tx.changes_since(all[0].seq, 100)).unwrap();
        assert_eq!(after_first, all[1..], "{backend:?}");
        let limited = store.read(|tx| tx.changes_since(0, 2)).unwrap();
        assert_eq!(limited, all[..2], "{backend:?}");
        assert!(store
            .read(|tx| tx.changes_since(last, 100))
            .unwrap()
            .is_empty());
        assert!(store.read(|tx| tx.changes_since(0, 0)).unwrap().is_empty());
    }
}

#[test]
fn a_large_append_keeps_its_order() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let refs = crate::refs(12_000);
        db.store()
            .transaction(|tx| tx.append_changes(&refs, 1))
            .unwrap();
        let got: Vec<String> = db
            .store()
            .read(|tx| tx.changes_since(0, 20_000))
            .unwrap()
            .into_iter()
            .map(|c| c.entity_ref)
            .collect();
        assert_eq!(got, refs, "{backend:?}");
    }
}

#[test]
fn rolled_back_changes_leave_no_trace() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let result: Result<(), StoreError> = db.store().transaction(|tx| {
            tx.append_changes(&["c:d/a".into()], 1)?;
            Err(StoreError::Database("abort".into()))
        });
        assert!(result.is_err());
        assert_eq!(
            db.store().read(|tx| tx.last_change_seq()).unwrap(),
            0,
            "{backend:?}"
        );
    }
}
