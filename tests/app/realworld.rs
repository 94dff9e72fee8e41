//! The RealWorld API under `/api`, against its spec: users, profiles, articles, comments,
//! favourites, tags, errors and CORS.

use gazette_tests::{Browser, TestApp};
use rocket::http::Method::{Delete, Get, Post, Put};
use rocket::http::Status;
use serde_json::{Value, json};

pub(crate) async fn register(c: &mut Browser<'_>, name: &str) -> String {
    let body =
        json!({ "user": { "username": name, "email": format!("{name}@example.com"), "password": "password123" } });
    let page = c.send_json(Post, "/api/users", &body, &[]).await;
    assert_eq!(page.status, Status::Created, "{}", page.body);
    page.json()["user"]["token"].as_str().unwrap_or_default().to_owned()
}

pub(crate) async fn call(
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
    let listed = persistence::posts::list_newest(
        &app.db,
        &persistence::in_place::InPlace::open(&app.database_url),
        Some(id),
        5,
        0,
        1,
    )
    .await
    .unwrap();
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
    // bob's first comment on the site waits for the article's author to approve it: bob sees it,
    // nobody else does.
    let (_, body) = call(&mut c, Get, "/api/articles/how-to-train-your-dragon/comments", None, None).await;
    assert_eq!(body["comments"].as_array().unwrap().len(), 0);
    let (_, body) = call(&mut c, Get, "/api/articles/how-to-train-your-dragon/comments", None, Some(&bob)).await;
    assert_eq!(body["comments"].as_array().unwrap().len(), 1);
    let uri = format!("/api/articles/how-to-train-your-dragon/comments/{comment_id}");
    let carol = register(&mut c, "carol").await;
    assert_eq!(call(&mut c, Delete, &uri, None, Some(&carol)).await.0, Status::NotFound, "held: not carol's to know");
    let (_, body) = call(
        &mut c,
        Post,
        "/api/articles/how-to-train-your-dragon/comments",
        Some(json!({ "comment": { "body": "By the author" } })),
        Some(&jake),
    )
    .await;
    let by_jake = body["comment"]["id"].as_i64().unwrap();
    let jakes = format!("/api/articles/how-to-train-your-dragon/comments/{by_jake}");
    assert_eq!(call(&mut c, Delete, &jakes, None, Some(&carol)).await.0, Status::Forbidden, "not carol's comment");
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
