//! The centre's (and the prefecture's) side of a report: typed steps that come back down the
//! chain (`004:692–779`) — 受理 (also automatic, with the desk's name, when a 報 arrives),
//! 追加報告の依頼 with a due time, 対処指示, the approval or return of a 対処方針 and of a
//! 再発防止策 (with the date its carrying-out is checked), the check of that 再発防止状況, and
//! 対処結果の確認, which closes the report — and the 連携 the centre records to another body.
//!
//! Each step names who and when; [`super::act_steps`] writes it with its audit entry and its
//! mail, and [`super::waiting`] says from the steps and the 報 what the report waits for, from whom.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::InvalidReport;
use crate::registry::OrgId;

crate::string_enum! {
    /// What a step is.
    #[derive(Serialize, Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum StepKind ("report step kind") {
        /// 受理: the desk has the 報.
        Received = "received",
        /// 追加報告の依頼: the desk asks for more, by a due time.
        Request = "request",
        /// 対処指示.
        Instruction = "instruction",
        /// 対処方針の承認.
        PlanApproved = "plan_approved",
        /// 対処方針の差戻し (with what to change).
        PlanReturned = "plan_returned",
        /// 再発防止策の承認, with the date its carrying-out is checked.
        PreventionApproved = "prevention_approved",
        /// 再発防止策の差戻し.
        PreventionReturned = "prevention_returned",
        /// 再発防止状況の確認: the measures were carried out.
        PreventionChecked = "prevention_checked",
        /// 対処結果の確認: closes the report.
        ResultConfirmed = "result_confirmed",
        /// 連携: forwarded to another body.
        Liaison = "liaison",
    }
}

impl StepKind {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Received => "受理",
            Self::Request => "追加報告の依頼",
            Self::Instruction => "対処指示",
            Self::PlanApproved => "対処方針の承認",
            Self::PlanReturned => "対処方針の差戻し",
            Self::PreventionApproved => "再発防止策の承認",
            Self::PreventionReturned => "再発防止策の差戻し",
            Self::PreventionChecked => "再発防止状況の確認",
            Self::ResultConfirmed => "対処結果の確認（完了）",
            Self::Liaison => "連携",
        }
    }

    /// A form's or the API's value: the id or the Japanese label.
    pub fn parse(s: &str) -> Option<Self> {
        let t = s.trim();
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == t || k.label_ja() == t)
    }

    /// Whether the step needs words (an instruction, a return, a request say what).
    fn needs_body(self) -> bool {
        matches!(
            self,
            Self::Request | Self::Instruction | Self::PlanReturned | Self::PreventionReturned
        )
    }
}

crate::string_enum! {
    /// The bodies a report may be forwarded to.
    #[derive(Serialize, Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum Partner ("partner") {
        /// 内閣官房 国家サイバー統括室（旧NISC）.
        Nisc = "nisc",
        /// 警察.
        Police = "police",
        /// 個人情報保護委員会.
        Ppc = "ppc",
        /// 地方公共団体情報システム機構.
        Jlis = "jlis",
        /// Another body, named.
        Other = "other",
    }
}

impl Partner {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Nisc => "内閣官房（NISC）",
            Self::Police => "警察",
            Self::Ppc => "個人情報保護委員会",
            Self::Jlis => "地方公共団体情報システム機構（J-LIS）",
            Self::Other => "その他の機関",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let t = s.trim();
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == t || k.label_ja() == t)
    }
}

crate::string_enum! {
    /// Which report to the 個人情報保護委員会 a 連携 is.
    #[derive(Serialize, Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum Stage ("commission stage") {
        /// 速報 (概ね3〜5日以内).
        Preliminary = "preliminary",
        /// 確報 (30日以内、不正アクセス等は60日以内).
        Final = "final",
    }
}

impl Stage {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Preliminary => "速報",
            Self::Final => "確報",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let t = s.trim();
        [Self::Preliminary, Self::Final]
            .into_iter()
            .find(|k| k.as_str() == t || k.label_ja() == t)
    }
}

/// A step as stored.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Step {
    pub kind: StepKind,
    /// The desk that took it.
    #[schema(value_type = i64)]
    pub org_id: OrgId,
    pub author: String,
    pub body: String,
    pub update_seq: Option<i32>,
    pub due_at: Option<DateTime<Utc>>,
    pub partner: Option<Partner>,
    pub partner_name: Option<String>,
    pub stage: Option<Stage>,
    pub reference: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// 「個人情報保護委員会（速報）」, 「警察」, the named other body: whom a 連携 went to.
pub fn partner_label(partner: Option<Partner>, name: Option<&str>, stage: Option<Stage>) -> String {
    let to = match (partner, name) {
        (Some(Partner::Other), Some(n)) => n.to_owned(),
        (Some(p), _) => p.label_ja().to_owned(),
        (None, _) => String::new(),
    };
    match stage {
        Some(s) => format!("{to}（{}）", s.label_ja()),
        None => to,
    }
}

impl Step {
    /// [`partner_label`] of this 連携.
    pub fn partner_label(&self) -> String {
        partner_label(self.partner, self.partner_name.as_deref(), self.stage)
    }
}

/// A step as the form and the API send it.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct StepInput {
    /// `received`, `request`, `instruction`, `plan_approved`, `plan_returned`,
    /// `prevention_approved`, `prevention_returned`, `prevention_checked`, `result_confirmed`
    /// or `liaison`.
    pub kind: String,
    /// What the desk says (at most 5,000 characters); required for a request, an instruction
    /// and a return.
    pub body: String,
    /// A request's due time (JST, `2026-12-05 17:00`); required for a request.
    pub due: String,
    /// A 再発防止策's follow-up date (`2027-03-31`); required when approving one.
    pub follow_up_on: String,
    /// 連携: `nisc`, `police`, `ppc`, `jlis` or `other`.
    pub partner: String,
    /// 連携 to another body: its name.
    pub partner_name: String,
    /// 連携 to the 個人情報保護委員会: `preliminary` (速報) or `final` (確報).
    pub stage: String,
    /// 連携: the receiving body's reference number.
    pub reference: String,
    /// 連携: when it was sent (JST); now when empty.
    pub sent_at: String,
    /// 連携: which 報 was sent; the latest when empty.
    pub update_seq: Option<i32>,
}

/// A step, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewStep {
    pub kind: StepKind,
    pub body: String,
    pub due_at: Option<DateTime<Utc>>,
    pub partner: Option<Partner>,
    pub partner_name: Option<String>,
    pub stage: Option<Stage>,
    pub reference: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub update_seq: Option<i32>,
}

pub const STEP_TEXT_MAX: usize = 5_000;

impl StepInput {
    /// Checks the step for a report with `updates` 報, against `now`; every problem at once,
    /// each naming its field by the form's label.
    pub fn validate(&self, updates: i32, now: DateTime<Utc>) -> Result<NewStep, InvalidReport> {
        let mut e: Vec<(&'static str, String)> = Vec::new();
        let Some(kind) = StepKind::parse(&self.kind) else {
            e.push((
                "kind",
                if self.kind.trim().is_empty() {
                    "対応の種類を選んでください".into()
                } else {
                    format!("「{}」は対応の種類ではありません", self.kind.trim())
                },
            ));
            return Err(InvalidReport(e));
        };
        let body =
            crate::domain::form::text_field(&mut e, "body", &self.body, STEP_TEXT_MAX, false);
        if kind.needs_body() && body.is_empty() {
            e.push((
                "body",
                format!("{}の内容を入力してください", kind.label_ja()),
            ));
        }
        let mut step = NewStep {
            kind,
            body,
            due_at: None,
            partner: None,
            partner_name: None,
            stage: None,
            reference: None,
            sent_at: None,
            update_seq: None,
        };
        match kind {
            StepKind::Request => match crate::time::parse_jst_minute(&self.due) {
                Some(t) if t <= now => e.push(("due", "期限は今より後にしてください".into())),
                Some(t) if t > now + Duration::days(365) => {
                    e.push(("due", "期限は1年以内にしてください".into()))
                }
                Some(t) => step.due_at = Some(t),
                None if self.due.trim().is_empty() => {
                    e.push(("due", "期限（日時）を入力してください".into()))
                }
                None => e.push((
                    "due",
                    format!(
                        "期限「{}」は「YYYY-MM-DD HH:MM」（日本時間）の日時ではありません",
                        self.due.trim()
                    ),
                )),
            },
            StepKind::PreventionApproved => {
                let today = now.with_timezone(&crate::time::jst_offset()).date_naive();
                match NaiveDate::parse_from_str(self.follow_up_on.trim(), "%Y-%m-%d") {
                    Ok(d) if d <= today => e.push((
                        "follow_up_on",
                        "実施状況の確認日は明日以降にしてください".into(),
                    )),
                    Ok(d) if d > today + Duration::days(3 * 365) => e.push((
                        "follow_up_on",
                        "実施状況の確認日は3年以内にしてください".into(),
                    )),
                    Ok(d) => step.due_at = crate::time::jst_day_end(d),
                    Err(_) if self.follow_up_on.trim().is_empty() => e.push((
                        "follow_up_on",
                        "再発防止策の実施状況を確認する日を入力してください".into(),
                    )),
                    Err(_) => e.push((
                        "follow_up_on",
                        format!(
                            "確認日「{}」は「YYYY-MM-DD」の日付ではありません",
                            self.follow_up_on.trim()
                        ),
                    )),
                }
            }
            StepKind::Liaison => {
                match Partner::parse(&self.partner) {
                    Some(p) => step.partner = Some(p),
                    None => e.push(("partner", "連携先を選んでください".into())),
                }
                let name = crate::domain::form::text_field(
                    &mut e,
                    "partner_name",
                    &self.partner_name,
                    200,
                    false,
                );
                if step.partner == Some(Partner::Other) {
                    if name.is_empty() {
                        e.push(("partner_name", "連携先の機関名を入力してください".into()));
                    }
                    step.partner_name = Some(name);
                }
                if step.partner == Some(Partner::Ppc) {
                    match Stage::parse(&self.stage) {
                        Some(s) => step.stage = Some(s),
                        None => e.push((
                            "stage",
                            "個人情報保護委員会への報告は速報か確報かを選んでください".into(),
                        )),
                    }
                }
                let reference = crate::domain::form::text_field(
                    &mut e,
                    "reference",
                    &self.reference,
                    200,
                    false,
                );
                step.reference = (!reference.is_empty()).then_some(reference);
                step.sent_at = match self.sent_at.trim() {
                    "" => Some(now),
                    v => match crate::time::parse_jst_minute(v) {
                        Some(t) if t > now + Duration::minutes(5) => {
                            e.push(("sent_at", "連携した日時が未来です".into()));
                            None
                        }
                        Some(t) => Some(t),
                        None => {
                            e.push((
                                "sent_at",
                                format!(
                                    "連携した日時「{v}」は「YYYY-MM-DD HH:MM」（日本時間）の日時ではありません"
                                ),
                            ));
                            None
                        }
                    },
                };
                step.update_seq = match self.update_seq {
                    None => Some(updates),
                    Some(n) if (1..=updates).contains(&n) => Some(n),
                    Some(n) => {
                        e.push(("update_seq", format!("第{n}報はありません（1〜{updates}）")));
                        None
                    }
                };
            }
            _ => {}
        }
        if e.is_empty() {
            Ok(step)
        } else {
            Err(InvalidReport(e))
        }
    }
}

pub use super::waiting::{Party, PpcDeadline, Waiting, follow_up_due, ppc_deadlines, waiting};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_needs_words_and_a_future_due_time() {
        let now = Utc::now();
        let bad = StepInput {
            kind: "request".into(),
            due: "2020-01-01 09:00".into(),
            ..Default::default()
        }
        .validate(1, now)
        .unwrap_err();
        let fields: Vec<&str> = bad.0.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, vec!["body", "due"], "{bad}");
        assert!(
            StepInput {
                kind: "ask".into(),
                ..Default::default()
            }
            .validate(1, now)
            .unwrap_err()
            .to_string()
            .contains("「ask」は対応の種類ではありません")
        );
    }

    #[test]
    fn a_liaison_to_the_commission_names_its_stage_and_a_real_report() {
        let now = Utc::now();
        let e = StepInput {
            kind: "liaison".into(),
            partner: "ppc".into(),
            update_seq: Some(3),
            ..Default::default()
        }
        .validate(2, now)
        .unwrap_err();
        let fields: Vec<&str> = e.0.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, vec!["stage", "update_seq"], "{e}");
        let ok = StepInput {
            kind: "連携".into(),
            partner: "個人情報保護委員会".into(),
            stage: "速報".into(),
            reference: "PPC-2026-0001".into(),
            ..Default::default()
        }
        .validate(2, now)
        .unwrap();
        assert_eq!(ok.update_seq, Some(2));
        assert_eq!(ok.stage, Some(Stage::Preliminary));
        assert_eq!(ok.sent_at, Some(now));
    }

    #[test]
    fn stored_kinds_read_strictly() {
        for k in StepKind::ALL {
            assert_eq!(StepKind::stored(k.as_str()).unwrap(), k);
        }
        assert!(StepKind::stored("受理").is_err());
        assert!(Partner::stored("PPC").is_err());
        assert!(Stage::stored("速報").is_err());
    }
}
