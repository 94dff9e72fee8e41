//! Posts: write, read, update, delete.

use app::App;
use app::posts::{NewPost, PostChanges, PostKey, Saved};
use domain::{Content, Intent, PostState, TimeZone, Title};
use rocket::fairing::AdHoc;
use rocket::form::FromForm;
use rocket::response::{Flash, Redirect};
use rocket::{State, get, post, routes, uri};
use rocket_dyn_templates::context;

use super::comments::CommentView;
use super::{Reply, SiteError, SiteResult};
use crate::csrf::{CsrfForm, FormRejection};
use crate::forms::{Confirm, FieldErrors};
use crate::guards::CurrentUser;
use crate::layout::{Layout, PostView};
use crate::replay::remember;
use crate::views::{Page, Views};

pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Posts", |rocket| async {
        rocket
            .mount(
                "/",
                routes![new, create, edit, update, delete, drafts, history, version, restore, favorite, unfavorite],
            )
            .mount("/", remember(routes![show]))
    })
}

#[derive(Debug, FromForm, serde::Serialize)]
struct PostForm {
    #[field(default = String::new())]
    title: String,
    #[field(default = String::new())]
    description: String,
    #[field(default = String::new())]
    content: String,
    /// Comma-separated.
    #[field(default = String::new())]
    tags: String,
    /// `YYYY-MM-DDTHH:MM` in the author's time zone, for `schedule`.
    #[field(default = String::new())]
    publish_at: String,
    /// Which button: `publish` (also when absent), `draft`, `schedule` or `preview`.
    #[field(default = String::new())]
    action: String,
    /// The checkbox: refuse new comments.
    #[field(default = false)]
    close_comments: bool,
}

/// What the form asks for, its values checked by the domain's rules.
struct Checked {
    title: Title,
    description: String,
    content: Content,
    tags: Vec<String>,
    /// `None`: a preview.
    intent: Option<Intent>,
    close_comments: bool,
}

impl PostForm {
    fn check(&self, zone: TimeZone) -> SiteResult<Result<Checked, FieldErrors>> {
        let mut errors = FieldErrors::default();
        let title = errors.check("title", Title::parse(&self.title));
        let description =
            errors.check("description", domain::Description::parse(&self.description).map(|d| d.into_inner()));
        let content = errors.check("content", Content::parse(&self.content));
        let tags: Vec<&str> = self.tags.split(',').collect();
        let tags = errors.check("tags", domain::Tags::parse(&tags).map(domain::Tags::into_inner));
        let intent = match self.action.as_str() {
            "" | "publish" => Some(Some(Intent::Publish)),
            "draft" => Some(Some(Intent::Draft)),
            "schedule" => {
                errors.check("publish_at", zone.parse_local(&self.publish_at)).map(|at| Some(Intent::Schedule(at)))
            }
            "preview" => Some(None),
            _ => return Err(SiteError::unprocessable()),
        };
        Ok(match (title, description, content, tags, intent) {
            (Some(title), Some(description), Some(content), Some(tags), Some(intent)) if errors.is_empty() => {
                Ok(Checked { title, description, content, tags, intent, close_comments: self.close_comments })
            }
            _ => Err(errors),
        })
    }
}

/// What the editor page needs besides the form: where it posts, its heading, the author's time
/// zone, and whether the post is published already (its button then says "Update").
#[derive(serde::Serialize)]
struct Editor<'a> {
    legend: &'a str,
    action: String,
    zone: &'static str,
    published: bool,
}

fn form_page(
    layout: Layout,
    editor: Editor<'_>,
    form: impl serde::Serialize,
    errors: FieldErrors,
    preview: &str,
) -> Page {
    Page::render("posts/form", context! { layout, editor, form, errors, preview })
}

/// What the author is told after a save.
fn saved_message(saved: &Saved, zone: TimeZone, new: bool) -> (&'static str, String) {
    let p = saved.publication;
    match p.state {
        _ if p.schedule_was_past => {
            ("warning", "The time you chose has already passed, so your post was published now.".to_owned())
        }
        PostState::Draft => ("success", "Your draft has been saved.".to_owned()),
        PostState::Scheduled => {
            ("success", format!("Your post is scheduled for {} ({}).", zone.format(p.at, TIME_FORMAT), zone.name()))
        }
        PostState::Published if new => ("success", "Your post has been created!".to_owned()),
        PostState::Published => ("success", "Your post has been updated!".to_owned()),
    }
}

/// How publish times are shown: "December 24, 2026 at 18:30".
pub const TIME_FORMAT: &str = "%B %-d, %Y at %H:%M";

/// A post id from the path: anything but a number is no post.
pub(super) fn post_id(raw: &str) -> SiteResult<i64> {
    raw.parse::<i64>().map_err(|_| SiteError::not_found())
}

fn new_editor(zone: TimeZone) -> Editor<'static> {
    Editor { legend: "New Post", action: uri!(create).to_string(), zone: zone.name(), published: false }
}

#[get("/post/new")]
fn new(layout: Layout, user: CurrentUser) -> Page {
    form_page(layout, new_editor(app::accounts::time_zone(&user.user)), empty_form(), FieldErrors::default(), "")
}

/// The form's value, or (for a body over the form limit) the editor again with the error:
/// nothing of such a body is read, so nothing is saved and no token is needed to say so.
fn sent(form: Result<CsrfForm<'_, PostForm>, FormRejection>) -> SiteResult<Result<PostForm, FieldErrors>> {
    match form {
        Ok(form) => Ok(Ok(form.0.value.ok_or_else(SiteError::unprocessable)?)),
        Err(FormRejection::TooLarge) => {
            let mut errors = FieldErrors::default();
            errors.add("content", TOO_LARGE);
            Ok(Err(errors))
        }
        Err(FormRejection::BadToken) => Err(SiteError::forbidden()),
        Err(FormRejection::Unreadable) => Err(SiteError::unprocessable()),
    }
}

/// What an author is told when the form was too large to send.
const TOO_LARGE: &str = "The post is too large to send (at most 100000 characters): nothing was saved.";

fn empty_form() -> impl serde::Serialize {
    context! { title: "", description: "", content: "", tags: "", publish_at: "", close_comments: false }
}

#[post("/post/new", data = "<form>")]
async fn create(
    form: Result<CsrfForm<'_, PostForm>, FormRejection>,
    layout: Layout,
    user: CurrentUser,
    app: &State<App>,
) -> SiteResult<Reply> {
    let zone = app::accounts::time_zone(&user.user);
    let f = match sent(form)? {
        Ok(f) => f,
        Err(errors) => return Ok(Reply::Page(form_page(layout, new_editor(zone), empty_form(), errors, ""))),
    };
    let checked = match f.check(zone)? {
        Ok(checked) => checked,
        Err(errors) => return Ok(Reply::Page(form_page(layout, new_editor(zone), &f, errors, ""))),
    };
    let Checked { title, description, content, tags, intent, close_comments } = checked;
    let Some(intent) = intent else {
        let preview = app::posts::preview(&content).await?;
        return Ok(Reply::Page(form_page(layout, new_editor(zone), &f, FieldErrors::default(), &preview)));
    };
    let saved =
        app::posts::create(app, &user.user, NewPost { title, content, description, tags, intent, close_comments })
            .await?;
    let (kind, message) = saved_message(&saved, zone, true);
    Ok(Reply::Flash(Flash::new(Redirect::to(uri!(show(saved.id.to_string(), _))), kind, message)))
}

/// What the comment form holds: empty, or the text typed with its error.
#[derive(Debug, Default, serde::Serialize)]
pub(super) struct CommentDraft {
    pub body: String,
    pub errors: FieldErrors,
}

#[get("/post/<id>?<page>")]
pub(super) async fn show(
    id: &str,
    page: Option<&str>,
    layout: Layout,
    viewer: Option<CurrentUser>,
    app: &State<App>,
    views: &State<Views>,
) -> SiteResult<Page> {
    post_page(app, views, layout, post_id(id)?, viewer.as_ref(), page, CommentDraft::default()).await
}

/// Post `id`'s page with page `page` of its comments and the comment form holding `draft`.
pub(super) async fn post_page(
    app: &App,
    views: &Views,
    layout: Layout,
    id: i64,
    viewer: Option<&CurrentUser>,
    page: Option<&str>,
    draft: CommentDraft,
) -> SiteResult<Page> {
    let user = viewer.map(|v| &v.user);
    let mut post = app::posts::show(app, id, user).await?;
    let found = app::comments::page(app, &post, user, page).await?;
    let (comments, pagination) = (&found.0, found.1);
    let tags = std::mem::take(&mut post.tags).into_vec();
    let (count, favored) = app::social::favorites_of(app, post.id, user).await?;
    let favorites = context! { count, favored, can: viewer.is_some() };
    let closed = post.comments_closed;
    // What visitors see of a page of comments is the same for all of them, and changes with the
    // post's comments version.
    let kept_as = viewer.is_none().then_some((post.id, post.comments_version, pagination.page));
    let csrf_token = layout.csrf_token.clone();
    let comments_html = views
        .fragment("comments/list", kept_as, || {
            let comments: Vec<CommentView> = comments.iter().map(|c| CommentView::new(c, viewer)).collect();
            serde_json::to_value(context! { comments, layout: context! { csrf_token } }).unwrap_or_default()
        })
        .map_err(|e| SiteError::from(app::AppError::internal(format!("comments of post {}: {e:?}", post.id))))?;
    let links = pagination.links();
    let discussion = context! { closed, listing: context! { pagination, links }, draft };
    let preview = crate::preview::Preview::of(&post, &tags, &layout.site_url);
    let post = PostView::new(post, viewer).with_tags(tags);
    Ok(Page::render("posts/show", context! { layout, post, favorites, discussion, preview }).with_fragment(
        "comments_html",
        kept_as,
        comments_html,
    ))
}

fn update_editor(id: i64, zone: TimeZone, published: bool) -> Editor<'static> {
    Editor { legend: "Update Post", action: uri!(update(id.to_string())).to_string(), zone: zone.name(), published }
}

#[get("/post/<id>/update")]
async fn edit(id: &str, layout: Layout, user: CurrentUser, app: &State<App>) -> SiteResult<Page> {
    let key = PostKey::Id(post_id(id)?);
    let post = app::posts::article(app, key, Some(&user.user)).await?;
    app::posts::editable(app, &user.user, key).await?;
    let zone = app::accounts::time_zone(&user.user);
    let state = PostState::from_stored(&post.row.state);
    let publish_at = match state {
        PostState::Scheduled => zone.to_local_input(post.row.date_posted),
        _ => String::new(),
    };
    let form = context! {
        title: post.row.title, description: post.row.description, content: post.row.content,
        tags: post.row.tags.0.join(", "), publish_at, close_comments: post.row.comments_closed,
    };
    let editor = update_editor(post.row.id, zone, state == PostState::Published);
    Ok(form_page(layout, editor, form, FieldErrors::default(), ""))
}

#[post("/post/<id>/update", data = "<form>")]
async fn update(
    id: &str,
    form: Result<CsrfForm<'_, PostForm>, FormRejection>,
    layout: Layout,
    user: CurrentUser,
    app: &State<App>,
) -> SiteResult<Reply> {
    let key = PostKey::Id(post_id(id)?);
    // Someone else's post is refused before its form is looked at.
    let post = app::posts::editable(app, &user.user, key).await?;
    let zone = app::accounts::time_zone(&user.user);
    let editor = || update_editor(post.id, zone, PostState::from_stored(&post.state) == PostState::Published);
    // The post as saved (what was sent could not be read).
    let saved = context! {
        title: &post.title, description: &post.description, content: &post.content, tags: "", publish_at: "",
        close_comments: post.comments_closed,
    };
    let f = match sent(form)? {
        Ok(f) => f,
        Err(errors) => return Ok(Reply::Page(form_page(layout, editor(), &saved, errors, ""))),
    };
    let checked = match f.check(zone)? {
        Ok(checked) => checked,
        Err(errors) => return Ok(Reply::Page(form_page(layout, editor(), &f, errors, ""))),
    };
    let Checked { title, description, content, tags, intent, close_comments } = checked;
    let Some(intent) = intent else {
        let preview = app::posts::preview(&content).await?;
        return Ok(Reply::Page(form_page(layout, editor(), &f, FieldErrors::default(), &preview)));
    };
    let changes = PostChanges {
        title: Some(title),
        content: Some(content),
        description: Some(description),
        tags: Some(tags),
        intent: Some(intent),
        close_comments: Some(close_comments),
    };
    let saved = app::posts::edit(app, &user.user, key, changes).await?;
    let (kind, message) = saved_message(&saved, zone, false);
    Ok(Reply::Flash(Flash::new(Redirect::to(uri!(show(saved.id.to_string(), _))), kind, message)))
}

#[post("/post/<id>/delete", data = "<_form>")]
async fn delete(
    id: &str,
    _form: CsrfForm<'_, Confirm>,
    user: CurrentUser,
    app: &State<App>,
) -> SiteResult<Flash<Redirect>> {
    app::posts::delete(app, &user.user, PostKey::Id(post_id(id)?)).await?;
    Ok(Flash::success(Redirect::to(uri!(super::main::index(_))), "Your post has been deleted!"))
}

/// The signed-in author's drafts and scheduled posts, the latest saved first.
#[get("/drafts?<page>")]
async fn drafts(page: Option<&str>, layout: Layout, user: CurrentUser, app: &State<App>) -> SiteResult<Page> {
    let (rows, pagination) = app::posts::unpublished(app, &user.user, page).await?;
    let total = pagination.total_items;
    let listing = super::main::Listing::of(rows, pagination, Some(&user));
    Ok(Page::render("posts/drafts", context! { layout, listing, total, page_base: "/drafts" }))
}

/// A version number from the path: anything but a positive number is no version.
fn version_number(raw: &str) -> SiteResult<i32> {
    raw.parse::<i32>().ok().filter(|n| *n > 0).ok_or_else(SiteError::not_found)
}

/// One line of a post's history.
#[derive(serde::Serialize)]
struct VersionView {
    number: i32,
    title: String,
    saved: String,
    saved_iso: String,
    current: bool,
}

/// A post's kept versions, the newest first (its author and moderators; anyone else 404).
#[get("/post/<id>/history")]
async fn history(id: &str, layout: Layout, user: CurrentUser, app: &State<App>) -> SiteResult<Page> {
    let (post, versions) = app::posts::history(app, &user.user, post_id(id)?).await?;
    let zone = app::accounts::time_zone(&user.user);
    let latest = versions.first().map(|v| v.number);
    let versions: Vec<VersionView> = versions
        .into_iter()
        .map(|v| VersionView {
            number: v.number,
            title: v.snapshot.title,
            saved: format!("{} ({})", zone.format(v.created_at, TIME_FORMAT), zone.name()),
            saved_iso: v.created_at.to_rfc3339(),
            current: Some(v.number) == latest,
        })
        .collect();
    let kept = app::posts::VERSIONS_KEPT;
    Ok(Page::render("posts/history", context! { layout, post_id: post.id, title: post.title, versions, kept }))
}

/// Version `n` of a post, rendered, with a button to restore it.
#[get("/post/<id>/history/<n>")]
async fn version(id: &str, n: &str, layout: Layout, user: CurrentUser, app: &State<App>) -> SiteResult<Page> {
    let app::posts::Version { post, revision: version, html, current } =
        app::posts::version(app, &user.user, post_id(id)?, version_number(n)?).await?;
    let zone = app::accounts::time_zone(&user.user);
    let shown = context! {
        number: version.number,
        current,
        saved: format!("{} ({})", zone.format(version.created_at, TIME_FORMAT), zone.name()),
        title: version.snapshot.title,
        description: version.snapshot.description,
        content: version.snapshot.content,
        tags: version.snapshot.tags,
        body_html: html,
    };
    Ok(Page::render("posts/version", context! { layout, post_id: post.id, version: shown }))
}

/// Makes version `n` current again; the post keeps its state and publish time.
#[post("/post/<id>/history/<n>/restore", data = "<_form>")]
async fn restore(
    id: &str,
    n: &str,
    _form: CsrfForm<'_, Confirm>,
    user: CurrentUser,
    app: &State<App>,
) -> SiteResult<Flash<Redirect>> {
    let number = version_number(n)?;
    let saved = app::posts::restore(app, &user.user, post_id(id)?, number).await?;
    Ok(Flash::success(
        Redirect::to(uri!(show(saved.id.to_string(), _))),
        format!("Version {number} has been restored."),
    ))
}

/// What favouriting answers: back to the post (no JavaScript), or the new count as JSON for the
/// post page's script.
#[derive(rocket::Responder)]
enum Favorited {
    Page(Box<Redirect>),
    Json(rocket::serde::json::Json<rocket::serde::json::Value>),
}

async fn set_favorite(id: &str, on: bool, json: bool, user: &CurrentUser, app: &App) -> SiteResult<Favorited> {
    let id = post_id(id)?;
    let article = app::social::set_favorite(app, &user.user, PostKey::Id(id), on).await?;
    if json {
        let answer = rocket::serde::json::json!({
            "favorited": article.favorited, "count": article.row.favorites_count,
        });
        return Ok(Favorited::Json(rocket::serde::json::Json(answer)));
    }
    Ok(Favorited::Page(Box::new(Redirect::to(format!("{}#favorite", uri!(show(id.to_string(), _)))))))
}

/// The signed-in reader favours post `id` (again is fine); someone else's draft is not found.
#[post("/post/<id>/favorite", data = "<_form>")]
async fn favorite(
    id: &str,
    _form: CsrfForm<'_, Confirm>,
    json: crate::guards::WantsJson,
    user: CurrentUser,
    app: &State<App>,
) -> SiteResult<Favorited> {
    set_favorite(id, true, json.0, &user, app).await
}

/// The signed-in reader no longer favours post `id`.
#[post("/post/<id>/unfavorite", data = "<_form>")]
async fn unfavorite(
    id: &str,
    _form: CsrfForm<'_, Confirm>,
    json: crate::guards::WantsJson,
    user: CurrentUser,
    app: &State<App>,
) -> SiteResult<Favorited> {
    set_favorite(id, false, json.0, &user, app).await
}
