//! Reads run in place: on SQLite, a listing's query runs on the thread of the request that asks
//! for it, on a read-only connection kept for that, instead of being sent to a connection of the
//! pool. The pool runs each SQLite connection on a thread of its own, so every query there is a
//! hand-over to that thread and back; while the machine is busy (posts being written), each
//! hand-over waits for a core, and those waits, not SQLite's work (tens of microseconds), were
//! most of a page's time.
//!
//! What runs here is bounded: a query that is still running after [`BUDGET`] is interrupted and
//! left to the pool, and so is one that meets a busy database or any error, and one that finds
//! the connection in use by another request (the request never waits for it). The caller then
//! asks the pool, so that nothing depends on a read in place having run. One connection serves
//! the process: each costs its page cache and the schema it parses, and two requests rarely
//! read in place at the same moment. PostgreSQL has no such reads: its queries go to its server
//! whatever thread sends them.
//!
//! A read in place sees what the pool's connections see: every change committed before the
//! statement starts (the database is in WAL mode, and readers never wait for the writer).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use rusqlite::types::Value as Sql;
use sea_orm::sea_query::Value;
use sea_orm::{DatabaseBackend, Statement};

/// How long a query may run on a request's thread before it is left to the pool's threads.
pub const BUDGET: Duration = Duration::from_millis(2);
/// How many of SQLite's steps run between two looks at the clock.
const STEPS_BETWEEN_LOOKS: i32 = 2_000;
/// The queries the connection keeps prepared.
const KEPT_STATEMENTS: usize = 16;
/// Its page cache, in KiB (negative: SQLite's way of saying KiB). Half a pool connection's: it
/// reads pages of listings, which the whole process remembers once made, and what it caches is
/// dropped at every commit anyway (another connection's commit empties a connection's cache).
const CACHE_KIB: i32 = -256;

/// Where reads in place go: a read-only connection to the SQLite database's file, or nowhere
/// (PostgreSQL, a database in memory, a file that could not be opened); managed by the
/// application, one per database it opened.
#[derive(Debug)]
pub struct InPlace {
    connection: Option<Mutex<rusqlite::Connection>>,
}

// When the query being run in place began (its budget's start); read by SQLite's progress
// handler, which runs on the thread that runs the query.
thread_local! {
    static STARTED: std::cell::Cell<Option<Instant>> = const { std::cell::Cell::new(None) };
}

impl InPlace {
    /// Reads in place for the database at `url` (SQLite files only; the file exists).
    pub fn open(url: &str) -> Self {
        let path = if url.starts_with("sqlite:") { crate::sqlite_file(url) } else { None };
        let connection = path.and_then(|path| match connect(path) {
            Ok(connection) => Some(Mutex::new(connection)),
            Err(e) => {
                log::warn!("cannot read {} in place ({e}): the pool reads it", path.display());
                None
            }
        });
        InPlace { connection }
    }

    /// The rows of `statement`, each made by `row`, when it could run in place within its
    /// budget; `None` when it is to be asked of the pool (not SQLite, the connection in use, a
    /// value this module does not bind, over budget, busy, or any error: the pool then meets
    /// the same error and reports it).
    pub fn query<T>(
        &self,
        statement: &Statement,
        mut row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Option<Vec<T>> {
        if statement.db_backend != DatabaseBackend::Sqlite {
            return None;
        }
        let values = match &statement.values {
            Some(values) => values.0.iter().map(bound).collect::<Option<Vec<Sql>>>()?,
            None => Vec::new(),
        };
        let connection = self.connection.as_ref()?.try_lock().ok()?;
        STARTED.set(Some(Instant::now()));
        let rows = run(&connection, &statement.sql, &values, &mut row);
        STARTED.set(None);
        match rows {
            Ok(rows) => Some(rows),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(e.code, rusqlite::ErrorCode::OperationInterrupted | rusqlite::ErrorCode::DatabaseBusy) =>
            {
                None
            }
            Err(e) => {
                log::debug!("a read in place failed ({e}); asking the pool");
                None
            }
        }
    }
}

fn run<T>(
    connection: &rusqlite::Connection,
    sql: &str,
    values: &[Sql],
    row: &mut impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    let mut prepared = connection.prepare_cached(sql)?;
    let mut rows = prepared.query(rusqlite::params_from_iter(values))?;
    let mut out = Vec::new();
    while let Some(next) = rows.next()? {
        out.push(row(next)?);
    }
    Ok(out)
}

/// A read-only connection to `path` whose queries stop once over [`BUDGET`].
fn connect(path: &std::path::Path) -> rusqlite::Result<rusqlite::Connection> {
    use rusqlite::OpenFlags;
    let connection = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
    )?;
    // A busy database (a log being recovered) is left to the pool, which waits for it.
    connection.busy_timeout(Duration::ZERO)?;
    connection.pragma_update(None, "cache_size", CACHE_KIB)?;
    connection.set_prepared_statement_cache_capacity(KEPT_STATEMENTS);
    connection.progress_handler(
        STEPS_BETWEEN_LOOKS,
        Some(|| STARTED.get().is_some_and(|started| started.elapsed() > BUDGET)),
    )?;
    Ok(connection)
}

/// A statement's value as SQLite takes it, written as the pool's driver writes it; `None` for a
/// kind of value the listings do not bind (the query then goes to the pool).
fn bound(value: &Value) -> Option<Sql> {
    Some(match value {
        Value::Bool(v) => v.map_or(Sql::Null, |b| Sql::Integer(i64::from(b))),
        Value::TinyInt(v) => v.map_or(Sql::Null, |n| Sql::Integer(n.into())),
        Value::SmallInt(v) => v.map_or(Sql::Null, |n| Sql::Integer(n.into())),
        Value::Int(v) => v.map_or(Sql::Null, |n| Sql::Integer(n.into())),
        Value::BigInt(v) => v.map_or(Sql::Null, Sql::Integer),
        Value::TinyUnsigned(v) => v.map_or(Sql::Null, |n| Sql::Integer(n.into())),
        Value::SmallUnsigned(v) => v.map_or(Sql::Null, |n| Sql::Integer(n.into())),
        Value::Unsigned(v) => v.map_or(Sql::Null, |n| Sql::Integer(n.into())),
        Value::BigUnsigned(v) => match v {
            None => Sql::Null,
            Some(n) => Sql::Integer(i64::try_from(*n).ok()?),
        },
        Value::String(v) => v.as_ref().map_or(Sql::Null, |s| Sql::Text(s.clone())),
        Value::ChronoDateTimeUtc(v) => {
            v.as_ref().map_or(Sql::Null, |at| Sql::Text(at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)))
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use sea_orm::{ConnectionTrait, DatabaseConnection};

    use super::InPlace;
    use crate::posts::{self, Bodies, NewPost, Rendered};

    /// A migrated SQLite file in `dir` with an author and `n` posts (tagged, some without an
    /// excerpt, one with its comments closed, one a draft).
    async fn blog(dir: &std::path::Path, n: usize) -> (String, DatabaseConnection) {
        let url = format!("sqlite://{}/blog.db", dir.display());
        let db = crate::connect(&url).await.unwrap();
        crate::migrate(&db).await.unwrap();
        let author = crate::users::NewUser {
            username: domain::Username::parse("alice").unwrap(),
            email: domain::Email::parse("alice@example.com").unwrap(),
            password_hash: "not a hash".into(),
            first_name: None,
            last_name: None,
        };
        let at = Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap();
        let author = crate::users::insert(&db, author, at).await.unwrap();
        for i in 0..n {
            let published = chrono::Duration::milliseconds(1_001 * i as i64 + 7);
            let state = if i == 3 { domain::PostState::Draft } else { domain::PostState::Published };
            let new = NewPost {
                user_id: author.id,
                title: domain::Title::parse(&format!("Post «{i}»")).unwrap(),
                content: domain::Content::parse("A body").unwrap(),
                description: if i % 2 == 0 { String::new() } else { format!("About {i}") },
                rendered: Rendered { format: "text".into(), html: None, excerpt: format!("Excerpt {i}"), words: 2 },
                publication: (state, at + published),
            };
            let (id, _) = posts::insert(&db, new, at + published).await.unwrap();
            if i % 3 == 0 {
                crate::social::set_tags(&db, id, &["rust".into(), "Ünï \"q\"".into()]).await.unwrap();
            }
            if i == 1 {
                db.execute_unprepared(&format!(
                    "UPDATE posts SET excerpt = NULL, comments_closed = TRUE WHERE id = {id}"
                ))
                .await
                .unwrap();
            }
        }
        (url, db)
    }

    /// What the pool reads: reads in place for a database in memory go nowhere.
    fn pool_only() -> InPlace {
        InPlace::open("sqlite::memory:")
    }

    #[tokio::test]
    async fn a_listing_read_in_place_is_the_listing_the_pool_reads() {
        let dir = tempfile::tempdir().unwrap();
        let (url, db) = blog(dir.path(), 12).await;
        let in_place = InPlace::open(&url);
        // This thread's connection opens, and keeps its statement, before the pool commits.
        let (before, _) = posts::newest_page(&db, &in_place, 1, 0, Bodies::Left).await.unwrap();
        db.execute_unprepared("UPDATE posts SET title = 'Retitled' WHERE id = (SELECT max(id) FROM posts)")
            .await
            .unwrap();

        let pages = [(5, 0, Bodies::Left), (5, 5, Bodies::Left), (20, 0, Bodies::Loaded), (5, 20, Bodies::Left)];
        let mut from_pool = Vec::new();
        for (limit, offset, bodies) in pages {
            from_pool.push(posts::newest_page(&db, &pool_only(), limit, offset, bodies).await.unwrap());
        }
        let mut older_from_pool = Vec::new();
        for offset in [0, 6, 10] {
            older_from_pool.push(posts::list_newest(&db, &pool_only(), None, 5, offset, 11).await.unwrap());
        }
        // From here on only reads in place can answer.
        db.close_by_ref().await.unwrap();
        assert!(posts::newest_page(&db, &pool_only(), 5, 0, Bodies::Left).await.is_err(), "the pool is closed");

        for ((limit, offset, bodies), pool) in pages.into_iter().zip(from_pool) {
            let here = posts::newest_page(&db, &in_place, limit, offset, bodies).await.unwrap();
            assert_eq!(here, pool, "newest page {limit}/{offset}");
        }
        let (page, total) = posts::newest_page(&db, &in_place, 20, 0, Bodies::Loaded).await.unwrap();
        assert_eq!((page.len(), total), (11, 11), "the draft is neither listed nor counted");
        assert_eq!((before[0].id, page[0].id), (12, 12));
        assert_eq!((before[0].title.as_str(), page[0].title.as_str()), ("Post «11»", "Retitled"), "the commit is seen");
        assert!(page.iter().any(|p| p.excerpt.is_none() && p.comments_closed && p.description == "About 1"));
        assert!(page.iter().any(|p| p.tags.0 == ["rust", "Ünï \"q\""]));
        assert!(page.iter().any(|p| p.tags.0.is_empty()));
        assert!(page.iter().all(|p| p.content == "A body" && p.date_posted.timestamp_subsec_millis() != 0));
        for (offset, pool) in [0, 6, 10].into_iter().zip(older_from_pool) {
            let here = posts::list_newest(&db, &in_place, None, 5, offset, 11).await.unwrap();
            assert!(!here.is_empty());
            assert_eq!(here, pool, "older page at {offset}");
        }
    }

    #[tokio::test]
    async fn each_database_is_read_on_its_own_connection() {
        let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (url_one, db_one) = blog(one.path(), 2).await;
        let (url_two, db_two) = blog(two.path(), 4).await;
        let (in_one, in_two) = (InPlace::open(&url_one), InPlace::open(&url_two));
        db_one.close_by_ref().await.unwrap();
        db_two.close_by_ref().await.unwrap();
        for _ in 0..2 {
            assert_eq!(posts::newest_page(&db_one, &in_one, 20, 0, Bodies::Left).await.unwrap().1, 2);
            assert_eq!(posts::newest_page(&db_two, &in_two, 20, 0, Bodies::Left).await.unwrap().1, 3);
        }
    }

    #[tokio::test]
    async fn a_read_that_finds_the_connection_in_use_is_left_to_the_pool() {
        let dir = tempfile::tempdir().unwrap();
        let (url, _db) = blog(dir.path(), 1).await;
        let in_place = InPlace::open(&url);
        let one = sea_orm::Statement::from_string(sea_orm::DatabaseBackend::Sqlite, "SELECT 1 AS one");
        // A read made while another is running in place (as another request's would be).
        let mut meanwhile = None;
        let outer = in_place.query(&one, |row| {
            meanwhile = Some(in_place.query(&one, |row| row.get::<_, i64>("one")));
            row.get::<_, i64>("one")
        });
        assert_eq!(outer, Some(vec![1]));
        assert_eq!(meanwhile, Some(None), "not waited for: asked of the pool");
        assert_eq!(in_place.query(&one, |row| row.get::<_, i64>("one")), Some(vec![1]), "free again");
    }

    #[tokio::test]
    async fn a_query_over_its_budget_is_left_to_the_pool() {
        let dir = tempfile::tempdir().unwrap();
        let (url, _db) = blog(dir.path(), 1).await;
        let in_place = InPlace::open(&url);
        // Seconds of work: stopped after the budget instead.
        let sql = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000) \
                   SELECT count(*) AS c FROM n";
        let statement = sea_orm::Statement::from_string(sea_orm::DatabaseBackend::Sqlite, sql);
        let started = std::time::Instant::now();
        assert_eq!(in_place.query(&statement, |row| row.get::<_, i64>("c")), None);
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "stopped, not run to its end");
        // The next query on the same connection runs as before.
        let one = sea_orm::Statement::from_string(sea_orm::DatabaseBackend::Sqlite, "SELECT 1 AS one");
        assert_eq!(in_place.query(&one, |row| row.get::<_, i64>("one")), Some(vec![1]));
        // Nor does PostgreSQL read in place.
        assert!(InPlace::open("postgres://localhost/gazette").query(&one, |row| row.get::<_, i64>("one")).is_none());
    }
}
