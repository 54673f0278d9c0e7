//! `noroshi backup` and `noroshi restore`: a backup taken while alerts are being published, put
//! back on a fresh data directory, has the backup's row counts, an intact audit chain and the
//! same search results; a changed, partial or foreign backup and a data directory that already
//! holds a hub are refused, naming the problem, and nothing is written.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use noroshi::audit::{Actor, ChainCheck};
use noroshi::cases::{outbox, seed};
use noroshi::cli::backup;
use noroshi::context::AppContext;
use noroshi::search::{SearchQuery, Sort};

use crate::helpers::app::test_settings;
use crate::helpers::mail::{Draft, central_users, publish_alert};
use crate::helpers::spawn_app;

async fn top10(ctx: &AppContext, q: &str) -> Vec<u64> {
    ctx.search
        .search(SearchQuery {
            text: q.into(),
            access: vec!["central".into()],
            facets: vec![],
            sort: Sort::Relevance,
            limit: 10,
            offset: 0,
        })
        .await
        .unwrap()
        .hits
        .iter()
        .map(|h| h.id)
        .collect()
}

/// Copies a folder (a backup) to tamper with.
fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[tokio::test]
async fn a_backup_taken_under_load_restores_to_the_same_hub_and_a_damaged_one_is_refused() {
    let app = spawn_app().await;
    let postgres = noroshi::db::is_postgres(&app.ctx.db);
    let central = central_users(&app.ctx).await;
    let cases = seed::parse(seed::LIBRARY, noroshi::time::today_jst()).unwrap();
    seed::load(&app.ctx.db, &cases, &Actor::System)
        .await
        .unwrap();
    outbox::drain(&app.ctx.db, &app.ctx.search).await.unwrap();
    publish_alert(&app.ctx, &central, Draft::default()).await;

    // Alerts keep being published while the backup is taken.
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (ctx, stop, written) = (app.ctx.clone(), stop.clone(), written.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                publish_alert(
                    &ctx,
                    &central,
                    Draft {
                        to: &["org:131016"],
                        ..Draft::default()
                    },
                )
                .await;
                written.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    while written.load(Ordering::Relaxed) < 2 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("backup-1");
    let manifest = backup::take(&app.ctx, &out).await.unwrap();
    stop.store(true, Ordering::Relaxed);
    writer.await.unwrap();
    assert!(
        written.load(Ordering::Relaxed) >= 2,
        "the backup was taken while alerts were published"
    );
    assert!(out.join(backup::MANIFEST).exists());
    assert!(
        manifest.files.iter().any(|f| f.path == "keys/ack-link.key"),
        "{:?}",
        manifest.files
    );
    assert!(
        !manifest.files.iter().any(|f| f.path.starts_with("index/")),
        "the index is rebuilt, not copied"
    );
    assert_eq!(manifest.rows["cases"], cases.len() as u64);
    // A second backup into a folder that is not empty is refused.
    assert!(
        backup::take(&app.ctx, &out)
            .await
            .unwrap_err()
            .to_string()
            .contains("not empty")
    );

    if postgres {
        // On PostgreSQL the database is pg_dump's: the backup says so and holds the files.
        assert_eq!(manifest.database, "postgres");
        assert!(!out.join("data/noroshi.db").exists());
        let target = tempfile::tempdir().unwrap();
        let refused = backup::restore(test_settings(target.path(), None), &out).await;
        assert!(
            refused
                .unwrap_err()
                .to_string()
                .contains("database was postgres")
        );
        app.stop().await;
        return;
    }

    // Restored on a fresh data directory: the counts of the backup's moment, an intact audit
    // chain, the same search results.
    let target = tempfile::tempdir().unwrap();
    let settings = test_settings(target.path(), None);
    let restored = backup::restore(settings.clone(), &out).await.unwrap();
    assert_eq!(restored.cases_indexed, cases.len() as u64);
    let ctx = AppContext::connect(settings.clone()).await.unwrap();
    match noroshi::audit::verify(&ctx.db).await.unwrap() {
        ChainCheck::Intact { entries } => assert_eq!(entries, manifest.rows["audit_log"]),
        other => panic!("the restored audit chain: {other:?}"),
    }
    use sea_orm::{EntityTrait, PaginatorTrait};
    // Every alert of the backup's moment, one caught between draft and publication included.
    let alerts = noroshi::db::entities::alerts::Entity::find()
        .count(&ctx.db)
        .await
        .unwrap();
    assert_eq!(alerts, manifest.rows["alerts"]);
    for q in ["標的型", "VPN", "委託先 持ち帰り", "ランサムウェア"] {
        assert_eq!(top10(&ctx, q).await, top10(&app.ctx, q).await, "{q}");
    }
    assert!(!top10(&ctx, "標的型").await.is_empty());
    // Into a data directory that already holds a hub: refused.
    let again = backup::restore(settings, &out)
        .await
        .unwrap_err()
        .to_string();
    assert!(again.contains("already holds a hub"), "{again}");

    // A changed file, a missing file, an extra file, no manifest: refused, nothing written.
    let damaged = |name: &str, harm: &dyn Fn(&std::path::Path)| {
        let copy = dir.path().join(name);
        std::fs::create_dir_all(&copy).unwrap();
        copy_dir(&out, &copy);
        harm(&copy);
        copy
    };
    let cases_of_harm: Vec<(std::path::PathBuf, &str)> = vec![
        (
            damaged("changed", &|b| {
                let key = b.join("data/keys/ack-link.key");
                let mut bytes = std::fs::read(&key).unwrap();
                bytes[0] ^= 1;
                std::fs::write(key, bytes).unwrap();
            }),
            "keys/ack-link.key: its SHA-256 differs",
        ),
        (
            damaged("partial", &|b| {
                std::fs::remove_file(b.join("data/noroshi.db")).unwrap()
            }),
            "noroshi.db: missing (a partial backup)",
        ),
        (
            damaged("extra", &|b| {
                std::fs::write(b.join("data/planted.txt"), "x").unwrap()
            }),
            "planted.txt: not in the manifest",
        ),
        (
            damaged("interrupted", &|b| {
                std::fs::remove_file(b.join("manifest.json")).unwrap()
            }),
            "has no manifest.json",
        ),
    ];
    for (backup_dir, want) in cases_of_harm {
        let target = tempfile::tempdir().unwrap();
        let e = backup::restore(test_settings(target.path(), None), &backup_dir)
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains(want), "{want}: {e}");
        assert_eq!(
            std::fs::read_dir(target.path()).unwrap().count(),
            0,
            "nothing written for {want}"
        );
    }
    app.stop().await;
}
