//! `GET /api/openapi.json`: the OpenAPI 3.1 document of `/auth` and `/api`, made at start-up
//! from the handlers' own annotations and the types they send and receive.

use rocket::State;
use rocket::get;
use rocket::http::Status;
use rocket::response::content::RawJson;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::server::Server;
use utoipa::{Modify, OpenApi};

/// Declares an API's documented operations once: `operations()` gives their Rocket routes and
/// `Doc` their part of the OpenAPI document, so no route can be mounted undocumented.
macro_rules! documented_operations {
    ($($handler:path),+ $(,)?) => {
        /// The documented operations of this API, as routes to mount.
        fn operations() -> Vec<rocket::Route> {
            rocket::routes![$($handler),+]
        }

        /// The operations of this API, for the OpenAPI document.
        #[derive(utoipa::OpenApi)]
        #[openapi(paths($($handler),+))]
        pub struct Doc;
    };
}
pub(crate) use documented_operations;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gazette",
        description = "Gazette's JSON APIs: `/auth` (session and token authentication) and `/api` (the \
                       RealWorld \"Conduit\" blogging API). Every answer is JSON, errors included."
    ),
    nest(
        (path = "/auth", api = super::auth::Doc),
        (path = "/api", api = super::api::Doc),
    ),
    modifiers(&SecuritySchemes, &Limits),
)]
struct Document;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "Token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`Token <jwt>` (`Bearer <jwt>` is accepted too): the token a login or registration answers with",
            ))),
        );
        components.add_security_scheme(
            "Bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
        components.add_security_scheme(
            "Session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "session_id",
                "The cookie `POST /auth/sessions` sets",
            ))),
        );
    }
}

/// The document, serialised once at start-up (`None` if that failed, which would be a bug).
/// The lengths the domain allows, written into the document from the domain's own constants
/// (utoipa's attributes take only literals, which would restate the numbers).
struct Limits;

/// Schema, property, least and most characters.
const LENGTHS: &[(&str, &str, Option<usize>, Option<usize>)] = {
    use domain::{Bio, CommentBody, Content, Description, Email, ImageUrl, Password, Title, Username};
    &[
        ("RegisterFields", "username", Some(Username::MIN), Some(Username::MAX)),
        ("RegisterFields", "email", None, Some(Email::MAX)),
        ("RegisterFields", "password", Some(Password::MIN_CHARS), None),
        ("UserChanges", "username", Some(Username::MIN), Some(Username::MAX)),
        ("UserChanges", "email", None, Some(Email::MAX)),
        ("UserChanges", "password", Some(Password::MIN_CHARS), None),
        ("UserChanges", "image", None, Some(ImageUrl::MAX)),
        ("UserChanges", "bio", None, Some(Bio::MAX)),
        ("NewArticle", "title", Some(1), Some(Title::MAX)),
        ("NewArticle", "description", Some(1), Some(Description::MAX)),
        ("NewArticle", "body", Some(1), Some(Content::MAX)),
        ("ArticleChanges", "title", Some(1), Some(Title::MAX)),
        ("ArticleChanges", "description", None, Some(Description::MAX)),
        ("ArticleChanges", "body", Some(1), Some(Content::MAX)),
        ("NewComment", "body", Some(1), Some(CommentBody::MAX)),
    ]
};

/// Schemas whose `tagList` holds at most `domain::Tags::MAX` tags of `Tags::MAX_CHARS` each.
const TAGGED: &[&str] = &["NewArticle", "ArticleChanges"];

impl Modify for Limits {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        use utoipa::openapi::schema::{ArrayItems, Schema};
        let Some(components) = openapi.components.as_mut() else { return };
        fn property<'a>(
            schemas: &'a mut std::collections::BTreeMap<String, RefOr<Schema>>,
            schema: &str,
            field: &str,
        ) -> Option<&'a mut Schema> {
            let Some(RefOr::T(Schema::Object(object))) = schemas.get_mut(schema) else { return None };
            match object.properties.get_mut(field) {
                Some(RefOr::T(property)) => Some(property),
                _ => None,
            }
        }
        for &(schema, field, least, most) in LENGTHS {
            match property(&mut components.schemas, schema, field) {
                Some(Schema::Object(string)) => {
                    string.min_length = least;
                    string.max_length = most;
                }
                _ => log::error!("OpenAPI document: no string {schema}.{field} to give its length"),
            }
        }
        for &schema in TAGGED {
            match property(&mut components.schemas, schema, "tagList") {
                Some(Schema::Array(tags)) => {
                    tags.max_items = Some(domain::Tags::MAX);
                    if let ArrayItems::RefOrSchema(item) = &mut tags.items
                        && let RefOr::T(Schema::Object(tag)) = item.as_mut()
                    {
                        tag.max_length = Some(domain::Tags::MAX_CHARS);
                    }
                }
                _ => log::error!("OpenAPI document: no array {schema}.tagList to bound"),
            }
        }
    }
}

pub struct Spec(Option<String>);

impl Spec {
    /// The document, with the site's public address as its server; without the `/auth`
    /// operations when those services are off.
    pub fn new(public_url: &str, with_auth: bool) -> Self {
        let mut doc = Document::openapi();
        doc.servers = Some(vec![Server::new(public_url.trim_end_matches('/'))]);
        if !with_auth {
            doc.paths.paths.retain(|path, _| !(path == "/auth" || path.starts_with("/auth/")));
            if let Some(tags) = doc.tags.as_mut() {
                tags.retain(|tag| !tag.name.starts_with("Auth"));
            }
        }
        match doc.to_json() {
            Ok(json) => Spec(Some(json)),
            Err(e) => {
                log::error!("OpenAPI document: {e}");
                Spec(None)
            }
        }
    }
}

#[get("/openapi.json")]
pub fn document(spec: &State<Spec>) -> Result<RawJson<&str>, Status> {
    spec.0.as_deref().map(RawJson).ok_or(Status::InternalServerError)
}
