//! `noroshi backup --to DIR` and `noroshi restore --from DIR`: a consistent copy of a hub taken
//! while it runs, and the hub put back from it on a fresh data directory.
//!
//! A backup is a folder: `data/` (the SQLite database as SQLite's `VACUUM INTO` writes it — one
//! consistent moment, taken while other connections keep writing — and every other file of the
//! data directory: keys, the audit checkpoints, the inbound Maildir, queued mail) and
//! `manifest.json`, written last, with each file's size and SHA-256, the row counts of the main
//! tables in the copy, the schema's last migration and the release that wrote it. The search
//! index is not copied: it is rebuilt from the database on restore (a copy taken mid-commit
//! could be torn). On PostgreSQL the database is `pg_dump`'s to copy; the backup holds the files
//! and says so.
//!
//! Restore refuses, changing nothing, a folder without a manifest (an interrupted or foreign
//! backup), a file missing, changed or not listed, a data directory that already holds a hub,
//! and a database that does not match the manifest's counts after it was put back.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, Database};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::{DatabaseKind, Settings};
use crate::context::AppContext;

pub const MANIFEST: &str = "manifest.json";
const FORMAT: u32 = 1;
const DB_FILE: &str = "noroshi.db";
/// The tables whose counts a restore must reproduce.
const COUNTED: [&str; 13] = [
    "organisations",
    "users",
    "org_contacts",
    "advisories",
    "alerts",
    "alert_revisions",
    "deliveries",
    "acknowledgements",
    "audit_log",
    "cases",
    "incident_reports",
    "surveys",
    "survey_answers",
];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Relative to `data/`, with `/`.
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub noroshi: String,
    pub created_at: DateTime<Utc>,
    /// `sqlite` (the database is in `data/noroshi.db`) or `postgres` (it is not).
    pub database: String,
    pub last_migration: String,
    pub rows: BTreeMap<String, u64>,
    pub files: Vec<FileEntry>,
}

fn sha256_file(path: &Path) -> anyhow::Result<(u64, String)> {
    let mut f =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((n, hex::encode(h.finalize())))
}

/// Every file under `root`, relative, skipping what `skip` says.
fn walk(root: &Path, skip: &dyn Fn(&Path) -> bool) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            // A folder that went away while we walked (a Maildir's tmp) is not an error.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot list {}", dir.display())),
        };
        for e in entries {
            let e = e?;
            let path = e.path();
            let rel = path.strip_prefix(root)?.to_path_buf();
            if skip(&rel) {
                continue;
            }
            let kind = e.file_type()?;
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                out.push(rel);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn rel_string(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

fn kind_of(settings: &Settings) -> anyhow::Result<DatabaseKind> {
    use secrecy::ExposeSecret;
    DatabaseKind::of_url(settings.database_url().expose_secret()).map_err(anyhow::Error::msg)
}

async fn counts(db: &impl ConnectionTrait) -> anyhow::Result<BTreeMap<String, u64>> {
    let mut out = BTreeMap::new();
    for t in COUNTED {
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {t}"),
            ))
            .await
            .with_context(|| format!("cannot count {t}"))?
            .context("a count returned no row")?;
        let n: i64 = row.try_get("", "n")?;
        out.insert(t.to_owned(), u64::try_from(n).unwrap_or(0));
    }
    Ok(out)
}

async fn last_migration(db: &sea_orm::DatabaseConnection) -> anyhow::Result<String> {
    Ok(crate::db::migration_status(db)
        .await?
        .into_iter()
        .filter(|(_, applied)| *applied)
        .map(|(name, _)| name)
        .next_back()
        .unwrap_or_default())
}

/// Whether a file of the data directory stays out of a backup: the live database (copied by
/// SQLite instead), the search index (rebuilt), and the backup itself if it sits inside.
fn skipped(rel: &Path, inside: Option<&Path>) -> bool {
    let first = rel
        .components()
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default();
    first.starts_with(DB_FILE) || first == "index" || inside.is_some_and(|i| rel.starts_with(i))
}

/// Takes a backup of the running hub into `out` (absent or empty).
pub async fn take(ctx: &AppContext, out: &Path) -> anyhow::Result<Manifest> {
    if out.exists() && std::fs::read_dir(out)?.next().is_some() {
        bail!(
            "{} is not empty: a backup goes into a new folder",
            out.display()
        );
    }
    let data = out.join("data");
    std::fs::create_dir_all(&data).with_context(|| format!("cannot create {}", data.display()))?;
    let root = &ctx.settings.app.data_dir;
    let kind = kind_of(&ctx.settings)?;
    let (database, rows) = match kind {
        DatabaseKind::Sqlite => {
            let copy = data.join(DB_FILE);
            let target = copy.to_string_lossy().replace('\'', "''");
            ctx.db
                .execute_unprepared(&format!("VACUUM INTO '{target}'"))
                .await
                .context("SQLite could not write the copy (VACUUM INTO)")?;
            let c = Database::connect(format!("sqlite://{}?mode=ro", copy.display())).await?;
            let rows = counts(&c).await?;
            c.close().await?;
            ("sqlite", rows)
        }
        DatabaseKind::Postgres => ("postgres", counts(&ctx.db).await?),
    };
    let inside = out.canonicalize().ok().and_then(|o| {
        root.canonicalize()
            .ok()
            .and_then(|r| o.strip_prefix(r).ok().map(Path::to_path_buf))
    });
    let mut files = Vec::new();
    for rel in walk(root, &|p| skipped(p, inside.as_deref()))? {
        let from = root.join(&rel);
        let to = data.join(&rel);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        match std::fs::copy(&from, &to) {
            Ok(_) => {}
            // Moved while we copied (an inbound mail from new/ to cur/): it is in its new place
            // if the walk saw that, and the database says what became of it.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot copy {}", from.display())),
        }
        let (bytes, sha256) = sha256_file(&to)?;
        files.push(FileEntry {
            path: rel_string(&rel),
            bytes,
            sha256,
        });
    }
    if kind == DatabaseKind::Sqlite {
        let (bytes, sha256) = sha256_file(&data.join(DB_FILE))?;
        files.push(FileEntry {
            path: DB_FILE.into(),
            bytes,
            sha256,
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let manifest = Manifest {
        format: FORMAT,
        noroshi: env!("CARGO_PKG_VERSION").into(),
        created_at: Utc::now(),
        database: database.into(),
        last_migration: last_migration(&ctx.db).await?,
        rows,
        files,
    };
    // Written last, atomically: a folder without it is an interrupted backup.
    let tmp = out.join("manifest.json.tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(serde_json::to_string_pretty(&manifest)?.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, out.join(MANIFEST))?;
    std::fs::File::open(out)?.sync_all()?;
    Ok(manifest)
}

/// Reads and checks a backup: its manifest, and every file against it.
pub fn check(from: &Path) -> anyhow::Result<Manifest> {
    let text = std::fs::read_to_string(from.join(MANIFEST)).map_err(|_| {
        anyhow::anyhow!(
            "{} has no {MANIFEST}: the backup was interrupted, or this is not a Noroshi backup",
            from.display()
        )
    })?;
    let m: Manifest = serde_json::from_str(&text)
        .with_context(|| format!("{}: the manifest does not read", from.display()))?;
    if m.format != FORMAT {
        bail!(
            "backup format {} is not one this release reads ({FORMAT})",
            m.format
        );
    }
    let data = from.join("data");
    let mut problems = Vec::new();
    for f in &m.files {
        if f.path.split('/').any(|c| c == ".." || c.is_empty()) {
            bail!("the manifest names a path outside the backup: {}", f.path);
        }
        let path = data.join(&f.path);
        match sha256_file(&path) {
            Err(_) => problems.push(format!("{}: missing (a partial backup)", f.path)),
            Ok((bytes, _)) if bytes != f.bytes => problems.push(format!(
                "{}: {bytes} bytes where the manifest says {}",
                f.path, f.bytes
            )),
            Ok((_, sum)) if sum != f.sha256 => {
                problems.push(format!(
                    "{}: its SHA-256 differs from the manifest's",
                    f.path
                ));
            }
            Ok(_) => {}
        }
    }
    let listed: std::collections::BTreeSet<&str> =
        m.files.iter().map(|f| f.path.as_str()).collect();
    for rel in walk(&data, &|_| false)? {
        let r = rel_string(&rel);
        if !listed.contains(r.as_str()) {
            problems.push(format!("{r}: not in the manifest"));
        }
    }
    if !problems.is_empty() {
        bail!(
            "the backup in {} does not match its manifest; nothing was restored:\n  {}",
            from.display(),
            problems.join("\n  ")
        );
    }
    Ok(m)
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    pub manifest: Manifest,
    pub files: usize,
    pub cases_indexed: u64,
}

/// Puts a backup back into the data directory `settings` name (which must not hold a hub yet),
/// migrates the database to this release, checks the counts and rebuilds the search index.
pub async fn restore(settings: Settings, from: &Path) -> anyhow::Result<Restored> {
    let m = check(from)?;
    let root = settings.app.data_dir.clone();
    let kind = kind_of(&settings)?;
    match (kind, m.database.as_str()) {
        (DatabaseKind::Sqlite, "sqlite") | (DatabaseKind::Postgres, "postgres") => {}
        (DatabaseKind::Sqlite, other) => bail!(
            "this backup's database was {other} and is not in it; restore that database with its own tools and point database.url at it"
        ),
        (DatabaseKind::Postgres, other) => bail!(
            "this backup holds a {other} database, but database.url names PostgreSQL; unset database.url to restore into {}",
            root.join(DB_FILE).display()
        ),
    }
    if kind == DatabaseKind::Sqlite && settings.database.url.is_some() {
        bail!(
            "restore puts the SQLite database at {}: unset database.url (it names another file)",
            root.join(DB_FILE).display()
        );
    }
    if root.join(DB_FILE).exists() || root.join("keys").exists() {
        bail!(
            "{} already holds a hub (a database or keys); restore into an empty data directory",
            root.display()
        );
    }
    std::fs::create_dir_all(&root).with_context(|| format!("cannot create {}", root.display()))?;
    let data = from.join("data");
    for f in &m.files {
        let to = root.join(&f.path);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let tmp = to.with_extension("restoring");
        std::fs::copy(data.join(&f.path), &tmp)
            .with_context(|| format!("cannot write {}", to.display()))?;
        std::fs::File::open(&tmp)?.sync_all()?;
        std::fs::rename(&tmp, &to)?;
    }
    let ctx = AppContext::connect(settings).await?;
    crate::db::migrate(&ctx.db).await?;
    let now = counts(&ctx.db).await?;
    if kind == DatabaseKind::Sqlite && now != m.rows {
        let diff: Vec<String> = m
            .rows
            .iter()
            .filter(|(t, n)| now.get(*t) != Some(n))
            .map(|(t, n)| {
                format!(
                    "{t}: {n} in the manifest, {} restored",
                    now.get(t).copied().unwrap_or(0)
                )
            })
            .collect();
        bail!(
            "the restored database does not hold what the backup counted: {}",
            diff.join("; ")
        );
    }
    let mut progress = |_: u64, _: u64| {};
    let cases_indexed = crate::cases::outbox::rebuild(&ctx.db, &ctx.search, &mut progress).await?;
    Ok(Restored {
        files: m.files.len(),
        manifest: m,
        cases_indexed,
    })
}
