//! `/api/users` and `/api/user`: registration, login, and the signed-in user's account.

use app::accounts::{NewAccount, ProfileChanges};
use app::{App, AppError, User};
use domain::{Email, Password, Username};
use rocket::http::Status;
use rocket::{State, get, post, put};
use serde::Deserialize;
use utoipa::ToSchema;

use super::wire::{Errors, UserAnswer};
use super::{ApiError, ApiResult};
use crate::config::AppConfig;
use crate::guards::ApiUser;
use crate::routes::body::JsonBody;
use crate::routes::json::Answer;

/// The user with a fresh token.
fn user_answer(app: &App, config: &AppConfig, user: &User) -> ApiResult<Answer> {
    let token = app::accounts::issue_token(app, user)?;
    Ok(Answer::ok(&UserAnswer::new(config, user, token)))
}

// Fields are optional when parsed so that a missing one gets a 422 naming it; the document says
// which ones are required.

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    user: LoginFields,
}

#[derive(Deserialize, ToSchema)]
pub struct LoginFields {
    #[schema(value_type = String, required = true)]
    email: Option<String>,
    #[schema(value_type = String, required = true, format = Password)]
    password: Option<String>,
}

/// 200 with the user and a token; 401 for a wrong email or password; 429 after too many failures.
#[utoipa::path(
    tag = "Users",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = UserAnswer),
        (status = 400, description = "The body is not JSON", body = Errors),
        (status = 401, description = "Wrong email or password", body = Errors),
        (status = 413, description = "The body is too large", body = Errors),
        (status = 422, description = "A field is missing or has the wrong type", body = Errors),
        (status = 429, description = "Too many failed logins for this account or address", body = Errors),
    )
)]
#[post("/users/login", data = "<body>")]
pub(super) async fn login(
    body: JsonBody<LoginRequest>,
    client: Option<std::net::IpAddr>,
    app: &State<App>,
    config: &State<AppConfig>,
) -> ApiResult<Answer> {
    let (Some(email), Some(password)) = (body.user.email.as_deref(), body.user.password.as_deref()) else {
        return Err(ApiError::invalid("email or password", "can't be blank"));
    };
    let user = app::accounts::log_in(app, email, password, client).await?;
    user_answer(app, config, &user)
}

#[derive(Deserialize, ToSchema)]
pub struct RegisterRequest {
    user: RegisterFields,
}

#[derive(Deserialize, ToSchema)]
pub struct RegisterFields {
    #[schema(value_type = String, required = true)]
    username: Option<String>,
    #[schema(value_type = String, required = true, format = Email)]
    email: Option<String>,
    #[schema(value_type = String, required = true, format = Password)]
    password: Option<String>,
}

impl TryFrom<&RegisterFields> for NewAccount {
    type Error = ApiError;

    fn try_from(b: &RegisterFields) -> Result<Self, ApiError> {
        let field = |raw: &Option<String>| raw.as_deref().unwrap_or_default().to_owned();
        Ok(NewAccount {
            username: Some(Username::parse(&field(&b.username)).map_err(|e| ApiError::invalid("username", e))?),
            email: Email::parse(&field(&b.email)).map_err(|e| ApiError::invalid("email", e))?,
            password: Password::parse(&field(&b.password)).map_err(|e| ApiError::invalid("password", e))?,
            first_name: None,
            last_name: None,
        })
    }
}

/// 201 with the new user and a token; 422 names the field refused (taken, invalid or missing).
#[utoipa::path(
    tag = "Users",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered", body = UserAnswer),
        (status = 400, description = "The body is not JSON", body = Errors),
        (status = 413, description = "The body is too large", body = Errors),
        (status = 422, description = "A field is missing, invalid or taken", body = Errors),
    )
)]
#[post("/users", data = "<body>")]
pub(super) async fn register(
    body: JsonBody<RegisterRequest>,
    app: &State<App>,
    config: &State<AppConfig>,
) -> ApiResult<Answer> {
    let user = app::accounts::register(app, NewAccount::try_from(&body.user)?).await?;
    Ok(user_answer(app, config, &user)?.with_status(Status::Created))
}

/// The signed-in user, with a fresh token.
#[utoipa::path(
    tag = "Users",
    security(("Token" = [])),
    responses(
        (status = 200, description = "The signed-in user", body = UserAnswer),
        (status = 401, description = "No token, or a refused one", body = Errors),
    )
)]
#[get("/user")]
pub(super) fn current_user(user: ApiUser, app: &State<App>, config: &State<AppConfig>) -> ApiResult<Answer> {
    user_answer(app, config, &user.0)
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateUserRequest {
    user: UserChanges,
}

/// Only the fields sent change. `image` is an http(s) URL; `null` or `""` clears it (and `bio`).
#[derive(Deserialize, ToSchema)]
pub struct UserChanges {
    #[schema(format = Email)]
    email: Option<String>,
    username: Option<String>,
    #[schema(format = Password)]
    password: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    image: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    bio: Option<Option<String>>,
}

/// Tells a field sent as `null` (`Some(None)`) from a field not sent (`None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

impl TryFrom<&UserChanges> for ProfileChanges {
    type Error = ApiError;

    fn try_from(b: &UserChanges) -> Result<Self, ApiError> {
        let or_empty = |v: &Option<String>| v.as_deref().unwrap_or_default().to_owned();
        Ok(ProfileChanges {
            username: b
                .username
                .as_deref()
                .map(Username::parse)
                .transpose()
                .map_err(|e| ApiError::invalid("username", e))?,
            email: b.email.as_deref().map(Email::parse).transpose().map_err(|e| ApiError::invalid("email", e))?,
            password: b
                .password
                .as_deref()
                .map(Password::parse)
                .transpose()
                .map_err(|e| ApiError::invalid("password", e))?,
            image_url: b
                .image
                .as_ref()
                .map(|url| domain::ImageUrl::parse(&or_empty(url)).map(domain::ImageUrl::into_inner))
                .transpose()
                .map_err(|e| ApiError::invalid("image", e))?,
            bio: b
                .bio
                .as_ref()
                .map(|bio| domain::Bio::parse(&or_empty(bio)).map(domain::Bio::into_inner))
                .transpose()
                .map_err(|e| ApiError::invalid("bio", e))?,
            ..ProfileChanges::default()
        })
    }
}

/// Changes the signed-in user's account; a new password signs the account out everywhere and the
/// answer carries a fresh token.
#[utoipa::path(
    tag = "Users",
    security(("Token" = [])),
    request_body = UpdateUserRequest,
    responses(
        (status = 200, description = "The updated user", body = UserAnswer),
        (status = 400, description = "The body is not JSON", body = Errors),
        (status = 401, description = "No token, or a refused one", body = Errors),
        (status = 413, description = "The body is too large", body = Errors),
        (status = 422, description = "A field is invalid or taken", body = Errors),
    )
)]
#[put("/user", data = "<body>")]
pub(super) async fn update_user(
    body: JsonBody<UpdateUserRequest>,
    user: ApiUser,
    app: &State<App>,
    config: &State<AppConfig>,
) -> ApiResult<Answer> {
    let changes = ProfileChanges::try_from(&body.user)?;
    let updated = match app::accounts::update_profile(app, &user.0, changes).await {
        Ok(updated) => updated,
        Err(AppError::Taken(field)) => return Err(ApiError::invalid(field, "has already been taken")),
        Err(e) => return Err(e.into()),
    };
    user_answer(app, config, &updated)
}
