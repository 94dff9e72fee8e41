//! Drafts and scheduled posts: every post gains a `state` (`draft`, `scheduled` or `published`;
//! existing posts are published), and the kept post counts count published posts only.
//!
//! A scheduled post's `date_posted` is the time it is to appear; the application's per-minute
//! step turns it `published` when that time has come, which the triggers count like any other
//! publication. Listings read published posts through the indexes below, which lead with the
//! state so that a page is still one range of one index.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Posts {
    Table,
    State,
}

/// The same SQL on SQLite and PostgreSQL. Queries name the condition as written here
/// (`persistence::posts::visible`), which is what lets both use the partial indexes.
const INDEXES: [&str; 3] = [
    "CREATE INDEX posts_published_date_posted_idx ON posts (date_posted DESC, id DESC) \
     WHERE state = 'published'",
    "CREATE INDEX posts_published_user_id_date_posted_idx ON posts (user_id, date_posted DESC, id DESC) \
     WHERE state = 'published'",
    "CREATE INDEX posts_user_id_state_idx ON posts (user_id, state)",
];

const SQLITE_TRIGGERS: [&str; 4] = [
    "CREATE TRIGGER posts_counted AFTER INSERT ON posts WHEN NEW.state = 'published' BEGIN \
       INSERT INTO post_counts (owner, posts) VALUES (0, 1) ON CONFLICT (owner) DO UPDATE SET posts = posts + 1; \
       INSERT INTO post_counts (owner, posts) VALUES (NEW.user_id, 1) \
         ON CONFLICT (owner) DO UPDATE SET posts = posts + 1; \
     END",
    "CREATE TRIGGER posts_uncounted AFTER DELETE ON posts WHEN OLD.state = 'published' BEGIN \
       UPDATE post_counts SET posts = posts - 1 WHERE owner IN (0, OLD.user_id); \
     END",
    "CREATE TRIGGER posts_published AFTER UPDATE OF state ON posts \
       WHEN OLD.state <> 'published' AND NEW.state = 'published' BEGIN \
       INSERT INTO post_counts (owner, posts) VALUES (0, 1) ON CONFLICT (owner) DO UPDATE SET posts = posts + 1; \
       INSERT INTO post_counts (owner, posts) VALUES (NEW.user_id, 1) \
         ON CONFLICT (owner) DO UPDATE SET posts = posts + 1; \
     END",
    "CREATE TRIGGER posts_unpublished AFTER UPDATE OF state ON posts \
       WHEN OLD.state = 'published' AND NEW.state <> 'published' BEGIN \
       UPDATE post_counts SET posts = posts - 1 WHERE owner IN (0, OLD.user_id); \
     END",
];

const POSTGRES_TRIGGERS: [&str; 3] = [
    "CREATE OR REPLACE FUNCTION count_posts() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.state = 'published' \
          AND (TG_OP = 'INSERT' OR OLD.state <> 'published') THEN \
         INSERT INTO post_counts (owner, posts) VALUES (0, 1), (NEW.user_id, 1) \
           ON CONFLICT (owner) DO UPDATE SET posts = post_counts.posts + 1; \
       ELSIF TG_OP IN ('DELETE', 'UPDATE') AND OLD.state = 'published' \
          AND (TG_OP = 'DELETE' OR NEW.state <> 'published') THEN \
         UPDATE post_counts SET posts = posts - 1 WHERE owner IN (0, OLD.user_id); \
       END IF; \
       RETURN NULL; \
     END $$",
    "DROP TRIGGER posts_counted ON posts",
    "CREATE TRIGGER posts_counted AFTER INSERT OR DELETE OR UPDATE OF state ON posts \
     FOR EACH ROW EXECUTE FUNCTION count_posts()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In one transaction on SQLite too: the triggers are dropped and made again on one
    /// connection (on a pool, another connection could still see the old ones), and a failure
    /// leaves the counts as they were.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut state = ColumnDef::new(Posts::State).string_len(16).not_null().default("published").to_owned();
        manager.alter_table(Table::alter().table(Posts::Table).add_column(&mut state).to_owned()).await?;
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                for sql in POSTGRES_TRIGGERS {
                    db.execute_unprepared(sql).await?;
                }
            }
            _ => {
                db.execute_unprepared("DROP TRIGGER posts_counted").await?;
                db.execute_unprepared("DROP TRIGGER posts_uncounted").await?;
                for sql in SQLITE_TRIGGERS {
                    db.execute_unprepared(sql).await?;
                }
            }
        }
        // The listings read published posts only: partial indexes hold just those, as small as
        // the indexes they replace (a deep page skips as many bytes as before). Drafts and
        // scheduled posts are found by author.
        manager.drop_index(Index::drop().name("posts_date_posted_idx").table(Posts::Table).to_owned()).await?;
        manager.drop_index(Index::drop().name("posts_user_id_date_posted_idx").table(Posts::Table).to_owned()).await?;
        for sql in INDEXES {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // Dropping the state would publish every draft: this migration is not undone.
        Err(DbErr::Migration("drafts and scheduled posts cannot be migrated down without publishing them".into()))
    }
}

#[cfg(test)]
mod tests {
    use sea_orm_migration::MigratorTrait;
    use sea_orm_migration::sea_orm::{ConnectionTrait, Database, Statement};

    async fn counts(db: &sea_orm_migration::sea_orm::DatabaseConnection) -> Vec<(i64, i64)> {
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT owner, posts FROM post_counts ORDER BY owner",
            ))
            .await
            .unwrap();
        rows.iter().map(|r| (r.try_get("", "owner").unwrap(), r.try_get("", "posts").unwrap())).collect()
    }

    #[tokio::test]
    async fn existing_posts_stay_published_and_counted_and_only_published_posts_count() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/m.db?mode=rwc", dir.path().display());
        let mut options = sea_orm_migration::sea_orm::ConnectOptions::new(url);
        options
            .max_connections(4)
            .map_sqlx_sqlite_opts(|o| o.journal_mode(sea_orm_migration::sea_orm::sqlx::sqlite::SqliteJournalMode::Wal));
        let db = Database::connect(options).await.unwrap();
        crate::Migrator::up(&db, Some(15)).await.unwrap();
        for sql in [
            "INSERT INTO users (id, username, username_key, email, password_hash, is_admin, created_at) \
             VALUES (1, 'ann', 'ann', 'ann@example.com', 'x', false, '2026-01-01T00:00:00Z')",
            "INSERT INTO posts (id, title, content, date_posted, updated_at, user_id, slug, description) VALUES \
             (1, 'Old', 'Words', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 1, 'old', '')",
        ] {
            db.execute_unprepared(sql).await.unwrap();
        }
        crate::Migrator::up(&db, None).await.unwrap();
        assert_eq!(counts(&db).await, [(0, 1), (1, 1)]);
        let insert = "INSERT INTO posts (id, title, content, date_posted, updated_at, user_id, slug, description, state) \
                      VALUES (2, 'Draft', 'Words', '2026-01-02T00:00:00Z', '2026-01-02T00:00:00Z', 1, 'draft', '', 'draft')";
        db.execute_unprepared(insert).await.unwrap();
        assert_eq!(counts(&db).await, [(0, 1), (1, 1)], "a draft is not counted");
        db.execute_unprepared("UPDATE posts SET state = 'published' WHERE id = 2").await.unwrap();
        assert_eq!(counts(&db).await, [(0, 2), (1, 2)], "publishing counts it");
        db.execute_unprepared("UPDATE posts SET state = 'draft' WHERE id = 1").await.unwrap();
        db.execute_unprepared("DELETE FROM posts WHERE id = 1").await.unwrap();
        assert_eq!(counts(&db).await, [(0, 1), (1, 1)], "unpublished, then deleted: counted off once");
    }

    /// The application's pool (WAL, several connections, foreign keys on): the triggers are
    /// replaced on one connection, not on two that see different schemas.
    #[tokio::test]
    async fn the_whole_schema_migrates_from_scratch_on_a_pool_like_the_applications() {
        use sea_orm_migration::sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/m.db?mode=rwc", dir.path().display());
        let mut options = sea_orm_migration::sea_orm::ConnectOptions::new(url);
        options.max_connections(4).min_connections(1).test_before_acquire(false).map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal).synchronous(SqliteSynchronous::Normal).foreign_keys(true)
        });
        let db = Database::connect(options).await.unwrap();
        crate::Migrator::up(&db, None).await.unwrap();
        assert_eq!(counts(&db).await, [(0, 0)]);
    }
}
