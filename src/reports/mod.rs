//! 障害・事故等報告: incidents an organisation reports up, as a report whose successive 報
//! (第1報, 第2報 … 最終報) are kept as written; its prefecture's notes, 確認済 and forwarding
//! (the relay); timers against the policy (`[reports]`, [`crate::config::reports`]); the mail
//! each 報 sends to the prefecture and the central desk ([`mail`], on the notice ledger);
//! statistics by 年度 ([`stats`]); and the case central staff make of a closed report
//! ([`to_case`]).
//!
//! The desk's answers come back down as typed steps ([`steps`], [`act_steps`], [`waiting`]).
//!
//! Owns `incident_reports`, `incident_report_updates`, `incident_report_notes` and
//! `incident_report_steps`; writes notices through [`crate::notices`] and cases through
//! [`crate::cases::store`]. Who may read and act is decided in [`access`], once, for the
//! portal, the API and the mail.

pub mod access;
pub mod act;
pub mod act_steps;
pub mod mail;
pub mod stats;
pub mod steps;
pub mod store;
pub mod timers;
pub mod to_case;
pub mod waiting;

use chrono::{DateTime, Datelike, Utc};

use crate::time::parse_jst_minute;
use serde::{Deserialize, Serialize};

use crate::cases::CAUSES;
use crate::classify::model::Category;
use crate::domain::Tlp;
use crate::domain::form::{Vocabulary, date_field, text_field};
pub use crate::domain::ids::ReportId;

crate::string_enum! {
    /// Open until its 最終報; then waiting for the desk's 対処結果の確認, which closes it.
    #[derive(Serialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum Status ("report status") {
        Open = "open",
        /// The 最終報 is in; no more 報; the desk has not confirmed the 対処結果 yet.
        Final = "final",
        Closed = "closed",
    }
}

impl Status {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Open => "対応中",
            Self::Final => "最終報受領（確認待ち）",
            Self::Closed => "完了",
        }
    }

    /// No more 報 are taken.
    pub fn ended(self) -> bool {
        self != Self::Open
    }
}

crate::string_enum! {
    /// Yes, no, or not known yet (personal data involved, leaked outside, a contractor involved).
    #[derive(Serialize, Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum Tri ("yes-no answer") {
        Yes = "yes",
        No = "no",
        Unknown = "unknown",
    }
}

impl Tri {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Yes => "あり",
            Self::No => "なし",
            Self::Unknown => "不明",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        let t = s.trim();
        Self::ALL
            .into_iter()
            .find(|x| x.as_str() == t || x.label_ja() == t)
    }
}

/// Where the organisation is in the 障害・事故等対応 flow (the README maps them to its 13 steps).
pub const PHASES: Vocabulary = Vocabulary(&[
    ("initial", "初動対応中"),
    ("investigating", "原因調査中"),
    ("planned", "対処方針決定"),
    ("recovering", "復旧・対処中"),
    ("preventing", "再発防止策の実施中"),
    ("resolved", "対応完了"),
]);

/// Kinds of personal data: what a mail may say (never the data itself).
pub const DATA_KINDS: Vocabulary = Vocabulary(&[
    ("name", "氏名"),
    ("address", "住所"),
    ("birth_date", "生年月日"),
    ("phone", "電話番号"),
    ("email", "メールアドレス"),
    ("my_number", "個人番号"),
    ("tax", "税情報"),
    ("welfare", "福祉・健康情報"),
    ("account", "口座情報"),
    ("other", "その他"),
]);

pub const TITLE_MAX: usize = 200;
pub const TEXT_MAX: usize = 10_000;
pub const SHORT_MAX: usize = 1_000;
/// The largest count a report takes (records, devices).
pub const COUNT_MAX: i64 = 1_000_000_000;

/// One 報 as written: the form's and the API's fields. A later 報 sends the whole report again
/// (the portal's form starts from the previous 報), so each is complete on its own.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ReportInput {
    /// 件名: what happened, in a line (at most 200 characters). Required.
    pub title: String,
    /// 概要: what happened (at most 10,000 characters). Required.
    pub summary: String,
    /// 発見日時, JST: `2026-12-03 09:30` (or `2026-12-03T09:30`). Required; not in the future.
    pub found_at: String,
    /// 影響を受けたシステム (at most 1,000 characters). Required.
    pub systems: String,
    /// 個人情報の有無: `yes`, `no` or `unknown`. Required.
    pub personal_data: String,
    /// 外部への漏えい: `yes`, `no` or `unknown`. Required.
    pub leaked: String,
    /// 現在の段階: `initial`, `investigating`, `planned`, `recovering`, `preventing`, `resolved`
    /// (or the Japanese label). Required.
    pub phase: String,
    /// 現在の状況 (at most 10,000 characters). Required.
    pub situation: String,
    /// `CLEAR`, `GREEN`, `AMBER` (default), `AMBER+STRICT` or `RED` (the reporter and central
    /// staff only).
    pub tlp: String,
    /// Category ids (`data_leak`) or labels (`情報漏えい`).
    pub categories: Vec<String>,
    /// Cause ids (`human_error`) or labels (`人的ミス`).
    pub causes: Vec<String>,
    /// 対処方針.
    pub response_plan: String,
    /// 対処結果 (required in the 最終報).
    pub response_result: String,
    /// 再発防止策 (required in the 最終報).
    pub prevention: String,
    /// Personal records affected, 0 to 1,000,000,000.
    pub records: Option<i64>,
    /// Devices affected, 0 to 1,000,000,000.
    pub devices: Option<i64>,
    /// Kinds of personal data: `name`, `address`, `birth_date`, `phone`, `email`,
    /// `my_number`, `tax`, `welfare`, `account`, `other` (or the Japanese labels).
    pub data_kinds: Vec<String>,
    /// 委託先の関与: `yes`, `no` or `unknown` (default).
    pub contractor: String,
    /// 公表: the organisation made it public.
    pub publicised: bool,
    /// 公表日, `YYYY-MM-DD` (only with `publicised`).
    pub publicised_on: Option<String>,
    /// The organisation agrees to be named if the centre makes a case of it.
    pub agree_named: bool,
    /// 最終報: this closes the report.
    pub final_report: bool,
}

/// One 報, checked (and as the API returns it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReportFields {
    pub title: String,
    pub summary: String,
    pub found_at: DateTime<Utc>,
    pub systems: String,
    pub personal_data: Tri,
    pub leaked: Tri,
    pub phase: String,
    pub situation: String,
    /// `CLEAR`, `GREEN`, `AMBER`, `AMBER+STRICT` or `RED`.
    #[schema(value_type = String)]
    pub tlp: Tlp,
    pub categories: Vec<String>,
    pub causes: Vec<String>,
    pub response_plan: String,
    pub response_result: String,
    pub prevention: String,
    pub records: Option<i64>,
    pub devices: Option<i64>,
    pub data_kinds: Vec<String>,
    pub contractor: Tri,
    pub publicised: bool,
    pub publicised_on: Option<chrono::NaiveDate>,
    pub agree_named: bool,
    pub final_report: bool,
}

/// Every problem of a 報, each naming its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(|(f, m)| format!("{f}: {m}")).collect::<Vec<_>>().join("; "))]
pub struct InvalidReport(pub Vec<(&'static str, String)>);

fn tri(e: &mut Vec<(&'static str, String)>, field: &'static str, v: &str, required: bool) -> Tri {
    if v.trim().is_empty() && !required {
        return Tri::Unknown;
    }
    Tri::parse(v).unwrap_or_else(|| {
        e.push((
            field,
            if v.trim().is_empty() {
                "あり・なし・不明から選んでください (required: yes, no or unknown)".into()
            } else {
                format!("`{v}` は yes・no・unknown のいずれでもありません")
            },
        ));
        Tri::Unknown
    })
}

fn count(e: &mut Vec<(&'static str, String)>, field: &'static str, v: Option<i64>) -> Option<i64> {
    if let Some(n) = v
        && !(0..=COUNT_MAX).contains(&n)
    {
        e.push((
            field,
            format!("{n} は件数ではありません (0〜1,000,000,000)"),
        ));
        return None;
    }
    v
}

fn list(
    e: &mut Vec<(&'static str, String)>,
    field: &'static str,
    values: &[String],
    parse: impl Fn(&str) -> Result<&'static str, String>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if values.len() > 50 {
        e.push((field, "at most 50 values".into()));
        return out;
    }
    for v in values.iter().filter(|v| !v.trim().is_empty()) {
        match parse(v) {
            Ok(id) if !out.iter().any(|o| o == id) => out.push(id.to_owned()),
            Ok(_) => {}
            Err(m) => e.push((field, m)),
        }
    }
    out
}

impl ReportInput {
    /// Checks every field against `now` (nothing may lie in the future) and returns all the
    /// problems at once.
    pub fn validate(&self, now: DateTime<Utc>) -> Result<ReportFields, InvalidReport> {
        let mut e = Vec::new();
        let title = text_field(&mut e, "title", &self.title, TITLE_MAX, true);
        let summary = text_field(&mut e, "summary", &self.summary, TEXT_MAX, true);
        let systems = text_field(&mut e, "systems", &self.systems, SHORT_MAX, true);
        let situation = text_field(&mut e, "situation", &self.situation, TEXT_MAX, true);
        let response_plan = text_field(
            &mut e,
            "response_plan",
            &self.response_plan,
            TEXT_MAX,
            false,
        );
        let response_result = text_field(
            &mut e,
            "response_result",
            &self.response_result,
            TEXT_MAX,
            self.final_report,
        );
        let prevention = text_field(
            &mut e,
            "prevention",
            &self.prevention,
            TEXT_MAX,
            self.final_report,
        );
        let found_at = match self.found_at.trim() {
            "" => {
                e.push(("found_at", "発見日時を入力してください (required)".into()));
                None
            }
            v => match parse_jst_minute(v) {
                Some(t) if t > now + chrono::Duration::minutes(5) => {
                    e.push(("found_at", format!("{v} は未来の日時です")));
                    None
                }
                Some(t) if t.year() < 1990 => {
                    e.push(("found_at", format!("{v} は古すぎます (1990 年以降)")));
                    None
                }
                Some(t) => Some(t),
                None => {
                    e.push((
                        "found_at",
                        format!("`{v}` は「YYYY-MM-DD HH:MM」（日本時間）の日時ではありません"),
                    ));
                    None
                }
            },
        };
        let personal_data = tri(&mut e, "personal_data", &self.personal_data, true);
        let leaked = tri(&mut e, "leaked", &self.leaked, true);
        let contractor = tri(&mut e, "contractor", &self.contractor, false);
        let phase = if self.phase.trim().is_empty() {
            e.push(("phase", "現在の段階を選んでください (required)".into()));
            String::new()
        } else {
            PHASES
                .parse("phase", &self.phase)
                .map_err(|m| e.push(("phase", m)))
                .unwrap_or_default()
                .to_owned()
        };
        let tlp = if self.tlp.trim().is_empty() {
            Tlp::Amber
        } else {
            Tlp::parse(&self.tlp).unwrap_or_else(|m| {
                e.push(("tlp", m.to_string()));
                Tlp::Red
            })
        };
        let categories = list(&mut e, "categories", &self.categories, |s| {
            Category::parse(s).map(Category::as_str)
        });
        let causes = list(&mut e, "causes", &self.causes, |s| CAUSES.parse("cause", s));
        let data_kinds = list(&mut e, "data_kinds", &self.data_kinds, |s| {
            DATA_KINDS.parse("kind of personal data", s)
        });
        let records = count(&mut e, "records", self.records);
        let devices = count(&mut e, "devices", self.devices);
        let today = now.with_timezone(&crate::time::jst_offset()).date_naive();
        let publicised_on = date_field(&mut e, "publicised_on", &self.publicised_on, today);
        if publicised_on.is_some() && !self.publicised {
            e.push((
                "publicised_on",
                "公表日は「公表した」を選んだときだけ入力してください".into(),
            ));
        }
        match (found_at, e.is_empty()) {
            (Some(found_at), true) => Ok(ReportFields {
                title,
                summary,
                found_at,
                systems,
                personal_data,
                leaked,
                phase,
                situation,
                tlp,
                categories,
                causes,
                response_plan,
                response_result,
                prevention,
                records,
                devices,
                data_kinds,
                contractor,
                publicised: self.publicised,
                publicised_on,
                agree_named: self.agree_named,
                final_report: self.final_report,
            }),
            _ => Err(InvalidReport(e)),
        }
    }
}

impl ReportFields {
    /// The form a reporter starts the next 報 from (not final, whatever this one was).
    pub fn to_input(&self) -> ReportInput {
        ReportInput {
            title: self.title.clone(),
            summary: self.summary.clone(),
            found_at: crate::time::format_jst(&self.found_at)
                .get(..16)
                .unwrap_or_default()
                .to_owned(),
            systems: self.systems.clone(),
            personal_data: self.personal_data.as_str().into(),
            leaked: self.leaked.as_str().into(),
            phase: self.phase.clone(),
            situation: self.situation.clone(),
            tlp: self.tlp.as_str().into(),
            categories: self.categories.clone(),
            causes: self.causes.clone(),
            response_plan: self.response_plan.clone(),
            response_result: self.response_result.clone(),
            prevention: self.prevention.clone(),
            records: self.records,
            devices: self.devices,
            data_kinds: self.data_kinds.clone(),
            contractor: self.contractor.as_str().into(),
            publicised: self.publicised,
            publicised_on: self.publicised_on.map(|d| d.format("%Y-%m-%d").to_string()),
            agree_named: self.agree_named,
            final_report: false,
        }
    }

    pub fn phase_label(&self) -> &'static str {
        PHASES.label(&self.phase).unwrap_or("—")
    }
}

/// 第1報, 第2報 …; the 最終報 by its name.
pub fn update_label_ja(seq: i32, final_report: bool) -> String {
    if final_report {
        "最終報".into()
    } else {
        format!("第{seq}報")
    }
}

pub fn update_label_en(seq: i32, final_report: bool) -> String {
    if final_report {
        "Final report".into()
    } else {
        format!("Report {seq}")
    }
}

#[cfg(test)]
mod tests;
