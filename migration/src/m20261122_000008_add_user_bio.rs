use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Bio,
    ImageUrl,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(Users::Table).add_column(ColumnDef::new(Users::Bio).text().null()).to_owned(),
            )
            .await?;
        // A picture given by URL through the API, used when there is no uploaded one.
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(ColumnDef::new(Users::ImageUrl).string_len(1000).null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Users::Table).drop_column(Users::Bio).to_owned()).await?;
        manager.alter_table(Table::alter().table(Users::Table).drop_column(Users::ImageUrl).to_owned()).await
    }
}
