//! Who vouches for a self-subscribed reader: the organisation, by its administrators (or a portal user at their own address); the mail lanes ask per batch.

#[allow(unused_imports)]
use super::*;

/// Of the subscribers `ids`, the active ones an organisation vouched for, with that
/// organisation (one query; the mail lanes ask it per batch, so a revoked reader stops getting
/// restricted items from the next batch on).
pub async fn vouched_among(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> anyhow::Result<std::collections::HashMap<i64, OrgId>> {
    let mut out = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        for m in magazine_subscribers::Entity::find()
            .filter(magazine_subscribers::Column::Id.is_in(chunk.iter().copied()))
            .filter(magazine_subscribers::Column::Status.eq(Status::Active.as_str()))
            .filter(magazine_subscribers::Column::VouchedAt.is_not_null())
            .all(db)
            .await
            .context("cannot read the subscribers")?
        {
            out.insert(m.id, m.organisation_id);
        }
    }
    Ok(out)
}

/// The self-subscribed readers of `org` (confirmed or waiting), for its administrators: who
/// reads what the organisation may share, and who waits for their approval.
pub async fn of_organisation(
    db: &impl ConnectionTrait,
    org: crate::registry::OrgId,
) -> anyhow::Result<Vec<Subscriber>> {
    use sea_orm::QueryOrder;
    magazine_subscribers::Entity::find()
        .filter(magazine_subscribers::Column::OrganisationId.eq(org))
        .filter(magazine_subscribers::Column::Status.eq(Status::Active.as_str()))
        .order_by_asc(magazine_subscribers::Column::Email)
        .all(db)
        .await
        .context("cannot read the subscribers")?
        .into_iter()
        .map(to_subscriber)
        .collect()
}

/// An administrator of `org` vouches for (or, `vouch == false`, stops vouching for) one of its
/// active self-subscribed readers; audited. Not found for anyone else's reader.
pub async fn set_vouched<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    org: crate::registry::OrgId,
    id: i64,
    vouch: bool,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Subscriber, Failure> {
    let txn = begin_write(db).await.map_err(anyhow::Error::from)?;
    let m = magazine_subscribers::Entity::find_by_id(id)
        .filter(magazine_subscribers::Column::OrganisationId.eq(org))
        .filter(magazine_subscribers::Column::Status.eq(Status::Active.as_str()))
        .one(&txn)
        .await
        .map_err(anyhow::Error::from)?
        .ok_or_else(|| Failure::NotFound("no such subscriber".into()))?;
    let email = m.email.clone();
    let mut a: magazine_subscribers::ActiveModel = m.into();
    a.vouched_by = Set(vouch.then(|| actor.to_string()));
    a.vouched_at = Set(vouch.then_some(now));
    let m = a.update(&txn).await.map_err(anyhow::Error::from)?;
    audit::record(
        &txn,
        actor,
        if vouch {
            "magazine.vouch"
        } else {
            "magazine.unvouch"
        },
        &format!("magazine_subscriber:{id}"),
        serde_json::json!({ "email": email, "organisation_id": org }),
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::from)?;
    Ok(to_subscriber(m)?)
}
