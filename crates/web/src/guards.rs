//! Who is asking: the signed-in user, found through the session cookie.

use base64::Engine;
use chrono::Utc;
use persistence::DatabaseConnection;
use persistence::users::User;
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::request::{FromRequest, Outcome, Request};

use crate::config::AppConfig;
use crate::error::Error;

/// The site's session cookie.
pub const SESSION_COOKIE: &str = "session";
/// How long "remember me" keeps a user signed in.
const REMEMBER_DAYS: i64 = 30;
/// How long the server honours a browser-session login (the cookie itself dies with the browser).
const SESSION_HOURS: i64 = 24;

/// The signed-in user. Routes that take it require login: anonymous visitors are sent to the
/// login page (see the 401 catcher).
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    /// The session's secret, to end this session or spare it when ending the others.
    session: String,
}

impl CurrentUser {
    pub fn actor(&self) -> domain::Actor {
        domain::Actor { user_id: self.user.id, is_admin: self.user.is_admin }
    }

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
                let Some(db) = req.rocket().state::<DatabaseConnection>() else { return Lookup(Err(())) };
                match persistence::sessions::find_user(db, &secret, Utc::now()).await {
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

/// Signs `user_id` in: a new session row and its secret in an encrypted, HttpOnly cookie that
/// lasts 30 days with `remember`, else until the browser closes.
pub async fn sign_in(
    db: &DatabaseConnection,
    cookies: &CookieJar<'_>,
    config: &AppConfig,
    user_id: i64,
    remember: bool,
) -> Result<(), Error> {
    let secret = new_secret();
    let now = Utc::now();
    let lifetime =
        if remember { chrono::Duration::days(REMEMBER_DAYS) } else { chrono::Duration::hours(SESSION_HOURS) };
    persistence::sessions::insert(db, &secret, user_id, now, now + lifetime).await?;
    let mut cookie = Cookie::build((SESSION_COOKIE, secret))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(config.secure_cookies());
    cookie = if remember {
        cookie.max_age(rocket::time::Duration::days(REMEMBER_DAYS))
    } else {
        // Said explicitly: Rocket would otherwise keep a private cookie for a week.
        cookie.expires(None::<rocket::time::OffsetDateTime>)
    };
    cookies.add_private(cookie);
    crate::csrf::forget(cookies);
    Ok(())
}

/// A fresh random session secret (256 bits).
pub fn new_secret() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// Ends the current session: its row and its cookie.
pub async fn sign_out(db: &DatabaseConnection, cookies: &CookieJar<'_>, user: &CurrentUser) -> Result<(), Error> {
    persistence::sessions::delete(db, &user.session).await?;
    forget_session(cookies);
    Ok(())
}

/// Drops the session cookie (its row is already gone).
pub fn forget_session(cookies: &CookieJar<'_>) {
    cookies.remove_private(Cookie::build(SESSION_COOKIE).path("/"));
    crate::csrf::forget(cookies);
}
