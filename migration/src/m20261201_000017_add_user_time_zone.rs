//! Accounts gain a time zone (an IANA name such as `Europe/Paris`), in which the editor reads and
//! shows publish times; none is UTC.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    TimeZone,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut column = ColumnDef::new(Users::TimeZone).string_len(64).null().to_owned();
        manager.alter_table(Table::alter().table(Users::Table).add_column(&mut column).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Users::Table).drop_column(Users::TimeZone).to_owned()).await
    }
}
