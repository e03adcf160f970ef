//! The store's behaviour, on SQLite always and on PostgreSQL when
//! PORTICO_TEST_DATABASE_URL is set. Each test body runs once per backend.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit;
mod bulk;
mod change_log;
mod claims;
mod docs;
mod entities;
mod locations;
mod relations;
mod scorecards;
mod store;
mod task_events;
mod tasks;
mod testing;

use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use diesel_migrations::{FileBasedMigrations, MigrationHarness};
use portico_store::{Backend, EntityRow, LocationRow, RelationRow};

pub fn location(id: &str, target: &str, created_at: i64) -> LocationRow {
    LocationRow {
        id: id.to_owned(),
        location_type: "url".to_owned(),
        target: target.to_owned(),
        content_hash: None,
        errors_json: "[]".to_owned(),
        refreshed_at: None,
        created_at,
    }
}

pub fn entity(entity_ref: &str, location_id: &str) -> EntityRow {
    let (kind, rest) = entity_ref.split_once(':').unwrap();
    let (namespace, name) = rest.split_once('/').unwrap();
    EntityRow {
        entity_ref: entity_ref.to_owned(),
        uid: format!("uid-{entity_ref}"),
        etag: "etag-1".to_owned(),
        kind: kind.to_owned(),
        namespace: namespace.to_owned(),
        name: name.to_owned(),
        location_id: location_id.to_owned(),
        parent_ref: None,
        source_file: "catalog-info.yaml".to_owned(),
        source_line: 1,
        processed_json: None,
        final_json: Some(format!(r#"{{"metadata":{{"name":"{name}"}}}}"#)),
        errors_json: "[]".to_owned(),
        content_hash: "hash-1".to_owned(),
        orphan: false,
        created_at: 1_000,
        updated_at: 1_000,
    }
}

pub fn relation(source: &str, relation_type: &str, target: &str, origin: &str) -> RelationRow {
    RelationRow {
        source_ref: source.to_owned(),
        relation_type: relation_type.to_owned(),
        target_ref: target.to_owned(),
        origin_ref: origin.to_owned(),
    }
}

/// `n` refs of the form `component:default/c00042`, sorted as the store sorts them.
pub fn refs(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("component:default/c{i:05}"))
        .collect()
}

/// Whether `table` can be read in the database at `url` (after a migration
/// was reverted, it should not).
pub fn table_exists(url: &str, table: &str) -> bool {
    let probe = format!("SELECT 1 FROM {table}");
    match url.strip_prefix("sqlite://") {
        Some(path) => diesel::sql_query(probe)
            .execute(&mut SqliteConnection::establish(path).unwrap())
            .is_ok(),
        None => diesel::sql_query(probe)
            .execute(&mut PgConnection::establish(url).unwrap())
            .is_ok(),
    }
}

/// Reverts the migrations of the database at `url`, newest first, up to and including
/// `version` (as diesel records it: `20261123000002` for `2026-11-23-000002_...`). Returns
/// the versions reverted, in that order.
pub fn revert_migrations_through(url: &str, backend: Backend, version: &str) -> Vec<String> {
    fn revert<DB: diesel::backend::Backend>(
        conn: &mut impl MigrationHarness<DB>,
        dir: &str,
        version: &str,
    ) -> Vec<String> {
        let mut reverted = Vec::new();
        loop {
            let migrations = FileBasedMigrations::from_path(dir).unwrap();
            let last = conn.revert_last_migration(migrations).unwrap().to_string();
            let done = last == version;
            reverted.push(last);
            if done {
                return reverted;
            }
        }
    }
    let name = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let dir = format!("{}/../../migrations/{name}", env!("CARGO_MANIFEST_DIR"));
    match url.strip_prefix("sqlite://") {
        Some(path) => revert(
            &mut SqliteConnection::establish(path).unwrap(),
            &dir,
            version,
        ),
        None => revert(&mut PgConnection::establish(url).unwrap(), &dir, version),
    }
}
