pub mod outbox;
pub mod post;
pub mod revoked_token;
pub mod session;
pub mod throttle_event;
pub mod user;
