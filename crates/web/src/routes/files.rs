//! Static files (from memory, see [`crate::assets`]) and uploaded media.

use std::io::Cursor;
use std::path::PathBuf;
use std::sync::Arc;

use rocket::fairing::AdHoc;
use rocket::fs::{FileServer, Options};
use rocket::http::{Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use rocket::{State, get, routes};

use crate::assets::{Asset, Assets, Found};
use crate::compression::{self, Encoding};
use crate::config::AppConfig;

/// How long browsers keep a file asked for by its own path (its hashed address is kept a year).
const PLAIN_MAX_AGE: &str = "public, max-age=3600";
const HASHED_MAX_AGE: &str = "public, max-age=31536000, immutable";

/// A file under `static/`, by its own path or its hashed one.
#[get("/static/<path..>")]
fn static_file(path: PathBuf, assets: &State<Assets>) -> Option<StaticFile> {
    let parts: Option<Vec<&str>> = path.iter().map(|p| p.to_str()).collect();
    let found = assets.find(&parts?.join("/"))?;
    let (asset, cache) = match found {
        Found::Hashed(asset) => (asset, HASHED_MAX_AGE),
        Found::Plain(asset) => (asset, PLAIN_MAX_AGE),
    };
    Some(StaticFile { asset: Arc::clone(asset), cache })
}

/// A static file's answer: its compressed form when the client takes one, `304` when the
/// client has it already.
struct StaticFile {
    asset: Arc<Asset>,
    cache: &'static str,
}

impl<'r> Responder<'r, 'static> for StaticFile {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let asset = self.asset;
        let mut answer = Response::build();
        answer.header(Header::new("Cache-Control", self.cache)).header(Header::new("ETag", asset.etag.clone()));
        let has_it = req
            .headers()
            .get("If-None-Match")
            .flat_map(|v| v.split(','))
            .any(|tag| tag.trim().trim_start_matches("W/") == asset.etag || tag.trim() == "*");
        if has_it {
            return answer.status(Status::NotModified).ok();
        }
        let (bytes, encoding) = asset.encoded(Encoding::negotiate(req.headers().get_one("Accept-Encoding")));
        if let Some(encoding) = encoding {
            answer.header(Header::new("Content-Encoding", encoding.token()));
        }
        let mut response =
            answer.header(asset.content_type.clone()).sized_body(bytes.len(), Cursor::new(bytes)).finalize();
        if compression::compressible(&asset.content_type) {
            compression::vary(&mut response);
        }
        Ok(response)
    }
}

pub fn stage() -> AdHoc {
    AdHoc::try_on_ignite("Files", |rocket| async move {
        let Some(config) = rocket.state::<AppConfig>().cloned() else { return Err(rocket) };
        let (avatars, images) = (config.avatar_dir(), config.image_dir());
        for dir in [&avatars, &images] {
            if let Err(e) = std::fs::create_dir_all(dir) {
                log::error!("cannot create {}: {e}", dir.display());
                return Err(rocket);
            }
        }
        // Avatars and post images are always files we encoded ourselves; no listing, no
        // dotfiles (half-written uploads).
        Ok(rocket
            .mount("/", routes![static_file])
            .mount("/media/avatars", FileServer::new(&avatars, Options::None))
            .mount("/media/images", FileServer::new(&images, Options::None))
            .attach(AdHoc::on_liftoff("Announcement", |rocket| {
                Box::pin(async move {
                    let (address, port) = (rocket.config().address, rocket.config().port);
                    let public = rocket.state::<AppConfig>().map(|c| c.public_url.clone()).unwrap_or_default();
                    // Said even when Rocket's own logging is quiet (the release profile).
                    println!("Gazette is serving {public} (listening on {address}:{port})");
                })
            })))
    })
}
