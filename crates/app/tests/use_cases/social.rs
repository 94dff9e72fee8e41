use app::AppError;
use app::posts::{NewPost, PostKey};
use app::social;
use domain::{Content, Title};

use crate::Fixture;

async fn publish(f: &Fixture, author: &app::User, title: &str) -> i64 {
    let new = NewPost {
        title: Title::parse(title).unwrap(),
        content: Content::parse("Words.").unwrap(),
        description: String::new(),
        tags: vec!["news".into()],
        intent: domain::Intent::Publish,
        close_comments: false,
    };
    app::posts::create(&f.app, author, new).await.unwrap().id
}

#[tokio::test]
async fn follows_show_in_profiles_and_the_feed_and_nobody_follows_themselves() {
    let f = Fixture::new().await;
    let alice = f.account("alice").await;
    let bob = f.account("bob").await;
    publish(&f, &bob, "By bob").await;
    assert!(matches!(social::follow(&f.app, &alice, "ALICE").await, Err(AppError::Invalid { field: "username", .. })));
    social::follow(&f.app, &alice, "bob").await.unwrap();
    social::follow(&f.app, &alice, "bob").await.unwrap();
    assert!(social::profile(&f.app, "bob", Some(&alice)).await.unwrap().1);
    assert!(!social::profile(&f.app, "bob", None).await.unwrap().1);
    let (feed, count) = app::posts::feed(&f.app, &alice, 20, 0).await.unwrap();
    assert_eq!((count, feed[0].following), (1, true));
    social::unfollow(&f.app, &alice, "bob").await.unwrap();
    assert_eq!(app::posts::feed(&f.app, &alice, 20, 0).await.unwrap().1, 0);
}

#[tokio::test]
async fn favourites_count_once_per_reader() {
    let f = Fixture::new().await;
    let alice = f.account("alice").await;
    let bob = f.account("bob").await;
    publish(&f, &alice, "Liked").await;
    social::set_favorite(&f.app, &bob, PostKey::Slug("liked"), true).await.unwrap();
    let twice = social::set_favorite(&f.app, &bob, PostKey::Slug("liked"), true).await.unwrap();
    assert_eq!((twice.row.favorites_count, twice.favorited), (1, true));
    let off = social::set_favorite(&f.app, &bob, PostKey::Slug("liked"), false).await.unwrap();
    assert_eq!((off.row.favorites_count, off.favorited), (0, false));
    assert!(matches!(
        social::set_favorite(&f.app, &bob, PostKey::Slug("nothing"), true).await,
        Err(AppError::NotFound("post"))
    ));
    assert_eq!(social::tags(&f.app).await.unwrap(), ["news"]);
}
