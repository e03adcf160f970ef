//! Throwaway databases for tests, in this crate and the crates above it. Each `TestDb` is
//! its own database (a temporary SQLite file, or a fresh PostgreSQL schema), so tests can
//! run in parallel; it is removed when the `TestDb` is dropped.
//!
//! Failing to set one up panics: these are test fixtures, and a test without its database
//! should fail loudly.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::Write;
use std::sync::Once;

use crate::Store;

/// The PostgreSQL server for tests, e.g. `postgres://postgres@127.0.0.1:5432/test`. When
/// unset, only SQLite is tested.
pub const DATABASE_URL_VAR: &str = "PORTICO_TEST_DATABASE_URL";

static SKIP_NOTICE: Once = Once::new();

/// A store on a database of its own.
pub struct TestDb {
    // Declared first so the pool closes before the database behind it is removed.
    store: Store,
    url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    // Held only so the directory lives as long as the database; dropping it deletes it.
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, schema: String },
}

impl TestDb {
    /// A store on a new SQLite file in a temporary directory.
    pub fn sqlite() -> TestDb {
        let dir = tempfile::Builder::new()
            .prefix("portico-test-")
            .tempdir()
            .expect("create a temporary directory for a test database");
        let url = format!("sqlite://{}", dir.path().join("portico.db").display());
        let store =
            Store::open(&url).unwrap_or_else(|err| panic!("open test database {url}: {err}"));
        TestDb {
            store,
            url,
            cleanup: Cleanup::Sqlite(dir),
        }
    }

    /// A store on a new schema of the server named by `PORTICO_TEST_DATABASE_URL`, or
    /// `None` when that variable is unset.
    pub fn postgres() -> Option<TestDb> {
        let admin_url = std::env::var(DATABASE_URL_VAR)
            .ok()
            .filter(|url| !url.trim().is_empty())?;
        let schema = format!("portico_t_{}", uuid::Uuid::new_v4().simple());
        let url = crate::create_schema(&admin_url, &schema).unwrap_or_else(|err| {
            panic!("create test schema {schema} via {DATABASE_URL_VAR}: {err}")
        });
        let store =
            Store::open(&url).unwrap_or_else(|err| panic!("open test database {url}: {err}"));
        Some(TestDb {
            store,
            url,
            cleanup: Cleanup::Postgres { admin_url, schema },
        })
    }

    /// SQLite, plus PostgreSQL when `PORTICO_TEST_DATABASE_URL` is set. Run a test's body
    /// against each so both backends keep the same behaviour.
    pub fn all() -> Vec<TestDb> {
        let mut dbs = vec![TestDb::sqlite()];
        match TestDb::postgres() {
            Some(db) => dbs.push(db),
            None => SKIP_NOTICE.call_once(|| {
                // Straight to the stderr handle: the test harness captures `eprintln!`
                // and would show this only for failing tests.
                let _ = writeln!(
                    std::io::stderr(),
                    "portico-store: {DATABASE_URL_VAR} is not set, so the PostgreSQL suite is \
                     skipped and only SQLite is tested (set it to e.g. \
                     postgres://postgres@127.0.0.1:5432/test)"
                );
            }),
        }
        dbs
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The URL the store was opened with; opening it again reaches the same database.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, schema } = &self.cleanup {
            // Best effort: a panic in drop would hide the test's own failure.
            let dropped = crate::drop_schema(admin_url, schema);
            if let Err(err) = dropped {
                eprintln!("portico-store: could not drop test schema {schema}: {err}");
            }
        }
    }
}
