//! What the sitemap lists: visible posts with their last change, and the authors of visible
//! posts, in pages of ids.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::DbErr;
use crate::entity::{post, post_count, user};

/// `limit` visible posts from `offset`, oldest id first: their ids and last changes.
pub async fn posts(db: &impl ConnectionTrait, limit: u64, offset: u64) -> Result<Vec<(i64, DateTime<Utc>)>, DbErr> {
    post::Entity::find()
        .select_only()
        .columns([post::Column::Id, post::Column::UpdatedAt])
        .filter(crate::posts::visible())
        .order_by_asc(post::Column::Id)
        .limit(limit)
        .offset(offset)
        .into_tuple()
        .all(db)
        .await
}

/// How many accounts have a visible post.
pub async fn author_count(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    post_count::Entity::find()
        .filter(post_count::Column::Owner.gt(0))
        .filter(post_count::Column::Posts.gt(0))
        .count(db)
        .await
}

/// `limit` of the accounts with a visible post from `offset`, oldest first: their names.
pub async fn authors(db: &impl ConnectionTrait, limit: u64, offset: u64) -> Result<Vec<String>, DbErr> {
    user::Entity::find()
        .select_only()
        .column(user::Column::Username)
        .join(
            JoinType::InnerJoin,
            user::Entity::belongs_to(post_count::Entity).from(user::Column::Id).to(post_count::Column::Owner).into(),
        )
        .filter(Expr::col((post_count::Entity, post_count::Column::Posts)).gt(0))
        .order_by_asc(user::Column::Id)
        .limit(limit)
        .offset(offset)
        .into_tuple()
        .all(db)
        .await
}
