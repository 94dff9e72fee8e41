//! Posts as the JSON API lists them: filtered by tag, author or a user's favourites, or the feed
//! of the authors a user follows; newest first, with their authors.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, FromQueryResult, JoinType, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, RelationTrait, Select,
};

use crate::DbErr;
use crate::entity::{favorite, follow, post, post_tag, user};

/// A post with what the API shows of its author.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct ArticleRow {
    /// Primary key.
    pub id: i64,
    /// The URL name (posts from before slugs have one made from their title and id).
    pub slug: Option<String>,
    /// 1 to 100 characters.
    pub title: String,
    /// A one-line summary; empty for none.
    pub description: String,
    /// The body.
    pub content: String,
    /// When it was first published.
    pub date_posted: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// The author's id.
    pub user_id: i64,
    /// `text` or `markdown`.
    pub format: String,
    /// `draft`, `scheduled` or `published`.
    pub state: String,
    /// The author's username.
    pub author_username: String,
    /// The author's biography.
    pub author_bio: Option<String>,
    /// The author's uploaded avatar file, if any.
    pub author_image_file: Option<String>,
    /// The author's avatar URL, if given instead.
    pub author_image_url: Option<String>,
    /// How many users favour it.
    pub favorites_count: i64,
    /// Whether new comments are refused.
    pub comments_closed: bool,
    /// Its tags, read in the same query.
    pub tags: crate::social::TagList,
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

fn select(backend: DatabaseBackend) -> Select<post::Entity> {
    select_and(crate::posts::Bodies::Loaded, backend)
}

/// The articles' columns, with or without their bodies (lists show none: see
/// [`crate::posts::Bodies`]; left out, `content` is empty).
fn select_and(bodies: crate::posts::Bodies, backend: DatabaseBackend) -> Select<post::Entity> {
    let select = match bodies {
        crate::posts::Bodies::Loaded => post::Entity::find().select_only().column(post::Column::Content),
        crate::posts::Bodies::Left => post::Entity::find().select_only().expr_as(Expr::val(""), "content"),
    };
    select
        .columns([
            post::Column::Id,
            post::Column::Slug,
            post::Column::Title,
            post::Column::Description,
            post::Column::DatePosted,
            post::Column::UpdatedAt,
            post::Column::UserId,
            post::Column::Format,
            post::Column::State,
            post::Column::CommentsClosed,
        ])
        .column_as(user::Column::Username, "author_username")
        .column_as(user::Column::Bio, "author_bio")
        .column_as(user::Column::ImageFile, "author_image_file")
        .column_as(user::Column::ImageUrl, "author_image_url")
        .expr_as(
            Expr::SubQuery(
                None,
                Box::new(
                    Query::select()
                        .expr(Expr::col(favorite::Column::UserId).count())
                        .from(favorite::Entity)
                        .and_where(
                            Expr::col((favorite::Entity, favorite::Column::PostId))
                                .equals((post::Entity, post::Column::Id)),
                        )
                        .to_owned()
                        .into(),
                ),
            ),
            "favorites_count",
        )
        .expr_as(crate::social::tags_column(backend, "posts"), "tags")
        .join(JoinType::InnerJoin, post::Relation::User.def())
}

/// The visible posts `filter` picks.
fn filtered<E: EntityTrait>(query: Select<E>, filter: &Filter) -> Select<E> {
    let mut query = query.filter(crate::posts::visible());
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

/// One page of the visible posts the filter picks, newest first, and how many there are in all. A page past the
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
    let page = |select: Select<post::Entity>| {
        filtered(select, filter)
            .order_by_desc(post::Column::DatePosted)
            .order_by_desc(post::Column::Id)
            .limit(limit)
            .offset(offset)
    };
    if !everything {
        // The page's ids first, from indexes alone, then those few rows with their authors and
        // favourite counts: selecting the rows at once had the database make every matching row
        // (a tag's 2,667 of 10,000, with a count of favourites each) before sorting them.
        let tag_only = filter.author.is_none() && filter.favorited_by.is_none() && filter.followed_by.is_none();
        let count = match filter.tag.as_deref().filter(|_| tag_only) {
            Some(tag) => crate::posts::of_tag(tag).count(db).await?,
            None => filtered(post::Entity::find(), filter).count(db).await?,
        };
        if offset >= count || limit == 0 {
            return Ok((Vec::new(), count));
        }
        let ids: Vec<i64> = match filter.tag.as_deref().filter(|_| tag_only) {
            Some(tag) => crate::posts::tag_page_ids(tag, limit, offset).into_tuple().all(db).await?,
            None => page(post::Entity::find().select_only().column(post::Column::Id)).into_tuple().all(db).await?,
        };
        let rows = select_and(crate::posts::Bodies::Left, db.get_database_backend())
            .filter(post::Column::Id.is_in(ids.iter().copied()))
            .into_model::<ArticleRow>()
            .all(db)
            .await?;
        return Ok((crate::posts::in_order(rows, &ids, |a| a.id), count));
    }
    // Everything: the count of all posts (kept by triggers) rides along on each row. The page's
    // ids come from the index first, so that the rows skipped by a deep offset are index entries:
    // selected at once, each would be joined and have its tags and favourites counted first.
    let ids = page(post::Entity::find().select_only().column(post::Column::Id)).into_query();
    let statement = select_and(crate::posts::Bodies::Left, db.get_database_backend())
        .filter(post::Column::Id.in_subquery(ids))
        .order_by_desc(post::Column::DatePosted)
        .order_by_desc(post::Column::Id)
        .expr_as(crate::posts::post_total(Expr::val(0i64)), "total")
        .build(db.get_database_backend());
    let found = db.query_all_raw(statement).await?;
    let mut rows = Vec::with_capacity(found.len());
    let mut count = None;
    for row in &found {
        count = Some(row.try_get::<i64>("", "total")?);
        rows.push(ArticleRow::from_query_result(row, "")?);
    }
    let count = match count {
        Some(n) => u64::try_from(n).unwrap_or(0),
        // An empty page: past the end, or no posts at all.
        None => crate::posts::count(db, None).await?,
    };
    Ok((rows, count))
}

/// The posts with these ids, in the order of `ids`.
pub async fn find_many(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<ArticleRow>, DbErr> {
    let rows = select(db.get_database_backend())
        .filter(post::Column::Id.is_in(ids.iter().copied()))
        .into_model::<ArticleRow>()
        .all(db)
        .await?;
    Ok(crate::posts::in_order(rows, ids, |a| a.id))
}

/// The post with this slug, whatever its state.
pub async fn find_by_slug(db: &impl ConnectionTrait, slug: &str) -> Result<Option<ArticleRow>, DbErr> {
    select(db.get_database_backend()).filter(post::Column::Slug.eq(slug)).into_model::<ArticleRow>().one(db).await
}

/// The post with this id, whatever its state.
pub async fn find_by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<ArticleRow>, DbErr> {
    select(db.get_database_backend()).filter(post::Column::Id.eq(id)).into_model::<ArticleRow>().one(db).await
}
