//! Response headers that tell browsers to trust nothing but this site: a content security
//! policy (no inline scripts or styles, no framing, forms only to ourselves) and a referrer
//! policy. Rocket's Shield adds `nosniff` and `SAMEORIGIN` framing on top.

use rocket::fairing::AdHoc;
use rocket::http::Header;

const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub fn stage() -> AdHoc {
    AdHoc::on_response("Security and caching headers", |req, response| {
        Box::pin(async move {
            response.set_header(Header::new("Content-Security-Policy", CSP));
            response.set_header(Header::new("Referrer-Policy", "same-origin"));
            if response.status().class().is_success() {
                let path = req.uri().path();
                // Avatars get a new random name whenever they change; the stylesheet and images
                // change only with a new release.
                if path.starts_with("/media/avatars/") {
                    response.set_header(Header::new("Cache-Control", "public, max-age=31536000, immutable"));
                } else if path.starts_with("/static/") {
                    response.set_header(Header::new("Cache-Control", "public, max-age=3600"));
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
