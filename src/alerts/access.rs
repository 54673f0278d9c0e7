//! Who may see a published alert: central staff see every alert; an organisation sees what is
//! addressed to it; a prefecture also sees what is addressed to its municipalities, unless the
//! current revision is TLP:AMBER+STRICT or RED (`Tlp::prefecture_may_relay`). Every channel
//! (portal, feeds, API, search) asks here, so the rule is written once; the feeds' prefecture
//! scope writes the same rule in SQL.

use crate::domain::ids::{AlertId, OrgId};
use anyhow::Context;
use sea_orm::ConnectionTrait;

use crate::registry::{Caller, OrgKind, Organisation};

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

/// SQL for "addressed to a municipality of prefecture `org`, under a marking a prefecture may
/// see": the alert is the expression `alert`, the prefecture's organisation `org`, and the three
/// markings of `Tlp::RELAYED_TO_PREFECTURES` are the parameters from `$first` on. The one text of
/// the rule for [`seen_by`] and [`recent_on_boards`].
fn overseen(alert: &str, org: &str, first: usize) -> String {
    format!(
        "EXISTS (SELECT 1 FROM alert_audience a JOIN organisations o ON o.id = a.organisation_id \
                 WHERE a.alert_id = {alert} AND o.parent_id = {org}) \
         AND (SELECT r.tlp FROM alert_revisions r WHERE r.alert_id = {alert} \
              ORDER BY r.number DESC LIMIT 1) IN (${first}, ${}, ${})",
        first + 1,
        first + 2
    )
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
    let mut values: Vec<sea_orm::Value> = vec![alert_id.into(), org_id.into()];
    values.extend(crate::domain::Tlp::RELAYED_TO_PREFECTURES.map(sea_orm::Value::from));
    let row = db
        .query_one_raw(crate::db::statement(
            backend,
            &format!("SELECT 1 AS found WHERE {}", overseen("$1", "$2", 3)),
            values,
        ))
        .await
        .context("cannot read the alert's audience")?;
    Ok(row.is_some())
}

/// A published (or withdrawn) alert on a board's list: its latest published title, never an edit
/// still waiting for approval.
#[derive(Clone, Debug)]
pub struct OnBoard {
    pub id: AlertId,
    pub public_id: String,
    pub title: String,
    pub drill: bool,
    pub withdrawn: bool,
}

/// The newest published alerts whose acknowledgements `caller` follows, newest first: every
/// alert for central staff; for a prefecture's staff, those addressed to the prefecture, and
/// those addressed to its municipalities under a marking a prefecture may see (the rule of
/// [`org_may_view`], as one query). Nobody else follows boards: empty.
pub async fn recent_on_boards(
    db: &impl ConnectionTrait,
    caller: &Caller,
    limit: u64,
) -> anyhow::Result<Vec<OnBoard>> {
    let backend = db.get_database_backend();
    let published = [
        crate::alerts::AlertStatus::Published.as_str(),
        crate::alerts::AlertStatus::Withdrawn.as_str(),
    ];
    let mut values: Vec<sea_orm::Value> = vec![published[0].into(), published[1].into()];
    let scope = if caller.central {
        String::new()
    } else if caller.org_kind == OrgKind::Prefecture {
        values.push(caller.org_id.into());
        values.extend(crate::domain::Tlp::RELAYED_TO_PREFECTURES.map(sea_orm::Value::from));
        format!(
            " AND (EXISTS (SELECT 1 FROM alert_audience a \
                           WHERE a.alert_id = al.id AND a.organisation_id = $3) \
                   OR ({}))",
            overseen("al.id", "$3", 4)
        )
    } else {
        return Ok(Vec::new());
    };
    let sql = format!(
        "SELECT al.id, al.public_id, al.drill, al.status, \
                (SELECT r.title FROM alert_revisions r WHERE r.alert_id = al.id \
                 ORDER BY r.number DESC LIMIT 1) AS title \
         FROM alerts al WHERE al.status IN ($1, $2){scope} ORDER BY al.id DESC LIMIT {limit}"
    );
    let rows = db
        .query_all_raw(crate::db::statement(backend, &sql, values))
        .await
        .context("cannot read the alerts of the boards")?;
    rows.iter()
        .map(|r| {
            let status: String = r.try_get("", "status")?;
            Ok(OnBoard {
                id: AlertId(r.try_get("", "id")?),
                public_id: r
                    .try_get::<Option<String>>("", "public_id")?
                    .unwrap_or_default(),
                title: r.try_get("", "title")?,
                drill: r.try_get("", "drill")?,
                withdrawn: crate::alerts::AlertStatus::stored(&status)?
                    == crate::alerts::AlertStatus::Withdrawn,
            })
        })
        .collect()
}
