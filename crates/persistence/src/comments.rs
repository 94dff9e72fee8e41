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
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult, serde::Deserialize)]
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

/// A page of a post's comments as one JSON array in one row: a page is up to a hundred rows, and
/// each row a driver hands over costs more than the row itself (on SQLite, a message between
/// threads), so the database makes the page into one value. The same columns as [`select`];
/// `?2` is the viewer (0, no account, for nobody), `?5` whether the source text is wanted
/// besides the HTML (else it comes only for comments that have no HTML), `?6` whether to count
/// every comment the viewer sees too (in the same query: one trip, not two).
const SQLITE_PAGE: &str = "SELECT json_group_array(json_object(\
    'id', c.id, 'body', CASE WHEN ?5 OR c.body_html IS NULL THEN c.body ELSE '' END, 'body_html', c.body_html, \
    'post_id', c.post_id, 'post_author_id', c.post_author_id, 'user_id', c.user_id, 'state', c.state, \
    'created_at', c.created_at, 'updated_at', c.updated_at, 'author_username', u.username, \
    'author_bio', u.bio, 'author_image_file', u.image_file, 'author_image_url', u.image_url) \
    ORDER BY c.created_at, c.id) AS page, \
    CASE WHEN ?6 THEN (SELECT COUNT(*) FROM comments WHERE post_id = ?1 AND (state = 'approved' OR user_id = ?2)) \
    END AS total \
  FROM (SELECT * FROM comments WHERE post_id = ?1 AND (state = 'approved' OR user_id = ?2) \
        ORDER BY created_at, id LIMIT ?3 OFFSET ?4) c \
  JOIN users u ON u.id = c.user_id";

/// [`SQLITE_PAGE`] for PostgreSQL.
const POSTGRES_PAGE: &str = "SELECT COALESCE(json_agg(json_build_object(\
    'id', c.id, 'body', CASE WHEN $5 OR c.body_html IS NULL THEN c.body ELSE '' END, 'body_html', c.body_html, \
    'post_id', c.post_id, 'post_author_id', c.post_author_id, 'user_id', c.user_id, 'state', c.state, \
    'created_at', c.created_at, 'updated_at', c.updated_at, 'author_username', u.username, \
    'author_bio', u.bio, 'author_image_file', u.image_file, 'author_image_url', u.image_url) \
    ORDER BY c.created_at, c.id), '[]')::text AS page, \
    CASE WHEN $6 THEN (SELECT COUNT(*) FROM comments WHERE post_id = $1 AND (state = 'approved' OR user_id = $2)) \
    END AS total \
  FROM (SELECT * FROM comments WHERE post_id = $1 AND (state = 'approved' OR user_id = $2) \
        ORDER BY created_at, id LIMIT $3 OFFSET $4) c \
  JOIN users u ON u.id = c.user_id";

/// The comments on a post that `viewer` sees ([`seen_by`]: the approved ones and their own),
/// oldest first, `limit` from `offset`; with their source text when `source` (the API shows
/// it), else only their HTML (the site's page); and, when `count`, how many the viewer sees in
/// all.
pub async fn list_for_post(
    db: &impl ConnectionTrait,
    post_id: i64,
    viewer: Option<i64>,
    source: bool,
    count: bool,
    limit: u64,
    offset: u64,
) -> Result<(Vec<CommentRow>, Option<u64>), DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => POSTGRES_PAGE,
        _ => SQLITE_PAGE,
    };
    let to_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let values: [sea_orm::Value; 6] = [
        post_id.into(),
        viewer.unwrap_or(0).into(),
        to_i64(limit).into(),
        to_i64(offset).into(),
        source.into(),
        count.into(),
    ];
    let row = db.query_one_raw(sea_orm::Statement::from_sql_and_values(backend, sql, values)).await?;
    let (page, total): (Option<String>, Option<i64>) = match row {
        Some(row) => (row.try_get("", "page")?, row.try_get("", "total")?),
        None => (None, None),
    };
    let rows = serde_json::from_str(page.as_deref().unwrap_or("[]"))
        .map_err(|e| DbErr::Custom(format!("a page of comments did not read back: {e}")))?;
    Ok((rows, total.map(|n| u64::try_from(n).unwrap_or(0))))
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

/// Up to `limit` comments after id `after`, by id, as `(id, source text)`: all of them, or
/// `unrendered_only` those without their HTML (written before it was made on writing).
pub async fn bodies_after(
    db: &impl ConnectionTrait,
    after: i64,
    limit: u64,
    unrendered_only: bool,
) -> Result<Vec<(i64, String)>, DbErr> {
    let mut query = comment::Entity::find()
        .select_only()
        .columns([comment::Column::Id, comment::Column::Body])
        .filter(comment::Column::Id.gt(after));
    if unrendered_only {
        query = query.filter(comment::Column::BodyHtml.is_null());
    }
    query.order_by_asc(comment::Column::Id).limit(limit).into_tuple().all(db).await
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
