//! Drafts and scheduled posts on the site: only their author (and moderators) see them until
//! they are published, and a scheduled post appears everywhere at its time. The clock is moved,
//! never waited for.

use gazette_tests::TestApp;
use rocket::http::Status;

fn id_of(location: Option<&str>) -> i64 {
    location.and_then(|l| l.strip_prefix("/post/")).and_then(|id| id.parse().ok()).unwrap_or_default()
}

/// Whether each reader-facing page lists a post called `title`.
async fn listed(b: &mut gazette_tests::Browser<'_>, title: &str) -> [bool; 4] {
    let api = b.get("/api/articles").await.json();
    let in_api = api["articles"].as_array().is_some_and(|list| list.iter().any(|a| a["title"] == title));
    let tag = b.get("/tag/news").await;
    [b.get("/").await.shows(title), b.get("/user/alice").await.shows(title), tag.shows(title), in_api]
}

#[rocket::async_test]
async fn a_draft_is_its_authors_alone_until_it_is_published() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let mut bob = app.signed_up("bob").await;
    let mut visitor = app.browser();
    let saved = alice
        .post_form(
            "/post/new",
            &[("title", "Half done"), ("content", "Not yet."), ("tags", "news"), ("action", "draft")],
        )
        .await;
    assert_eq!(saved.status, Status::SeeOther);
    let id = id_of(saved.location.as_deref());
    let shown = alice.follow(&saved).await;
    assert_eq!(shown.flashes(), vec![("success".into(), "Your draft has been saved.".into())]);
    assert!(shown.body.contains(r#"<p class="badge">Draft</p>"#), "{}", shown.body);
    let slug = app.post(id).await.unwrap().slug.unwrap();

    for reader in [&mut visitor, &mut bob] {
        assert_eq!(listed(reader, "Half done").await, [false; 4]);
        assert_eq!(reader.get(&format!("/post/{id}")).await.status, Status::NotFound, "not 403: it does not exist");
        assert_eq!(reader.get(&format!("/api/articles/{slug}")).await.status, Status::NotFound);
        assert_eq!(reader.get(&format!("/api/articles/{slug}/comments")).await.status, Status::NotFound);
        assert_eq!(reader.get("/tag/news").await.status, Status::NotFound, "a tag of drafts only is no tag");
        assert!(!reader.get("/tags").await.shows("news"));
    }
    assert_eq!(bob.get(&format!("/post/{id}/update")).await.status, Status::NotFound);
    let taken = bob.post_form(&format!("/post/{id}/update"), &[("title", "Mine"), ("content", "x")]).await;
    assert_eq!(taken.status, Status::NotFound);
    assert_eq!(bob.post_form(&format!("/post/{id}/delete"), &[]).await.status, Status::NotFound);
    assert_eq!(listed(&mut alice, "Half done").await, [false; 4], "listings are for readers, the author too");

    let drafts = alice.get("/drafts").await;
    assert_eq!(drafts.status, Status::Ok);
    assert!(drafts.shows("Drafts and scheduled posts (1)") && drafts.shows("Half done"));
    assert_eq!(drafts.header("Cache-Control"), Some("no-store"));
    assert!(!bob.get("/drafts").await.shows("Half done"), "one's own drafts only");
    let refused = visitor.get("/drafts").await;
    assert_eq!(refused.status, Status::SeeOther, "visitors are sent to log in");

    // The editor offers to publish it; publishing dates it now.
    let form = alice.get(&format!("/post/{id}/update")).await;
    assert!(form.body.contains(r#"value="publish">Publish</button>"#), "{}", form.body);
    let published = alice
        .post_form(
            &format!("/post/{id}/update"),
            &[("title", "Half done"), ("content", "Done now."), ("tags", "news"), ("action", "publish")],
        )
        .await;
    assert_eq!(published.status, Status::SeeOther);
    assert_eq!(
        alice.follow(&published).await.flashes(),
        vec![("success".into(), "Your post has been updated!".into())]
    );
    assert_eq!(listed(&mut visitor, "Half done").await, [true; 4]);
    assert!(visitor.get("/").await.shows("1 min read"));
    assert!(!visitor.get(&format!("/post/{id}")).await.body.contains("badge"));
    assert!(alice.get("/drafts").await.shows("(0)"));
    // Unpublishing takes it back out of everything.
    let form = alice.get(&format!("/post/{id}/update")).await;
    assert!(form.body.contains(r#"value="draft">Unpublish to draft</button>"#));
    let fields = [("title", "Half done"), ("content", "Done now."), ("tags", "news"), ("action", "draft")];
    alice.post_form(&format!("/post/{id}/update"), &fields).await;
    assert_eq!(listed(&mut visitor, "Half done").await, [false; 4]);
}

#[rocket::async_test]
async fn a_moderator_sees_a_draft_with_its_badge() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let mut moderator = app.signed_up("mod").await;
    app::accounts::set_moderator(app.app(), "mod", true).await.unwrap();
    let saved = alice.post_form("/post/new", &[("title", "Draft"), ("content", "x"), ("action", "draft")]).await;
    let page = moderator.get(saved.location.as_deref().unwrap()).await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.body.contains(r#"<p class="badge">Draft</p>"#));
}

#[rocket::async_test]
async fn a_scheduled_post_appears_everywhere_at_its_time_with_every_count_right() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let mut visitor = app.browser();
    alice.post_form("/post/new", &[("title", "Already out"), ("content", "x"), ("tags", "news")]).await;
    let at = app.app().clock().now() + chrono::Duration::hours(3);
    let local = at.format("%Y-%m-%dT%H:%M").to_string();
    let saved = alice
        .post_form(
            "/post/new",
            &[
                ("title", "Coming soon"),
                ("content", "x"),
                ("tags", "news"),
                ("publish_at", &local),
                ("action", "schedule"),
            ],
        )
        .await;
    assert_eq!(saved.status, Status::SeeOther);
    let id = id_of(saved.location.as_deref());
    let when = at.format("%B %-d, %Y at %H:%M").to_string();
    let shown = alice.follow(&saved).await;
    assert_eq!(shown.flashes(), vec![("success".into(), format!("Your post is scheduled for {when} (UTC)."))]);
    assert!(shown.body.contains(&format!(r#"<p class="badge">Scheduled for {when} (UTC)</p>"#)), "{}", shown.body);
    let form = alice.get(&format!("/post/{id}/update")).await;
    assert_eq!(form.input_value("publish_at").as_deref(), Some(local.as_str()), "the editor shows the time");
    assert!(form.shows("Time zone: UTC"));

    assert_eq!(listed(&mut visitor, "Coming soon").await, [false; 4]);
    assert_eq!(visitor.get(&format!("/post/{id}")).await.status, Status::NotFound);
    assert!(visitor.get("/tag/news").await.shows("Posts tagged news (1)"));
    app.app().clock().advance(std::time::Duration::from_secs(2 * 3600));
    app::posts::publish_due(app.app()).await.unwrap();
    assert_eq!(listed(&mut visitor, "Coming soon").await, [false; 4], "not before its time");

    app.app().clock().advance(std::time::Duration::from_secs(3600));
    app::posts::publish_due(app.app()).await.unwrap();
    assert_eq!(listed(&mut visitor, "Coming soon").await, [true; 4]);
    assert_eq!(visitor.get(&format!("/post/{id}")).await.status, Status::Ok);
    assert!(visitor.get("/tag/news").await.shows("Posts tagged news (2)"));
    assert!(visitor.get("/tags").await.body.contains(r#"news <span class="muted">(2)</span>"#));
    let home = visitor.get("/").await;
    assert!(home.body.find("Coming soon").unwrap() < home.body.find("Already out").unwrap(), "the newest first");
    let api = visitor.get("/api/articles").await.json();
    assert_eq!(api["articlesCount"], 2);
    assert_eq!(app.post(id).await.unwrap().date_posted.format("%Y-%m-%dT%H:%M").to_string(), local);
}

#[rocket::async_test]
async fn scheduling_for_a_past_time_publishes_now_and_says_so() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let saved = alice
        .post_form(
            "/post/new",
            &[("title", "Late"), ("content", "x"), ("publish_at", "2020-01-01T09:00"), ("action", "schedule")],
        )
        .await;
    let shown = alice.follow(&saved).await;
    assert_eq!(
        shown.flashes(),
        vec![("warning".into(), "The time you chose has already passed, so your post was published now.".into())]
    );
    assert!(app.browser().get("/").await.shows("Late"));
}

#[rocket::async_test]
async fn a_bad_publish_time_is_a_form_error_that_keeps_what_was_typed() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    for (publish_at, message) in [
        ("", "Choose when to publish the post."),
        ("next tuesday", "Enter the date and time as YYYY-MM-DD HH:MM."),
        ("2026-02-30T10:00", "Enter the date and time as YYYY-MM-DD HH:MM."),
    ] {
        let page = alice
            .post_form(
                "/post/new",
                &[
                    ("title", "Kept"),
                    ("content", "All of this."),
                    ("tags", "a, b"),
                    ("publish_at", publish_at),
                    ("action", "schedule"),
                ],
            )
            .await;
        assert_eq!(page.status, Status::Ok, "{publish_at}");
        assert_eq!(page.field_error("publish_at").as_deref(), Some(message), "{publish_at}");
        assert_eq!(page.input_value("title").as_deref(), Some("Kept"));
        assert_eq!(page.input_value("tags").as_deref(), Some("a, b"));
        assert!(page.body.contains("All of this."));
    }
    let odd = alice.post_form("/post/new", &[("title", "x"), ("content", "x"), ("action", "explode")]).await;
    assert_eq!(odd.status, Status::UnprocessableEntity);
    assert_eq!(app.post_count().await, 0);
}

#[rocket::async_test]
async fn publish_times_are_read_and_shown_in_the_authors_time_zone() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let account = alice.get("/account").await;
    assert!(account.body.contains("<option selected>UTC</option>"), "UTC until chosen");
    let fields = |zone| [("username", "alice"), ("email", "alice@example.com"), ("time_zone", zone)];
    let refused = alice.post_form("/account", &fields("Mars/Olympus")).await;
    assert_eq!(
        refused.field_error("time_zone").as_deref(),
        Some("Choose a time zone from the list (such as Europe/Paris or UTC).")
    );
    let saved = alice.post_form("/account", &fields("Europe/Paris")).await;
    assert_eq!(saved.status, Status::SeeOther);
    assert_eq!(app.user("alice").await.unwrap().time_zone.as_deref(), Some("Europe/Paris"));
    assert!(alice.get("/account").await.shows("<option selected>Europe/Paris</option>"));
    assert!(alice.get("/post/new").await.shows("Time zone: Europe/Paris"));

    let saved = alice
        .post_form(
            "/post/new",
            &[("title", "Christmas"), ("content", "x"), ("publish_at", "2099-12-24T18:30"), ("action", "schedule")],
        )
        .await;
    let id = id_of(saved.location.as_deref());
    let stored = app.post(id).await.unwrap().date_posted;
    assert_eq!(stored.to_rfc3339(), "2099-12-24T17:30:00+00:00", "18:30 in Paris is 17:30 UTC in winter");
    let shown = alice.follow(&saved).await;
    assert!(shown.shows(r#"<p class="badge">Scheduled for December 24, 2099 at 18:30 (Europe/Paris)</p>"#));
    let form = alice.get(&format!("/post/{id}/update")).await;
    assert_eq!(form.input_value("publish_at").as_deref(), Some("2099-12-24T18:30"));
}

#[rocket::async_test]
async fn the_api_does_not_reveal_someone_elses_draft_by_any_route_and_shows_the_author_theirs() {
    use crate::realworld::{call, register};
    use rocket::http::Method::{Delete, Get, Post, Put};
    let app = TestApp::spawn().await;
    let mut c = app.browser();
    let alice_token = register(&mut c, "alice").await;
    let bob_token = register(&mut c, "bob").await;
    let mut alice = app.browser();
    alice.post_form("/login", &[("email", "alice@example.com"), ("password", gazette_tests::PASSWORD)]).await;
    let saved = alice.post_form("/post/new", &[("title", "Secret plan"), ("content", "x"), ("action", "draft")]).await;
    let slug = app.post(id_of(saved.location.as_deref())).await.unwrap().slug.unwrap();
    let article = format!("/api/articles/{slug}");
    let (status, body) = call(&mut c, Get, &article, None, Some(&alice_token)).await;
    assert_eq!(status, Status::Ok, "its author reads it");
    assert_eq!(body["article"]["title"], "Secret plan");
    let change = serde_json::json!({ "article": { "title": "Mine" } });
    let comment = serde_json::json!({ "comment": { "body": "Found it" } });
    for (method, uri, body) in [
        (Get, article.clone(), None),
        (Put, article.clone(), Some(change)),
        (Delete, article.clone(), None),
        (Post, format!("{article}/favorite"), None),
        (Get, format!("{article}/comments"), None),
        (Post, format!("{article}/comments"), Some(comment)),
    ] {
        let (status, _) = call(&mut c, method, &uri, body, Some(&bob_token)).await;
        assert_eq!(status, Status::NotFound, "{method} {uri}");
    }
    let (_, feed) = call(&mut c, Get, "/api/articles?author=alice", None, Some(&alice_token)).await;
    assert_eq!(feed["articlesCount"], 0, "lists are for readers");
    assert_eq!(app.post(id_of(saved.location.as_deref())).await.unwrap().title, "Secret plan");
}
