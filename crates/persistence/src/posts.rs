//! The `posts` table.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, FromQueryResult,
    JoinType, QueryFilter, QueryOrder, QuerySelect, QueryTrait, RelationTrait, Select, TransactionSession,
    TransactionTrait, TryInsertResult,
};

use sea_orm::sea_query::{Expr, Order, Query};

use crate::DbErr;
use crate::entity::{post, post_count, user};
use crate::in_place::InPlace;
use crate::social::{TagList, tags_column};

/// A post with what listings show of its author.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct PostWithAuthor {
    /// Primary key.
    pub id: i64,
    /// 1 to 100 characters.
    pub title: String,
    /// The body.
    pub content: String,
    /// When it was first published.
    pub date_posted: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// The author's id.
    pub user_id: i64,
    /// The author's username.
    pub author_username: String,
    /// The author's custom avatar, if any.
    pub author_image_file: Option<String>,
    /// The URL name.
    pub slug: Option<String>,
    /// A one-line summary (optional on the site).
    pub description: String,
    /// `text` or `markdown` (`domain::PostFormat`).
    pub format: String,
    /// The sanitised HTML of a Markdown body.
    pub body_html: Option<String>,
    /// Plain text for listings; none until rendered.
    pub excerpt: Option<String>,
    /// Words in the body.
    pub word_count: i32,
    /// `draft`, `scheduled` or `published` (`domain::PostState`).
    pub state: String,
    /// Whether new comments are refused.
    pub comments_closed: bool,
    /// Changes whenever anything its comments show changes (kept by the database).
    pub comments_version: i64,
    /// Its tags, read in the same query.
    pub tags: TagList,
}

impl PostWithAuthor {
    /// The post on a row read in place (`in_place`), its columns named as for
    /// [`FromQueryResult`].
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get("id")?,
            title: row.get("title")?,
            content: row.get("content")?,
            date_posted: row.get("date_posted")?,
            updated_at: row.get("updated_at")?,
            user_id: row.get("user_id")?,
            author_username: row.get("author_username")?,
            author_image_file: row.get("author_image_file")?,
            slug: row.get("slug")?,
            description: row.get("description")?,
            format: row.get("format")?,
            body_html: row.get("body_html")?,
            excerpt: row.get("excerpt")?,
            word_count: row.get("word_count")?,
            state: row.get("state")?,
            comments_closed: row.get("comments_closed")?,
            comments_version: row.get("comments_version")?,
            tags: row.get("tags")?,
        })
    }
}

/// What a new post stores.
#[derive(Debug, Clone)]
pub struct NewPost {
    /// The author.
    pub user_id: i64,
    /// A checked title.
    pub title: domain::Title,
    /// A checked body.
    pub content: domain::Content,
    /// A summary; empty for none.
    pub description: String,
    /// The body as rendered.
    pub rendered: Rendered,
    /// Its state and publish time.
    pub publication: (domain::PostState, DateTime<Utc>),
}

/// What is rendered from a body when it is saved.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    /// `text` or `markdown`.
    pub format: String,
    /// Sanitised HTML (Markdown only).
    pub html: Option<String>,
    /// Plain text for listings.
    pub excerpt: String,
    /// Words in the body.
    pub words: i32,
}

/// The one visibility rule, as the database applies it: a post readers may see is published
/// (a scheduled post becomes published when its time comes: [`publish_due`]). Every listing
/// for readers filters with it. It is written out, not bound: both databases use the partial
/// indexes of published posts (migration 016) only for a condition that names the same value.
pub fn visible() -> Expr {
    Expr::cust(visible_sql())
}

/// The rule's SQL: `domain::PostState::Published`, as the indexes' condition spells it.
pub(crate) const fn visible_sql() -> &'static str {
    "posts.state = 'published'"
}

/// Whether a query of posts brings their bodies (a post's page, feeds, search snippets) or
/// leaves them out: a listing shows summaries, and a body with its HTML is kilobytes a post that
/// the database would copy, and the server decode, for nothing. Left out, `content` is empty and
/// `body_html` none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bodies {
    /// With `content` and `body_html`.
    Loaded,
    /// Without them.
    Left,
}

fn with_author(backend: DatabaseBackend) -> Select<post::Entity> {
    with_author_and(Bodies::Loaded, backend)
}

fn with_author_and(bodies: Bodies, backend: DatabaseBackend) -> Select<post::Entity> {
    let mut select = post::Entity::find().select_only().columns([
        post::Column::Id,
        post::Column::Title,
        post::Column::DatePosted,
        post::Column::UpdatedAt,
        post::Column::UserId,
        post::Column::Slug,
        post::Column::Description,
        post::Column::Format,
        post::Column::Excerpt,
        post::Column::WordCount,
        post::Column::State,
        post::Column::CommentsClosed,
        post::Column::CommentsVersion,
    ]);
    select = match bodies {
        Bodies::Loaded => select.columns([post::Column::Content, post::Column::BodyHtml]),
        Bodies::Left => {
            select.expr_as(Expr::val(""), "content").expr_as(Expr::val(Option::<String>::None), "body_html")
        }
    };
    select
        .column_as(user::Column::Username, "author_username")
        .column_as(user::Column::ImageFile, "author_image_file")
        .expr_as(tags_column(backend, "posts"), "tags")
        .join(JoinType::InnerJoin, post::Relation::User.def())
}

/// Stores a post and returns its id and slug. The slug comes from the title; when another post
/// has it, a random suffix makes it unique (also when two posts with one title are written at
/// the same moment: the unique index decides, and the loser tries again). One statement per
/// attempt: a taken slug inserts nothing rather than failing, so the caller's transaction
/// stays usable without a savepoint around each attempt.
pub async fn insert(db: &impl ConnectionTrait, new: NewPost, now: DateTime<Utc>) -> Result<(i64, String), DbErr> {
    let base = domain::slugify(new.title.as_str());
    let mut slug = base.clone();
    for _ in 0..8 {
        let attempt = post::Entity::insert(new_model(new.clone(), slug.clone(), now))
            .on_conflict_do_nothing_on([post::Column::Slug])
            .exec(db)
            .await?;
        match attempt {
            TryInsertResult::Inserted(done) => return Ok((done.last_insert_id, slug)),
            TryInsertResult::Conflicted | TryInsertResult::Empty => slug = suffixed(&base),
        }
    }
    Err(DbErr::Custom("no free slug".into()))
}

fn suffixed(base: &str) -> String {
    format!("{base}-{:08x}", rand::random::<u32>())
}

/// Stores many posts in one statement (demo data); each comes with its own publication.
pub async fn insert_many(db: &impl ConnectionTrait, posts: Vec<NewPost>) -> Result<(), DbErr> {
    if posts.is_empty() {
        return Ok(());
    }
    let models = posts.into_iter().map(|new| {
        let slug = suffixed(&domain::slugify(new.title.as_str()));
        let at = new.publication.1;
        new_model(new, slug, at)
    });
    post::Entity::insert_many(models).exec(db).await.map(|_| ())
}

fn new_model(new: NewPost, slug: String, now: DateTime<Utc>) -> post::ActiveModel {
    let (state, at) = new.publication;
    post::ActiveModel {
        title: Set(new.title.into_inner()),
        content: Set(new.content.into_inner()),
        date_posted: Set(at),
        updated_at: Set(now),
        state: Set(state.as_str().to_owned()),
        user_id: Set(new.user_id),
        slug: Set(Some(slug)),
        description: Set(new.description),
        format: Set(new.rendered.format),
        body_html: Set(new.rendered.html),
        excerpt: Set(Some(new.rendered.excerpt)),
        word_count: Set(new.rendered.words),
        ..Default::default()
    }
}

/// The post with this id and its author.
pub async fn find_by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<PostWithAuthor>, DbErr> {
    with_author(db.get_database_backend()).filter(post::Column::Id.eq(id)).into_model::<PostWithAuthor>().one(db).await
}

/// The posts with these ids and their authors, in the order of `ids` (ids of no post left out).
pub async fn find_many(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<PostWithAuthor>, DbErr> {
    let rows = with_author(db.get_database_backend())
        .filter(post::Column::Id.is_in(ids.iter().copied()))
        .into_model::<PostWithAuthor>()
        .all(db)
        .await?;
    Ok(in_order(rows, ids, |p| p.id))
}

/// `rows` in the order of `ids`.
pub(crate) fn in_order<T>(rows: Vec<T>, ids: &[i64], id: impl Fn(&T) -> i64) -> Vec<T> {
    let mut by_id: std::collections::HashMap<i64, T> = rows.into_iter().map(|r| (id(&r), r)).collect();
    ids.iter().filter_map(|i| by_id.remove(i)).collect()
}

/// How many posts there are, from all authors or one: one row the database keeps up to date
/// (migration 013), not a count.
pub async fn count(db: &impl ConnectionTrait, author: Option<i64>) -> Result<u64, DbErr> {
    let row = post_count::Entity::find_by_id(author.unwrap_or(0)).one(db).await?;
    Ok(row.map_or(0, |r| u64::try_from(r.posts).unwrap_or(0)))
}

/// One page of posts, newest first, from all authors or one (`total` of them, from [`count`]).
///
/// The page's ids are found first from the index alone, so that a deep page skips index entries
/// rather than whole rows and their authors (a "deferred join"); a page in the older half is
/// found from the oldest end, so that the last page costs what the first does.
pub async fn list_newest(
    db: &impl ConnectionTrait,
    in_place: &InPlace,
    author: Option<i64>,
    limit: u64,
    offset: u64,
    total: u64,
) -> Result<Vec<PostWithAuthor>, DbErr> {
    if offset >= total || limit == 0 {
        return Ok(Vec::new());
    }
    let from_oldest = offset > total / 2;
    let (order, skip, take) = if from_oldest {
        let end = offset.saturating_add(limit).min(total);
        (Order::Asc, total - end, end - offset)
    } else {
        (Order::Desc, offset, limit)
    };
    let mut ids = Query::select();
    ids.column(post::Column::Id)
        .from(post::Entity)
        .and_where(visible())
        .order_by(post::Column::DatePosted, order.clone())
        .order_by(post::Column::Id, order)
        .limit(take)
        .offset(skip);
    if let Some(user_id) = author {
        ids.and_where(post::Column::UserId.eq(user_id));
    }
    let select = with_author_and(Bodies::Left, db.get_database_backend())
        .filter(post::Column::Id.in_subquery(ids))
        .order_by_desc(post::Column::DatePosted)
        .order_by_desc(post::Column::Id);
    posts_read(db, in_place, select).await
}

/// The posts `select` (from [`with_author_and`]) finds: in place when it can, else from the pool.
async fn posts_read(
    db: &impl ConnectionTrait,
    in_place: &InPlace,
    select: Select<post::Entity>,
) -> Result<Vec<PostWithAuthor>, DbErr> {
    let statement = select.build(db.get_database_backend());
    if let Some(rows) = in_place.query(&statement, PostWithAuthor::from_sqlite) {
        return Ok(rows);
    }
    PostWithAuthor::find_by_statement(statement).all(db).await
}

/// The number of posts the triggers keep for `owner` (0: everyone's; else an author's id), as a
/// subquery to read along with a page of posts (NULL before the owner's first post).
pub(crate) fn post_total(owner: Expr) -> Expr {
    use sea_orm::sea_query::ExprTrait;
    let total = Query::select()
        .column(post_count::Column::Posts)
        .from(post_count::Entity)
        .and_where(Expr::col((post_count::Entity, post_count::Column::Owner)).eq(owner))
        .to_owned();
    Expr::SubQuery(None, Box::new(total.into()))
}

/// A page of everyone's posts counted from the newest, and how many posts there are, in one
/// query (the count rides along as a column; it reads 0 when the page is empty). For pages in
/// the newer half: [`list_newest`] serves the older half faster.
pub async fn newest_page(
    db: &impl ConnectionTrait,
    in_place: &InPlace,
    limit: u64,
    offset: u64,
    bodies: Bodies,
) -> Result<(Vec<PostWithAuthor>, u64), DbErr> {
    let ids = Query::select()
        .column(post::Column::Id)
        .from(post::Entity)
        .and_where(visible())
        .order_by(post::Column::DatePosted, Order::Desc)
        .order_by(post::Column::Id, Order::Desc)
        .limit(limit)
        .offset(offset)
        .to_owned();
    let statement = with_author_and(bodies, db.get_database_backend())
        .expr_as(post_total(Expr::val(0i64)), "total")
        .filter(post::Column::Id.in_subquery(ids))
        .order_by_desc(post::Column::DatePosted)
        .order_by_desc(post::Column::Id)
        .build(db.get_database_backend());
    let read = |row: &rusqlite::Row<'_>| Ok((PostWithAuthor::from_sqlite(row)?, row.get::<_, i64>("total")?));
    if let Some(rows) = in_place.query(&statement, read) {
        let total = rows.first().map_or(0, |(_, total)| *total);
        return Ok((rows.into_iter().map(|(post, _)| post).collect(), u64::try_from(total).unwrap_or(0)));
    }
    let rows = db.query_all_raw(statement).await?;
    let mut total = 0;
    let mut posts = Vec::with_capacity(rows.len());
    for row in rows {
        total = row.try_get::<i64>("", "total")?;
        posts.push(PostWithAuthor::from_query_result(&row, "")?);
    }
    Ok((posts, u64::try_from(total).unwrap_or(0)))
}

/// An author's page of posts counted from the newest, with the author's account and how many
/// posts they have, in one query; `None` when no account has that username (in any case).
///
/// The account is the query's one row when the page is empty, and rides along on each post's
/// row otherwise. For pages in the newer half: [`list_newest`] serves the older half faster.
pub async fn author_page(
    db: &impl ConnectionTrait,
    username: &str,
    limit: u64,
    offset: u64,
) -> Result<Option<(crate::users::User, Vec<PostWithAuthor>, u64)>, DbErr> {
    use sea_orm::sea_query::{Alias, ExprTrait, Func};

    let key = domain::Username::key_of(username);
    let author_id = Query::select()
        .column(user::Column::Id)
        .from(user::Entity)
        .and_where(user::Column::UsernameKey.eq(key.clone()))
        .to_owned();
    let ids = Query::select()
        .column(post::Column::Id)
        .from(post::Entity)
        // `=` (not `IN`): one author, so the index on (user_id, date_posted) gives the order.
        .and_where(Expr::col((post::Entity, post::Column::UserId)).eq(Expr::SubQuery(None, Box::new(author_id.into()))))
        .and_where(visible())
        .order_by(post::Column::DatePosted, Order::Desc)
        .order_by(post::Column::Id, Order::Desc)
        .limit(limit)
        .offset(offset)
        .to_owned();
    let total = post_total(Expr::col((user::Entity, user::Column::Id)));
    let page = Alias::new("page");
    let post_column = |column: post::Column, name: &str| (Expr::col((page.clone(), column)), format!("post_{name}"));
    let mut select = user::Entity::find()
        .filter(user::Column::UsernameKey.eq(key))
        .expr_as(Func::coalesce([total, Expr::val(0i64)]), "post_total");
    QueryTrait::query(&mut select).join_as(
        JoinType::LeftJoin,
        post::Entity,
        page.clone(),
        Expr::col((page.clone(), post::Column::Id)).in_subquery(ids),
    );
    for (expr, name) in [
        post_column(post::Column::Id, "id"),
        post_column(post::Column::Title, "title"),
        post_column(post::Column::DatePosted, "date_posted"),
        post_column(post::Column::UpdatedAt, "updated_at"),
        post_column(post::Column::UserId, "user_id"),
        post_column(post::Column::Slug, "slug"),
        post_column(post::Column::Description, "description"),
        post_column(post::Column::Format, "format"),
        // A listing: without the bodies (see `Bodies`).
        (Expr::val(""), "post_content".to_owned()),
        (Expr::val(Option::<String>::None), "post_body_html".to_owned()),
        post_column(post::Column::Excerpt, "excerpt"),
        post_column(post::Column::WordCount, "word_count"),
        post_column(post::Column::State, "state"),
        post_column(post::Column::CommentsClosed, "comments_closed"),
        post_column(post::Column::CommentsVersion, "comments_version"),
        (Expr::col((user::Entity, user::Column::Username)), "post_author_username".to_owned()),
        (Expr::col((user::Entity, user::Column::ImageFile)), "post_author_image_file".to_owned()),
        (tags_column(db.get_database_backend(), "page"), "post_tags".to_owned()),
    ] {
        select = select.expr_as(expr, name);
    }
    let statement = select
        .order_by(Expr::col((page.clone(), post::Column::DatePosted)), Order::Desc)
        .order_by(Expr::col((page, post::Column::Id)), Order::Desc)
        .build(db.get_database_backend());
    let rows = db.query_all_raw(statement).await?;
    let Some(first) = rows.first() else { return Ok(None) };
    let account = crate::users::User::from(user::Model::from_query_result(first, "")?);
    let total = first.try_get::<i64>("", "post_total")?;
    let mut posts = Vec::with_capacity(rows.len());
    for row in &rows {
        if row.try_get::<Option<i64>>("", "post_id")?.is_some() {
            posts.push(PostWithAuthor::from_query_result(row, "post_")?);
        }
    }
    Ok(Some((account, posts, u64::try_from(total).unwrap_or(0))))
}

/// Changes a post's title and body (and, through the API, its description; from the site's
/// editor, its state and publish time). A new title gives a new slug.
pub async fn update(
    db: &(impl ConnectionTrait + TransactionTrait),
    id: i64,
    title: domain::Title,
    content: domain::Content,
    description: Option<String>,
    rendered: Rendered,
    publication: Option<(domain::PostState, DateTime<Utc>)>,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let current = post::Entity::find_by_id(id).one(db).await?.ok_or_else(|| DbErr::RecordNotFound("post".into()))?;
    let retitled = current.title != title.as_str();
    let base = domain::slugify(title.as_str());
    let mut slug = match (&current.slug, retitled) {
        (Some(slug), false) => slug.clone(),
        _ => base.clone(),
    };
    for _ in 0..8 {
        let mut model = post::ActiveModel {
            id: sea_orm::ActiveValue::Unchanged(id),
            title: Set(title.as_str().to_owned()),
            content: Set(content.as_str().to_owned()),
            updated_at: Set(now),
            slug: Set(Some(slug.clone())),
            format: Set(rendered.format.clone()),
            body_html: Set(rendered.html.clone()),
            excerpt: Set(Some(rendered.excerpt.clone())),
            word_count: Set(rendered.words),
            ..Default::default()
        };
        if let Some(description) = &description {
            model.description = Set(description.clone());
        }
        if let Some((state, at)) = publication {
            model.state = Set(state.as_str().to_owned());
            model.date_posted = Set(at);
        }
        let attempt = db.begin().await?;
        match model.update(&attempt).await {
            Ok(_) => {
                attempt.commit().await?;
                return Ok(slug);
            }
            Err(e) if crate::unique_violation(&e).is_some() => {
                attempt.rollback().await?;
                slug = suffixed(&base);
            }
            Err(e) => return Err(e),
        }
    }
    Err(DbErr::Custom("no free slug".into()))
}

/// The ids of the posts above `after`, in order (demo data tags what it just added).
pub async fn ids_after(db: &impl ConnectionTrait, after: i64) -> Result<Vec<i64>, DbErr> {
    post::Entity::find()
        .select_only()
        .column(post::Column::Id)
        .filter(post::Column::Id.gt(after))
        .order_by_asc(post::Column::Id)
        .into_tuple()
        .all(db)
        .await
}

/// The highest post id, 0 when there is none.
pub async fn max_id(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let last: Option<i64> = post::Entity::find()
        .select_only()
        .column(post::Column::Id)
        .order_by_desc(post::Column::Id)
        .into_tuple()
        .one(db)
        .await?;
    Ok(last.unwrap_or(0))
}

/// The visible rows of `tag`. A tag's rows carry their post's visibility and publish time (kept
/// by triggers): a page of them is one range of the (tag, visible, date_posted, post_id) index,
/// whatever the tag.
pub(crate) fn of_tag(tag: &str) -> Select<crate::entity::post_tag::Entity> {
    use crate::entity::post_tag;
    post_tag::Entity::find().filter(post_tag::Column::Tag.eq(tag)).filter(post_tag::Column::Visible.eq(true))
}

/// The ids of a page of `tag`'s visible posts, newest first.
pub(crate) fn tag_page_ids(tag: &str, limit: u64, offset: u64) -> Select<crate::entity::post_tag::Entity> {
    use crate::entity::post_tag;
    of_tag(tag)
        .select_only()
        .column(post_tag::Column::PostId)
        .order_by_desc(post_tag::Column::DatePosted)
        .order_by_desc(post_tag::Column::PostId)
        .limit(limit)
        .offset(offset)
}

/// A page of the visible posts with `tag`, newest first, and how many there are.
pub async fn tagged_page(
    db: &impl ConnectionTrait,
    tag: &str,
    limit: u64,
    offset: u64,
    bodies: Bodies,
) -> Result<(Vec<PostWithAuthor>, u64), DbErr> {
    let total = sea_orm::PaginatorTrait::count(of_tag(tag), db).await?;
    if offset >= total {
        return Ok((Vec::new(), total));
    }
    let ids = tag_page_ids(tag, limit, offset).into_query();
    let rows = with_author_and(bodies, db.get_database_backend())
        .filter(visible())
        .filter(post::Column::Id.in_subquery(ids))
        .order_by_desc(post::Column::DatePosted)
        .order_by_desc(post::Column::Id)
        .into_model::<PostWithAuthor>()
        .all(db)
        .await?;
    Ok((rows, total))
}

/// A page of the visible posts `user_id` favours, newest first, and how many there are.
pub async fn favorited_page(
    db: &impl ConnectionTrait,
    user_id: i64,
    limit: u64,
    offset: u64,
) -> Result<(Vec<PostWithAuthor>, u64), DbErr> {
    use crate::entity::favorite;
    let favored = Query::select()
        .column(favorite::Column::PostId)
        .from(favorite::Entity)
        .and_where(favorite::Column::UserId.eq(user_id))
        .to_owned();
    visible_page(db, post::Column::Id.in_subquery(favored), limit, offset).await
}

/// A page of the visible posts by the authors `reader` follows, newest first, and how many
/// there are.
pub async fn followed_page(
    db: &impl ConnectionTrait,
    reader: i64,
    limit: u64,
    offset: u64,
) -> Result<(Vec<PostWithAuthor>, u64), DbErr> {
    use crate::entity::follow;
    let followed = Query::select()
        .column(follow::Column::FolloweeId)
        .from(follow::Entity)
        .and_where(follow::Column::FollowerId.eq(reader))
        .to_owned();
    visible_page(db, post::Column::UserId.in_subquery(followed), limit, offset).await
}

/// A page of the visible posts that also meet `condition`, newest first, and how many there are.
async fn visible_page(
    db: &impl ConnectionTrait,
    condition: Expr,
    limit: u64,
    offset: u64,
) -> Result<(Vec<PostWithAuthor>, u64), DbErr> {
    let total =
        sea_orm::PaginatorTrait::count(post::Entity::find().filter(visible()).filter(condition.clone()), db).await?;
    if offset >= total {
        return Ok((Vec::new(), total));
    }
    // The page's ids from the indexes first, then those rows: selecting the rows at once made
    // every matching row before sorting them.
    let ids: Vec<i64> = post::Entity::find()
        .select_only()
        .column(post::Column::Id)
        .filter(visible())
        .filter(condition)
        .order_by_desc(post::Column::DatePosted)
        .order_by_desc(post::Column::Id)
        .limit(limit)
        .offset(offset)
        .into_tuple()
        .all(db)
        .await?;
    let rows = with_author_and(Bodies::Left, db.get_database_backend())
        .filter(post::Column::Id.is_in(ids.iter().copied()))
        .into_model::<PostWithAuthor>()
        .all(db)
        .await?;
    Ok((in_order(rows, &ids, |p| p.id), total))
}

/// A page of `author`'s drafts and scheduled posts, the latest saved first, and how many there
/// are.
pub async fn unpublished_page(
    db: &impl ConnectionTrait,
    author: i64,
    limit: u64,
    offset: u64,
) -> Result<(Vec<PostWithAuthor>, u64), DbErr> {
    let unpublished = || {
        post::Entity::find().filter(post::Column::UserId.eq(author)).filter(
            post::Column::State.is_in([domain::PostState::Draft.as_str(), domain::PostState::Scheduled.as_str()]),
        )
    };
    let total = sea_orm::PaginatorTrait::count(unpublished(), db).await?;
    if offset >= total {
        return Ok((Vec::new(), total));
    }
    let ids = unpublished().select_only().column(post::Column::Id).into_query();
    let rows = with_author_and(Bodies::Left, db.get_database_backend())
        .filter(post::Column::Id.in_subquery(ids))
        .order_by_desc(post::Column::UpdatedAt)
        .order_by_desc(post::Column::Id)
        .limit(limit)
        .offset(offset)
        .into_model::<PostWithAuthor>()
        .all(db)
        .await?;
    Ok((rows, total))
}

/// Publishes every scheduled post whose time has come (by `now`); answers how many. Safe to run
/// on every instance at once: a post is published once, and the triggers count it once.
pub async fn publish_due(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let done = post::Entity::update_many()
        .col_expr(post::Column::State, Expr::value(domain::PostState::Published.as_str()))
        .filter(post::Column::State.eq(domain::PostState::Scheduled.as_str()))
        .filter(post::Column::DatePosted.lte(now))
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}

/// Up to `limit` posts with an id above `after`, by id, as (id, format, body): for rendering
/// every post again, or (`unrendered_only`) those never rendered.
pub async fn list_bodies(
    db: &impl ConnectionTrait,
    after: i64,
    limit: u64,
    unrendered_only: bool,
) -> Result<Vec<(i64, String, String)>, DbErr> {
    let mut select = post::Entity::find()
        .select_only()
        .columns([post::Column::Id, post::Column::Format, post::Column::Content])
        .filter(post::Column::Id.gt(after));
    if unrendered_only {
        select = select.filter(post::Column::Excerpt.is_null());
    }
    select.order_by_asc(post::Column::Id).limit(limit).into_tuple().all(db).await
}

/// Stores what was rendered from a post's body, leaving everything else as it is.
pub async fn set_rendered(db: &impl ConnectionTrait, id: i64, rendered: Rendered) -> Result<(), DbErr> {
    let model = post::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(id),
        body_html: Set(rendered.html),
        excerpt: Set(Some(rendered.excerpt)),
        word_count: Set(rendered.words),
        ..Default::default()
    };
    model.update(db).await.map(|_| ())
}

/// Opens (`false`) or closes a post's comments.
pub async fn set_comments_closed(db: &impl ConnectionTrait, id: i64, closed: bool) -> Result<(), DbErr> {
    let model = post::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(id),
        comments_closed: Set(closed),
        ..Default::default()
    };
    model.update(db).await.map(|_| ())
}

/// Deletes a post. Returns whether it existed.
pub async fn delete(db: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    Ok(post::Entity::delete_by_id(id).exec(db).await?.rows_affected > 0)
}

/// The id of the post with this slug.
pub async fn find_id_by_slug(db: &impl ConnectionTrait, slug: &str) -> Result<Option<(i64, i64)>, DbErr> {
    post::Entity::find()
        .select_only()
        .column(post::Column::Id)
        .column(post::Column::UserId)
        .filter(post::Column::Slug.eq(slug))
        .into_tuple()
        .one(db)
        .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_visibility_rule_names_the_published_state() {
        assert!(super::visible_sql().ends_with(&format!("'{}'", domain::PostState::Published.as_str())));
    }
}
