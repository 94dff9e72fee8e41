//! Full-text search over posts' titles, summaries, bodies and tags, kept by the database itself
//! so that every instance finds the same posts the moment a post is written, changed or
//! deleted.
//!
//! Each post carries its tags as one line of text (`tag_names`, kept by triggers on
//! `post_tags`), so that everything searched is in the post's own row. SQLite indexes it with
//! FTS5 (an external-content table over `posts`: the words are indexed, the text is not stored
//! twice), kept by triggers; PostgreSQL with a generated, weighted `tsvector` column (title A,
//! summary and tags B, body D) and a GIN index. Both cut words the same way: runs of letters
//! and digits, lowercased, never stemmed.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: [&str; 9] = [
    "ALTER TABLE posts ADD COLUMN tag_names TEXT NOT NULL DEFAULT ''",
    "UPDATE posts SET tag_names = COALESCE((SELECT group_concat(tag, ' ') FROM post_tags WHERE post_id = posts.id), '')",
    "CREATE VIRTUAL TABLE posts_search USING fts5(title, description, content, tag_names, \
       content = 'posts', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2')",
    "INSERT INTO posts_search(posts_search) VALUES ('rebuild')",
    "CREATE TRIGGER posts_search_on_insert AFTER INSERT ON posts BEGIN \
       INSERT INTO posts_search(rowid, title, description, content, tag_names) \
         VALUES (NEW.id, NEW.title, NEW.description, NEW.content, NEW.tag_names); \
     END",
    "CREATE TRIGGER posts_search_on_delete AFTER DELETE ON posts BEGIN \
       INSERT INTO posts_search(posts_search, rowid, title, description, content, tag_names) \
         VALUES ('delete', OLD.id, OLD.title, OLD.description, OLD.content, OLD.tag_names); \
     END",
    "CREATE TRIGGER posts_search_on_update AFTER UPDATE OF title, description, content, tag_names ON posts \
       WHEN OLD.title IS NOT NEW.title OR OLD.description IS NOT NEW.description \
         OR OLD.content IS NOT NEW.content OR OLD.tag_names IS NOT NEW.tag_names BEGIN \
       INSERT INTO posts_search(posts_search, rowid, title, description, content, tag_names) \
         VALUES ('delete', OLD.id, OLD.title, OLD.description, OLD.content, OLD.tag_names); \
       INSERT INTO posts_search(rowid, title, description, content, tag_names) \
         VALUES (NEW.id, NEW.title, NEW.description, NEW.content, NEW.tag_names); \
     END",
    "CREATE TRIGGER post_tag_names_on_insert AFTER INSERT ON post_tags BEGIN \
       UPDATE posts SET tag_names = (SELECT group_concat(tag, ' ') FROM post_tags WHERE post_id = NEW.post_id) \
         WHERE id = NEW.post_id; \
     END",
    "CREATE TRIGGER post_tag_names_on_delete AFTER DELETE ON post_tags BEGIN \
       UPDATE posts SET tag_names = COALESCE((SELECT group_concat(tag, ' ') FROM post_tags WHERE post_id = OLD.post_id), '') \
         WHERE id = OLD.post_id; \
     END",
];

const SQLITE_DOWN: [&str; 7] = [
    "DROP TRIGGER post_tag_names_on_delete",
    "DROP TRIGGER post_tag_names_on_insert",
    "DROP TRIGGER posts_search_on_update",
    "DROP TRIGGER posts_search_on_delete",
    "DROP TRIGGER posts_search_on_insert",
    "DROP TABLE posts_search",
    "ALTER TABLE posts DROP COLUMN tag_names",
];

const POSTGRES_UP: [&str; 6] = [
    "ALTER TABLE posts ADD COLUMN tag_names text NOT NULL DEFAULT ''",
    "UPDATE posts SET tag_names = COALESCE((SELECT string_agg(tag, ' ') FROM post_tags WHERE post_id = posts.id), '')",
    "ALTER TABLE posts ADD COLUMN search tsvector GENERATED ALWAYS AS ( \
       setweight(to_tsvector('simple', title), 'A') || \
       setweight(to_tsvector('simple', description), 'B') || \
       setweight(to_tsvector('simple', tag_names), 'B') || \
       setweight(to_tsvector('simple', content), 'D')) STORED",
    "CREATE INDEX posts_search_idx ON posts USING GIN (search)",
    "CREATE FUNCTION post_tag_names() RETURNS trigger LANGUAGE plpgsql AS $$ \
     DECLARE target bigint; \
     BEGIN \
       IF TG_OP = 'DELETE' THEN target := OLD.post_id; ELSE target := NEW.post_id; END IF; \
       UPDATE posts SET tag_names = COALESCE((SELECT string_agg(tag, ' ') FROM post_tags WHERE post_id = target), '') \
         WHERE id = target; \
       RETURN NULL; \
     END $$",
    "CREATE TRIGGER post_tag_names AFTER INSERT OR DELETE ON post_tags \
     FOR EACH ROW EXECUTE FUNCTION post_tag_names()",
];

const POSTGRES_DOWN: [&str; 4] = [
    "DROP TRIGGER post_tag_names ON post_tags",
    "DROP FUNCTION post_tag_names()",
    "ALTER TABLE posts DROP COLUMN search",
    "ALTER TABLE posts DROP COLUMN tag_names",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements: &[&str] = match manager.get_database_backend() {
            DbBackend::Postgres => &POSTGRES_UP,
            _ => &SQLITE_UP,
        };
        let db = manager.get_connection();
        for sql in statements {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements: &[&str] = match manager.get_database_backend() {
            DbBackend::Postgres => &POSTGRES_DOWN,
            _ => &SQLITE_DOWN,
        };
        let db = manager.get_connection();
        for sql in statements {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use sea_orm_migration::MigratorTrait;
    use sea_orm_migration::sea_orm::{ConnectionTrait, Database, Statement};

    #[tokio::test]
    async fn posts_from_before_are_indexed_and_changes_follow_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::connect(format!("sqlite://{}/m.db?mode=rwc", dir.path().display())).await.unwrap();
        crate::Migrator::up(&db, Some(23)).await.unwrap();
        for sql in [
            "INSERT INTO users (id, username, username_key, email, password_hash, is_admin, created_at) \
             VALUES (1, 'ann', 'ann', 'ann@example.com', 'x', false, '2026-01-01T00:00:00Z')",
            "INSERT INTO posts (id, title, content, date_posted, updated_at, user_id, slug, description, state) VALUES \
             (1, 'Old walrus', 'body', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 1, 'a', '', 'published')",
            "INSERT INTO post_tags (post_id, tag) VALUES (1, 'zebra')",
        ] {
            db.execute_unprepared(sql).await.unwrap();
        }
        crate::Migrator::up(&db, None).await.unwrap();
        let found = |word: &'static str| {
            let db = &db;
            async move {
                let rows = db
                    .query_all_raw(Statement::from_sql_and_values(
                        db.get_database_backend(),
                        "SELECT rowid FROM posts_search WHERE posts_search MATCH ?",
                        [word.into()],
                    ))
                    .await
                    .unwrap();
                rows.iter().map(|r| r.try_get::<i64>("", "rowid").unwrap()).collect::<Vec<_>>()
            }
        };
        assert_eq!(found("walrus").await, [1], "a post from before, by its title");
        assert_eq!(found("zebra").await, [1], "and its tag");
        db.execute_unprepared("UPDATE posts SET title = 'New otter' WHERE id = 1").await.unwrap();
        assert_eq!(found("walrus").await, Vec::<i64>::new(), "an old title is gone");
        assert_eq!(found("otter").await, [1], "a new one found");
        db.execute_unprepared("DELETE FROM post_tags WHERE post_id = 1").await.unwrap();
        db.execute_unprepared("INSERT INTO post_tags (post_id, tag) VALUES (1, 'yak')").await.unwrap();
        assert_eq!(found("zebra").await, Vec::<i64>::new());
        assert_eq!(found("yak").await, [1]);
        db.execute_unprepared("DELETE FROM posts WHERE id = 1").await.unwrap();
        assert_eq!(found("otter").await, Vec::<i64>::new(), "a deleted post is gone");
        let check =
            db.execute_unprepared("INSERT INTO posts_search(posts_search, rank) VALUES ('integrity-check', 1)").await;
        assert!(check.is_ok(), "the index matches the posts: {check:?}");
    }
}
