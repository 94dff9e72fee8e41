pub mod post;
pub mod session;
pub mod user;
