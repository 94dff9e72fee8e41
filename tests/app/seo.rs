//! What search engines and link previews read: each page's title, description and canonical
//! link, a post's OpenGraph, Twitter and JSON-LD tags, `noindex` on private pages, `robots.txt`
//! and `/sitemap.xml`.

use gazette_tests::TestApp;
use rocket::http::Status;

/// The `content` of the first `<meta>` with this `name` or `property`.
fn meta(body: &str, key: &str) -> Option<String> {
    let marker = [format!("<meta name=\"{key}\" content=\""), format!("<meta property=\"{key}\" content=\"")];
    let (i, m) = marker.iter().find_map(|m| body.find(m.as_str()).map(|i| (i, m)))?;
    let start = i + m.len();
    let end = body[start..].find('"')? + start;
    Some(body[start..end].replace("&#x2F;", "/").replace("&amp;", "&").replace("&quot;", "\"").replace("&#x27;", "'"))
}

fn title(body: &str) -> String {
    let start = body.find("<title>").map_or(0, |i| i + "<title>".len());
    let end = body.find("</title>").unwrap_or(start);
    body[start..end].to_owned()
}

fn canonical(body: &str) -> Option<String> {
    let marker = "<link rel=\"canonical\" href=\"";
    let start = body.find(marker)? + marker.len();
    let end = body[start..].find('"')? + start;
    Some(body[start..end].replace("&#x2F;", "/").replace("&amp;", "&"))
}

#[rocket::async_test]
async fn a_post_page_carries_its_preview_for_search_engines_and_shared_links() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let page = alice
        .post_form(
            "/post/new",
            &[
                ("title", "Previews & <cards>"),
                ("content", "The body, with **words**.\n\n</script><script>alert(1)</script>"),
                ("description", "What a shared link shows"),
                ("tags", "rust, web"),
            ],
        )
        .await;
    let id: i64 = page.location.as_deref().unwrap_or_default().trim_start_matches("/post/").parse().unwrap_or_default();
    let stored = app.post(id).await.map(|p| p.date_posted.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    let mut reader = app.browser();
    let page = reader.get(&format!("/post/{id}")).await;
    let body = &page.body;
    let url = format!("http://127.0.0.1:8000/post/{id}");

    assert_eq!(title(body), "Previews &amp; &lt;cards&gt; · Gazette");
    assert_eq!(meta(body, "description").as_deref(), Some("What a shared link shows"));
    assert_eq!(canonical(body).as_deref(), Some(url.as_str()));
    assert_eq!(meta(body, "og:type").as_deref(), Some("article"));
    assert_eq!(meta(body, "og:title").as_deref(), Some("Previews & &lt;cards&gt;"));
    assert_eq!(meta(body, "og:description").as_deref(), Some("What a shared link shows"));
    assert_eq!(meta(body, "og:url").as_deref(), Some(url.as_str()));
    assert_eq!(
        meta(body, "og:image").as_deref(),
        Some("http://127.0.0.1:8000/static/img/default-avatar.svg"),
        "no picture in the post: the author's avatar"
    );
    assert_eq!(meta(body, "article:published_time"), stored);
    assert_eq!(meta(body, "twitter:card").as_deref(), Some("summary"));
    assert_eq!(meta(body, "twitter:title").as_deref(), Some("Previews & &lt;cards&gt;"));

    // JSON-LD that parses, and that no text of the post can break out of.
    let start = body.find("<script type=\"application/ld+json\">").map(|i| i + 35).unwrap_or_default();
    let end = body[start..].find("</script>").map_or(start, |e| e + start);
    let ld: serde_json::Value = serde_json::from_str(&body[start..end]).unwrap_or_default();
    assert_eq!(ld["@type"], "BlogPosting");
    assert_eq!(ld["headline"], "Previews & <cards>");
    assert_eq!(ld["url"], url);
    assert_eq!(ld["author"]["name"], "alice");
    assert_eq!(ld["author"]["url"], "http://127.0.0.1:8000/user/alice");
    assert_eq!(ld["keywords"], serde_json::json!(["rust", "web"]));
    assert_eq!(ld["datePublished"], serde_json::json!(stored));
    assert!(!body.contains("<script>alert(1)"), "the post's HTML is sanitised everywhere");

    // A post with a picture shows it, absolute, in a large card.
    let picture = gazette_tests::picture(64, 48, image::ImageFormat::Png);
    let uploaded = alice
        .post_multipart(
            "/account/images",
            &[],
            &[gazette_tests::Upload { field: "image", filename: "p.png", content_type: "image/png", bytes: &picture }],
        )
        .await;
    assert!(uploaded.status == Status::SeeOther || uploaded.status == Status::Ok, "{}", uploaded.body);
    let file = app.image_files().pop().unwrap_or_default();
    let content = format!("Look: ![a picture](/media/images/{file})");
    let page = alice.post_form("/post/new", &[("title", "With a picture"), ("content", &content)]).await;
    let with = reader.get(page.location.as_deref().unwrap_or_default()).await;
    assert_eq!(meta(&with.body, "og:image"), Some(format!("http://127.0.0.1:8000/media/images/{file}")));
    assert_eq!(meta(&with.body, "twitter:card").as_deref(), Some("summary_large_image"));
    assert_eq!(meta(&with.body, "description").as_deref(), Some("Look: a picture"), "the excerpt, without a summary");
}

#[rocket::async_test]
async fn every_page_kind_has_a_title_and_description_of_its_own_and_private_pages_are_not_indexed() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    alice.post_form("/post/new", &[("title", "Tagged"), ("content", "Words."), ("tags", "rust")]).await;
    let mut reader = app.browser();
    let mut seen = std::collections::HashSet::new();
    for (path, want_title, want_description) in [
        ("/", "Home · Gazette", "The newest posts on Gazette."),
        ("/user/alice", "Posts by alice · Gazette", "1 post by alice on Gazette."),
        ("/tag/rust", "Posts tagged rust · Gazette", "1 post tagged “rust” on Gazette."),
        ("/tags", "Tags · Gazette", "Every tag on Gazette, the most used first, with how many posts carry it."),
        ("/search?q=words", "Search: words · Gazette", "Posts matching “words”."),
        ("/login", "Log In · Gazette", "Log in to Gazette to write posts, comment and follow authors."),
        (
            "/register",
            "Register · Gazette",
            "Create a Gazette account to write posts, comment and follow the authors you like.",
        ),
    ] {
        let page = reader.get(path).await;
        assert_eq!(page.status, Status::Ok, "{path}");
        assert_eq!(title(&page.body), want_title, "{path}");
        let description = meta(&page.body, "description");
        assert_eq!(description.as_deref(), Some(want_description), "{path}");
        assert!(seen.insert(description), "{path}: a description of its own");
        let noindex = meta(&page.body, "robots").as_deref() == Some("noindex");
        assert_eq!(noindex, path.starts_with("/search"), "{path}");
    }
    assert_eq!(canonical(&reader.get("/home?page=1&utm=x").await.body).as_deref(), Some("http://127.0.0.1:8000/"));
    for path in ["/account", "/drafts", "/following", "/post/new"] {
        let page = alice.get(path).await;
        assert_eq!(page.status, Status::Ok, "{path}");
        assert_eq!(meta(&page.body, "robots").as_deref(), Some("noindex"), "{path}");
    }
}

#[rocket::async_test]
async fn robots_txt_names_the_sitemap_and_keeps_crawlers_out_of_private_pages() {
    let app = TestApp::spawn().await;
    let mut reader = app.browser();
    let robots = reader.get("/robots.txt").await;
    assert_eq!(robots.status, Status::Ok);
    assert_eq!(robots.header("Content-Type"), Some("text/plain; charset=utf-8"));
    for line in [
        "User-agent: *",
        "Disallow: /account",
        "Disallow: /drafts",
        "Disallow: /search",
        "Sitemap: http://127.0.0.1:8000/sitemap.xml",
    ] {
        assert!(robots.body.lines().any(|l| l == line), "{line}:\n{}", robots.body);
    }
    assert!(!robots.body.contains("Disallow: /\n"), "the blog itself is open");
}

#[rocket::async_test]
async fn the_sitemap_lists_visible_posts_with_their_last_change_their_authors_and_tags() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let out = alice.post_form("/post/new", &[("title", "Out"), ("content", "x"), ("tags", "rust, c++")]).await;
    let out: i64 = out.location.as_deref().unwrap_or_default().trim_start_matches("/post/").parse().unwrap_or_default();
    let draft = alice.post_form("/post/new", &[("title", "Draft"), ("content", "x"), ("action", "draft")]).await;
    let draft: i64 =
        draft.location.as_deref().unwrap_or_default().trim_start_matches("/post/").parse().unwrap_or_default();
    app.signed_up("bob").await; // no posts: no page worth listing
    let mut reader = app.browser();
    let page = reader.get("/sitemap.xml").await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.header("Content-Type").is_some_and(|t| t.contains("xml")));
    let body = &page.body;
    assert!(body.starts_with(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"
    ));
    let locs: Vec<&str> = body.split("<loc>").skip(1).filter_map(|rest| rest.split("</loc>").next()).collect();
    assert_eq!(
        locs,
        [
            "http://127.0.0.1:8000/".to_owned(),
            format!("http://127.0.0.1:8000/post/{out}"),
            "http://127.0.0.1:8000/user/alice".to_owned(),
            "http://127.0.0.1:8000/tags".to_owned(),
            "http://127.0.0.1:8000/tag/c%2B%2B".to_owned(),
            "http://127.0.0.1:8000/tag/rust".to_owned(),
        ]
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
    );
    assert!(!body.contains(&format!("/post/{draft}<")), "no draft");
    let changed = app.post(out).await.map(|p| p.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    assert!(body.contains(&format!("<lastmod>{}</lastmod>", changed.unwrap_or_default())), "{body}");
    // The parts answer too, and nothing past them.
    assert!(reader.get("/sitemap/posts/1.xml").await.body.contains(&format!("/post/{out}</loc>")));
    assert!(reader.get("/sitemap/authors/1.xml").await.body.contains("/user/alice</loc>"));
    assert!(reader.get("/sitemap/tags.xml").await.body.contains("/tag/rust</loc>"));
    assert_eq!(reader.get("/sitemap/posts/2.xml").await.status, Status::NotFound);
    assert_eq!(reader.get("/sitemap/posts/0.xml").await.status, Status::NotFound);
    assert_eq!(reader.get("/sitemap/posts/x.xml").await.status, Status::NotFound);
}
