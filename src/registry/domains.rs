//! The mail domains each organisation holds (`organisation_domains`), kept by the hub
//! administrators (the audited action is `contacts::domains`). An address at one of them, or
//! under one, belongs to that organisation: this, not a contact's address, decides who is an
//! organisation's own (a メールマガジン reader it may vouch for, a contact that needs no
//! confirmation).

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::OrgId;
use crate::db::entities::organisation_domains;
use crate::domain::{EmailAddress, MailDomain};

/// A domain and the organisation holding it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldDomain {
    pub id: i64,
    pub org_id: OrgId,
    pub domain: MailDomain,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

fn to_held(m: organisation_domains::Model) -> anyhow::Result<HeldDomain> {
    Ok(HeldDomain {
        id: m.id,
        org_id: m.organisation_id,
        domain: MailDomain::parse(&m.domain)
            .map_err(|e| anyhow::anyhow!("stored domain {}: {e}", m.id))?,
        created_by: m.created_by,
        created_at: m.created_at,
    })
}

/// The domains of `org`, in order.
pub async fn of(db: &impl ConnectionTrait, org: OrgId) -> anyhow::Result<Vec<HeldDomain>> {
    organisation_domains::Entity::find()
        .filter(organisation_domains::Column::OrganisationId.eq(org))
        .order_by_asc(organisation_domains::Column::Domain)
        .all(db)
        .await
        .context("cannot read the organisation's domains")?
        .into_iter()
        .map(to_held)
        .collect()
}

/// Every registered domain, in domain order.
pub async fn all(db: &impl ConnectionTrait) -> anyhow::Result<Vec<HeldDomain>> {
    organisation_domains::Entity::find()
        .order_by_asc(organisation_domains::Column::Domain)
        .all(db)
        .await
        .context("cannot read the registered domains")?
        .into_iter()
        .map(to_held)
        .collect()
}

/// The organisation an address belongs to by its domain: the holder of the longest registered
/// domain the address is at or under.
pub async fn owner_of(
    db: &impl ConnectionTrait,
    email: &EmailAddress,
) -> anyhow::Result<Option<OrgId>> {
    let domain = email.domain().to_ascii_lowercase();
    // The address's domain and every parent of it with two labels or more.
    let mut candidates = Vec::new();
    let mut rest = domain.as_str();
    while rest.contains('.') {
        candidates.push(rest.to_owned());
        rest = rest.split_once('.').map_or("", |(_, r)| r);
    }
    if candidates.is_empty() {
        return Ok(None);
    }
    Ok(organisation_domains::Entity::find()
        .filter(organisation_domains::Column::Domain.is_in(candidates))
        .all(db)
        .await
        .context("cannot read the registered domains")?
        .into_iter()
        .max_by_key(|m| m.domain.len())
        .map(|m| m.organisation_id))
}

/// Whether `email` is at a domain `org` holds.
pub async fn holds(
    db: &impl ConnectionTrait,
    org: OrgId,
    email: &EmailAddress,
) -> anyhow::Result<bool> {
    Ok(owner_of(db, email).await? == Some(org))
}

pub enum InsertError {
    /// Another organisation (or this one) holds it already.
    Taken(OrgId),
    Unexpected(anyhow::Error),
}

/// Registers `domain` for `org`.
pub async fn insert(
    db: &impl ConnectionTrait,
    org: OrgId,
    domain: &MailDomain,
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<HeldDomain, InsertError> {
    if let Some(m) = organisation_domains::Entity::find()
        .filter(organisation_domains::Column::Domain.eq(domain.as_str()))
        .one(db)
        .await
        .map_err(|e| InsertError::Unexpected(e.into()))?
    {
        return Err(InsertError::Taken(m.organisation_id));
    }
    organisation_domains::ActiveModel {
        organisation_id: Set(org),
        domain: Set(domain.as_str().to_owned()),
        created_by: Set(created_by.chars().take(300).collect()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| InsertError::Unexpected(anyhow::Error::new(e).context("cannot write the domain")))
    .and_then(|m| to_held(m).map_err(InsertError::Unexpected))
}

/// Removes a domain of `org`; false when `org` holds no such domain.
pub async fn delete(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: i64,
) -> anyhow::Result<Option<HeldDomain>> {
    let Some(m) = organisation_domains::Entity::find_by_id(id)
        .filter(organisation_domains::Column::OrganisationId.eq(org))
        .one(db)
        .await
        .context("cannot read the domain")?
    else {
        return Ok(None);
    };
    let held = to_held(m)?;
    organisation_domains::Entity::delete_by_id(id)
        .exec(db)
        .await
        .context("cannot remove the domain")?;
    Ok(Some(held))
}
