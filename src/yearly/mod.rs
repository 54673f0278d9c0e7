//! The centre's year in numbers: one 年度 (April–March, JST) beside the one before — alerts by
//! severity and category, 把握率 / 実施率, the lead time from an advisory's arrival to the
//! 一斉通知, drills (never in the real figures), incident reports and surveys — for the nation
//! or one prefecture; the tables as CSV; the 年度報告's editable 次年度の計画; and one
//! organisation's report card. A read model over the stores of alerts, acks, drills, reports and
//! surveys; Owns only `yearly_plans`.

pub mod calendar;
pub mod card;
pub mod store;

use crate::domain::ids::SurveyId;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use crate::acks::board::Tally;
use crate::classify::model::Category;
use crate::domain::Severity;
use crate::domain::grade::Rate;
use crate::registry::Prefecture;

/// Whose figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Nation,
    Prefecture(Prefecture),
}

/// Lead times in hours from an advisory's arrival to the first publication of its alert.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LeadTime {
    pub alerts: u64,
    pub median_hours: Option<f64>,
    pub p90_hours: Option<f64>,
}

#[derive(Clone, Debug, Default)]
pub struct Figures {
    pub fiscal_year: i32,
    /// Real alerts first published in the 年度.
    pub alerts: u64,
    pub by_severity: Vec<(Severity, u64)>,
    pub by_category: Vec<(Category, u64)>,
    /// Over real alerts that asked for acknowledgement.
    pub tally: Tally,
    pub lead: LeadTime,
    /// Drills, counted apart: how many, and their addressed / reached / answered summed.
    pub drills: u64,
    pub drill_addressed: u64,
    pub drill_reached: u64,
    pub drill_answered: u64,
    pub reports: u64,
    pub reports_personal: u64,
    /// The incidents that reached their 最終報, one by one, with their 再発防止状況.
    pub incidents: Vec<crate::reports::stats::Incident>,
    /// 再発防止策: approved, their carrying-out checked, check overdue.
    pub prevention: (u64, u64, u64),
    /// (id, title, addressed, answered, overall score) of each survey published in the 年度.
    pub surveys: Vec<(SurveyId, String, u64, u64, Option<f64>)>,
}

impl Figures {
    pub fn drill_reach(&self) -> Rate {
        Rate {
            numerator: self.drill_reached,
            denominator: self.drill_addressed,
        }
    }

    pub fn drill_answer(&self) -> Rate {
        Rate {
            numerator: self.drill_answered,
            denominator: self.drill_addressed,
        }
    }
}

fn nearest_rank(sorted: &[f64], p: usize) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let i = (sorted.len() * p).div_ceil(100).saturating_sub(1);
    sorted.get(i).copied()
}

/// The figures of one 年度; `reports` is the configured `[reports]` policy (the report counts
/// use its timers).
pub async fn build(
    db: &impl ConnectionTrait,
    scope: Scope,
    fiscal_year: i32,
    reports: &crate::config::reports::ReportSettings,
) -> anyhow::Result<Figures> {
    let (from, to) = crate::time::fiscal_bounds(fiscal_year);
    let pref = match scope {
        Scope::Nation => None,
        Scope::Prefecture(p) => Some(p),
    };
    let alerts = store::alerts_between(db, from, to, pref).await?;
    let mut f = Figures {
        fiscal_year,
        ..Default::default()
    };
    let mut sev: BTreeMap<Severity, u64> = BTreeMap::new();
    let mut cat: BTreeMap<Category, u64> = BTreeMap::new();
    let mut drills = Vec::new();
    let mut leads = Vec::new();
    for a in &alerts {
        if a.drill {
            f.drills += 1;
            drills.push(a.id);
            continue;
        }
        f.alerts += 1;
        *sev.entry(a.severity).or_default() += 1;
        for c in &a.categories {
            *cat.entry(*c).or_default() += 1;
        }
        if let Some(seen) = a.advisory_seen_at {
            leads.push((a.published_at - seen).num_seconds().max(0) as f64 / 3600.0);
        }
    }
    f.by_severity = Severity::ALL
        .iter()
        .map(|s| (*s, sev.get(s).copied().unwrap_or(0)))
        .collect();
    f.by_category = cat.into_iter().collect();
    leads.sort_by(|a, b| a.total_cmp(b));
    f.lead = LeadTime {
        alerts: leads.len() as u64,
        median_hours: nearest_rank(&leads, 50),
        p90_hours: nearest_rank(&leads, 90),
    };
    let (tallies, _, _) = crate::acks::store::tallies_between(
        db,
        from,
        Some(to),
        pref.map(|p| i16::from(p.number())),
    )
    .await?;
    for t in tallies.values() {
        f.tally.merge(t);
    }
    let drill_scope = match scope {
        Scope::Nation => crate::drills::report::Scope::All,
        Scope::Prefecture(p) => match store::prefecture_org(db, p).await? {
            Some(id) => crate::drills::report::Scope::Prefecture(id),
            None => crate::drills::report::Scope::All,
        },
    };
    for id in drills {
        if let Some(alert) = crate::alerts::store::get(db, crate::alerts::AlertId(id)).await?
            && let Some(r) = crate::drills::report::build(db, &alert, drill_scope).await?
        {
            f.drill_addressed += r.total.addressed;
            f.drill_reached += r.total.reached;
            f.drill_answered += r.total.answered;
        }
    }
    let reader = store::reader_for(db, scope).await?;
    let rs = crate::reports::stats::build(db, &reader, fiscal_year, reports, Utc::now()).await?;
    f.reports = rs.total;
    f.reports_personal = rs.personal_data;
    f.prevention = (
        rs.prevention_approved,
        rs.prevention_checked,
        rs.prevention_overdue,
    );
    f.incidents = rs.incidents;
    let survey_scope = match scope {
        Scope::Nation => crate::surveys::results::Scope::All,
        Scope::Prefecture(p) => crate::surveys::results::Scope::Prefecture(p),
    };
    for s in crate::surveys::store::all(db).await? {
        let Some(published) = s.published_at else {
            continue;
        };
        if published < from || published >= to {
            continue;
        }
        let r = crate::surveys::results::build(db, &s, survey_scope, None).await?;
        if r.total.addressed > 0 {
            f.surveys.push((
                s.id,
                s.title.clone(),
                r.total.addressed,
                r.total.answered,
                r.total.score.overall,
            ));
        }
    }
    Ok(f)
}

/// One table of the page, for its CSV: a title, a header and rows, this 年度 beside the last.
pub struct Table {
    pub id: &'static str,
    pub title: &'static str,
    pub rows: Vec<(String, String, String)>,
}

fn rate(r: Rate) -> String {
    r.percent()
}

/// The boards' A–D for a rate, or `—`.
fn grade(r: Rate) -> String {
    if r.denominator == 0 {
        return "—".into();
    }
    crate::domain::grade::Grade::of_share(r.numerator as f64 / r.denominator as f64)
        .as_str()
        .to_owned()
}

fn hours(h: Option<f64>) -> String {
    h.map(|h| format!("{h:.1}")).unwrap_or_else(|| "—".into())
}

/// Every table of the 年度 page: (label, this year, last year).
pub fn tables(now: &Figures, before: &Figures) -> Vec<Table> {
    let summary = vec![
        (
            "注意喚起（訓練を除く）".to_owned(),
            now.alerts.to_string(),
            before.alerts.to_string(),
        ),
        (
            "延べ対象団体".to_owned(),
            now.tally.addressed.to_string(),
            before.tally.addressed.to_string(),
        ),
        (
            "把握率".to_owned(),
            rate(now.tally.grasp()),
            rate(before.tally.grasp()),
        ),
        (
            "実施率".to_owned(),
            rate(now.tally.completion()),
            rate(before.tally.completion()),
        ),
        (
            "評価（実施率による A〜D）".to_owned(),
            grade(now.tally.completion()),
            grade(before.tally.completion()),
        ),
        (
            "完了率（対象比）".to_owned(),
            rate(now.tally.completion_of_addressed()),
            rate(before.tally.completion_of_addressed()),
        ),
        (
            "入手から一斉通知まで（中央値・時間）".to_owned(),
            hours(now.lead.median_hours),
            hours(before.lead.median_hours),
        ),
        (
            "入手から一斉通知まで（90パーセンタイル・時間）".to_owned(),
            hours(now.lead.p90_hours),
            hours(before.lead.p90_hours),
        ),
        (
            "訓練".to_owned(),
            now.drills.to_string(),
            before.drills.to_string(),
        ),
        (
            "訓練の到達率".to_owned(),
            rate(now.drill_reach()),
            rate(before.drill_reach()),
        ),
        (
            "訓練の応答率".to_owned(),
            rate(now.drill_answer()),
            rate(before.drill_answer()),
        ),
        (
            "障害・事故等報告".to_owned(),
            now.reports.to_string(),
            before.reports.to_string(),
        ),
        (
            "うち個人情報あり".to_owned(),
            now.reports_personal.to_string(),
            before.reports_personal.to_string(),
        ),
        (
            "調査・点検".to_owned(),
            now.surveys.len().to_string(),
            before.surveys.len().to_string(),
        ),
    ];
    let severity = Severity::ALL
        .iter()
        .map(|s| {
            let n = |f: &Figures| {
                f.by_severity
                    .iter()
                    .find(|(x, _)| x == s)
                    .map_or(0, |(_, n)| *n)
            };
            (
                s.label_ja().to_owned(),
                n(now).to_string(),
                n(before).to_string(),
            )
        })
        .collect();
    let mut cats: Vec<Category> = now
        .by_category
        .iter()
        .chain(&before.by_category)
        .map(|(c, _)| *c)
        .collect();
    cats.sort();
    cats.dedup();
    let category = cats
        .iter()
        .map(|c| {
            let n = |f: &Figures| {
                f.by_category
                    .iter()
                    .find(|(x, _)| x == c)
                    .map_or(0, |(_, n)| *n)
            };
            (
                c.label_ja().to_owned(),
                n(now).to_string(),
                n(before).to_string(),
            )
        })
        .collect();
    let surveys = now
        .surveys
        .iter()
        .map(|(_, title, addressed, answered, overall)| {
            (
                title.clone(),
                format!(
                    "{}（{}/{}）",
                    crate::surveys::score::percent(*overall),
                    answered,
                    addressed
                ),
                String::new(),
            )
        })
        .collect();
    vec![
        Table {
            id: "summary",
            title: "実施状況",
            rows: summary,
        },
        Table {
            id: "severity",
            title: "深刻度別の注意喚起",
            rows: severity,
        },
        Table {
            id: "category",
            title: "分類別の注意喚起",
            rows: category,
        },
        Table {
            id: "surveys",
            title: "調査・点検（総合評価、回答/対象）",
            rows: surveys,
        },
    ]
}

/// One table as CSV for Excel (BOM, CRLF).
pub fn csv(t: &Table, now: i32, before: i32) -> String {
    use crate::domain::text::csv_cell;
    let mut out = format!(
        "\u{feff}{},{}年度,{}年度\r\n",
        csv_cell(t.title),
        now,
        before
    );
    for (l, a, b) in &t.rows {
        out.push_str(&format!(
            "{},{},{}\r\n",
            csv_cell(l),
            csv_cell(a),
            csv_cell(b)
        ));
    }
    out
}

pub fn fiscal_year_now() -> i32 {
    crate::time::fiscal_year(&Utc::now())
}

/// `2026-04-01 00:00 JST – 2027-03-31` for a heading.
pub fn period(fiscal_year: i32) -> (DateTime<Utc>, DateTime<Utc>) {
    crate::time::fiscal_bounds(fiscal_year)
}

/// Why a 次年度の計画 was refused.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("各欄は 20,000 文字以内で、制御文字を含めずに入力してください")]
    Invalid,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl crate::error::Classify for PlanError {
    fn classify(self) -> crate::error::Failure {
        match self {
            e @ Self::Invalid => crate::error::Failure::Invalid(e.to_string()),
            Self::Unexpected(e) => crate::error::Failure::Unexpected(e),
        }
    }
}

/// The 年度報告's written parts besides the plan, in the seeds' outline: (key, heading).
pub const PARTS: [(&str, &str); 4] = [
    ("message", "はじめに（責任者からのメッセージ）"),
    ("responsible", "責任部署"),
    ("summary", "総括"),
    ("goals", "重点事項の目標と評価"),
];

/// Writes the 年度報告's texts of `organisation` (the nation's is the centre's) — its
/// 次年度の計画 and the parts of [`PARTS`] — replacing the last: each at most
/// [`store::PLAN_MAX`] characters, no control characters but line ends and tabs; audited.
pub async fn save_report_texts<C: sea_orm::ConnectionTrait + sea_orm::TransactionTrait>(
    db: &C,
    fiscal_year: i32,
    organisation: crate::registry::OrgId,
    texts: &store::ReportTexts,
    actor: &crate::audit::Actor,
) -> Result<(), PlanError> {
    use anyhow::Context;
    let clean = |t: &str| -> Result<String, PlanError> {
        let t = t.replace("\r\n", "\n");
        let t = t.trim();
        if t.chars().count() > store::PLAN_MAX
            || t.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(PlanError::Invalid);
        }
        Ok(t.to_owned())
    };
    let mut kept = store::ReportTexts {
        plan: clean(&texts.plan)?,
        ..Default::default()
    };
    for (key, text) in &texts.parts {
        if !PARTS.iter().any(|(k, _)| k == key) {
            return Err(PlanError::Invalid);
        }
        let t = clean(text)?;
        if !t.is_empty() {
            kept.parts.insert(key.clone(), t);
        }
    }
    let now = chrono::Utc::now();
    let txn = crate::db::begin_write(db)
        .await
        .context("cannot open a transaction")?;
    store::replace_texts(
        &txn,
        fiscal_year,
        organisation,
        &kept,
        &actor.to_string(),
        now,
    )
    .await?;
    crate::audit::record(
        &txn,
        actor,
        "yearly.plan",
        &format!("yearly:{fiscal_year}:{}", organisation),
        serde_json::json!({
            "chars": kept.plan.chars().count(),
            "parts": kept.parts.keys().collect::<Vec<_>>(),
        }),
    )
    .await?;
    sea_orm::TransactionSession::commit(txn)
        .await
        .context("cannot store the report's texts")?;
    Ok(())
}
