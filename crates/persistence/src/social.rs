//! Who follows whom, who favours which post, and posts' tags: the tables the JSON API reads
//! for each list in a fixed number of queries (never one per row).

use std::collections::{HashMap, HashSet};

use sea_orm::sea_query::{Expr, Func};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::DbErr;
use crate::entity::{favorite, follow, post_tag};

/// Makes `follower` follow `followee` (again is fine).
pub async fn follow(db: &impl ConnectionTrait, follower: i64, followee: i64) -> Result<(), DbErr> {
    let model = follow::ActiveModel { follower_id: Set(follower), followee_id: Set(followee) };
    follow::Entity::insert(model)
        .on_conflict_do_nothing_on([follow::Column::FollowerId, follow::Column::FolloweeId])
        .exec(db)
        .await
        .map(|_| ())
}

/// Stops `follower` following `followee`.
pub async fn unfollow(db: &impl ConnectionTrait, follower: i64, followee: i64) -> Result<(), DbErr> {
    follow::Entity::delete_by_id((follower, followee)).exec(db).await.map(|_| ())
}

/// Which of `authors` the `viewer` follows.
pub async fn followed_among(db: &impl ConnectionTrait, viewer: i64, authors: &[i64]) -> Result<HashSet<i64>, DbErr> {
    if authors.is_empty() {
        return Ok(HashSet::new());
    }
    let rows: Vec<i64> = follow::Entity::find()
        .select_only()
        .column(follow::Column::FolloweeId)
        .filter(follow::Column::FollowerId.eq(viewer))
        .filter(follow::Column::FolloweeId.is_in(authors.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// How many accounts follow `user_id`, and how many it follows.
pub async fn follow_counts(db: &impl ConnectionTrait, user_id: i64) -> Result<(u64, u64), DbErr> {
    use sea_orm::PaginatorTrait;
    let followers = follow::Entity::find().filter(follow::Column::FolloweeId.eq(user_id)).count(db).await?;
    let following = follow::Entity::find().filter(follow::Column::FollowerId.eq(user_id)).count(db).await?;
    Ok((followers, following))
}

/// A page of the accounts that follow `user_id` (`followers`) or that it follows, by username,
/// and how many there are.
pub async fn follow_page(
    db: &impl ConnectionTrait,
    user_id: i64,
    followers: bool,
    limit: u64,
    offset: u64,
) -> Result<(Vec<crate::users::User>, u64), DbErr> {
    use crate::entity::user;
    use sea_orm::PaginatorTrait;
    let (mine, theirs) = if followers {
        (follow::Column::FolloweeId, follow::Column::FollowerId)
    } else {
        (follow::Column::FollowerId, follow::Column::FolloweeId)
    };
    let total = follow::Entity::find().filter(mine.eq(user_id)).count(db).await?;
    if offset >= total {
        return Ok((Vec::new(), total));
    }
    let ids =
        sea_orm::sea_query::Query::select().column(theirs).from(follow::Entity).and_where(mine.eq(user_id)).to_owned();
    let rows = user::Entity::find()
        .filter(user::Column::Id.in_subquery(ids))
        .order_by_asc(user::Column::UsernameKey)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await?;
    Ok((rows.into_iter().map(crate::users::User::from).collect(), total))
}

/// Marks a post as a favourite of a user (again is fine).
pub async fn favorite(db: &impl ConnectionTrait, user_id: i64, post_id: i64) -> Result<(), DbErr> {
    let model = favorite::ActiveModel { user_id: Set(user_id), post_id: Set(post_id) };
    favorite::Entity::insert(model)
        .on_conflict_do_nothing_on([favorite::Column::UserId, favorite::Column::PostId])
        .exec(db)
        .await
        .map(|_| ())
}

/// How many users favour `post_id`.
pub async fn favorite_count(db: &impl ConnectionTrait, post_id: i64) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    favorite::Entity::find().filter(favorite::Column::PostId.eq(post_id)).count(db).await
}

/// Removes a favourite.
pub async fn unfavorite(db: &impl ConnectionTrait, user_id: i64, post_id: i64) -> Result<(), DbErr> {
    favorite::Entity::delete_by_id((user_id, post_id)).exec(db).await.map(|_| ())
}

/// Which of `posts` the `viewer` favours.
pub async fn favored_among(db: &impl ConnectionTrait, viewer: i64, posts: &[i64]) -> Result<HashSet<i64>, DbErr> {
    if posts.is_empty() {
        return Ok(HashSet::new());
    }
    let rows: Vec<i64> = favorite::Entity::find()
        .select_only()
        .column(favorite::Column::PostId)
        .filter(favorite::Column::UserId.eq(viewer))
        .filter(favorite::Column::PostId.is_in(posts.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Replaces a post's tags.
pub async fn set_tags(db: &impl ConnectionTrait, post_id: i64, tags: &[String]) -> Result<(), DbErr> {
    post_tag::Entity::delete_many().filter(post_tag::Column::PostId.eq(post_id)).exec(db).await?;
    add_tags(db, post_id, tags).await
}

/// Gives a post that has no tags yet its first ones (a new post: nothing to replace).
pub async fn add_tags(db: &impl ConnectionTrait, post_id: i64, tags: &[String]) -> Result<(), DbErr> {
    if tags.is_empty() {
        return Ok(());
    }
    // `visible` is the post's own, set by the database as each row goes in.
    let models = tags.iter().map(|tag| post_tag::ActiveModel {
        post_id: Set(post_id),
        tag: Set(tag.clone()),
        ..Default::default()
    });
    post_tag::Entity::insert_many(models).exec_without_returning(db).await.map(|_| ())
}

/// Tags many posts at once (demo data): each pair is a post and one of its tags.
pub async fn add_tags_many(db: &impl ConnectionTrait, pairs: Vec<(i64, String)>) -> Result<(), DbErr> {
    if pairs.is_empty() {
        return Ok(());
    }
    let models = pairs.into_iter().map(|(post_id, tag)| post_tag::ActiveModel {
        post_id: Set(post_id),
        tag: Set(tag),
        ..Default::default()
    });
    post_tag::Entity::insert_many(models).exec(db).await.map(|_| ())
}

/// A post's tags, sorted by their bytes (the same order whatever the database's collation, and
/// the order a post just written is answered with), read from the column [`tags_column`] adds
/// to a query of posts: a listing gets its posts' tags in its own query, not a second one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct TagList(pub Vec<String>);

impl TagList {
    /// The tags.
    pub fn into_vec(self) -> Vec<String> {
        self.0
    }

    /// The tags from the column's JSON array; none (PostgreSQL's `json_agg` of no rows) for no
    /// tags. Sorted by their bytes.
    pub(crate) fn from_json(json: Option<&str>) -> Result<Self, serde_json::Error> {
        let Some(json) = json else { return Ok(Self::default()) };
        let mut tags: Vec<String> = serde_json::from_str(json)?;
        tags.sort_unstable();
        Ok(Self(tags))
    }
}

impl sea_orm::TryGetable for TagList {
    fn try_get_by<I: sea_orm::ColIdx>(res: &sea_orm::QueryResult, index: I) -> Result<Self, sea_orm::TryGetError> {
        // A JSON array of strings; none (PostgreSQL's `json_agg` of no rows) for no tags.
        let json = Option::<String>::try_get_by(res, index)?;
        Self::from_json(json.as_deref())
            .map_err(|e| sea_orm::TryGetError::DbErr(DbErr::Type(format!("a post's tags: {e}"))))
    }
}

impl rusqlite::types::FromSql for TagList {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let json = match value {
            rusqlite::types::ValueRef::Null => None,
            _ => Some(value.as_str()?),
        };
        Self::from_json(json).map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e)))
    }
}

/// The tags of the post `posts.id` names (`table` is the posts table's name or alias in the
/// query), as one column for [`TagList`]: one lookup in the primary key of `post_tags` a row.
pub(crate) fn tags_column(backend: sea_orm::DatabaseBackend, table: &str) -> Expr {
    let aggregate = match backend {
        sea_orm::DatabaseBackend::Postgres => "json_agg(post_tags.tag)::text",
        _ => "json_group_array(post_tags.tag)",
    };
    Expr::cust(format!("(SELECT {aggregate} FROM post_tags WHERE post_tags.post_id = {table}.id)"))
}

/// The tags of each of `posts`, sorted by name (by their bytes, on every database).
pub async fn tags_of(db: &impl ConnectionTrait, posts: &[i64]) -> Result<HashMap<i64, Vec<String>>, DbErr> {
    if posts.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, String)> = post_tag::Entity::find()
        .select_only()
        .column(post_tag::Column::PostId)
        .column(post_tag::Column::Tag)
        .filter(post_tag::Column::PostId.is_in(posts.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    for (post, tag) in rows {
        out.entry(post).or_default().push(tag);
    }
    // Sorted here, not by the database: in the same order whatever its collation, and the order
    // a post just written is answered with (`app::posts::create_article`).
    for tags in out.values_mut() {
        tags.sort_unstable();
    }
    Ok(out)
}

/// Every tag of a visible post, most used first.
pub async fn all_tags(db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    Ok(tag_counts(db).await?.into_iter().map(|(tag, _)| tag).collect())
}

/// Every tag of a visible post (the 1,000 most used) with how many visible posts have it, most
/// used first.
pub async fn tag_counts(db: &impl ConnectionTrait) -> Result<Vec<(String, i64)>, DbErr> {
    // The tag rows of visible posts say so themselves (kept by triggers from the post's state).
    post_tag::Entity::find()
        .select_only()
        .column(post_tag::Column::Tag)
        .column_as(Expr::expr(Func::count(Expr::col(post_tag::Column::PostId))), "n")
        .filter(post_tag::Column::Visible.eq(true))
        .group_by(post_tag::Column::Tag)
        .order_by_desc(Expr::expr(Func::count(Expr::col(post_tag::Column::PostId))))
        .order_by_asc(post_tag::Column::Tag)
        .limit(1000)
        .into_tuple()
        .all(db)
        .await
}
