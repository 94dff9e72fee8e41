use sea_orm::entity::prelude::*;

/// Kept by triggers (migration 013): `owner` 0 counts every post, any other an author's.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "post_counts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub owner: i64,
    pub posts: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
