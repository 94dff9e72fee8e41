//! Error pages. Every error renders its own page in the layout; none shows internals. A page
//! that needs login sends anonymous visitors to the login page instead.

use rocket::fairing::AdHoc;
use rocket::http::{Method, RawStr, Status};
use rocket::request::Request;
use rocket::response::{Flash, Redirect};
use rocket::{catch, catchers};
use rocket_dyn_templates::context;

use crate::layout::Layout;
use crate::routes::json::Answer;
use crate::routes::{api, auth};
use crate::views::Page;

pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Catchers", |rocket| async {
        rocket
            .register("/", catchers![unauthorized, any_error])
            .register("/auth", catchers![auth_error])
            .register("/api", catchers![api_error])
    })
}

/// Errors under `/auth` answer JSON, in the style of the endpoint's family.
#[catch(default)]
fn auth_error(status: Status, req: &Request<'_>) -> Answer {
    let reason = status.reason().unwrap_or("Error");
    let path = req.uri().path();
    let token_style = ["/auth/register", "/auth/login", "/auth/status", "/auth/logout"].contains(&path.as_str());
    if token_style {
        auth::fail(status, reason)
    } else if req.local_cache(|| crate::guards::CrossSite(false)).0 {
        auth::message(status, "cross-site request refused")
    } else {
        auth::message(status, reason)
    }
}

/// Errors under `/api` answer JSON in the RealWorld shape.
#[catch(default)]
fn api_error(status: Status, _: &Request<'_>) -> Answer {
    api::refused(status, status.reason().unwrap_or("Error"))
}

async fn page(status: Status, req: &Request<'_>) -> (Status, Page) {
    let layout = req.guard::<Layout>().await.succeeded();
    let code = status.code;
    let name = match code {
        400 | 401 | 403 | 404 | 413 | 422 | 500 => format!("errors/{code}"),
        _ if status.class().is_server_error() => "errors/500".to_owned(),
        _ => "errors/default".to_owned(),
    };
    (status, Page::render(name, context! { layout, code, reason: status.reason().unwrap_or("Error") }))
}

#[catch(401)]
fn unauthorized(req: &Request<'_>) -> Flash<Redirect> {
    // Come back here after logging in; a form post cannot be replayed, so it returns home. (Built
    // by hand rather than with `uri!`, which would leave the `/`s of `next` unencoded.)
    let target = if req.method() == Method::Get {
        let here = req.uri().to_string();
        format!("/login?next={}", RawStr::new(&here).percent_encode())
    } else {
        "/login".to_owned()
    };
    Flash::new(Redirect::to(target), "info", "Please log in to access this page.")
}

/// Every other error: its own page in the layout.
#[catch(default)]
async fn any_error(status: Status, req: &Request<'_>) -> (Status, Page) {
    page(status, req).await
}
