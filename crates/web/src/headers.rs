//! Response headers that tell browsers to trust nothing but this site: a content security
//! policy (no inline scripts or styles, no framing, forms only to ourselves) and a referrer
//! policy. Rocket's Shield adds `nosniff` and `SAMEORIGIN` framing on top.

use rocket::fairing::AdHoc;
use rocket::http::Header;

const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub fn stage() -> AdHoc {
    AdHoc::on_response("Security headers", |_, response| {
        Box::pin(async move {
            response.set_header(Header::new("Content-Security-Policy", CSP));
            response.set_header(Header::new("Referrer-Policy", "same-origin"));
        })
    })
}
