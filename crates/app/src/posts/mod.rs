//! Posts, the same for every door: writing (published, draft or scheduled), editing, deleting,
//! one post, the home listing, an author's and a tag's, the author's unpublished posts, and the
//! API's article listings with their tags and favourites. Readers see published posts only;
//! drafts and scheduled posts are their author's and the moderators' ([`may_see`]).

use std::collections::HashSet;
use std::sync::atomic::Ordering;

use chrono::SubsecRound;

mod render;
pub(crate) mod together;

use domain::{Content, Intent, PageNumber, Pagination, PostFormat, PostState, Publication, Title};
use persistence::posts::Bodies;

pub(crate) use render::{comment as render_comment, render};

pub use persistence::articles::{ArticleRow, Filter};
pub use persistence::posts::PostWithAuthor as Post;
pub use persistence::revisions::{KEPT as VERSIONS_KEPT, Revision, Snapshot};

use crate::accounts::actor;
use crate::{App, AppError, AppResult, User};

/// Which post: by id (the site's links) or by slug (the API's).
#[derive(Debug, Clone, Copy)]
pub enum PostKey<'a> {
    /// Its id.
    Id(i64),
    /// Its URL name.
    Slug(&'a str),
}

/// A new post, its values already checked by the domain's rules.
pub struct NewPost {
    /// The title; the slug is made from it.
    pub title: Title,
    /// The body.
    pub content: Content,
    /// A one-line summary (empty for none).
    pub description: String,
    /// Its tags (checked by `domain::Tags`).
    pub tags: Vec<String>,
    /// Publish now, keep as a draft, or schedule.
    pub intent: Intent,
    /// Refuse comments from the start.
    pub close_comments: bool,
}

/// Changes to a post: `None` leaves a field as it is. A new title gives a new slug.
#[derive(Default)]
pub struct PostChanges {
    /// New title.
    pub title: Option<Title>,
    /// New body.
    pub content: Option<Content>,
    /// New summary.
    pub description: Option<String>,
    /// Replaces the tags.
    pub tags: Option<Vec<String>>,
    /// Publishes, unpublishes or schedules it; `None` leaves its state and publish time.
    pub intent: Option<Intent>,
    /// Closes (`true`) or opens its comments.
    pub close_comments: Option<bool>,
}

/// A post just saved: its id, and the state and publish time the save gave it.
#[derive(Debug, Clone, Copy)]
pub struct Saved {
    /// Its id.
    pub id: i64,
    /// Its state and publish time.
    pub publication: Publication,
}

/// A post as the API shows it: the row, its tags, and what the viewer favours and follows.
#[derive(Debug, Clone)]
pub struct Article {
    /// The post with its author and tags.
    pub row: ArticleRow,
    /// Whether the viewer favours it.
    pub favorited: bool,
    /// Whether the viewer follows its author.
    pub following: bool,
}

/// Saves a new post by `author`, published, a draft or scheduled as `new.intent` asks.
pub async fn create(app: &App, author: &User, new: NewPost) -> AppResult<Saved> {
    Ok(write_new(app, vec![(author, new)]).await.pop().ok_or_else(not_saved)??.0)
}

/// [`create`], answering with the post as the API shows it: everything in it is known once it
/// is saved (its author has not favoured it yet, and nobody follows themselves), so nothing is
/// read back.
pub async fn create_article(app: &App, author: &User, new: NewPost) -> AppResult<Article> {
    Ok(write_new(app, vec![(author, new)]).await.pop().ok_or_else(not_saved)??.1)
}

/// Saves several new posts at once, each as [`create`] would and with its own outcome: in one
/// transaction when nothing fails, each in its own when something does.
pub async fn create_all(app: &App, posts: Vec<(&User, NewPost)>) -> Vec<AppResult<Saved>> {
    write_new(app, posts).await.into_iter().map(|outcome| outcome.map(|(saved, _)| saved)).collect()
}

fn not_saved() -> AppError {
    AppError::internal("the post was not saved: its writer stopped")
}

async fn write_new(app: &App, posts: Vec<(&User, NewPost)>) -> Vec<AppResult<(Saved, Article)>> {
    // As stored: PostgreSQL keeps microseconds, and the post answered must be the post kept.
    let now = app.clock().now().trunc_subsecs(6);
    let mut waiting = Vec::with_capacity(posts.len());
    // Each post's author and publication, or why it was not saved: in the order given.
    let mut slots = Vec::with_capacity(posts.len());
    for (author, new) in posts {
        // Every new post is Markdown, from the site and the API alike.
        let rendered = match render(PostFormat::Markdown, new.content.as_str()).await {
            Ok(rendered) => rendered,
            Err(e) => {
                slots.push(Err(e));
                continue;
            }
        };
        let publication = Publication::decide(new.intent, None, now);
        let row = persistence::posts::NewPost {
            user_id: author.id,
            title: new.title,
            content: new.content,
            description: new.description,
            rendered,
            publication: (publication.state, publication.at),
        };
        waiting.push(together::Post { row, tags: new.tags, close_comments: new.close_comments, now });
        slots.push(Ok((author, publication)));
    }
    let mut saved = together::save(app, waiting).await.into_iter();
    slots
        .into_iter()
        .map(|slot| {
            let (author, publication) = slot?;
            let (post, outcome) = saved.next().ok_or_else(not_saved)?;
            let (id, slug) = outcome?;
            Ok(saved_article(post, id, slug, author, publication))
        })
        .collect()
}

/// The post just saved, as the API shows it.
fn saved_article(
    post: together::Post,
    id: i64,
    slug: String,
    author: &User,
    publication: Publication,
) -> (Saved, Article) {
    let together::Post { row: saved, mut tags, close_comments, now } = post;
    // In the order every listing gives them.
    tags.sort_unstable();
    let row = ArticleRow {
        id,
        slug: Some(slug),
        title: saved.title.into_inner(),
        description: saved.description,
        content: saved.content.into_inner(),
        date_posted: publication.at,
        updated_at: now,
        user_id: author.id,
        format: saved.rendered.format,
        state: publication.state.as_str().to_owned(),
        author_username: author.username.clone(),
        author_bio: author.bio.clone(),
        author_image_file: author.image_file.clone(),
        author_image_url: author.image_url.clone(),
        favorites_count: 0,
        comments_closed: close_comments,
        tags: persistence::social::TagList(tags),
    };
    (Saved { id, publication }, Article { row, favorited: false, following: false })
}

/// `content` as its post would show it, without saving anything (the editor's preview).
pub async fn preview(content: &Content) -> AppResult<String> {
    Ok(render(PostFormat::Markdown, content.as_str()).await?.html.unwrap_or_default())
}

/// Whether `viewer` may see a post in `state` by `author`: everyone when it is visible (the
/// one visibility rule: [`PostState::is_visible`]), else its author and moderators only.
pub fn may_see(viewer: Option<&User>, state: &str, author: i64) -> bool {
    PostState::from_stored(state).is_visible() || viewer.is_some_and(|v| actor(v).may_modify(author))
}

/// The post `key` names, if `editor` may change it: [`AppError::NotFound`] when there is no
/// such post (or it is someone else's draft), [`AppError::Forbidden`] when it is someone
/// else's and `editor` no moderator.
pub async fn editable(app: &App, editor: &User, key: PostKey<'_>) -> AppResult<ArticleRow> {
    let row = find_for(app, key, Some(editor)).await?;
    if !actor(editor).may_modify(row.user_id) {
        return Err(AppError::Forbidden);
    }
    Ok(row)
}

/// The post `key` names, if `viewer` may see it ([`may_see`]); [`AppError::NotFound`] otherwise,
/// so that a draft's existence is not revealed.
pub(crate) async fn find_for(app: &App, key: PostKey<'_>, viewer: Option<&User>) -> AppResult<ArticleRow> {
    let found = match key {
        PostKey::Id(id) => persistence::articles::find_by_id(app.db(), id).await?,
        PostKey::Slug(slug) => persistence::articles::find_by_slug(app.db(), slug).await?,
    };
    found.filter(|row| may_see(viewer, &row.state, row.user_id)).ok_or(AppError::NotFound("post"))
}

/// Changes the post `key` names (its author or a moderator only, as [`editable`]).
pub async fn edit(app: &App, editor: &User, key: PostKey<'_>, changes: PostChanges) -> AppResult<Saved> {
    let row = editable(app, editor, key).await?;
    let title = match changes.title {
        Some(t) => t,
        None => Title::parse(&row.title).map_err(|e| AppError::invalid("title", e))?,
    };
    let content = match changes.content {
        Some(c) => c,
        None => Content::parse(&row.content).map_err(|e| AppError::invalid("body", e))?,
    };
    // A post keeps its format: a plain-text post edited stays plain text, shown as before.
    let rendered = render(PostFormat::from_stored(&row.format), content.as_str()).await?;
    let now = app.clock().now();
    let current = (PostState::from_stored(&row.state), row.date_posted);
    let publication = match changes.intent {
        Some(intent) => Publication::decide(intent, Some(current), now),
        None => Publication { state: current.0, at: current.1, schedule_was_past: false },
    };
    let txn = app.begin_write().await?;
    let moved = changes.intent.map(|_| (publication.state, publication.at));
    let mut snapshot = Snapshot {
        title: title.as_str().to_owned(),
        description: changes.description.clone().unwrap_or_else(|| row.description.clone()),
        content: content.as_str().to_owned(),
        tags: Vec::new(),
    };
    persistence::posts::update(&*txn, row.id, title, content, changes.description, rendered, moved, now).await?;
    let mut tags_before = persistence::social::tags_of(&*txn, &[row.id]).await?.remove(&row.id).unwrap_or_default();
    if persistence::revisions::latest_number(&*txn, row.id).await? == 0 {
        // A post written before versions were kept: its state before this save is version 1.
        let before = Snapshot {
            title: row.title.clone(),
            description: row.description.clone(),
            content: row.content.clone(),
            tags: tags_before.clone(),
        };
        persistence::revisions::record(&*txn, row.id, before, Some(row.user_id), row.updated_at).await?;
    }
    if let Some(tags) = changes.tags {
        persistence::social::set_tags(&*txn, row.id, &tags).await?;
        tags_before = tags;
    }
    if let Some(closed) = changes.close_comments.filter(|c| *c != row.comments_closed) {
        persistence::posts::set_comments_closed(&*txn, row.id, closed).await?;
    }
    snapshot.tags = tags_before;
    persistence::revisions::record(&*txn, row.id, snapshot, Some(editor.id), now).await?;
    txn.commit().await?;
    Ok(Saved { id: row.id, publication })
}

/// Deletes the post `key` names with its comments, tags and favourites (its author or a
/// moderator only, as [`editable`]).
pub async fn delete(app: &App, editor: &User, key: PostKey<'_>) -> AppResult<()> {
    let row = editable(app, editor, key).await?;
    persistence::posts::delete(app.db(), row.id).await?;
    Ok(())
}

/// One post, for its page, if `viewer` may see it ([`may_see`]).
pub async fn show(app: &App, id: i64, viewer: Option<&User>) -> AppResult<Post> {
    persistence::posts::find_by_id(app.db(), id)
        .await?
        .filter(|post| may_see(viewer, &post.state, post.user_id))
        .ok_or(AppError::NotFound("post"))
}

/// Page `page` of the visible posts by the authors `reader` follows, newest first.
pub async fn following_page(app: &App, reader: &User, page: Option<&str>) -> AppResult<(Vec<Post>, Pagination)> {
    let page = PageNumber::parse(page).map_err(|_| AppError::NotFound("page"))?;
    let per_page = app.settings().posts_per_page;
    let offset = page.offset(per_page);
    let (rows, total) = persistence::posts::followed_page(app.db(), reader.id, per_page, offset).await?;
    let pagination = Pagination::new(page, per_page, total).ok_or(AppError::NotFound("page"))?;
    Ok((rows, pagination))
}

/// Page `page` of `author`'s drafts and scheduled posts, the latest saved first.
pub async fn unpublished(app: &App, author: &User, page: Option<&str>) -> AppResult<(Vec<Post>, Pagination)> {
    let page = PageNumber::parse(page).map_err(|_| AppError::NotFound("page"))?;
    let per_page = app.settings().posts_per_page;
    let offset = page.offset(per_page);
    let (rows, total) = persistence::posts::unpublished_page(app.db(), author.id, per_page, offset).await?;
    let pagination = Pagination::new(page, per_page, total).ok_or(AppError::NotFound("page"))?;
    Ok((rows, pagination))
}

/// Publishes every scheduled post whose time has come by the app's clock; answers how many.
/// Every instance runs it each minute ([`crate::maintenance`]); tests run it after moving the
/// clock.
pub async fn publish_due(app: &App) -> AppResult<u64> {
    Ok(persistence::posts::publish_due(app.db(), app.clock().now()).await?)
}

/// Page `page` (as `?page=` gave it) of everyone's posts, newest first. [`AppError::NotFound`]
/// for a page number that is not a positive integer or lies past the last page.
pub async fn home_page(app: &App, page: Option<&str>) -> AppResult<(Vec<Post>, Pagination)> {
    let db = app.db();
    let page = PageNumber::parse(page).map_err(|_| AppError::NotFound("page"))?;
    let per_page = app.settings().posts_per_page;
    let offset = page.offset(per_page);
    let hint = &app.inner.listing_hint;
    // A page in the newer half takes one query (posts and count together); one in the older
    // half is read from the oldest end, which needs the count first. Which half is judged from
    // the last count seen (only speed depends on it, not what the page shows).
    let newer_half = offset == 0 || offset <= hint.load(Ordering::Relaxed) / 2;
    let (rows, total) = if newer_half {
        let (rows, total) =
            persistence::posts::newest_page(db, &app.inner.in_place, per_page, offset, Bodies::Left).await?;
        // An empty page: past the end (or an empty blog on page 1).
        if rows.is_empty() && offset > 0 {
            return Err(AppError::NotFound("page"));
        }
        (rows, total)
    } else {
        let total = persistence::posts::count(db, None).await?;
        (persistence::posts::list_newest(db, &app.inner.in_place, None, per_page, offset, total).await?, total)
    };
    hint.store(total, Ordering::Relaxed);
    let pagination = Pagination::new(page, per_page, total).ok_or(AppError::NotFound("page"))?;
    Ok((rows, pagination))
}

/// Page `page` of the posts of the account called `username` (in any case), with that account;
/// [`AppError::NotFound`] for an unknown account or a page that does not exist. Page 1 takes
/// one query.
pub async fn author_page(app: &App, username: &str, page: Option<&str>) -> AppResult<(User, Vec<Post>, Pagination)> {
    let db = app.db();
    let page = PageNumber::parse(page).map_err(|_| AppError::NotFound("page"))?;
    let per_page = app.settings().posts_per_page;
    if page.get() == 1 {
        let (author, rows, total) =
            persistence::posts::author_page(db, username, per_page, 0).await?.ok_or(AppError::NotFound("account"))?;
        let pagination = Pagination::new(page, per_page, total).ok_or(AppError::NotFound("page"))?;
        return Ok((author, rows, pagination));
    }
    // A deeper page may be read faster from the oldest end, which needs the count first.
    let author = persistence::users::find_by_username(db, username).await?.ok_or(AppError::NotFound("account"))?;
    let total = persistence::posts::count(db, Some(author.id)).await?;
    let pagination = Pagination::new(page, per_page, total).ok_or(AppError::NotFound("page"))?;
    let rows =
        persistence::posts::list_newest(db, &app.inner.in_place, Some(author.id), per_page, pagination.offset(), total)
            .await?;
    Ok((author, rows, pagination))
}

/// Page `page` of the posts tagged `tag`, newest first, with how many there are;
/// [`AppError::NotFound`] for a tag no post has or a page that does not exist.
pub async fn tag_page(app: &App, tag: &str, page: Option<&str>) -> AppResult<(Vec<Post>, Pagination, u64)> {
    let page = PageNumber::parse(page).map_err(|_| AppError::NotFound("page"))?;
    let per_page = app.settings().posts_per_page;
    let offset = page.offset(per_page);
    let (rows, total) = persistence::posts::tagged_page(app.db(), tag, per_page, offset, Bodies::Left).await?;
    if total == 0 {
        return Err(AppError::NotFound("tag"));
    }
    let pagination = Pagination::new(page, per_page, total).ok_or(AppError::NotFound("page"))?;
    Ok((rows, pagination, total))
}

/// The post `key` names as the API shows it to `viewer`.
pub async fn article(app: &App, key: PostKey<'_>, viewer: Option<&User>) -> AppResult<Article> {
    let row = find_for(app, key, viewer).await?;
    articles_of(app, vec![row], viewer).await?.pop().ok_or(AppError::NotFound("post"))
}

/// One page (`limit` from `offset`) of the posts `filter` picks, newest first, and how many it
/// picks in all.
pub async fn list_articles(
    app: &App,
    filter: Filter,
    limit: u64,
    offset: u64,
    viewer: Option<&User>,
) -> AppResult<(Vec<Article>, u64)> {
    let (rows, count) = persistence::articles::list(app.db(), &filter, limit, offset).await?;
    Ok((articles_of(app, rows, viewer).await?, count))
}

/// The feed: posts by the authors `reader` follows.
pub async fn feed(app: &App, reader: &User, limit: u64, offset: u64) -> AppResult<(Vec<Article>, u64)> {
    let filter = Filter { followed_by: Some(reader.id), ..Filter::default() };
    list_articles(app, filter, limit, offset, Some(reader)).await
}

/// Rows with what the viewer favours and follows, in two queries whatever their number (none
/// for an anonymous viewer).
pub(crate) async fn articles_of(app: &App, rows: Vec<ArticleRow>, viewer: Option<&User>) -> AppResult<Vec<Article>> {
    let db = app.db();
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    // Nobody follows themselves: the viewer's own posts need no asking.
    let authors: Vec<i64> = rows
        .iter()
        .map(|r| r.user_id)
        .filter(|author| viewer.is_none_or(|v| v.id != *author))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let (favored, followed) = match viewer {
        Some(v) => (
            persistence::social::favored_among(db, v.id, &ids).await?,
            persistence::social::followed_among(db, v.id, &authors).await?,
        ),
        None => (HashSet::new(), HashSet::new()),
    };
    Ok(rows
        .into_iter()
        .map(|row| Article { favorited: favored.contains(&row.id), following: followed.contains(&row.user_id), row })
        .collect())
}

/// The post `id` with its kept versions, the newest first: for its author and moderators only
/// ([`AppError::NotFound`] for anyone else, so that nothing about it is revealed).
pub async fn history(app: &App, viewer: &User, id: i64) -> AppResult<(ArticleRow, Vec<Revision>)> {
    let row = history_of(app, viewer, id).await?;
    let versions = persistence::revisions::list(app.db(), row.id).await?;
    Ok((row, versions))
}

async fn history_of(app: &App, viewer: &User, id: i64) -> AppResult<ArticleRow> {
    let row = find_for(app, PostKey::Id(id), Some(viewer)).await?;
    if !actor(viewer).may_modify(row.user_id) {
        return Err(AppError::NotFound("post"));
    }
    Ok(row)
}

/// A version of a post, as its history page shows it.
pub struct Version {
    /// The post as it is now.
    pub post: ArticleRow,
    /// The version.
    pub revision: Revision,
    /// Its body rendered as the post renders (`None` for a plain-text post).
    pub html: Option<String>,
    /// Whether it is the newest version (what the post shows).
    pub current: bool,
}

/// Version `number` of post `id`, for its author and moderators only; [`AppError::NotFound`]
/// when the version is not kept.
pub async fn version(app: &App, viewer: &User, id: i64, number: i32) -> AppResult<Version> {
    let row = history_of(app, viewer, id).await?;
    let version = persistence::revisions::find(app.db(), row.id, number).await?.ok_or(AppError::NotFound("version"))?;
    let html = render(PostFormat::from_stored(&row.format), &version.snapshot.content).await?.html;
    let current = persistence::revisions::latest_number(app.db(), row.id).await? == version.number;
    Ok(Version { post: row, revision: version, html, current })
}

/// Makes version `number` of post `id` current again (title, description, body and tags; its
/// state and publish time stay): a save like any other, so it is itself a new version.
pub async fn restore(app: &App, editor: &User, id: i64, number: i32) -> AppResult<Saved> {
    let row = history_of(app, editor, id).await?;
    let version = persistence::revisions::find(app.db(), row.id, number).await?.ok_or(AppError::NotFound("version"))?;
    let Snapshot { title, description, content, tags } = version.snapshot;
    let changes = PostChanges {
        title: Some(Title::parse(&title).map_err(|e| AppError::invalid("title", e))?),
        content: Some(Content::parse(&content).map_err(|e| AppError::invalid("content", e))?),
        description: Some(description),
        tags: Some(tags),
        intent: None,
        close_comments: None,
    };
    edit(app, editor, PostKey::Id(row.id), changes).await
}

/// Posts a feed carries: the newest visible ones.
pub const FEED_POSTS: u64 = 20;

/// Whose posts a feed carries.
#[derive(Debug, Clone, Copy)]
pub enum FeedOf<'a> {
    /// Everyone's.
    Site,
    /// The account with this username (in any case).
    Author(&'a str),
    /// Those with this tag.
    Tag(&'a str),
}

/// The [`FEED_POSTS`] newest visible posts of `of` (with their tags); for an author, the account
/// too. [`AppError::NotFound`] for an unknown account or a tag no post has.
pub async fn feed_posts(app: &App, of: FeedOf<'_>) -> AppResult<(Option<User>, Vec<Post>)> {
    let db = app.db();
    let (author, rows) = match of {
        FeedOf::Site => {
            (None, persistence::posts::newest_page(db, &app.inner.in_place, FEED_POSTS, 0, Bodies::Loaded).await?.0)
        }
        FeedOf::Author(name) => {
            let (author, rows, _) =
                persistence::posts::author_page(db, name, FEED_POSTS, 0).await?.ok_or(AppError::NotFound("account"))?;
            (Some(author), rows)
        }
        FeedOf::Tag(tag) => {
            let (rows, total) = persistence::posts::tagged_page(db, tag, FEED_POSTS, 0, Bodies::Loaded).await?;
            if total == 0 {
                return Err(AppError::NotFound("tag"));
            }
            (None, rows)
        }
    };
    Ok((author, rows))
}
