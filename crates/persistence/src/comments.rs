//! The `comments` table. A comment is `approved` (everyone who may see its post sees it) or
//! `pending` (its writer sees it, marked, and its post's author and moderators may approve it).
//! The database keeps each author's count of pending comments (`users.pending_comments`).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};

use crate::DbErr;
use crate::entity::{comment, post, user};

/// An approved comment.
pub const APPROVED: &str = "approved";
/// A comment waiting for approval.
pub const PENDING: &str = "pending";

/// A comment with what pages and the API show of its writer.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct CommentRow {
    /// Primary key.
    pub id: i64,
    /// The text as written (Markdown).
    pub body: String,
    /// The text as HTML, sanitised (none for comments from before it was made on writing).
    pub body_html: Option<String>,
    /// The post it is on.
    pub post_id: i64,
    /// The id of that post's author.
    pub post_author_id: i64,
    /// Its writer's id.
    pub user_id: i64,
    /// [`APPROVED`] or [`PENDING`].
    pub state: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// The writer's username.
    pub author_username: String,
    /// The writer's biography.
    pub author_bio: Option<String>,
    /// The writer's uploaded avatar file, if any.
    pub author_image_file: Option<String>,
    /// The writer's avatar URL, if given instead.
    pub author_image_url: Option<String>,
}

/// A comment waiting for approval, with the title of its post.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct PendingRow {
    /// Primary key.
    pub id: i64,
    /// The text as written.
    pub body: String,
    /// The text as HTML, sanitised.
    pub body_html: Option<String>,
    /// The post it is on.
    pub post_id: i64,
    /// That post's title.
    pub post_title: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// The writer's username.
    pub author_username: String,
    /// The writer's uploaded avatar file, if any.
    pub author_image_file: Option<String>,
}

/// What a new comment stores.
#[derive(Debug, Clone)]
pub struct NewComment {
    /// The post it is on.
    pub post_id: i64,
    /// That post's author, who moderates it.
    pub post_author_id: i64,
    /// Its writer.
    pub user_id: i64,
    /// The text as written.
    pub body: String,
    /// The text as sanitised HTML.
    pub body_html: String,
    /// [`APPROVED`] or [`PENDING`].
    pub state: &'static str,
}

fn select() -> sea_orm::Select<comment::Entity> {
    comment::Entity::find()
        .select_only()
        .columns([
            comment::Column::Id,
            comment::Column::Body,
            comment::Column::BodyHtml,
            comment::Column::PostId,
            comment::Column::PostAuthorId,
            comment::Column::UserId,
            comment::Column::State,
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
pub async fn insert(db: &impl ConnectionTrait, new: NewComment, now: DateTime<Utc>) -> Result<i64, DbErr> {
    let model = comment::ActiveModel {
        body: Set(new.body),
        body_html: Set(Some(new.body_html)),
        post_id: Set(new.post_id),
        post_author_id: Set(new.post_author_id),
        user_id: Set(new.user_id),
        state: Set(new.state.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    Ok(model.insert(db).await?.id)
}

/// One comment, in whatever state.
pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<Option<CommentRow>, DbErr> {
    select().filter(comment::Column::Id.eq(id)).into_model::<CommentRow>().one(db).await
}

/// What `viewer` sees of a post's comments: the approved ones and their own.
fn seen_by(viewer: Option<i64>) -> Condition {
    let approved = Condition::any().add(comment::Column::State.eq(APPROVED));
    match viewer {
        Some(id) => approved.add(comment::Column::UserId.eq(id)),
        None => approved,
    }
}

/// The comments on a post that `viewer` sees ([`seen_by`]), oldest first, `limit` from `offset`.
pub async fn list_for_post(
    db: &impl ConnectionTrait,
    post_id: i64,
    viewer: Option<i64>,
    limit: u64,
    offset: u64,
) -> Result<Vec<CommentRow>, DbErr> {
    select()
        .filter(comment::Column::PostId.eq(post_id))
        .filter(seen_by(viewer))
        .order_by_asc(comment::Column::CreatedAt)
        .order_by_asc(comment::Column::Id)
        .limit(limit)
        .offset(offset)
        .into_model::<CommentRow>()
        .all(db)
        .await
}

/// How many comments on a post `viewer` sees.
pub async fn count_for_post(db: &impl ConnectionTrait, post_id: i64, viewer: Option<i64>) -> Result<u64, DbErr> {
    comment::Entity::find().filter(comment::Column::PostId.eq(post_id)).filter(seen_by(viewer)).count(db).await
}

/// Approves a pending comment; answers whether it was pending.
pub async fn approve(db: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let done = comment::Entity::update_many()
        .col_expr(comment::Column::State, Expr::value(APPROVED))
        .col_expr(comment::Column::UpdatedAt, Expr::value(now))
        .filter(comment::Column::Id.eq(id))
        .filter(comment::Column::State.eq(PENDING))
        .exec(db)
        .await?;
    Ok(done.rows_affected > 0)
}

/// Whether this user has an approved comment anywhere on the site.
pub async fn has_approved(db: &impl ConnectionTrait, user_id: i64) -> Result<bool, DbErr> {
    let found = comment::Entity::find()
        .select_only()
        .column(comment::Column::Id)
        .filter(comment::Column::UserId.eq(user_id))
        .filter(comment::Column::State.eq(APPROVED))
        .into_tuple::<i64>()
        .one(db)
        .await?;
    Ok(found.is_some())
}

/// The comments waiting on posts by `author` (everyone's when `None`), oldest first, `limit`
/// from `offset`, and how many there are.
pub async fn pending_page(
    db: &impl ConnectionTrait,
    author: Option<i64>,
    limit: u64,
    offset: u64,
) -> Result<(Vec<PendingRow>, u64), DbErr> {
    let mut query = comment::Entity::find().filter(comment::Column::State.eq(PENDING));
    if let Some(author) = author {
        query = query.filter(comment::Column::PostAuthorId.eq(author));
    }
    let total = query.clone().count(db).await?;
    let rows = query
        .select_only()
        .columns([
            comment::Column::Id,
            comment::Column::Body,
            comment::Column::BodyHtml,
            comment::Column::PostId,
            comment::Column::CreatedAt,
        ])
        .column_as(post::Column::Title, "post_title")
        .column_as(user::Column::Username, "author_username")
        .column_as(user::Column::ImageFile, "author_image_file")
        .join(JoinType::InnerJoin, comment::Relation::User.def())
        .join(JoinType::InnerJoin, comment::Relation::Post.def())
        .order_by_asc(comment::Column::CreatedAt)
        .order_by_asc(comment::Column::Id)
        .limit(limit)
        .offset(offset)
        .into_model::<PendingRow>()
        .all(db)
        .await?;
    Ok((rows, total))
}

/// How many comments wait on everyone's posts (the moderators' count).
pub async fn pending_count(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    comment::Entity::find().filter(comment::Column::State.eq(PENDING)).count(db).await
}

/// Deletes a comment; answers whether it existed.
pub async fn delete(db: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    Ok(comment::Entity::delete_by_id(id).exec(db).await?.rows_affected > 0)
}

/// Up to `limit` comments without their HTML (written before it was made on writing).
pub async fn unrendered(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<(i64, String)>, DbErr> {
    comment::Entity::find()
        .select_only()
        .columns([comment::Column::Id, comment::Column::Body])
        .filter(comment::Column::BodyHtml.is_null())
        .limit(limit)
        .into_tuple()
        .all(db)
        .await
}

/// Stores a comment's HTML.
pub async fn set_html(db: &impl ConnectionTrait, id: i64, html: String) -> Result<(), DbErr> {
    comment::Entity::update_many()
        .col_expr(comment::Column::BodyHtml, Expr::value(html))
        .filter(comment::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}
