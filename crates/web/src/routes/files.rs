//! Static files and uploaded media.

use rocket::fairing::AdHoc;
use rocket::fs::{FileServer, Options};

use crate::config::AppConfig;

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
        if !config.static_dir.is_dir() {
            log::error!(
                "static folder {} not found (run from the project folder or set static_dir)",
                config.static_dir.display()
            );
            return Err(rocket);
        }
        // Avatars and post images are always files we encoded ourselves; no listing, no
        // dotfiles (half-written uploads).
        Ok(rocket
            .mount("/static", FileServer::new(&config.static_dir, Options::None))
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
