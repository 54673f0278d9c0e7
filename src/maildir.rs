//! A Maildir folder as an inbox: the mail system delivers into `new/`; each message is read and
//! moved to `cur/`, marked seen (`:2,S`), or flagged as well (`:2,FS`) when it was refused, so an
//! operator can find it. Ingest reads NISC/NCO notices this way, `inbound` replies and bounces.

use std::path::{Path, PathBuf};

/// Creates `new/`, `cur/` and `tmp/` if missing.
pub fn ensure(dir: &Path) -> std::io::Result<()> {
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(dir.join(sub))?;
    }
    Ok(())
}

/// Messages waiting in `new/`, oldest name first, at most `limit`. A file whose name is not
/// UTF-8 is renamed to a readable one first (`unnamed-<hash>`), so it is read like any other
/// instead of waiting there unseen.
pub fn pending(dir: &Path, limit: usize) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("new"))?
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .filter_map(|p| match p.file_name().map(|n| n.to_str()) {
            Some(Some(_)) => Some(p),
            Some(None) => readable_name(&p).ok(),
            None => None,
        })
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| !n.starts_with('.'))
        })
        .collect();
    files.sort();
    files.truncate(limit);
    Ok(files)
}

fn readable_name(p: &Path) -> std::io::Result<PathBuf> {
    use sha2::{Digest, Sha256};
    let raw = p
        .file_name()
        .map(|n| n.as_encoded_bytes().to_vec())
        .unwrap_or_default();
    let name = format!("unnamed-{}", &hex::encode(Sha256::digest(&raw))[..16]);
    let to = p.with_file_name(name);
    tracing::warn!(to = %to.display(), "a Maildir file's name is not UTF-8: renamed");
    std::fs::rename(p, &to)?;
    Ok(to)
}

/// Moves a message from `new/` to `cur/`, marked seen, and flagged too if it was refused. Only
/// the Maildir info part (`:2,…`) of the name is replaced, and a name already taken in `cur/`
/// gets a suffix: two messages never end as one file.
pub fn finish(dir: &Path, message: &Path, refused: bool) -> std::io::Result<PathBuf> {
    let full = message
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("message");
    let name = full.split_once(":2,").map_or(full, |(base, _)| base);
    let flags = if refused { "FS" } else { "S" };
    let mut target = dir.join("cur").join(format!("{name}:2,{flags}"));
    let mut n = 1;
    while target.exists() {
        target = dir.join("cur").join(format!("{name}.{n}:2,{flags}"));
        n += 1;
    }
    std::fs::rename(message, &target)?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_move_from_new_to_cur_with_flags() {
        let tmp = tempfile::tempdir();
        assert!(tmp.is_ok());
        let Ok(tmp) = tmp else { return };
        let dir = tmp.path().join("nco");
        assert!(ensure(&dir).is_ok());
        for name in ["2.host", "1.host", ".hidden"] {
            assert!(std::fs::write(dir.join("new").join(name), "x").is_ok());
        }
        let waiting = pending(&dir, 10).unwrap_or_default();
        let names: Vec<_> = waiting
            .iter()
            .filter_map(|p| p.file_name()?.to_str())
            .collect();
        assert_eq!(names, ["1.host", "2.host"]);
        assert!(finish(&dir, &waiting[0], false).is_ok());
        assert!(finish(&dir, &waiting[1], true).is_ok());
        assert!(dir.join("cur/1.host:2,S").is_file());
        assert!(dir.join("cur/2.host:2,FS").is_file());
        assert_eq!(pending(&dir, 10).unwrap_or_default().len(), 0);
    }

    #[test]
    fn names_that_differ_after_a_colon_stay_two_files_and_a_non_utf8_name_is_read() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("in");
        ensure(&dir).unwrap();
        std::fs::write(dir.join("new").join("a:1"), "one").unwrap();
        std::fs::write(dir.join("new").join("a:2"), "two").unwrap();
        {
            use std::os::unix::ffi::OsStrExt;
            let bad = std::ffi::OsStr::from_bytes(b"bad\xff\xfe");
            std::fs::write(dir.join("new").join(bad), "three").unwrap();
        }
        let waiting = pending(&dir, 10).unwrap();
        assert_eq!(waiting.len(), 3, "{waiting:?}");
        for w in &waiting {
            finish(&dir, w, true).unwrap();
        }
        let mut texts: Vec<String> = std::fs::read_dir(dir.join("cur"))
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect();
        texts.sort();
        assert_eq!(texts, ["one", "three", "two"]);
    }
}
