//! Who reads which of an issue's items: the alerts' own visibility rule (`alerts::access`) for alert items, GREEN cases every local government, CLEAR anyone; and the items as their alerts stand at publication.

#[allow(unused_imports)]
use super::*;

/// The items as they stand at publication: an alert withdrawn since the issue was composed is
/// left out, and one whose later revision is marked stricter takes that marking (never a
/// looser one; RED leaves the issue). Returns the items and how many changed.
pub(super) async fn current_items(
    db: &impl ConnectionTrait,
    items: Vec<Item>,
) -> anyhow::Result<(Vec<Item>, usize)> {
    let mut out = Vec::with_capacity(items.len());
    let mut changed = 0;
    for mut item in items {
        if let Some(alert_id) = item.alert_id {
            let Some(alert) = crate::alerts::store::get(db, alert_id).await? else {
                changed += 1;
                continue;
            };
            if alert.status == crate::alerts::AlertStatus::Withdrawn {
                changed += 1;
                continue;
            }
            let latest = crate::alerts::store::revisions(db, alert.id)
                .await?
                .into_iter()
                .max_by_key(|r| r.number);
            if let Some(r) = latest
                && r.tlp > item.tlp
            {
                changed += 1;
                if r.tlp == Tlp::Red {
                    continue;
                }
                item.tlp = r.tlp;
            }
        }
        out.push(item);
    }
    Ok((out, changed))
}

/// Who reads an issue.
#[derive(Clone, Debug)]
pub enum Reader<'a> {
    /// Anyone, without a session (the public archive and its feed).
    Public,
    /// Central staff: every item.
    Central,
    /// An organisation's staff, contact address or subscriber.
    Organisation(&'a Organisation),
}

/// The items `reader` may see, in order.
pub async fn visible_items(
    db: &impl ConnectionTrait,
    issue: &Issue,
    reader: &Reader<'_>,
) -> anyhow::Result<Vec<Item>> {
    let mut out = Vec::new();
    for item in &issue.items {
        let ok = match (reader, item.tlp) {
            (_, Tlp::Red) => false,
            (Reader::Central, _) => true,
            (_, Tlp::Clear) => true,
            (Reader::Public, _) => false,
            // An alert above CLEAR reaches the organisations that may see it (`alerts::access`,
            // the portal's and the feeds' rule); a GREEN case every local government.
            (Reader::Organisation(org), Tlp::Green | Tlp::Amber | Tlp::AmberStrict) => {
                match item.alert_id {
                    Some(alert) => crate::alerts::access::org_may_view(db, org, alert).await?,
                    // 早期警戒情報 (AMBER at most): the local governments the CEPTOAR serves.
                    None if item.kind == ItemKind::EarlyWarning => {
                        item.tlp <= Tlp::Amber && org.kind != crate::registry::OrgKind::Central
                    }
                    None => item.tlp == Tlp::Green,
                }
            }
        };
        if ok {
            out.push(item.clone());
        }
    }
    Ok(out)
}
