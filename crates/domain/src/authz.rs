//! Who may change what.

/// The signed-in user asking to do something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    /// The user's id.
    pub user_id: i64,
    /// Whether the user moderates the blog.
    pub is_admin: bool,
}

impl Actor {
    /// Whether this user may update or delete what `owner_id` wrote: its author, or a moderator.
    pub fn may_modify(&self, owner_id: i64) -> bool {
        self.user_id == owner_id || self.is_admin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authors_may_modify_their_own_posts_only() {
        let ann = Actor { user_id: 1, is_admin: false };
        assert!(ann.may_modify(1));
        assert!(!ann.may_modify(2));
    }

    #[test]
    fn moderators_may_modify_any_post() {
        let moderator = Actor { user_id: 3, is_admin: true };
        assert!(moderator.may_modify(1));
    }
}
