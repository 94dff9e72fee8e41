//! Static files and uploaded media.

use rocket::fairing::AdHoc;
use rocket::fs::{FileServer, Options};

use crate::config::AppConfig;

pub fn stage() -> AdHoc {
    AdHoc::try_on_ignite("Files", |rocket| async move {
        let Some(config) = rocket.state::<AppConfig>().cloned() else { return Err(rocket) };
        let avatars = config.avatar_dir();
        if let Err(e) = std::fs::create_dir_all(&avatars) {
            log::error!("cannot create {}: {e}", avatars.display());
            return Err(rocket);
        }
        if !config.static_dir.is_dir() {
            log::error!(
                "static folder {} not found (run from the project folder or set static_dir)",
                config.static_dir.display()
            );
            return Err(rocket);
        }
        // Avatars are always PNGs we wrote ourselves; no listing, no dotfiles.
        Ok(rocket
            .mount("/static", FileServer::new(&config.static_dir, Options::None))
            .mount("/media/avatars", FileServer::new(&avatars, Options::None))
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
