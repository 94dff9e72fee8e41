//! Posts: write, read, update, delete.

use app::App;
use app::posts::{NewPost, PostChanges, PostKey};
use domain::{Content, Title};
use rocket::fairing::AdHoc;
use rocket::form::FromForm;
use rocket::response::{Flash, Redirect};
use rocket::{State, get, post, routes, uri};
use rocket_dyn_templates::context;

use super::{Reply, SiteError, SiteResult};
use crate::csrf::CsrfForm;
use crate::forms::{Confirm, FieldErrors};
use crate::guards::CurrentUser;
use crate::layout::{Layout, PostView};
use crate::views::Page;

pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Posts", |rocket| async { rocket.mount("/", routes![new, create, show, edit, update, delete]) })
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
    /// Which button: `publish` (also when absent) or `preview`.
    #[field(default = String::new())]
    action: String,
}

/// What the form asks for, its values checked by the domain's rules.
struct Checked {
    title: Title,
    description: String,
    content: Content,
    tags: Vec<String>,
}

impl PostForm {
    fn check(&self) -> Result<Checked, FieldErrors> {
        let mut errors = FieldErrors::default();
        let title = errors.check("title", Title::parse(&self.title));
        let description =
            errors.check("description", domain::Description::parse(&self.description).map(|d| d.into_inner()));
        let content = errors.check("content", Content::parse(&self.content));
        let tags: Vec<&str> = self.tags.split(',').collect();
        let tags = errors.check("tags", domain::Tags::parse(&tags).map(domain::Tags::into_inner));
        match (title, description, content, tags) {
            (Some(title), Some(description), Some(content), Some(tags)) if errors.is_empty() => {
                Ok(Checked { title, description, content, tags })
            }
            _ => Err(errors),
        }
    }

    fn previewing(&self) -> bool {
        self.action == "preview"
    }
}

/// The form again, with the post rendered above it as it would show.
async fn preview_page(layout: Layout, legend: &str, action: &str, f: &PostForm, content: &Content) -> SiteResult<Page> {
    let preview = app::posts::preview(content).await?;
    Ok(Page::render(
        "posts/form",
        context! { layout, legend, action, form: f, errors: FieldErrors::default(), preview },
    ))
}

fn form_template(layout: Layout, legend: &str, action: &str, form: impl serde::Serialize, errors: FieldErrors) -> Page {
    Page::render("posts/form", context! { layout, legend, action, form, errors, preview: "" })
}

/// A post id from the path: anything but a number is no post.
fn post_id(raw: &str) -> SiteResult<i64> {
    raw.parse::<i64>().map_err(|_| SiteError::not_found())
}

#[get("/post/new")]
fn new(layout: Layout, _user: CurrentUser) -> Page {
    let form = context! { title: "", description: "", content: "", tags: "" };
    form_template(layout, "New Post", "/post/new", form, FieldErrors::default())
}

#[post("/post/new", data = "<form>")]
async fn create(
    form: CsrfForm<'_, PostForm>,
    layout: Layout,
    user: CurrentUser,
    app: &State<App>,
) -> SiteResult<Reply> {
    let f = form.0.value.ok_or_else(SiteError::unprocessable)?;
    let checked = match f.check() {
        Ok(checked) => checked,
        Err(errors) => return Ok(Reply::Page(form_template(layout, "New Post", "/post/new", &f, errors))),
    };
    if f.previewing() {
        return Ok(Reply::Page(preview_page(layout, "New Post", "/post/new", &f, &checked.content).await?));
    }
    let Checked { title, description, content, tags } = checked;
    let new = NewPost { title, content, description, tags };
    let id = app::posts::publish(app, &user.user, new).await?;
    Ok(Reply::Flash(Flash::success(Redirect::to(uri!(show(id.to_string()))), "Your post has been created!")))
}

#[get("/post/<id>")]
async fn show(id: &str, layout: Layout, viewer: Option<CurrentUser>, app: &State<App>) -> SiteResult<Page> {
    let post = app::posts::show(app, post_id(id)?).await?;
    let tags = app::posts::tags_of(app, std::slice::from_ref(&post)).await?.remove(&post.id).unwrap_or_default();
    let post = PostView::new(post, viewer.as_ref()).with_tags(tags);
    Ok(Page::render("posts/show", context! { layout, post }))
}

#[get("/post/<id>/update")]
async fn edit(id: &str, layout: Layout, user: CurrentUser, app: &State<App>) -> SiteResult<Page> {
    let key = PostKey::Id(post_id(id)?);
    app::posts::editable(app, &user.user, key).await?;
    let post = app::posts::article(app, key, Some(&user.user)).await?;
    let action = uri!(update(post.row.id.to_string())).to_string();
    let form = context! {
        title: post.row.title, description: post.row.description, content: post.row.content,
        tags: post.tags.join(", "),
    };
    Ok(form_template(layout, "Update Post", &action, form, FieldErrors::default()))
}

#[post("/post/<id>/update", data = "<form>")]
async fn update(
    id: &str,
    form: CsrfForm<'_, PostForm>,
    layout: Layout,
    user: CurrentUser,
    app: &State<App>,
) -> SiteResult<Reply> {
    let key = PostKey::Id(post_id(id)?);
    // Someone else's post is refused before its form is looked at.
    let post = app::posts::editable(app, &user.user, key).await?;
    let f = form.0.value.ok_or_else(SiteError::unprocessable)?;
    let action = uri!(update(post.id.to_string())).to_string();
    let checked = match f.check() {
        Ok(checked) => checked,
        Err(errors) => return Ok(Reply::Page(form_template(layout, "Update Post", &action, &f, errors))),
    };
    if f.previewing() {
        return Ok(Reply::Page(preview_page(layout, "Update Post", &action, &f, &checked.content).await?));
    }
    let Checked { title, description, content, tags } = checked;
    let changes =
        PostChanges { title: Some(title), content: Some(content), description: Some(description), tags: Some(tags) };
    let id = app::posts::edit(app, &user.user, key, changes).await?;
    Ok(Reply::Flash(Flash::success(Redirect::to(uri!(show(id.to_string()))), "Your post has been updated!")))
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
