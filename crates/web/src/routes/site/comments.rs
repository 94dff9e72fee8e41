//! Comments on the site: written under a post, deleted (by their writer, the post's author or a
//! moderator), and approved or rejected from `/comments/pending`.

use app::App;
use app::comments::{Comment, Pending};
use app::posts::PostKey;
use rocket::fairing::AdHoc;
use rocket::form::FromForm;
use rocket::response::{Flash, Redirect};
use rocket::{State, get, post, routes, uri};
use rocket_dyn_templates::context;
use serde::Serialize;

use super::posts::{CommentDraft, post_id, post_page};
use super::{Refused, Reply, SiteError, SiteResult, TooMany};
use crate::csrf::{CsrfForm, FormRejection};
use crate::forms::{Confirm, FieldErrors};
use crate::guards::CurrentUser;
use crate::layout::{Layout, avatar_url};
use crate::views::Page;

pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Comments", |rocket| async {
        rocket.mount("/", routes![create, delete, pending, approve, reject])
    })
}

/// A comment as the post page and the moderation page show it.
#[derive(Debug, Serialize)]
pub struct CommentView {
    pub id: i64,
    /// Sanitised HTML, made when it was written.
    pub html: String,
    pub author_username: String,
    /// The writer's name, percent-encoded for `/user/<name>` links.
    pub author_in_url: String,
    pub author_avatar_url: String,
    pub date: String,
    pub date_iso: String,
    /// Waiting for approval (shown to its writer only, so marked).
    pub held: bool,
    /// Whether the viewer may delete it.
    pub can_delete: bool,
}

/// The HTML of a comment, or (for one stored before comments were rendered on writing, until the
/// start-up step renders it) its text escaped.
fn html_of(html: Option<String>, body: &str) -> String {
    html.unwrap_or_else(|| format!("<p>{}</p>", rocket::http::RawStr::new(body).html_escape()))
}

/// What a comment shows, from either kind of row.
struct Shown<'a> {
    id: i64,
    body_html: Option<String>,
    body: &'a str,
    author_username: String,
    author_image_file: Option<&'a str>,
    created_at: chrono::DateTime<chrono::Utc>,
}

impl CommentView {
    fn of(c: Shown<'_>, held: bool, can_delete: bool) -> Self {
        Self {
            id: c.id,
            held,
            html: html_of(c.body_html, c.body),
            author_avatar_url: avatar_url(c.author_image_file),
            author_in_url: rocket::http::RawStr::new(&c.author_username).percent_encode().to_string(),
            author_username: c.author_username,
            date: c.created_at.format("%B %-d, %Y at %H:%M UTC").to_string(),
            date_iso: c.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            can_delete,
        }
    }

    pub fn new(c: &Comment, viewer: Option<&CurrentUser>) -> Self {
        let can_delete = viewer
            .is_some_and(|v| domain::comment::may_delete(app::accounts::actor(&v.user), c.user_id, c.post_author_id));
        let shown = Shown {
            id: c.id,
            body_html: c.body_html.clone(),
            body: &c.body,
            author_username: c.author_username.clone(),
            author_image_file: c.author_image_file.as_deref(),
            created_at: c.created_at,
        };
        Self::of(shown, app::comments::is_held(c), can_delete)
    }

    /// A comment on the moderation page (held, and the viewer's to approve, reject or delete),
    /// with its post's id and title.
    fn pending(c: Pending) -> (Self, i64, String) {
        let shown = Shown {
            id: c.id,
            body_html: c.body_html,
            body: &c.body,
            author_username: c.author_username,
            author_image_file: c.author_image_file.as_deref(),
            created_at: c.created_at,
        };
        (Self::of(shown, true, true), c.post_id, c.post_title)
    }
}

#[derive(Debug, FromForm)]
struct CommentForm {
    #[field(default = String::new())]
    body: String,
}

fn comment_id(raw: &str) -> SiteResult<i64> {
    raw.parse().map_err(|_| SiteError::not_found())
}

/// Where a post's comments are: the post page at its comments.
fn comments_of(post: i64) -> String {
    format!("{}#comments", uri!(super::posts::show(post.to_string(), _)))
}

/// The signed-in reader comments on post `id`. Anonymous visitors are sent to log in first; a
/// comment that breaks a rule gets the post page again with the error and the text typed.
#[post("/post/<id>/comments", data = "<form>")]
async fn create(
    id: &str,
    form: Result<CsrfForm<'_, CommentForm>, FormRejection>,
    layout: Layout,
    viewer: Option<CurrentUser>,
    app: &State<App>,
    views: &State<crate::views::Views>,
) -> SiteResult<Reply> {
    let id = post_id(id)?;
    let Some(user) = viewer else {
        let next = rocket::http::RawStr::new(&uri!(super::posts::show(id.to_string(), _)).to_string())
            .percent_encode()
            .to_string();
        return Ok(Reply::Flash(Flash::new(Redirect::to(format!("/login?next={next}")), "info", "Log in to comment.")));
    };
    let typed = match form {
        Ok(form) => Ok(form.0.value.ok_or_else(SiteError::unprocessable)?.body),
        Err(FormRejection::TooLarge) => Err(domain::FieldError::CommentTooLong),
        Err(FormRejection::BadToken) => return Err(SiteError::forbidden()),
        Err(FormRejection::Unreadable) => return Err(SiteError::unprocessable()),
    };
    let checked = typed.as_deref().map_err(Clone::clone).and_then(domain::CommentBody::parse);
    let body = match checked {
        Ok(body) => body,
        Err(e) => {
            let mut errors = FieldErrors::default();
            errors.add("body", format!("Your comment {e}."));
            let draft = CommentDraft { body: typed.unwrap_or_default(), errors };
            return Ok(Reply::Page(post_page(app, views, layout, id, Some(&user), None, draft).await?));
        }
    };
    match app::comments::add(app, &user.user, PostKey::Id(id), body).await {
        Ok(posted) => {
            let target = format!(
                "{}#comment-{}",
                uri!(super::posts::show(id.to_string(), Some(posted.page.to_string()))),
                posted.comment.id
            );
            let message = match posted.held {
                true => "Your comment awaits approval: readers will see it once the author approves it.",
                false => "Your comment is published.",
            };
            Ok(Reply::Flash(Flash::success(Redirect::to(target), message)))
        }
        Err(app::AppError::CommentsClosed) => {
            Ok(Reply::Refused(Refused::new(layout, "Comments are closed on this post.")))
        }
        Err(app::AppError::Throttled(wait)) => {
            Ok(Reply::TooMany(TooMany::new(layout, "comments from your account", wait)))
        }
        Err(e) => Err(e.into()),
    }
}

/// Deletes comment `id` (confirmed on the post page): its writer, the post's author and
/// moderators may; anyone else gets 403, and 404 for a held comment they cannot see.
#[post("/comments/<id>/delete", data = "<_form>")]
async fn delete(
    id: &str,
    _form: CsrfForm<'_, Confirm>,
    user: CurrentUser,
    app: &State<App>,
) -> SiteResult<Flash<Redirect>> {
    let comment = app::comments::delete(app, &user.user, comment_id(id)?).await?;
    Ok(Flash::success(Redirect::to(comments_of(comment.post_id)), "The comment has been deleted."))
}

#[derive(Debug, Serialize)]
struct PendingView {
    comment: CommentView,
    post_id: i64,
    post_title: String,
}

/// The comments waiting for the signed-in user's approval: on their posts, or everyone's for
/// moderators.
#[get("/comments/pending?<page>")]
async fn pending(page: Option<&str>, layout: Layout, user: CurrentUser, app: &State<App>) -> SiteResult<Page> {
    let (rows, pagination) = app::comments::pending(app, &user.user, page).await?;
    let comments: Vec<PendingView> = rows
        .into_iter()
        .map(|row| {
            let (comment, post_id, post_title) = CommentView::pending(row);
            PendingView { comment, post_id, post_title }
        })
        .collect();
    let links = pagination.links();
    Ok(Page::render(
        "comments/pending",
        context! { layout, comments, listing: context! { pagination, links }, everyone: user.user.is_admin },
    ))
}

/// Approves comment `id`: the post's author and moderators may.
#[post("/comments/<id>/approve", data = "<_form>")]
async fn approve(
    id: &str,
    _form: CsrfForm<'_, Confirm>,
    user: CurrentUser,
    app: &State<App>,
) -> SiteResult<Flash<Redirect>> {
    app::comments::approve(app, &user.user, comment_id(id)?).await?;
    Ok(Flash::success(Redirect::to(uri!(pending(_))), "The comment is approved: readers see it now."))
}

/// Rejects comment `id`: it is deleted.
#[post("/comments/<id>/reject", data = "<_form>")]
async fn reject(
    id: &str,
    _form: CsrfForm<'_, Confirm>,
    user: CurrentUser,
    app: &State<App>,
) -> SiteResult<Flash<Redirect>> {
    app::comments::reject(app, &user.user, comment_id(id)?).await?;
    Ok(Flash::success(Redirect::to(uri!(pending(_))), "The comment has been rejected and deleted."))
}
