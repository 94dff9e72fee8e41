//! Every saved version of a post (title, description, body, tags), numbered from 1 for each post,
//! so that an author can look back and restore one. The application keeps the last 50.

use sea_orm_migration::prelude::*;

use crate::m20261122_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Posts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PostRevisions {
    Table,
    Id,
    PostId,
    Number,
    Title,
    Description,
    Content,
    Tags,
    EditorId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PostRevisions::Table)
                    .col(ColumnDef::new(PostRevisions::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(PostRevisions::PostId).big_integer().not_null())
                    .col(ColumnDef::new(PostRevisions::Number).integer().not_null())
                    .col(ColumnDef::new(PostRevisions::Title).string_len(100).not_null())
                    .col(ColumnDef::new(PostRevisions::Description).text().not_null())
                    .col(ColumnDef::new(PostRevisions::Content).text().not_null())
                    // A JSON array of strings.
                    .col(ColumnDef::new(PostRevisions::Tags).text().not_null())
                    // Who saved it (the author or a moderator); gone with their account.
                    .col(ColumnDef::new(PostRevisions::EditorId).big_integer().null())
                    .col(ColumnDef::new(PostRevisions::CreatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("post_revisions_post_id_fkey")
                            .from(PostRevisions::Table, PostRevisions::PostId)
                            .to(Posts::Table, Posts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("post_revisions_editor_id_fkey")
                            .from(PostRevisions::Table, PostRevisions::EditorId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("post_revisions_post_id_number_key")
                    .table(PostRevisions::Table)
                    .col(PostRevisions::PostId)
                    .col(PostRevisions::Number)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(PostRevisions::Table).to_owned()).await
    }
}
