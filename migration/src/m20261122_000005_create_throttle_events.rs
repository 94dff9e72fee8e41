use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ThrottleEvents {
    Table,
    Id,
    Scope,
    Key,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ThrottleEvents::Table)
                    .col(ColumnDef::new(ThrottleEvents::Id).big_integer().not_null().auto_increment().primary_key())
                    // What is counted: failed logins, reset requests...
                    .col(ColumnDef::new(ThrottleEvents::Scope).string_len(32).not_null())
                    // Whom it is counted against: an account or a client address.
                    .col(ColumnDef::new(ThrottleEvents::Key).string_len(300).not_null())
                    .col(ColumnDef::new(ThrottleEvents::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("throttle_events_scope_key_created_at_idx")
                    .table(ThrottleEvents::Table)
                    .col(ThrottleEvents::Scope)
                    .col(ThrottleEvents::Key)
                    .col(ThrottleEvents::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("throttle_events_created_at_idx")
                    .table(ThrottleEvents::Table)
                    .col(ThrottleEvents::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ThrottleEvents::Table).to_owned()).await
    }
}
