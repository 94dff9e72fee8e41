//! Writing, reading, updating and deleting posts, and who may do which.

use gazette_tests::TestApp;
use rocket::http::Status;

#[rocket::async_test]
async fn writing_a_post_publishes_it_and_shows_it() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let form = alice.get("/post/new").await;
    assert_eq!(form.status, Status::Ok);
    assert!(form.shows("New Post"));
    let page = alice
        .post_form("/post/new", &[("title", "Hello <world>"), ("content", "Line one\r\n\r\n<script>alert(1)</script>")])
        .await;
    assert_eq!(page.status, Status::SeeOther);
    let location = page.location.clone().unwrap();
    let id: i64 = location.trim_start_matches("/post/").parse().unwrap();
    let shown = alice.follow(&page).await;
    assert_eq!(shown.status, Status::Ok);
    assert_eq!(shown.flashes(), vec![("success".into(), "Your post has been created!".into())]);
    assert!(shown.shows("Hello <world>"));
    assert!(!shown.body.contains("<script>alert(1)</script>"), "content is escaped");
    assert!(shown.body.contains("&lt;script&gt;"));
    let stored = app.post(id).await.unwrap();
    assert_eq!(
        (stored.title.as_str(), stored.content.as_str()),
        ("Hello <world>", "Line one\n\n<script>alert(1)</script>")
    );
    assert_eq!(stored.user_id, alice.user_id.unwrap());
}

#[rocket::async_test]
async fn a_post_needs_a_title_of_at_most_100_characters_and_content() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let page = alice.post_form("/post/new", &[("title", "  "), ("content", "")]).await;
    assert_eq!(page.status, Status::Ok);
    assert_eq!(page.field_error("title").as_deref(), Some("Title is required."));
    assert_eq!(page.field_error("content").as_deref(), Some("Content is required."));
    let long = "t".repeat(101);
    let page = alice.post_form("/post/new", &[("title", &long), ("content", "Body")]).await;
    assert_eq!(page.field_error("title").as_deref(), Some("Title must be at most 100 characters long."));
    assert_eq!(page.input_value("title").as_deref(), Some(long.as_str()), "what was typed is kept");
    assert!(page.body.contains(">Body</textarea>"));
    let huge = "c".repeat(100_001);
    let page = alice.post_form("/post/new", &[("title", "Big"), ("content", &huge)]).await;
    assert_eq!(page.status, Status::Ok);
    assert_eq!(page.field_error("content").as_deref(), Some("Content must be at most 100000 characters long."));
    assert_eq!(app.post_count().await, 0);
}

#[rocket::async_test]
async fn visitors_cannot_write_posts() {
    let app = TestApp::spawn().await;
    let mut b = app.browser();
    let page = b.post_form("/post/new", &[("title", "Spam"), ("content", "Spam")]).await;
    assert_eq!(page.status, Status::SeeOther);
    assert!(page.location.unwrap().starts_with("/login"));
    assert_eq!(app.post_count().await, 0);
}

#[rocket::async_test]
async fn unknown_or_non_numeric_post_ids_are_not_found() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let id = alice.writes_post("Exists").await;
    assert_eq!(alice.get(&format!("/post/{id}")).await.status, Status::Ok);
    for path in ["/post/999999", "/post/abc", "/post/1.5", "/post/99999999999999999999999", "/post/999/update"] {
        let page = alice.get(path).await;
        assert_eq!(page.status, Status::NotFound, "{path}");
        assert!(page.shows("Page Not Found"));
    }
    assert_eq!(alice.post_form("/post/abc/delete", &[]).await.status, Status::NotFound);
    assert_eq!(
        alice.post_form("/post/999999/update", &[("title", "x"), ("content", "y")]).await.status,
        Status::NotFound
    );
}

#[rocket::async_test]
async fn only_the_author_sees_the_update_and_delete_controls() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let mut bob = app.signed_up("bob").await;
    let id = alice.writes_post("Mine").await;
    let own = alice.get(&format!("/post/{id}")).await;
    assert!(own.body.contains(&format!("href=\"/post/{id}/update\"")));
    assert!(own.body.contains(&format!("action=\"/post/{id}/delete\"")));
    assert!(own.shows("Delete this post?"), "deletion asks for confirmation");
    for page in [bob.get(&format!("/post/{id}")).await, app.browser().get(&format!("/post/{id}")).await] {
        assert_eq!(page.status, Status::Ok);
        assert!(page.shows("Mine"));
        assert!(!page.body.contains("/update\"") && !page.body.contains("/delete\""));
    }
}

#[rocket::async_test]
async fn the_author_updates_a_post_from_a_filled_in_form() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let id = alice.writes_post("Draft title").await;
    let form = alice.get(&format!("/post/{id}/update")).await;
    assert_eq!(form.status, Status::Ok);
    assert_eq!(form.input_value("title").as_deref(), Some("Draft title"));
    assert!(form.body.contains(">Some words.</textarea>"));

    let bad = alice.post_form(&format!("/post/{id}/update"), &[("title", ""), ("content", "New body")]).await;
    assert_eq!(bad.status, Status::Ok);
    assert_eq!(bad.field_error("title").as_deref(), Some("Title is required."));
    assert_eq!(app.post(id).await.unwrap().title, "Draft title");

    let page =
        alice.post_form(&format!("/post/{id}/update"), &[("title", "Final title"), ("content", "New body")]).await;
    assert_eq!(page.status, Status::SeeOther);
    assert_eq!(page.location, Some(format!("/post/{id}")));
    let shown = alice.follow(&page).await;
    assert_eq!(shown.flashes(), vec![("success".into(), "Your post has been updated!".into())]);
    let stored = app.post(id).await.unwrap();
    assert_eq!((stored.title.as_str(), stored.content.as_str()), ("Final title", "New body"));
    assert!(stored.updated_at >= stored.date_posted);
}

#[rocket::async_test]
async fn editing_someone_elses_post_is_forbidden() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let mut bob = app.signed_up("bob").await;
    let id = alice.writes_post("Hello").await;
    let form = bob.get(&format!("/post/{id}/update")).await;
    assert_eq!(form.status, Status::Forbidden);
    assert!(form.shows("permission"));
    let page = bob.post_form(&format!("/post/{id}/update"), &[("title", "Hacked"), ("content", "x")]).await;
    assert_eq!(page.status, Status::Forbidden);
    assert_eq!(app.post(id).await.unwrap().title, "Hello");
}

#[rocket::async_test]
async fn visitors_are_sent_to_login_from_update_and_delete() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let id = alice.writes_post("Hello").await;
    let mut visitor = app.browser();
    let page = visitor.get(&format!("/post/{id}/update")).await;
    assert_eq!(page.location, Some(format!("/login?next=%2Fpost%2F{id}%2Fupdate")));
    let page = visitor.post_form(&format!("/post/{id}/delete"), &[]).await;
    assert_eq!(page.location.as_deref(), Some("/login"));
    assert!(app.post(id).await.is_some());
}

#[rocket::async_test]
async fn the_author_deletes_a_post_and_others_cannot() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let mut bob = app.signed_up("bob").await;
    let id = alice.writes_post("Short-lived").await;

    assert_eq!(bob.post_form(&format!("/post/{id}/delete"), &[]).await.status, Status::Forbidden);
    assert!(app.post(id).await.is_some());
    assert_eq!(alice.post_raw(&format!("/post/{id}/delete"), &[]).await.status, Status::Forbidden, "no CSRF token");
    assert!(app.post(id).await.is_some());

    let page = alice.post_form(&format!("/post/{id}/delete"), &[]).await;
    assert_eq!(page.status, Status::SeeOther);
    assert_eq!(page.location.as_deref(), Some("/"));
    let home = alice.follow(&page).await;
    assert_eq!(home.flashes(), vec![("success".into(), "Your post has been deleted!".into())]);
    assert!(app.post(id).await.is_none());
    assert_eq!(alice.get(&format!("/post/{id}")).await.status, Status::NotFound);
}

#[rocket::async_test]
async fn a_flash_is_shown_once() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let page = alice.post_form("/post/new", &[("title", "Once"), ("content", "x")]).await;
    let first = alice.follow(&page).await;
    assert_eq!(first.flashes().len(), 1);
    let again = alice.get(page.location.as_deref().unwrap()).await;
    assert!(again.flashes().is_empty());
}

#[rocket::async_test]
async fn listings_cut_long_posts_after_1200_characters_and_the_post_page_shows_them_whole() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let body = format!("{}{}", "é".repeat(1200), "THE END");
    let created = alice.post_form("/post/new", &[("title", "Long one"), ("content", &body)]).await;
    assert_eq!(created.status, Status::SeeOther);
    let home = alice.get("/").await;
    assert!(home.shows(&format!("{}…", "é".repeat(1200))));
    assert!(!home.shows("THE END"));
    assert!(home.shows("Read more"));
    let full = alice.follow(&created).await;
    assert!(full.shows(&body));
    assert!(!full.shows("Read more"));
}
