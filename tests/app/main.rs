//! The whole application through its doors, in process: one test binary, one module per area
//! (one binary links the server once, where seven did seven times).

mod accounts;
mod auth_api;
mod avatars;
mod comments;
mod compression;
mod drafts;
mod favorites;
mod feeds;
mod follows;
mod images;
mod mail;
mod pages;
mod passwords;
mod posts;
mod production;
mod realworld;
mod realworld_limits;
mod replay;
mod revisions;
mod search;
mod seo;
mod throttle;
mod users;
