//! The Gazette web application: server-rendered pages for readers and authors.

pub mod cli;
pub mod config;
pub mod seed;

mod accounts;
mod avatar;
mod catchers;
mod csrf;
mod error;
mod forms;
mod guards;
mod headers;
mod layout;
mod outbox;
mod routes;
mod state;
mod throttle;
mod tokens;
mod views;

pub use config::{AppConfig, figment};

use rocket::{Build, Rocket};

use crate::views::Views;

/// The application, configured by `figment` (see [`config::figment`]).
pub fn build(figment: rocket::figment::Figment) -> Rocket<Build> {
    rocket::custom(figment)
        .attach(config::stage())
        .attach(state::stage())
        .attach(outbox::stage())
        .attach(Views::fairing())
        .attach(routes::files::stage())
        .attach(routes::main::stage())
        .attach(routes::users::stage())
        .attach(routes::posts::stage())
        .attach(routes::auth::stage())
        .attach(routes::api::stage())
        .attach(headers::cors())
        .attach(catchers::stage())
        .attach(headers::stage())
}
