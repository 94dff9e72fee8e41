//! When a post shows: drafts, scheduled posts and published ones, the time an author types for
//! "Schedule", and the time zone it is read in.

use chrono::{DateTime, NaiveDateTime, TimeZone as _, Utc};

/// Where a post stands. Only a published post is visible to readers; a scheduled one becomes
/// published when its time comes (the application's per-minute step), a draft when its author
/// publishes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostState {
    /// Saved, not published.
    Draft,
    /// To be published at its publish time.
    Scheduled,
    /// Visible to everyone.
    Published,
}

impl PostState {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Scheduled => "scheduled",
            Self::Published => "published",
        }
    }

    /// From what is stored; anything unknown is a draft (shown to nobody but its author).
    pub fn from_stored(value: &str) -> Self {
        match value {
            "published" => Self::Published,
            "scheduled" => Self::Scheduled,
            _ => Self::Draft,
        }
    }

    /// Whether readers see it: the one visibility rule (the database's listings apply the same
    /// rule as `state = 'published'`).
    pub fn is_visible(self) -> bool {
        self == Self::Published
    }
}

/// What an author asked for when saving a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// Publish now (a published post being edited keeps its publish time).
    Publish,
    /// Keep it as a draft (unpublishing a published post).
    Draft,
    /// Publish at this time.
    Schedule(DateTime<Utc>),
}

/// The state and publish time a save gives a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Publication {
    /// Its new state.
    pub state: PostState,
    /// Its publish time (for a draft: when it was saved).
    pub at: DateTime<Utc>,
    /// "Schedule" was asked for a time already past, so the post was published now instead.
    pub schedule_was_past: bool,
}

impl Publication {
    /// What saving with `intent` at `now` makes of a post that is `current` (state and publish
    /// time; `None` for a new post).
    pub fn decide(intent: Intent, current: Option<(PostState, DateTime<Utc>)>, now: DateTime<Utc>) -> Self {
        let published = |schedule_was_past| {
            let at = match current {
                Some((PostState::Published, at)) => at,
                _ => now,
            };
            Self { state: PostState::Published, at, schedule_was_past }
        };
        match intent {
            Intent::Publish => published(false),
            Intent::Draft => Self { state: PostState::Draft, at: now, schedule_was_past: false },
            Intent::Schedule(at) if at <= now => published(true),
            Intent::Schedule(at) => Self { state: PostState::Scheduled, at, schedule_was_past: false },
        }
    }
}

/// Why a time zone or a publish time was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// Not an IANA time zone name.
    #[error("Choose a time zone from the list (such as Europe/Paris or UTC).")]
    UnknownZone,
    /// "Schedule" without a time.
    #[error("Choose when to publish the post.")]
    Missing,
    /// Not `YYYY-MM-DDTHH:MM`.
    #[error("Enter the date and time as YYYY-MM-DD HH:MM.")]
    Malformed,
    /// A local time the clocks skip (the change to summer time).
    #[error("That time does not exist in {0}: the clocks change then.")]
    Skipped(String),
}

/// An account's time zone (an IANA name such as `Europe/Paris`); UTC unless chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeZone(Option<chrono_tz::Tz>);

impl TimeZone {
    /// UTC.
    pub const UTC: Self = Self(None);

    /// Checks a name as chosen; empty (or `UTC`) is UTC.
    pub fn parse(raw: &str) -> Result<Self, TimeError> {
        match raw.trim() {
            "" | "UTC" => Ok(Self::UTC),
            name => name.parse::<chrono_tz::Tz>().map(|tz| Self(Some(tz))).map_err(|_| TimeError::UnknownZone),
        }
    }

    /// From what is stored (`None` or an unknown name: UTC).
    pub fn from_stored(value: Option<&str>) -> Self {
        value.and_then(|v| Self::parse(v).ok()).unwrap_or_default()
    }

    /// Its name, as stored and shown (`UTC` for UTC).
    pub fn name(self) -> &'static str {
        self.0.map_or("UTC", |tz| tz.name())
    }

    /// What to store: `None` for UTC.
    pub fn stored(self) -> Option<String> {
        self.0.map(|tz| tz.name().to_owned())
    }

    /// Every zone one may choose, by name.
    pub fn names() -> impl Iterator<Item = &'static str> {
        std::iter::once("UTC").chain(chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).filter(|n| *n != "UTC"))
    }

    /// Reads an HTML `datetime-local` value (`YYYY-MM-DDTHH:MM`, seconds allowed) as a time
    /// in this zone. A time the clocks pass twice is the earlier one.
    pub fn parse_local(self, raw: &str) -> Result<DateTime<Utc>, TimeError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(TimeError::Missing);
        }
        let local = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
            .iter()
            .find_map(|format| NaiveDateTime::parse_from_str(raw, format).ok())
            .ok_or(TimeError::Malformed)?;
        let Some(tz) = self.0 else { return Ok(local.and_utc()) };
        tz.from_local_datetime(&local)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| TimeError::Skipped(tz.name().to_owned()))
    }

    /// `at` as a `datetime-local` value in this zone (to fill the form in again).
    pub fn to_local_input(self, at: DateTime<Utc>) -> String {
        self.format(at, "%Y-%m-%dT%H:%M")
    }

    /// `at` in this zone, formatted with chrono's `format`.
    pub fn format(self, at: DateTime<Utc>, format: &str) -> String {
        match self.0 {
            Some(tz) => at.with_timezone(&tz).format(format).to_string(),
            None => at.format(format).to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn publishing_a_draft_publishes_it_now_and_editing_a_published_post_keeps_its_time() {
        let now = at("2026-12-01T12:00:00Z");
        let earlier = at("2026-11-01T08:00:00Z");
        let draft = Publication::decide(Intent::Publish, Some((PostState::Draft, earlier)), now);
        assert_eq!((draft.state, draft.at), (PostState::Published, now));
        let edited = Publication::decide(Intent::Publish, Some((PostState::Published, earlier)), now);
        assert_eq!((edited.state, edited.at), (PostState::Published, earlier));
        let new = Publication::decide(Intent::Publish, None, now);
        assert_eq!((new.state, new.at, new.schedule_was_past), (PostState::Published, now, false));
    }

    #[test]
    fn scheduling_for_a_past_time_publishes_now_and_says_so() {
        let now = at("2026-12-01T12:00:00Z");
        let past = Publication::decide(Intent::Schedule(at("2026-12-01T11:59:00Z")), None, now);
        assert_eq!((past.state, past.at, past.schedule_was_past), (PostState::Published, now, true));
        let later = at("2026-12-02T09:00:00Z");
        let future = Publication::decide(Intent::Schedule(later), None, now);
        assert_eq!((future.state, future.at, future.schedule_was_past), (PostState::Scheduled, later, false));
        let draft = Publication::decide(Intent::Draft, Some((PostState::Published, later)), now);
        assert_eq!((draft.state, draft.at), (PostState::Draft, now));
    }

    #[test]
    fn local_times_are_read_in_the_accounts_zone() {
        assert_eq!(TimeZone::UTC.parse_local("2026-12-24T18:30"), Ok(at("2026-12-24T18:30:00Z")));
        let paris = TimeZone::parse("Europe/Paris").unwrap();
        assert_eq!(paris.parse_local("2026-12-24T18:30"), Ok(at("2026-12-24T17:30:00Z")));
        assert_eq!(paris.parse_local("2026-07-01T12:00"), Ok(at("2026-07-01T10:00:00Z")));
        assert_eq!(paris.to_local_input(at("2026-12-24T17:30:00Z")), "2026-12-24T18:30");
        // 02:30 on the last Sunday of March does not happen in Paris.
        assert_eq!(paris.parse_local("2026-03-29T02:30"), Err(TimeError::Skipped("Europe/Paris".into())));
        assert_eq!(TimeZone::UTC.parse_local(""), Err(TimeError::Missing));
        for bad in ["tomorrow", "2026-13-01T00:00", "2026-12-01", "2026-12-01T25:00", "'; DROP TABLE posts"] {
            assert_eq!(TimeZone::UTC.parse_local(bad), Err(TimeError::Malformed), "{bad}");
        }
    }

    #[test]
    fn zones_are_iana_names_and_unknown_stored_ones_read_as_utc() {
        assert_eq!(TimeZone::parse("Mars/Olympus"), Err(TimeError::UnknownZone));
        assert_eq!(TimeZone::parse("").unwrap(), TimeZone::UTC);
        assert_eq!(TimeZone::parse("Asia/Tokyo").unwrap().stored().as_deref(), Some("Asia/Tokyo"));
        assert_eq!(TimeZone::from_stored(Some("Nowhere/Else")), TimeZone::UTC);
        assert!(TimeZone::names().any(|n| n == "America/New_York"));
        assert_eq!(TimeZone::names().next(), Some("UTC"));
    }

    #[test]
    fn only_published_posts_are_visible_and_unknown_states_are_drafts() {
        assert!(PostState::Published.is_visible());
        assert!(!PostState::Scheduled.is_visible());
        assert_eq!(PostState::from_stored("archived"), PostState::Draft);
        for state in [PostState::Draft, PostState::Scheduled, PostState::Published] {
            assert_eq!(PostState::from_stored(state.as_str()), state);
        }
    }
}
