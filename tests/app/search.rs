//! Search: `/search?q=` and the API's `q`, on the database's own full-text index. Ranking (a title
//! match first), phrases, exclusions, a prefix on the last word, snippets with the matched words
//! marked and everything else escaped, nothing invisible ever found, and hostile queries.

use gazette_tests::{Browser, TestApp};
use rocket::http::Status;

/// The titles of the results on a search page, in order (their `<mark>` taken out).
fn titles(body: &str) -> Vec<String> {
    body.split("<h2 class=\"post-title\"><a href=\"/post/")
        .skip(1)
        .filter_map(|rest| {
            let start = rest.find("\">")? + 2;
            let end = rest.find("</a></h2>")?;
            Some(rest[start..end].replace("<mark>", "").replace("</mark>", ""))
        })
        .collect()
}

async fn search(reader: &mut Browser<'_>, q: &str) -> Vec<String> {
    let page = reader.get(&format!("/search?q={}", urlencode(q))).await;
    assert_eq!(page.status, Status::Ok, "{q:?}: {}", page.body);
    titles(&page.body)
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

async fn write(author: &mut Browser<'_>, title: &str, content: &str, tags: &str) -> i64 {
    let page = author.post_form("/post/new", &[("title", title), ("content", content), ("tags", tags)]).await;
    assert_eq!(page.status, Status::SeeOther, "{}", page.body);
    page.location.as_deref().unwrap_or_default().trim_start_matches("/post/").parse().unwrap_or_default()
}

#[rocket::async_test]
async fn a_word_from_the_body_finds_the_post_with_a_marked_escaped_snippet_and_title_matches_rank_first() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    write(&mut alice, "Cooking at home", "A walrus appears. Walrus again, walrus everywhere: walrus.", "").await;
    write(&mut alice, "The walrus guide", "Nothing else here.", "").await;
    write(&mut alice, "Unrelated", "Nothing to see.", "").await;
    let mut reader = app.browser();

    assert_eq!(search(&mut reader, "walrus").await, ["The walrus guide", "Cooking at home"]);
    let page = reader.get("/search?q=walrus").await;
    assert!(page.shows("2 posts match “walrus”."), "{}", page.body);
    assert!(page.body.contains("The <mark>walrus</mark> guide"), "{}", page.body);
    assert!(page.body.contains("<mark>walrus</mark> appears. <mark>Walrus</mark> again"), "{}", page.body);
    // The search box keeps what was typed.
    assert!(page.body.contains(r#"name="q" value="walrus""#));

    // Snippets are text: a post's HTML is escaped, only the marks are markup.
    write(
        &mut alice,
        "Markup",
        "<script>alert('narwhal')</script> <b>narwhal</b> & **bold** [link](https://x.example/)",
        "",
    )
    .await;
    let page = reader.get("/search?q=narwhal").await;
    assert!(!page.body.contains("<script>alert"), "{}", page.body);
    assert!(
        page.body.contains("script&gt;alert(&#x27;<mark>narwhal</mark>&#x27;)&lt;/script&gt; &lt;b&gt;<mark>narwhal</mark>&lt;/b&gt; &amp; bold link"),
        "{}",
        page.body
    );
}

#[rocket::async_test]
async fn phrases_exclusions_prefixes_tags_and_descriptions() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    write(&mut alice, "One", "Error handling in practice.", "").await;
    write(&mut alice, "Two", "Handling an error quietly.", "").await;
    write(&mut alice, "Three", "Error handling with java.", "").await;
    write(&mut alice, "Four", "Nothing matching.", "gardening").await;
    let described = alice
        .post_form(
            "/post/new",
            &[("title", "Five"), ("content", "Plain."), ("description", "About asynchronous runtimes")],
        )
        .await;
    assert_eq!(described.status, Status::SeeOther);
    let mut reader = app.browser();

    let mut all = search(&mut reader, "error handling ").await;
    all.sort();
    assert_eq!(all, ["One", "Three", "Two"], "words: all must match, in any order");
    let mut phrase = search(&mut reader, "\"error handling\"").await;
    phrase.sort();
    assert_eq!(phrase, ["One", "Three"], "a phrase: in that order");
    assert_eq!(search(&mut reader, "\"error handling\" -java").await, ["One"], "-word leaves posts out");
    assert_eq!(search(&mut reader, "prac").await, ["One"], "the last word is a prefix");
    assert_eq!(search(&mut reader, "prac ").await, Vec::<String>::new(), "a finished word is whole");
    assert_eq!(search(&mut reader, "gardening").await, ["Four"], "tags are searched");
    assert_eq!(search(&mut reader, "asynchronous").await, ["Five"], "descriptions too");
    assert_eq!(search(&mut reader, "ERROR Handling java").await, ["Three"], "in any case");
}

#[rocket::async_test]
async fn a_half_typed_word_finds_every_word_it_starts_however_many_there_are() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    // More words start with "quokka" than a half-typed word is searched as one by one.
    let many = domain::search::MOST_COMPLETIONS + 1;
    for n in 0..many {
        write(&mut alice, &format!("Post {n}"), &format!("About quokka{n}, error handling."), "").await;
    }
    write(&mut alice, "Handled", "Handling errors, and quokkas.", "").await;
    let mut reader = app.browser();

    assert_eq!(search(&mut reader, "quokka").await.len() as u64, many + 1, "more words than are completed");
    let mut some = search(&mut reader, "quokka1").await;
    some.sort();
    assert_eq!(some, ["Post 1", "Post 10", "Post 11", "Post 12", "Post 13", "Post 14", "Post 15", "Post 16"]);
    assert_eq!(search(&mut reader, "quokkas").await, ["Handled"], "the whole word too");
    assert_eq!(search(&mut reader, "error-hand").await.len() as u64, many, "a phrase ending half typed");
    assert_eq!(search(&mut reader, "handling quokkas").await, ["Handled"]);
    assert_eq!(search(&mut reader, "quokkaz").await, Vec::<String>::new(), "no word starts so");
}

#[rocket::async_test]
async fn nothing_invisible_is_ever_found_and_changes_show_at_once() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    let mut reader = app.browser();
    let draft = alice
        .post_form("/post/new", &[("title", "Secret pangolin"), ("content", "pangolin"), ("action", "draft")])
        .await;
    assert_eq!(draft.status, Status::SeeOther);
    let at = (app.app().clock().now() + chrono::Duration::hours(3)).format("%Y-%m-%dT%H:%M").to_string();
    let scheduled = alice
        .post_form(
            "/post/new",
            &[("title", "Future pangolin"), ("content", "pangolin"), ("publish_at", &at), ("action", "schedule")],
        )
        .await;
    assert_eq!(scheduled.status, Status::SeeOther);
    assert_eq!(search(&mut reader, "pangolin").await, Vec::<String>::new(), "drafts and scheduled posts");
    assert_eq!(search(&mut alice, "pangolin").await, Vec::<String>::new(), "not even for their author");
    let api = reader.get("/api/articles?q=pangolin").await;
    assert_eq!(api.json()["articlesCount"], 0);

    let id = write(&mut alice, "Public pangolin", "An okapi too.", "").await;
    assert_eq!(search(&mut reader, "okapi").await, ["Public pangolin"]);
    // An edit is found at once, and its old words no more.
    let edited = alice
        .post_form(&format!("/post/{id}/update"), &[("title", "Public pangolin"), ("content", "A quokka now.")])
        .await;
    assert_eq!(edited.status, Status::SeeOther, "{}", edited.body);
    assert_eq!(search(&mut reader, "okapi").await, Vec::<String>::new());
    assert_eq!(search(&mut reader, "quokka").await, ["Public pangolin"]);
    // A deleted post is gone.
    let deleted = alice.post_form(&format!("/post/{id}/delete"), &[]).await;
    assert_eq!(deleted.status, Status::SeeOther);
    assert_eq!(search(&mut reader, "quokka").await, Vec::<String>::new());
}

#[rocket::async_test]
async fn hostile_and_empty_queries_never_fail() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    write(&mut alice, "Quotes", "A \"quoted\" word and an OR.", "").await;
    let mut reader = app.browser();
    let long = "x".repeat(10_000);
    let words = "word ".repeat(2_000);
    for q in [
        "\"",
        "\"\"\"",
        "(((",
        "NEAR(a b",
        "a OR",
        "title:quoted",
        "*",
        "quoted*",
        "'; DROP TABLE posts; --",
        "a:* & !b | c <-> d",
        "\\",
        "%00",
        "🦀",
        long.as_str(),
        words.as_str(),
    ] {
        let page = reader.get(&format!("/search?q={}", urlencode(q))).await;
        assert_eq!(page.status, Status::Ok, "{q:?}");
        let api = reader.get(&format!("/api/articles?q={}", urlencode(q))).await;
        assert_eq!(api.status, Status::Ok, "API {q:?}: {}", api.body);
    }
    assert_eq!(search(&mut reader, "quoted:word").await, ["Quotes"], "engine syntax is plain words");
    assert_eq!(search(&mut reader, "a OR").await, ["Quotes"]);

    let empty = reader.get("/search").await;
    assert_eq!(empty.status, Status::Ok);
    assert!(empty.body.contains(r#"<input id="search-q" type="search" name="q" value=""#));
    assert!(titles(&empty.body).is_empty());
    let excluded = reader.get("/search?q=-quoted").await;
    assert!(excluded.shows("Type a word to look for"), "{}", excluded.body);
    assert!(titles(&excluded.body).is_empty());
    assert_eq!(reader.get("/search?q=quoted&page=0").await.status, Status::NotFound);
    assert_eq!(reader.get("/search?q=quoted&page=2").await.status, Status::NotFound);
}

#[rocket::async_test]
async fn results_are_paginated_like_the_home_page_and_the_links_keep_the_query() {
    let app = TestApp::spawn().await;
    let alice = app.signed_up("alice").await;
    let id = app.user("alice").await.map(|u| u.id).unwrap_or_default();
    drop(alice);
    app.seed_posts(id, 25).await;
    let mut reader = app.browser();
    let first = reader.get("/search?q=body").await;
    assert!(first.shows("25 posts match “body”."), "{}", first.body);
    assert_eq!(titles(&first.body).len(), 20);
    assert!(first.body.contains(r#"search?q=body&amp;page=2">More results ›</a>"#), "{}", first.body);
    let second = reader.get("/search?q=body&page=2").await;
    assert_eq!(second.status, Status::Ok);
    assert_eq!(titles(&second.body).len(), 5);
    assert_eq!(reader.get("/search?q=body&page=3").await.status, Status::NotFound);
    // Equally good matches: the newest first.
    assert_eq!(titles(&first.body)[0], "Post 25");
}

#[rocket::async_test]
async fn the_api_searches_with_q_and_is_unchanged_without_it() {
    let app = TestApp::spawn().await;
    let mut alice = app.signed_up("alice").await;
    write(&mut alice, "Tagged capybara", "Text.", "rust").await;
    write(&mut alice, "Untagged", "A capybara in the body.", "").await;
    write(&mut alice, "Other", "Nothing.", "").await;
    let mut reader = app.browser();

    let found = reader.get("/api/articles?q=capybara").await.json();
    assert_eq!(found["articlesCount"], 2);
    assert_eq!(found["articles"][0]["title"], "Tagged capybara", "the title match first");
    assert_eq!(found["articles"][1]["title"], "Untagged");
    let tagged = reader.get("/api/articles?q=capybara&tag=rust").await.json();
    assert_eq!(tagged["articlesCount"], 1);
    assert_eq!(tagged["articles"][0]["tagList"][0], "rust");
    let by_author = reader.get("/api/articles?q=capybara&author=nobody").await.json();
    assert_eq!(by_author["articlesCount"], 0);
    let paged = reader.get("/api/articles?q=capybara&limit=1&offset=1").await.json();
    assert_eq!((paged["articlesCount"].clone(), paged["articles"][0]["title"].clone()), (2.into(), "Untagged".into()));
    let all = reader.get("/api/articles").await.json();
    assert_eq!(all["articlesCount"], 3);
    assert_eq!(all["articles"][0]["title"], "Other", "newest first, as before");
    let blank = reader.get("/api/articles?q=%20").await.json();
    assert_eq!(blank["articlesCount"], 3, "a blank q is no search");
}

#[rocket::async_test]
async fn a_query_matching_very_many_posts_ranks_the_newest_and_says_so() {
    let app = TestApp::spawn().await;
    let alice = app.signed_up("alice").await;
    let id = app.user("alice").await.map(|u| u.id).unwrap_or_default();
    drop(alice);
    app.seed_posts(id, domain::search::MOST_RANKED + 5).await;
    let mut reader = app.browser();
    let page = reader.get("/search?q=body").await;
    assert!(
        page.shows("More than 1000 posts match “body”: the newest 1000 of them are ranked. Add a word to find fewer."),
        "{}",
        page.body
    );
    assert_eq!(titles(&page.body)[0], format!("Post {}", domain::search::MOST_RANKED + 5), "the newest first");
    let api = reader.get("/api/articles?q=body&limit=1").await.json();
    assert_eq!(api["articlesCount"], domain::search::MOST_RANKED);
}
