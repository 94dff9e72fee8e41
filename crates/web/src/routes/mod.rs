//! One module per area, each mounted by its own fairing.

pub mod api;
pub mod auth;
pub mod body;
pub mod files;
pub mod json;
pub mod main;
pub mod openapi;
pub mod posts;
pub mod users;

use rocket::Responder;
use rocket::response::{Flash, Redirect};

use crate::views::Page;

/// What a page handler answers: the page, a redirect, or a redirect carrying a flash message.
#[derive(Responder)]
pub enum Reply {
    Page(Page),
    Redirect(Redirect),
    Flash(Flash<Redirect>),
    TooMany(crate::throttle::TooMany),
}
