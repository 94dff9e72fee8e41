use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Favorites {
    Table,
    UserId,
    PostId,
}

#[derive(DeriveIden)]
enum Posts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Favorites::Table)
                    .col(ColumnDef::new(Favorites::UserId).big_integer().not_null())
                    .col(ColumnDef::new(Favorites::PostId).big_integer().not_null())
                    .primary_key(Index::create().col(Favorites::UserId).col(Favorites::PostId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("favorites_user_id_fkey")
                            .from(Favorites::Table, Favorites::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("favorites_post_id_fkey")
                            .from(Favorites::Table, Favorites::PostId)
                            .to(Posts::Table, Posts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Counting a post's favorites.
        manager
            .create_index(
                Index::create().name("favorites_post_id_idx").table(Favorites::Table).col(Favorites::PostId).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Favorites::Table).to_owned()).await
    }
}
