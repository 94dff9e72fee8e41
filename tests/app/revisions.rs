//! Every save keeps a version: the author (and moderators) read and restore earlier ones.

use gazette_tests::TestApp;
use rocket::http::Status;

#[rocket::async_test]
async fn an_author_reads_an_earlier_version_and_restores_it_as_a_new_one() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let created = alice
        .post_form(
            "/post/new",
            &[("title", "First title"), ("content", "# Original\n\nThe **first** words."), ("tags", "one")],
        )
        .await;
    let post = created.location.clone().unwrap();
    for (title, content) in [("Second title", "Second words."), ("Third title", "Third words.")] {
        let fields = [("title", title), ("content", content), ("tags", "two, three"), ("description", "Later")];
        assert_eq!(alice.post_form(&format!("{post}/update"), &fields).await.status, Status::SeeOther);
    }
    assert!(alice.get(&post).await.body.contains(&format!(r#"href="{post}/history""#)), "the post links its history");

    let history = alice.get(&format!("{post}/history")).await;
    assert_eq!(history.status, Status::Ok);
    assert_eq!(history.header("Cache-Control"), Some("no-store"));
    let (v3, v2, v1) = (
        history.body.find("Version 3").unwrap(),
        history.body.find("Version 2").unwrap(),
        history.body.find("Version 1").unwrap(),
    );
    assert!(v3 < v2 && v2 < v1, "newest first");
    assert!(history.shows("Third title") && history.shows("First title"));
    assert!(history.body[v3..v2].contains("Current"));

    let first = alice.get(&format!("{post}/history/1")).await;
    assert_eq!(first.status, Status::Ok);
    assert!(
        first.body.contains(r#"<h1 id="h-original">"#) && first.body.contains("<strong>first</strong>"),
        "rendered"
    );
    assert!(first.shows("First title") && first.body.contains(r#"<span class="tag">one</span>"#));
    assert!(first.body.contains("Restore this version"));
    assert!(!alice.get(&format!("{post}/history/3")).await.body.contains("Restore this version"), "it is current");
    assert_eq!(alice.get(&format!("{post}/history/9")).await.status, Status::NotFound);
    assert_eq!(alice.get(&format!("{post}/history/x")).await.status, Status::NotFound);

    let restored = alice.post_form(&format!("{post}/history/1/restore"), &[]).await;
    assert_eq!(restored.status, Status::SeeOther);
    let shown = alice.follow(&restored).await;
    assert_eq!(shown.flashes(), vec![("success".into(), "Version 1 has been restored.".into())]);
    assert!(shown.shows("First title") && shown.body.contains("<strong>first</strong>"));
    assert!(shown.body.contains(r#"href="/tag/one""#) && !shown.body.contains(r#"href="/tag/two""#), "its tags too");
    let id: i64 = post.trim_start_matches("/post/").parse().unwrap();
    let stored = app.post(id).await.unwrap();
    assert_eq!((stored.title.as_str(), stored.description.as_str()), ("First title", ""));
    let history = alice.get(&format!("{post}/history")).await;
    assert!(history.shows("Version 4"), "restoring is itself a new version");
}

#[rocket::async_test]
async fn nobody_but_the_author_and_moderators_sees_a_history() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let mut bob = app.signed_up("bob").await;
    let id = alice.writes_post("Mine").await;
    alice.post_form(&format!("/post/{id}/update"), &[("title", "Mine, edited"), ("content", "x")]).await;
    for path in [format!("/post/{id}/history"), format!("/post/{id}/history/1")] {
        assert_eq!(bob.get(&path).await.status, Status::NotFound, "{path}: not even that it exists");
        assert_eq!(app.browser().get(&path).await.status, Status::SeeOther, "{path}: visitors log in first");
    }
    let refused = bob.post_form(&format!("/post/{id}/history/1/restore"), &[]).await;
    assert_eq!(refused.status, Status::NotFound, "{}", refused.body);
    assert_eq!(app.post(id).await.unwrap().title, "Mine, edited", "nothing restored");
    let forged = alice.post_raw(&format!("/post/{id}/history/1/restore"), &[]).await;
    assert_eq!(forged.status, Status::Forbidden, "no CSRF token, no restore");

    let mut moderator = app.signed_up("mod").await;
    app::accounts::set_moderator(app.app(), "mod", true).await.unwrap();
    assert_eq!(moderator.get(&format!("/post/{id}/history")).await.status, Status::Ok);
}
