//! The Gazette web application: server-rendered pages for readers and authors.

pub mod config;

mod assets;
mod catchers;
mod compression;
mod csrf;
mod forms;
mod guards;
mod headers;
mod layout;
mod preview;
mod replay;
mod routes;
mod views;

pub use config::{AppConfig, figment};

use rocket::{Build, Rocket};

use crate::views::Views;

/// The application, configured by `figment` (see [`config::figment`]).
pub fn build(figment: rocket::figment::Figment) -> Rocket<Build> {
    rocket::custom(figment)
        .attach(config::stage())
        .attach(Views::fairing())
        .attach(routes::files::stage())
        .attach(routes::site::stage())
        .attach(routes::auth::stage())
        .attach(routes::api::stage())
        .attach(headers::cors())
        .attach(replay::stage())
        .attach(compression::stage())
        .attach(catchers::stage())
        .attach(headers::stage())
        .attach(compression::whole_bodies())
}
