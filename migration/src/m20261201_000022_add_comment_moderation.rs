//! Comments on the site: each comment gains its rendered HTML (made once when written), a
//! `state` (`approved` or `pending`; existing comments are approved) and the id of the post's
//! author, who moderates it. Posts may close their comments; users choose whether they are
//! mailed about comments, and keep a count of the comments waiting for them, which the
//! navigation shows without a query.
//!
//! The count (`users.pending_comments`) is kept by triggers from the comment's own
//! `post_author_id`, so that it stays right whichever way a comment goes: approved, rejected,
//! deleted, or deleted with its post or its writer's account.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Comments {
    Table,
    BodyHtml,
    State,
    PostAuthorId,
}

#[derive(DeriveIden)]
enum Posts {
    Table,
    CommentsClosed,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    PendingComments,
    NotifyComments,
}

/// The same SQL on SQLite and PostgreSQL.
const STATEMENTS: [&str; 5] = [
    "UPDATE comments SET post_author_id = (SELECT posts.user_id FROM posts WHERE posts.id = comments.post_id)",
    // A post's comments, oldest first, one range of one index.
    "CREATE INDEX comments_post_id_created_at_idx ON comments (post_id, created_at, id)",
    "DROP INDEX comments_post_id_idx",
    // Whether a commenter has an approved comment, and their recent comments.
    "CREATE INDEX comments_user_id_state_idx ON comments (user_id, state)",
    // The comments waiting for one author, or for anyone (moderators): few rows.
    "CREATE INDEX comments_pending_idx ON comments (post_author_id, created_at) WHERE state = 'pending'",
];

const SQLITE_TRIGGERS: [&str; 4] = [
    "CREATE TRIGGER comments_held AFTER INSERT ON comments WHEN NEW.state = 'pending' BEGIN \
       UPDATE users SET pending_comments = pending_comments + 1 WHERE id = NEW.post_author_id; \
     END",
    "CREATE TRIGGER comments_unheld AFTER DELETE ON comments WHEN OLD.state = 'pending' BEGIN \
       UPDATE users SET pending_comments = pending_comments - 1 WHERE id = OLD.post_author_id; \
     END",
    "CREATE TRIGGER comments_released AFTER UPDATE OF state ON comments \
       WHEN OLD.state = 'pending' AND NEW.state <> 'pending' BEGIN \
       UPDATE users SET pending_comments = pending_comments - 1 WHERE id = OLD.post_author_id; \
     END",
    "CREATE TRIGGER comments_reheld AFTER UPDATE OF state ON comments \
       WHEN OLD.state <> 'pending' AND NEW.state = 'pending' BEGIN \
       UPDATE users SET pending_comments = pending_comments + 1 WHERE id = NEW.post_author_id; \
     END",
];

const POSTGRES_TRIGGERS: [&str; 2] = [
    "CREATE OR REPLACE FUNCTION count_pending_comments() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.state = 'pending' \
          AND (TG_OP = 'INSERT' OR OLD.state <> 'pending') THEN \
         UPDATE users SET pending_comments = pending_comments + 1 WHERE id = NEW.post_author_id; \
       ELSIF TG_OP IN ('DELETE', 'UPDATE') AND OLD.state = 'pending' \
          AND (TG_OP = 'DELETE' OR NEW.state <> 'pending') THEN \
         UPDATE users SET pending_comments = pending_comments - 1 WHERE id = OLD.post_author_id; \
       END IF; \
       RETURN NULL; \
     END $$",
    "CREATE TRIGGER comments_pending_counted AFTER INSERT OR DELETE OR UPDATE OF state ON comments \
     FOR EACH ROW EXECUTE FUNCTION count_pending_comments()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In one transaction on SQLite too (see the post state's migration: triggers made on a
    /// pool must be made on one connection).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            (Comments::Table.into_iden(), ColumnDef::new(Comments::BodyHtml).text().null().to_owned()),
            (
                Comments::Table.into_iden(),
                ColumnDef::new(Comments::State).string_len(16).not_null().default("approved").to_owned(),
            ),
            (
                Comments::Table.into_iden(),
                ColumnDef::new(Comments::PostAuthorId).big_integer().not_null().default(0).to_owned(),
            ),
            (
                Posts::Table.into_iden(),
                ColumnDef::new(Posts::CommentsClosed).boolean().not_null().default(false).to_owned(),
            ),
            (
                Users::Table.into_iden(),
                ColumnDef::new(Users::PendingComments).big_integer().not_null().default(0).to_owned(),
            ),
            (
                Users::Table.into_iden(),
                ColumnDef::new(Users::NotifyComments).boolean().not_null().default(true).to_owned(),
            ),
        ];
        // One column a statement: SQLite alters one thing at a time.
        for (table, mut column) in columns {
            manager.alter_table(Table::alter().table(table).add_column(&mut column).to_owned()).await?;
        }
        let db = manager.get_connection();
        for sql in STATEMENTS {
            db.execute_unprepared(sql).await?;
        }
        let triggers: &[&str] = match manager.get_database_backend() {
            DbBackend::Postgres => &POSTGRES_TRIGGERS,
            _ => &SQLITE_TRIGGERS,
        };
        for sql in triggers {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // Going down would publish every held comment.
        Err(DbErr::Migration("held comments cannot be migrated down without showing them".into()))
    }
}
