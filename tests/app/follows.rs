//! Following authors on the site, and the same follows through the RealWorld API.

use gazette_tests::TestApp;
use rocket::http::Method::{Delete, Get, Post};
use rocket::http::Status;

use crate::realworld::{call, register};

#[rocket::async_test]
async fn a_reader_follows_an_author_from_their_page_and_the_api_sees_it() {
    let app = TestApp::spawn().await;
    let mut c = app.browser();
    let bob_token = register(&mut c, "bob").await;
    let mut alice = app.signed_up("alice").await;
    let mut bob = app.browser();
    bob.post_form("/login", &[("email", "bob@example.com"), ("password", gazette_tests::PASSWORD)]).await;

    let page = bob.get("/user/alice").await;
    assert!(page.shows("0 followers") && page.shows("0 following"), "{}", page.body);
    assert!(page.body.contains(r#"action="/user/alice/follow""#) && page.shows("Follow alice"));
    let followed = bob.post_form("/user/alice/follow", &[]).await;
    assert_eq!(followed.status, Status::SeeOther);
    assert_eq!(followed.location.as_deref(), Some("/user/alice"));
    let page = bob.follow(&followed).await;
    assert_eq!(page.flashes(), vec![("success".into(), "You now follow alice.".into())]);
    assert!(page.body.contains(">1 follower</a>"), "{}", page.body);
    assert!(page.body.contains(r#"action="/user/alice/unfollow""#) && page.shows("Unfollow alice"));
    assert_eq!(bob.post_form("/user/alice/follow", &[]).await.status, Status::SeeOther, "again is fine");

    let (_, profile) = call(&mut c, Get, "/api/profiles/alice", None, Some(&bob_token)).await;
    assert_eq!(profile["profile"]["following"], true, "the API reads the same follow");
    let followers = alice.get("/user/alice/followers").await;
    assert!(followers.shows("Followers of alice (1)") && followers.body.contains(r#"href="/user/bob""#));
    let following = alice.get("/user/bob/following").await;
    assert!(following.shows("bob follows (1)") && following.body.contains(r#"href="/user/alice""#));

    // Unfollowing through the API shows on the site, and following there shows in the API.
    call(&mut c, Delete, "/api/profiles/alice/follow", None, Some(&bob_token)).await;
    let page = bob.get("/user/alice").await;
    assert!(page.shows("0 followers") && page.shows("Follow alice") && !page.shows("Unfollow"));
    let unfollowed = bob.post_form("/user/alice/follow", &[]).await;
    assert_eq!(unfollowed.status, Status::SeeOther);
    let left = bob.post_form("/user/alice/unfollow", &[]).await;
    assert_eq!(bob.follow(&left).await.flashes(), vec![("success".into(), "You no longer follow alice.".into())]);
    let (_, profile) = call(&mut c, Get, "/api/profiles/alice", None, Some(&bob_token)).await;
    assert_eq!(profile["profile"]["following"], false);
    let (status, _) = call(&mut c, Post, "/api/profiles/alice/follow", None, Some(&bob_token)).await;
    assert_eq!(status, Status::Ok);
    assert!(bob.get("/user/alice").await.shows("Unfollow alice"));
}

#[rocket::async_test]
async fn nobody_follows_themselves_and_visitors_log_in_first() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let own = alice.get("/user/alice").await;
    assert!(!own.body.contains("/follow\""), "no button on one's own page");
    let refused = alice.post_form("/user/alice/follow", &[]).await;
    assert_eq!(refused.status, Status::SeeOther);
    let page = alice.follow(&refused).await;
    assert_eq!(page.flashes(), vec![("danger".into(), "You cannot follow yourself.".into())]);
    assert!(page.shows("0 followers"));

    let mut visitor = app.browser();
    assert!(!visitor.get("/user/alice").await.body.contains("/follow\""), "visitors see no button");
    let sent = visitor.post_form("/user/alice/follow", &[]).await;
    assert_eq!(sent.status, Status::SeeOther);
    assert!(sent.location.as_deref().is_some_and(|l| l.starts_with("/login")), "{:?}", sent.location);
    let forged = alice.post_raw("/user/bob/follow", &[]).await;
    assert_eq!(forged.status, Status::Forbidden, "no CSRF token, no follow");
    assert_eq!(alice.post_form("/user/nobody/follow", &[]).await.status, Status::NotFound);
    assert_eq!(alice.get("/user/nobody/followers").await.status, Status::NotFound);
    assert_eq!(alice.get("/user/alice/followers?page=2").await.status, Status::NotFound);
    assert!(alice.get("/user/alice/followers").await.shows("Nobody follows alice yet."));
}

#[rocket::async_test]
async fn following_lists_the_followed_authors_visible_posts_newest_first() {
    let app = TestApp::with(gazette_tests::Settings { posts_per_page: 2, ..Default::default() }).await;
    let mut alice = app.signed_up("alice").await;
    let mut carol = app.signed_up("carol").await;
    let mut bob = app.signed_up("bob").await;
    alice.writes_post("Alice one").await;
    carol.writes_post("Carol one").await;
    alice.writes_post("Alice two").await;
    alice.post_form("/post/new", &[("title", "Alice draft"), ("content", "x"), ("action", "draft")]).await;
    alice.writes_post("Alice three").await;

    let empty = bob.get("/following").await;
    assert_eq!(empty.status, Status::Ok);
    assert_eq!(empty.header("Cache-Control"), Some("no-store"));
    assert!(empty.shows("You do not follow anyone yet."));
    assert!(
        empty.body.contains(r#"href="/user/alice""#) && empty.body.contains(r#"href="/user/carol""#),
        "{}",
        empty.body
    );
    bob.post_form("/user/alice/follow", &[]).await;
    let first = bob.get("/following").await;
    assert!(first.shows("Alice three") && first.shows("Alice two") && !first.shows("Carol one"), "{}", first.body);
    let second = bob.get("/following?page=2").await;
    assert!(second.shows("Alice one") && !second.shows("Alice draft"), "drafts are nobody's feed");
    assert_eq!(bob.get("/following?page=3").await.status, Status::NotFound);
    let visitor = app.browser().get("/following").await;
    assert_eq!(visitor.status, Status::SeeOther, "visitors log in first");
}
