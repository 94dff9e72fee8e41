//! How many attempts are allowed before a client must wait: failed logins and password-reset
//! requests, counted over sliding windows.
//!
//! Failed logins are counted per (account, client address) pair, per address, and per account
//! across every address. The first two stop one guesser; the account-wide count, at a much
//! higher bar, slows guessing spread over many addresses, and holds back only addresses that
//! have themselves failed for that account: someone else's failures never lock the owner out.

use std::time::Duration;

/// At most `max` events within `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Events allowed within the window.
    pub max: u64,
    /// The window.
    pub window: Duration,
}

const FIFTEEN_MINUTES: Duration = Duration::from_secs(15 * 60);
const ONE_HOUR: Duration = Duration::from_secs(60 * 60);

/// Failed logins for one account from one client address.
pub const LOGIN_PER_ACCOUNT_AND_ADDRESS: Limit = Limit { max: 5, window: FIFTEEN_MINUTES };
/// Failed logins from one client address, whatever the accounts.
pub const LOGIN_PER_ADDRESS: Limit = Limit { max: 20, window: FIFTEEN_MINUTES };
/// Failed logins for one account from every address together. Past it, an address that has
/// failed for the account within this window waits; other addresses do not.
pub const LOGIN_PER_ACCOUNT: Limit = Limit { max: 100, window: ONE_HOUR };
/// Password-reset requests for one email address.
pub const RESET_PER_ACCOUNT: Limit = Limit { max: 5, window: FIFTEEN_MINUTES };
/// Password-reset requests from one client address.
pub const RESET_PER_ADDRESS: Limit = Limit { max: 20, window: FIFTEEN_MINUTES };

impl Limit {
    /// Given `count` events in the window, the oldest `age_of_oldest` ago: how long until one
    /// more is allowed, or `None` if it is allowed now.
    pub fn wait(&self, count: u64, age_of_oldest: Duration) -> Option<Duration> {
        (count >= self.max).then(|| self.window.saturating_sub(age_of_oldest).max(Duration::from_secs(1)))
    }
}

/// "1 minute", "15 minutes": a wait rounded up to whole minutes, for people.
pub fn describe_wait(wait: Duration) -> String {
    let minutes = wait.as_secs().div_ceil(60).max(1);
    if minutes == 1 { "1 minute".into() } else { format!("{minutes} minutes") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_below_the_limit_are_allowed() {
        assert_eq!(LOGIN_PER_ACCOUNT_AND_ADDRESS.wait(4, Duration::from_secs(10)), None);
        assert_eq!(LOGIN_PER_ACCOUNT.wait(99, Duration::from_secs(10)), None);
    }

    #[test]
    fn at_the_limit_one_waits_until_the_oldest_leaves_the_window() {
        let wait = LOGIN_PER_ACCOUNT_AND_ADDRESS.wait(5, Duration::from_secs(60)).unwrap();
        assert_eq!(wait, Duration::from_secs(14 * 60));
        assert_eq!(describe_wait(wait), "14 minutes");
        assert_eq!(describe_wait(Duration::from_secs(1)), "1 minute");
        assert_eq!(LOGIN_PER_ADDRESS.wait(20, Duration::from_secs(15 * 60)), Some(Duration::from_secs(1)));
    }
}
