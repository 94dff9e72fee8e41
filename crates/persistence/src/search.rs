//! Full-text search over visible posts (migration 024): SQLite FTS5 ranked with `bm25()`,
//! PostgreSQL's weighted `tsvector` ranked with `ts_rank()`; both weigh a title match far above a
//! body match. The query text comes from `domain::SearchQuery`, never from the reader.
//!
//! A query matching very many posts ranks the newest [`domain::search::MOST_RANKED`] of them
//! only, so that a search for the commonest word costs what a search for a rarer one does.
//!
//! On SQLite the searches run on a connection of their own ([`Searcher`]), one at a time: the
//! lists of posts a search reads and the index pages it caches stay on that connection (and in
//! the memory of its thread) instead of on every connection of the pool in turn.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};

use crate::DbErr;
use crate::articles::Filter;

/// The ids of one page of the visible posts `query` finds (among those `filter` picks: its tag, author and
/// favourites, not the feed), best first, and how many it found (at most
/// [`domain::search::MOST_RANKED`]).
pub async fn search(
    db: &DatabaseConnection,
    searcher: &Searcher,
    query: &domain::SearchQuery,
    filter: &Filter,
    limit: u64,
    offset: u64,
) -> Result<(Vec<i64>, u64), DbErr> {
    if !query.is_searchable() || limit == 0 {
        return Ok((Vec::new(), 0));
    }
    let db = searcher.0.as_ref().unwrap_or(db);
    let backend = db.get_database_backend();
    let to_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let engine_query = match backend {
        DbBackend::Postgres => query.to_tsquery(),
        _ => match query.completable_prefix() {
            Some(prefix) => query.to_fts5_completed(&searcher.completing(prefix).await),
            None => query.to_fts5(),
        },
    };
    let mut values: Vec<Value> = vec![engine_query.into(), to_i64(domain::search::MOST_RANKED).into()];
    let mut filters = String::new();
    let param = |values: &mut Vec<Value>, value: Value| {
        values.push(value);
        placeholder(backend, values.len())
    };
    if let Some(tag) = &filter.tag {
        let p = param(&mut values, tag.clone().into());
        filters.push_str(&format!(" AND posts.id IN (SELECT post_id FROM post_tags WHERE tag = {p})"));
    }
    if let Some(author) = &filter.author {
        let p = param(&mut values, domain::Username::key_of(author).into());
        filters.push_str(&format!(" AND posts.user_id IN (SELECT id FROM users WHERE username_key = {p})"));
    }
    if let Some(fan) = &filter.favorited_by {
        let p = param(&mut values, domain::Username::key_of(fan).into());
        filters.push_str(&format!(
            " AND posts.id IN (SELECT f.post_id FROM favorites f JOIN users u ON u.id = f.user_id \
               WHERE u.username_key = {p})"
        ));
    }
    if let Some(follower) = filter.followed_by {
        let p = param(&mut values, follower.into());
        filters.push_str(&format!(" AND posts.user_id IN (SELECT followee_id FROM follows WHERE follower_id = {p})"));
    }
    let limit_p = param(&mut values, to_i64(limit).into());
    let offset_p = param(&mut values, to_i64(offset).into());
    let sql = match backend {
        // The candidates are ranked where they are found, their visibility checked after; a
        // page of the ranked is then cut, the number of all riding along on each row.
        DbBackend::Postgres => format!(
            "WITH matches AS ( \
               SELECT posts.id, ts_rank(posts.search, to_tsquery('simple', $1)) AS score FROM posts \
               WHERE posts.search @@ to_tsquery('simple', $1) AND {visible}{filters} \
               ORDER BY posts.id DESC LIMIT $2) \
             SELECT id, count(*) OVER () AS total FROM matches \
             ORDER BY score DESC, id DESC LIMIT {limit_p} OFFSET {offset_p}",
            visible = crate::posts::visible_sql(),
        ),
        _ => format!(
            "WITH matches AS ( \
               SELECT rowid AS id, bm25(posts_search, 10.0, 4.0, 1.0, 4.0) AS score FROM posts_search \
               WHERE posts_search MATCH ?1 ORDER BY rowid DESC LIMIT ?2) \
             SELECT m.id AS id, count(*) OVER () AS total FROM matches m JOIN posts ON posts.id = m.id \
             WHERE {visible}{filters} \
             ORDER BY m.score, m.id DESC LIMIT {limit_p} OFFSET {offset_p}",
            visible = crate::posts::visible_sql(),
        ),
    };
    let rows = db.query_all_raw(Statement::from_sql_and_values(backend, &sql, values.clone())).await?;
    let mut ids = Vec::with_capacity(rows.len());
    let mut total = 0i64;
    for row in &rows {
        ids.push(row.try_get::<i64>("", "id")?);
        total = row.try_get::<i64>("", "total")?;
    }
    if ids.is_empty() {
        if offset == 0 {
            return Ok((Vec::new(), 0));
        }
        // Past the last page: how many there are, from the first.
        let n = values.len();
        values[n - 1] = 0i64.into();
        let first = db.query_one_raw(Statement::from_sql_and_values(backend, &sql, values)).await?;
        let total = match first {
            Some(row) => row.try_get::<i64>("", "total")?,
            None => 0,
        };
        return Ok((Vec::new(), u64::try_from(total).unwrap_or(0)));
    }
    Ok((ids, u64::try_from(total).unwrap_or(0)))
}

/// Where SQLite's searches run: a connection of its own (searches run one at a time). The words
/// its index holds are looked up there too, to search a half-typed word as the words it starts,
/// through a temporary `fts5vocab` table. (Kept in the schema, such a table made every other
/// connection that had read the schema before a later migration fail to write posts with "no
/// such table: posts".) On PostgreSQL searches run on the pool.
pub struct Searcher(Option<DatabaseConnection>);

impl Searcher {
    /// For the database `db` is a pool of (at `url`): on SQLite, a connection of its own;
    /// PostgreSQL needs none.
    pub async fn open(db: &DatabaseConnection, url: &str) -> Result<Self, DbErr> {
        Ok(Searcher(match db.get_database_backend() {
            DbBackend::Sqlite => Some(crate::connect_sized(url, 1).await?),
            _ => None,
        }))
    }

    /// The indexed words that start with `prefix` (lowercase ASCII letters and digits), when at
    /// most [`domain::search::MOST_COMPLETIONS`] do; none otherwise, or when they cannot be
    /// looked up (the search then takes the prefix as a prefix: the same posts, at more memory).
    async fn completing(&self, prefix: &str) -> Vec<String> {
        let Some(connection) = &self.0 else { return Vec::new() };
        match completions(connection, prefix).await {
            Ok(words) => words,
            Err(e) => {
                log::warn!("could not look up the words a search's last word starts: {e}");
                Vec::new()
            }
        }
    }
}

async fn completions(db: &DatabaseConnection, prefix: &str) -> Result<Vec<String>, DbErr> {
    // A pool of one connection: the table made here is there for the query below (made again
    // if the connection was).
    db.execute_unprepared(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.posts_search_words USING fts5vocab(main, posts_search, 'row')",
    )
    .await?;
    // Every word that starts with the prefix sorts at or after it and before the prefix with its
    // last character one higher ('z' + 1 is '{', '9' + 1 is ':').
    let mut above = prefix.as_bytes().to_vec();
    if let Some(last) = above.last_mut() {
        *last += 1;
    }
    let above = String::from_utf8(above).map_err(|e| DbErr::Custom(e.to_string()))?;
    let most = domain::search::MOST_COMPLETIONS;
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "SELECT term FROM temp.posts_search_words WHERE term >= ?1 AND term < ?2 ORDER BY term LIMIT ?3",
            [prefix.into(), above.into(), i64::try_from(most + 1).unwrap_or(i64::MAX).into()],
        ))
        .await?;
    if rows.len() as u64 > most {
        return Ok(Vec::new());
    }
    rows.iter().map(|row| row.try_get::<String>("", "term")).collect()
}

fn placeholder(backend: DbBackend, n: usize) -> String {
    match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => format!("?{n}"),
    }
}
