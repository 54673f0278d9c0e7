//! 連絡体制の確認訓練: drills as campaigns. A drill is a scenario written by central staff (in the
//! portal or as a TOML file), with an audience chosen as for alerts; no advisory is needed. It
//! is drafted as an alert marked drill and goes through the same four eyes, lanes, ledger and
//! DKIM, marked 【訓練】 — so what it proves is the real path. What comes back (deliveries,
//! bounces, answers by link, portal, API or reply) is read into the 疎通確認 report
//! (`report`). Drills never count in `/stats`.

pub mod report;

use serde::Deserialize;

use crate::alerts::audience::AudienceSpec;
use crate::alerts::own::{Problem, problem};
use crate::alerts::policy::DraftPolicy;
use crate::alerts::{self, Alert, DraftError, DraftRequest};
use crate::audit::Actor;
use crate::domain::{Severity, Tlp};
use crate::registry::Organisation;

/// Largest scenario file read.
pub const MAX_SCENARIO_BYTES: usize = 64 * 1024;

/// A drill scenario as written in a TOML file (`data/drills/*.toml`).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The subject; the mail adds 【訓練】.
    pub title: String,
    /// What the recipients read: the situation they are asked to act on.
    pub body: String,
    /// Severity the drill is marked with (default 重要: drills rehearse the urgent path).
    #[serde(default)]
    pub severity: Option<String>,
    /// Default GREEN: a drill carries nothing confidential.
    #[serde(default)]
    pub tlp: Option<String>,
    /// Hours the organisations have to answer (default 24).
    #[serde(default)]
    pub answer_within_hours: Option<i32>,
    /// Audience selectors as for alerts (`all`, `prefectures`, `pref:13+`, `org:131016`); the
    /// command line's `--to` replaces them.
    #[serde(default)]
    pub to: Vec<String>,
    /// When the drill's mail goes out, in JST (`2026-12-10 10:00`); none: at approval.
    #[serde(default)]
    pub starts_at: Option<String>,
}

/// A scenario read and checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    pub title: String,
    pub body: String,
    pub severity: Severity,
    pub tlp: Tlp,
    pub answer_within_hours: i32,
    pub audience: AudienceSpec,
    pub starts_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Furthest ahead a drill may be scheduled.
pub const MAX_DAYS_AHEAD: i64 = 90;

/// Reads `2026-12-10 10:00` (JST) or an RFC 3339 time.
fn start_time(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    use chrono::TimeZone;
    let t = s.trim();
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(t) {
        return Ok(d.with_timezone(&chrono::Utc));
    }
    let naive = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M")
        .map_err(|_| format!("starts_at: `{t}` is not a time: write 2026-12-10 10:00 (JST)"))?;
    chrono_tz::Asia::Tokyo
        .from_local_datetime(&naive)
        .single()
        .map(|d| d.with_timezone(&chrono::Utc))
        .ok_or_else(|| format!("starts_at: `{t}` is not a time in JST"))
}

impl Scenario {
    /// Reads a scenario file's text; the error says what is wrong and where.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.len() > MAX_SCENARIO_BYTES {
            return Err(format!(
                "the scenario is {} bytes; at most {MAX_SCENARIO_BYTES} are read",
                text.len()
            ));
        }
        toml::from_str(text).map_err(|e| format!("the scenario does not read: {e}"))
    }

    /// Checks every field; `to` (from the command line) replaces the file's audience.
    pub fn check(&self, to: &[String]) -> Result<Checked, Problem> {
        self.check_at(to, chrono::Utc::now())
    }

    /// [`Scenario::check`] as of `now` (a start time must be ahead of it).
    pub fn check_at(
        &self,
        to: &[String],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Checked, Problem> {
        let title = self.title.trim();
        if title.is_empty() || title.chars().count() > 200 || title.chars().any(char::is_control) {
            return Err(problem(
                "件名: 1〜200 文字で、制御文字を含めずに入力してください",
                "title: 1–200 characters, without control characters",
            ));
        }
        let body = self.body.trim();
        if body.is_empty() || body.chars().count() > 20_000 {
            return Err(problem(
                "本文: 1〜20,000 文字で入力してください",
                "body: 1–20,000 characters",
            ));
        }
        let severity = match &self.severity {
            Some(s) => Severity::parse(s).map_err(|e| {
                problem(
                    "深刻度: 緊急・重要・注意・情報から選んでください",
                    format!("severity: {e}"),
                )
            })?,
            None => Severity::High,
        };
        let tlp = match &self.tlp {
            Some(t) => Tlp::parse(t).map_err(|e| {
                problem(
                    "TLP: CLEAR・GREEN・AMBER・AMBER+STRICT・RED から選んでください",
                    format!("tlp: {e}"),
                )
            })?,
            None => Tlp::Green,
        };
        let hours = self.answer_within_hours.unwrap_or(24);
        if !(1..=24 * 30).contains(&hours) {
            return Err(problem(
                "回答期限（時間）: 1〜720 の数で入力してください",
                "answer_within_hours: from 1 to 720",
            ));
        }
        let selectors = if to.is_empty() { &self.to } else { to };
        if selectors.is_empty() {
            return Err(problem(
                "宛先: 送り先を入力してください",
                "the audience is empty: give `to` in the file or --to",
            ));
        }
        let audience = AudienceSpec::parse_selectors(selectors).map_err(|e| {
            problem(
                format!(
                    "宛先: 「{}」は宛先として読めません（例: muni:13 は管内の市区町村、pref:13+ は都道府県と管内の市区町村、org:131016 は団体、all は全団体）",
                    e.0
                ),
                e.to_string(),
            )
        })?;
        if audience.inventory {
            return Err(problem(
                "宛先: 訓練は団体を宛先にします（製品台帳の一致は使えません）",
                "a drill has no products: choose organisations, not the inventory audience",
            ));
        }
        let starts_at = match self
            .starts_at
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(s) => {
                let t = start_time(s).map_err(|en| {
                    problem(
                        format!("開始日時: 「{s}」は日時として読めません（例: 2026-12-10 10:00）"),
                        en,
                    )
                })?;
                if t <= now || t > now + chrono::Duration::days(MAX_DAYS_AHEAD) {
                    return Err(problem(
                        format!("開始日時: {s} は今より後、{MAX_DAYS_AHEAD} 日以内にしてください"),
                        format!(
                            "starts_at: {s} must be ahead of now and within {MAX_DAYS_AHEAD} days"
                        ),
                    ));
                }
                Some(t)
            }
        };
        Ok(Checked {
            starts_at,
            title: title.to_owned(),
            body: body.to_owned(),
            severity,
            tlp,
            answer_within_hours: hours,
            audience,
        })
    }
}

/// Drafts the drill (an alert marked drill, with no advisory); it then goes through submit and
/// approval like any alert. `owner` is None for the centre; a prefecture drafting for its own
/// municipalities owns the drill (its staff submit it, its administrator approves it), and its
/// audience must stay within the prefecture.
#[tracing::instrument(name = "Draft drill", skip_all)]
pub async fn create<C: sea_orm::ConnectionTrait + sea_orm::TransactionTrait>(
    db: &C,
    policy: &DraftPolicy,
    rules: &crate::classify::rules::Rules,
    drill: Checked,
    actor: &Actor,
    owner: Option<&Organisation>,
) -> Result<Alert, DraftError> {
    if let Some(pref) = owner {
        alerts::own::check_within(db, rules, &drill.audience, pref)
            .await
            .map_err(|e| match e {
                DraftError::Invalid(m) => DraftError::Invalid(m.replace("alert", "drill")),
                other => other,
            })?;
    }
    alerts::create_draft_owned(
        db,
        policy,
        DraftRequest {
            ack_office_days: None,
            advisory_ids: vec![],
            title: Some(drill.title),
            body: Some(drill.body),
            severity: Some(drill.severity),
            tlp: Some(drill.tlp),
            audience: drill.audience,
            ack_within_hours: u32::try_from(drill.answer_within_hours).ok(),
            drill: true,
            starts_at: drill.starts_at,
        },
        actor,
        owner.map(|o| o.id),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scenario_reads_and_its_errors_name_the_field() {
        let s = Scenario::parse(
            "title = \"令和8年度 連絡体制の確認訓練\"\nbody = \"想定: ランサムウェア感染\"\nto = [\"all\"]\n",
        )
        .unwrap();
        let c = s.check(&[]).unwrap();
        assert_eq!(
            (c.severity, c.tlp, c.answer_within_hours),
            (Severity::High, Tlp::Green, 24)
        );
        assert!(c.audience.all);
        let pref = s.check(&["pref:13+".into()]).unwrap();
        assert!(!pref.audience.all && pref.audience.prefectures.len() == 1);
        assert!(Scenario::parse("title = 1").unwrap_err().contains("title"));
        assert!(Scenario::parse("titel = \"x\"\nbody=\"y\"").is_err());
        let bad = Scenario {
            severity: Some("urgent".into()),
            ..s.clone()
        };
        assert!(bad.check(&[]).unwrap_err().en.starts_with("severity"));
        let none = Scenario {
            to: vec![],
            ..s.clone()
        };
        assert!(none.check(&[]).unwrap_err().en.contains("audience"));
        let inv = s.check(&["inventory".into()]).unwrap_err();
        assert!(inv.en.contains("inventory"), "{inv}");
        // A start time: JST, ahead of now, within 90 days.
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-03T00:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let at = |v: &str| Scenario {
            starts_at: Some(v.into()),
            ..s.clone()
        };
        let c = at("2026-12-10 10:00").check_at(&[], now).unwrap();
        assert_eq!(
            c.starts_at.unwrap().to_rfc3339(),
            "2026-12-10T01:00:00+00:00",
            "10:00 JST"
        );
        assert!(
            at("2026-12-01 10:00")
                .check_at(&[], now)
                .unwrap_err()
                .en
                .contains("ahead")
        );
        assert!(
            at("2027-06-01 10:00")
                .check_at(&[], now)
                .unwrap_err()
                .en
                .contains("90 days")
        );
        assert!(
            at("next tuesday")
                .check_at(&[], now)
                .unwrap_err()
                .en
                .contains("not a time")
        );
    }
}
