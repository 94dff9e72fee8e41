//! Who is asking, for every door: the site's signed-in user (session cookie), moderators, guests,
//! the API's token user, and requests that no other site made. Guards compose: [`Admin`] is a
//! [`CurrentUser`] who is a moderator; [`ApiUser`] is a [`MaybeApiUser`] who is someone.

use app::accounts::SessionLifetime;
use app::{App, AppError, User};
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::outcome::try_outcome;
use rocket::request::{FromRequest, Outcome, Request};

use crate::config::AppConfig;

/// The site's session cookie.
pub const SESSION_COOKIE: &str = "session";

/// The signed-in user. Routes that take it require login: anonymous visitors are sent to the
/// login page (see the 401 catcher).
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    /// The session's secret, to end this session or spare it when ending the others.
    session: String,
}

impl CurrentUser {
    pub fn session_secret(&self) -> &str {
        &self.session
    }
}

struct Lookup(Result<Option<CurrentUser>, ()>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for CurrentUser {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let Lookup(found) = req
            .local_cache_async(async {
                let Some(secret) = req.cookies().get_private(SESSION_COOKIE).map(|c| c.value().to_owned()) else {
                    return Lookup(Ok(None));
                };
                let Some(app) = req.rocket().state::<App>() else { return Lookup(Err(())) };
                match app::accounts::session_user(app, &secret).await {
                    Ok(user) => Lookup(Ok(user.map(|user| CurrentUser { user, session: secret }))),
                    Err(e) => {
                        log::error!("session lookup: {e}");
                        Lookup(Err(()))
                    }
                }
            })
            .await;
        match found {
            Ok(Some(user)) => Outcome::Success(user.clone()),
            Ok(None) => Outcome::Error((Status::Unauthorized, ())),
            Err(()) => Outcome::Error((Status::InternalServerError, ())),
        }
    }
}

/// A signed-in moderator; anyone else signed in gets 403.
pub struct Admin(pub CurrentUser);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Admin {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let user = try_outcome!(req.guard::<CurrentUser>().await);
        if user.user.is_admin { Outcome::Success(Admin(user)) } else { Outcome::Error((Status::Forbidden, ())) }
    }
}

/// Nobody is signed in. A signed-in user is forwarded, to the route of rank 2 that sends them
/// home (login, registration and password reset are for guests).
pub struct Guest;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Guest {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        match req.guard::<CurrentUser>().await {
            Outcome::Success(_) => Outcome::Forward(Status::Ok),
            Outcome::Error((Status::Unauthorized, ())) => Outcome::Success(Guest),
            Outcome::Error(e) => Outcome::Error(e),
            Outcome::Forward(s) => Outcome::Forward(s),
        }
    }
}

/// Signs `user` in: a new session and its secret in an encrypted, HttpOnly cookie that lasts 30
/// days with `remember`, else until the browser closes.
pub async fn sign_in(
    app: &App,
    cookies: &CookieJar<'_>,
    config: &AppConfig,
    user: &User,
    remember: bool,
) -> Result<(), AppError> {
    let lifetime = if remember { SessionLifetime::Remembered } else { SessionLifetime::Browser };
    let secret = app::accounts::start_session(app, user, lifetime).await?;
    let mut cookie = Cookie::build((SESSION_COOKIE, secret))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(config.secure_cookies());
    cookie = if remember {
        cookie.max_age(rocket::time::Duration::seconds(lifetime.duration().num_seconds()))
    } else {
        // Said explicitly: Rocket would otherwise keep a private cookie for a week.
        cookie.expires(None::<rocket::time::OffsetDateTime>)
    };
    cookies.add_private(cookie);
    crate::csrf::forget(cookies);
    Ok(())
}

/// Ends the current session: its row and its cookie.
pub async fn sign_out(app: &App, cookies: &CookieJar<'_>, user: &CurrentUser) -> Result<(), AppError> {
    app::accounts::end_session(app, &user.session).await?;
    forget_session(cookies);
    Ok(())
}

/// Drops the session cookie (its row is already gone).
pub fn forget_session(cookies: &CookieJar<'_>) {
    cookies.remove_private(Cookie::build(SESSION_COOKIE).path("/"));
    crate::csrf::forget(cookies);
}

/// The API's signed-in user, from `Authorization: Token <jwt>` (or `Bearer <jwt>`). Absent or
/// refused tokens fail with 401.
pub struct ApiUser(pub User);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ApiUser {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        match try_outcome!(req.guard::<MaybeApiUser>().await) {
            MaybeApiUser(Some(user)) => Outcome::Success(ApiUser(user)),
            MaybeApiUser(None) => Outcome::Error((Status::Unauthorized, ())),
        }
    }
}

/// The API's signed-in user if there is an `Authorization` header; a refused token still fails
/// with 401.
pub struct MaybeApiUser(pub Option<User>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for MaybeApiUser {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let header = req.headers().get_one("Authorization");
        if header.is_none() {
            return Outcome::Success(MaybeApiUser(None));
        }
        let Some(app) = req.rocket().state::<App>() else { return Outcome::Error((Status::InternalServerError, ())) };
        match app::accounts::token_user(app, header, &["Token", "Bearer"]).await {
            Ok((user, _)) => Outcome::Success(MaybeApiUser(Some(user))),
            Err(AppError::Unauthenticated(_)) => Outcome::Error((Status::Unauthorized, ())),
            Err(e) => {
                log::error!("api token: {e}");
                Outcome::Error((Status::InternalServerError, ()))
            }
        }
    }
}

/// The `Authorization` header, as sent.
pub struct AuthorizationHeader(pub Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for AuthorizationHeader {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        Outcome::Success(Self(req.headers().get_one("Authorization").map(str::to_owned)))
    }
}

/// A request that no other site made: its `Origin` (when the browser sends one) is this site,
/// and `Sec-Fetch-Site` (likewise) is not another site's. Programs send neither and pass.
/// Guards every form-bodied `/auth` route, the ones a browser's cookie or another site's form can
/// reach, before the body is read; refused, the request gets 403 "cross-site request refused".
pub struct FromThisSite;

/// Marks a request refused by [`FromThisSite`], for the catcher's message.
pub struct CrossSite(pub bool);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for FromThisSite {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let fetch_site_ok = req.headers().get_one("Sec-Fetch-Site").is_none_or(|v| matches!(v, "same-origin" | "none"));
        let origin_ok = req.headers().get_one("Origin").is_none_or(|origin| {
            let public = req.rocket().state::<AppConfig>().map(|c| origin_of(&c.public_url));
            let host = req.headers().get_one("Host");
            public.is_some_and(|p| p.eq_ignore_ascii_case(origin))
                || host.is_some_and(|h| origin.split_once("://").is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(h)))
        });
        if fetch_site_ok && origin_ok {
            Outcome::Success(FromThisSite)
        } else {
            req.local_cache(|| CrossSite(true));
            Outcome::Error((Status::Forbidden, ()))
        }
    }
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    url[after_scheme..].find('/').map_or(url, |end| &url[..after_scheme + end])
}

/// Whether the client asked for JSON (the site's small scripts) rather than a page.
pub struct WantsJson(pub bool);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for WantsJson {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let json = req.accept().is_some_and(|a| a.preferred().media_type() == &rocket::http::MediaType::JSON);
        Outcome::Success(WantsJson(json))
    }
}
