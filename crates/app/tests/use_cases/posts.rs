use std::collections::HashSet;

use app::AppError;
use app::posts::{self, NewPost, PostChanges, PostKey};
use domain::{Content, Intent, Title};

use crate::Fixture;

fn post(title: &str, tags: &[&str]) -> NewPost {
    NewPost {
        title: Title::parse(title).unwrap(),
        content: Content::parse("Some words.").unwrap(),
        description: "A summary".into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        intent: Intent::Publish,
        close_comments: false,
    }
}

#[tokio::test]
async fn only_the_author_or_a_moderator_edits_or_deletes_a_post() {
    let f = Fixture::new().await;
    let alice = f.account("alice").await;
    let bob = f.account("bob").await;
    let id = posts::create(&f.app, &alice, post("Hello", &["rust"])).await.unwrap().id;
    let retitle = || PostChanges { title: Some(Title::parse("Changed").unwrap()), ..Default::default() };
    assert!(matches!(posts::edit(&f.app, &bob, PostKey::Id(id), retitle()).await, Err(AppError::Forbidden)));
    assert!(matches!(posts::delete(&f.app, &bob, PostKey::Id(id)).await, Err(AppError::Forbidden)));
    assert!(matches!(
        posts::edit(&f.app, &bob, PostKey::Id(id + 99), retitle()).await,
        Err(AppError::NotFound("post"))
    ));

    let moderator = app::accounts::set_moderator(&f.app, "bob", true).await.unwrap();
    posts::edit(&f.app, &moderator, PostKey::Id(id), retitle()).await.unwrap();
    let shown = posts::article(&f.app, PostKey::Slug("changed"), None).await.unwrap();
    assert_eq!((shown.row.title.as_str(), shown.row.tags.0.as_slice()), ("Changed", &["rust".to_owned()][..]));
    assert_eq!(shown.row.content, "Some words.", "what was not sent stays");
    posts::delete(&f.app, &alice, PostKey::Slug("changed")).await.unwrap();
    assert!(matches!(posts::show(&f.app, id, None).await, Err(AppError::NotFound("post"))));
}

#[tokio::test]
async fn listings_page_through_the_newest_first_and_refuse_pages_that_do_not_exist() {
    let f = Fixture::new().await;
    let alice = f.account("alice").await;
    for n in 1..=7 {
        posts::create(&f.app, &alice, post(&format!("Post {n}"), &[])).await.unwrap();
    }
    let (first, pages) = posts::home_page(&f.app, None).await.unwrap();
    assert_eq!(first.len(), 5);
    assert_eq!(first[0].title, "Post 7");
    assert_eq!(pages.next(), Some(2));
    let (second, _) = posts::home_page(&f.app, Some("2")).await.unwrap();
    assert_eq!(second.iter().map(|p| p.title.as_str()).collect::<Vec<_>>(), ["Post 2", "Post 1"]);
    for page in ["3", "0", "x"] {
        assert!(matches!(posts::home_page(&f.app, Some(page)).await, Err(AppError::NotFound("page"))), "{page}");
    }
    let (author, rows, _) = posts::author_page(&f.app, "ALICE", Some("2")).await.unwrap();
    assert_eq!((author.username.as_str(), rows.len()), ("alice", 2));
    assert!(matches!(posts::author_page(&f.app, "nobody", None).await, Err(AppError::NotFound("account"))));
}

#[tokio::test]
async fn bodies_are_stored_rendered_and_rerendering_renders_every_post_again() {
    let f = Fixture::new().await;
    let alice = f.account("alice").await;
    let new = NewPost {
        title: Title::parse("Code").unwrap(),
        content: Content::parse("# Hi\n\n```rust\nfn main() {}\n```\n\n<script>x</script>").unwrap(),
        description: String::new(),
        tags: Vec::new(),
        intent: Intent::Publish,
        close_comments: false,
    };
    let id = posts::create(&f.app, &alice, new).await.unwrap().id;
    let shown = posts::show(&f.app, id, None).await.unwrap();
    let html = shown.body_html.clone().unwrap();
    assert_eq!(shown.format, "markdown");
    assert!(html.contains(r#"<h1 id="h-hi">"#) && html.contains("hl-storage"), "{html}");
    assert!(!html.contains("<script"), "{html}");
    assert_eq!(shown.excerpt.as_deref(), Some("Hi fn main() {}"), "raw HTML is no text");
    assert_eq!(app::maintenance::rerender(&f.app, true).await.unwrap(), 0, "nothing is left unrendered");
    assert_eq!(app::maintenance::rerender(&f.app, false).await.unwrap(), 1);
    assert_eq!(posts::show(&f.app, id, None).await.unwrap().body_html.as_deref(), Some(html.as_str()));
}

/// Every reader-facing listing and count, as `viewer` sees them: the titles on the home page,
/// the author's page, the tag page and the API list and feed, and the counts beside them.
async fn seen_by(f: &Fixture, viewer: Option<&app::User>) -> (Vec<String>, Vec<String>, u64, Vec<(String, u64)>) {
    let titles = |rows: Vec<posts::Post>| rows.into_iter().map(|p| p.title).collect::<Vec<_>>();
    let (home, pages) = posts::home_page(&f.app, None).await.unwrap();
    let (_, mine, author_pages) = posts::author_page(&f.app, "alice", None).await.unwrap();
    assert_eq!(pages.total_items, author_pages.total_items, "one author: both counts agree");
    let (api, count) = posts::list_articles(&f.app, Default::default(), 20, 0, viewer).await.unwrap();
    assert_eq!(count, pages.total_items, "the API counts what the site does");
    let api: Vec<String> = api.into_iter().map(|a| a.row.title).collect();
    assert_eq!(titles(home.clone()), api, "the API lists what the site does");
    assert_eq!(titles(mine), api);
    let tagged = match posts::tag_page(&f.app, "news", None).await {
        Ok((rows, _, total)) => {
            assert_eq!(total as usize, rows.len());
            titles(rows)
        }
        Err(AppError::NotFound("tag")) => Vec::new(),
        Err(e) => panic!("{e:?}"),
    };
    (api, tagged, pages.total_items, app::social::tag_counts(&f.app).await.unwrap())
}

#[tokio::test]
async fn drafts_and_scheduled_posts_are_their_authors_until_their_time_comes_then_everyones_at_once() {
    let f = Fixture::new().await;
    let alice = f.account("alice").await;
    let bob = f.account("bob").await;
    let new = |title: &str, intent| NewPost { intent, ..post(title, &["news"]) };
    posts::create(&f.app, &alice, new("Out", Intent::Publish)).await.unwrap();
    let draft = posts::create(&f.app, &alice, new("Draft", Intent::Draft)).await.unwrap();
    // Whole seconds, as PostgreSQL keeps microseconds only.
    let at = chrono::SubsecRound::trunc_subsecs(f.app.clock().now() + chrono::Duration::hours(2), 0);
    let scheduled = posts::create(&f.app, &alice, new("Later", Intent::Schedule(at))).await.unwrap();
    assert_eq!(scheduled.publication.state, domain::PostState::Scheduled);

    let only_out = (vec!["Out".to_owned()], vec!["Out".to_owned()], 1, vec![("news".to_owned(), 1)]);
    assert_eq!(seen_by(&f, None).await, only_out);
    assert_eq!(seen_by(&f, Some(&alice)).await, only_out, "listings are the same for the author");
    for id in [draft.id, scheduled.id] {
        assert!(matches!(posts::show(&f.app, id, None).await, Err(AppError::NotFound("post"))));
        assert!(matches!(posts::show(&f.app, id, Some(&bob)).await, Err(AppError::NotFound("post"))));
        assert!(posts::show(&f.app, id, Some(&alice)).await.is_ok(), "its author sees it");
        let key = PostKey::Id(id);
        assert!(matches!(posts::article(&f.app, key, Some(&bob)).await, Err(AppError::NotFound("post"))));
        let retitle = PostChanges { title: Some(Title::parse("Mine now").unwrap()), ..Default::default() };
        assert!(
            matches!(posts::edit(&f.app, &bob, key, retitle).await, Err(AppError::NotFound("post"))),
            "someone else's draft is not found, not forbidden"
        );
        assert!(matches!(app::social::set_favorite(&f.app, &bob, key, true).await, Err(AppError::NotFound("post"))));
    }
    let slug = posts::article(&f.app, PostKey::Id(draft.id), Some(&alice)).await.unwrap().row.slug.unwrap();
    let body = domain::CommentBody::parse("First!").unwrap();
    assert!(matches!(
        app::comments::add(&f.app, &bob, PostKey::Slug(&slug), body).await,
        Err(AppError::NotFound("post"))
    ));
    assert!(matches!(app::comments::list(&f.app, &slug, None, 10, 0).await, Err(AppError::NotFound("post"))));
    let moderator = app::accounts::set_moderator(&f.app, "bob", true).await.unwrap();
    assert!(posts::show(&f.app, draft.id, Some(&moderator)).await.is_ok(), "moderators see drafts");
    let (unpublished, pages) = posts::unpublished(&f.app, &alice, None).await.unwrap();
    assert_eq!(unpublished.iter().map(|p| p.title.as_str()).collect::<Vec<_>>(), ["Later", "Draft"]);
    assert_eq!(pages.total_items, 2);
    assert_eq!(posts::unpublished(&f.app, &moderator, None).await.unwrap().0.len(), 0, "one's own only");

    // Nothing happens before the time, then the step publishes it everywhere at once.
    f.app.clock().advance(std::time::Duration::from_secs(3600));
    assert_eq!(posts::publish_due(&f.app).await.unwrap(), 0);
    assert_eq!(seen_by(&f, None).await, only_out);
    f.app.clock().advance(std::time::Duration::from_secs(3601));
    assert_eq!(posts::publish_due(&f.app).await.unwrap(), 1);
    assert_eq!(posts::publish_due(&f.app).await.unwrap(), 0, "published once");
    let both = vec!["Later".to_owned(), "Out".to_owned()];
    assert_eq!(seen_by(&f, None).await, (both.clone(), both, 2, vec![("news".to_owned(), 2)]));
    let shown = posts::show(&f.app, scheduled.id, None).await.unwrap();
    assert_eq!(shown.date_posted, at, "it is dated at its time");

    // Publishing the draft dates it now: it comes first.
    let publish = PostChanges { intent: Some(Intent::Publish), ..Default::default() };
    let saved = posts::edit(&f.app, &alice, PostKey::Id(draft.id), publish).await.unwrap();
    assert!(saved.publication.at <= f.app.clock().now(), "published now");
    assert!(saved.publication.at > at);
    let (titles, _, count, tags) = seen_by(&f, None).await;
    assert_eq!(
        (titles, count, tags),
        (vec!["Draft".into(), "Later".into(), "Out".into()], 3, vec![("news".into(), 3)])
    );

    // Unpublishing takes it out of every listing and count again; deleting a draft counts nothing.
    let unpublish = PostChanges { intent: Some(Intent::Draft), ..Default::default() };
    posts::edit(&f.app, &alice, PostKey::Id(draft.id), unpublish).await.unwrap();
    assert_eq!(seen_by(&f, None).await.2, 2);
    posts::delete(&f.app, &alice, PostKey::Id(draft.id)).await.unwrap();
    assert_eq!(seen_by(&f, None).await.2, 2);
}

#[tokio::test]
async fn scheduling_for_a_time_already_past_publishes_now() {
    let f = Fixture::new().await;
    let alice = f.account("alice").await;
    let past = f.app.clock().now() - chrono::Duration::minutes(5);
    let saved =
        posts::create(&f.app, &alice, NewPost { intent: Intent::Schedule(past), ..post("Late", &[]) }).await.unwrap();
    assert!(saved.publication.schedule_was_past);
    assert_eq!(saved.publication.state, domain::PostState::Published);
    assert!(posts::show(&f.app, saved.id, None).await.is_ok());
}

#[tokio::test]
async fn every_save_is_a_version_and_only_the_last_50_are_kept() {
    let f = Fixture::new().await;
    let alice = f.account("alice").await;
    let bob = f.account("bob").await;
    let id = posts::create(&f.app, &alice, post("Version 1", &["a"])).await.unwrap().id;
    for n in 2..=55 {
        let changes = PostChanges { title: Some(Title::parse(&format!("Version {n}")).unwrap()), ..Default::default() };
        posts::edit(&f.app, &alice, PostKey::Id(id), changes).await.unwrap();
    }
    let (_, versions) = posts::history(&f.app, &alice, id).await.unwrap();
    assert_eq!(versions.len(), 50);
    assert_eq!((versions[0].number, versions[49].number), (55, 6), "the newest 50, newest first");
    assert_eq!(versions[0].snapshot.title, "Version 55");
    assert_eq!(versions[0].snapshot.tags, ["a"], "what was not changed is kept in each version");
    assert!(matches!(posts::version(&f.app, &alice, id, 5).await, Err(AppError::NotFound("version"))));
    assert!(matches!(posts::history(&f.app, &bob, id).await, Err(AppError::NotFound("post"))));
    assert!(matches!(posts::restore(&f.app, &bob, id, 6).await, Err(AppError::NotFound("post"))));

    let restored = posts::restore(&f.app, &alice, id, 6).await.unwrap();
    assert_eq!(restored.publication.state, domain::PostState::Published, "its state stays");
    let shown = posts::show(&f.app, id, None).await.unwrap();
    assert_eq!(shown.title, "Version 6");
    let (_, versions) = posts::history(&f.app, &alice, id).await.unwrap();
    assert_eq!((versions.len(), versions[0].number, versions[0].snapshot.title.as_str()), (50, 56, "Version 6"));
}

#[tokio::test]
async fn a_post_from_before_versions_keeps_its_old_state_as_version_1_at_its_first_edit() {
    let f = Fixture::new().await;
    let alice = f.account("alice").await;
    let id = posts::create(&f.app, &alice, post("Old", &["kept"])).await.unwrap().id;
    // As a post written before versions were kept: none stored.
    let db = persistence::connect(&f.app.settings().database_url).await.unwrap();
    persistence::ConnectionTrait::execute_unprepared(&db, "DELETE FROM post_revisions").await.unwrap();
    let changes = PostChanges { title: Some(Title::parse("New").unwrap()), tags: Some(vec![]), ..Default::default() };
    posts::edit(&f.app, &alice, PostKey::Id(id), changes).await.unwrap();
    let (_, versions) = posts::history(&f.app, &alice, id).await.unwrap();
    let seen: Vec<(i32, &str, Vec<String>)> =
        versions.iter().map(|v| (v.number, v.snapshot.title.as_str(), v.snapshot.tags.clone())).collect();
    assert_eq!(seen, [(2, "New", vec![]), (1, "Old", vec!["kept".to_owned()])]);
}

#[tokio::test]
async fn the_data_version_stays_while_nothing_is_written_and_moves_with_every_write_from_anywhere() {
    let f = Fixture::new().await;
    let alice = f.account("alice").await;
    // On PostgreSQL the number is the whole server's: the other tests' databases on it commit
    // too, and may move it during any one read. A read that moved it itself would move it every
    // time, so reading must leave it alone in at least one of a few tries (on SQLite, the first).
    let tries = if f.app.settings().database_url.starts_with("sqlite:") { 1 } else { 20 };
    let mut still = false;
    for _ in 0..tries {
        let before = f.app.data_version().await.unwrap();
        let read = posts::home_page(&f.app, None).await.unwrap();
        assert!(read.0.is_empty());
        if f.app.data_version().await.unwrap() == before {
            still = true;
            break;
        }
    }
    assert!(still, "reading changes nothing");
    let first = f.app.data_version().await.unwrap();

    let id = posts::create(&f.app, &alice, post("Hello", &["rust"])).await.unwrap().id;
    let second = f.app.data_version().await.unwrap();
    assert_ne!(second, first);

    // Another process's connection: a write it has made but not committed leaves the number
    // alone (in one of a few tries on PostgreSQL, as above); its commit moves it.
    let elsewhere = persistence::connect(&f.app.settings().database_url).await.unwrap();
    let mut open = None;
    for _ in 0..tries {
        let before = f.app.data_version().await.unwrap();
        let writing = persistence::begin_write(&elsewhere).await.unwrap();
        assert!(persistence::posts::delete(&writing, id).await.unwrap());
        if f.app.data_version().await.unwrap() == before {
            open = Some(writing);
            break;
        }
        writing.rollback().await.unwrap();
    }
    let writing = open.expect("a write not yet committed changes nothing");
    let before_commit = f.app.data_version().await.unwrap();
    writing.commit().await.unwrap();
    let third = f.app.data_version().await.unwrap();
    assert_ne!(third, before_commit);
    assert_ne!(third, second);
    assert_ne!(third, first);
    assert!(posts::home_page(&f.app, None).await.unwrap().0.is_empty(), "the post is gone");
}

#[tokio::test]
async fn posts_written_together_are_each_saved_as_if_alone() {
    let f = Fixture::new().await;
    let alice = f.account("alice").await;
    let mut closed = post("Same", &["b", "a"]);
    closed.close_comments = true;
    let draft = NewPost { intent: Intent::Draft, ..post("Same", &[]) };
    // More than one transaction takes at once.
    let mut batch = vec![(&alice, post("Same", &["rust"])), (&alice, closed), (&alice, draft)];
    batch.extend((0..40).map(|n| (&alice, post(&format!("Many {n}"), &["many"]))));
    let saved = posts::create_all(&f.app, batch).await;
    assert_eq!(saved.len(), 43);
    let ids: Vec<i64> = saved.into_iter().map(|s| s.unwrap().id).collect();
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 43, "one post each");

    let shown: Vec<posts::Article> = {
        let mut out = Vec::new();
        for id in &ids[..3] {
            out.push(posts::article(&f.app, PostKey::Id(*id), Some(&alice)).await.unwrap());
        }
        out
    };
    let slugs: HashSet<_> = shown.iter().map(|a| a.row.slug.clone().unwrap()).collect();
    assert_eq!(slugs.len(), 3, "a taken slug is not given twice in one transaction: {slugs:?}");
    assert!(slugs.contains("same"));
    assert_eq!(shown[0].row.tags.0, ["rust"]);
    assert_eq!(
        (shown[1].row.tags.0.as_slice(), shown[1].row.comments_closed),
        (&["a".to_owned(), "b".to_owned()][..], true)
    );
    assert_eq!((shown[2].row.state.as_str(), shown[2].row.comments_closed), ("draft", false));
    for id in [ids[0], ids[42]] {
        let (_, versions) = posts::history(&f.app, &alice, id).await.unwrap();
        assert_eq!(versions.iter().map(|v| v.number).collect::<Vec<_>>(), [1], "each has its first version");
    }
    let (_, total) = posts::list_articles(&f.app, posts::Filter::default(), 20, 0, None).await.unwrap();
    assert_eq!(total, 42, "the draft is not listed");
}

#[tokio::test]
async fn a_post_that_cannot_be_saved_fails_alone_when_written_with_others() {
    let f = Fixture::new().await;
    let alice = f.account("alice").await;
    let bob = f.account("bob").await;
    // Bob leaves while his post is on its way: it can no longer be saved.
    app::accounts::delete_own(&f.app, &bob, crate::PASSWORD).await.unwrap();
    let batch = vec![(&alice, post("First", &["a"])), (&bob, post("Orphan", &["a"])), (&alice, post("Last", &["a"]))];
    let saved = posts::create_all(&f.app, batch).await;
    assert_eq!(saved.len(), 3);
    assert!(
        saved[0].is_ok() && saved[2].is_ok(),
        "the others are saved: {:?}",
        saved.iter().map(|s| s.is_ok()).collect::<Vec<_>>()
    );
    assert!(saved[1].is_err(), "the post of a deleted account is refused");
    let titles: Vec<String> = posts::home_page(&f.app, None).await.unwrap().0.into_iter().map(|p| p.title).collect();
    assert_eq!(titles, ["Last", "First"]);
}

/// Each listing reads its posts' tags in its own query, as JSON the database writes: tags that
/// JSON must escape come back as written, from every listing, and a post with none has none.
#[tokio::test]
async fn every_listing_reads_its_posts_tags_as_they_were_written() {
    let f = Fixture::new().await;
    let alice = f.account("alice").await;
    let awkward = ["say \"hi\"", "back\\slash", "comma, too", "unit\u{1f}sep", "[\"json\"]", "ünï 🦀", "tab\there"];
    let tagged = posts::create(&f.app, &alice, post("Tagged", &awkward)).await.unwrap().id;
    let bare = posts::create(&f.app, &alice, post("Bare", &[])).await.unwrap().id;
    let mut expected: Vec<String> = awkward.iter().map(|t| t.to_string()).collect();
    expected.sort_unstable();
    let tags_by_id =
        |rows: &[posts::Post]| -> Vec<(i64, Vec<String>)> { rows.iter().map(|p| (p.id, p.tags.0.clone())).collect() };
    let both = vec![(bare, Vec::new()), (tagged, expected.clone())];

    assert_eq!(tags_by_id(&posts::home_page(&f.app, None).await.unwrap().0), both, "the home page");
    assert_eq!(tags_by_id(&posts::author_page(&f.app, "alice", None).await.unwrap().1), both, "an author's page");
    let (rows, _, _) = posts::tag_page(&f.app, "ünï 🦀", None).await.unwrap();
    assert_eq!(tags_by_id(&rows), [(tagged, expected.clone())], "a tag's page");
    let (_, rows) = posts::feed_posts(&f.app, posts::FeedOf::Site).await.unwrap();
    assert_eq!(tags_by_id(&rows), both, "the site's feed");
    assert_eq!(posts::show(&f.app, tagged, None).await.unwrap().tags.0, expected, "the post's page");

    let (articles, _) = posts::list_articles(&f.app, posts::Filter::default(), 20, 0, None).await.unwrap();
    let listed: Vec<(i64, Vec<String>)> = articles.iter().map(|a| (a.row.id, a.row.tags.0.clone())).collect();
    assert_eq!(listed, both, "the API's list");
    let article = posts::article(&f.app, PostKey::Id(tagged), None).await.unwrap();
    assert_eq!(article.row.tags.0, expected, "the API's article");
}

#[tokio::test]
async fn a_post_is_answered_as_it_is_kept() {
    let f = Fixture::new().await;
    let alice = f.account("alice").await;
    let written = posts::create_article(
        &f.app,
        &alice,
        NewPost { close_comments: true, ..post("Answered", &["zeta", "Alpha", "beta"]) },
    )
    .await
    .unwrap();
    let kept = posts::article(&f.app, PostKey::Id(written.row.id), Some(&alice)).await.unwrap();
    assert_eq!(written.row, kept.row);
    assert_eq!(written.row.tags.0, ["Alpha", "beta", "zeta"]);
    assert_eq!((written.favorited, written.following), (kept.favorited, kept.following));
}
