//! Where a user may be sent back to after logging in.

/// `next` if it is a path on this site: one leading `/`, not `//` (another host), no backslash
/// (browsers read `/\host` as `//host`), no control characters. Anything else gives `None`.
pub fn local_path(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(|c| c.is_control() || c.is_whitespace());
    ok.then_some(next)
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn local_paths_are_kept() {
        assert_eq!(local_path("/account"), Some("/account"));
        assert_eq!(local_path("/post/3/update?x=1"), Some("/post/3/update?x=1"));
    }

    #[test]
    fn other_sites_and_odd_paths_are_refused() {
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "evil",
            "",
            "javascript:alert(1)",
            "/a\nb",
            "/ a",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
    }
}
