//! The three doors, each a folder of small files by resource: the HTML [`site`], the [`auth`]
//! services and the RealWorld [`api`]; plus static [`files`] and what the doors share (request
//! bodies, JSON answers, the OpenAPI document).

pub mod api;
pub mod auth;
pub mod body;
pub mod files;
pub mod json;
pub mod openapi;
pub mod site;
