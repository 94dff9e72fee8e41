use sea_orm_migration::prelude::*;

use crate::m20261122_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Posts {
    Table,
    Id,
    Title,
    Content,
    DatePosted,
    UpdatedAt,
    UserId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Posts::Table)
                    .col(ColumnDef::new(Posts::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Posts::Title).string_len(100).not_null())
                    .col(ColumnDef::new(Posts::Content).text().not_null())
                    .col(ColumnDef::new(Posts::DatePosted).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Posts::UpdatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Posts::UserId).big_integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("posts_user_id_fkey")
                            .from(Posts::Table, Posts::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The home page lists newest first; an author's page lists one author's newest first.
        manager
            .create_index(
                Index::create()
                    .name("posts_date_posted_idx")
                    .table(Posts::Table)
                    .col((Posts::DatePosted, IndexOrder::Desc))
                    .col((Posts::Id, IndexOrder::Desc))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("posts_user_id_date_posted_idx")
                    .table(Posts::Table)
                    .col(Posts::UserId)
                    .col((Posts::DatePosted, IndexOrder::Desc))
                    .col((Posts::Id, IndexOrder::Desc))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Posts::Table).to_owned()).await
    }
}
