//! Favourites on the site: the button on a post, the reader's favourites page, and the same
//! favourites through the RealWorld API.

use gazette_tests::TestApp;
use rocket::http::Method::{Get, Post};
use rocket::http::Status;

use crate::realworld::{call, register};

#[rocket::async_test]
async fn a_reader_favours_a_post_and_finds_it_on_their_favourites_page() {
    let app = TestApp::spawn().await;
    let mut c = app.browser();
    let bob_token = register(&mut c, "bob").await;
    let mut alice = app.signed_up("alice").await;
    let id = alice.writes_post("Worth keeping").await;
    let slug = app.post(id).await.unwrap().slug.unwrap();
    let mut bob = app.browser();
    bob.post_form("/login", &[("email", "bob@example.com"), ("password", gazette_tests::PASSWORD)]).await;

    let page = bob.get(&format!("/post/{id}")).await;
    assert!(page.body.contains(&format!(r#"action="/post/{id}/favorite""#)), "{}", page.body);
    assert!(page.body.contains(r#"<span class="favorite-count">0</span>"#));
    let done = bob.post_form(&format!("/post/{id}/favorite"), &[]).await;
    assert_eq!(done.status, Status::SeeOther);
    assert_eq!(done.location, Some(format!("/post/{id}#favorite")));
    let page = bob.get(&format!("/post/{id}")).await;
    assert!(page.body.contains(&format!(r#"action="/post/{id}/unfavorite""#)) && page.shows("Favourited"));
    assert!(page.body.contains(r#"<span class="favorite-count">1</span>"#));
    assert!(
        page.body
            .contains(&format!(r#"<script src="{}" defer></script>"#, gazette_tests::static_url("js/favorite.js")))
    );
    bob.post_form(&format!("/post/{id}/favorite"), &[]).await;
    assert!(bob.get(&format!("/post/{id}")).await.body.contains(r#"<span class="favorite-count">1</span>"#), "once");

    let (_, article) = call(&mut c, Get, &format!("/api/articles/{slug}"), None, Some(&bob_token)).await;
    assert_eq!(
        (article["article"]["favorited"].clone(), article["article"]["favoritesCount"].clone()),
        (true.into(), 1.into())
    );
    let favorites = alice.get("/user/bob/favorites").await;
    assert!(favorites.shows("bob’s favourites (1)") && favorites.shows("Worth keeping"), "{}", favorites.body);
    assert!(alice.get("/user/bob").await.body.contains(r#"href="/user/bob/favorites""#));

    // Unfavouriting on the site shows in the API; favouriting in the API shows on the site.
    bob.post_form(&format!("/post/{id}/unfavorite"), &[]).await;
    let (_, article) = call(&mut c, Get, &format!("/api/articles/{slug}"), None, Some(&bob_token)).await;
    assert_eq!(article["article"]["favoritesCount"], 0);
    assert!(alice.get("/user/bob/favorites").await.shows("bob has no favourites yet."));
    call(&mut c, Post, &format!("/api/articles/{slug}/favorite"), None, Some(&bob_token)).await;
    assert!(bob.get(&format!("/post/{id}")).await.shows("Favourited"));

    // Unpublished, it leaves the favourites page; published again, it comes back.
    let fields = [("title", "Worth keeping"), ("content", "Some words."), ("action", "draft")];
    alice.post_form(&format!("/post/{id}/update"), &fields).await;
    assert!(alice.get("/user/bob/favorites").await.shows("(0)"));
    assert_eq!(bob.post_form(&format!("/post/{id}/favorite"), &[]).await.status, Status::NotFound);
}

#[rocket::async_test]
async fn the_button_answers_json_to_the_script_and_visitors_are_asked_to_log_in() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let id = alice.writes_post("Post").await;
    let mut bob = app.signed_up("bob").await;
    let token = bob.csrf_token().await;
    let answer = bob
        .send(
            Post,
            &format!("/post/{id}/favorite"),
            Some((rocket::http::ContentType::Form, format!("csrf_token={token}"))),
            &[("Accept", "application/json")],
        )
        .await;
    assert_eq!(answer.status, Status::Ok, "{}", answer.body);
    assert_eq!(answer.json(), serde_json::json!({ "favorited": true, "count": 1 }));

    let mut visitor = app.browser();
    let page = visitor.get(&format!("/post/{id}")).await;
    assert!(page.shows("☆ 1 favourite ·") && page.body.contains(&format!(r#"href="/login?next=/post/{id}""#)));
    assert!(!page.body.contains("favorite.js"));
    let sent = visitor.post_form(&format!("/post/{id}/favorite"), &[]).await;
    assert!(sent.location.as_deref().is_some_and(|l| l.starts_with("/login")), "{:?}", sent.location);
    assert_eq!(bob.post_form("/post/999/favorite", &[]).await.status, Status::NotFound);
    assert_eq!(bob.post_raw(&format!("/post/{id}/unfavorite"), &[]).await.status, Status::Forbidden);
    assert_eq!(visitor.get("/user/nobody/favorites").await.status, Status::NotFound);
}
