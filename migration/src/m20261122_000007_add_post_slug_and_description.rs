use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Value};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Posts {
    Table,
    Id,
    Title,
    Slug,
    Description,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Added as nullable so that existing rows can be filled in; Gazette always sets both.
        manager
            .alter_table(
                Table::alter()
                    .table(Posts::Table)
                    .add_column(ColumnDef::new(Posts::Slug).string_len(80).null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Posts::Table)
                    .add_column(ColumnDef::new(Posts::Description).text().not_null().default(""))
                    .to_owned(),
            )
            .await?;
        // Existing posts get a slug from their title, made unique by their id.
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let select = Query::select().columns([Posts::Id, Posts::Title]).from(Posts::Table).to_owned();
        for row in db.query_all_raw(backend.build(&select)).await? {
            let id: i64 = row.try_get("", "id")?;
            let title: String = row.try_get("", "title")?;
            let slug = format!("{}-{id}", slugify(&title));
            let update = Query::update()
                .table(Posts::Table)
                .value(Posts::Slug, Value::from(slug))
                .and_where(Expr::col(Posts::Id).eq(id))
                .to_owned();
            db.execute_raw(backend.build(&update)).await?;
        }
        manager
            .create_index(
                Index::create().name("posts_slug_key").table(Posts::Table).col(Posts::Slug).unique().to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("posts_slug_key").table(Posts::Table).to_owned()).await?;
        manager.alter_table(Table::alter().table(Posts::Table).drop_column(Posts::Slug).to_owned()).await?;
        manager.alter_table(Table::alter().table(Posts::Table).drop_column(Posts::Description).to_owned()).await
    }
}

/// The slug rule as it was when this migration was written (lower-case ASCII words joined by
/// dashes, at most 60 characters, `post` when nothing is left). A copy, not a call: the rule of
/// the day may change, and what this migration did must not change with it.
fn slugify(title: &str) -> String {
    let mut slug = String::with_capacity(title.len());
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= 60 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() { "post".to_owned() } else { slug.to_owned() }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_slugs_of_this_migration_are_those_of_its_day() {
        assert_eq!(super::slugify("  Rust & Rocket: 0.5!  "), "rust-rocket-0-5");
        assert_eq!(super::slugify("Ünïcödé only ✓"), "n-c-d-only");
        assert_eq!(super::slugify("✓✓✓"), "post");
        assert!(super::slugify(&"word ".repeat(40)).len() <= 60);
    }
}
