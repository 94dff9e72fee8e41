//! Everything Gazette keeps in its database: SeaORM entities (private to this crate) and the query
//! functions the rest of the application calls. The database URL picks SQLite or PostgreSQL; the
//! same code serves both.

#![warn(missing_docs)]

pub mod articles;
pub mod changes;
pub mod comments;
mod entity;
pub mod images;
pub mod in_place;
pub mod outbox;
pub mod posts;
pub mod revisions;
pub mod revoked_tokens;
pub mod search;
pub mod sessions;
pub mod sitemap;
pub mod social;
pub mod throttle;
pub mod users;

use std::time::Duration;

use migration::MigratorTrait;
use sea_orm::{ConnectOptions, Database, SqliteTransactionMode, TransactionOptions, TransactionTrait};
pub use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr};

/// The page cache of each SQLite connection, in KiB (negative: SQLite's way of saying KiB).
const SQLITE_CACHE_KIB: i32 = -512;

/// Opens a connection pool. For an SQLite file the folder is created and the file too.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let sqlite = url.starts_with("sqlite:");
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get) as u32;
    // SQLite runs one writer at a time and readers on the CPU: a few connections per core is all
    // it can use. A PostgreSQL pool per instance stays well under the server's
    // `max_connections` (100 by default) with several instances.
    connect_sized(url, if sqlite { (cores * 2).clamp(4, 16) } else { 10 }).await
}

/// [`connect`], with at most `max` connections.
async fn connect_sized(url: &str, max: u32) -> Result<DatabaseConnection, DbErr> {
    let url = prepare_sqlite_url(url)?;
    let sqlite = url.starts_with("sqlite:");
    let mut options = ConnectOptions::new(url);
    options
        .sqlx_logging(false)
        .max_connections(max)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        // Readers keep reading while a writer writes, and a busy database waits instead of failing.
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                // Each connection's page cache: SQLite's default of 2 MiB each, over the pool,
                // was a fifth of the server's memory, and the pages it held are in the system's
                // file cache anyway. At 512 KiB a deep listing page still finds the index pages
                // it walks (at 256 KiB `?page=1000` lost a quarter of its speed).
                .pragma("cache_size", SQLITE_CACHE_KIB.to_string())
        })
        // PostgreSQL plans a prepared statement afresh at every execution while it finds its
        // generic plan costlier than the custom ones, which for the listing's `LIMIT $n OFFSET $m`
        // it always does: 0.6 ms of planning for 0.1 ms of work, on every page view. Gazette's
        // queries are index lookups and ranges whose best plan does not hang on the values: plan
        // each once per connection.
        .map_sqlx_postgres_opts(|o| o.options([("plan_cache_mode", "force_generic_plan")]));
    // Pinging a connection before every use doubled the round trips of each query. An SQLite
    // connection cannot go stale; a PostgreSQL one is checked only after 30 s unused.
    if sqlite {
        options.test_before_acquire(false);
    } else {
        options.test_before_acquire_if_idle_for(Duration::from_secs(30));
    }
    Database::connect(options).await
}

/// Starts a transaction that is going to write. On SQLite it takes the write lock at once (`BEGIN
/// IMMEDIATE`): concurrent writers then wait their turn (up to the busy timeout) instead of one
/// failing with "database is locked" when a transaction that has read tries to write. PostgreSQL
/// ignores the mode.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// After a bulk load on PostgreSQL: brings the planner's statistics up to date (until then it
/// guesses from an empty table) and marks the tables' pages all-visible, so that listings are
/// read from their indexes alone (before, `?page=1000` fetched 9,417 rows from the table to skip
/// 4,995: 12.5 ms, then 1.7 ms). Autovacuum would do both, in its own time. SQLite keeps no
/// statistics unless asked, and its planner is left to its own rules.
pub async fn analyze(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        db.execute_unprepared("VACUUM (ANALYZE)").await?;
    }
    Ok(())
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    migration::Migrator::up(db, None).await
}

/// Makes sure an SQLite URL's folder exists and asks SQLite to create the file if missing.
fn prepare_sqlite_url(url: &str) -> Result<String, DbErr> {
    let Some(path) = sqlite_file(url) else { return Ok(url.to_owned()) };
    let query = url.split_once('?').map_or("", |(_, query)| query);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", dir.display())))?;
    }
    Ok(if query.contains("mode=") {
        url.to_owned()
    } else if query.is_empty() {
        format!("{url}?mode=rwc")
    } else {
        format!("{url}&mode=rwc")
    })
}

/// The file of an SQLite database URL; `None` for another database or one in memory.
fn sqlite_file(url: &str) -> Option<&std::path::Path> {
    let path = url.strip_prefix("sqlite:")?.trim_start_matches("//");
    let path = path.split_once('?').map_or(path, |(path, _)| path);
    (!path.is_empty() && path != ":memory:").then(|| std::path::Path::new(path))
}

/// Whether an error is a unique-constraint violation, and on what (the message names the
/// constraint or column on both SQLite and PostgreSQL).
fn unique_violation(err: &DbErr) -> Option<String> {
    match err.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(detail)) => Some(detail),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::prepare_sqlite_url;

    #[test]
    fn sqlite_urls_ask_for_the_file_to_be_created() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/sub/g.db", dir.path().display());
        assert_eq!(prepare_sqlite_url(&url).unwrap(), format!("{url}?mode=rwc"));
        assert!(dir.path().join("sub").is_dir());
        assert_eq!(prepare_sqlite_url("postgres://h/db").unwrap(), "postgres://h/db");
        assert_eq!(prepare_sqlite_url("sqlite::memory:").unwrap(), "sqlite::memory:");
    }
}
