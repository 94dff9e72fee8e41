//! Gazette's rules, free of I/O: the values users type (checked once, at the edge), pagination
//! arithmetic, who may change what, and how passwords are hashed.

#![warn(missing_docs)]

pub mod account;
pub mod authz;
pub mod comment;
pub mod pagination;
pub mod password;
pub mod post;
pub mod publication;
pub mod redirect;
pub mod search;
pub mod throttle;

pub use account::{Bio, Email, EmailError, ImageUrl, NameError, PersonName, ProfileError, Username, UsernameError};
pub use authz::Actor;
pub use pagination::{PageError, PageLink, PageNumber, Pagination};
pub use password::{Password, PasswordError, PasswordHasher};
pub use post::{CommentBody, Content, Description, FieldError, PostError, PostFormat, Tags, Title, slugify};
pub use publication::{Intent, PostState, Publication, TimeError, TimeZone};
pub use search::SearchQuery;
