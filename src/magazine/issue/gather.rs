//! What a period offers an issue: the alerts with a revision published in it, the cases
//! published in it, JPCERT/CC's 早期警戒情報 and its public items first seen in it.

#[allow(unused_imports)]
use super::*;

/// What the period offers: alerts with a revision published in it (the latest such), cases
/// published in it, and JPCERT/CC items first seen in it.
pub async fn gather(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> anyhow::Result<Vec<Item>> {
    let mut items = Vec::new();
    for alert in
        crate::alerts::store::list_by_status(db, crate::alerts::AlertStatus::Published).await?
    {
        if alert.drill {
            continue;
        }
        let Some(latest) = crate::alerts::store::revisions(db, alert.id)
            .await?
            .into_iter()
            .filter(|r| r.published_at >= from && r.published_at < to)
            .max_by_key(|r| r.number)
        else {
            continue;
        };
        if latest.tlp == Tlp::Red {
            continue;
        }
        let public_id = alert.public_id.clone().unwrap_or_default();
        items.push(Item {
            kind: ItemKind::Alert,
            title: if latest.number > 1 {
                format!("{}（第{}報）", latest.title, latest.number)
            } else {
                latest.title.clone()
            },
            summary: summary::summary_of(&latest.body, 120),
            link: format!("/alerts/{public_id}"),
            tlp: latest.tlp,
            alert_id: Some(alert.id),
            severity: Some(latest.severity),
            date: latest.published_at,
        });
    }
    let mut cases = 0;
    for case in crate::cases::store::list(db, &[crate::cases::Status::Published], None, 500).await?
    {
        let Some(at) = case.published_at.filter(|t| *t >= from && *t < to) else {
            continue;
        };
        if !matches!(case.fields.tlp, Tlp::Clear | Tlp::Green) || cases == MAX_CASES {
            continue;
        }
        cases += 1;
        items.push(Item {
            kind: ItemKind::Case,
            title: case.fields.title.clone(),
            summary: summary::summary_of(&case.fields.summary, 120),
            link: format!("/cases/{}", case.id),
            tlp: case.fields.tlp,
            alert_id: None,
            severity: None,
            date: at,
        });
    }
    let warnings = first_seen_between(
        db,
        advisories::Column::Kind.eq(crate::ingest::model::kind::JPCERT_EARLY_WARNING),
        from,
        to,
    )
    .await
    .context("cannot read the early warnings")?;
    for a in warnings {
        let (tlp, _) = crate::alerts::advisory_tlp(&a);
        if tlp > Tlp::Amber {
            continue;
        }
        items.push(Item {
            kind: ItemKind::EarlyWarning,
            summary: summary::summary_of(&a.summary_text, 120),
            link: String::new(),
            title: a.title,
            tlp,
            alert_id: None,
            severity: None,
            date: a.published_at.unwrap_or(a.first_seen_at),
        });
    }
    let jpcert = first_seen_between(
        db,
        sea_orm::Condition::all()
            .add(advisories::Column::SourceKey.starts_with("jpcert"))
            .add(advisories::Column::SourceKey.not_like("%-en"))
            // JPCERT/CC's public pages only: never its early warning (AMBER, by mail) or
            // anything else that came by mail or by hand.
            .add(advisories::Column::Kind.is_in([
                crate::ingest::model::kind::JPCERT_ALERT,
                crate::ingest::model::kind::JPCERT_WEEKLY,
                crate::ingest::model::kind::JPCERT_OTHER,
                crate::ingest::model::kind::FEED_ITEM,
            ])),
        from,
        to,
    )
    .await
    .context("cannot read JPCERT/CC items")?;
    for a in jpcert {
        // The issue is written in Japanese: JPCERT/CC's English pages repeat its Japanese ones.
        if a.lang.as_deref() == Some("en") || a.source_key.ends_with("-en") {
            continue;
        }
        // Public pages; a marking upstream stricter than CLEAR keeps the item out.
        if a.tlp.as_deref().is_some_and(|t| t != Tlp::Clear.as_str()) {
            continue;
        }
        items.push(Item {
            kind: ItemKind::Jpcert,
            summary: summary::summary_of(&a.summary_text, 120),
            link: a.url.clone().unwrap_or_default(),
            title: a.title,
            tlp: Tlp::Clear,
            alert_id: None,
            severity: None,
            date: a.published_at.unwrap_or(a.first_seen_at),
        });
    }
    items.sort_by_key(|i| (i.kind as u8, i.date));
    Ok(items)
}

/// The advisories matching `filter` first seen in `[from, to)`, oldest first, at most
/// [`MAX_JPCERT`].
async fn first_seen_between(
    db: &impl ConnectionTrait,
    filter: impl sea_orm::sea_query::IntoCondition,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<advisories::Model>, sea_orm::DbErr> {
    advisories::Entity::find()
        .filter(filter)
        .filter(advisories::Column::FirstSeenAt.gte(from))
        .filter(advisories::Column::FirstSeenAt.lt(to))
        .order_by_asc(advisories::Column::FirstSeenAt)
        .limit(MAX_JPCERT)
        .all(db)
        .await
}
