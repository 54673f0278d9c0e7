//! A Maildir folder as an inbox for NISC/NCO notices: the mail system delivers into `new/`; each
//! message is ingested and moved to `cur/`, marked seen (`:2,S`), or flagged as well (`:2,FS`)
//! when it was refused, so an operator can find it.

use std::path::{Path, PathBuf};

/// Creates `new/`, `cur/` and `tmp/` if missing.
pub fn ensure(dir: &Path) -> std::io::Result<()> {
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(dir.join(sub))?;
    }
    Ok(())
}

/// Messages waiting in `new/`, oldest name first, at most `limit`.
pub fn pending(dir: &Path, limit: usize) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("new"))?
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
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

/// Moves a message from `new/` to `cur/`, marked seen, and flagged too if it was refused.
pub fn finish(dir: &Path, message: &Path, refused: bool) -> std::io::Result<PathBuf> {
    let name = message
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("message")
        .split(':')
        .next()
        .unwrap_or("message")
        .to_owned();
    let flags = if refused { "FS" } else { "S" };
    let target = dir.join("cur").join(format!("{name}:2,{flags}"));
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
}
