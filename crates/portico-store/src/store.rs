use std::fmt;
use std::path::Path;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel::sql_types::BigInt;
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::StoreError;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// SQLite has one writer at a time; a few connections serve concurrent readers (WAL).
const SQLITE_POOL_SIZE: u32 = 6;
const POSTGRES_POOL_SIZE: u32 = 10;
/// How long a caller waits for a pooled connection (and libpq for a new one) before the
/// store reports `Unavailable`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long SQLite waits for another connection's write lock before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5000;
/// Key of the PostgreSQL advisory lock held while migrating, so replicas starting together
/// do not apply the same migration twice. Any constant works as long as it is fixed.
const MIGRATION_LOCK_KEY: i64 = 0x706f_7274_6963_6f01;

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A pool of database connections. Cloning is cheap and shares the pool.
#[derive(Clone)]
pub struct Store {
    pools: Pools,
}

#[derive(Clone)]
enum Pools {
    Sqlite(Pool<ConnectionManager<SqliteConnection>>),
    Postgres(Pool<ConnectionManager<PgConnection>>),
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .finish_non_exhaustive()
    }
}

/// A connection of either backend, inside a transaction or not. All queries are methods on
/// `Tx` (see the table modules).
pub struct Tx<'a> {
    pub(crate) conn: TxConn<'a>,
}

pub(crate) enum TxConn<'a> {
    Sqlite(&'a mut SqliteConnection),
    Postgres(&'a mut PgConnection),
}

impl Tx<'_> {
    pub(crate) fn backend(&self) -> Backend {
        match self.conn {
            TxConn::Sqlite(_) => Backend::Sqlite,
            TxConn::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs `f` all or nothing: in a savepoint inside the caller's transaction, or in a
    /// transaction of its own under [`Store::read`]. For writes of several statements.
    pub(crate) fn all_or_nothing<T>(
        &mut self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let result = match &mut self.conn {
            TxConn::Sqlite(conn) => conn.transaction(|conn| {
                f(&mut Tx {
                    conn: TxConn::Sqlite(conn),
                })
                .map_err(TxError::App)
            }),
            TxConn::Postgres(conn) => conn.transaction(|conn| {
                f(&mut Tx {
                    conn: TxConn::Postgres(conn),
                })
                .map_err(TxError::App)
            }),
        };
        result.map_err(|err| match err {
            TxError::App(err) => err,
            TxError::Db(err) => StoreError::from(err),
        })
    }
}

/// Carries the caller's error through diesel's transaction helpers, which need an error
/// type they can build from a diesel error.
enum TxError<E> {
    App(E),
    Db(diesel::result::Error),
}

impl<E> From<diesel::result::Error> for TxError<E> {
    fn from(err: diesel::result::Error) -> Self {
        TxError::Db(err)
    }
}

impl Store {
    /// Opens (and migrates) the database at `url`: `sqlite://<path>`, a plain file path
    /// ending in `.db`, `.sqlite` or `.sqlite3`, or `postgres://...` / `postgresql://...`.
    /// A SQLite file's parent directory is created when missing.
    pub fn open(url: &str) -> Result<Store, StoreError> {
        match parse_url(url)? {
            Target::Sqlite(path) => open_sqlite(&path),
            Target::Postgres(url) => open_postgres(&url),
        }
    }

    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite(_) => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs `f` inside one database transaction: commits when it returns `Ok`, rolls back
    /// when it returns `Err` (or when the commit itself fails).
    pub fn transaction<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let result = match &self.pools {
            Pools::Sqlite(pool) => {
                let mut pooled = pool.get().map_err(StoreError::from)?;
                let conn: &mut SqliteConnection = &mut pooled;
                // IMMEDIATE takes the write lock up front. A deferred transaction that reads
                // and then writes fails at once with SQLITE_BUSY when another writer got in
                // between, without waiting for busy_timeout.
                conn.immediate_transaction(|conn| {
                    f(&mut Tx {
                        conn: TxConn::Sqlite(conn),
                    })
                    .map_err(TxError::App)
                })
            }
            Pools::Postgres(pool) => {
                let mut pooled = pool.get().map_err(StoreError::from)?;
                let conn: &mut PgConnection = &mut pooled;
                conn.transaction(|conn| {
                    f(&mut Tx {
                        conn: TxConn::Postgres(conn),
                    })
                    .map_err(TxError::App)
                })
            }
        };
        result.map_err(|err| match err {
            TxError::App(err) => err,
            TxError::Db(err) => E::from(StoreError::from(err)),
        })
    }

    /// Runs `f` on a pooled connection without a transaction; each statement commits on
    /// its own. Meant for reads.
    pub fn read<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        self.read_within(CONNECT_TIMEOUT, f)
    }

    /// [`Store::read`], waiting at most `timeout` for a connection: for callers that
    /// must answer soon even while the database is away (probes, metrics).
    pub fn read_within<T, E: From<StoreError>>(
        &self,
        timeout: Duration,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        match &self.pools {
            Pools::Sqlite(pool) => {
                let mut pooled = pool.get_timeout(timeout).map_err(StoreError::from)?;
                f(&mut Tx {
                    conn: TxConn::Sqlite(&mut pooled),
                })
            }
            Pools::Postgres(pool) => {
                let mut pooled = pool.get_timeout(timeout).map_err(StoreError::from)?;
                f(&mut Tx {
                    conn: TxConn::Postgres(&mut pooled),
                })
            }
        }
    }
}

/// How many connections a pool holds and how many of them are in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    pub max: u32,
    pub open: u32,
    pub idle: u32,
}

impl Store {
    /// The pool's size and use right now, for metrics.
    pub fn pool_usage(&self) -> PoolUsage {
        let (max, state) = match &self.pools {
            Pools::Sqlite(pool) => (pool.max_size(), pool.state()),
            Pools::Postgres(pool) => (pool.max_size(), pool.state()),
        };
        PoolUsage {
            max,
            open: state.connections,
            idle: state.idle_connections,
        }
    }

    /// Checks that the database answers within `timeout` and that every
    /// migration this build knows has been applied; returns how many have
    /// not. A readiness probe's question: it must not wait the pool's full
    /// connection timeout, or the probe gives up before the answer comes.
    pub fn check(&self, timeout: Duration) -> Result<usize, StoreError> {
        let pending = match &self.pools {
            Pools::Sqlite(pool) => {
                let mut conn = pool.get_timeout(timeout)?;
                conn.pending_migrations(SQLITE_MIGRATIONS)
                    .map_err(|e| StoreError::Migration(e.to_string()))?
                    .len()
            }
            Pools::Postgres(pool) => {
                let mut conn = pool.get_timeout(timeout)?;
                conn.pending_migrations(POSTGRES_MIGRATIONS)
                    .map_err(|e| StoreError::Migration(e.to_string()))?
                    .len()
            }
        };
        Ok(pending)
    }
}

#[derive(Debug, PartialEq)]
enum Target {
    Sqlite(String),
    Postgres(String),
}

fn parse_url(url: &str) -> Result<Target, StoreError> {
    let url = url.trim();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Target::Postgres(with_connect_timeout(url)));
    }
    let path = if let Some(rest) = url.strip_prefix("sqlite://") {
        rest
    } else if let Some(rest) = url.strip_prefix("sqlite:") {
        rest
    } else if [".db", ".sqlite", ".sqlite3"]
        .iter()
        .any(|ext| url.ends_with(ext))
    {
        url
    } else {
        return Err(StoreError::InvalidUrl(format!(
            "`{url}`: expected sqlite://<path>, a file path ending in .db or .sqlite, \
             or postgres://user@host/database"
        )));
    };
    if path.is_empty() {
        return Err(StoreError::InvalidUrl(format!(
            "`{url}` names no SQLite file"
        )));
    }
    if path == ":memory:" || path.contains("mode=memory") {
        // Every pooled connection would get its own empty database.
        return Err(StoreError::InvalidUrl(format!(
            "`{url}`: in-memory SQLite is not supported; use a file path"
        )));
    }
    Ok(Target::Sqlite(path.to_owned()))
}

/// Adds libpq's `connect_timeout` unless the URL sets one, so an unreachable server fails
/// within seconds instead of the operating system's TCP timeout.
fn with_connect_timeout(url: &str) -> String {
    if url.contains("connect_timeout=") {
        return url.to_owned();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!(
        "{url}{separator}connect_timeout={}",
        CONNECT_TIMEOUT.as_secs()
    )
}

#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        apply_sqlite_pragmas(conn).map_err(diesel::r2d2::Error::QueryError)
    }
}

fn apply_sqlite_pragmas(conn: &mut SqliteConnection) -> QueryResult<()> {
    // busy_timeout first, so the journal_mode switch itself waits for other connections.
    conn.batch_execute(&format!(
        "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS};
         PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;"
    ))
}

fn open_sqlite(path: &str) -> Result<Store, StoreError> {
    if let Some(parent) = Path::new(path).parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent).map_err(|err| {
                StoreError::Unavailable(format!(
                    "cannot create directory {} for the SQLite database: {err}",
                    parent.display()
                ))
            })?;
        }
    }
    // Migrate on a direct connection first: it reports a bad path at once, where the
    // pool would retry until its timeout and then give only a generic message.
    let mut conn = SqliteConnection::establish(path)
        .map_err(|err| StoreError::Unavailable(format!("cannot open SQLite file {path}: {err}")))?;
    apply_sqlite_pragmas(&mut conn)?;
    let applied = conn
        .run_pending_migrations(SQLITE_MIGRATIONS)
        .map_err(|err| StoreError::Migration(err.to_string()))?;
    log_migrations("sqlite", applied.len());
    drop(conn);

    let pool = Pool::builder()
        .max_size(SQLITE_POOL_SIZE)
        .min_idle(Some(1))
        .connection_timeout(CONNECT_TIMEOUT)
        // A local file does not go away between uses; skip the per-checkout ping.
        .test_on_check_out(false)
        .connection_customizer(Box::new(SqlitePragmas))
        .build(ConnectionManager::<SqliteConnection>::new(path))?;
    Ok(Store {
        pools: Pools::Sqlite(pool),
    })
}

fn open_postgres(url: &str) -> Result<Store, StoreError> {
    let mut conn = PgConnection::establish(url)?;
    migrate_postgres(&mut conn)?;
    drop(conn);

    let pool = Pool::builder()
        .max_size(POSTGRES_POOL_SIZE)
        // Connections are opened on demand: several replicas and test processes share the
        // server's connection limit.
        .min_idle(Some(1))
        .connection_timeout(CONNECT_TIMEOUT)
        // Pings on checkout so a server restart costs one 503 at most, not a broken pool.
        .test_on_check_out(true)
        .build(ConnectionManager::<PgConnection>::new(url))?;
    Ok(Store {
        pools: Pools::Postgres(pool),
    })
}

fn migrate_postgres(conn: &mut PgConnection) -> Result<(), StoreError> {
    diesel::sql_query("SELECT pg_advisory_lock($1)")
        .bind::<BigInt, _>(MIGRATION_LOCK_KEY)
        .execute(conn)?;
    let result = conn
        .run_pending_migrations(POSTGRES_MIGRATIONS)
        .map(|applied| applied.len())
        .map_err(|err| StoreError::Migration(err.to_string()));
    let unlocked = diesel::sql_query("SELECT pg_advisory_unlock($1)")
        .bind::<BigInt, _>(MIGRATION_LOCK_KEY)
        .execute(conn);
    let applied = result?;
    unlocked?;
    log_migrations("postgres", applied);
    Ok(())
}

fn log_migrations(backend: &str, applied: usize) {
    if applied > 0 {
        tracing::info!(backend, applied, "applied database migrations");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_a_file() {
        assert_eq!(
            parse_url("sqlite://data/portico.db").unwrap(),
            Target::Sqlite("data/portico.db".into())
        );
        assert_eq!(
            parse_url("sqlite:///var/lib/p.db").unwrap(),
            Target::Sqlite("/var/lib/p.db".into())
        );
        assert_eq!(
            parse_url("sqlite:relative/x").unwrap(),
            Target::Sqlite("relative/x".into())
        );
        assert_eq!(
            parse_url("./data/portico.sqlite").unwrap(),
            Target::Sqlite("./data/portico.sqlite".into())
        );
    }

    #[test]
    fn unusable_urls_are_invalid() {
        for url in [
            "",
            "sqlite://",
            "mysql://localhost/x",
            "data/portico.txt",
            "sqlite::memory:",
            "sqlite://:memory:",
        ] {
            assert!(
                matches!(parse_url(url), Err(StoreError::InvalidUrl(_))),
                "{url:?} should be invalid"
            );
        }
    }

    #[test]
    fn postgres_urls_get_a_connect_timeout_once() {
        assert_eq!(
            parse_url("postgres://u@h/db").unwrap(),
            Target::Postgres("postgres://u@h/db?connect_timeout=5".into())
        );
        assert_eq!(
            parse_url("postgresql://u@h/db?sslmode=disable").unwrap(),
            Target::Postgres("postgresql://u@h/db?sslmode=disable&connect_timeout=5".into())
        );
        assert_eq!(
            parse_url("postgres://u@h/db?connect_timeout=2").unwrap(),
            Target::Postgres("postgres://u@h/db?connect_timeout=2".into())
        );
    }
}
