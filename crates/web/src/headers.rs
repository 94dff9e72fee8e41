//! Response headers that tell browsers to trust nothing but this site: a content security
//! policy (no inline scripts or styles, no framing, forms only to ourselves), a referrer policy,
//! HSTS when the site is served over HTTPS, and caching rules: nothing personal is ever stored
//! by a browser's or a proxy's cache. Rocket's Shield adds `nosniff` and `SAMEORIGIN` framing.

use rocket::fairing::AdHoc;
use rocket::http::Header;
use rocket::{Request, Response};

use crate::config::AppConfig;

const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// One year: browsers keep to HTTPS for that long after a visit.
const HSTS: &str = "max-age=31536000";

/// Paths whose answers are about the person asking (their account, their forms with a token,
/// their credentials) whoever they are.
const PRIVATE_PATHS: &[&str] = &[
    "/auth",
    "/api/user",
    "/api/users",
    "/account",
    "/password",
    "/post/new",
    "/drafts",
    "/following",
    "/comments",
    "/reset_password",
    "/login",
    "/register",
    "/logout",
];

/// Whether the answer to `req` is one person's: asked with their session or token, under a
/// private path, or setting a cookie.
fn is_private(req: &Request<'_>, response: &Response<'_>) -> bool {
    let path = req.uri().path().as_str();
    if path.starts_with("/static/") || path.starts_with("/media/") {
        return false;
    }
    req.headers().contains("Authorization")
        || req.cookies().get(crate::guards::SESSION_COOKIE).is_some()
        || req.cookies().get(crate::routes::auth::SESSION_COOKIE).is_some()
        || response.headers().contains("Set-Cookie")
        || PRIVATE_PATHS
            .iter()
            .any(|p| path.strip_prefix(p).is_some_and(|rest| rest.is_empty() || rest.starts_with('/')))
}

pub fn stage() -> AdHoc {
    AdHoc::on_response("Security and caching headers", |req, response| {
        Box::pin(async move {
            response.set_header(Header::new("Content-Security-Policy", CSP));
            response.set_header(Header::new("Referrer-Policy", "same-origin"));
            if req.rocket().state::<AppConfig>().is_some_and(AppConfig::secure_cookies) {
                response.set_header(Header::new("Strict-Transport-Security", HSTS));
            }
            if is_private(req, response) {
                response.set_header(Header::new("Cache-Control", "no-store"));
            } else if response.status().class().is_success() {
                let path = req.uri().path();
                // Avatars and post images get a new random name whenever they change (they are
                // never rewritten in place); static files say their own (see routes::files).
                if path.starts_with("/media/avatars/") || path.starts_with("/media/images/") {
                    response.set_header(Header::new("Cache-Control", "public, max-age=31536000, immutable"));
                }
            }
        })
    })
}

/// CORS for the JSON APIs: any origin may call them (they authenticate by token, not by cookie).
pub fn cors() -> AdHoc {
    AdHoc::on_response("CORS", |req, response| {
        Box::pin(async move {
            let path = req.uri().path();
            if path.starts_with("/api/") || path.starts_with("/auth/") || path == "/api" || path == "/auth" {
                response.set_header(Header::new("Access-Control-Allow-Origin", "*"));
                response.set_header(Header::new("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS"));
                response.set_header(Header::new("Access-Control-Allow-Headers", "Authorization, Content-Type"));
                response.set_header(Header::new("Access-Control-Max-Age", "86400"));
            }
        })
    })
}
