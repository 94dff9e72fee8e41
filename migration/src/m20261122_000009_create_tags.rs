use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PostTags {
    Table,
    PostId,
    Tag,
}

#[derive(DeriveIden)]
enum Posts {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PostTags::Table)
                    .col(ColumnDef::new(PostTags::PostId).big_integer().not_null())
                    .col(ColumnDef::new(PostTags::Tag).string_len(64).not_null())
                    .primary_key(Index::create().col(PostTags::PostId).col(PostTags::Tag))
                    .foreign_key(
                        ForeignKey::create()
                            .name("post_tags_post_id_fkey")
                            .from(PostTags::Table, PostTags::PostId)
                            .to(Posts::Table, Posts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Listing by tag.
        manager
            .create_index(
                Index::create()
                    .name("post_tags_tag_idx")
                    .table(PostTags::Table)
                    .col(PostTags::Tag)
                    .col(PostTags::PostId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(PostTags::Table).to_owned()).await
    }
}
