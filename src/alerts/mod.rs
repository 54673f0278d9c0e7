//! Alerts (注意喚起): drafts made from advisories, by hand or by the draft policy, with their
//! audience, TLP, acknowledgement deadline and drill flag. Owns `alerts`, `alert_revisions`, `alert_audience`, `alert_advisories` and `ack_links`;
//! reads advisories, classifications, organisations and inventories through their stores.
//! Publishing (four eyes, fan-out) builds on this.

pub mod access;
pub mod audience;
pub mod links;
pub mod mail;
pub mod model;
pub mod notes;
pub mod own;
pub mod policy;
pub mod publish;
pub mod render;
pub mod revisions;
pub mod store;

use chrono::Utc;
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};

use self::audience::AudienceSpec;
use self::policy::DraftPolicy;
use crate::audit::{self, Actor};
use crate::classify::model::{Category, Classification};
use crate::db::begin_write;
use crate::db::entities::advisories;
use crate::domain::{Severity, Tlp};

pub use self::model::{Alert, AlertId, AlertStatus, Revision, RevisionId, RevisionKind};

/// What applying the draft policy to one advisory did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyOutcome {
    NoRule,
    Created { alert_id: AlertId, rule: String },
    Joined { alert_id: AlertId },
}

/// Applies the draft policy to a freshly classified advisory: drafts an alert for it, or adds it
/// to the alert already made for its CVE cluster. Call inside the classification transaction.
#[tracing::instrument(name = "Apply the draft policy", skip_all, fields(advisory_id = advisory.id))]
pub async fn apply_policy<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    policy: &DraftPolicy,
    advisory: &advisories::Model,
    c: &Classification,
) -> anyhow::Result<PolicyOutcome> {
    if advisory.withdrawn {
        return Ok(PolicyOutcome::NoRule);
    }
    let Some(rule) = policy.first_match(&advisory.kind, c) else {
        return Ok(PolicyOutcome::NoRule);
    };
    let now = Utc::now();
    let cluster = advisory.cluster_id.unwrap_or(advisory.id);
    let origin = format!("policy:{}", rule.id);
    let (tlp, defaulted) = advisory_tlp(advisory);
    if let Some(existing) = store::open_draft_for_cluster(db, cluster, &origin).await? {
        store::link_advisory(db, existing.id, advisory.id).await?;
        if c.severity > existing.severity {
            store::set_severity(db, existing.id, c.severity, now).await?;
        }
        // The draft is never less strict than any advisory in it.
        if tlp > existing.tlp {
            store::set_tlp(db, existing.id, tlp, now).await?;
        }
        audit::record(
            db,
            &Actor::System,
            "alert.advisory_joined",
            &format!("alert:{}", existing.id),
            serde_json::json!({ "rule": rule.id, "advisory": advisory.id, "tlp": tlp.as_str() }),
        )
        .await?;
        return Ok(PolicyOutcome::Joined {
            alert_id: existing.id,
        });
    }
    // A cluster whose alert already went out gets a new draft: new information about a
    // published alert becomes a 第N報 only through four eyes.
    let published = store::for_cluster(db, cluster)
        .await?
        .and_then(|a| a.public_id.filter(|_| a.published_revision > 0));
    let ack = policy.ack_hours(Some(rule), c.severity);
    let mut note = format!(
        "この下書きは配信ポリシー「{}」（{}）により自動作成されました。内容を確認・編集してから承認を依頼してください",
        rule.id, rule.description
    );
    if let Some(public_id) = &published {
        note.push_str(&format!(
            "。同じ脆弱性の注意喚起 {public_id} は配信済みです。新しい情報として第N報を出すか、この下書きを使うかを判断してください"
        ));
    }
    if defaulted {
        note.push_str(&format!(
            "。上流の文書に TLP の指定がないため {tlp} としました。公開してよい場合は変更してください"
        ));
    }
    let alert = store::insert(
        db,
        store::NewAlert {
            status: AlertStatus::Draft,
            title: render::title(advisory),
            body: render::body(advisory, c, &note),
            severity: c.severity,
            categories: c.categories.clone(),
            tlp,
            ack_required: ack.is_some(),
            ack_within_hours: ack.and_then(|h| i32::try_from(h).ok()),
            ack_office_days: policy.office_days,
            drill: false,
            audience: rule.audience.clone(),
            origin,
            cluster_key: Some(cluster),
            owner: None,
            starts_at: None,
        },
        now,
    )
    .await?;
    store::link_advisory(db, alert.id, advisory.id).await?;
    audit::record(
        db,
        &Actor::System,
        "alert.draft",
        &format!("alert:{}", alert.id),
        serde_json::json!({ "rule": rule.id, "advisory": advisory.id }),
    )
    .await?;
    Ok(PolicyOutcome::Created {
        alert_id: alert.id,
        rule: rule.id.clone(),
    })
}

/// The marking an advisory is handled under, and whether it was defaulted: its own TLP when
/// upstream marked it; otherwise AMBER for notices that arrived by mail or by hand (NISC/NCO
/// notices are not public) and GREEN for everything else. Never CLEAR unless upstream said so:
/// an unmarked notice approved as proposed must not become public.
pub fn advisory_tlp(advisory: &advisories::Model) -> (Tlp, bool) {
    match advisory.tlp.as_deref().map(Tlp::stored) {
        Some(Ok(tlp)) => return (tlp, false),
        // A stored marking this build cannot read is handled as the strictest, and said so.
        Some(Err(e)) => {
            tracing::error!(advisory = advisory.id, error = %e, "an advisory's stored TLP does not read; handled as TLP:RED");
            return (Tlp::Red, false);
        }
        None => {}
    }
    use crate::ingest::model::kind;
    let tlp = if matches!(
        advisory.kind.as_str(),
        kind::NCO_NOTICE | kind::MANUAL | kind::JPCERT_EARLY_WARNING
    ) {
        Tlp::Amber
    } else {
        Tlp::Green
    };
    (tlp, true)
}

/// Whether an advisory may be shown with an alert marked `alert_tlp`: never when upstream
/// marked the advisory stricter (an AMBER notice under a CLEAR alert). An unmarked advisory
/// follows the alert, whose marking a person approved with it; an unreadable marking is
/// treated as RED.
pub fn shown_under(advisory_tlp: Option<&str>, alert_tlp: Tlp) -> bool {
    advisory_tlp.is_none_or(|t| Tlp::parse(t).is_ok_and(|t| t <= alert_tlp))
}

/// The advisories behind an alert that a reader of its revision marked `alert_tlp` may see
/// (every channel asks here); `None` for central staff, who see every one.
pub async fn shown_advisories(
    db: &impl ConnectionTrait,
    alert_id: AlertId,
    alert_tlp: Option<Tlp>,
) -> anyhow::Result<Vec<advisories::Model>> {
    let ids = store::advisory_ids(db, alert_id).await?;
    let mut list = crate::ingest::store::get_many(db, &ids).await?;
    if let Some(tlp) = alert_tlp {
        list.retain(|a| shown_under(a.tlp.as_deref(), tlp));
    }
    Ok(list)
}

/// A draft written by a person.
pub struct DraftRequest {
    pub advisory_ids: Vec<i64>,
    pub title: Option<String>,
    pub body: Option<String>,
    pub severity: Option<Severity>,
    pub tlp: Option<Tlp>,
    pub audience: AudienceSpec,
    pub ack_within_hours: Option<u32>,
    /// Count the hours on 開庁日 only; None follows the draft policy (`office_days`).
    pub ack_office_days: Option<bool>,
    pub drill: bool,
    /// When a scheduled drill goes out after approval; written in the draft's transaction, so a
    /// crash cannot leave a scheduled drill that sends at approval.
    pub starts_at: Option<chrono::DateTime<Utc>>,
}

#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    #[error("{0}")]
    Invalid(String),
    #[error("no advisory {0}")]
    UnknownAdvisory(i64),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl crate::error::Classify for DraftError {
    fn classify(self) -> crate::error::Failure {
        use crate::error::Failure;
        match self {
            Self::Invalid(m) => Failure::Invalid(m),
            e @ Self::UnknownAdvisory(_) => Failure::NotFound(e.to_string()),
            Self::Unexpected(e) => Failure::Unexpected(e),
        }
    }
}

/// Makes a draft from advisories (and their classification), with the audit entry.
#[tracing::instrument(name = "Create draft", skip_all)]
pub async fn create_draft<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    policy: &DraftPolicy,
    req: DraftRequest,
    actor: &Actor,
) -> Result<Alert, DraftError> {
    create_draft_owned(db, policy, req, actor, None).await
}

/// [`create_draft`] for an owner: None for the centre, or the prefecture whose staff write,
/// submit and approve it (the caller checked that the audience stays within that prefecture).
pub async fn create_draft_owned<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    policy: &DraftPolicy,
    req: DraftRequest,
    actor: &Actor,
    owner: Option<crate::registry::OrgId>,
) -> Result<Alert, DraftError> {
    if req.audience.is_empty() {
        return Err(DraftError::Invalid("the audience is empty".into()));
    }
    if req.advisory_ids.is_empty() && (req.title.is_none() || req.body.is_none()) {
        return Err(DraftError::Invalid(
            "an alert written by hand needs a title and a body; or give the advisories it is based on".into(),
        ));
    }
    if req.ack_within_hours.is_some_and(|h| h == 0 || h > 720) {
        return Err(DraftError::Invalid(
            "the acknowledgement deadline must be from 1 to 720 hours".into(),
        ));
    }
    let mut advisories = Vec::new();
    for id in &req.advisory_ids {
        advisories.push(
            crate::ingest::store::get(db, *id)
                .await?
                .ok_or(DraftError::UnknownAdvisory(*id))?,
        );
    }
    let mut classification: Option<Classification> = None;
    for a in &advisories {
        if let Some(m) = crate::classify::store::get(db, a.id).await? {
            let c = crate::classify::store::to_domain(&m)?;
            if classification
                .as_ref()
                .is_none_or(|x| c.severity > x.severity)
            {
                classification = Some(c);
            }
        }
    }
    // What the operator chose, else what the advisories were classified as; a hand-written
    // draft with neither is "info" until the operator says otherwise (the draft page shows it).
    let severity = match (req.severity, &classification) {
        (Some(s), _) => s,
        (None, Some(c)) => c.severity,
        (None, None) => Severity::Info,
    };
    let categories: Vec<Category> = classification
        .as_ref()
        .map(|c| c.categories.clone())
        .unwrap_or_else(|| vec![Category::Other]);
    let title = match (&req.title, advisories.first()) {
        (Some(t), _) => t.trim().to_owned(),
        (None, Some(a)) => render::title(a),
        (None, None) => String::new(),
    };
    if title.is_empty() || title.chars().count() > 300 || title.chars().any(char::is_control) {
        return Err(DraftError::Invalid(
            "the title must be 1–300 characters, without control characters".into(),
        ));
    }
    let body = match (&req.body, advisories.first(), &classification) {
        (Some(b), _, _) => b.trim().to_owned(),
        (None, Some(a), Some(c)) => render::body(a, c, "中央の担当者が作成した下書きです"),
        _ => {
            return Err(DraftError::Invalid(
                "classify the advisory first, or give a body".into(),
            ));
        }
    };
    if body.is_empty() || body.chars().count() > 100_000 {
        return Err(DraftError::Invalid(
            "the body must be 1–100,000 characters".into(),
        ));
    }
    let ack = req
        .ack_within_hours
        .or_else(|| policy.ack_hours(None, severity));
    // Unmarked upstream text is never public by default (see `advisory_tlp`); a hand-written
    // draft without advisories starts at GREEN.
    let strictest = advisories.iter().map(|a| advisory_tlp(a).0).max();
    let tlp = match (req.tlp, strictest) {
        (Some(t), _) => t,
        (None, Some(t)) => t,
        (None, None) => Tlp::Green,
    };
    let txn = begin_write(db).await.map_err(anyhow::Error::new)?;
    let alert = store::insert(
        &txn,
        store::NewAlert {
            status: AlertStatus::Draft,
            title,
            body,
            severity,
            categories,
            tlp,
            ack_required: ack.is_some(),
            ack_within_hours: ack.and_then(|h| i32::try_from(h).ok()),
            ack_office_days: req.ack_office_days.unwrap_or(policy.office_days),
            drill: req.drill,
            audience: req.audience.clone(),
            origin: actor.to_string(),
            cluster_key: None,
            owner,
            starts_at: req.starts_at,
        },
        Utc::now(),
    )
    .await?;
    for a in &advisories {
        store::link_advisory(&txn, alert.id, a.id).await?;
    }
    audit::record(
        &txn,
        actor,
        "alert.draft",
        &format!("alert:{}", alert.id),
        serde_json::json!({
            "advisories": req.advisory_ids,
            "audience": req.audience,
            "starts_at": req.starts_at,
        }),
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::new)?;
    Ok(alert)
}

/// The products of an alert's advisories (for inventory audiences).
pub async fn products_of(
    db: &impl ConnectionTrait,
    alert_id: AlertId,
) -> anyhow::Result<Vec<crate::classify::model::ProductRef>> {
    let ids = store::advisory_ids(db, alert_id).await?;
    let mut out = Vec::new();
    for c in crate::classify::store::get_many(db, &ids).await? {
        for p in crate::classify::store::to_domain(&c)?.products {
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    Ok(out)
}

/// An alert's audience resolved to organisations, each with why it is in it.
pub async fn resolved_audience(
    db: &impl ConnectionTrait,
    rules: &crate::classify::rules::Rules,
    alert: &Alert,
) -> anyhow::Result<Vec<audience::Recipient>> {
    let products = products_of(db, alert.id).await?;
    audience::resolve(db, &alert.audience, &products, rules).await
}
