//! An author's images for posts: upload (also from the editor's script, which asks for JSON),
//! list with the Markdown to paste, delete.

use app::{App, AppError};
use rocket::form::FromForm;
use rocket::fs::TempFile;
use rocket::http::Status;
use rocket::response::{Flash, Redirect};
use rocket::serde::json::{Json, Value, json};
use rocket::{State, get, post, routes, uri};
use rocket_dyn_templates::context;

use super::{Reply, SiteError, SiteResult};
use crate::config::AppConfig;
use crate::csrf::CsrfForm;
use crate::forms::{Confirm, FieldErrors};
use crate::guards::CurrentUser;
use crate::layout::Layout;
use crate::views::Page;

pub fn stage() -> rocket::fairing::AdHoc {
    rocket::fairing::AdHoc::on_ignite("Images", |rocket| async { rocket.mount("/", routes![page, upload, delete]) })
}

#[derive(FromForm)]
struct UploadForm<'r> {
    image: Option<TempFile<'r>>,
    #[field(default = String::new())]
    alt: String,
}

/// What the upload answers: the page (or a redirect to it), or JSON for the editor.
#[derive(rocket::Responder)]
enum Answer {
    Site(Box<Reply>),
    Json((Status, Json<Value>)),
}

#[derive(serde::Serialize)]
struct ImageView {
    name: String,
    url: String,
    thumbnail: String,
    alt: String,
    markdown: String,
    size: String,
    uploaded: String,
}

fn view(image: app::images::Image) -> ImageView {
    let prefix = app::images::URL_PREFIX;
    ImageView {
        url: format!("{prefix}{}", image.name),
        thumbnail: format!("{prefix}{}", image.small_name.as_deref().unwrap_or(&image.name)),
        markdown: app::images::markdown_for(&image),
        size: format!("{}×{} px, {}", image.width, image.height, human_bytes(image.bytes.unsigned_abs())),
        uploaded: image.created_at.format("%B %-d, %Y").to_string(),
        alt: image.alt,
        name: image.name,
    }
}

use app::images::human_bytes;

async fn images_page(
    layout: Layout,
    user: &CurrentUser,
    app: &App,
    alt: &str,
    errors: FieldErrors,
) -> SiteResult<Page> {
    let images: Vec<ImageView> = app::images::list(app, &user.user).await?.into_iter().map(view).collect();
    let (used, quota) = app::images::usage(app, &user.user).await?;
    let usage = format!("{} of {}", human_bytes(used), human_bytes(quota));
    let max = human_bytes(app.settings().image_max_bytes);
    Ok(Page::render("users/images", context! { layout, images, usage, max, form: context! { alt }, errors }))
}

/// The signed-in author's images, the newest first, with the upload form.
#[get("/account/images")]
async fn page(layout: Layout, user: CurrentUser, app: &State<App>) -> SiteResult<Page> {
    images_page(layout, &user, app, "", FieldErrors::default()).await
}

/// Uploads an image: back to the list with a flash, the form again with the error, or (for the
/// editor's script) `{"markdown", "url"}` / `{"error"}` with 422.
#[post("/account/images", data = "<form>")]
async fn upload(
    form: CsrfForm<'_, UploadForm<'_>>,
    json: crate::guards::WantsJson,
    layout: Layout,
    user: CurrentUser,
    app: &State<App>,
    config: &State<AppConfig>,
) -> SiteResult<Answer> {
    let f = form.0.value.ok_or_else(SiteError::unprocessable)?;
    let outcome = match f.image.as_ref().filter(|file| file.len() > 0) {
        None => Err(AppError::invalid("image", "Choose an image to upload.")),
        // Over this upload's own limit: refused before it is read.
        Some(file) if file.len() > config.image_max_bytes.as_u64() => {
            Err(AppError::invalid("image", app::images::too_big(config.image_max_bytes.as_u64())))
        }
        Some(file) => match super::users::read_upload(file).await {
            Ok(bytes) => app::images::upload(app, &user.user, bytes, &f.alt).await,
            Err(e) => {
                log::warn!("could not read an uploaded image: {e}");
                Err(AppError::invalid("image", "The image could not be read. Please try again."))
            }
        },
    };
    match outcome {
        Ok(image) if json.0 => {
            let view = view(image);
            Ok(Answer::Json((Status::Created, Json(json!({ "markdown": view.markdown, "url": view.url })))))
        }
        Ok(_) => Ok(Answer::Site(Box::new(Reply::Flash(Flash::success(
            Redirect::to(uri!(page)),
            "Your image has been uploaded: paste its Markdown into a post.",
        ))))),
        Err(AppError::Invalid { field, message }) if json.0 => {
            Ok(Answer::Json((Status::UnprocessableEntity, Json(json!({ "field": field, "error": message })))))
        }
        Err(AppError::Invalid { field, message }) => {
            let mut errors = FieldErrors::default();
            errors.add(field, message);
            Ok(Answer::Site(Box::new(Reply::Page(images_page(layout, &user, app, &f.alt, errors).await?))))
        }
        Err(e) => Err(e.into()),
    }
}

/// Deletes one of the author's images; someone else's is not found.
#[post("/account/images/<name>/delete", data = "<_form>")]
async fn delete(
    name: &str,
    _form: CsrfForm<'_, Confirm>,
    user: CurrentUser,
    app: &State<App>,
) -> SiteResult<Flash<Redirect>> {
    app::images::delete(app, &user.user, name).await?;
    Ok(Flash::success(Redirect::to(uri!(page)), "The image has been deleted."))
}
