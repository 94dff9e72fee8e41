//! Helpers for forms that re-render with each error next to its field.

use std::collections::BTreeMap;

/// One message per field, keyed by the field's name, as templates read them (`errors.title`).
#[derive(Debug, Default, serde::Serialize)]
pub struct FieldErrors(BTreeMap<&'static str, String>);

impl FieldErrors {
    /// Records the first error of `field`.
    pub fn add(&mut self, field: &'static str, message: impl ToString) {
        self.0.entry(field).or_insert_with(|| message.to_string());
    }

    /// Keeps the value of a check, or records its error under `field`.
    pub fn check<T, E: ToString>(&mut self, field: &'static str, result: Result<T, E>) -> Option<T> {
        result.map_err(|e| self.add(field, e)).ok()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A form with nothing to say but its CSRF token: logout, delete buttons.
#[derive(Debug, rocket::form::FromForm)]
pub struct Confirm {
    #[field(name = "csrf_token", default = String::new())]
    _token: String,
}
