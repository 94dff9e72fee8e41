//! Whether anything has changed: a number that moves on whenever a change to the database is
//! committed, by this process or any other (another server of the same site, the command line).
//! Whatever was read while it showed one value may be out of date once it shows another; while
//! it shows the same value, nothing committed has changed.
//!
//! PostgreSQL says it by its current snapshot: which transactions have completed. Two equal
//! snapshots see the same committed data, and a writing transaction's end changes the snapshot
//! (read-only ones take no transaction id and leave it alone). The snapshot is read for the set
//! of completed transactions only ([`completed`]): a writer's first write, which gives it a
//! number, changes the snapshot's text but completes nothing. SQLite says it in the header of
//! its write-ahead log's index (the `-shm` file beside the database), which every connection
//! that commits rewrites, in whatever process: reading it is one read of 96 bytes, where asking
//! a connection (`PRAGMA data_version`) is a round trip to that connection's thread, which made
//! up most of a remembered page's time. The question is still asked when the header cannot be
//! read whole (it was being rewritten) or is not in the format known.

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
    /// The connection kept for asking (it also keeps the log's index open), and that index.
    Sqlite(DatabaseConnection, Option<WalIndex>),
}

/// SQLite's write-ahead log index (`<database>-shm`), read for its header: two copies of the
/// same 48 bytes, which a committing connection rewrites (the second copy first) before its
/// commit returns. The header counts transactions (`iChange`) and says where the log ends and
/// which generation of it this is (`mxFrame`, the salts), so it changes with every commit and
/// stays the same while nothing is committed (a checkpoint leaves it alone). Its format is
/// described in <https://www.sqlite.org/walformat.html> (2.2.1, "The WAL-Index Header") and has
/// not changed since SQLite 3.7.0.
struct WalIndex(std::fs::File);

/// `iVersion`, the first field of a header in the format known.
const WAL_INDEX_VERSION: u32 = 3_007_000;
/// The header's size; the index starts with two copies of it.
const HEADER_BYTES: usize = 48;

impl WalIndex {
    /// The index of the SQLite database at `url`, if it can be opened for reading (and read:
    /// on Unix only, where a read at an offset needs no lock).
    fn open(url: &str) -> Option<Self> {
        if cfg!(not(unix)) {
            return None;
        }
        let database = crate::sqlite_file(url)?;
        let mut path = database.as_os_str().to_owned();
        path.push("-shm");
        match std::fs::File::open(&path) {
            Ok(file) => Some(WalIndex(file)),
            Err(e) => {
                log::warn!("cannot read {}: {e}; changes are asked of the database", path.to_string_lossy());
                None
            }
        }
    }

    /// A number for the header as it is now; `None` when it cannot be read whole, is being
    /// rewritten (its copies differ) or is not in the format known.
    fn header(&self) -> Option<u64> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileExt;
            let mut both = [0u8; 2 * HEADER_BYTES];
            self.0.read_exact_at(&mut both, 0).ok()?;
            let (first, second) = both.split_at(HEADER_BYTES);
            let version = u32::from_ne_bytes([first[0], first[1], first[2], first[3]]);
            let initialised = first[12] == 1;
            if first != second || version != WAL_INDEX_VERSION || !initialised {
                return None;
            }
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            first.hash(&mut hasher);
            // Apart from the numbers the question gives (small counts), whatever happens.
            Some(hasher.finish() | 1 << 63)
        }
        #[cfg(not(unix))]
        {
            None
        }
    }
}

/// How often a header being rewritten is read again before the database is asked instead.
const HEADER_TRIES: usize = 3;

impl Changes {
    /// Watches the database `db` is a pool of (at `url`): for SQLite, one connection of its own.
    pub async fn open(db: &DatabaseConnection, url: &str) -> Result<Self, DbErr> {
        let watch = match db.get_database_backend() {
            DatabaseBackend::Sqlite => {
                let connection = crate::connect_sized(url, 1).await?;
                // The index exists once a connection has read in WAL mode.
                connection.execute_unprepared("SELECT 1").await?;
                Watch::Sqlite(connection, WalIndex::open(url))
            }
            _ => Watch::Postgres,
        };
        Ok(Changes { watch, asked: AtomicU64::new(0), last: Mutex::new(Last::default()) })
    }

    /// The number, now (see the module's documentation). `db` is the pool to ask on PostgreSQL.
    pub async fn version(&self, db: &DatabaseConnection) -> Result<u64, DbErr> {
        if let Watch::Sqlite(_, Some(index)) = &self.watch
            && let Some(header) = (0..HEADER_TRIES).find_map(|_| index.header())
        {
            return Ok(header);
        }
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
                match completed(&snapshot) {
                    Some(completed) => completed.hash(&mut hasher),
                    None => snapshot.hash(&mut hasher),
                }
                hasher.finish()
            }
            Watch::Sqlite(connection, _) => {
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

/// Which transactions a PostgreSQL snapshot (`xmin:xmax:xip,…`) sees as completed, in one form
/// for each such set: below the first returned number, every transaction has completed but
/// those listed. A snapshot also moves when a transaction that is still running is given its
/// number (its first write raises `xmax` and lists it as running) while nothing has completed;
/// that form leaves those out, so that each write transaction moves the number once, at its end,
/// and not twice (remembered answers then last twice as long under writes). `None` for text not
/// in that format.
fn completed(snapshot: &str) -> Option<(u64, Vec<u64>)> {
    let mut parts = snapshot.split(':');
    let _oldest_running: u64 = parts.next()?.parse().ok()?;
    let (xmax, running) = (parts.next()?.parse::<u64>().ok()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let mut running: Vec<u64> = match running {
        "" => Vec::new(),
        list => list.split(',').map(|id| id.parse().ok()).collect::<Option<_>>()?,
    };
    running.sort_unstable();
    // The transactions just below `xmax` that are all still running complete nothing yet.
    let mut end = xmax;
    while running.last().is_some_and(|&last| last.checked_add(1) == Some(end)) {
        end -= 1;
        running.pop();
    }
    Some((end, running))
}

#[cfg(test)]
mod tests {
    use sea_orm::ConnectionTrait;

    use super::{Changes, Watch, completed};

    #[test]
    fn a_postgresql_snapshot_moves_the_number_when_a_transaction_completes_only() {
        let idle = completed("100:100:").unwrap();
        assert_eq!(idle, (100, vec![]));
        // 100 and then 101 are given numbers (their first writes) and are running: the same.
        assert_eq!(completed("100:101:100"), Some(idle.clone()));
        assert_eq!(completed("100:102:101,100"), Some(idle.clone()));
        // 101 completes while 100 runs: another set.
        let second = completed("100:102:100").unwrap();
        assert_ne!(second, idle);
        assert_eq!(second, (102, vec![100]));
        // 102 starts writing: still that set; 100 completes: another.
        assert_eq!(completed("100:103:100,102"), Some(second.clone()));
        assert_eq!(completed("103:103:"), Some((103, vec![])));
        assert_ne!(completed("102:103:102"), Some(second));
        for text in ["", "1:2", "1:2:3:4", "a:2:", "1:2:x", "1:2:3,"] {
            assert_eq!(completed(text), None, "{text:?}");
        }
    }

    /// On an SQLite file the number comes from the log's index (one read, no question asked of
    /// a connection), and moves with every commit from any connection, and only then.
    #[tokio::test]
    async fn sqlite_changes_are_read_from_the_log_index_and_follow_every_commit() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/changes.db", dir.path().display());
        let db = crate::connect(&url).await.unwrap();
        db.execute_unprepared("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)").await.unwrap();
        let changes = Changes::open(&db, &url).await.unwrap();
        let Watch::Sqlite(_, Some(index)) = &changes.watch else { panic!("the log's index is not read") };
        assert!(index.header().is_some(), "the header reads whole and in the format known");

        let first = changes.version(&db).await.unwrap();
        db.execute_unprepared("SELECT count(*) FROM notes").await.unwrap();
        assert_eq!(changes.version(&db).await.unwrap(), first, "reading changes nothing");

        db.execute_unprepared("INSERT INTO notes (body) VALUES ('one')").await.unwrap();
        let second = changes.version(&db).await.unwrap();
        assert_ne!(second, first);

        // Another process's connection, as the command line's.
        let elsewhere = crate::connect(&url).await.unwrap();
        elsewhere.execute_unprepared("UPDATE notes SET body = 'two'").await.unwrap();
        let third = changes.version(&db).await.unwrap();
        assert_ne!(third, second);
        assert_ne!(third, first);

        // A transaction rolled back commits nothing.
        elsewhere.execute_unprepared("BEGIN; DELETE FROM notes; ROLLBACK;").await.unwrap();
        assert_eq!(changes.version(&db).await.unwrap(), third);
    }
}
