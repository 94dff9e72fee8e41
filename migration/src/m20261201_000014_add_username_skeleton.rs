use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    UsernameSkeleton,
}

/// What each username looks like (Unicode's confusable skeleton, in lower case), so that a new name that can
/// pass for an existing one counts as taken. Not unique: accounts made before this migration
/// keep their names even where two of them look alike.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(ColumnDef::new(Users::UsernameSkeleton).string().null())
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let select = Query::select().columns([Users::Id, Users::Username]).from(Users::Table).to_owned();
        for row in db.query_all(&select).await? {
            let id: i64 = row.try_get("", "id")?;
            let username: String = row.try_get("", "username")?;
            let update = Query::update()
                .table(Users::Table)
                .value(Users::UsernameSkeleton, skeleton(&username))
                .and_where(Expr::col(Users::Id).eq(id))
                .to_owned();
            db.execute(&update).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_users_username_skeleton")
                    .table(Users::Table)
                    .col(Users::UsernameSkeleton)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("idx_users_username_skeleton").table(Users::Table).to_owned()).await?;
        manager.alter_table(Table::alter().table(Users::Table).drop_column(Users::UsernameSkeleton).to_owned()).await
    }
}

/// The look-alike rule as it was when this migration was written: a copy, so that what this
/// migration stored does not change when the live rule (`domain::Username::skeleton`) does.
fn skeleton(name: &str) -> String {
    unicode_security::skeleton(name.trim()).collect::<String>().to_lowercase()
}
