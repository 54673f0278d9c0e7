//! A prefecture's own 注意喚起 to its municipalities: written by hand by the prefecture's staff,
//! owned by the prefecture (its staff submit, its administrator approves — never the writer or
//! submitter, [`super::publish::may_approve`]), and refused when its audience reaches beyond
//! that prefecture. Drills of a prefecture take the same check.

use sea_orm::{ConnectionTrait, TransactionTrait};

use super::audience::AudienceSpec;
use super::policy::DraftPolicy;
use super::{Alert, DraftError, DraftRequest, create_draft_owned};
use crate::audit::Actor;
use crate::domain::{Severity, Tlp};
use crate::registry::{OrgKind, Organisation};

/// Refuses an audience that is empty or reaches an organisation outside `owner`'s prefecture.
pub async fn check_within<C: ConnectionTrait>(
    db: &C,
    rules: &crate::classify::rules::Rules,
    audience: &AudienceSpec,
    owner: &Organisation,
) -> Result<(), DraftError> {
    let Some(p) = owner
        .prefecture
        .filter(|_| owner.kind == OrgKind::Prefecture)
    else {
        return Err(DraftError::Invalid(
            "自団体の注意喚起を送れるのは都道府県です".into(),
        ));
    };
    let members = super::audience::resolve(db, audience, &[], rules).await?;
    if let Some(outside) = members
        .iter()
        .find(|m| m.organisation.prefecture != Some(p))
    {
        return Err(DraftError::Invalid(format!(
            "宛先: {} は{}の管外です。都道府県の注意喚起・訓練は管内の団体にだけ送れます",
            outside.organisation.full_name(),
            p.name()
        )));
    }
    if members.is_empty() {
        return Err(DraftError::Invalid("宛先: 送り先の団体がありません".into()));
    }
    Ok(())
}

/// What a prefecture writes.
#[derive(Clone, Debug)]
pub struct OwnAlert {
    pub title: String,
    pub body: String,
    pub severity: Severity,
    pub tlp: Tlp,
    pub audience: AudienceSpec,
    pub ack_within_hours: u32,
    /// The hours count 開庁日 only.
    pub ack_office_days: bool,
}

/// One problem of the form, in both languages, naming its field by the form's label. Shown as
/// the English (the command line's language); a page picks its reader's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub ja: String,
    pub en: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.en)
    }
}

pub fn problem(ja: impl Into<String>, en: impl Into<String>) -> Problem {
    Problem {
        ja: ja.into(),
        en: en.into(),
    }
}

impl OwnAlert {
    /// Reads the form's text fields; every problem names its field, in Japanese and English.
    pub fn parse(
        title: &str,
        body: &str,
        severity: &str,
        tlp: &str,
        to: &str,
        hours: &str,
    ) -> Result<Self, Vec<Problem>> {
        let mut e = Vec::new();
        let title = title.trim();
        if title.is_empty() || title.chars().count() > 200 || title.chars().any(char::is_control) {
            e.push(problem(
                "件名: 1〜200 文字で、制御文字を含めずに入力してください",
                "Title: 1–200 characters, without control characters",
            ));
        }
        let body = body.trim();
        if body.is_empty() || body.chars().count() > 20_000 {
            e.push(problem(
                "本文: 1〜20,000 文字で入力してください",
                "Body: 1–20,000 characters",
            ));
        }
        let severity = Severity::parse(severity)
            .map_err(|_| {
                e.push(problem(
                    "深刻度: 緊急・重要・注意・情報から選んでください",
                    "Severity: choose critical, high, medium or info",
                ))
            })
            .ok();
        let tlp = Tlp::parse(tlp)
            .map_err(|_| {
                e.push(problem(
                    "TLP: CLEAR・GREEN・AMBER・AMBER+STRICT・RED から選んでください",
                    "TLP: choose CLEAR, GREEN, AMBER, AMBER+STRICT or RED",
                ))
            })
            .ok();
        let hours = match hours.trim().parse::<u32>() {
            Ok(h) if (1..=720).contains(&h) => h,
            _ => {
                e.push(problem(
                    "報告期限（時間）: 1〜720 の数で入力してください",
                    "Hours to report: a number from 1 to 720",
                ));
                24
            }
        };
        let selectors: Vec<String> = to
            .split([',', ' ', '\n', '、'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let audience = match AudienceSpec::parse_selectors(&selectors) {
            Ok(a) if a.inventory => {
                e.push(problem(
                    "宛先: 都道府県の注意喚起は団体を宛先にします（製品台帳の一致は使えません）",
                    "Audience: a prefecture's alert goes to organisations, not the inventory audience",
                ));
                None
            }
            Ok(a) if a.is_empty() => {
                e.push(problem(
                    "宛先: 送り先を選んでください",
                    "Audience: choose whom it goes to",
                ));
                None
            }
            Ok(a) => Some(a),
            Err(m) => {
                let bad = if m.0.is_empty() {
                    "（空欄）".to_owned()
                } else {
                    m.0.clone()
                };
                e.push(problem(
                    format!(
                        "宛先: 「{bad}」は宛先として読めません（例: muni:13 は管内の市区町村、pref:13+ は都道府県と管内の市区町村、org:131016 は団体）"
                    ),
                    format!("Audience: {m}"),
                ));
                None
            }
        };
        match (audience, severity, tlp) {
            (Some(audience), Some(severity), Some(tlp)) if e.is_empty() => Ok(Self {
                title: title.to_owned(),
                body: body.to_owned(),
                severity,
                tlp,
                audience,
                ack_within_hours: hours,
                ack_office_days: false,
            }),
            _ => Err(e),
        }
    }
}

/// Drafts the prefecture's alert (then four eyes, as any alert).
pub async fn create<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    policy: &DraftPolicy,
    rules: &crate::classify::rules::Rules,
    alert: OwnAlert,
    actor: &Actor,
    owner: &Organisation,
) -> Result<Alert, DraftError> {
    check_within(db, rules, &alert.audience, owner).await?;
    create_draft_owned(
        db,
        policy,
        DraftRequest {
            ack_office_days: Some(alert.ack_office_days),
            advisory_ids: vec![],
            title: Some(alert.title),
            body: Some(alert.body),
            severity: Some(alert.severity),
            tlp: Some(alert.tlp),
            audience: alert.audience,
            ack_within_hours: Some(alert.ack_within_hours),
            drill: false,
            starts_at: None,
        },
        actor,
        Some(owner.id),
    )
    .await
}
