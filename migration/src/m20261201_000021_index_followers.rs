//! Who follows an account, read from the followed side: its followers count and list on its page.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Follows {
    Table,
    FollowerId,
    FolloweeId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("follows_followee_id_idx")
                    .table(Follows::Table)
                    .col(Follows::FolloweeId)
                    .col(Follows::FollowerId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("follows_followee_id_idx").table(Follows::Table).to_owned()).await
    }
}
