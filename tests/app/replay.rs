//! Answers replayed to a visitor who asks again: never another visitor's, never older than the
//! last change made on this server, and never older than a second for changes made elsewhere.

use std::time::Duration;

use gazette_tests::{Page, TestApp};
use rocket::http::Method::{Get, Post, Put};
use rocket::http::Status;
use serde_json::json;

use crate::realworld::{call, register};

/// The pages and answers a visitor reads most, for a post titled as given.
fn reads(post: i64, slug: &str) -> Vec<String> {
    vec![
        "/".into(),
        format!("/post/{post}"),
        "/tag/news".into(),
        "/search?q=words".into(),
        "/user/alice".into(),
        "/feed.atom".into(),
        "/api/articles".into(),
        format!("/api/articles/{slug}"),
        "/api/articles?tag=news".into(),
    ]
}

async fn slug_of(app: &TestApp) -> String {
    let (_, body) = call(&mut app.browser(), Get, "/api/articles", None, None).await;
    body["articles"][0]["slug"].as_str().unwrap_or_default().to_owned()
}

#[rocket::async_test]
async fn a_change_made_on_this_server_shows_at_once_on_every_page_read_before() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let page = alice.post_form("/post/new", &[("title", "Apples"), ("content", "Some words"), ("tags", "news")]).await;
    let post: i64 = page.location.unwrap().trim_start_matches("/post/").parse().unwrap();
    let slug = slug_of(&app).await;
    let mut reader = app.browser();
    for _ in 0..2 {
        for uri in reads(post, &slug) {
            let page = reader.get(&uri).await;
            assert_eq!(page.status, Status::Ok, "{uri}");
            assert!(page.shows("Apples"), "{uri}: {}", page.body);
        }
    }
    let edited = alice
        .post_form(
            &format!("/post/{post}/update"),
            &[("title", "Oranges"), ("content", "Some words"), ("tags", "news")],
        )
        .await;
    assert_eq!(edited.status, Status::SeeOther);
    // A new title is a new slug: the old one is gone, not replayed.
    let (status, _) = call(&mut reader, Get, &format!("/api/articles/{slug}"), None, None).await;
    assert_eq!(status, Status::NotFound);
    let slug = slug_of(&app).await;
    for uri in reads(post, &slug) {
        let page = reader.get(&uri).await;
        assert!(page.shows("Oranges") && !page.shows("Apples"), "{uri}: {}", page.body);
    }

    // Through the API too, and the author's own signed-in pages.
    let token = {
        let body = json!({ "user": { "email": "alice@example.com", "password": gazette_tests::PASSWORD } });
        app.browser().send_json(Post, "/api/users/login", &body, &[]).await.json()["user"]["token"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(alice.get("/").await.shows("Oranges"));
    let body = json!({ "article": { "title": "Pears" } });
    let (status, _) = call(&mut app.browser(), Put, &format!("/api/articles/{slug}"), Some(body), Some(&token)).await;
    assert_eq!(status, Status::Ok);
    assert!(alice.get("/").await.shows("Pears"));
    assert!(reader.get("/").await.shows("Pears"));
    let (_, listed) = call(&mut reader, Get, "/api/articles", None, None).await;
    assert_eq!(listed["articles"][0]["title"], "Pears");
}

#[rocket::async_test]
async fn a_scheduled_post_shows_as_soon_as_it_is_published() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let when = (app.app().clock().now() + chrono::Duration::hours(2)).format("%Y-%m-%dT%H:%M").to_string();
    let saved = alice
        .post_form(
            "/post/new",
            &[("title", "Tomorrow's news"), ("content", "Soon"), ("publish_at", &when), ("action", "schedule")],
        )
        .await;
    assert_eq!(saved.status, Status::SeeOther, "{}", saved.body);
    let mut reader = app.browser();
    assert!(!reader.get("/").await.shows("Tomorrow's news"));
    app.app().clock().advance(Duration::from_secs(3 * 3600));
    assert_eq!(app::posts::publish_due(app.app()).await.unwrap(), 1);
    assert!(reader.get("/").await.shows("Tomorrow's news"));
}

#[rocket::async_test]
async fn another_servers_change_shows_here_at_once() {
    let one = TestApp::spawn().await;
    let mut alice = one.signed_up("alice").await;
    let post = alice.writes_post("Apples").await;
    let mut reader = one.browser();
    for uri in ["/".to_owned(), format!("/post/{post}"), "/api/articles".into()] {
        assert!(reader.get(&uri).await.shows("Apples"));
        assert!(reader.get(&uri).await.shows("Apples"));
    }

    let two = one.twin().await;
    let mut there = two.browser();
    there.set_cookies(alice.clone_cookies());
    let edited = there.post_form(&format!("/post/{post}/update"), &[("title", "Oranges"), ("content", "Body")]).await;
    assert_eq!(edited.status, Status::SeeOther);
    for uri in ["/".to_owned(), format!("/post/{post}"), "/api/articles".into()] {
        let page = reader.get(&uri).await;
        assert!(page.shows("Oranges") && !page.shows("Apples"), "{uri}");
    }
    // And a change made straight in the database, as the command line makes them.
    assert!(persistence::posts::delete(&one.db, post).await.unwrap());
    assert_eq!(reader.get(&format!("/post/{post}")).await.status, Status::NotFound);
    assert!(!reader.get("/").await.shows("Oranges"));
    drop(there);
    drop(two);
}

#[rocket::async_test]
async fn what_ends_with_time_alone_is_replayed_a_second_at_most() {
    let app = TestApp::spawn().await;
    let mut program = app.browser();
    let token = register(&mut program, "robot").await;
    let (status, _) = call(&mut program, Get, "/api/articles/feed", None, Some(&token)).await;
    assert_eq!(status, Status::Ok);
    // The token has expired (one hour), and nothing was written since.
    app.app().clock().advance(Duration::from_secs(3600));
    let (status, _) = call(&mut program, Get, "/api/articles/feed", None, Some(&token)).await;
    assert_eq!(status, Status::Unauthorized);
}

#[rocket::async_test]
async fn no_visitor_is_replayed_another_visitors_answer() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let mut bob = app.signed_up("bob").await;
    alice.writes_post("Alice's words").await;
    bob.post_form("/user/alice/follow", &[]).await;
    let mut visitor = app.browser();
    let (mut alice_api, mut bob_api) = (app.browser(), app.browser());
    let alice_token = register(&mut alice_api, "alicia").await;
    let bob_token = register(&mut bob_api, "bobby").await;
    let (status, _) = call(&mut bob_api, Post, "/api/profiles/alice/follow", None, Some(&bob_token)).await;
    assert_eq!(status, Status::Ok);

    for _ in 0..3 {
        let (hers, his, theirs) = (alice.get("/").await, bob.get("/").await, visitor.get("/").await);
        assert!(hers.shows("Logout") && his.shows("Logout"));
        assert!(theirs.shows("Login") && !theirs.shows("Logout"));
        assert_ne!(hers.input_value("csrf_token"), his.input_value("csrf_token"));
        assert_eq!(theirs.header("Cache-Control"), None);
        assert_eq!(hers.header("Cache-Control"), Some("no-store"));
        let (hers, his, theirs) =
            (alice.get("/user/alice").await, bob.get("/user/alice").await, visitor.get("/user/alice").await);
        assert!(his.shows("Unfollow alice"), "{}", his.body);
        assert!(!hers.shows("Unfollow") && !hers.shows("Follow alice"), "nobody follows themselves");
        assert!(!theirs.shows("Unfollow") && !theirs.shows("Follow alice"), "visitors are asked to log in");
        let (_, for_her) = call(&mut alice_api, Get, "/api/profiles/alice", None, Some(&alice_token)).await;
        let (_, for_him) = call(&mut bob_api, Get, "/api/profiles/alice", None, Some(&bob_token)).await;
        let (_, for_nobody) = call(&mut visitor, Get, "/api/profiles/alice", None, None).await;
        assert_eq!(
            (&for_her["profile"]["following"], &for_him["profile"]["following"], &for_nobody["profile"]["following"]),
            (&json!(false), &json!(true), &json!(false))
        );
        let following = bob.get("/following").await;
        assert!(following.shows("Alice's words"));
        assert!(alice.get("/following").await.status == Status::Ok);
    }
}

#[rocket::async_test]
async fn an_ended_session_is_not_replayed() {
    let app = TestApp::spawn().await;
    let mut bob = app.signed_up("bob").await;
    assert!(bob.get("/").await.shows("Logout"));
    let stolen = bob.clone_cookies();
    let page = bob.get("/").await;
    let out = bob.post_raw("/logout", &[("csrf_token", &page.input_value("csrf_token").unwrap())]).await;
    assert_eq!(out.status, Status::SeeOther);
    let mut thief = app.browser();
    thief.set_cookies(stolen);
    let home = thief.get("/").await;
    assert!(home.shows("Login") && !home.shows("Logout"), "{}", home.body);
}

#[rocket::async_test]
async fn a_message_is_shown_once_and_a_new_form_token_is_never_replayed() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let post = alice.writes_post("Hello").await;
    let page: Page = alice.get(&format!("/post/{post}")).await;
    let deleted = alice
        .post_raw(&format!("/post/{post}/delete"), &[("csrf_token", &page.input_value("csrf_token").unwrap())])
        .await;
    assert_eq!(deleted.status, Status::SeeOther);
    let home = alice.follow(&deleted).await;
    assert_eq!(home.flashes().len(), 1, "{}", home.body);
    assert!(alice.get("/").await.flashes().is_empty());

    // Two first-time visitors each get a token of their own, set as their cookie.
    let (mut one, mut two) = (app.browser(), app.browser());
    let (a, b) = (one.get("/login").await, two.get("/login").await);
    assert!(a.set_cookie("csrf_token").is_some() && b.set_cookie("csrf_token").is_some());
    assert_ne!(a.input_value("csrf_token"), b.input_value("csrf_token"));
}

#[rocket::async_test]
async fn an_answer_sent_again_carries_each_header_once_as_the_first_did() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let post = alice.writes_post("Apples").await;
    let mut reader = app.browser();
    for uri in ["/".to_owned(), format!("/post/{post}"), "/feed.atom".into(), "/api/articles".into()] {
        let first = reader.get(&uri).await;
        let again = reader.get(&uri).await;
        let names = |page: &Page| {
            let mut names: Vec<String> = page.headers.iter().map(|(n, _)| n.clone()).collect();
            names.sort();
            names
        };
        assert_eq!(names(&again), names(&first), "{uri}");
        let mut unique = names(&again);
        unique.dedup();
        assert_eq!(unique, names(&again), "{uri}: a header twice");
        assert_eq!(again.bytes, first.bytes, "{uri}");
    }
}

#[rocket::async_test]
async fn visitors_asking_at_once_after_a_change_all_see_it_and_each_their_own_page() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    alice.post_form("/post/new", &[("title", "Apples"), ("content", "Some words"), ("tags", "news")]).await;
    let mut readers: Vec<_> = (0..4).map(|_| app.browser()).collect();
    assert!(readers[0].get("/").await.shows("Apples"));
    assert!(alice.get("/").await.shows("Apples"));
    let page = alice.post_form("/post/new", &[("title", "Oranges"), ("content", "Some words"), ("tags", "news")]).await;
    assert_eq!(page.status, Status::SeeOther);
    let [r1, r2, r3, r4] = &mut readers[..] else { unreachable!() };
    let (p1, p2, p3, p4, own) =
        rocket::tokio::join!(r1.get("/"), r2.get("/"), r3.get("/"), r4.get("/"), alice.get("/"));
    for page in [&p1, &p2, &p3, &p4, &own] {
        assert_eq!(page.status, Status::Ok);
        assert!(page.shows("Oranges"), "{}", page.body);
    }
    for page in [&p1, &p2, &p3, &p4] {
        assert_eq!(page.body, p1.body, "anonymous readers share one page");
        assert!(!page.shows("action=\"/logout\""), "nobody's account on a reader's page: {}", page.body);
    }
    assert!(own.shows("action=\"/logout\""), "the signed-in author gets her own page: {}", own.body);
}
