//! Each post's tag rows carry whether the post is visible (published) and its publish time, kept
//! by triggers from the post: a tag's page, its count and every tag's count then read one range
//! of one index of `post_tags`, in publish order, instead of looking up each post.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PostTags {
    Table,
    Tag,
    Visible,
    DatePosted,
    PostId,
}

const BACKFILL: &str = "UPDATE post_tags SET visible = (post_id IN (SELECT id FROM posts WHERE state = 'published'))";

const SQLITE_TRIGGERS: [&str; 2] = [
    "CREATE TRIGGER post_tags_visible_on_insert AFTER INSERT ON post_tags BEGIN \
       UPDATE post_tags SET \
         visible = EXISTS (SELECT 1 FROM posts WHERE id = NEW.post_id AND state = 'published'), \
         date_posted = (SELECT date_posted FROM posts WHERE id = NEW.post_id) \
         WHERE post_id = NEW.post_id AND tag = NEW.tag; \
     END",
    "CREATE TRIGGER post_tags_follow_state AFTER UPDATE OF state, date_posted ON posts BEGIN \
       UPDATE post_tags SET visible = (NEW.state = 'published'), date_posted = NEW.date_posted \
         WHERE post_id = NEW.id; \
     END",
];

const POSTGRES_TRIGGERS: [&str; 4] = [
    "CREATE FUNCTION post_tag_visible() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       SELECT state = 'published', date_posted INTO NEW.visible, NEW.date_posted FROM posts WHERE id = NEW.post_id; \
       NEW.visible := COALESCE(NEW.visible, false); \
       RETURN NEW; \
     END $$",
    "CREATE TRIGGER post_tags_visible_on_insert BEFORE INSERT ON post_tags \
     FOR EACH ROW EXECUTE FUNCTION post_tag_visible()",
    "CREATE FUNCTION post_tags_follow_state() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       IF NEW.state IS DISTINCT FROM OLD.state OR NEW.date_posted IS DISTINCT FROM OLD.date_posted THEN \
         UPDATE post_tags SET visible = (NEW.state = 'published'), date_posted = NEW.date_posted \
           WHERE post_id = NEW.id; \
       END IF; \
       RETURN NULL; \
     END $$",
    "CREATE TRIGGER post_tags_follow_state AFTER UPDATE OF state, date_posted ON posts \
     FOR EACH ROW EXECUTE FUNCTION post_tags_follow_state()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            ColumnDef::new(PostTags::Visible).boolean().not_null().default(true).to_owned(),
            ColumnDef::new(PostTags::DatePosted).timestamp_with_time_zone().null().to_owned(),
        ];
        for mut column in columns {
            manager.alter_table(Table::alter().table(PostTags::Table).add_column(&mut column).to_owned()).await?;
        }
        let db = manager.get_connection();
        db.execute_unprepared(BACKFILL).await?;
        let triggers: &[&str] = match manager.get_database_backend() {
            DbBackend::Postgres => &POSTGRES_TRIGGERS,
            _ => &SQLITE_TRIGGERS,
        };
        for sql in triggers {
            db.execute_unprepared(sql).await?;
        }
        manager.drop_index(Index::drop().name("post_tags_tag_idx").table(PostTags::Table).to_owned()).await?;
        manager
            .create_index(
                Index::create()
                    .name("post_tags_tag_visible_idx")
                    .table(PostTags::Table)
                    .col(PostTags::Tag)
                    .col(PostTags::Visible)
                    .col((PostTags::DatePosted, IndexOrder::Desc))
                    .col((PostTags::PostId, IndexOrder::Desc))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared("DROP TRIGGER post_tags_visible_on_insert ON post_tags").await?;
                db.execute_unprepared("DROP TRIGGER post_tags_follow_state ON posts").await?;
                db.execute_unprepared("DROP FUNCTION post_tag_visible()").await?;
                db.execute_unprepared("DROP FUNCTION post_tags_follow_state()").await?;
            }
            _ => {
                db.execute_unprepared("DROP TRIGGER post_tags_visible_on_insert").await?;
                db.execute_unprepared("DROP TRIGGER post_tags_follow_state").await?;
            }
        }
        manager.drop_index(Index::drop().name("post_tags_tag_visible_idx").table(PostTags::Table).to_owned()).await?;
        manager
            .create_index(
                Index::create()
                    .name("post_tags_tag_idx")
                    .table(PostTags::Table)
                    .col(PostTags::Tag)
                    .col(PostTags::PostId)
                    .to_owned(),
            )
            .await?;
        for column in [PostTags::DatePosted, PostTags::Visible] {
            manager.alter_table(Table::alter().table(PostTags::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use sea_orm_migration::MigratorTrait;
    use sea_orm_migration::sea_orm::{ConnectionTrait, Database, Statement};

    #[tokio::test]
    async fn tag_rows_say_whether_their_post_is_visible_before_and_after_the_migration() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::connect(format!("sqlite://{}/m.db?mode=rwc", dir.path().display())).await.unwrap();
        crate::Migrator::up(&db, Some(19)).await.unwrap();
        for sql in [
            "INSERT INTO users (id, username, username_key, email, password_hash, is_admin, created_at) \
             VALUES (1, 'ann', 'ann', 'ann@example.com', 'x', false, '2026-01-01T00:00:00Z')",
            "INSERT INTO posts (id, title, content, date_posted, updated_at, user_id, slug, description, state) VALUES \
             (1, 'Out', 'x', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 1, 'out', '', 'published'), \
             (2, 'Draft', 'x', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 1, 'draft', '', 'draft')",
            "INSERT INTO post_tags (post_id, tag) VALUES (1, 'a'), (2, 'a')",
        ] {
            db.execute_unprepared(sql).await.unwrap();
        }
        crate::Migrator::up(&db, None).await.unwrap();
        let visible = || async {
            let rows = db
                .query_all_raw(Statement::from_string(
                    db.get_database_backend(),
                    "SELECT post_id, visible FROM post_tags ORDER BY post_id, tag",
                ))
                .await
                .unwrap();
            rows.iter()
                .map(|r| (r.try_get::<i64>("", "post_id").unwrap(), r.try_get::<bool>("", "visible").unwrap()))
                .collect::<Vec<_>>()
        };
        assert_eq!(visible().await, [(1, true), (2, false)], "backfilled");
        db.execute_unprepared("INSERT INTO post_tags (post_id, tag) VALUES (2, 'b')").await.unwrap();
        assert_eq!(visible().await, [(1, true), (2, false), (2, false)], "a new row takes its post's state");
        db.execute_unprepared("UPDATE posts SET state = 'published' WHERE id = 2").await.unwrap();
        db.execute_unprepared("UPDATE posts SET state = 'draft' WHERE id = 1").await.unwrap();
        assert_eq!(visible().await, [(1, false), (2, true), (2, true)], "and follows it");
        db.execute_unprepared("UPDATE posts SET date_posted = '2026-02-02T00:00:00Z' WHERE id = 2").await.unwrap();
        let dates = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT DISTINCT date_posted FROM post_tags WHERE post_id = 2",
            ))
            .await
            .unwrap();
        let dates: Vec<String> = dates.iter().map(|r| r.try_get("", "date_posted").unwrap()).collect();
        assert_eq!(dates, ["2026-02-02T00:00:00Z"], "its publish time too");
    }
}
