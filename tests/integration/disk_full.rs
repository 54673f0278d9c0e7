//! A full disk under the files the hub writes itself (keys, the outbox's messages): a small
//! tmpfs the test mounts and fills. A write fails whole, names the path and how much room was
//! missing, leaves nothing half-written, and works again once there is room. Without the right
//! to mount (not root, a locked-down container) the test says so and is skipped.

use std::path::{Path, PathBuf};
use std::process::Command;

use noroshi::delivery::transport::{Outbox, SendOutcome};

/// A 64 KiB tmpfs, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount() -> Option<Self> {
        let dir = tempfile::TempDir::new().expect("a temp dir");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
            .arg(dir.path())
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Self { dir }),
            Ok(o) => {
                eprintln!(
                    "skipped: cannot mount a small tmpfs here ({})",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("skipped: cannot run mount: {e}");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills the disk to the last byte with `filler`.
    fn fill(&self) -> PathBuf {
        use std::io::Write;
        let filler = self.path().join("filler");
        let mut f = std::fs::File::create(&filler).expect("the filler");
        let block = vec![0u8; 4096];
        while f.write_all(&block).is_ok() {}
        while f.write_all(&[0]).is_ok() {}
        let _ = f.sync_all();
        filler
    }

    /// Every file on the disk but the filler.
    fn files(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut dirs = vec![self.path().to_path_buf()];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).expect("a directory").flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.file_name().is_some_and(|n| n != "filler") {
                    out.push(p.display().to_string());
                }
            }
        }
        out
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).output();
    }
}

#[tokio::test]
async fn on_a_full_disk_keys_and_messages_are_written_whole_or_not_at_all() {
    let Some(disk) = SmallDisk::mount() else {
        return;
    };
    // The directories exist before the disk fills (a directory takes no data blocks on tmpfs,
    // but the test does not rely on that).
    let keys = disk.path().join("keys");
    let outbox_dir = disk.path().join("outbox");
    std::fs::create_dir_all(&keys).unwrap();
    std::fs::create_dir_all(&outbox_dir).unwrap();
    let filler = disk.fill();

    // A new key: refused with the path and the room missing; no empty key file left behind.
    let key = keys.join("ack-link.key");
    let e = noroshi::keys::load_or_create(&key, "acknowledgement links").unwrap_err();
    let said = format!("{e:#}");
    assert!(
        said.contains(&key.display().to_string())
            && said.contains("the disk is full")
            && said.contains("64 bytes needed"),
        "{said}"
    );
    // A message to the outbox: deferred with the reason; no half message.
    let outbox = Outbox {
        dir: outbox_dir.clone(),
    };
    let message = "x".repeat(20_000);
    match outbox.write("alert-1.contact-7", message.as_bytes()).await {
        SendOutcome::Transient(why) => assert!(
            why.contains("alert-1.contact-7.eml") && why.contains("the disk is full"),
            "{why}"
        ),
        other => panic!("a full disk is a reason to try again later: {other:?}"),
    }
    assert_eq!(
        disk.files(),
        Vec::<String>::new(),
        "nothing half-written, no temporary file left"
    );

    // Room again: both go through, whole.
    std::fs::remove_file(&filler).unwrap();
    let k = noroshi::keys::load_or_create(&key, "acknowledgement links").unwrap();
    assert_eq!(k.len(), 32);
    assert_eq!(
        noroshi::keys::load_or_create(&key, "acknowledgement links").unwrap(),
        k,
        "the key stays the key"
    );
    assert!(matches!(
        outbox.write("alert-1.contact-7", message.as_bytes()).await,
        SendOutcome::Sent(_)
    ));
    assert_eq!(
        std::fs::read(outbox_dir.join("alert-1.contact-7.eml")).unwrap(),
        message.as_bytes()
    );
}
