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
            "only a prefecture sends alerts of its own".into(),
        ));
    };
    let members = super::audience::resolve(db, audience, &[], rules).await?;
    if let Some(outside) = members
        .iter()
        .find(|m| m.organisation.prefecture != Some(p))
    {
        return Err(DraftError::Invalid(format!(
            "a prefecture's alert reaches only its own organisations: {} is outside {}",
            outside.organisation.full_name(),
            p.name()
        )));
    }
    if members.is_empty() {
        return Err(DraftError::Invalid("the audience is empty".into()));
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
}

impl OwnAlert {
    /// Reads the form's text fields; every problem names its field.
    pub fn parse(
        title: &str,
        body: &str,
        severity: &str,
        tlp: &str,
        to: &str,
        hours: &str,
    ) -> Result<Self, String> {
        let mut e = Vec::new();
        let title = title.trim();
        if title.is_empty() || title.chars().count() > 200 || title.chars().any(char::is_control) {
            e.push("title: 1–200 characters, without control characters".to_owned());
        }
        let body = body.trim();
        if body.is_empty() || body.chars().count() > 20_000 {
            e.push("body: 1–20,000 characters".to_owned());
        }
        let severity = Severity::parse(severity)
            .map_err(|m| e.push(format!("severity: {m}")))
            .ok();
        let tlp = Tlp::parse(tlp)
            .map_err(|m| e.push(format!("tlp: {m}")))
            .ok();
        let hours = match hours.trim().parse::<u32>() {
            Ok(h) if (1..=720).contains(&h) => h,
            _ => {
                e.push("hours: from 1 to 720".to_owned());
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
                e.push(
                    "to: a prefecture's alert goes to organisations, not the inventory audience"
                        .into(),
                );
                None
            }
            Ok(a) if a.is_empty() => {
                e.push("to: the audience is empty".into());
                None
            }
            Ok(a) => Some(a),
            Err(m) => {
                e.push(format!("to: {m}"));
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
            }),
            _ => Err(e.join("; ")),
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
