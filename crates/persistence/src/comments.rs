//! The `comments` table.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType,
    QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};

use crate::DbErr;
use crate::entity::{comment, user};

/// A comment with what the API shows of its author.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct CommentRow {
    /// Primary key.
    pub id: i64,
    /// The text.
    pub body: String,
    /// The post it is on.
    pub post_id: i64,
    /// Its author's id.
    pub user_id: i64,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// The author's username.
    pub author_username: String,
    /// The author's biography.
    pub author_bio: Option<String>,
    /// The author's uploaded avatar file, if any.
    pub author_image_file: Option<String>,
    /// The author's avatar URL, if given instead.
    pub author_image_url: Option<String>,
}

fn select() -> sea_orm::Select<comment::Entity> {
    comment::Entity::find()
        .select_only()
        .columns([
            comment::Column::Id,
            comment::Column::Body,
            comment::Column::PostId,
            comment::Column::UserId,
            comment::Column::CreatedAt,
            comment::Column::UpdatedAt,
        ])
        .column_as(user::Column::Username, "author_username")
        .column_as(user::Column::Bio, "author_bio")
        .column_as(user::Column::ImageFile, "author_image_file")
        .column_as(user::Column::ImageUrl, "author_image_url")
        .join(JoinType::InnerJoin, comment::Relation::User.def())
}

/// Stores a comment and returns its id.
pub async fn insert(
    db: &impl ConnectionTrait,
    post_id: i64,
    user_id: i64,
    body: String,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let model = comment::ActiveModel {
        body: Set(body),
        post_id: Set(post_id),
        user_id: Set(user_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    Ok(model.insert(db).await?.id)
}

/// One comment.
pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<Option<CommentRow>, DbErr> {
    select().filter(comment::Column::Id.eq(id)).into_model::<CommentRow>().one(db).await
}

/// A post's comments, oldest first.
pub async fn list_for_post(
    db: &impl ConnectionTrait,
    post_id: i64,
    limit: u64,
    offset: u64,
) -> Result<Vec<CommentRow>, DbErr> {
    select()
        .filter(comment::Column::PostId.eq(post_id))
        .order_by_asc(comment::Column::CreatedAt)
        .order_by_asc(comment::Column::Id)
        .limit(limit)
        .offset(offset)
        .into_model::<CommentRow>()
        .all(db)
        .await
}

/// Deletes a comment.
pub async fn delete(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    comment::Entity::delete_by_id(id).exec(db).await.map(|_| ())
}
