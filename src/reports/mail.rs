//! The mail a report sends: each 報 to its prefecture's contacts (when the marking lets the
//! prefecture see it) and to the central desk; the prefecture's forwarding to the desk; the
//! reminder to the reporting organisation when a timer runs out. Plain text, TLP-marked, queued
//! as notices (DKIM-signed by the notice worker) carrying the report's id, in the transaction
//! of the change.
//!
//! No free text of the report reaches a mail: not the title, the summary, the situation or the
//! systems, which may name residents. A mail says what kind of incident and data it is, the
//! counts and the state, and where the report is in the portal.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use super::access::prefecture_sees;
use super::store::Report;
use super::{DATA_KINDS, ReportFields, ReportId, update_label_ja};
use crate::classify::model::Category;
use crate::config::reports::ReportSettings;
use crate::domain::EmailAddress;
use crate::domain::Tlp;
use crate::registry::{OrgId, OrgKind, Organisation};

/// What a mail needs besides the report.
pub struct Mailing<'a> {
    pub settings: &'a ReportSettings,
    /// The portal's address, without a trailing slash.
    pub base_url: &'a str,
}

impl<'a> Mailing<'a> {
    /// The hub's own: its `[reports]` settings and its address.
    pub fn of(settings: &'a crate::config::Settings) -> Self {
        Self {
            settings: &settings.reports,
            base_url: settings.app.base_url.as_str(),
        }
    }

    fn link(&self, id: ReportId) -> String {
        format!("{}/reports/{id}", self.base_url.trim_end_matches('/'))
    }
}

fn tlp_line(tlp: Tlp) -> &'static str {
    match tlp {
        Tlp::Clear => "TLP:CLEAR — 公開してよい情報です。",
        Tlp::Green => "TLP:GREEN — 自治体の間で共有できます。一般には公開しないでください。",
        Tlp::Amber => {
            "TLP:AMBER — 受け取った組織の中で、知る必要のある人に限って共有してください。"
        }
        Tlp::AmberStrict => "TLP:AMBER+STRICT — 受け取った組織の外には共有しないでください。",
        Tlp::Red => "TLP:RED — 宛先の方に限ります。転送しないでください。",
    }
}

/// The desk's addresses: the configured ones, else the central bodies' active contacts.
pub async fn desk(
    db: &impl ConnectionTrait,
    settings: &ReportSettings,
) -> anyhow::Result<Vec<EmailAddress>> {
    if !settings.desk.is_empty() {
        return settings
            .desk
            .iter()
            .map(|a| EmailAddress::parse(a).map_err(|e| anyhow::anyhow!("reports.desk {a}: {e}")))
            .collect();
    }
    let central = crate::registry::store::list(
        db,
        crate::registry::store::OrgFilter {
            kind: Some(OrgKind::Central),
            ..Default::default()
        },
    )
    .await?;
    let ids: Vec<OrgId> = central.iter().map(|o| o.id).collect();
    // Reports are never TLP:CLEAR mail to an address nobody verified.
    Ok(crate::contacts::store::receiving(db, &ids, Tlp::Red)
        .await?
        .into_iter()
        .map(|c| c.email)
        .collect())
}

/// The prefecture's active contacts for a municipality's report it may see.
async fn prefecture(
    db: &impl ConnectionTrait,
    reporter: &Organisation,
    tlp: Tlp,
) -> anyhow::Result<Vec<EmailAddress>> {
    let Some(parent) = reporter
        .parent_id
        .filter(|_| reporter.kind == OrgKind::Municipality)
    else {
        return Ok(Vec::new());
    };
    if !prefecture_sees(tlp) {
        return Ok(Vec::new());
    }
    Ok(crate::contacts::store::receiving(db, &[parent], tlp)
        .await?
        .into_iter()
        .map(|c| c.email)
        .collect())
}

async fn queue_all(
    db: &impl ConnectionTrait,
    to: Vec<EmailAddress>,
    subject: &str,
    body: &str,
    now: DateTime<Utc>,
    id: ReportId,
) -> anyhow::Result<usize> {
    use crate::notices::store::{Ledger, NoticeKind, queue_each};
    queue_each(
        db,
        NoticeKind::Report,
        Ledger::Report(id),
        to,
        subject,
        body,
        now,
    )
    .await
}

fn labels(ids: &[String], label: impl Fn(&str) -> Option<&'static str>) -> String {
    let out: Vec<&str> = ids.iter().filter_map(|i| label(i)).collect();
    if out.is_empty() {
        "—".into()
    } else {
        out.join("、")
    }
}

/// The body of a 報's mail: facts that name nobody.
pub fn update_body(
    m: &Mailing<'_>,
    id: ReportId,
    reporter: &Organisation,
    seq: i32,
    f: &ReportFields,
    at: DateTime<Utc>,
) -> String {
    let personal = match f.personal_data {
        super::Tri::Yes => format!("あり（{}）", labels(&f.data_kinds, |k| DATA_KINDS.label(k))),
        other => other.label_ja().into(),
    };
    let counts = [
        f.records.map(|n| format!("個人情報 {n} 件")),
        f.devices.map(|n| format!("端末等 {n} 台")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>();
    format!(
        "{tlp}\n\n\
         障害・事故等報告 {label}\n\n\
         報告番号: {id}\n\
         報告団体: {org}（{code}）\n\
         発見日時: {found}\n\
         この報の日時: {at}\n\
         現在の段階: {phase}\n\
         分類: {categories}\n\
         原因: {causes}\n\
         個人情報: {personal}\n\
         外部への漏えい: {leaked}\n\
         件数: {counts}\n\
         委託先の関与: {contractor}\n\
         公表: {publicised}\n\
         状態: {status}\n\n\
         件名・概要・状況などの内容はポータルで確認してください（このメールには個人情報を載せていません）。\n\
         {link}\n",
        tlp = tlp_line(f.tlp),
        label = update_label_ja(seq, f.final_report),
        org = reporter.full_name(),
        code = reporter.code,
        found = crate::time::format_jst(&f.found_at),
        at = crate::time::format_jst(&at),
        phase = f.phase_label(),
        categories = labels(&f.categories, |c| Category::parse(c)
            .ok()
            .map(|c| c.label_ja())),
        causes = labels(&f.causes, |c| crate::cases::CAUSES.label(c)),
        leaked = f.leaked.label_ja(),
        counts = if counts.is_empty() {
            "—".into()
        } else {
            counts.join("、")
        },
        contractor = f.contractor.label_ja(),
        publicised = if f.publicised {
            "公表済み"
        } else {
            "未公表"
        },
        status = if f.final_report {
            super::Status::Final.label_ja()
        } else {
            super::Status::Open.label_ja()
        },
        link = m.link(id),
    )
}

/// Queues a 報's mail to the prefecture (when it may see the report) and the desk; returns how
/// many addresses it went to.
pub async fn queue_update(
    db: &impl ConnectionTrait,
    m: &Mailing<'_>,
    id: ReportId,
    reporter: &Organisation,
    seq: i32,
    f: &ReportFields,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let mut to = prefecture(db, reporter, f.tlp).await?;
    to.extend(desk(db, m.settings).await?);
    let subject = format!(
        "[TLP:{}] 障害・事故等報告 {} #{id} {}",
        f.tlp.as_str(),
        update_label_ja(seq, f.final_report),
        reporter.name
    );
    let body = update_body(m, id, reporter, seq, f, now);
    queue_all(db, to, &subject, &body, now, id).await
}

/// Queues the prefecture's forwarding to the desk.
pub async fn queue_forward(
    db: &impl ConnectionTrait,
    m: &Mailing<'_>,
    r: &Report,
    reporter: &Organisation,
    prefecture_name: &str,
    notes: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let (id, tlp) = (r.id, r.tlp);
    let to = desk(db, m.settings).await?;
    let subject = format!(
        "[TLP:{}] 【都道府県から連携】障害・事故等報告 #{id} {}",
        tlp.as_str(),
        reporter.name
    );
    let body = format!(
        "{}\n\n{prefecture_name}が {} の障害・事故等報告（報告番号 {id}）を確認し、連携しました。\n\
         {prefecture_name}のメモ: {notes} 件\n\n内容はポータルで確認してください。\n{}\n",
        tlp_line(tlp),
        reporter.full_name(),
        m.link(id)
    );
    queue_all(db, to, &subject, &body, now, id).await
}

/// Queues the one reminder to the reporting organisation's contacts when the next 報 is due.
pub async fn queue_reminder(
    db: &impl ConnectionTrait,
    m: &Mailing<'_>,
    r: &Report,
    reporter: &Organisation,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let (id, tlp, next_seq) = (r.id, r.tlp, r.updates + 1);
    let to: Vec<EmailAddress> = crate::contacts::store::receiving(db, &[reporter.id], tlp)
        .await?
        .into_iter()
        .map(|c| c.email)
        .collect();
    let subject = format!(
        "[TLP:{}] 障害・事故等報告 #{id}: 第{next_seq}報の期限を過ぎています",
        tlp.as_str()
    );
    let body = format!(
        "{}\n\n{} の障害・事故等報告（報告番号 {id}）は、{} までに第{next_seq}報（または最終報）を\
         お願いしていました。状況が変わっていなくても、その旨を報告してください。\n\n{}\n",
        tlp_line(tlp),
        reporter.full_name(),
        crate::time::format_jst(&due),
        m.link(id)
    );
    queue_all(db, to, &subject, &body, now, id).await
}

/// The reporting organisation's contacts and (for a municipality's report it may see) its
/// prefecture's: who hears of the desk's steps.
async fn reporter_side(
    db: &impl ConnectionTrait,
    reporter: &Organisation,
    tlp: Tlp,
) -> anyhow::Result<Vec<EmailAddress>> {
    let mut to: Vec<EmailAddress> = crate::contacts::store::receiving(db, &[reporter.id], tlp)
        .await?
        .into_iter()
        .map(|c| c.email)
        .collect();
    to.extend(prefecture(db, reporter, tlp).await?);
    Ok(to)
}

/// Queues the automatic 受理 of a 報 to the reporter (and its prefecture).
pub async fn queue_received(
    db: &impl ConnectionTrait,
    m: &Mailing<'_>,
    r: &Report,
    reporter: &Organisation,
    seq: i32,
    desk_name: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let (id, tlp) = (r.id, r.tlp);
    let to = reporter_side(db, reporter, tlp).await?;
    let label = update_label_ja(seq, r.status.ended());
    let subject = format!(
        "[TLP:{}] 【受理】障害・事故等報告 #{id} {label}",
        tlp.as_str()
    );
    let body = format!(
        "{}\n\n{} の障害・事故等報告（報告番号 {id}）の{label}を、{desk_name}が {} に受理しました。\n\
         依頼や指示があれば、この報告のページとメールでお知らせします。\n\n{}\n\n\
         発信: {desk_name}\n",
        tlp_line(tlp),
        reporter.full_name(),
        crate::time::format_jst(&now),
        m.link(id)
    );
    queue_all(db, to, &subject, &body, now, id).await
}

/// Queues a desk's step to the reporter (and its prefecture): what kind of step, by whom, the
/// due time or follow-up date, where to read and answer it. The step's own words stay in the
/// portal, as a 報's do (they may name residents).
pub async fn queue_step(
    db: &impl ConnectionTrait,
    m: &Mailing<'_>,
    r: &Report,
    reporter: &Organisation,
    step: &super::steps::NewStep,
    signer: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    use super::steps::StepKind;
    let (id, tlp) = (r.id, r.tlp);
    let to = reporter_side(db, reporter, tlp).await?;
    let label = step.kind.label_ja();
    let subject = format!("[TLP:{}] 【{label}】障害・事故等報告 #{id}", tlp.as_str());
    let detail = match step.kind {
        StepKind::Request => format!(
            "追加の報告をお願いします。期限: {}\n次の報をポータルで追加してください。",
            step.due_at
                .map(|d| crate::time::format_jst(&d))
                .unwrap_or_default()
        ),
        StepKind::Instruction => "対処についての指示があります。".into(),
        StepKind::PlanApproved => "対処方針を承認しました。".into(),
        StepKind::PlanReturned => {
            "対処方針の見直しをお願いします。次の報で改めた方針を報告してください。".into()
        }
        StepKind::PreventionApproved => format!(
            "再発防止策を承認しました。実施状況を {} に確認します。",
            step.due_at
                .map(|d| crate::time::format_jst(&d))
                .unwrap_or_default()
        ),
        StepKind::PreventionReturned => {
            "再発防止策の見直しをお願いします。次の報で改めた対策を報告してください。".into()
        }
        StepKind::PreventionChecked => "再発防止策の実施状況を確認しました。".into(),
        StepKind::ResultConfirmed => "対処結果を確認しました。この報告は完了です。".into(),
        StepKind::Liaison => format!(
            "この報告（第{}報）を{}へ連携しました。",
            step.update_seq.unwrap_or(r.updates),
            super::steps::partner_label(step.partner, step.partner_name.as_deref(), step.stage)
        ),
        StepKind::Received => "受理しました。".into(),
    };
    let body = format!(
        "{}\n\n{} の障害・事故等報告（報告番号 {id}）について、{signer}から「{label}」があります（{}）。\n\
         {detail}\n\n内容はポータルで確認してください（このメールには個人情報を載せていません）。\n{}\n\n\
         発信: {signer}\n",
        tlp_line(tlp),
        reporter.full_name(),
        crate::time::format_jst(&now),
        m.link(id)
    );
    queue_all(db, to, &subject, &body, now, id).await
}
