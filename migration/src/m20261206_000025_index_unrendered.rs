//! Posts and comments stored before their rendering was are found from an index of them alone,
//! empty once they are rendered: every start looks for them, and without it that look read
//! every post (five gigabytes and two seconds of a core at 1,000,000 posts, while the server
//! was already answering).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("CREATE INDEX posts_unrendered ON posts (id) WHERE excerpt IS NULL").await?;
        db.execute_unprepared("CREATE INDEX comments_unrendered ON comments (id) WHERE body_html IS NULL").await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX comments_unrendered").await?;
        db.execute_unprepared("DROP INDEX posts_unrendered").await?;
        Ok(())
    }
}
