//! The RealWorld API under `/api`, against its spec: users, profiles, articles, comments,
//! favourites, tags, errors and CORS.

use gazette_tests::{Browser, Settings, TestApp};
use rocket::http::Method::{Delete, Get, Options, Post, Put};
use rocket::http::Status;
use serde_json::{Value, json};

async fn register(c: &mut Browser<'_>, name: &str) -> String {
    let body =
        json!({ "user": { "username": name, "email": format!("{name}@example.com"), "password": "password123" } });
    let page = c.send_json(Post, "/api/users", &body, &[]).await;
    assert_eq!(page.status, Status::Created, "{}", page.body);
    page.json()["user"]["token"].as_str().unwrap_or_default().to_owned()
}

async fn call(
    c: &mut Browser<'_>,
    method: rocket::http::Method,
    uri: &str,
    body: Option<Value>,
    token: Option<&str>,
) -> (Status, Value) {
    let header = token.map(|t| format!("Token {t}"));
    let headers: Vec<(&str, &str)> = header.as_deref().map(|h| vec![("Authorization", h)]).unwrap_or_default();
    let page = match body {
        Some(b) => c.send_json(method, uri, &b, &headers).await,
        None => c.send(method, uri, None, &headers).await,
    };
    let json = if page.body.is_empty() { Value::Null } else { page.json() };
    (page.status, json)
}

#[rocket::async_test]
async fn users_register_log_in_and_update_themselves() {
    let app = TestApp::spawn().await;
    let mut c = app.browser();
    let token = register(&mut c, "jake").await;
    let (s, body) = call(
        &mut c,
        Post,
        "/api/users/login",
        Some(json!({ "user": { "email": "jake@example.com", "password": "password123" } })),
        None,
    )
    .await;
    assert_eq!(s, Status::Ok);
    let user = &body["user"];
    assert_eq!((user["email"].as_str(), user["username"].as_str()), (Some("jake@example.com"), Some("jake")));
    assert!(user["token"].is_string());
    assert_eq!(user["bio"], "", "the spec's schema wants a string, never null");
    assert!(user["image"].as_str().unwrap().starts_with("http://127.0.0.1:8000/"), "absolute avatar URL");

    let (s, _) = call(
        &mut c,
        Post,
        "/api/users/login",
        Some(json!({ "user": { "email": "jake@example.com", "password": "wrong-pass" } })),
        None,
    )
    .await;
    assert_eq!(s, Status::Unauthorized);
    let (s, body) = call(
        &mut c,
        Post,
        "/api/users",
        Some(json!({ "user": { "username": "JAKE", "email": "other@example.com", "password": "password123" } })),
        None,
    )
    .await;
    assert_eq!(s, Status::UnprocessableEntity);
    assert_eq!(body, json!({ "errors": { "username": ["has already been taken"] } }));
    let (s, body) = call(
        &mut c,
        Post,
        "/api/users",
        Some(json!({ "user": { "username": "x y", "email": "e@example.com", "password": "password123" } })),
        None,
    )
    .await;
    assert_eq!(s, Status::UnprocessableEntity);
    assert!(body["errors"]["username"].is_array());

    let (s, body) = call(&mut c, Get, "/api/user", None, Some(&token)).await;
    assert_eq!((s, body["user"]["username"].as_str()), (Status::Ok, Some("jake")));
    assert_eq!(call(&mut c, Get, "/api/user", None, None).await.0, Status::Unauthorized);
    assert_eq!(call(&mut c, Get, "/api/user", None, Some("garbage")).await.0, Status::Unauthorized);

    let update = json!({ "user": { "bio": "I like dragons", "image": "https://img.example/jake.png" } });
    let (s, body) = call(&mut c, Put, "/api/user", Some(update), Some(&token)).await;
    assert_eq!(s, Status::Ok);
    assert_eq!(body["user"]["bio"], "I like dragons");
    assert_eq!(body["user"]["image"], "https://img.example/jake.png");
    let (s, body) =
        call(&mut c, Put, "/api/user", Some(json!({ "user": { "image": "javascript:alert(1)" } })), Some(&token)).await;
    assert_eq!(s, Status::UnprocessableEntity);
    assert!(body["errors"]["image"].is_array());

    // A new password revokes the old token and answers with a fresh one.
    let (s, body) =
        call(&mut c, Put, "/api/user", Some(json!({ "user": { "password": "brand-new-pass" } })), Some(&token)).await;
    assert_eq!(s, Status::Ok);
    let fresh = body["user"]["token"].as_str().unwrap().to_owned();
    assert_eq!(call(&mut c, Get, "/api/user", None, Some(&token)).await.0, Status::Unauthorized);
    assert_eq!(call(&mut c, Get, "/api/user", None, Some(&fresh)).await.0, Status::Ok);
    // Bearer works as well as Token.
    let bearer = format!("Bearer {fresh}");
    assert_eq!(c.send(Get, "/api/user", None, &[("Authorization", &bearer)]).await.status, Status::Ok);
}

#[rocket::async_test]
async fn profiles_follow_and_unfollow() {
    let app = TestApp::spawn().await;
    let mut c = app.browser();
    let jake = register(&mut c, "jake").await;
    register(&mut c, "celeb").await;
    let (s, body) = call(&mut c, Get, "/api/profiles/celeb", None, None).await;
    assert_eq!((s, body["profile"]["following"].as_bool()), (Status::Ok, Some(false)));
    let (s, body) = call(&mut c, Post, "/api/profiles/celeb/follow", None, Some(&jake)).await;
    assert_eq!((s, body["profile"]["following"].as_bool()), (Status::Ok, Some(true)));
    let (_, body) = call(&mut c, Get, "/api/profiles/CELEB", None, Some(&jake)).await;
    assert_eq!(body["profile"]["following"], true);
    let (s, body) = call(&mut c, Delete, "/api/profiles/celeb/follow", None, Some(&jake)).await;
    assert_eq!((s, body["profile"]["following"].as_bool()), (Status::Ok, Some(false)));
    assert_eq!(call(&mut c, Get, "/api/profiles/nobody", None, None).await.0, Status::NotFound);
    assert_eq!(call(&mut c, Post, "/api/profiles/celeb/follow", None, None).await.0, Status::Unauthorized);
}

#[rocket::async_test]
async fn articles_are_the_sites_posts_with_slugs_tags_favorites_and_comments() {
    let app = TestApp::spawn().await;
    let mut c = app.browser();
    let jake = register(&mut c, "jake").await;
    let bob = register(&mut c, "bob").await;
    let article = json!({ "article": { "title": "How to train your dragon", "description": "Ever wonder how?", "body": "You have to believe", "tagList": ["dragons", "training", "dragons", " "] } });
    let (s, body) = call(&mut c, Post, "/api/articles", Some(article), Some(&jake)).await;
    assert_eq!(s, Status::Created, "{body}");
    let a = &body["article"];
    assert_eq!(a["slug"], "how-to-train-your-dragon");
    assert_eq!(a["tagList"], json!(["dragons", "training"]));
    assert_eq!((a["favorited"].as_bool(), a["favoritesCount"].as_i64()), (Some(false), Some(0)));
    assert_eq!(a["author"]["username"], "jake");
    assert!(a["createdAt"].as_str().unwrap().ends_with('Z'));

    // The same post on the site.
    let id = app.user("jake").await.unwrap().id;
    let listed = persistence::posts::list_newest(&app.db, Some(id), 5, 0, 1).await.unwrap();
    assert_eq!(listed[0].title, "How to train your dragon");
    assert!(c.get(&format!("/post/{}", listed[0].id)).await.shows("You have to believe"));

    // Same title again: a different slug.
    let again = json!({ "article": { "title": "How to train your dragon", "description": "d", "body": "b" } });
    let (_, body) = call(&mut c, Post, "/api/articles", Some(again), Some(&bob)).await;
    let second = body["article"]["slug"].as_str().unwrap().to_owned();
    assert_ne!(second, "how-to-train-your-dragon");

    let (s, body) = call(
        &mut c,
        Post,
        "/api/articles",
        Some(json!({ "article": { "title": "", "description": "d", "body": "b" } })),
        Some(&jake),
    )
    .await;
    assert_eq!(s, Status::UnprocessableEntity);
    assert!(body["errors"]["title"].is_array());
    assert_eq!(
        call(
            &mut c,
            Post,
            "/api/articles",
            Some(json!({ "article": { "title": "t", "description": "d", "body": "b" } })),
            None
        )
        .await
        .0,
        Status::Unauthorized
    );

    let (s, body) = call(&mut c, Get, "/api/articles/how-to-train-your-dragon", None, None).await;
    assert_eq!((s, body["article"]["body"].as_str()), (Status::Ok, Some("You have to believe")));
    assert_eq!(call(&mut c, Get, "/api/articles/no-such-slug", None, None).await.0, Status::NotFound);

    // Favorites.
    let (s, body) = call(&mut c, Post, "/api/articles/how-to-train-your-dragon/favorite", None, Some(&bob)).await;
    assert_eq!(
        (s, body["article"]["favorited"].as_bool(), body["article"]["favoritesCount"].as_i64()),
        (Status::Ok, Some(true), Some(1))
    );
    let (_, body) = call(&mut c, Get, "/api/articles?favorited=bob", None, None).await;
    assert_eq!(body["articlesCount"], 1);
    assert!(body["articles"][0].get("body").is_none(), "lists carry no body");
    assert_eq!(body["articles"][0]["favoritesCount"], 1);
    let (_, body) = call(&mut c, Get, "/api/articles", None, None).await;
    let listed = body["articles"].as_array().unwrap().iter().find(|a| a["slug"] == "how-to-train-your-dragon").cloned();
    assert_eq!(listed.map(|a| a["favoritesCount"].clone()), Some(json!(1)), "counted in the whole listing too");
    let (_, body) = call(&mut c, Delete, "/api/articles/how-to-train-your-dragon/favorite", None, Some(&bob)).await;
    assert_eq!(body["article"]["favoritesCount"], 0);

    // Filters, feed, tags.
    let (_, body) = call(&mut c, Get, "/api/articles?tag=dragons", None, None).await;
    assert_eq!(body["articlesCount"], 1);
    let (_, body) = call(&mut c, Get, "/api/articles?author=bob", None, None).await;
    assert_eq!(
        (body["articlesCount"].as_i64(), body["articles"][0]["slug"].as_str()),
        (Some(1), Some(second.as_str()))
    );
    let (_, body) = call(&mut c, Get, "/api/articles?limit=1&offset=1", None, None).await;
    assert_eq!((body["articlesCount"].as_i64(), body["articles"].as_array().unwrap().len()), (Some(2), 1));
    assert_eq!(body["articles"][0]["slug"], "how-to-train-your-dragon", "newest first");
    let (_, body) = call(&mut c, Get, "/api/articles/feed", None, Some(&bob)).await;
    assert_eq!(body["articlesCount"], 0);
    call(&mut c, Post, "/api/profiles/jake/follow", None, Some(&bob)).await;
    let (_, body) = call(&mut c, Get, "/api/articles/feed", None, Some(&bob)).await;
    assert_eq!(
        (body["articlesCount"].as_i64(), body["articles"][0]["author"]["following"].as_bool()),
        (Some(1), Some(true))
    );
    assert_eq!(call(&mut c, Get, "/api/articles/feed", None, None).await.0, Status::Unauthorized);
    let (_, body) = call(&mut c, Get, "/api/tags", None, None).await;
    assert_eq!(body, json!({ "tags": ["dragons", "training"] }));

    // Comments.
    let (s, body) = call(
        &mut c,
        Post,
        "/api/articles/how-to-train-your-dragon/comments",
        Some(json!({ "comment": { "body": "Thanks!" } })),
        Some(&bob),
    )
    .await;
    assert_eq!(s, Status::Ok);
    let comment_id = body["comment"]["id"].as_i64().unwrap();
    assert_eq!(body["comment"]["author"]["username"], "bob");
    let (_, body) = call(&mut c, Get, "/api/articles/how-to-train-your-dragon/comments", None, None).await;
    assert_eq!(body["comments"].as_array().unwrap().len(), 1);
    let uri = format!("/api/articles/how-to-train-your-dragon/comments/{comment_id}");
    assert_eq!(call(&mut c, Delete, &uri, None, Some(&jake)).await.0, Status::Forbidden, "not jake's comment");
    assert_eq!(call(&mut c, Delete, &uri, None, Some(&bob)).await.0, Status::NoContent);
    assert_eq!(call(&mut c, Delete, &uri, None, Some(&bob)).await.0, Status::NotFound);

    // Updates: the author only; a new title, a new slug.
    let change = json!({ "article": { "title": "Did you train your dragon?" } });
    assert_eq!(
        call(&mut c, Put, "/api/articles/how-to-train-your-dragon", Some(change.clone()), Some(&bob)).await.0,
        Status::Forbidden
    );
    let (s, body) = call(&mut c, Put, "/api/articles/how-to-train-your-dragon", Some(change), Some(&jake)).await;
    assert_eq!((s, body["article"]["slug"].as_str()), (Status::Ok, Some("did-you-train-your-dragon")));
    assert_eq!(body["article"]["body"], "You have to believe", "untouched fields stay");
    assert_eq!(
        call(&mut c, Delete, "/api/articles/did-you-train-your-dragon", None, Some(&bob)).await.0,
        Status::Forbidden
    );

    // A moderator may.
    persistence::users::set_admin(&app.db, app.user("bob").await.unwrap().id, true).await.unwrap();
    assert_eq!(
        call(&mut c, Delete, "/api/articles/did-you-train-your-dragon", None, Some(&bob)).await.0,
        Status::NoContent
    );
    assert_eq!(call(&mut c, Get, "/api/articles/did-you-train-your-dragon", None, None).await.0, Status::NotFound);
}

#[rocket::async_test]
async fn articles_with_one_title_written_at_once_get_different_slugs() {
    let app = TestApp::spawn().await;
    let mut c = app.browser();
    let token = register(&mut c, "jake").await;
    let body = json!({ "article": { "title": "Same title", "description": "d", "body": "b" } });
    let mut requests = Vec::new();
    for _ in 0..6 {
        let request = app
            .client
            .post("/api/articles")
            .header(rocket::http::ContentType::JSON)
            .header(rocket::http::Header::new("Authorization", format!("Token {token}")))
            .body(body.to_string());
        requests.push(request.dispatch());
    }
    // Dispatched together, so that the inserts race.
    let responses = rocket::futures::future::join_all(requests).await;
    let mut slugs = std::collections::HashSet::new();
    for response in responses {
        assert_eq!(response.status(), Status::Created);
        let json: Value = serde_json::from_str(&response.into_string().await.unwrap()).unwrap();
        slugs.insert(json["article"]["slug"].as_str().unwrap().to_owned());
    }
    assert_eq!(slugs.len(), 6);
}

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
    let app = TestApp::spawn().await;
    let mut c = app.browser();
    let token = register(&mut c, "jake").await;
    let article = json!({ "article": { "title": "Talk", "description": "d", "body": "b", "tagList": [] } });
    let (status, _) = call(&mut c, Post, "/api/articles", Some(article), Some(&token)).await;
    assert_eq!(status, Status::Created);
    for k in 0..105 {
        let comment = json!({ "comment": { "body": format!("Comment {k}") } });
        let (status, _) = call(&mut c, Post, "/api/articles/talk/comments", Some(comment), Some(&token)).await;
        assert_eq!(status, Status::Ok);
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
