//! Bounces: the ledger row or the notice a returned message's VERP address names.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};

use super::{Inputs, Outcome, Processed, read};
use crate::audit::{self, Actor};
use crate::keys::tokens::Returned;

/// Bounces recorded in one transaction, audited together: one entry per alert naming every
/// delivery, rather than one per message.
#[derive(Default)]
/// Bounces by what they were copies of (`alert:7`, `magazine_issue:2`).
pub(super) struct BounceAudit(std::collections::BTreeMap<String, Vec<serde_json::Value>>);

impl BounceAudit {
    pub(super) async fn record<C: ConnectionTrait + TransactionTrait>(
        self,
        db: &C,
    ) -> anyhow::Result<()> {
        for (target, deliveries) in self.0 {
            audit::record(
                db,
                &Actor::System,
                "delivery.bounced",
                &target,
                serde_json::json!({ "deliveries": deliveries }),
            )
            .await?;
        }
        Ok(())
    }
}

pub(super) async fn bounce<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    inputs: &Inputs<'_>,
    message: &read::Inbound,
    b: &read::Bounce,
    now: DateTime<Utc>,
    audits: &mut BounceAudit,
) -> anyhow::Result<Processed> {
    // The envelope recipient first; else a VERP address the report quotes (its Return-Path).
    let returned = message
        .delivered_to
        .iter()
        .find_map(|a| inputs.verp.returned_of(a))
        .or_else(|| {
            message
                .text
                .split(|c: char| c.is_whitespace() || "<>;,\"'".contains(c))
                .find_map(|w| inputs.verp.returned_of(w))
        });
    let delivery = match returned {
        Some(Returned::Delivery(id)) => id,
        Some(Returned::Notice(id)) => return notice_bounce(db, inputs, b, id, now).await,
        None => {
            return Ok(Processed::new(
                "bounce",
                Outcome::Pending,
                format!(
                    "a bounce ({}) for no delivery this hub can identify",
                    b.status.as_deref().unwrap_or("no status")
                ),
            ));
        }
    };
    if b.delayed {
        let mut p = Processed::new(
            "bounce",
            Outcome::Recorded,
            "a delay warning: the remote system is still trying",
        );
        p.delivery_id = Some(delivery);
        return Ok(p);
    }
    let Some(row) =
        crate::delivery::store::mark_bounced(db, delivery, b.status.as_deref(), &b.reason, now)
            .await?
    else {
        return Ok(Processed::new(
            "bounce",
            Outcome::Pending,
            format!("a bounce for delivery {delivery}, which no longer exists"),
        ));
    };
    let mut unreachable = false;
    // A self-subscribed staff member's copy has no contact address to count against.
    if b.permanent
        && row.first
        && let Some(contact) = row.contact_id
    {
        unreachable =
            crate::contacts::store::count_hard_bounce(db, contact, inputs.hard_bounce_limit, now)
                .await?;
    }
    if row.first {
        let target = match (row.alert_id, row.magazine_issue_id) {
            (Some(alert), _) => format!("alert:{alert}"),
            (None, Some(issue)) => format!("magazine_issue:{issue}"),
            (None, None) => format!("delivery:{delivery}"),
        };
        audits.0.entry(target).or_default().push(serde_json::json!({
            "delivery": delivery,
            "contact": row.contact_id,
            "status": b.status,
            "permanent": b.permanent,
            "unreachable": unreachable,
        }));
    }
    let mut p = Processed::new(
        "bounce",
        Outcome::Recorded,
        detail(&row.email, b, unreachable),
    );
    p.delivery_id = Some(delivery);
    p.alert_id = row.alert_id;
    p.organisation_id = Some(row.organisation_id);
    Ok(p)
}

/// A bounce to a notice's own envelope sender (連絡先確認, a survey's or a report's mail): marked
/// on the notice; a permanent one counts against every active contact with that address (the
/// address is dead, whichever organisation lists it), audited on the notice.
async fn notice_bounce<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    inputs: &Inputs<'_>,
    b: &read::Bounce,
    id: i64,
    now: DateTime<Utc>,
) -> anyhow::Result<Processed> {
    let mut p = Processed::new("bounce", Outcome::Recorded, String::new());
    p.notice_id = Some(id);
    if b.delayed {
        p.detail = "a delay warning: the remote system is still trying".into();
        return Ok(p);
    }
    let Some(row) =
        crate::notices::store::mark_bounced(db, id, b.status.as_deref(), &b.reason, now).await?
    else {
        p.outcome = Outcome::Pending;
        p.detail = format!("a bounce for notice {id}, which no longer exists");
        return Ok(p);
    };
    let mut counted = Vec::new();
    let mut unreachable = false;
    if b.permanent && row.first {
        for c in crate::contacts::store::active_by_email(db, &row.recipient).await? {
            let now_unreachable =
                crate::contacts::store::count_hard_bounce(db, c.id, inputs.hard_bounce_limit, now)
                    .await?;
            unreachable |= now_unreachable;
            counted.push(serde_json::json!({
                "contact": c.id,
                "organisation": c.org_id,
                "unreachable": now_unreachable,
            }));
            p.organisation_id.get_or_insert(c.org_id);
        }
    }
    if row.first {
        audit::record(
            db,
            &Actor::System,
            "notice.bounced",
            &format!("notice:{id}"),
            serde_json::json!({
                "kind": row.kind,
                "status": b.status,
                "permanent": b.permanent,
                "contacts": counted,
            }),
        )
        .await?;
    }
    p.detail = detail(&row.recipient, b, unreachable);
    Ok(p)
}

/// What a recorded bounce says at /admin/inbound: the address, the status, the reason.
fn detail(email: &str, b: &read::Bounce, unreachable: bool) -> String {
    format!(
        "{email} {}: {}{}",
        b.status.as_deref().unwrap_or("(no status)"),
        b.reason,
        if unreachable {
            " — the address is now unreachable"
        } else {
            ""
        }
    )
}
