//! Database access for contacts.

use anyhow::Context;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::{Contact, ContactKind, Language, MailEncoding};
use crate::db::entities::org_contacts;
use crate::db::is_unique_violation;
use crate::domain::EmailAddress;
use crate::registry::OrgId;

fn to_domain(m: org_contacts::Model) -> anyhow::Result<Contact> {
    Ok(Contact {
        id: m.id,
        org_id: m.organisation_id,
        email: EmailAddress::parse(&m.email)
            .with_context(|| format!("contact {} has an invalid address", m.id))?,
        kind: ContactKind::parse(&m.kind).map_err(anyhow::Error::msg)?,
        language: Language::parse(&m.language).map_err(anyhow::Error::msg)?,
        encoding: MailEncoding::parse(&m.encoding).map_err(anyhow::Error::msg)?,
        active: m.active,
        hard_bounces: m.hard_bounces,
        unreachable: m.unreachable,
        confirmed_at: m.confirmed_at,
        verified: m
            .verified_by
            .as_deref()
            .map(super::Verified::stored)
            .transpose()
            .with_context(|| format!("contact {}", m.id))?,
    })
}

/// Counts a permanent bounce against contact `id`; after `limit` of them the address is
/// unreachable. Returns whether it is unreachable now.
pub async fn count_hard_bounce(
    db: &impl ConnectionTrait,
    id: i64,
    limit: u32,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<bool> {
    let row = db
        .query_one_raw(crate::db::statement(
            db.get_database_backend(),
            "UPDATE org_contacts SET hard_bounces = hard_bounces + 1, last_bounce_at = $1, \
             unreachable = (unreachable OR hard_bounces + 1 >= $2) \
             WHERE id = $3 RETURNING unreachable",
            vec![now.into(), i64::from(limit).into(), id.into()],
        ))
        .await
        .context("cannot count the bounce")?;
    Ok(match row {
        Some(r) => r.try_get("", "unreachable")?,
        None => false,
    })
}

/// The organisation confirms its active addresses (連絡先確認): they work again as far as
/// anyone knows. Returns how many.
pub async fn confirm_all(
    db: &impl ConnectionTrait,
    org: OrgId,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<u64> {
    Ok(org_contacts::Entity::update_many()
        .col_expr(
            org_contacts::Column::ConfirmedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .col_expr(
            org_contacts::Column::HardBounces,
            sea_orm::sea_query::Expr::value(0),
        )
        .col_expr(
            org_contacts::Column::Unreachable,
            sea_orm::sea_query::Expr::value(false),
        )
        .filter(org_contacts::Column::OrganisationId.eq(org.0))
        .filter(org_contacts::Column::Active.eq(true))
        .exec(db)
        .await
        .context("cannot confirm the contacts")?
        .rows_affected)
}

/// The owner of address `id` (of `org`) confirmed it from the address: it works (its bounces are
/// forgotten) and, if it was not yet, it is verified. Returns the address as it is now.
pub async fn confirm_one(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: i64,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<Option<Contact>> {
    let Some(m) = org_contacts::Entity::find_by_id(id)
        .filter(org_contacts::Column::OrganisationId.eq(org.0))
        .one(db)
        .await
        .context("cannot read the contact")?
    else {
        return Ok(None);
    };
    let mut a: org_contacts::ActiveModel = m.clone().into();
    a.confirmed_at = Set(Some(now));
    a.hard_bounces = Set(0);
    a.unreachable = Set(false);
    if m.verified_by.is_none() {
        a.verified_by = Set(Some(super::Verified::Address.as_str().to_owned()));
        a.verified_at = Set(Some(now));
    }
    Ok(Some(to_domain(
        a.update(db).await.context("cannot confirm the contact")?,
    )?))
}

/// Marks the not yet verified addresses of `org` at or under `domain` verified by domain
/// (a hub administrator registered it); returns how many.
pub async fn verify_by_domain(
    db: &impl ConnectionTrait,
    org: OrgId,
    domain: &crate::domain::MailDomain,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<u64> {
    let mut n = 0;
    for m in org_contacts::Entity::find()
        .filter(org_contacts::Column::OrganisationId.eq(org.0))
        .filter(org_contacts::Column::VerifiedBy.is_null())
        .all(db)
        .await
        .context("cannot read contacts")?
    {
        let at = m.email.rsplit_once('@').map_or("", |(_, d)| d);
        if !domain.covers(at) {
            continue;
        }
        let mut a: org_contacts::ActiveModel = m.into();
        a.verified_by = Set(Some(super::Verified::Domain.as_str().to_owned()));
        a.verified_at = Set(Some(now));
        a.update(db).await.context("cannot verify the contact")?;
        n += 1;
    }
    Ok(n)
}

/// The addresses of `org` verified only by `domain` (removed from the organisation) go back to
/// unverified; returns how many.
pub async fn unverify_domain(
    db: &impl ConnectionTrait,
    org: OrgId,
    domain: &crate::domain::MailDomain,
) -> anyhow::Result<u64> {
    let mut n = 0;
    for m in org_contacts::Entity::find()
        .filter(org_contacts::Column::OrganisationId.eq(org.0))
        .filter(org_contacts::Column::VerifiedBy.eq(super::Verified::Domain.as_str()))
        .all(db)
        .await
        .context("cannot read contacts")?
    {
        let at = m.email.rsplit_once('@').map_or("", |(_, d)| d);
        if !domain.covers(at) {
            continue;
        }
        let mut a: org_contacts::ActiveModel = m.into();
        a.verified_by = Set(None);
        a.verified_at = Set(None);
        a.update(db).await.context("cannot update the contact")?;
        n += 1;
    }
    Ok(n)
}

pub enum InsertError {
    Duplicate,
    Unexpected(anyhow::Error),
}

/// Writes a new active address; `verified` says why it may receive restricted mail, if it may.
pub async fn insert(
    db: &impl ConnectionTrait,
    org: OrgId,
    email: &EmailAddress,
    kind: ContactKind,
    language: Language,
    encoding: MailEncoding,
    verified: Option<super::Verified>,
) -> Result<Contact, InsertError> {
    let now = Utc::now();
    let row = org_contacts::ActiveModel {
        verified_by: Set(verified.map(|v| v.as_str().to_owned())),
        verified_at: Set(verified.map(|_| now)),
        organisation_id: Set(org),
        email: Set(email.as_str().to_owned()),
        kind: Set(kind.as_str().to_owned()),
        language: Set(language.as_str().to_owned()),
        encoding: Set(encoding.as_str().to_owned()),
        active: Set(true),
        created_at: Set(now),
        ..Default::default()
    };
    match row.insert(db).await {
        Ok(m) => to_domain(m).map_err(InsertError::Unexpected),
        Err(e) if is_unique_violation(&e) => Err(InsertError::Duplicate),
        Err(e) => Err(InsertError::Unexpected(
            anyhow::Error::new(e).context("cannot write the contact"),
        )),
    }
}

pub async fn list_for_org(db: &impl ConnectionTrait, org: OrgId) -> anyhow::Result<Vec<Contact>> {
    org_contacts::Entity::find()
        .filter(org_contacts::Column::OrganisationId.eq(org.0))
        .order_by_asc(org_contacts::Column::Id)
        .all(db)
        .await
        .context("cannot read contacts")?
        .into_iter()
        .map(to_domain)
        .collect()
}

/// Contacts by id, active or not (the drill report names every address a drill went to).
pub async fn by_ids(db: &impl ConnectionTrait, ids: &[i64]) -> anyhow::Result<Vec<Contact>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        for m in org_contacts::Entity::find()
            .filter(org_contacts::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await
            .context("cannot read contacts")?
        {
            out.push(to_domain(m)?);
        }
    }
    Ok(out)
}

/// The active, verified contacts with this address (any case), in any organisation: whom a
/// mail from it may speak for.
pub async fn verified_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> anyhow::Result<Vec<Contact>> {
    Ok(active_by_email(db, email)
        .await?
        .into_iter()
        .filter(|c| c.verified.is_some())
        .collect())
}

/// Every active contact with this address (any case), verified or not, in id order: whom a
/// bounce to the address counts against.
pub async fn active_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> anyhow::Result<Vec<Contact>> {
    use sea_orm::sea_query::{Expr, ExprTrait, Func};
    let lower = email.trim().to_ascii_lowercase();
    let mut out = Vec::new();
    for m in org_contacts::Entity::find()
        .filter(Func::lower(Expr::col(org_contacts::Column::Email)).eq(lower))
        .filter(org_contacts::Column::Active.eq(true))
        .order_by_asc(org_contacts::Column::Id)
        .all(db)
        .await
        .context("cannot read contacts")?
    {
        out.push(to_domain(m)?);
    }
    Ok(out)
}

/// Active contacts of these organisations, in organisation then contact order.
pub async fn active_for(db: &impl ConnectionTrait, orgs: &[OrgId]) -> anyhow::Result<Vec<Contact>> {
    let mut out = Vec::new();
    let ids: Vec<i64> = orgs.iter().map(|o| o.0).collect();
    for chunk in ids.chunks(500) {
        for m in org_contacts::Entity::find()
            .filter(org_contacts::Column::OrganisationId.is_in(chunk.iter().copied()))
            .filter(org_contacts::Column::Active.eq(true))
            .order_by_asc(org_contacts::Column::OrganisationId)
            .order_by_asc(org_contacts::Column::Id)
            .all(db)
            .await
            .context("cannot read contacts")?
        {
            out.push(to_domain(m)?);
        }
    }
    Ok(out)
}

/// The active addresses of these organisations that may receive mail marked `tlp`
/// ([`Contact::may_receive`]): anything above TLP:CLEAR only to verified addresses.
pub async fn receiving(
    db: &impl ConnectionTrait,
    orgs: &[OrgId],
    tlp: crate::domain::Tlp,
) -> anyhow::Result<Vec<Contact>> {
    Ok(active_for(db, orgs)
        .await?
        .into_iter()
        .filter(|c| c.may_receive(tlp))
        .collect())
}

pub async fn set_active(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: i64,
    active: bool,
) -> anyhow::Result<bool> {
    let res = org_contacts::Entity::update_many()
        .col_expr(
            org_contacts::Column::Active,
            sea_orm::sea_query::Expr::value(active),
        )
        .filter(org_contacts::Column::Id.eq(id))
        .filter(org_contacts::Column::OrganisationId.eq(org.0))
        .exec(db)
        .await
        .context("cannot update the contact")?;
    Ok(res.rows_affected > 0)
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> anyhow::Result<Option<Contact>> {
    org_contacts::Entity::find_by_id(id)
        .one(db)
        .await
        .context("cannot read contacts")?
        .map(to_domain)
        .transpose()
}

/// How many active contacts each organisation has, by organisation id.
pub async fn active_count_by_org(
    db: &impl ConnectionTrait,
) -> anyhow::Result<std::collections::HashMap<OrgId, i64>> {
    use sea_orm::QuerySelect;
    let rows: Vec<(OrgId, i64)> = org_contacts::Entity::find()
        .select_only()
        .column(org_contacts::Column::OrganisationId)
        .column_as(org_contacts::Column::Id.count(), "n")
        .filter(org_contacts::Column::Active.eq(true))
        .group_by(org_contacts::Column::OrganisationId)
        .into_tuple()
        .all(db)
        .await
        .context("cannot count contacts")?;
    Ok(rows.into_iter().collect())
}
