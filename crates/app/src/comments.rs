//! Comments, the same for the site and the API: writing one (held for approval as the
//! `comment_moderation` setting says, at most [`domain::comment::PER_WRITER`] a writer, never on
//! a post whose comments are closed), reading a post's, deleting, approving and rejecting.
//!
//! A held comment is known to its writer, its post's author and moderators only: to anyone else
//! it does not exist ([`AppError::NotFound`]), like a draft.

use std::collections::HashSet;
use std::sync::Arc;

use domain::comment::{self as rules, PER_PAGE};
use domain::{CommentBody, PageNumber, Pagination};
use serde_json::json;

pub use persistence::comments::{CommentRow as Comment, PendingRow as Pending};

use crate::accounts::actor;
use crate::posts::{self, PostKey};
use crate::{App, AppError, AppResult, User};

/// The throttle scope of comments written.
const SCOPE: &str = "comment";

/// A comment just written.
#[derive(Debug, Clone)]
pub struct Posted {
    /// The comment as stored.
    pub comment: Comment,
    /// Whether it waits for approval.
    pub held: bool,
    /// The page of its post's comments that shows it (for its writer).
    pub page: u64,
}

/// Whether `comment` waits for approval.
pub fn is_held(comment: &Comment) -> bool {
    comment.state == persistence::comments::PENDING
}

fn writer_key(writer: &User) -> String {
    format!("user:{}", writer.id)
}

/// `writer` comments on the post `key` names. [`AppError::NotFound`] when they may not see the
/// post, [`AppError::CommentsClosed`] when its comments are closed, [`AppError::Throttled`] past
/// [`domain::comment::PER_WRITER`]. The post's author is mailed (unless they turned it off).
pub async fn add(app: &App, writer: &User, key: PostKey<'_>, body: CommentBody) -> AppResult<Posted> {
    let post = posts::find_for(app, key, Some(writer)).await?;
    if post.comments_closed {
        return Err(AppError::CommentsClosed);
    }
    let now = app.clock().now();
    let limit = rules::PER_WRITER;
    let since = now - chrono::Duration::from_std(limit.window).unwrap_or(chrono::Duration::minutes(10));
    let (count, oldest) = persistence::throttle::recent(app.db(), SCOPE, &writer_key(writer), since).await?;
    let age = oldest.and_then(|o| (now - o).to_std().ok()).unwrap_or_default();
    if let Some(wait) = limit.wait(count, age) {
        return Err(AppError::Throttled(wait));
    }
    let mode = app.settings().comment_moderation;
    let has_approved = match mode {
        rules::Moderation::First => persistence::comments::has_approved(app.db(), writer.id).await?,
        _ => false,
    };
    let held = mode.holds(actor(writer), post.user_id, has_approved);
    let body = body.into_inner();
    let body_html = posts::render_comment(&body).await?;
    let post_author = match post.user_id == writer.id {
        true => None,
        false => persistence::users::find_by_id(app.db(), post.user_id).await?.filter(|a| a.notify_comments),
    };
    let txn = app.begin_write().await?;
    let state = if held { persistence::comments::PENDING } else { persistence::comments::APPROVED };
    let new = persistence::comments::NewComment {
        post_id: post.id,
        post_author_id: post.user_id,
        user_id: writer.id,
        body: body.clone(),
        body_html,
        state,
    };
    let id = persistence::comments::insert(&*txn, new, now).await?;
    persistence::throttle::record(&*txn, SCOPE, &writer_key(writer), now).await?;
    if let Some(author) = &post_author {
        let notice = notice(app, author, writer, &post.title, post.id, id, &body, held)?;
        app.outbox().store(&*txn, notice).await?;
    }
    txn.commit().await?;
    if post_author.is_some() {
        app.outbox().wake();
    }
    let comment = persistence::comments::find(app.db(), id).await?.ok_or(AppError::NotFound("comment"))?;
    let seen = persistence::comments::count_for_post(app.db(), post.id, Some(writer.id)).await?;
    Ok(Posted { comment, held, page: rules::page_of(seen) })
}

/// The mail telling a post's author about a comment: "New comment on <title>", or "A comment
/// awaits your approval".
#[allow(clippy::too_many_arguments)]
fn notice(
    app: &App,
    author: &User,
    writer: &User,
    title: &str,
    post_id: i64,
    comment_id: i64,
    body: &str,
    held: bool,
) -> AppResult<persistence::outbox::NewMessage> {
    let base = app.settings().public_url.trim_end_matches('/');
    let link = match held {
        true => format!("{base}/comments/pending"),
        false => format!("{base}/post/{post_id}#comment-{comment_id}"),
    };
    let excerpt: String = body.chars().take(500).collect();
    let context = json!({
        "username": author.username,
        "writer": writer.username,
        // One line: the title goes into the subject.
        "title": title.split_whitespace().collect::<Vec<_>>().join(" "),
        "held": held,
        "excerpt": excerpt,
        "cut": excerpt.len() < body.len(),
        "link": link,
        "account": format!("{base}/account"),
        "public_url": app.settings().public_url,
    });
    app.outbox().render("comment", &author.email, &context)
}

/// A page of a post's comments and where it lies among them.
pub type CommentPage = Arc<(Vec<Comment>, Pagination)>;

/// Bytes of comment pages kept for visitors at most (the least used go first).
const PAGE_CACHE_BYTES: u64 = 4 * 1024 * 1024;

/// Pages of comments as visitors (nobody signed in) see them, under `(post, its comments
/// version, page number)`. The version is read with the post on every request and changes with
/// anything a page shows (the database's triggers), so a kept page is never shown after a
/// change, on this instance or another; a signed-in reader (who may see their own held
/// comments) always reads afresh.
pub(crate) struct PageCache(quick_cache::sync::Cache<(i64, i64, u64), CommentPage, PageBytes>);

#[derive(Clone)]
struct PageBytes;

impl quick_cache::Weighter<(i64, i64, u64), CommentPage> for PageBytes {
    fn weight(&self, _: &(i64, i64, u64), page: &CommentPage) -> u64 {
        let text: usize = page.0.iter().map(|c| c.body.len() + c.body_html.as_ref().map_or(0, String::len) + 200).sum();
        text as u64 + 64
    }
}

impl PageCache {
    pub(crate) fn new() -> Self {
        Self(quick_cache::sync::Cache::with_weighter(4096, PAGE_CACHE_BYTES, PageBytes))
    }
}

/// Page `page` (as `?page=` gave it) of the comments on `post` that `viewer` sees, oldest
/// first: the approved ones and their own. The caller has checked that `viewer` may see the post.
pub async fn page(app: &App, post: &posts::Post, viewer: Option<&User>, page: Option<&str>) -> AppResult<CommentPage> {
    let number = PageNumber::parse(page).map_err(|_| AppError::NotFound("page"))?;
    let key = (post.id, post.comments_version, number.get());
    if viewer.is_none()
        && let Some(kept) = app.comment_pages().0.get(&key)
    {
        return Ok(kept);
    }
    let viewer_id = viewer.map(|v| v.id);
    let offset = number.offset(PER_PAGE);
    let (rows, total) =
        persistence::comments::list_for_post(app.db(), post.id, viewer_id, false, true, PER_PAGE, offset).await?;
    let total = total.unwrap_or(rows.len() as u64);
    let pagination = Pagination::new(number, PER_PAGE, total).ok_or(AppError::NotFound("page"))?;
    let found = Arc::new((rows, pagination));
    if viewer.is_none() {
        app.comment_pages().0.insert(key, Arc::clone(&found));
    }
    Ok(found)
}

/// The comments `viewer` sees on the post with this slug, oldest first, `limit` from `offset`,
/// each with whether `viewer` follows its writer (the API's list).
pub async fn list(
    app: &App,
    slug: &str,
    viewer: Option<&User>,
    limit: u64,
    offset: u64,
) -> AppResult<Vec<(Comment, bool)>> {
    let post = posts::find_for(app, PostKey::Slug(slug), viewer).await?;
    let viewer_id = viewer.map(|v| v.id);
    let (rows, _) =
        persistence::comments::list_for_post(app.db(), post.id, viewer_id, true, false, limit, offset).await?;
    let writers: Vec<i64> = rows.iter().map(|c| c.user_id).collect::<HashSet<_>>().into_iter().collect();
    let followed = match viewer {
        Some(v) => persistence::social::followed_among(app.db(), v.id, &writers).await?,
        None => HashSet::new(),
    };
    Ok(rows
        .into_iter()
        .map(|c| {
            let following = followed.contains(&c.user_id);
            (c, following)
        })
        .collect())
}

/// Comment `id`, if `viewer` may know of it (its post visible to them, and the comment approved
/// or theirs to see).
async fn known(app: &App, viewer: &User, id: i64) -> AppResult<Comment> {
    let comment = persistence::comments::find(app.db(), id).await?.ok_or(AppError::NotFound("comment"))?;
    let approved = !is_held(&comment);
    if !rules::may_see(Some(actor(viewer)), approved, comment.user_id, comment.post_author_id) {
        return Err(AppError::NotFound("comment"));
    }
    posts::find_for(app, PostKey::Id(comment.post_id), Some(viewer)).await.map_err(|e| match e {
        AppError::NotFound(_) => AppError::NotFound("comment"),
        other => other,
    })?;
    Ok(comment)
}

/// Deletes `comment` (which `editor` may know of) if they may: its writer, its post's author and
/// moderators ([`AppError::Forbidden`] for anyone else).
async fn remove(app: &App, editor: &User, comment: Comment) -> AppResult<Comment> {
    if !rules::may_delete(actor(editor), comment.user_id, comment.post_author_id) {
        return Err(AppError::Forbidden);
    }
    persistence::comments::delete(app.db(), comment.id).await?;
    Ok(comment)
}

/// Deletes comment `id`: its writer, its post's author and moderators may
/// ([`AppError::Forbidden`] for anyone else who sees it). Answers the comment deleted.
pub async fn delete(app: &App, editor: &User, id: i64) -> AppResult<Comment> {
    let comment = known(app, editor, id).await?;
    remove(app, editor, comment).await
}

/// Deletes comment `id` on the post with this slug (the API's route, which names both).
pub async fn delete_on(app: &App, editor: &User, slug: &str, id: i64) -> AppResult<()> {
    let post = posts::find_for(app, PostKey::Slug(slug), Some(editor)).await?;
    let comment = known(app, editor, id).await?;
    if comment.post_id != post.id {
        return Err(AppError::NotFound("comment"));
    }
    remove(app, editor, comment).await.map(|_| ())
}

/// Comment `id`, if `moderator` may approve or reject it: its post's author or a moderator
/// ([`AppError::Forbidden`] for its writer, [`AppError::NotFound`] for anyone else).
async fn moderated(app: &App, moderator: &User, id: i64) -> AppResult<Comment> {
    let comment = known(app, moderator, id).await?;
    if !rules::may_moderate(actor(moderator), comment.post_author_id) {
        return Err(AppError::Forbidden);
    }
    Ok(comment)
}

/// Approves comment `id` (an approved one stays so): everyone who sees its post sees it.
pub async fn approve(app: &App, moderator: &User, id: i64) -> AppResult<Comment> {
    let comment = moderated(app, moderator, id).await?;
    persistence::comments::approve(app.db(), comment.id, app.clock().now()).await?;
    Ok(comment)
}

/// Rejects comment `id`: it is deleted.
pub async fn reject(app: &App, moderator: &User, id: i64) -> AppResult<Comment> {
    let comment = moderated(app, moderator, id).await?;
    persistence::comments::delete(app.db(), comment.id).await?;
    Ok(comment)
}

/// Page `page` of the comments waiting for `moderator`, oldest first: those on their posts, or
/// everyone's for moderators.
pub async fn pending(app: &App, moderator: &User, page: Option<&str>) -> AppResult<(Vec<Pending>, Pagination)> {
    let number = PageNumber::parse(page).map_err(|_| AppError::NotFound("page"))?;
    let author = (!moderator.is_admin).then_some(moderator.id);
    let (rows, total) =
        persistence::comments::pending_page(app.db(), author, PER_PAGE, number.offset(PER_PAGE)).await?;
    let pagination = Pagination::new(number, PER_PAGE, total).ok_or(AppError::NotFound("page"))?;
    Ok((rows, pagination))
}

/// How many comments wait for `user` (the navigation's count): kept on their account, or
/// counted for moderators, who see everyone's.
pub async fn waiting(app: &App, user: &User) -> AppResult<u64> {
    match user.is_admin {
        true => Ok(persistence::comments::pending_count(app.db()).await?),
        false => Ok(u64::try_from(user.pending_comments).unwrap_or(0)),
    }
}
