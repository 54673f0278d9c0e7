//! The classification job (it spans two capabilities, so it lives above both): first marks advisories whose CVE newly appeared in CISA KEV for
//! reclassification, then classifies a batch of pending advisories and applies the draft policy,
//! all in one transaction per batch.

use crate::domain::ids::AlertId;
use chrono::{DateTime, Utc};

use crate::alerts::{self, PolicyOutcome};
use crate::classify::model::AdvisoryView;
use crate::classify::{engine, store};
use crate::context::AppContext;
use crate::db::begin_write;
use crate::workers::Outcome;

/// Advisories classified per transaction.
const BATCH: u64 = 500;
const KEV_WATERMARK: &str = "classify.kev_watermark";

/// What one step did, for the command line.
#[derive(Debug, Default, Clone)]
pub struct StepReport {
    pub classified: usize,
    /// (advisory id, what changed) for classifications that changed.
    pub changed: Vec<(i64, String)>,
    pub drafts_created: Vec<AlertId>,
}

#[tracing::instrument(name = "Classify advisories", skip_all)]
pub async fn try_execute_task(ctx: &AppContext) -> anyhow::Result<Outcome> {
    Ok(if step(ctx).await?.classified > 0 {
        Outcome::Worked
    } else {
        Outcome::Idle
    })
}

/// One unit: KEV changes first, then up to a batch of pending advisories.
pub async fn step(ctx: &AppContext) -> anyhow::Result<StepReport> {
    let txn = begin_write(&ctx.db).await?;
    let watermark = store::state(&txn, KEV_WATERMARK)
        .await?
        .and_then(|v| DateTime::parse_from_rfc3339(&v).ok())
        .map(|t| t.with_timezone(&Utc));
    let (kev_cves, newest) = crate::ingest::store::kev_changed_since(&txn, watermark).await?;
    if let Some(newest) = newest {
        let affected = crate::ingest::store::advisories_with_cves(&txn, &kev_cves).await?;
        store::mark_stale(&txn, &affected).await?;
        store::set_state(&txn, KEV_WATERMARK, &newest.to_rfc3339()).await?;
    }
    let ids = store::pending(&txn, &ctx.rules.hash, BATCH).await?;
    let mut report = StepReport::default();
    if ids.is_empty() {
        txn.commit().await?;
        return Ok(report);
    }
    let kev = crate::ingest::store::kev_cves(&txn).await?;
    let now = Utc::now();
    for advisory in crate::ingest::store::get_many(&txn, &ids).await? {
        let c = engine::classify(&ctx.rules, &AdvisoryView::from_model(&advisory), &kev);
        let changes = store::save(
            &txn,
            advisory.id,
            &advisory.fingerprint,
            &ctx.rules,
            &c,
            now,
        )
        .await?;
        if !changes.is_empty() {
            report.changed.push((advisory.id, changes.join("; ")));
        }
        if ctx.settings.classify.auto_drafts
            && let PolicyOutcome::Created { alert_id, .. } =
                alerts::apply_policy(&txn, &ctx.policy, &advisory, &c).await?
        {
            report.drafts_created.push(alert_id);
        }
        report.classified += 1;
    }
    txn.commit().await?;
    Ok(report)
}
