//! Whether anything has changed: a number that moves on whenever a change to the database is
//! committed, by this process or any other (another server of the same site, the command line).
//! Whatever was read while it showed one value may be out of date once it shows another; while
//! it shows the same value, nothing committed has changed.
//!
//! PostgreSQL says it by its current snapshot: which transactions have completed. Two equal
//! snapshots see the same committed data, and a writing transaction's end changes the snapshot
//! (read-only ones take no transaction id and leave it alone). SQLite says it by `PRAGMA
//! data_version` on a connection kept for asking it: that number changes when another
//! connection has committed since the last time the same connection asked.

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, Statement};
use tokio::sync::Mutex;

/// Asks the database whether anything has changed. Many requests asking at once share one
/// question: each takes the answer to a question asked after it came (so that it reflects every
/// change committed before), the first to find none asks anew.
pub struct Changes {
    watch: Watch,
    /// How many questions have been asked.
    asked: AtomicU64,
    last: Mutex<Last>,
}

#[derive(Default)]
struct Last {
    /// The last question (its number among those asked) and its answer.
    answer: Option<(u64, u64)>,
    /// SQLite's: the last `data_version`, and how often it has moved.
    sqlite: (Option<i64>, u64),
}

enum Watch {
    Postgres,
    /// The connection kept for asking.
    Sqlite(DatabaseConnection),
}

impl Changes {
    /// Watches the database `db` is a pool of (at `url`): for SQLite, one connection of its own.
    pub async fn open(db: &DatabaseConnection, url: &str) -> Result<Self, DbErr> {
        let watch = match db.get_database_backend() {
            DatabaseBackend::Sqlite => Watch::Sqlite(crate::connect_sized(url, 1).await?),
            _ => Watch::Postgres,
        };
        Ok(Changes { watch, asked: AtomicU64::new(0), last: Mutex::new(Last::default()) })
    }

    /// The number, now (see the module's documentation). `db` is the pool to ask on PostgreSQL.
    pub async fn version(&self, db: &DatabaseConnection) -> Result<u64, DbErr> {
        // Questions numbered above this one were asked after this call began.
        let before = self.asked.load(Ordering::Acquire);
        let mut last = self.last.lock().await;
        if let Some((number, answer)) = last.answer
            && number > before
        {
            return Ok(answer);
        }
        let number = self.asked.fetch_add(1, Ordering::AcqRel) + 1;
        let answer = match &self.watch {
            Watch::Postgres => {
                let sql = "SELECT pg_current_snapshot()::text AS snapshot";
                let row = db.query_one_raw(Statement::from_string(DatabaseBackend::Postgres, sql)).await?;
                let snapshot: String = match row {
                    Some(row) => row.try_get("", "snapshot")?,
                    None => return Err(DbErr::RecordNotFound("the current snapshot".into())),
                };
                let mut hasher = std::collections::hash_map::DefaultHasher::new();
                snapshot.hash(&mut hasher);
                hasher.finish()
            }
            Watch::Sqlite(connection) => {
                let sql = "PRAGMA data_version";
                let row = connection.query_one_raw(Statement::from_string(DatabaseBackend::Sqlite, sql)).await?;
                let now: i64 = match row {
                    Some(row) => row.try_get_by_index(0)?,
                    None => return Err(DbErr::RecordNotFound("the data version".into())),
                };
                let (seen, moved) = last.sqlite;
                if seen != Some(now) {
                    last.sqlite = (Some(now), moved + 1);
                }
                last.sqlite.1
            }
        };
        last.answer = Some((number, answer));
        Ok(answer)
    }
}
