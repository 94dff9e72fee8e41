use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "posts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub content: String,
    pub date_posted: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub user_id: i64,
    pub slug: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub format: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub body_html: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub excerpt: Option<String>,
    pub word_count: i32,
    pub state: String,
    pub comments_closed: bool,
    pub comments_version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id",
        on_delete = "Cascade"
    )]
    User,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
