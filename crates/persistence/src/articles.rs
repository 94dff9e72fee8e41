//! Posts as the JSON API lists them: filtered by tag, author or a user's favourites, or the feed
//! of the authors a user follows; newest first, with their authors, in one query per page.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait, Select,
};

use crate::DbErr;
use crate::entity::{favorite, follow, post, post_tag, user};

/// A post with what the API shows of its author.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct ArticleRow {
    pub id: i64,
    pub slug: Option<String>,
    pub title: String,
    pub description: String,
    pub content: String,
    pub date_posted: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub user_id: i64,
    pub author_username: String,
    pub author_bio: Option<String>,
    pub author_image_file: Option<String>,
    pub author_image_url: Option<String>,
}

/// Which posts to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only posts with this tag.
    pub tag: Option<String>,
    /// Only posts by this username.
    pub author: Option<String>,
    /// Only posts this username favours.
    pub favorited_by: Option<String>,
    /// Only posts by authors this user follows (the feed).
    pub followed_by: Option<i64>,
}

fn select() -> Select<post::Entity> {
    post::Entity::find()
        .select_only()
        .columns([
            post::Column::Id,
            post::Column::Slug,
            post::Column::Title,
            post::Column::Description,
            post::Column::Content,
            post::Column::DatePosted,
            post::Column::UpdatedAt,
            post::Column::UserId,
        ])
        .column_as(user::Column::Username, "author_username")
        .column_as(user::Column::Bio, "author_bio")
        .column_as(user::Column::ImageFile, "author_image_file")
        .column_as(user::Column::ImageUrl, "author_image_url")
        .join(JoinType::InnerJoin, post::Relation::User.def())
}

fn filtered<E: EntityTrait>(mut query: Select<E>, filter: &Filter) -> Select<E> {
    if let Some(tag) = &filter.tag {
        let ids = Query::select()
            .column(post_tag::Column::PostId)
            .from(post_tag::Entity)
            .and_where(post_tag::Column::Tag.eq(tag.clone()))
            .to_owned();
        query = query.filter(post::Column::Id.in_subquery(ids));
    }
    if let Some(author) = &filter.author {
        let ids = Query::select()
            .column(user::Column::Id)
            .from(user::Entity)
            .and_where(user::Column::UsernameKey.eq(domain::Username::key_of(author)))
            .to_owned();
        query = query.filter(post::Column::UserId.in_subquery(ids));
    }
    if let Some(fan) = &filter.favorited_by {
        let ids = Query::select()
            .column((favorite::Entity, favorite::Column::PostId))
            .from(favorite::Entity)
            .inner_join(
                user::Entity,
                Expr::col((user::Entity, user::Column::Id)).equals((favorite::Entity, favorite::Column::UserId)),
            )
            .and_where(ExprTrait::eq(
                Expr::col((user::Entity, user::Column::UsernameKey)),
                domain::Username::key_of(fan),
            ))
            .to_owned();
        query = query.filter(post::Column::Id.in_subquery(ids));
    }
    if let Some(follower) = filter.followed_by {
        let ids = Query::select()
            .column(follow::Column::FolloweeId)
            .from(follow::Entity)
            .and_where(follow::Column::FollowerId.eq(follower))
            .to_owned();
        query = query.filter(post::Column::UserId.in_subquery(ids));
    }
    query
}

/// One page of the filtered posts, newest first, and how many there are in all. A page past the
/// end is empty (whatever the offset: databases take offsets up to `i64::MAX` only).
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &Filter,
    limit: u64,
    offset: u64,
) -> Result<(Vec<ArticleRow>, u64), DbErr> {
    let everything = filter.tag.is_none()
        && filter.author.is_none()
        && filter.favorited_by.is_none()
        && filter.followed_by.is_none();
    let count = match everything {
        true => crate::posts::count(db, None).await?,
        false => filtered(post::Entity::find(), filter).count(db).await?,
    };
    if offset >= count || limit == 0 {
        return Ok((Vec::new(), count));
    }
    let rows = filtered(select(), filter)
        .order_by_desc(post::Column::DatePosted)
        .order_by_desc(post::Column::Id)
        .limit(limit)
        .offset(offset)
        .into_model::<ArticleRow>()
        .all(db)
        .await?;
    Ok((rows, count))
}

/// The post with this slug.
pub async fn find_by_slug(db: &impl ConnectionTrait, slug: &str) -> Result<Option<ArticleRow>, DbErr> {
    select().filter(post::Column::Slug.eq(slug)).into_model::<ArticleRow>().one(db).await
}

/// The post with this id.
pub async fn find_by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<ArticleRow>, DbErr> {
    select().filter(post::Column::Id.eq(id)).into_model::<ArticleRow>().one(db).await
}
