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
    // The body is Markdown, rendered and sanitised: the paragraph stays, the script does not.
    assert!(shown.body.contains("<div class=\"post-body\"><p>Line one</p>"), "{}", shown.body);
    assert!(!shown.body.to_lowercase().contains("<script>alert(1)"), "no script survives");
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
async fn listings_show_a_plain_text_excerpt_cut_at_a_word_and_the_post_page_the_whole_post() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let body = format!("**Bold start** {}THE END", "wörd ".repeat(100));
    let created = alice.post_form("/post/new", &[("title", "Long one"), ("content", &body)]).await;
    assert_eq!(created.status, Status::SeeOther);
    let home = alice.get("/").await;
    let excerpt = format!("Bold start {}…", ["wörd"; 58].join(" "));
    assert!(home.shows(&excerpt), "{}", home.body);
    assert!(!home.shows("THE END") && !home.shows("**"), "plain text, cut");
    assert!(home.shows("Read more") && home.shows("1 min read"));
    let full = alice.follow(&created).await;
    assert!(full.body.contains("<strong>Bold start</strong>"));
    assert!(full.shows("THE END"));
    assert!(!full.shows("Read more"));
}

#[rocket::async_test]
async fn markdown_from_the_api_shows_rendered_on_the_site_and_the_api_answers_its_source() {
    use rocket::http::Method::{Get, Post};
    let app = TestApp::spawn().await;
    let mut c = app.browser();
    let user =
        serde_json::json!({ "user": { "username": "ann", "email": "ann@example.com", "password": "password123" } });
    let token = c.send_json(Post, "/api/users", &user, &[]).await.json()["user"]["token"].as_str().unwrap().to_owned();
    let body = "## Steps\n\n1. one\n2. two\n\n```python\nprint('hi')\n```\n\n\
                [click](javascript:alert(1)) <img src=x onerror=alert(1)> <iframe src=//evil.example></iframe>";
    let article = serde_json::json!({ "article": { "title": "How to", "description": "A guide", "body": body } });
    let auth = [("Authorization", format!("Token {token}"))];
    let auth: Vec<(&str, &str)> = auth.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let created = c.send_json(Post, "/api/articles", &article, &auth).await;
    assert_eq!(created.status, Status::Created);
    assert_eq!(created.json()["article"]["body"], body, "the API answers the Markdown source");
    let again = c.send(Get, "/api/articles/how-to", None, &[]).await;
    assert_eq!(again.json()["article"]["body"], body);

    let id = app.post_count().await as i64;
    let page = app.browser().get(&format!("/post/{id}")).await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.body.contains(r#"<h2 id="h-steps">"#), "{}", page.body);
    assert!(page.body.contains("<ol>\n<li>one</li>"));
    assert!(page.body.contains(r#"<span class="hl-source hl-python">"#));
    let stored = app.post(id).await.unwrap().body_html.unwrap();
    // The page's one script element is its JSON-LD (data, escaped by the server: see seo.rs).
    let page_body = match page.body.split_once(r#"<script type="application/ld+json">"#) {
        Some((before, after)) => format!("{before}{}", after.split_once("</script>").map_or("", |(_, rest)| rest)),
        None => page.body.clone(),
    };
    for shown in [page_body.to_lowercase(), stored.to_lowercase()] {
        for bad in ["javascript:", "onerror", "<iframe", "<script"] {
            assert!(!shown.contains(bad), "{bad} survived");
        }
    }
    // Listings show the description.
    assert!(app.browser().get("/").await.shows("A guide"));
}

#[rocket::async_test]
async fn the_editor_takes_a_description_and_tags_and_previews_without_saving() {
    use rocket::http::Method::Get;
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let fields = [
        ("title", "Tables and code"),
        ("description", "What the editor can do"),
        ("content", "| a | b |\n|---|---|\n| 1 | 2 |\n\n```rust\nlet x = 1;\n```\n\n<script>alert(1)</script>"),
        ("tags", "rust, Web ,rust,"),
    ];
    let preview = alice.post_form("/post/new", &[&fields[..], &[("action", "preview")]].concat()).await;
    assert_eq!(preview.status, Status::Ok);
    assert!(preview.shows("Preview: not saved yet."));
    assert!(preview.body.contains("<td>1</td>") && preview.body.contains("hl-source hl-rust"), "{}", preview.body);
    assert!(!preview.body.contains("<script>alert(1)"));
    assert_eq!(preview.input_value("tags").as_deref(), Some("rust, Web ,rust,"), "the form keeps what was typed");
    assert_eq!(app.post_count().await, 0, "a preview saves nothing");

    let published = alice.post_form("/post/new", &[&fields[..], &[("action", "publish")]].concat()).await;
    assert_eq!(published.status, Status::SeeOther);
    let article = alice.send(Get, "/api/articles/tables-and-code", None, &[]).await.json();
    assert_eq!(article["article"]["tagList"], serde_json::json!(["Web", "rust"]), "blanks and repeats dropped");
    assert_eq!(article["article"]["description"], "What the editor can do");
    assert!(alice.get("/").await.shows("What the editor can do"));
    let edit = alice.get(&format!("{}/update", published.location.as_deref().unwrap())).await;
    assert_eq!(edit.input_value("tags").as_deref(), Some("Web, rust"));
    assert_eq!(edit.input_value("description").as_deref(), Some("What the editor can do"));

    let many: String = (0..21).map(|n| format!("t{n},")).collect();
    let refused = alice.post_form("/post/new", &[("title", "Too many"), ("content", "x"), ("tags", &many)]).await;
    assert_eq!(refused.status, Status::Ok);
    assert!(refused.field_error("tags").is_some(), "{}", refused.body);
    let long = "d".repeat(301);
    let refused = alice.post_form("/post/new", &[("title", "Long"), ("content", "x"), ("description", &long)]).await;
    assert!(refused.field_error("description").is_some());
    assert_eq!(app.post_count().await, 1);
}

#[rocket::async_test]
async fn tags_link_to_their_pages_which_list_and_count_their_posts() {
    let app = TestApp::with(gazette_tests::Settings { posts_per_page: 2, ..Default::default() }).await;
    let mut alice = app.signed_up("alice").await;
    for (title, tags) in [("One", "rust"), ("Two", "rust, web"), ("Three", "rust"), ("Four", "web")] {
        let page = alice.post_form("/post/new", &[("title", title), ("content", "Words."), ("tags", tags)]).await;
        assert_eq!(page.status, Status::SeeOther);
    }
    let home = alice.get("/").await;
    assert!(home.body.contains(r#"<a class="tag" href="/tag/web">web</a>"#), "{}", home.body);

    let rust = alice.get("/tag/rust").await;
    assert_eq!(rust.status, Status::Ok);
    assert!(rust.shows("Posts tagged rust (3)"));
    assert!(
        rust.shows("Three") && rust.shows("Two") && !rust.shows("Four") && !rust.shows("One"),
        "newest first, two a page"
    );
    let second = alice.get("/tag/rust?page=2").await;
    assert!(second.shows("One") && !second.shows("Three"));
    assert_eq!(alice.get("/tag/rust?page=3").await.status, Status::NotFound);
    assert_eq!(alice.get("/tag/nothing").await.status, Status::NotFound);

    let tags = alice.get("/tags").await;
    let (rust_at, web_at) = (tags.body.find("/tag/rust").unwrap(), tags.body.find("/tag/web").unwrap());
    assert!(rust_at < web_at, "the most used first");
    assert!(tags.body.contains(r#"rust <span class="muted">(3)</span>"#), "{}", tags.body);
    assert!(tags.body.contains(r#"web <span class="muted">(2)</span>"#));
    let post = alice.get("/post/4").await;
    assert!(post.body.contains(r#"href="/tag/web""#));
}

#[rocket::async_test]
async fn a_body_over_the_form_limit_gets_a_form_error_and_nothing_is_saved() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    // A megabyte: twice the form limit (a 20 MB body is refused the same way, after reading 512 KiB).
    let huge = "word ".repeat(200 * 1024);
    let page = alice.post_form("/post/new", &[("title", "Huge"), ("content", &huge)]).await;
    assert_eq!(page.status, Status::Ok);
    assert_eq!(
        page.field_error("content").as_deref(),
        Some("The post is too large to send (at most 100000 characters): nothing was saved.")
    );
    assert_eq!(app.post_count().await, 0);
    let id = alice.writes_post("Small").await;
    let page = alice.post_form(&format!("/post/{id}/update"), &[("title", "Small"), ("content", &huge)]).await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.field_error("content").is_some());
    assert_eq!(page.input_value("title").as_deref(), Some("Small"), "the form shows the post as saved");
    assert_eq!(app.post(id).await.unwrap().content, "Some words.");
    // Over the limit without a token: still nothing saved, and no way to post past the check.
    let forged = alice.post_raw("/post/new", &[("title", "Huge"), ("content", &huge)]).await;
    assert_eq!(forged.status, Status::Ok);
    assert_eq!(app.post_count().await, 1);
}
