//! Comments: who may see, write, delete and approve one, and when one waits for approval.

use std::time::Duration;

use crate::Actor;
use crate::throttle::Limit;

/// Comments on one page under a post.
pub const PER_PAGE: u64 = 50;

/// Comments one writer may post within the window, on the whole site.
pub const PER_WRITER: Limit = Limit { max: 10, window: Duration::from_secs(10 * 60) };

/// Which comments wait for approval before readers see them (the `comment_moderation` setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Moderation {
    /// A writer's comments wait until one of theirs has been approved on this blog.
    #[default]
    First,
    /// Every comment waits.
    All,
    /// No comment waits.
    None,
}

/// `comment_moderation` is not one of `first`, `all` or `none`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("comment_moderation must be \"first\", \"all\" or \"none\", not {0:?}")]
pub struct UnknownModeration(pub String);

impl Moderation {
    /// Reads the setting.
    pub fn parse(raw: &str) -> Result<Self, UnknownModeration> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "first" => Ok(Self::First),
            "all" => Ok(Self::All),
            "none" => Ok(Self::None),
            _ => Err(UnknownModeration(raw.to_owned())),
        }
    }

    /// As the setting spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::First => "first",
            Self::All => "all",
            Self::None => "none",
        }
    }

    /// Whether a new comment by `writer` on a post by `post_author` waits for approval, given
    /// whether the writer has had a comment approved. The post's author and moderators, who
    /// would approve it, never wait.
    pub fn holds(self, writer: Actor, post_author: i64, writer_has_approved: bool) -> bool {
        if writer.may_modify(post_author) {
            return false;
        }
        match self {
            Self::First => !writer_has_approved,
            Self::All => true,
            Self::None => false,
        }
    }
}

/// Whether `actor` may delete a comment by `writer` on a post by `post_author`: its writer, the
/// post's author and moderators.
pub fn may_delete(actor: Actor, writer: i64, post_author: i64) -> bool {
    actor.may_modify(writer) || actor.may_modify(post_author)
}

/// Whether `actor` may approve or reject a comment on a post by `post_author`: that post's
/// author and moderators.
pub fn may_moderate(actor: Actor, post_author: i64) -> bool {
    actor.may_modify(post_author)
}

/// Whether `viewer` may know a comment in this state exists: an approved one, everyone who
/// sees its post; a held one, its writer and those who may moderate it.
pub fn may_see(viewer: Option<Actor>, approved: bool, writer: i64, post_author: i64) -> bool {
    approved || viewer.is_some_and(|v| v.user_id == writer || may_moderate(v, post_author))
}

/// The page of a post's comments that shows comment number `position` (from 1, oldest first).
pub fn page_of(position: u64) -> u64 {
    position.max(1).div_ceil(PER_PAGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    const READER: Actor = Actor { user_id: 2, is_admin: false };
    const AUTHOR: i64 = 1;
    const MODERATOR: Actor = Actor { user_id: 9, is_admin: true };

    #[test]
    fn the_setting_reads_its_three_words_and_nothing_else() {
        assert_eq!(Moderation::parse("first"), Ok(Moderation::First));
        assert_eq!(Moderation::parse(" ALL "), Ok(Moderation::All));
        assert_eq!(Moderation::parse("none"), Ok(Moderation::None));
        assert!(Moderation::parse("some").is_err());
        assert_eq!(Moderation::default(), Moderation::First);
    }

    #[test]
    fn first_holds_a_writer_until_one_of_theirs_is_approved() {
        assert!(Moderation::First.holds(READER, AUTHOR, false));
        assert!(!Moderation::First.holds(READER, AUTHOR, true));
    }

    #[test]
    fn all_holds_everyone_but_the_author_and_moderators_and_none_holds_nobody() {
        assert!(Moderation::All.holds(READER, AUTHOR, true));
        assert!(!Moderation::All.holds(Actor { user_id: AUTHOR, is_admin: false }, AUTHOR, false));
        assert!(!Moderation::All.holds(MODERATOR, AUTHOR, false));
        assert!(!Moderation::None.holds(READER, AUTHOR, false));
    }

    #[test]
    fn writer_post_author_and_moderators_may_delete_others_may_not() {
        let other = Actor { user_id: 3, is_admin: false };
        assert!(may_delete(READER, READER.user_id, AUTHOR));
        assert!(may_delete(Actor { user_id: AUTHOR, is_admin: false }, READER.user_id, AUTHOR));
        assert!(may_delete(MODERATOR, READER.user_id, AUTHOR));
        assert!(!may_delete(other, READER.user_id, AUTHOR));
    }

    #[test]
    fn a_held_comment_is_known_to_its_writer_and_moderators_only() {
        let other = Actor { user_id: 3, is_admin: false };
        assert!(may_see(None, true, READER.user_id, AUTHOR));
        assert!(!may_see(None, false, READER.user_id, AUTHOR));
        assert!(!may_see(Some(other), false, READER.user_id, AUTHOR));
        assert!(may_see(Some(READER), false, READER.user_id, AUTHOR));
        assert!(may_see(Some(Actor { user_id: AUTHOR, is_admin: false }), false, READER.user_id, AUTHOR));
        assert!(may_see(Some(MODERATOR), false, READER.user_id, AUTHOR));
    }

    #[test]
    fn pages_hold_fifty_comments() {
        assert_eq!(page_of(1), 1);
        assert_eq!(page_of(50), 1);
        assert_eq!(page_of(51), 2);
        assert_eq!(page_of(0), 1);
    }
}
