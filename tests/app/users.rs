//! Registration, login, logout, the account page with its avatar, and author pages.

use gazette_tests::{PASSWORD, Settings, TestApp, Upload, bomb_png, decode, picture};
use image::ImageFormat;
use rocket::http::Status;

fn registration<'a>(username: &'a str, email: &'a str, password: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![("username", username), ("email", email), ("password", password), ("confirm_password", password)]
}

#[rocket::async_test]
async fn registering_creates_the_account_and_sends_the_user_to_login() {
    let app = TestApp::spawn().await;
    let mut b = app.browser();
    let mut form = registration("Alice", "Alice@Example.COM", PASSWORD);
    form.extend([("first_name", "Alice"), ("last_name", "Liddell")]);
    let page = b.post_form("/register", &form).await;
    assert_eq!(page.status, Status::SeeOther);
    assert_eq!(page.location.as_deref(), Some("/login"));
    let login = b.follow(&page).await;
    assert_eq!(
        login.flashes(),
        vec![("success".into(), "Your account has been created! You are now able to log in".into())]
    );
    let stored = app.user("alice").await.expect("stored");
    assert_eq!(stored.username, "Alice");
    assert_eq!(stored.email, "alice@example.com");
    assert_eq!((stored.first_name.as_deref(), stored.last_name.as_deref()), (Some("Alice"), Some("Liddell")));
    assert!(stored.password_hash.starts_with("$2") && !stored.password_hash.contains(PASSWORD));
    assert!(!stored.is_admin);
}

#[rocket::async_test]
async fn a_registration_with_errors_shows_each_next_to_its_field_and_keeps_what_was_typed() {
    let app = TestApp::spawn().await;
    let mut b = app.browser();
    let page = b
        .post_form(
            "/register",
            &[
                ("username", "a b"),
                ("email", "not-an-email"),
                ("password", "short"),
                ("confirm_password", "other"),
                ("first_name", &"x".repeat(31)),
            ],
        )
        .await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.field_error("username").unwrap().contains("letters, digits"));
    assert_eq!(page.field_error("email").as_deref(), Some("Invalid email address."));
    assert_eq!(page.field_error("password").as_deref(), Some("Password must be at least 8 characters long."));
    assert_eq!(page.field_error("confirm_password").as_deref(), Some("Passwords must match."));
    assert_eq!(page.field_error("first_name").as_deref(), Some("Name must be at most 30 characters long."));
    assert_eq!(page.input_value("username").as_deref(), Some("a b"));
    assert_eq!(page.input_value("email").as_deref(), Some("not-an-email"));
    assert_eq!(page.input_value("password"), None, "passwords are never sent back");
    assert!(!page.body.contains("short"));
    assert_eq!(persistence::users::count_all(&app.db).await.unwrap(), 0);
}

#[rocket::async_test]
async fn missing_fields_are_form_errors_not_failures() {
    let app = TestApp::spawn().await;
    let mut b = app.browser();
    let page = b.post_form("/register", &[]).await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.field_error("username").is_some() && page.field_error("email").is_some());
}

#[rocket::async_test]
async fn a_password_over_72_bytes_is_refused_saying_why() {
    let app = TestApp::spawn().await;
    let long = "é".repeat(40); // 40 characters, 80 bytes
    let page = app.browser().post_form("/register", &registration("alice", "alice@example.com", &long)).await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.field_error("password").unwrap().contains("72 bytes"));
    assert!(app.user("alice").await.is_none());
}

#[rocket::async_test]
async fn a_taken_username_or_email_is_refused_whatever_its_case() {
    let app = TestApp::spawn().await;
    app.signed_up("alice").await;
    let mut b = app.browser();
    let page = b.post_form("/register", &registration("ALICE", "other@example.com", PASSWORD)).await;
    assert_eq!(page.status, Status::Ok);
    assert_eq!(page.field_error("username").as_deref(), Some("That username is taken. Please choose another."));
    let page = b.post_form("/register", &registration("alice2", "Alice@EXAMPLE.com", PASSWORD)).await;
    assert_eq!(page.status, Status::Ok);
    assert_eq!(page.field_error("email").as_deref(), Some("That email is taken. Please choose another."));
    assert_eq!(persistence::users::count_all(&app.db).await.unwrap(), 1);

    // Beyond ASCII too, on every database.
    app.signed_up("Zoë").await;
    let page = b.post_form("/register", &registration("ZOË", "zoe2@example.com", PASSWORD)).await;
    assert_eq!(page.field_error("username").as_deref(), Some("That username is taken. Please choose another."));
    assert_eq!(app.browser().get("/user/ZO%C3%8B").await.status, Status::Ok);
}

#[rocket::async_test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let app = TestApp::spawn().await;
    app.signed_up("alice").await;
    let mut b = app.browser();
    let wrong = b.post_form("/login", &[("email", "alice@example.com"), ("password", "wrong-password")]).await;
    let unknown = b.post_form("/login", &[("email", "nobody@example.com"), ("password", "wrong-password")]).await;
    for page in [&wrong, &unknown] {
        assert_eq!(page.status, Status::Ok);
        assert_eq!(
            page.flashes(),
            vec![("danger".into(), "Login Unsuccessful. Please check email and password".into())]
        );
        assert!(!b.has_cookie("session"));
    }
    assert_eq!(wrong.input_value("email").as_deref(), Some("alice@example.com"));
}

#[rocket::async_test]
async fn login_accepts_the_email_in_any_case_and_goes_home() {
    let app = TestApp::spawn().await;
    app.signed_up("alice").await;
    let mut b = app.browser();
    let page = b.post_form("/login", &[("email", " ALICE@example.com "), ("password", PASSWORD)]).await;
    assert_eq!(page.status, Status::SeeOther);
    assert_eq!(page.location.as_deref(), Some("/"));
    assert_eq!(b.get("/account").await.status, Status::Ok);
}

#[rocket::async_test]
async fn login_returns_to_next_only_when_it_is_a_path_on_this_site() {
    let app = TestApp::spawn().await;
    app.signed_up("alice").await;
    let cases = [
        ("/account", "/account"),
        ("/post/new", "/post/new"),
        ("https://evil.example/", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ];
    for (next, expected) in cases {
        let mut b = app.browser();
        let uri = format!("/login?next={}", rocket::http::RawStr::new(next).percent_encode());
        let page = b.post_form(&uri, &[("email", "alice@example.com"), ("password", PASSWORD)]).await;
        assert_eq!(page.location.as_deref(), Some(expected), "next={next}");
    }
}

#[rocket::async_test]
async fn remember_me_keeps_the_session_30_days_otherwise_until_the_browser_closes() {
    let app = TestApp::spawn().await;
    let alice = app.signed_up("alice").await;
    let id = alice.user_id.unwrap();
    let session_cookie = |page: &gazette_tests::Page| {
        page.set_cookies.iter().find(|c| c.starts_with("session=")).cloned().expect("a session cookie")
    };

    let mut b = app.browser();
    let page = b.post_form("/login", &[("email", "alice@example.com"), ("password", PASSWORD)]).await;
    let cookie = session_cookie(&page);
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Max-Age") && !cookie.contains("Expires"), "a browser-session cookie: {cookie}");
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");

    let mut b = app.browser();
    let page =
        b.post_form("/login", &[("email", "alice@example.com"), ("password", PASSWORD), ("remember", "y")]).await;
    let cookie = session_cookie(&page);
    assert!(cookie.contains("Max-Age=2592000"), "{cookie}");
    assert_eq!(app.session_count(id).await, 3);
}

#[rocket::async_test]
async fn session_cookies_are_secure_when_the_site_is_served_over_https() {
    let app = TestApp::with(Settings { public_url: "https://blog.example".into(), ..Settings::default() }).await;
    app.signed_up("alice").await;
    let mut b = app.browser();
    let page = b.post_form("/login", &[("email", "alice@example.com"), ("password", PASSWORD)]).await;
    let cookie = page.set_cookies.iter().find(|c| c.starts_with("session=")).unwrap();
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[rocket::async_test]
async fn signed_in_users_are_sent_home_from_register_and_login() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    for path in ["/register", "/login"] {
        let page = alice.get(path).await;
        assert_eq!(page.status, Status::SeeOther, "{path}");
        assert_eq!(page.location.as_deref(), Some("/"));
    }
    let page = alice.post_form("/register", &registration("bob", "bob@example.com", PASSWORD)).await;
    assert_eq!(page.location.as_deref(), Some("/"));
    assert!(app.user("bob").await.is_none());
}

#[rocket::async_test]
async fn logging_out_asks_first_then_ends_the_session_row_and_cookie() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let id = alice.user_id.unwrap();
    let ask = alice.get("/logout").await;
    assert_eq!(ask.status, Status::Ok);
    assert!(ask.shows("Are you sure you want to logout?"));
    assert!(ask.shows("Log Out"));
    assert_eq!(app.session_count(id).await, 1);

    let page = alice.post_form("/logout", &[]).await;
    assert_eq!(page.status, Status::SeeOther);
    assert_eq!(page.location.as_deref(), Some("/"));
    assert_eq!(app.session_count(id).await, 0);
    assert!(!alice.has_cookie("session"));
    assert_eq!(alice.get("/account").await.status, Status::SeeOther);
}

#[rocket::async_test]
async fn a_stolen_cookie_stops_working_once_its_session_ends() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    // The same cookies in another browser, as if copied, before logging out.
    let copied = alice.clone_cookies();
    alice.post_form("/logout", &[]).await;
    let mut thief = app.browser();
    thief.set_cookies(copied);
    let page = thief.get("/account").await;
    assert_eq!(page.status, Status::SeeOther);
    assert!(page.location.unwrap().starts_with("/login"));
}

#[rocket::async_test]
async fn pages_that_need_login_send_visitors_to_login_and_back() {
    let app = TestApp::spawn().await;
    let mut b = app.browser();
    for (path, next) in [("/account", "%2Faccount"), ("/post/new", "%2Fpost%2Fnew")] {
        let page = b.get(path).await;
        assert_eq!(page.status, Status::SeeOther, "{path}");
        assert_eq!(page.location.as_deref(), Some(format!("/login?next={next}").as_str()));
        let login = b.follow(&page).await;
        assert_eq!(login.flashes(), vec![("info".into(), "Please log in to access this page.".into())]);
    }
    app.signed_up("alice").await;
    let page = b.post_form("/login?next=%2Faccount", &[("email", "alice@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(page.location.as_deref(), Some("/account"));
}

#[rocket::async_test]
async fn a_form_without_the_right_csrf_token_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let mut b = app.browser();
    b.csrf_token().await;
    let fields = registration("alice", "alice@example.com", PASSWORD);
    let missing = b.post_raw("/register", &fields).await;
    assert_eq!(missing.status, Status::Forbidden);
    let mut wrong = fields.clone();
    wrong.push(("csrf_token", "forged"));
    assert_eq!(b.post_raw("/register", &wrong).await.status, Status::Forbidden);
    assert!(app.user("alice").await.is_none());

    // A token from another browser does not do either.
    let mut other = app.browser();
    let foreign = other.csrf_token().await;
    let mut borrowed = fields.clone();
    borrowed.push(("csrf_token", &foreign));
    let page = b.post_raw("/register", &borrowed).await;
    assert_eq!(page.status, Status::Forbidden);
    assert!(page.shows("permission"), "the custom 403 page");
    assert!(app.user("alice").await.is_none());

    let mut alice = app.signed_up("alice").await;
    let page = alice.post_raw("/logout", &[]).await;
    assert_eq!(page.status, Status::Forbidden);
    assert_eq!(app.session_count(alice.user_id.unwrap()).await, 1);
}

#[rocket::async_test]
async fn the_account_page_shows_the_user_and_saves_changes() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let page = alice.get("/account").await;
    assert_eq!(page.status, Status::Ok);
    assert_eq!(page.input_value("username").as_deref(), Some("alice"));
    assert_eq!(page.input_value("email").as_deref(), Some("alice@example.com"));
    assert!(page.shows("/static/img/default-avatar.svg"));

    let page = alice
        .post_multipart(
            "/account",
            &[
                ("username", "alice_l"),
                ("email", "ALICE.L@example.com"),
                ("first_name", "Alice"),
                ("last_name", ""),
                // A new email needs the password (a stolen session is not enough).
                ("current_password", PASSWORD),
            ],
            &[],
        )
        .await;
    assert_eq!(page.status, Status::SeeOther, "{}", page.body);
    assert_eq!(page.location.as_deref(), Some("/account"));
    let after = alice.follow(&page).await;
    assert_eq!(after.flashes(), vec![("success".into(), "Your account has been updated!".into())]);
    let stored = app.user("alice_l").await.unwrap();
    assert_eq!(stored.email, "alice.l@example.com");
    assert_eq!(stored.first_name.as_deref(), Some("Alice"));
    assert_eq!(stored.last_name, None);
}

#[rocket::async_test]
async fn the_account_page_refuses_a_name_someone_else_has() {
    let app = TestApp::spawn().await;
    app.signed_up("bob").await;
    let mut alice = app.signed_up("alice").await;
    let page = alice.post_multipart("/account", &[("username", "Bob"), ("email", "alice@example.com")], &[]).await;
    assert_eq!(page.status, Status::Ok);
    assert_eq!(page.field_error("username").as_deref(), Some("That username is taken. Please choose another."));
    let page = alice.post_multipart("/account", &[("username", "alice"), ("email", "bob@example.com")], &[]).await;
    assert_eq!(page.field_error("email").as_deref(), Some("That email is taken. Please choose another."));
    assert_eq!(app.user("alice").await.unwrap().email, "alice@example.com");
    // Keeping one's own name, in another case, is fine.
    let page = alice.post_multipart("/account", &[("username", "ALICE"), ("email", "alice@example.com")], &[]).await;
    assert_eq!(page.status, Status::SeeOther);
    assert_eq!(app.user("alice").await.unwrap().username, "ALICE");
}

#[rocket::async_test]
async fn a_png_avatar_is_cropped_to_a_125_pixel_square_and_served() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let page = alice.upload_avatar("me.png", "image/png", &picture(300, 200, ImageFormat::Png)).await;
    assert_eq!(page.status, Status::SeeOther, "{}", page.body);

    let stored = app.user("alice").await.unwrap().image_file.expect("a custom picture");
    assert_eq!(app.avatar_files(), vec![stored.clone()]);
    let url = format!("/media/avatars/{stored}");
    let account = alice.get("/account").await;
    assert!(account.shows(&url));
    let served = app.browser().get(&url).await;
    assert_eq!(served.status, Status::Ok);
    assert_eq!(served.content_type.as_deref(), Some("image/png"));
    // A new picture gets a new name: browsers may keep this one for good.
    let cached = app.client.get(url.clone()).dispatch().await;
    assert_eq!(cached.headers().get_one("Cache-Control"), Some("public, max-age=31536000, immutable"));
    let img = decode(&served.bytes);
    assert_eq!((img.width(), img.height()), (125, 125));
    // The author's posts show it too.
    alice.writes_post("With a face").await;
    assert!(app.browser().get("/").await.shows(&url));
}

#[rocket::async_test]
async fn a_new_jpeg_avatar_replaces_the_old_picture_and_its_file() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    alice.upload_avatar("a.png", "image/png", &picture(50, 50, ImageFormat::Png)).await;
    let first = app.user("alice").await.unwrap().image_file.unwrap();
    // The name and type claimed do not matter: the bytes are a JPEG.
    let page = alice.upload_avatar("b.gif", "application/octet-stream", &picture(640, 480, ImageFormat::Jpeg)).await;
    assert_eq!(page.status, Status::SeeOther, "{}", page.body);
    let second = app.user("alice").await.unwrap().image_file.unwrap();
    assert_ne!(first, second);
    assert_eq!(app.avatar_files(), vec![second]);
}

#[rocket::async_test]
async fn gif_webp_and_svg_avatars_are_stored_as_png() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let svg = br##"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="#c00"/><image href="/etc/passwd" width="9" height="9"/></svg>"##;
    let uploads: [(&str, &str, Vec<u8>); 3] = [
        ("a.gif", "image/gif", picture(60, 60, ImageFormat::Gif)),
        ("a.webp", "image/webp", picture(60, 90, ImageFormat::WebP)),
        ("a.svg", "image/svg+xml", svg.to_vec()),
    ];
    for (name, ty, bytes) in uploads {
        let page = alice.upload_avatar(name, ty, &bytes).await;
        assert_eq!(page.status, Status::SeeOther, "{name}: {}", page.body);
        let stored = app.user("alice").await.unwrap().image_file.unwrap();
        assert!(stored.ends_with(".png"), "{name} stored as {stored}");
        let served = app.browser().get(&format!("/media/avatars/{stored}")).await;
        assert_eq!(served.content_type.as_deref(), Some("image/png"), "{name}");
        assert!(!served.body.contains("<svg"), "an SVG is never served as uploaded");
        assert_eq!(decode(&served.bytes).width(), 125);
    }
    assert_eq!(app.avatar_files().len(), 1);
}

#[rocket::async_test]
async fn svg_avatars_whose_drawing_costs_without_bound_are_refused() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    const HEAD: &str = r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">"#;
    // Linear in numOctaves: a billion takes a core for days.
    let turbulence = format!(
        r#"{HEAD}<filter id="f"><feTurbulence baseFrequency="0.05" numOctaves="1000000000"/></filter><rect width="10" height="10" filter="url(#f)"/></svg>"#
    );
    // Eight levels of eight uses each: 16 million rectangles from under a kilobyte.
    let mut fan_out = format!(r#"{HEAD}<defs><rect id="l0" width="1" height="1"/>"#);
    for level in 1..=8 {
        fan_out.push_str(&format!(r#"<g id="l{level}">"#));
        for _ in 0..8 {
            fan_out.push_str(&format!(r##"<use href="#l{}"/>"##, level - 1));
        }
        fan_out.push_str("</g>");
    }
    fan_out.push_str(r##"</defs><use href="#l8"/></svg>"##);
    let deep = format!("{HEAD}{}{}</svg>", "<g>".repeat(50_000), "</g>".repeat(50_000));
    for (what, svg) in [("feTurbulence", turbulence), ("use fan-out", fan_out), ("deep nesting", deep)] {
        let page = alice.upload_avatar("a.svg", "image/svg+xml", svg.as_bytes()).await;
        assert_eq!(page.status, Status::Ok, "{what}");
        assert_eq!(page.field_error("picture").as_deref(), Some("Unsupported or corrupt image"), "{what}");
    }
    assert_eq!(app.user("alice").await.unwrap().image_file, None);
    assert!(app.avatar_files().is_empty());

    // An ordinary logo: shapes, a path, a gradient, a clip, reused parts, a style sheet.
    let logo = br##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">
  <defs>
    <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#39f"/><stop offset="1" stop-color="#fff"/></linearGradient>
    <clipPath id="round"><circle cx="50" cy="50" r="50"/></clipPath>
    <path id="leaf" d="M50 20 C70 40 70 60 50 80 C30 60 30 40 50 20 Z"/>
  </defs>
  <style>.ink { fill: #063; stroke: #031; stroke-width: 2 }</style>
  <g clip-path="url(#round)">
    <rect width="100" height="100" fill="url(#sky)"/>
    <use href="#leaf" class="ink"/>
    <use href="#leaf" class="ink" transform="rotate(90 50 50)"/>
  </g>
</svg>"##;
    let page = alice.upload_avatar("logo.svg", "image/svg+xml", logo).await;
    assert_eq!(page.status, Status::SeeOther, "{}", page.body);
    let stored = app.user("alice").await.unwrap().image_file.unwrap();
    let served = app.browser().get(&format!("/media/avatars/{stored}")).await;
    let png = decode(&served.bytes).to_rgba8();
    assert_eq!(png.dimensions(), (125, 125));
    let [r, g, _, _] = png.get_pixel(62, 62).0;
    assert!(g > r, "the green leaf is drawn in the middle");
}

#[rocket::async_test]
async fn a_decompression_bomb_png_is_refused_before_it_is_decoded() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    // 8000x8000 RGBA: 244 MiB once decoded, a few hundred kilobytes as sent.
    let bomb = bomb_png(8000, 8000);
    assert!(bomb.len() < 400 * 1024, "{} bytes", bomb.len());
    let page = alice.upload_avatar("bomb.png", "image/png", &bomb).await;
    assert_eq!(page.status, Status::Ok);
    assert_eq!(page.field_error("picture").as_deref(), Some("Image is too large (at most 4096x4096 pixels)"));
    assert!(app.avatar_files().is_empty());
    // The largest picture allowed still goes through.
    let page = alice.upload_avatar("big.png", "image/png", &bomb_png(4096, 4096)).await;
    assert_eq!(page.status, Status::SeeOther, "{}", page.body);
    assert_eq!(app.avatar_files().len(), 1);
}

#[rocket::async_test]
async fn a_file_that_is_not_an_image_is_refused_and_nothing_changes() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let page = alice
        .post_multipart(
            "/account",
            &[("username", "renamed"), ("email", "alice@example.com")],
            &[Upload {
                field: "picture",
                filename: "me.png",
                content_type: "image/png",
                bytes: b"\x89PNG\r\n\x1a\nnot really",
            }],
        )
        .await;
    assert_eq!(page.status, Status::Ok);
    assert_eq!(page.field_error("picture").as_deref(), Some("Unsupported or corrupt image"));
    assert!(app.user("renamed").await.is_none(), "the other fields were not saved either");
    assert_eq!(app.user("alice").await.unwrap().image_file, None);
    assert!(app.avatar_files().is_empty());
}

#[rocket::async_test]
async fn an_upload_over_the_limit_gets_413_and_leaves_nothing_behind() {
    let app = TestApp::with(Settings { avatar_max_bytes: 64 * 1024, ..Settings::default() }).await;
    let mut alice = app.signed_up("alice").await;
    let big = vec![0x42u8; 200 * 1024];
    let page = alice.upload_avatar("big.png", "image/png", &big).await;
    assert_eq!(page.status, Status::PayloadTooLarge);
    assert!(page.shows("too large"));
    assert!(app.avatar_files().is_empty());
    assert_eq!(app.user("alice").await.unwrap().image_file, None);
    // A picture within the limit still goes through.
    let page = alice.upload_avatar("ok.png", "image/png", &picture(100, 100, ImageFormat::Png)).await;
    assert_eq!(page.status, Status::SeeOther);
}

#[rocket::async_test]
async fn an_author_page_lists_their_posts_with_a_count() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let mut bob = app.signed_up("bob").await;
    alice.writes_post("Alice writes").await;
    bob.writes_post("Bob writes").await;
    app.seed_posts(alice.user_id.unwrap(), 6).await;
    let mut reader = app.browser();
    let page = reader.get("/user/alice").await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.shows("Posts by alice (7)"));
    assert!(page.shows("Alice writes") && !page.shows("Bob writes"));
    assert_eq!(page.body.matches("<article class=\"post\">").count(), 5);
    // Newest first: the post written just now, then the seeded ones from the latest.
    let order = ["Alice writes", "Post 6", "Post 5", "Post 4", "Post 3"].map(|t| page.body.find(t).unwrap());
    assert!(order.windows(2).all(|w| w[0] < w[1]), "page 1 out of order");
    assert!(page.body.contains("href=\"/user/alice\""));
    let second = reader.get("/user/ALICE?page=2").await;
    assert_eq!(second.status, Status::Ok);
    assert_eq!(second.body.matches("<article class=\"post\">").count(), 2);
    assert!(second.shows("Post 2") && second.shows("Post 1") && !second.shows("Post 3"));
    assert_eq!(reader.get("/user/alice?page=3").await.status, Status::NotFound);
    assert_eq!(reader.get("/user/nobody").await.status, Status::NotFound);
    assert_eq!(reader.get("/user/alice?page=0").await.status, Status::NotFound);
}

#[rocket::async_test]
async fn an_author_without_posts_has_a_page_saying_so() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    alice.writes_post("Alice writes").await;
    app.signed_up("carol").await;
    let page = app.browser().get("/user/Carol").await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.shows("Posts by carol (0)"));
    assert!(page.shows("carol has not posted anything yet."));
    assert_eq!(page.body.matches("<article class=\"post\">").count(), 0);
    assert_eq!(app.browser().get("/user/carol?page=2").await.status, Status::NotFound);
}

#[rocket::async_test]
async fn a_username_that_looks_like_another_counts_as_taken_at_every_door() {
    use rocket::http::Method;
    use serde_json::json;
    let app = TestApp::spawn().await;
    app.signed_up("alice").await;
    // A Cyrillic "а", and a capital I and a digit one for the l.
    for lookalike in ["\u{430}lice", "aIice", "a1ice"] {
        let mut b = app.browser();
        let fields = [
            ("username", lookalike),
            ("email", "other@example.com"),
            ("password", PASSWORD),
            ("confirm_password", PASSWORD),
        ];
        let page = b.post_form("/register", &fields).await;
        assert_eq!(page.status, Status::Ok, "{lookalike}");
        assert_eq!(page.field_error("username").as_deref(), Some("That username is taken. Please choose another."));
        let body = json!({ "user": { "username": lookalike, "email": "api@example.com", "password": PASSWORD } });
        let api = b.send_json(Method::Post, "/api/users", &body, &[]).await;
        assert_eq!(api.status, Status::UnprocessableEntity, "{lookalike}");
        assert_eq!(api.json()["errors"]["username"], json!(["has already been taken"]));
    }
    assert!(app.user("\u{430}lice").await.is_none());

    // Renaming into a look-alike is refused too, on the site and the API.
    let mut bob = app.signed_up("bob").await;
    let page = bob.post_multipart("/account", &[("username", "\u{430}lice"), ("email", "bob@example.com")], &[]).await;
    assert_eq!(page.field_error("username").as_deref(), Some("That username is taken. Please choose another."));
    let login = json!({ "user": { "email": "bob@example.com", "password": PASSWORD } });
    let token = bob.send_json(Method::Post, "/api/users/login", &login, &[]).await.json()["user"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let rename = json!({ "user": { "username": "\u{430}lice" } });
    let auth = format!("Token {token}");
    let page = bob.send_json(Method::Put, "/api/user", &rename, &[("Authorization", &auth)]).await;
    assert_eq!(page.status, Status::UnprocessableEntity);
    assert_eq!(app.user("bob").await.unwrap().username, "bob");
    // Bob may still change his other details, and a name unlike any other is free.
    let page = bob
        .post_multipart("/account", &[("username", "bob"), ("email", "bob@example.com"), ("first_name", "Bob")], &[])
        .await;
    assert_eq!(page.status, Status::SeeOther, "{}", page.body);
    let page = app
        .browser()
        .post_form(
            "/register",
            &[
                ("username", "alicia"),
                ("email", "alicia@example.com"),
                ("password", PASSWORD),
                ("confirm_password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, Status::SeeOther);
}
