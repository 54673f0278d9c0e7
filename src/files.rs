//! Files written whole or not at all: a temporary file beside the target is written and synced,
//! then renamed into place (or hard-linked, when the target must not exist yet, so two processes
//! creating the same file never replace each other's), and the directory is synced. A full disk
//! or a crash leaves the old file or no file, never half of one; the error names the path and,
//! when the disk is full, how much was needed and how much is free. Infrastructure: no capability
//! imports here.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// Replaces `path` with `bytes` (mode `mode` on Unix).
pub fn write_replacing(path: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<()> {
    let tmp = write_temp(path, bytes, mode)?;
    let placed = std::fs::rename(&tmp, path);
    if let Err(e) = placed {
        let _ = std::fs::remove_file(&tmp);
        return Err(explain(e, path, bytes.len())).context("cannot move the file into place");
    }
    sync_dir(path);
    Ok(())
}

/// Creates `path` with `bytes` unless it exists; false when it did (another writer was first,
/// and its file stands).
pub fn write_new(path: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<bool> {
    let tmp = write_temp(path, bytes, mode)?;
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            sync_dir(path);
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(explain(e, path, bytes.len())),
    }
}

/// Writes `bytes` to a new temporary file in `path`'s directory and syncs it; removed again if
/// anything fails.
fn write_temp(path: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<PathBuf> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        rand::random::<u32>()
    ));
    let written = (|| -> std::io::Result<()> {
        let mut f = open_new(&tmp, mode)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(explain(e, path, bytes.len()));
    }
    Ok(tmp)
}

#[cfg(unix)]
fn open_new(path: &Path, mode: u32) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
}

#[cfg(not(unix))]
fn open_new(path: &Path, _mode: u32) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

/// The rename is durable only once the directory entry is: sync the directory (best effort).
fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
}

/// The error for writing `path`: on a full disk, how much was needed and how much is free.
fn explain(e: std::io::Error, path: &Path, needed: usize) -> anyhow::Error {
    if e.kind() == std::io::ErrorKind::StorageFull || e.kind() == std::io::ErrorKind::QuotaExceeded
    {
        let free = path
            .parent()
            .and_then(free_bytes)
            .map_or_else(|| "unknown".to_owned(), |b| format!("{b} bytes"));
        return anyhow::anyhow!(
            "cannot write {}: the disk is full ({needed} bytes needed, {free} free); nothing was written",
            path.display()
        );
    }
    anyhow::Error::new(e).context(format!("cannot write {}", path.display()))
}

#[cfg(unix)]
#[allow(clippy::useless_conversion)] // the statvfs field types differ between platforms
fn free_bytes(dir: &Path) -> Option<u64> {
    let s = nix::sys::statvfs::statvfs(dir).ok()?;
    Some(u64::from(s.blocks_available()).saturating_mul(u64::from(s.fragment_size())))
}

#[cfg(not(unix))]
fn free_bytes(_dir: &Path) -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_replaced_whole_and_a_new_one_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        write_replacing(&p, b"one", 0o644).unwrap();
        write_replacing(&p, b"two", 0o644).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let k = dir.path().join("k.key");
        assert!(write_new(&k, b"first", 0o600).unwrap());
        assert!(!write_new(&k, b"second", 0o600).unwrap());
        assert_eq!(std::fs::read(&k).unwrap(), b"first");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&k).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn a_write_into_a_missing_directory_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("missing").join("a.txt");
        let e = write_replacing(&p, b"x", 0o644).unwrap_err();
        assert!(format!("{e:#}").contains("missing/a.txt"), "{e:#}");
    }
}
