//! A number on each post that changes whenever anything its comments show changes: a comment
//! written, approved, re-rendered or deleted (with it, its post or its writer's account), or a
//! writer's name or picture. Pages of comments read for visitors are kept in memory under it, so
//! the post's own row, read anyway, says whether they still hold.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Posts {
    Table,
    CommentsVersion,
}

const SQLITE_TRIGGERS: [&str; 4] = [
    "CREATE TRIGGER comments_version_on_insert AFTER INSERT ON comments BEGIN \
       UPDATE posts SET comments_version = comments_version + 1 WHERE id = NEW.post_id; \
     END",
    "CREATE TRIGGER comments_version_on_delete AFTER DELETE ON comments BEGIN \
       UPDATE posts SET comments_version = comments_version + 1 WHERE id = OLD.post_id; \
     END",
    "CREATE TRIGGER comments_version_on_update AFTER UPDATE ON comments BEGIN \
       UPDATE posts SET comments_version = comments_version + 1 WHERE id IN (OLD.post_id, NEW.post_id); \
     END",
    "CREATE TRIGGER comments_version_on_writer AFTER UPDATE OF username, image_file ON users \
       WHEN OLD.username IS NOT NEW.username OR OLD.image_file IS NOT NEW.image_file BEGIN \
       UPDATE posts SET comments_version = comments_version + 1 \
         WHERE id IN (SELECT post_id FROM comments WHERE user_id = NEW.id); \
     END",
];

const POSTGRES_TRIGGERS: [&str; 4] = [
    "CREATE OR REPLACE FUNCTION bump_comments_version() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       IF TG_OP IN ('INSERT', 'UPDATE') THEN \
         UPDATE posts SET comments_version = comments_version + 1 WHERE id = NEW.post_id; \
       END IF; \
       IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.post_id <> NEW.post_id) THEN \
         UPDATE posts SET comments_version = comments_version + 1 WHERE id = OLD.post_id; \
       END IF; \
       RETURN NULL; \
     END $$",
    "CREATE TRIGGER comments_version AFTER INSERT OR DELETE OR UPDATE ON comments \
     FOR EACH ROW EXECUTE FUNCTION bump_comments_version()",
    "CREATE OR REPLACE FUNCTION bump_comments_version_of_writer() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       UPDATE posts SET comments_version = comments_version + 1 \
         WHERE id IN (SELECT post_id FROM comments WHERE user_id = NEW.id); \
       RETURN NULL; \
     END $$",
    "CREATE TRIGGER comments_version_on_writer AFTER UPDATE OF username, image_file ON users \
     FOR EACH ROW WHEN (OLD.username IS DISTINCT FROM NEW.username OR OLD.image_file IS DISTINCT FROM NEW.image_file) \
     EXECUTE FUNCTION bump_comments_version_of_writer()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In one transaction on SQLite too (triggers made on a pool must be made on one connection).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut column = ColumnDef::new(Posts::CommentsVersion).big_integer().not_null().default(0).to_owned();
        manager.alter_table(Table::alter().table(Posts::Table).add_column(&mut column).to_owned()).await?;
        let triggers: &[&str] = match manager.get_database_backend() {
            DbBackend::Postgres => &POSTGRES_TRIGGERS,
            _ => &SQLITE_TRIGGERS,
        };
        let db = manager.get_connection();
        for sql in triggers {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared("DROP TRIGGER comments_version ON comments").await?;
                db.execute_unprepared("DROP TRIGGER comments_version_on_writer ON users").await?;
                db.execute_unprepared("DROP FUNCTION bump_comments_version, bump_comments_version_of_writer").await?;
            }
            _ => {
                for name in ["on_insert", "on_delete", "on_update", "on_writer"] {
                    db.execute_unprepared(&format!("DROP TRIGGER comments_version_{name}")).await?;
                }
            }
        }
        manager.alter_table(Table::alter().table(Posts::Table).drop_column(Posts::CommentsVersion).to_owned()).await
    }
}
