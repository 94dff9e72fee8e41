//! Cross-site request forgery protection: every browser gets a random token in a private cookie;
//! every form repeats it in a hidden `csrf_token` field; a POST whose field does not match is
//! refused with 403 before its handler runs.

use base64::Engine;
use rocket::data::{Data, FromData, Outcome as DataOutcome};
use rocket::form::{Contextual, Form};
use rocket::http::{Cookie, SameSite, Status};
use rocket::request::{FromRequest, Outcome, Request};
use subtle::ConstantTimeEq;

use crate::config::AppConfig;

const COOKIE: &str = "csrf_token";
/// The hidden form field carrying the token.
pub const FIELD: &str = "csrf_token";

/// This browser's token, made (and set as a cookie) on first use.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for CsrfToken {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let token = req.local_cache(|| {
            if let Some(cookie) = req.cookies().get_private(COOKIE) {
                return cookie.value().to_owned();
            }
            let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
            set_cookie(req, &token);
            token
        });
        // An error page forgets the cookies the failed route set (Rocket starts its catcher
        // afresh) but not this request's cached token: set the cookie again for the page's forms.
        if req.cookies().get_private(COOKIE).is_none() {
            set_cookie(req, token);
        }
        Outcome::Success(CsrfToken(token.clone()))
    }
}

fn set_cookie(req: &Request<'_>, token: &str) {
    let secure = req.rocket().state::<AppConfig>().is_some_and(AppConfig::secure_cookies);
    req.cookies().add_private(
        Cookie::build((COOKIE, token.to_owned()))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(secure)
            .expires(None::<rocket::time::OffsetDateTime>),
    );
}

/// Drops the browser's token, at login and logout: its next page with a form makes a new one, so
/// that no token outlives the session it was made for.
pub fn forget(cookies: &rocket::http::CookieJar<'_>) {
    cookies.remove_private(Cookie::build(COOKIE).path("/"));
}

/// Why a form was refused before its handler ran.
#[derive(Debug)]
pub enum FormRejection {
    /// The body is over the form limit (nothing of it is used).
    TooLarge,
    /// The body could not be read as a form (wrong encoding).
    Unreadable,
    /// The CSRF token was missing or wrong.
    BadToken,
}

/// A form whose CSRF token matched this browser's: the parsed value, or the context with the
/// raw values and errors. An over-sized body is refused with 413 (a handler that takes
/// `Result<CsrfForm<_>, FormRejection>` may answer its own page instead), a body that is no form with
/// 415 (not forwarded: the route of rank 2 beside a guests' page is for signed-in users), a bad
/// token with 403.
pub struct CsrfForm<'r, T>(pub Contextual<'r, T>);

#[rocket::async_trait]
impl<'r, T: rocket::form::FromForm<'r> + Send> FromData<'r> for CsrfForm<'r, T> {
    type Error = FormRejection;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> DataOutcome<'r, Self> {
        let form = match Form::<Contextual<'r, T>>::from_data(req, data).await {
            DataOutcome::Success(form) => form.into_inner(),
            DataOutcome::Error((Status::PayloadTooLarge, _)) => {
                return DataOutcome::Error((Status::PayloadTooLarge, FormRejection::TooLarge));
            }
            DataOutcome::Error((status, _)) => return DataOutcome::Error((status, FormRejection::Unreadable)),
            DataOutcome::Forward((_, status)) => return DataOutcome::Error((status, FormRejection::Unreadable)),
        };
        if form.context.status() == Status::PayloadTooLarge {
            return DataOutcome::Error((Status::PayloadTooLarge, FormRejection::TooLarge));
        }
        let expected = req.cookies().get_private(COOKIE);
        let given = form.context.field_value(FIELD);
        match (expected, given) {
            (Some(expected), Some(given)) if bool::from(expected.value().as_bytes().ct_eq(given.as_bytes())) => {
                DataOutcome::Success(CsrfForm(form))
            }
            _ => DataOutcome::Error((Status::Forbidden, FormRejection::BadToken)),
        }
    }
}
