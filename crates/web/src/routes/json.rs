//! JSON answers for the APIs: a typed body serialised once, sent with its status.

use rocket::http::Status;
use rocket::request::Request;
use rocket::response::content::RawJson;
use rocket::response::{self, Responder};
use serde::Serialize;

/// A JSON body and the status it goes out with.
pub struct Answer {
    status: Status,
    body: String,
}

impl Answer {
    pub fn new<T: Serialize>(status: Status, body: &T) -> Self {
        match serde_json::to_string(body) {
            Ok(body) => Answer { status, body },
            Err(e) => {
                log::error!("serialising an answer: {e}");
                Answer { status: Status::InternalServerError, body: r#"{"message":"Internal Server Error"}"#.into() }
            }
        }
    }

    pub fn ok<T: Serialize>(body: &T) -> Self {
        Self::new(Status::Ok, body)
    }

    /// The same body with another status (201 for a creation answered like a read).
    pub fn with_status(self, status: Status) -> Self {
        if self.status == Status::InternalServerError { self } else { Answer { status, ..self } }
    }
}

impl<'r> Responder<'r, 'static> for Answer {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        (self.status, RawJson(self.body)).respond_to(req)
    }
}
