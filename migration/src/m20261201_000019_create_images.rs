//! Images authors upload for their posts: the files live under `media_dir/images/`, one row each
//! here says whose they are, what they show (`alt`) and how many bytes they take (for the
//! per-author quota).

use sea_orm_migration::prelude::*;

use crate::m20261122_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Images {
    Table,
    Id,
    UserId,
    Name,
    SmallName,
    Alt,
    Width,
    Height,
    Bytes,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Images::Table)
                    .col(ColumnDef::new(Images::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Images::UserId).big_integer().not_null())
                    .col(ColumnDef::new(Images::Name).string_len(64).not_null().unique_key())
                    .col(ColumnDef::new(Images::SmallName).string_len(64).null())
                    .col(ColumnDef::new(Images::Alt).text().not_null())
                    .col(ColumnDef::new(Images::Width).integer().not_null())
                    .col(ColumnDef::new(Images::Height).integer().not_null())
                    .col(ColumnDef::new(Images::Bytes).big_integer().not_null())
                    .col(ColumnDef::new(Images::CreatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("images_user_id_fkey")
                            .from(Images::Table, Images::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("images_user_id_created_at_idx")
                    .table(Images::Table)
                    .col(Images::UserId)
                    .col((Images::CreatedAt, IndexOrder::Desc))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Images::Table).to_owned()).await
    }
}
