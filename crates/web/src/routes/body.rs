//! The APIs' body guards: Rocket's `Json` and `Form`, with refusals that say where and why a
//! body was refused but never what it held. (Rocket logs a failed data guard's error with its
//! `Debug` form at the default log level; its own errors carry the whole body, passwords
//! included.)

use std::ops::Deref;

use rocket::data::{Data, FromData, Outcome};
use rocket::form::{Form, FromForm};
use rocket::request::Request;
use rocket::serde::json::{self, Json};

/// Why a body was refused: the route, and what kind of fault at which place. Safe to log: its
/// `Debug` form (the one Rocket logs) is `body refused on /api/users/login: JSON syntax error
/// at line 1, column 68`.
pub struct Refused {
    /// The route's path pattern (`/api/users/login`), never the request's own path or query.
    pub route: String,
    /// What was wrong.
    pub reason: Reason,
}

/// What was wrong with a body.
pub enum Reason {
    /// Longer than the route's limit.
    TooLarge,
    /// The body could not be read.
    Unreadable,
    /// Not well-formed JSON, at this place.
    Syntax { line: usize, column: usize },
    /// Well-formed JSON of the wrong shape, at this place.
    Shape { line: usize, column: usize },
    /// Form fields that are missing, repeated or invalid (their names only).
    Fields(Vec<String>),
}

impl std::fmt::Debug for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "body refused on {}: ", self.route)?;
        match &self.reason {
            Reason::TooLarge => write!(f, "over the size limit"),
            Reason::Unreadable => write!(f, "could not be read"),
            Reason::Syntax { line, column } => write!(f, "JSON syntax error at line {line}, column {column}"),
            Reason::Shape { line, column } => write!(f, "JSON of the wrong shape at line {line}, column {column}"),
            Reason::Fields(names) => write!(f, "form fields missing, repeated or invalid: {}", names.join(", ")),
        }
    }
}

fn refused(req: &Request<'_>, reason: Reason) -> Refused {
    let route = req.route().map_or_else(|| "?".to_owned(), |r| r.uri.as_str().chars().take(80).collect());
    Refused { route, reason }
}

/// A JSON body of type `T` (Rocket's `Json<T>`, refused as [`Refused`]).
pub struct JsonBody<T>(pub T);

impl<T> Deref for JsonBody<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

#[rocket::async_trait]
impl<'r, T: serde::Deserialize<'r>> FromData<'r> for JsonBody<T> {
    type Error = Refused;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> Outcome<'r, Self> {
        match <Json<T> as FromData<'r>>::from_data(req, data).await {
            Outcome::Success(json) => Outcome::Success(JsonBody(json.into_inner())),
            Outcome::Forward(forward) => Outcome::Forward(forward),
            Outcome::Error((status, error)) => {
                let reason = match error {
                    json::Error::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Reason::TooLarge,
                    json::Error::Io(_) => Reason::Unreadable,
                    json::Error::Parse(_, e) => {
                        let (line, column) = (e.line(), e.column());
                        match e.classify() {
                            serde_json::error::Category::Data => Reason::Shape { line, column },
                            _ => Reason::Syntax { line, column },
                        }
                    }
                };
                Outcome::Error((status, refused(req, reason)))
            }
        }
    }
}

/// A form body of type `T` (Rocket's `Form<T>`, refused as [`Refused`]).
pub struct FormBody<T>(pub T);

impl<T> Deref for FormBody<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

#[rocket::async_trait]
impl<'r, T: FromForm<'r>> FromData<'r> for FormBody<T> {
    type Error = Refused;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> Outcome<'r, Self> {
        match <Form<T> as FromData<'r>>::from_data(req, data).await {
            Outcome::Success(form) => Outcome::Success(FormBody(form.into_inner())),
            Outcome::Forward(forward) => Outcome::Forward(forward),
            Outcome::Error((status, errors)) => {
                let mut names: Vec<String> = errors
                    .iter()
                    .map(|e| e.name.as_ref().map_or_else(|| "(body)".to_owned(), |n| n.to_string()))
                    .map(|n| n.chars().take(40).collect())
                    .collect();
                names.dedup();
                names.truncate(8);
                let reason = if status == rocket::http::Status::PayloadTooLarge {
                    Reason::TooLarge
                } else {
                    Reason::Fields(names)
                };
                Outcome::Error((status, refused(req, reason)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_shows_the_route_and_the_place_but_nothing_sent() {
        let refusal = Refused { route: "/api/users/login".into(), reason: Reason::Syntax { line: 1, column: 68 } };
        assert_eq!(format!("{refusal:?}"), "body refused on /api/users/login: JSON syntax error at line 1, column 68");
    }
}
