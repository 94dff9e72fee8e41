//! Uploaded files on disk (avatars, post images): written whole, and swept when a crash left
//! them without their row.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

/// Writes `bytes` as `dir/name`, appearing whole or not at all (a temporary `.name.tmp`, then
/// a rename).
pub(crate) async fn write_whole(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = dir.join(format!(".{name}.tmp"));
    tokio::fs::create_dir_all(dir).await?;
    tokio::fs::write(&tmp, bytes).await?;
    if let Err(e) = tokio::fs::rename(&tmp, dir.join(name)).await {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(e);
    }
    Ok(())
}

/// Deletes the files of `dir` that `is_ours` names and no row uses (`used`, read only when
/// there is something to look at), and half-written temporary files, older than `grace` (an
/// upload another instance is finishing keeps its file). Returns how many were deleted.
pub(crate) async fn sweep<F, Fut>(dir: &Path, is_ours: fn(&str) -> bool, used: F, grace: Duration, what: &str) -> usize
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<HashSet<String>, persistence::DbErr>>,
{
    let mut entries = match tokio::fs::read_dir(dir).await {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return 0,
        Err(e) => {
            log::warn!("{what} sweep: cannot read {}: {e}", dir.display());
            return 0;
        }
    };
    // Listed before the rows are read: a file that appears later is not looked at.
    let mut candidates = Vec::new();
    while let Ok(Some(entry)) = entries.next_entry().await {
        let name = entry.file_name().to_string_lossy().into_owned();
        let temporary = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")).is_some_and(is_ours);
        let old =
            entry.metadata().await.and_then(|m| m.modified()).is_ok_and(|m| m.elapsed().is_ok_and(|a| a >= grace));
        if old && (temporary || is_ours(&name)) {
            candidates.push((name, temporary));
        }
    }
    if candidates.is_empty() {
        return 0;
    }
    let used = match used().await {
        Ok(used) => used,
        Err(e) => {
            log::warn!("{what} sweep: cannot read the rows: {e}");
            return 0;
        }
    };
    let mut deleted = 0;
    for (name, temporary) in candidates {
        if (temporary || !used.contains(&name)) && tokio::fs::remove_file(dir.join(&name)).await.is_ok() {
            deleted += 1;
        }
    }
    if deleted > 0 {
        log::warn!("{what} sweep: deleted {deleted} files nothing uses");
    }
    deleted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours(name: &str) -> bool {
        name.ends_with(".ours")
    }

    #[tokio::test]
    async fn the_sweep_deletes_our_unused_and_half_written_files_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["used.ours", "left.ours", ".half.ours.tmp", "README", ".other.tmp"] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        let used = || async { Ok(HashSet::from(["used.ours".to_owned()])) };
        assert_eq!(sweep(dir.path(), ours, used, Duration::from_secs(3600), "test").await, 0, "too new");
        assert_eq!(sweep(dir.path(), ours, used, Duration::ZERO, "test").await, 2);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [".other.tmp", "README", "used.ours"]);
        write_whole(dir.path(), "new.ours", b"whole").await.unwrap();
        assert_eq!(std::fs::read(dir.path().join("new.ours")).unwrap(), b"whole");
    }
}
