//! Feeds: Atom for the site, an author and a tag, RSS for the site; read back with the crates
//! that parse them; their validators and 304s; only visible posts; discovery links.

use gazette_tests::TestApp;
use rocket::http::Status;

fn atom(body: &str) -> atom_syndication::Feed {
    let parsed = body.parse::<atom_syndication::Feed>();
    assert!(parsed.is_ok(), "not Atom: {:?}\n{body}", parsed.as_ref().err());
    parsed.unwrap_or_default()
}

#[rocket::async_test]
async fn the_site_feeds_carry_the_newest_visible_posts_with_their_html_author_and_tags() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let fields = [("title", "Feeds & <things>"), ("content", "Some **bold** words."), ("tags", "rust, web")];
    alice.post_form("/post/new", &fields).await;
    let id = app.post_count().await as i64;
    alice.post_form("/post/new", &[("title", "Secret draft"), ("content", "Not yet."), ("action", "draft")]).await;
    let mut reader = app.browser();

    let page = reader.get("/feed.atom").await;
    assert_eq!(page.status, Status::Ok);
    assert_eq!(page.header("Content-Type"), Some("application/atom+xml"));
    let feed = atom(&page.body);
    assert_eq!(feed.title.value, "Gazette");
    assert_eq!(feed.id, "http://127.0.0.1:8000/feed.atom");
    assert_eq!(feed.entries.len(), 1, "the draft is not in it");
    let entry = &feed.entries[0];
    assert_eq!(entry.title.value, "Feeds & <things>");
    assert_eq!(entry.id, format!("http://127.0.0.1:8000/post/{id}"));
    assert_eq!(entry.links[0].href, format!("http://127.0.0.1:8000/post/{id}"));
    assert_eq!(entry.authors[0].name, "alice");
    assert_eq!(entry.authors[0].uri.as_deref(), Some("http://127.0.0.1:8000/user/alice"));
    let terms: Vec<&str> = entry.categories.iter().map(|c| c.term.as_str()).collect();
    assert_eq!(terms, ["rust", "web"]);
    let content = entry.content.as_ref().unwrap();
    assert_eq!(content.content_type.as_deref(), Some("html"));
    assert!(content.value.as_deref().unwrap().contains("<strong>bold</strong>"), "{content:?}");
    assert!(entry.published.is_some());

    let page = reader.get("/feed.rss").await;
    assert_eq!(page.header("Content-Type"), Some("application/rss+xml"));
    let channel = page.body.parse::<rss::Channel>().unwrap();
    assert_eq!(channel.items.len(), 1);
    let item = &channel.items[0];
    assert_eq!(item.title.as_deref(), Some("Feeds & <things>"));
    assert_eq!(item.guid.as_ref().map(|g| g.value.as_str()), Some(format!("http://127.0.0.1:8000/post/{id}").as_str()));
    assert!(item.description.as_deref().unwrap().contains("<strong>bold</strong>"));
    assert_eq!(item.dublin_core_ext.as_ref().unwrap().creators, ["alice"]);
    assert!(!page.body.contains("alice@example.com"), "no email in the feed");

    // The id stays when the title changes.
    alice.post_form(&format!("/post/{id}/update"), &[("title", "Renamed"), ("content", "Some **bold** words.")]).await;
    let feed = atom(&reader.get("/feed.atom").await.body);
    assert_eq!(
        (feed.entries[0].title.value.as_str(), feed.entries[0].id.clone()),
        ("Renamed", format!("http://127.0.0.1:8000/post/{id}"))
    );
}

#[rocket::async_test]
async fn author_and_tag_feeds_carry_their_posts_and_unknown_ones_are_404() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    alice.post_form("/post/new", &[("title", "Rusty"), ("content", "Words."), ("tags", "rust")]).await;
    let mut bob = app.signed_up("bob").await;
    bob.post_form("/post/new", &[("title", "Webby"), ("content", "Words."), ("tags", "web")]).await;
    let mut reader = app.browser();
    let by_alice = atom(&reader.get("/user/ALICE/feed.atom").await.body);
    assert_eq!(by_alice.title.value, "Posts by alice · Gazette");
    assert_eq!(by_alice.entries.iter().map(|e| e.title.value.as_str()).collect::<Vec<_>>(), ["Rusty"]);
    let tagged = atom(&reader.get("/tag/web/feed.atom").await.body);
    assert_eq!(tagged.entries.iter().map(|e| e.title.value.as_str()).collect::<Vec<_>>(), ["Webby"]);
    assert_eq!(reader.get("/user/nobody/feed.atom").await.status, Status::NotFound);
    assert_eq!(reader.get("/tag/nothing/feed.atom").await.status, Status::NotFound);

    // Pages name their feeds for feed readers to find.
    let home = reader.get("/").await;
    assert!(
        home.body
            .contains(r#"<link rel="alternate" type="application/atom+xml" title="Gazette (Atom)" href="/feed.atom">"#)
    );
    assert!(home.body.contains(r#"type="application/rss+xml""#));
    assert!(reader.get("/user/alice").await.body.contains(r#"href="/user/alice/feed.atom""#));
    assert!(reader.get("/tag/rust").await.body.contains(r#"href="/tag/rust/feed.atom""#));
}

#[rocket::async_test]
async fn a_reader_who_has_the_feed_gets_304_until_it_changes() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let id = alice.writes_post("First").await;
    let mut reader = app.browser();
    let first = reader.get("/feed.atom").await;
    let etag = first.header("ETag").unwrap().to_owned();
    let modified = first.header("Last-Modified").unwrap().to_owned();
    assert!(etag.starts_with('"') && modified.ends_with(" GMT"), "{etag} {modified}");
    let again = reader.send(rocket::http::Method::Get, "/feed.atom", None, &[("If-None-Match", &etag)]).await;
    assert_eq!(again.status, Status::NotModified);
    assert!(again.body.is_empty());
    let since = reader.send(rocket::http::Method::Get, "/feed.atom", None, &[("If-Modified-Since", &modified)]).await;
    assert_eq!(since.status, Status::NotModified);

    alice.post_form(&format!("/post/{id}/update"), &[("title", "First, edited"), ("content", "Some words.")]).await;
    let changed = reader.send(rocket::http::Method::Get, "/feed.atom", None, &[("If-None-Match", &etag)]).await;
    assert_eq!(changed.status, Status::Ok, "a changed feed is sent again");
    assert_ne!(changed.header("ETag"), Some(etag.as_str()));
    let other = reader.send(rocket::http::Method::Get, "/feed.rss", None, &[("If-None-Match", "\"nope\"")]).await;
    assert_eq!(other.status, Status::Ok);
}

/// Feeds are kept by what they show: a body rendered again (`gazette rerender`, which leaves the
/// post's update time alone) is in the next feed, under a new validator.
#[rocket::async_test]
async fn a_body_rendered_again_is_in_the_next_feed() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let fields = [("title", "Rendered"), ("content", "Some **bold** words.")];
    alice.post_form("/post/new", &fields).await;
    let id = app.post_count().await as i64;
    let mut reader = app.browser();
    let first = reader.get("/feed.atom").await;
    assert!(first.body.contains("&lt;strong&gt;bold&lt;/strong&gt;"), "{}", first.body);
    let rendered = persistence::posts::Rendered {
        format: "markdown".into(),
        html: Some("<p>Some <em>new</em> words.</p>".into()),
        excerpt: "Some new words.".into(),
        words: 3,
    };
    persistence::posts::set_rendered(&app.db, id, rendered).await.unwrap();
    let again = reader.get("/feed.atom").await;
    assert!(again.body.contains("&lt;em&gt;new&lt;/em&gt;") && !again.body.contains("bold&lt;"), "{}", again.body);
    assert_ne!(again.header("ETag"), first.header("ETag"));
}

#[rocket::async_test]
async fn a_feed_of_very_long_posts_stays_bounded_and_keeps_every_entry() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    // About 100 KB of HTML each: seven are more than a feed carries in full.
    let long = "A sentence of some length, repeated to fill the post. ".repeat(1_800);
    for n in 0..7 {
        let title = format!("Long {n}");
        alice.post_form("/post/new", &[("title", &title), ("content", &long), ("description", "Short summary")]).await;
    }
    let mut reader = app.browser();
    let page = reader.get("/feed.atom").await;
    let feed = atom(&page.body);
    assert_eq!(feed.entries.len(), 7, "every entry is listed");
    let full = feed.entries.iter().filter(|e| e.content.is_some()).count();
    assert!((1..7).contains(&full), "{full} entries in full");
    assert!(feed.entries.iter().all(|e| e.summary.as_ref().is_some_and(|s| s.value == "Short summary")));
    assert!(page.body.len() < 600 * 1024, "{} bytes", page.body.len());
    let rss = reader.get("/feed.rss").await;
    assert!(rss.body.len() < 600 * 1024, "{} bytes", rss.body.len());
    assert_eq!(rss.body.parse::<rss::Channel>().map(|c| c.items.len()).unwrap_or_default(), 7);
}
