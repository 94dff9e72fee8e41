//! Gazette's schema, one migration per change, applied in order at start-up (`Migrator::up`).

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_create_users;
mod m20261122_000002_create_posts;
mod m20261122_000003_create_sessions;
mod m20261122_000004_create_outbox;
mod m20261122_000005_create_throttle_events;
mod m20261122_000006_create_revoked_tokens;
mod m20261122_000007_add_post_slug_and_description;
mod m20261122_000008_add_user_bio;
mod m20261122_000009_create_tags;
mod m20261122_000010_create_favorites;
mod m20261122_000011_create_follows;
mod m20261122_000012_create_comments;
mod m20261122_000013_create_post_counts;
mod m20261201_000014_add_username_skeleton;
mod m20261201_000015_add_post_format;
mod m20261201_000016_add_post_state;
mod m20261201_000017_add_user_time_zone;
mod m20261201_000018_create_post_revisions;
mod m20261201_000019_create_images;
mod m20261201_000020_add_post_tag_visibility;
mod m20261201_000021_index_followers;
mod m20261201_000022_add_comment_moderation;
mod m20261201_000023_add_post_comments_version;
mod m20261201_000024_create_post_search;
mod m20261206_000025_index_unrendered;

/// Every migration, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_users::Migration),
            Box::new(m20261122_000002_create_posts::Migration),
            Box::new(m20261122_000003_create_sessions::Migration),
            Box::new(m20261122_000004_create_outbox::Migration),
            Box::new(m20261122_000005_create_throttle_events::Migration),
            Box::new(m20261122_000006_create_revoked_tokens::Migration),
            Box::new(m20261122_000007_add_post_slug_and_description::Migration),
            Box::new(m20261122_000008_add_user_bio::Migration),
            Box::new(m20261122_000009_create_tags::Migration),
            Box::new(m20261122_000010_create_favorites::Migration),
            Box::new(m20261122_000011_create_follows::Migration),
            Box::new(m20261122_000012_create_comments::Migration),
            Box::new(m20261122_000013_create_post_counts::Migration),
            Box::new(m20261201_000014_add_username_skeleton::Migration),
            Box::new(m20261201_000015_add_post_format::Migration),
            Box::new(m20261201_000016_add_post_state::Migration),
            Box::new(m20261201_000017_add_user_time_zone::Migration),
            Box::new(m20261201_000018_create_post_revisions::Migration),
            Box::new(m20261201_000019_create_images::Migration),
            Box::new(m20261201_000020_add_post_tag_visibility::Migration),
            Box::new(m20261201_000021_index_followers::Migration),
            Box::new(m20261201_000022_add_comment_moderation::Migration),
            Box::new(m20261201_000023_add_post_comments_version::Migration),
            Box::new(m20261201_000024_create_post_search::Migration),
            Box::new(m20261206_000025_index_unrendered::Migration),
        ]
    }
}
