use app::AppError;
use app::posts::{self, NewPost, PostChanges, PostKey};
use domain::{Content, Title};

use crate::Fixture;

fn post(title: &str, tags: &[&str]) -> NewPost {
    NewPost {
        title: Title::parse(title).unwrap(),
        content: Content::parse("Some words.").unwrap(),
        description: "A summary".into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
    }
}

#[tokio::test]
async fn only_the_author_or_a_moderator_edits_or_deletes_a_post() {
    let f = Fixture::new().await;
    let alice = f.account("alice").await;
    let bob = f.account("bob").await;
    let id = posts::publish(&f.app, &alice, post("Hello", &["rust"])).await.unwrap();
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
    assert_eq!((shown.row.title.as_str(), shown.tags.as_slice()), ("Changed", &["rust".to_owned()][..]));
    assert_eq!(shown.row.content, "Some words.", "what was not sent stays");
    posts::delete(&f.app, &alice, PostKey::Slug("changed")).await.unwrap();
    assert!(matches!(posts::show(&f.app, id).await, Err(AppError::NotFound("post"))));
}

#[tokio::test]
async fn listings_page_through_the_newest_first_and_refuse_pages_that_do_not_exist() {
    let f = Fixture::new().await;
    let alice = f.account("alice").await;
    for n in 1..=7 {
        posts::publish(&f.app, &alice, post(&format!("Post {n}"), &[])).await.unwrap();
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
    };
    let id = posts::publish(&f.app, &alice, new).await.unwrap();
    let shown = posts::show(&f.app, id).await.unwrap();
    let html = shown.body_html.clone().unwrap();
    assert_eq!(shown.format, "markdown");
    assert!(html.contains(r#"<h1 id="h-hi">"#) && html.contains("hl-storage"), "{html}");
    assert!(!html.contains("<script"), "{html}");
    assert_eq!(shown.excerpt.as_deref(), Some("Hi fn main() {}"), "raw HTML is no text");
    assert_eq!(app::maintenance::rerender(&f.app, true).await.unwrap(), 0, "nothing is left unrendered");
    assert_eq!(app::maintenance::rerender(&f.app, false).await.unwrap(), 1);
    assert_eq!(posts::show(&f.app, id).await.unwrap().body_html.as_deref(), Some(html.as_str()));
}
