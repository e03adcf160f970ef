use diesel::sql_types::{Bool, Text};
use diesel::{Connection, PgConnection, RunQueryDsl};
use portico_store::testing::{TestDb, DATABASE_URL_VAR};
use portico_store::Backend;

fn postgres_configured() -> bool {
    std::env::var(DATABASE_URL_VAR).is_ok_and(|url| !url.trim().is_empty())
}

#[test]
fn all_covers_postgres_exactly_when_configured() {
    let backends: Vec<Backend> = TestDb::all()
        .iter()
        .map(|db| db.store().backend())
        .collect();
    if postgres_configured() {
        assert_eq!(backends, [Backend::Sqlite, Backend::Postgres]);
    } else {
        assert_eq!(backends, [Backend::Sqlite]);
        assert!(TestDb::postgres().is_none());
    }
}

#[test]
fn a_sqlite_test_database_is_removed_on_drop() {
    let db = TestDb::sqlite();
    let path = db.url().strip_prefix("sqlite://").unwrap().to_owned();
    assert!(std::path::Path::new(&path).exists());
    drop(db);
    assert!(!std::path::Path::new(&path).exists());
}

#[test]
fn a_postgres_test_database_is_a_schema_dropped_on_drop() {
    let Some(db) = TestDb::postgres() else {
        return;
    };
    let schema: String = diesel::select(diesel::dsl::sql::<Text>("current_schema()"))
        .get_result(&mut PgConnection::establish(db.url()).unwrap())
        .unwrap();
    assert!(schema.starts_with("portico_t_"), "{schema}");
    let mut admin = PgConnection::establish(&std::env::var(DATABASE_URL_VAR).unwrap()).unwrap();
    let exists = |admin: &mut PgConnection| -> bool {
        diesel::select(diesel::dsl::sql::<Bool>(&format!(
            "EXISTS (SELECT 1 FROM information_schema.tables \
             WHERE table_schema = '{schema}' AND table_name = 'entities')"
        )))
        .get_result(admin)
        .unwrap()
    };
    assert!(exists(&mut admin), "the tables live in the test schema");
    drop(db);
    assert!(!exists(&mut admin), "the schema is gone");
}
