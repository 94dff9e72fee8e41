//! Brute-force protection: attempts counted per account and per client address in the database,
//! so that the counts hold across restarts and instances. The limits are `domain::throttle`'s.

use std::time::Duration;

use chrono::Utc;
use domain::throttle::Limit;
use persistence::DatabaseConnection;

use crate::AppError as Error;

/// Failed logins.
pub(crate) const LOGIN: &str = "login";
/// Password-reset requests.
pub(crate) const RESET: &str = "reset";

/// The key an account is counted under.
pub(crate) fn account_key(email: &str) -> String {
    format!("email:{}", email.trim().to_lowercase())
}

/// The key one account from one client address is counted under: the account's key and `|`
/// first, so that [`pair_keys_prefix`] finds them all.
pub(crate) fn pair_key(email: &str, address: Option<std::net::IpAddr>) -> String {
    format!("{}{}", pair_keys_prefix(email), address_key(address))
}

/// What every [`pair_key`] of one account starts with.
pub(crate) fn pair_keys_prefix(email: &str) -> String {
    format!("{}|", account_key(email))
}

/// The key a client address is counted under.
pub(crate) fn address_key(address: Option<std::net::IpAddr>) -> String {
    address.map_or_else(|| "ip:unknown".to_owned(), |ip| format!("ip:{ip}"))
}

/// How long the client must wait before another attempt of `scope`, if any key is over its limit.
pub(crate) async fn wait(
    db: &DatabaseConnection,
    scope: &str,
    checks: &[(&str, Limit)],
) -> Result<Option<Duration>, Error> {
    let mut longest: Option<Duration> = None;
    for (key, limit) in checks {
        if let Some(w) = over(db, scope, key, *limit).await? {
            longest = Some(longest.map_or(w, |l| l.max(w)));
        }
    }
    Ok(longest)
}

/// How long until `key` is back under `limit`, if it is over it now.
async fn over(db: &DatabaseConnection, scope: &str, key: &str, limit: Limit) -> Result<Option<Duration>, Error> {
    let now = Utc::now();
    let (count, oldest) = persistence::throttle::recent(db, scope, key, now - window(limit)).await?;
    let age = oldest.and_then(|o| (now - o).to_std().ok()).unwrap_or_default();
    Ok(limit.wait(count, age))
}

/// Whether `key` has any event of `scope` within `limit`'s window.
pub(crate) async fn any_within(db: &DatabaseConnection, scope: &str, key: &str, limit: Limit) -> Result<bool, Error> {
    let (count, _) = persistence::throttle::recent(db, scope, key, Utc::now() - window(limit)).await?;
    Ok(count > 0)
}

fn window(limit: Limit) -> chrono::Duration {
    chrono::Duration::from_std(limit.window).unwrap_or(chrono::Duration::minutes(15))
}

/// Counts one attempt of `scope` against each key.
pub(crate) async fn record(db: &impl persistence::ConnectionTrait, scope: &str, keys: &[&str]) -> Result<(), Error> {
    let now = Utc::now();
    for key in keys {
        persistence::throttle::record(db, scope, key, now).await?;
    }
    Ok(())
}
