use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Posts {
    Table,
    Id,
    Description,
    Format,
    BodyHtml,
    Excerpt,
    WordCount,
}

#[derive(DeriveIden)]
enum PostTags {
    Table,
    PostId,
}

/// Posts gain their format (`text` or `markdown`) and what is rendered from their body when they
/// are saved: the sanitised HTML (Markdown only), a plain-text excerpt and the word count. The
/// rendering of existing posts is left to the application (at start-up, for rows without it):
/// a migration does not call the renderer of the day.
///
/// Which existing posts are Markdown: those that came in through the RealWorld API, whose `body`
/// is Markdown by its spec. The API always stores a description (it requires one) and is the only
/// way to give a post tags; the site's form had neither. So a post with a description or a tag
/// is `markdown`, and every other post, the site's, stays `text` and renders as before.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            ColumnDef::new(Posts::Format).string_len(16).not_null().default("text").to_owned(),
            ColumnDef::new(Posts::BodyHtml).text().null().to_owned(),
            ColumnDef::new(Posts::Excerpt).text().null().to_owned(),
            ColumnDef::new(Posts::WordCount).integer().not_null().default(0).to_owned(),
        ];
        for mut column in columns {
            manager.alter_table(Table::alter().table(Posts::Table).add_column(&mut column).to_owned()).await?;
        }
        let tagged = Query::select().column(PostTags::PostId).from(PostTags::Table).to_owned();
        let update = Query::update()
            .table(Posts::Table)
            .value(Posts::Format, "markdown")
            .cond_where(
                Cond::any().add(Expr::col(Posts::Description).ne("")).add(Expr::col(Posts::Id).in_subquery(tagged)),
            )
            .to_owned();
        manager.get_connection().execute(&update).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Posts::WordCount, Posts::Excerpt, Posts::BodyHtml, Posts::Format] {
            manager.alter_table(Table::alter().table(Posts::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use sea_orm_migration::MigratorTrait;
    use sea_orm_migration::sea_orm::{ConnectionTrait, Database};

    #[tokio::test]
    async fn posts_that_came_through_the_api_become_markdown_and_the_sites_stay_text() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/m.db?mode=rwc", dir.path().display());
        let db = Database::connect(&url).await.unwrap();
        crate::Migrator::up(&db, Some(14)).await.unwrap();
        let statements = [
            "INSERT INTO users (id, username, username_key, email, password_hash, is_admin, created_at) \
             VALUES (1, 'ann', 'ann', 'ann@example.com', 'x', false, '2026-01-01T00:00:00Z')",
            "INSERT INTO posts (id, title, content, date_posted, updated_at, user_id, slug, description) VALUES \
             (1, 'Site', 'plain *text*', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 1, 'site', ''), \
             (2, 'Api', '## Heading', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 1, 'api', 'A summary'), \
             (3, 'Tagged', '**bold**', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 1, 'tagged', '')",
            "INSERT INTO post_tags (post_id, tag) VALUES (3, 'rust')",
        ];
        for sql in statements {
            db.execute_unprepared(sql).await.unwrap();
        }
        crate::Migrator::up(&db, None).await.unwrap();
        let rows = db
            .query_all_raw(sea_orm_migration::sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT id, format, excerpt FROM posts ORDER BY id",
            ))
            .await
            .unwrap();
        let found: Vec<(i64, String, Option<String>)> = rows
            .iter()
            .map(|r| {
                (r.try_get("", "id").unwrap(), r.try_get("", "format").unwrap(), r.try_get("", "excerpt").unwrap())
            })
            .collect();
        assert_eq!(
            found,
            [(1, "text".into(), None), (2, "markdown".into(), None), (3, "markdown".into(), None)],
            "rendering is left to the application"
        );
    }
}
