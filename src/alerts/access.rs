//! Who may see a published alert: central staff see every alert; an organisation sees what is
//! addressed to it; a prefecture also sees what is addressed to its municipalities, unless the
//! current revision is TLP:AMBER+STRICT or RED (`Tlp::prefecture_may_relay`). Every channel
//! (portal, feeds, API, search) asks here, so the rule is written once; the feeds' prefecture
//! scope writes the same rule in SQL.

use crate::domain::ids::{AlertId, OrgId};
use anyhow::Context;
use sea_orm::ConnectionTrait;

use crate::auth::User;
use crate::registry::{Caller, OrgKind, Organisation};

/// Whether `user` of `org` may see alert `alert_id`. Drafts are for central staff only.
pub async fn may_view(
    db: &impl ConnectionTrait,
    user: &User,
    org: &Organisation,
    alert_id: AlertId,
) -> anyhow::Result<bool> {
    if user.role.is_central() {
        return Ok(true);
    }
    org_may_view(db, org, alert_id).await
}

/// The longest public id looked up; anything longer is not found without a query.
const PUBLIC_ID_MAX: usize = 32;

/// The published alert `public_id` if `caller` may see it, with whether it is addressed to the
/// caller's organisation (which answers both "may see it" and "reports on it"); `None` when there
/// is none or the caller may not see it, which are not told apart.
pub async fn visible(
    db: &impl ConnectionTrait,
    caller: &Caller,
    public_id: &str,
) -> anyhow::Result<Option<(crate::alerts::Alert, bool)>> {
    if public_id.len() > PUBLIC_ID_MAX {
        return Ok(None);
    }
    let Some((alert, addressed)) =
        crate::alerts::store::by_public_id_for(db, public_id, caller.org_id).await?
    else {
        return Ok(None);
    };
    if !addressed && !caller_may_view(db, caller, alert.id).await? {
        return Ok(None);
    }
    Ok(Some((alert, addressed)))
}

/// Whether `caller` may see alert `alert_id`: central staff every alert, anyone else as its
/// organisation ([`org_may_view`]).
pub async fn caller_may_view(
    db: &impl ConnectionTrait,
    caller: &Caller,
    alert_id: AlertId,
) -> anyhow::Result<bool> {
    if caller.central {
        return Ok(true);
    }
    seen_by(db, caller.org_id, caller.org_kind, alert_id).await
}

/// Whether organisation `org` (not its central staff: an API token, say) may see alert
/// `alert_id`: addressed to it, or, for a prefecture, to one of its municipalities under a
/// marking a prefecture may see.
pub async fn org_may_view(
    db: &impl ConnectionTrait,
    org: &Organisation,
    alert_id: AlertId,
) -> anyhow::Result<bool> {
    seen_by(db, org.id, org.kind, alert_id).await
}

async fn seen_by(
    db: &impl ConnectionTrait,
    org_id: OrgId,
    kind: OrgKind,
    alert_id: AlertId,
) -> anyhow::Result<bool> {
    if crate::alerts::store::is_addressed(db, alert_id, org_id).await? {
        return Ok(true);
    }
    if kind != OrgKind::Prefecture {
        return Ok(false);
    }
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(crate::db::statement(
            backend,
            "SELECT 1 AS found FROM alert_audience a JOIN organisations o ON o.id = a.organisation_id \
             WHERE a.alert_id = $1 AND o.parent_id = $2 \
               AND (SELECT r.tlp FROM alert_revisions r WHERE r.alert_id = $1 \
                    ORDER BY r.number DESC LIMIT 1) IN ($3, $4, $5) \
             LIMIT 1",
            vec![
                alert_id.into(),
                org_id.into(),
                crate::domain::Tlp::RELAYED_TO_PREFECTURES[0].into(),
                crate::domain::Tlp::RELAYED_TO_PREFECTURES[1].into(),
                crate::domain::Tlp::RELAYED_TO_PREFECTURES[2].into(),
            ],
        ))
        .await
        .context("cannot read the alert's audience")?;
    Ok(row.is_some())
}
