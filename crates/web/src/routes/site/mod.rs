//! The HTML site: pages for readers and authors. Handlers parse the form, call one `app`
//! function, and answer a page, a redirect or a [`SiteError`] (whose page the catchers render).

pub mod comments;
pub mod feeds;
pub mod images;
pub mod main;
pub mod posts;
pub mod sitemap;
pub mod users;

use app::AppError;
use rocket::Responder;
use rocket::http::{Header, Status};
use rocket::request::Request;
use rocket::response::{self, Flash, Redirect};
use rocket_dyn_templates::context;

use crate::layout::Layout;
use crate::views::Page;

/// What a page handler answers: the page, a redirect, or a redirect carrying a flash message.
#[derive(Responder)]
pub enum Reply {
    Page(Page),
    Redirect(Redirect),
    Flash(Flash<Redirect>),
    TooMany(TooMany),
    Refused(Refused),
}

/// A 403 page that says why.
#[derive(Responder)]
#[response(status = 403)]
pub struct Refused(Page);

impl Refused {
    pub fn new(layout: Layout, message: &str) -> Self {
        Self(Page::render("errors/403", context! { layout, message }))
    }
}

/// The 429 page: what was refused and when to try again.
#[derive(Responder)]
#[response(status = 429)]
pub struct TooMany {
    page: Page,
    retry_after: Header<'static>,
}

impl TooMany {
    pub fn new(layout: Layout, what: &str, wait: std::time::Duration) -> Self {
        let when = domain::throttle::describe_wait(wait);
        Self {
            page: Page::render("errors/429", context! { layout, what, when }),
            retry_after: Header::new("Retry-After", wait.as_secs().max(1).to_string()),
        }
    }
}

/// The site's refusals: a status whose page the catchers render. Nothing internal reaches the
/// page; internal errors are logged.
#[derive(Debug)]
pub struct SiteError(Status);

impl SiteError {
    /// A form that does not parse as one.
    pub fn unprocessable() -> Self {
        Self(Status::UnprocessableEntity)
    }

    pub fn not_found() -> Self {
        Self(Status::NotFound)
    }

    /// A form whose CSRF token did not match.
    pub fn forbidden() -> Self {
        Self(Status::Forbidden)
    }

    /// An upload over its own limit (Rocket's, the larger of all uploads', let it through).
    pub fn too_large() -> Self {
        Self(Status::PayloadTooLarge)
    }
}

impl From<AppError> for SiteError {
    fn from(e: AppError) -> Self {
        Self(match e {
            AppError::NotFound(_) => Status::NotFound,
            AppError::Forbidden | AppError::CommentsClosed => Status::Forbidden,
            AppError::Invalid { .. } | AppError::Taken(_) => Status::UnprocessableEntity,
            AppError::Unauthenticated(_) => Status::Unauthorized,
            AppError::Throttled(_) => Status::TooManyRequests,
            AppError::Internal(e) => {
                log::error!("{e}");
                Status::InternalServerError
            }
        })
    }
}

impl<'r> response::Responder<'r, 'static> for SiteError {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        Err(self.0)
    }
}

pub type SiteResult<T> = Result<T, SiteError>;

pub fn stage() -> rocket::fairing::AdHoc {
    rocket::fairing::AdHoc::on_ignite("Site", |rocket| async {
        rocket
            .attach(main::stage())
            .attach(users::stage())
            .attach(posts::stage())
            .attach(images::stage())
            .attach(comments::stage())
            .attach(feeds::stage())
            .attach(sitemap::stage())
    })
}
