use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    Recipient,
    Subject,
    BodyText,
    BodyHtml,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastError,
    CreatedAt,
    SentAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(ColumnDef::new(Outbox::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Outbox::Recipient).string_len(254).not_null())
                    .col(ColumnDef::new(Outbox::Subject).string_len(200).not_null())
                    .col(ColumnDef::new(Outbox::BodyText).text().not_null())
                    .col(ColumnDef::new(Outbox::BodyHtml).text().null())
                    // pending, sent or failed
                    .col(ColumnDef::new(Outbox::Status).string_len(10).not_null())
                    .col(ColumnDef::new(Outbox::Attempts).integer().not_null().default(0))
                    .col(ColumnDef::new(Outbox::NextAttemptAt).timestamp_with_time_zone().not_null())
                    // Set while one worker delivers the message, so that no other takes it.
                    .col(ColumnDef::new(Outbox::LockedUntil).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Outbox::LastError).text().null())
                    .col(ColumnDef::new(Outbox::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Outbox::SentAt).timestamp_with_time_zone().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("outbox_status_next_attempt_at_idx")
                    .table(Outbox::Table)
                    .col(Outbox::Status)
                    .col(Outbox::NextAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Outbox::Table).to_owned()).await
    }
}
