//! Registration, login, logout, the account page with its avatar, and author pages.

use gazette_tests::{PASSWORD, Settings, TestApp};
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
