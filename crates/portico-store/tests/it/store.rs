use std::time::{Duration, Instant};

use diesel::sql_types::BigInt;
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use portico_store::testing::TestDb;
use portico_store::{Backend, Store, StoreError};

use crate::{entity, location, relation};

#[derive(Debug)]
enum AppError {
    Store(StoreError),
    Rejected,
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        AppError::Store(err)
    }
}

fn assert_send_sync_clone<T: Send + Sync + Clone + 'static>() {}

#[test]
fn store_can_be_shared_between_threads() {
    assert_send_sync_clone::<Store>();
}

#[test]
fn an_error_rolls_back_every_write_of_the_transaction() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let result: Result<(), AppError> = db.store().transaction(|tx| {
            tx.insert_location(&location("loc", "t", 1))?;
            tx.upsert_entities(&[entity("component:default/a", "loc")])?;
            tx.insert_relations(&[relation("a", "ownedBy", "g", "a")])?;
            tx.append_changes(&["component:default/a".into()], 1)?;
            Err(AppError::Rejected)
        });
        assert!(
            matches!(result, Err(AppError::Rejected)),
            "{backend:?}: {result:?}"
        );

        db.store()
            .read(|tx| -> Result<(), StoreError> {
                assert!(tx.locations()?.is_empty(), "{backend:?}");
                assert!(tx.all_entities()?.is_empty(), "{backend:?}");
                assert!(
                    tx.relations_by_origins(&["a".into()])?.is_empty(),
                    "{backend:?}"
                );
                assert_eq!(tx.last_change_seq()?, 0, "{backend:?}");
                Ok(())
            })
            .unwrap();
    }
}

#[test]
fn a_failed_statement_rolls_back_earlier_writes_and_reports_the_store_error() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        db.store()
            .read(|tx| tx.insert_location(&location("existing", "t", 1)))
            .unwrap();
        let result: Result<(), AppError> = db.store().transaction(|tx| {
            tx.upsert_entities(&[entity("component:default/a", "loc")])?;
            tx.insert_location(&location("dup", "t", 2))?;
            Ok(())
        });
        assert!(
            matches!(result, Err(AppError::Store(StoreError::Conflict(_)))),
            "{backend:?}: {result:?}"
        );
        assert!(
            db.store().read(|tx| tx.all_entities()).unwrap().is_empty(),
            "{backend:?}"
        );
    }
}

#[test]
fn a_committed_transaction_returns_its_value_and_is_visible() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let n = db
            .store()
            .transaction(|tx| -> Result<usize, StoreError> {
                tx.upsert_entities(&[entity("component:default/a", "loc")])?;
                Ok(tx.all_entities()?.len())
            })
            .unwrap();
        assert_eq!(n, 1, "{backend:?}: a transaction sees its own writes");
        // Visible from another pooled connection.
        let clone = db.store().clone();
        let seen = std::thread::spawn(move || clone.read(|tx| tx.all_entities()).unwrap().len())
            .join()
            .unwrap();
        assert_eq!(seen, 1, "{backend:?}");
    }
}

#[test]
fn concurrent_writers_all_succeed_in_order() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let store = db.store().clone();
                std::thread::spawn(move || {
                    for i in 0..10 {
                        // Read, then write: the pattern that fails at once on SQLite
                        // without an IMMEDIATE transaction.
                        store
                            .transaction(|tx| -> Result<(), StoreError> {
                                let _ = tx.last_change_seq()?;
                                tx.append_changes(&[format!("c:d/t{t}-{i}")], i)
                            })
                            .unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let changes = db.store().read(|tx| tx.changes_since(0, 1000)).unwrap();
        assert_eq!(changes.len(), 40, "{backend:?}");
        assert!(
            changes.windows(2).all(|w| w[0].seq < w[1].seq),
            "{backend:?}"
        );
    }
}

#[test]
fn the_backend_is_reported() {
    for db in TestDb::all() {
        let expected = if db.url().starts_with("sqlite") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        assert_eq!(db.store().backend(), expected, "{}", db.url());
    }
}

fn applied_migrations(url: &str) -> i64 {
    let count = diesel::select(diesel::dsl::sql::<BigInt>(
        "(SELECT COUNT(*) FROM __diesel_schema_migrations)",
    ));
    match url.strip_prefix("sqlite://") {
        Some(path) => count
            .get_result(&mut SqliteConnection::establish(path).unwrap())
            .unwrap(),
        None => count
            .get_result(&mut PgConnection::establish(url).unwrap())
            .unwrap(),
    }
}

#[test]
fn a_reopened_store_keeps_its_data_and_migrations() {
    for db in TestDb::all() {
        let backend = db.store().backend();
        db.store()
            .transaction(|tx| tx.upsert_entities(&[entity("component:default/a", "loc")]))
            .unwrap();
        let migrations = applied_migrations(db.url());
        assert!(migrations >= 1, "{backend:?}");

        let reopened = Store::open(db.url()).unwrap();
        assert_eq!(
            reopened.read(|tx| tx.all_entities()).unwrap(),
            vec![entity("component:default/a", "loc")],
            "{backend:?}"
        );
        assert_eq!(applied_migrations(db.url()), migrations, "{backend:?}");
    }
}

#[test]
fn sqlite_runs_in_wal_mode() {
    let db = TestDb::sqlite();
    db.store()
        .read(|tx| tx.append_changes(&["c:d/a".into()], 1))
        .unwrap();
    let path = db.url().strip_prefix("sqlite://").unwrap();
    assert!(
        std::path::Path::new(&format!("{path}-wal")).exists(),
        "no write-ahead log next to {path}"
    );
}

#[test]
fn a_sqlite_path_gets_its_directory_created() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a/b/portico.db");
    let store = Store::open(&format!("sqlite://{}", nested.display())).unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    assert!(nested.exists());

    let plain = dir.path().join("c/catalog.sqlite");
    let store = Store::open(plain.to_str().unwrap()).unwrap();
    store.read(|tx| tx.last_change_seq()).unwrap();
    assert!(plain.exists());
}

#[test]
fn urls_of_no_known_database_are_invalid() {
    for url in [
        "",
        "mysql://root@localhost/portico",
        "data/portico.txt",
        "sqlite://",
    ] {
        let result = Store::open(url);
        assert!(
            matches!(result, Err(StoreError::InvalidUrl(_))),
            "{url:?}: {result:?}"
        );
    }
}

#[test]
fn an_uncreatable_sqlite_directory_is_unavailable() {
    let result = Store::open("sqlite:///proc/portico-no-such-dir/portico.db");
    assert!(
        matches!(result, Err(StoreError::Unavailable(_))),
        "{result:?}"
    );
}

#[test]
fn an_unreachable_postgres_is_unavailable_quickly() {
    let start = Instant::now();
    let result = Store::open("postgres://postgres@127.0.0.1:1/portico");
    assert!(
        matches!(result, Err(StoreError::Unavailable(_))),
        "{result:?}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(6),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn a_check_reports_no_pending_migrations_and_the_pool_its_use() {
    for db in TestDb::all() {
        let store = db.store();
        let backend = store.backend();
        assert_eq!(
            store.check(std::time::Duration::from_secs(2)).unwrap(),
            0,
            "{backend:?}: every migration applied at open"
        );
        let usage = store.pool_usage();
        assert!(
            usage.max >= 1 && usage.open <= usage.max,
            "{backend:?}: {usage:?}"
        );
        assert!(usage.idle <= usage.open, "{backend:?}: {usage:?}");
        // A connection held is not idle.
        store
            .read(|_tx| {
                let held = store.pool_usage();
                assert!(held.open > held.idle, "{backend:?}: {held:?}");
                Ok::<_, StoreError>(())
            })
            .unwrap();
    }
}
