use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Users {
    Table,
    Id,
    Username,
    UsernameKey,
    Email,
    PasswordHash,
    FirstName,
    LastName,
    ImageFile,
    IsAdmin,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(ColumnDef::new(Users::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Users::Username).string_len(20).not_null())
                    // The username folded to lower case by the application, so that "Ann" and
                    // "ann" are one user on every database (SQLite's lower() folds ASCII only).
                    .col(ColumnDef::new(Users::UsernameKey).string_len(64).not_null().unique_key())
                    .col(ColumnDef::new(Users::Email).string_len(254).not_null().unique_key())
                    .col(ColumnDef::new(Users::PasswordHash).string_len(60).not_null())
                    .col(ColumnDef::new(Users::FirstName).string_len(30).null())
                    .col(ColumnDef::new(Users::LastName).string_len(30).null())
                    .col(ColumnDef::new(Users::ImageFile).string_len(64).null())
                    .col(ColumnDef::new(Users::IsAdmin).boolean().not_null().default(false))
                    .col(ColumnDef::new(Users::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Users::Table).to_owned()).await
    }
}
