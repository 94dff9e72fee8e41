//! The RealWorld API's edges: errors in JSON, CORS preflight, the OpenAPI document, and the
//! bounds on windows and fields.

use gazette_tests::{Settings, TestApp};
use rocket::http::Method::{Delete, Get, Options, Post, Put};
use rocket::http::Status;
use serde_json::{Value, json};

use super::realworld::{call, register};

#[rocket::async_test]
async fn api_errors_are_json_and_preflight_is_answered() {
    let app = TestApp::with(Settings::default()).await;
    let mut c = app.browser();
    let page = c
        .send(
            Options,
            "/api/articles",
            None,
            &[("Origin", "http://localhost:4200"), ("Access-Control-Request-Method", "POST")],
        )
        .await;
    assert_eq!(page.status, Status::NoContent);
    let response = app.client.get("/api/tags").dispatch().await;
    assert_eq!(response.headers().get_one("Access-Control-Allow-Origin"), Some("*"));
    assert!(response.headers().get_one("Access-Control-Allow-Headers").unwrap().contains("Authorization"));
    let missing = c.send(Get, "/api/nothing", None, &[]).await;
    assert_eq!(missing.status, Status::NotFound);
    assert!(missing.json()["errors"]["body"].is_array());
    let bad = c.send(Post, "/api/users", Some((rocket::http::ContentType::JSON, "{oops".into())), &[]).await;
    assert!(bad.status.class().is_client_error());
    assert!(bad.json()["errors"].is_object());
}

/// `/api/openapi.json` is made from the handlers: every route mounted under `/api` and `/auth`
/// is in it with its method, and it documents no route that does not exist.
#[rocket::async_test]
async fn the_openapi_document_describes_every_route_of_both_apis() {
    let app = TestApp::with(Settings { public_url: "https://blog.example.org".into(), ..Settings::default() }).await;
    let mut c = app.browser();
    let page = c.send(Get, "/api/openapi.json", None, &[]).await;
    assert_eq!(page.status, Status::Ok);
    assert_eq!(page.content_type.as_deref(), Some("application/json"));
    let doc = page.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{}", doc["openapi"]);
    assert_eq!(doc["servers"][0]["url"], "https://blog.example.org");

    let mut mounted: Vec<(String, String)> = app
        .client
        .rocket()
        .routes()
        .filter(|r| r.method != Options)
        .map(|r| (r.method.as_str().to_lowercase(), r.uri.path().to_string()))
        .filter(|(_, path)| (path.starts_with("/api/") || path.starts_with("/auth")) && path != "/api/openapi.json")
        // `GET /auth/` is mounted as `/auth` (Rocket answers both).
        .map(|(method, path)| (method, if path == "/auth" { "/auth/".into() } else { path }))
        .map(|(method, path)| (method, path.replace('<', "{").replace('>', "}")))
        .collect();
    mounted.sort();
    let mut documented: Vec<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| ops.as_object().unwrap().keys().map(move |m| (m.clone(), path.clone())))
        .collect();
    documented.sort();
    assert_eq!(mounted, documented);
    assert_eq!(mounted.len(), 30);

    // What a client generator needs: bodies, security and the error shape.
    let create = &doc["paths"]["/api/articles"]["post"];
    assert_eq!(
        create["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/NewArticleRequest"
    );
    assert_eq!(create["security"], json!([{ "Token": [] }]));
    assert_eq!(
        create["responses"]["201"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ArticleAnswer"
    );
    assert_eq!(
        create["responses"]["422"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Errors"
    );
    let login = &doc["paths"]["/auth/sessions"]["post"]["requestBody"]["content"];
    assert!(login["application/x-www-form-urlencoded"].is_object());
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["Token"]["name"], "Authorization");
    assert_eq!(schemes["Bearer"]["scheme"], "bearer");
    assert_eq!(schemes["Session"]["in"], "cookie");
    // The documented limits are the domain's.
    let schemas = &doc["components"]["schemas"];
    let registration = &schemas["RegisterFields"]["properties"];
    assert_eq!(registration["username"]["minLength"], json!(domain::Username::MIN));
    assert_eq!(registration["username"]["maxLength"], json!(domain::Username::MAX));
    assert_eq!(registration["email"]["maxLength"], json!(domain::Email::MAX));
    assert_eq!(registration["password"]["minLength"], json!(domain::Password::MIN_CHARS));
    assert_eq!(schemas["NewArticle"]["properties"]["title"]["maxLength"], json!(domain::Title::MAX));
    assert_eq!(schemas["NewArticle"]["properties"]["body"]["maxLength"], json!(domain::Content::MAX));
    assert_eq!(schemas["ArticleChanges"]["properties"]["title"]["maxLength"], json!(domain::Title::MAX));
    assert_eq!(schemas["NewArticle"]["properties"]["description"]["maxLength"], json!(domain::Description::MAX));
    assert_eq!(schemas["ArticleChanges"]["properties"]["description"]["maxLength"], json!(domain::Description::MAX));
    assert_eq!(schemas["UserChanges"]["properties"]["bio"]["maxLength"], json!(domain::Bio::MAX));
    assert_eq!(schemas["UserChanges"]["properties"]["image"]["maxLength"], json!(domain::ImageUrl::MAX));
    assert_eq!(schemas["UserChanges"]["properties"]["email"]["maxLength"], json!(domain::Email::MAX));
    assert_eq!(schemas["NewComment"]["properties"]["body"]["maxLength"], json!(domain::CommentBody::MAX));
    let comment_params = doc["paths"]["/api/articles/{slug}/comments"]["get"]["parameters"].as_array().unwrap();
    assert!(
        comment_params.iter().any(|p| p["name"] == "limit") && comment_params.iter().any(|p| p["name"] == "offset")
    );
    let article = &schemas["Article"];
    for field in
        ["slug", "title", "description", "tagList", "createdAt", "updatedAt", "favorited", "favoritesCount", "author"]
    {
        assert!(article["required"].as_array().unwrap().contains(&json!(field)), "{field}");
    }
}

#[rocket::async_test]
async fn list_windows_are_checked_and_pages_past_the_end_are_empty() {
    let app = TestApp::with(Settings::default()).await;
    let mut c = app.browser();
    let token = register(&mut c, "windows").await;
    let article = json!({ "article": { "title": "Only one", "description": "d", "body": "b" } });
    let (status, _) = call(&mut c, Post, "/api/articles", Some(article), Some(&token)).await;
    assert_eq!(status, Status::Created);

    let (status, page) = call(&mut c, Get, "/api/articles?offset=1", None, None).await;
    assert_eq!((status, page), (Status::Ok, json!({ "articles": [], "articlesCount": 1 })));
    let (status, page) = call(&mut c, Get, "/api/articles?offset=9223372036854775807", None, None).await;
    assert_eq!((status, page), (Status::Ok, json!({ "articles": [], "articlesCount": 1 })));
    let (status, page) = call(&mut c, Get, "/api/articles?offset=9223372036854775808", None, None).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert_eq!(page["errors"]["offset"][0], "must be a whole number, 0 or more");
    let (status, page) = call(&mut c, Get, "/api/articles?limit=0", None, None).await;
    assert_eq!((status, page), (Status::Ok, json!({ "articles": [], "articlesCount": 1 })));
    let (status, page) = call(&mut c, Get, "/api/articles?limit=abc", None, None).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert_eq!(page["errors"]["limit"][0], "must be a whole number, 0 or more");
    let (status, page) = call(&mut c, Get, "/api/articles/feed?offset=-1", None, Some(&token)).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(page["errors"]["offset"].is_array());

    for id in ["abc", "9223372036854775808", "1"] {
        let (status, page) =
            call(&mut c, Delete, &format!("/api/articles/only-one/comments/{id}"), None, Some(&token)).await;
        assert_eq!(status, Status::NotFound, "{id}");
        assert_eq!(page["errors"]["body"][0], "comment not found");
    }
}

#[rocket::async_test]
async fn profile_fields_are_bounded_so_listings_stay_small() {
    let app = TestApp::spawn().await;
    let mut c = app.browser();
    let token = register(&mut c, "jake").await;
    let long = "b".repeat(domain::Bio::MAX + 1);
    let (status, body) = call(&mut c, Put, "/api/user", Some(json!({ "user": { "bio": long } })), Some(&token)).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert_eq!(body, json!({ "errors": { "bio": ["must be at most 1000 characters long"] } }));
    let most = "é".repeat(domain::Bio::MAX);
    let (status, body) = call(&mut c, Put, "/api/user", Some(json!({ "user": { "bio": most } })), Some(&token)).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(body["user"]["bio"], json!("é".repeat(1000)));
    let (status, body) = call(&mut c, Put, "/api/user", Some(json!({ "user": { "bio": null } })), Some(&token)).await;
    assert_eq!(status, Status::Ok, "null still clears the bio");
    assert_eq!(body["user"]["bio"], json!(""));
}

#[rocket::async_test]
async fn comment_listings_are_paged_one_hundred_at_most() {
    // The clock moves an hour and more below, past the default token lifetime.
    let app = TestApp::with(gazette_tests::Settings { auth_token_ttl: 86_400, ..Default::default() }).await;
    let mut c = app.browser();
    let token = register(&mut c, "jake").await;
    let article = json!({ "article": { "title": "Talk", "description": "d", "body": "b", "tagList": [] } });
    let (status, _) = call(&mut c, Post, "/api/articles", Some(article), Some(&token)).await;
    assert_eq!(status, Status::Created);
    for k in 0..105 {
        let comment = json!({ "comment": { "body": format!("Comment {k}") } });
        let (status, _) = call(&mut c, Post, "/api/articles/talk/comments", Some(comment), Some(&token)).await;
        assert_eq!(status, Status::Ok);
        if k % 10 == 9 {
            // Ten comments in ten minutes is a writer's most.
            app.app().clock().advance(std::time::Duration::from_secs(601));
        }
    }
    let bodies = |v: &Value| {
        v["comments"].as_array().unwrap().iter().map(|c| c["body"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    let (status, all) = call(&mut c, Get, "/api/articles/talk/comments", None, None).await;
    assert_eq!(status, Status::Ok);
    let first = bodies(&all);
    assert_eq!(first.len(), 100, "100 by default");
    assert_eq!(first[0], "Comment 0", "oldest first");
    let (_, rest) = call(&mut c, Get, "/api/articles/talk/comments?offset=100", None, None).await;
    assert_eq!(bodies(&rest), (100..105).map(|k| format!("Comment {k}")).collect::<Vec<_>>());
    let (_, capped) = call(&mut c, Get, "/api/articles/talk/comments?limit=1000", None, None).await;
    assert_eq!(bodies(&capped).len(), 100, "at most 100");
    let (_, two) = call(&mut c, Get, "/api/articles/talk/comments?limit=2&offset=3", None, None).await;
    assert_eq!(bodies(&two), vec!["Comment 3".to_owned(), "Comment 4".to_owned()]);
    let (status, body) = call(&mut c, Get, "/api/articles/talk/comments?limit=lots", None, None).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert_eq!(body["errors"]["limit"], json!(["must be a whole number, 0 or more"]));
}

/// The lengths the document gives are the domain's own limits, so a client generated from it
/// refuses what the server would.
#[rocket::async_test]
async fn the_openapi_document_takes_its_limits_from_the_domain_rules() {
    let app = TestApp::spawn().await;
    let doc = app.browser().send(Get, "/api/openapi.json", None, &[]).await.json();
    let schemas = &doc["components"]["schemas"];
    let field = |schema: &str, name: &str| schemas[schema]["properties"][name].clone();
    let lengths = |schema: &str, name: &str| {
        let f = field(schema, name);
        (f["minLength"].as_u64(), f["maxLength"].as_u64())
    };
    let n = |v: usize| Some(v as u64);
    assert_eq!(lengths("RegisterFields", "username"), (n(domain::Username::MIN), n(domain::Username::MAX)));
    assert_eq!(lengths("RegisterFields", "email"), (None, n(domain::Email::MAX)));
    assert_eq!(lengths("RegisterFields", "password"), (n(domain::Password::MIN_CHARS), None));
    assert_eq!(lengths("UserChanges", "bio"), (None, n(domain::Bio::MAX)));
    assert_eq!(lengths("UserChanges", "image"), (None, n(domain::ImageUrl::MAX)));
    assert_eq!(lengths("NewArticle", "title"), (Some(1), n(domain::Title::MAX)));
    assert_eq!(lengths("NewArticle", "description"), (Some(1), n(domain::Description::MAX)));
    assert_eq!(lengths("ArticleChanges", "body"), (Some(1), n(domain::Content::MAX)));
    assert_eq!(lengths("NewComment", "body"), (Some(1), n(domain::CommentBody::MAX)));
    for schema in ["NewArticle", "ArticleChanges"] {
        let tags = field(schema, "tagList");
        assert_eq!(tags["maxItems"].as_u64(), n(domain::Tags::MAX), "{schema}");
        assert_eq!(tags["items"]["maxLength"].as_u64(), n(domain::Tags::MAX_CHARS), "{schema}");
    }
}
