//! The home page, its pagination, the about page, error pages and static files.

use gazette_tests::{PASSWORD, Settings, TestApp};
use rocket::http::Status;

#[rocket::async_test]
async fn an_empty_blog_shows_an_empty_first_page() {
    let app = TestApp::spawn().await;
    let mut reader = app.browser();
    let page = reader.get("/").await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.shows("No posts yet"));
    assert!(!page.body.contains("class=\"pager\""));
}

#[rocket::async_test]
async fn the_home_page_lists_posts_newest_first_with_their_authors() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let first = alice.writes_post("The first post").await;
    let second = alice.writes_post("The second post").await;
    let mut reader = app.browser();
    for path in ["/", "/home"] {
        let page = reader.get(path).await;
        assert_eq!(page.status, Status::Ok);
        let newer = page.body.find(&format!("href=\"/post/{second}\"")).expect("second post linked");
        let older = page.body.find(&format!("href=\"/post/{first}\"")).expect("first post linked");
        assert!(newer < older, "newest first on {path}");
        assert!(page.body.contains("href=\"/user/alice\""));
        assert!(page.shows("/static/img/default-avatar.svg"));
        assert!(page.shows("Some words."));
    }
}

#[rocket::async_test]
async fn each_page_holds_posts_per_page_posts_and_the_links_skip_with_gaps() {
    let app = TestApp::spawn().await;
    let alice = app.signed_up("alice").await;
    app.seed_posts(alice.user_id.unwrap(), 40).await;
    let mut reader = app.browser();

    let page = reader.get("/?page=4").await;
    assert_eq!(page.status, Status::Ok);
    // 40 posts, 5 a page, newest first: page 4 holds posts 25 down to 21.
    let titles: Vec<&str> = page.body.match_indices("Post ").map(|(i, _)| &page.body[i..i + 7]).collect();
    assert!(page.shows("Post 25") && page.shows("Post 21"), "{titles:?}");
    assert!(!page.shows("Post 26<") && !page.shows("Post 20<"));
    assert_eq!(page.body.matches("<article class=\"post\">").count(), 5);
    // Links: 1 … 3 [4] 5 6 … 8
    let body = page.body.replace("&#x2F;", "/");
    let pager = &body[body.find("class=\"pager\"").unwrap()..];
    let pager = &pager[..pager.find("</nav>").unwrap()];
    for n in [1, 3, 5, 6, 8] {
        assert!(pager.contains(&format!("href=\"/?page={n}\">{n}</a>")), "link to {n} in {pager}");
    }
    for n in [2, 7] {
        assert!(!pager.contains(&format!("href=\"/?page={n}\">{n}</a>")), "no link to {n}");
    }
    assert_eq!(pager.matches('…').count(), 2);
    assert!(pager.contains("aria-current=\"page\">4</span>"));

    let last = reader.get("/?page=8").await;
    assert_eq!(last.status, Status::Ok);
    assert_eq!(last.body.matches("<article class=\"post\">").count(), 5);
    assert!(last.shows("Post 1<"));
}

#[rocket::async_test]
async fn page_numbers_that_are_not_positive_integers_or_past_the_end_are_not_found() {
    let app = TestApp::with(Settings { posts_per_page: 2, ..Settings::default() }).await;
    let alice = app.signed_up("alice").await;
    app.seed_posts(alice.user_id.unwrap(), 3).await;
    let mut reader = app.browser();
    assert_eq!(reader.get("/?page=2").await.status, Status::Ok);
    for bad in ["0", "-1", "abc", "1.5", "3", "99999999999999999999999", ""] {
        let page = reader.get(&format!("/?page={bad}")).await;
        assert_eq!(page.status, Status::NotFound, "?page={bad}");
        assert!(page.shows("Page Not Found"), "custom 404 page for ?page={bad}");
    }
    assert_eq!(reader.get("/home?page=0").await.status, Status::NotFound);
}

#[rocket::async_test]
async fn the_about_page_and_the_stylesheet_are_served() {
    let app = TestApp::spawn().await;
    let mut reader = app.browser();
    let about = reader.get("/about").await;
    assert_eq!(about.status, Status::Ok);
    assert!(about.shows("About Gazette"));
    let css = reader.get("/static/css/main.css").await;
    assert_eq!(css.status, Status::Ok);
    assert_eq!(css.content_type.as_deref(), Some("text/css; charset=utf-8"));
    let response = app.client.get("/static/css/main.css").dispatch().await;
    assert_eq!(response.headers().get_one("Cache-Control"), Some("public, max-age=3600"));
    let page = app.client.get("/about").dispatch().await;
    assert_eq!(page.headers().get_one("Cache-Control"), None, "pages are not cached");
}

#[rocket::async_test]
async fn the_navigation_offers_login_to_visitors_and_writing_to_users() {
    let app = TestApp::spawn().await;
    let visitor = app.browser().get("/").await;
    assert!(visitor.body.contains("href=\"/login\"") && visitor.body.contains("href=\"/register\""));
    assert!(!visitor.body.contains("href=\"/post/new\""));
    let mut alice = app.signed_up("alice").await;
    let page = alice.get("/").await;
    assert!(page.body.contains("href=\"/post/new\"") && page.body.contains("href=\"/account\""));
    assert!(page.body.contains("action=\"/logout\""));
    assert!(!page.body.contains("href=\"/login\""));
}

#[rocket::async_test]
async fn unknown_addresses_get_the_custom_404_page_without_internals() {
    let app = TestApp::spawn().await;
    let page = app.browser().get("/no/such/page").await;
    assert_eq!(page.status, Status::NotFound);
    assert!(page.shows("Page Not Found"));
    assert!(
        page.body.contains(&format!("href=\"{}\"", gazette_tests::static_url("css/main.css"))),
        "rendered in the layout"
    );
}

#[rocket::async_test]
async fn seeding_adds_demo_users_and_posts_in_batches_that_can_log_in() {
    let app = TestApp::spawn().await;
    app::seed::run(app.app(), 3, 1_203).await.unwrap();
    app::seed::run(app.app(), 2, 0).await.unwrap();
    assert_eq!(persistence::users::count_all(&app.db).await.unwrap(), 5);
    assert_eq!(app.post_count().await, 1_203);
    let mut reader = app.browser();
    let last_page = reader.get("/?page=241").await;
    assert_eq!(last_page.status, Status::Ok);
    assert_eq!(last_page.body.matches("<article class=\"post\">").count(), 3);
    assert!(reader.get("/").await.shows("Demo post 1203"), "the newest post comes first");
    // Demo posts are Markdown with a highlighted code block, and tagged.
    let newest = reader.get("/").await;
    let post = reader.get(&format!("/post/{}", app.post_count().await)).await;
    assert!(post.body.contains(r#"<span class="hl-source hl-rust">"#), "{}", post.body);
    assert!(newest.body.contains(r#"class="tag""#));
    // "rust" is the first tag of every fifth post (241 of 1,203) and the second of 80 more.
    assert!(reader.get("/tag/rust").await.shows("Posts tagged rust (321)"));
    let page =
        reader.post_form("/login", &[("email", "demo5@example.com"), ("password", app::seed::DEMO_PASSWORD)]).await;
    assert_eq!(page.location.as_deref(), Some("/"));
}

#[rocket::async_test]
async fn pages_forbid_framing_inline_scripts_and_foreign_form_targets() {
    let app = TestApp::spawn().await;
    let response = app.client.get("/").dispatch().await;
    let csp = response.headers().get_one("Content-Security-Policy").unwrap_or_default().to_owned();
    for directive in ["default-src 'self'", "frame-ancestors 'none'", "form-action 'self'", "object-src 'none'"] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    assert_eq!(response.headers().get_one("X-Content-Type-Options"), Some("nosniff"));
    assert_eq!(response.headers().get_one("Referrer-Policy"), Some("same-origin"));
}

#[rocket::async_test]
async fn a_post_that_is_not_a_form_gets_an_error_page_not_a_crash() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post("/register")
        .header(rocket::http::ContentType::JSON)
        .body(r#"{"username":"x"}"#)
        .dispatch()
        .await;
    let status = response.status();
    let body = response.into_string().await.unwrap_or_default();
    assert!(status.class().is_client_error(), "{status}");
    assert!(body.contains(&format!("({})", status.code)), "a custom page for {status}: {body}");
    assert_eq!(persistence::users::count_all(&app.db).await.unwrap(), 0);
}

#[rocket::async_test]
async fn a_database_failure_shows_the_500_page_and_nothing_internal() {
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn().await;
    // Every listing reads the post counts first.
    app.db.execute_unprepared("ALTER TABLE post_counts RENAME TO counts_elsewhere").await.unwrap();
    let page = app.browser().get("/").await;
    assert_eq!(page.status, Status::InternalServerError);
    assert!(page.shows("Something went wrong (500)"));
    for internal in
        // Source paths as they appear in Rust's messages (`src/….rs:12`); the page links `/feed.rss`.
        [
            "post_counts",
            "counts_elsewhere",
            "posts",
            "SELECT",
            "relation",
            "no such table",
            ".rs:",
            "src/",
            "panicked",
        ]
    {
        assert!(!page.body.contains(internal), "{internal} leaked");
    }
}

#[rocket::async_test]
async fn without_a_configured_secret_key_one_is_generated_privately_and_kept() {
    use std::os::unix::fs::PermissionsExt;
    let app = TestApp::with(Settings { no_secret_key: true, ..Settings::default() }).await;
    let path = app.data_dir.join("secret_key");
    let mode = std::fs::metadata(&path).expect("a key file in the data folder").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let key = std::fs::read_to_string(&path).unwrap();
    let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, key.trim()).unwrap();
    assert_eq!(app.client.rocket().config().secret_key, rocket::config::SecretKey::from(&bytes));
    // Logins work with it.
    let mut alice = app.signed_up("alice").await;
    assert_eq!(alice.get("/account").await.status, Status::Ok);
}

#[rocket::async_test]
async fn posts_written_before_slugs_existed_get_one_when_the_database_is_migrated() {
    use migration::MigratorTrait;
    use sea_orm::ConnectionTrait;
    let dir = tempfile::tempdir().unwrap();
    let db = persistence::connect(&format!("sqlite://{}/old.db", dir.path().display())).await.unwrap();
    // The schema as it was before slugs (the first six migrations), with a post in it.
    migration::Migrator::up(&db, Some(6)).await.unwrap();
    db.execute_unprepared(
        "INSERT INTO users (id, username, username_key, email, password_hash, is_admin, created_at) \
         VALUES (1, 'old', 'old', 'old@example.com', 'x', false, '2026-01-01T00:00:00Z')",
    )
    .await
    .unwrap();
    db.execute_unprepared(
        "INSERT INTO posts (id, title, content, date_posted, updated_at, user_id) \
         VALUES (7, 'An Old Post!', 'Still here', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 1)",
    )
    .await
    .unwrap();
    persistence::migrate(&db).await.unwrap();
    let row = persistence::articles::find_by_slug(&db, "an-old-post-7").await.unwrap().expect("a slug from the title");
    assert_eq!((row.id, row.content.as_str(), row.description.as_str()), (7, "Still here", ""));
    assert_eq!(persistence::posts::find_by_id(&db, 7).await.unwrap().unwrap().title, "An Old Post!");
}

#[rocket::async_test]
async fn reading_the_blog_sets_no_cookie_and_forms_get_their_token() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    alice.writes_post("Hello").await;
    let mut visitor = app.browser();
    for uri in ["/", "/?page=1", "/about", "/post/1", "/user/alice"] {
        let page = visitor.get(uri).await;
        assert_eq!(page.status, Status::Ok, "{uri}");
        assert_eq!(page.set_cookie("csrf_token"), None, "{uri} set a cookie");
    }
    for uri in ["/login", "/register", "/reset_password"] {
        let mut fresh = app.browser();
        let page = fresh.get(uri).await;
        assert!(page.set_cookie("csrf_token").is_some(), "{uri} has a form and needs its token");
        assert!(page.body.contains("name=\"csrf_token\" value=\""), "{uri}");
        assert!(!page.body.contains("name=\"csrf_token\" value=\"\""), "{uri}");
    }
}

/// Pages in the older half are found from the oldest end: every page, the partial last one
/// included, holds exactly the posts it should, in order.
#[rocket::async_test]
async fn every_page_holds_its_own_posts_newest_first_from_either_end() {
    let app = TestApp::with(Settings { posts_per_page: 3, ..Settings::default() }).await;
    let alice = app.signed_up("alice").await;
    app.seed_posts(alice.user_id.unwrap(), 11).await;
    let mut reader = app.browser();
    let expected: Vec<Vec<u64>> = vec![vec![11, 10, 9], vec![8, 7, 6], vec![5, 4, 3], vec![2, 1]];
    for (n, posts) in expected.iter().enumerate() {
        let page = reader.get(&format!("/?page={}", n + 1)).await;
        assert_eq!(page.status, Status::Ok);
        let shown: Vec<u64> = page
            .body
            .match_indices(">Post ")
            .filter_map(|(i, _)| page.body[i + 6..].split('<').next()?.parse().ok())
            .collect();
        assert_eq!(&shown, posts, "page {}", n + 1);
    }
    assert_eq!(reader.get("/?page=5").await.status, Status::NotFound);

    // Eight posts go (another instance, say): a page the old count put in the newer half is
    // now past the end, and the first page shows what is left.
    for id in 1..=8 {
        assert!(persistence::posts::delete(&app.db, id).await.unwrap());
    }
    assert_eq!(reader.get("/?page=2").await.status, Status::NotFound);
    let first = reader.get("/").await;
    assert!(first.shows("Post 11") && first.shows("Post 9") && !first.shows("Post 8<"));
    assert!(!first.body.contains("class=\"pager\""), "one page left");
}

/// Post counts are kept by the database: deleting posts, or an account with its posts, keeps
/// every listing's pages right.
#[rocket::async_test]
async fn counts_follow_deletions_of_posts_and_of_whole_accounts() {
    let app = TestApp::with(Settings { posts_per_page: 2, ..Settings::default() }).await;
    let mut alice = app.signed_up("alice").await;
    let bob = app.signed_up("bob").await;
    app.seed_posts(alice.user_id.unwrap(), 3).await;
    app.seed_posts(bob.user_id.unwrap(), 2).await;
    assert_eq!(persistence::posts::count(&app.db, None).await.unwrap(), 5);
    assert_eq!(persistence::posts::count(&app.db, bob.user_id).await.unwrap(), 2);

    let id = alice.writes_post("Soon gone").await;
    assert_eq!(persistence::posts::count(&app.db, None).await.unwrap(), 6);
    let deleted = alice.post_form(&format!("/post/{id}/delete"), &[]).await;
    assert_eq!(deleted.status, Status::SeeOther);
    assert_eq!(persistence::posts::count(&app.db, alice.user_id).await.unwrap(), 3);

    let gone = alice.post_form("/account/delete", &[("password", gazette_tests::PASSWORD)]).await;
    assert_eq!(gone.status, Status::SeeOther, "{}", gone.body);
    assert_eq!(persistence::posts::count(&app.db, None).await.unwrap(), 2);
    assert_eq!(persistence::posts::count(&app.db, alice.user_id).await.unwrap(), 0);
    let mut reader = app.browser();
    assert_eq!(reader.get("/?page=1").await.status, Status::Ok);
    assert_eq!(reader.get("/?page=2").await.status, Status::NotFound, "one page of two posts is left");
}

/// Pages shown to readers who are not signed in are remembered and served again while nothing on
/// them changes: a change shows at once, and nothing of one visitor reaches another.
#[rocket::async_test]
async fn readers_see_changes_at_once_and_nothing_of_another_visitor() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let id = alice.writes_post("First words").await;
    let mut reader = app.browser();
    for _ in 0..2 {
        let page = reader.get("/").await;
        assert!(page.shows("First words"));
        assert!(reader.get(&format!("/post/{id}")).await.shows("First words"));
    }

    let edited =
        alice.post_form(&format!("/post/{id}/update"), &[("title", "Better words"), ("content", "Body")]).await;
    assert_eq!(edited.status, Status::SeeOther);
    alice.writes_post("Second words").await;
    for uri in ["/", "/user/alice"] {
        let page = reader.get(uri).await;
        assert!(page.shows("Better words") && page.shows("Second words") && !page.shows("First words"), "{uri}");
    }
    assert!(reader.get(&format!("/post/{id}")).await.shows("Better words"));
    assert!(reader.get("/user/alice").await.shows("Posts by alice (2)"));

    // Alice's own view of the same pages (her name, her logout form and its token) stays hers.
    for uri in ["/", "/user/alice", "/about"] {
        let hers = alice.get(uri).await;
        assert!(hers.shows("Logout") && hers.body.contains("name=\"csrf_token\" value=\""), "{uri}");
        let theirs = app.browser().get(uri).await;
        assert!(!theirs.shows("Logout") && !theirs.body.contains("csrf_token"), "{uri}");
        assert!(theirs.shows("Login"), "{uri}");
    }

    // So does a message meant for one visitor: alice, logged out, is told so on the home page;
    // the next reader of that page is not.
    let out = alice.post_form("/logout", &[]).await;
    let home = alice.follow(&out).await;
    assert_eq!(home.flashes(), vec![("info".into(), "You have been logged out.".into())]);
    let next = app.browser().get("/").await;
    assert!(next.flashes().is_empty() && !next.shows("You have been logged out."));
    // And once she has read it, her home page is everyone's again.
    assert!(alice.get("/").await.flashes().is_empty());
}

/// Signed-in readers' pages are remembered too, per reader, with each browser's form token put
/// in as the page is sent: a change shows at once, and nobody gets another's page or token.
#[rocket::async_test]
async fn signed_in_readers_see_changes_at_once_with_their_own_page_and_token() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let mut bob = app.signed_up("bob").await;
    let id = alice.writes_post("First words").await;
    let token_in = |page: &gazette_tests::Page| page.input_value("csrf_token").unwrap();
    let (alice_token, bob_token) = (alice.csrf_token().await, bob.csrf_token().await);
    assert_ne!(alice_token, bob_token);
    for _ in 0..2 {
        let (hers, his) = (alice.get("/").await, bob.get("/").await);
        assert!(hers.shows("First words") && his.shows("First words"));
        assert_eq!((token_in(&hers), token_in(&his)), (alice_token.clone(), bob_token.clone()));
    }
    // A second browser of Alice's: the same page, with that browser's own token.
    let mut second = app.browser();
    second.post_form("/login", &[("email", "alice@example.com"), ("password", gazette_tests::PASSWORD)]).await;
    let second_token = second.csrf_token().await;
    let page = second.get("/").await;
    assert_eq!(token_in(&page), second_token);
    assert_ne!(second_token, alice_token);

    alice.post_form(&format!("/post/{id}/update"), &[("title", "Better words"), ("content", "Body")]).await;
    for browser in [&mut alice, &mut bob, &mut second] {
        let page = browser.get("/").await;
        assert!(page.shows("Better words") && !page.shows("First words"));
    }
    // The token each page carried is the one its browser's forms need: logging out with it works.
    let page = bob.get("/").await;
    let out = bob.post_raw("/logout", &[("csrf_token", &token_in(&page))]).await;
    assert_eq!(out.status, Status::SeeOther);
    assert!(bob.get("/").await.shows("Login"));
    assert!(alice.get("/").await.shows("Logout"), "alice is still signed in");
}

#[rocket::async_test]
async fn pages_for_a_signed_in_user_and_answers_with_tokens_are_never_stored() {
    use rocket::http::Method;
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let post = alice.writes_post("Hello").await;
    for path in ["/", "/account", "/password/change", "/post/new", "/user/alice", "/about", &format!("/post/{post}")] {
        let page = alice.get(path).await;
        assert_eq!(page.status, Status::Ok, "{path}");
        assert_eq!(page.header("Cache-Control"), Some("no-store"), "{path}");
    }
    // Token answers and the signed-in API.
    let body = serde_json::json!({ "user": { "email": "alice@example.com", "password": PASSWORD } });
    let login = app.browser().send_json(Method::Post, "/api/users/login", &body, &[]).await;
    assert_eq!(login.header("Cache-Control"), Some("no-store"));
    let token = login.json()["user"]["token"].as_str().unwrap().to_owned();
    let me = app.browser().send(Method::Get, "/api/user", None, &[("Authorization", &format!("Token {token}"))]).await;
    assert_eq!(me.status, Status::Ok);
    assert_eq!(me.header("Cache-Control"), Some("no-store"));
    let body = serde_json::json!({ "email": "alice@example.com", "password": PASSWORD });
    let auth = app.browser().send_json(Method::Post, "/auth/login", &body, &[]).await;
    assert_eq!(auth.header("Cache-Control"), Some("no-store"));
    assert_eq!(app.browser().get("/auth/").await.header("Cache-Control"), Some("no-store"));
    // A visitor's pages carry nobody's data and may be kept.
    let public = app.browser().get(&format!("/post/{post}")).await;
    assert_eq!(public.header("Cache-Control"), None);
    assert_eq!(app.browser().get("/static/css/main.css").await.header("Cache-Control"), Some("public, max-age=3600"));
}

#[rocket::async_test]
async fn strict_transport_security_is_sent_only_when_the_site_is_served_over_https() {
    let https = TestApp::with(Settings { public_url: "https://blog.example.com".into(), ..Settings::default() }).await;
    let hsts = https.browser().get("/").await.header("Strict-Transport-Security").map(str::to_owned).unwrap();
    let max_age: u64 = hsts.trim_start_matches("max-age=").split(';').next().unwrap().parse().unwrap();
    assert!(max_age >= 180 * 24 * 3600, "{hsts}");
    assert_eq!(
        https.browser().get("/static/css/main.css").await.header("Strict-Transport-Security"),
        Some(hsts.as_str())
    );
    let http = TestApp::spawn().await;
    assert_eq!(http.browser().get("/").await.header("Strict-Transport-Security"), None);
}

#[rocket::async_test]
async fn the_form_token_on_an_error_page_works_when_it_is_the_first_page_after_logging_in() {
    let app = TestApp::spawn().await;
    // Logging in drops the old token; an error page is the first to need a new one (for the
    // logout form in the navigation), and must set the cookie that matches it.
    let mut bob = app.signed_up("bob").await;
    let missing = bob.get("/post/999/history").await;
    assert_eq!(missing.status, Status::NotFound);
    let out = bob.post_form("/logout", &[]).await;
    assert_eq!(out.status, Status::SeeOther, "{}", out.body);
}
