//! Posts: write, read, update, delete.

use chrono::Utc;
use domain::{Content, Title};
use persistence::DatabaseConnection;
use persistence::posts::{NewPost, PostWithAuthor};
use rocket::fairing::AdHoc;
use rocket::form::FromForm;
use rocket::response::{Flash, Redirect};
use rocket::{State, get, post, routes};
use rocket_dyn_templates::context;

use super::Reply;
use crate::csrf::CsrfForm;
use crate::error::{Error, Result};
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
    content: String,
}

impl PostForm {
    fn check(&self) -> (Option<(Title, Content)>, FieldErrors) {
        let mut errors = FieldErrors::default();
        let title = errors.check("title", Title::parse(&self.title));
        let content = errors.check("content", Content::parse(&self.content));
        (title.zip(content), errors)
    }
}

fn form_template(layout: Layout, legend: &str, action: &str, form: impl serde::Serialize, errors: FieldErrors) -> Page {
    Page::render("posts/form", context! { layout, legend, action, form, errors })
}

/// A post id from the path: anything but a number is no post.
fn post_id(raw: &str) -> Result<i64> {
    raw.parse::<i64>().map_err(|_| Error::NotFound)
}

/// The post `raw` names, if `user` may change it: 404 when there is no such post, 403 when it is
/// someone else's.
async fn modifiable(db: &DatabaseConnection, raw: &str, user: &CurrentUser) -> Result<PostWithAuthor> {
    let post = persistence::posts::find_by_id(db, post_id(raw)?).await?.ok_or(Error::NotFound)?;
    if !user.actor().may_modify(post.user_id) {
        return Err(Error::Forbidden);
    }
    Ok(post)
}

#[get("/post/new")]
fn new(layout: Layout, _user: CurrentUser) -> Page {
    form_template(layout, "New Post", "/post/new", context! { title: "", content: "" }, FieldErrors::default())
}

#[post("/post/new", data = "<form>")]
async fn create(
    form: CsrfForm<'_, PostForm>,
    layout: Layout,
    user: CurrentUser,
    db: &State<DatabaseConnection>,
) -> Result<Reply> {
    let f = form.0.value.ok_or(Error::Unprocessable)?;
    let (checked, errors) = f.check();
    let Some((title, content)) = checked else {
        return Ok(Reply::Page(form_template(layout, "New Post", "/post/new", &f, errors)));
    };
    let new = NewPost { user_id: user.user.id, title, content, description: String::new() };
    let (id, _) = persistence::posts::insert(db.inner(), new, Utc::now()).await?;
    Ok(Reply::Flash(Flash::success(Redirect::to(format!("/post/{id}")), "Your post has been created!")))
}

#[get("/post/<id>")]
async fn show(id: &str, layout: Layout, viewer: Option<CurrentUser>, db: &State<DatabaseConnection>) -> Result<Page> {
    let post = persistence::posts::find_by_id(db.inner(), post_id(id)?).await?.ok_or(Error::NotFound)?;
    Ok(Page::render("posts/show", context! { layout, post: PostView::new(post, viewer.as_ref()) }))
}

#[get("/post/<id>/update")]
async fn edit(id: &str, layout: Layout, user: CurrentUser, db: &State<DatabaseConnection>) -> Result<Page> {
    let post = modifiable(db, id, &user).await?;
    let action = format!("/post/{}/update", post.id);
    Ok(form_template(
        layout,
        "Update Post",
        &action,
        context! { title: post.title, content: post.content },
        FieldErrors::default(),
    ))
}

#[post("/post/<id>/update", data = "<form>")]
async fn update(
    id: &str,
    form: CsrfForm<'_, PostForm>,
    layout: Layout,
    user: CurrentUser,
    db: &State<DatabaseConnection>,
) -> Result<Reply> {
    let post = modifiable(db, id, &user).await?;
    let f = form.0.value.ok_or(Error::Unprocessable)?;
    let (checked, errors) = f.check();
    let Some((title, content)) = checked else {
        let action = format!("/post/{}/update", post.id);
        return Ok(Reply::Page(form_template(layout, "Update Post", &action, &f, errors)));
    };
    persistence::posts::update(db.inner(), post.id, title, content, None, Utc::now()).await?;
    Ok(Reply::Flash(Flash::success(Redirect::to(format!("/post/{}", post.id)), "Your post has been updated!")))
}

#[post("/post/<id>/delete", data = "<_form>")]
async fn delete(
    id: &str,
    _form: CsrfForm<'_, Confirm>,
    user: CurrentUser,
    db: &State<DatabaseConnection>,
) -> Result<Flash<Redirect>> {
    let post = modifiable(db, id, &user).await?;
    persistence::posts::delete(db.inner(), post.id).await?;
    Ok(Flash::success(Redirect::to("/"), "Your post has been deleted!"))
}
