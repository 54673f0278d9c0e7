//! The hub administrators keep each organisation's mail domains (`registry::domains` stores
//! them): registering one verifies the organisation's addresses at it; removing one takes that
//! verification back. Both audited. Nobody but a hub administrator (or an operator at the
//! command line) decides what an organisation's own domain is.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};

use super::store;
use crate::audit::{self, Actor};
use crate::db::begin_write;
use crate::domain::MailDomain;
use crate::registry::Organisation;
use crate::registry::domains::{self, HeldDomain, InsertError};

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("{0}")]
    Invalid(String),
    #[error("{domain} は既に {holder} のドメインとして登録されています")]
    Taken { domain: String, holder: String },
    #[error("no such domain")]
    NotFound,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl crate::error::Classify for DomainError {
    fn classify(self) -> crate::error::Failure {
        use crate::error::Failure;
        match self {
            Self::Invalid(m) => Failure::Invalid(m),
            e @ Self::Taken { .. } => Failure::Conflict(e.to_string()),
            Self::NotFound => Failure::NotFound("no such domain".into()),
            Self::Unexpected(e) => Failure::Unexpected(e),
        }
    }
}

/// Registers `domain` for `org`; the organisation's addresses at it are verified. Returns the
/// domain and how many addresses it verified.
pub async fn add<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    org: &Organisation,
    domain: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(HeldDomain, u64), DomainError> {
    let domain = MailDomain::parse(domain).map_err(DomainError::Invalid)?;
    let txn = begin_write(db).await.map_err(anyhow::Error::new)?;
    let held = match domains::insert(&txn, org.id, &domain, &actor.to_string(), now).await {
        Ok(h) => h,
        Err(InsertError::Taken(holder)) => {
            let holder = crate::registry::store::find_by_id(&txn, holder)
                .await?
                .map_or_else(|| holder.to_string(), |o| o.full_name());
            return Err(DomainError::Taken {
                domain: domain.to_string(),
                holder,
            });
        }
        Err(InsertError::Unexpected(e)) => return Err(e.into()),
    };
    let verified = store::verify_by_domain(&txn, org.id, &domain, now).await?;
    audit::record(
        &txn,
        actor,
        "organisation.domain_add",
        &format!("organisation:{}", org.code),
        serde_json::json!({ "domain": domain.as_str(), "contacts_verified": verified }),
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::new)?;
    Ok((held, verified))
}

/// Removes a domain of `org`; the addresses verified only by it are verified no more.
pub async fn remove<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    org: &Organisation,
    id: i64,
    actor: &Actor,
) -> Result<HeldDomain, DomainError> {
    let txn = begin_write(db).await.map_err(anyhow::Error::new)?;
    let held = domains::delete(&txn, org.id, id)
        .await?
        .ok_or(DomainError::NotFound)?;
    let unverified = store::unverify_domain(&txn, org.id, &held.domain).await?;
    audit::record(
        &txn,
        actor,
        "organisation.domain_remove",
        &format!("organisation:{}", org.code),
        serde_json::json!({ "domain": held.domain.as_str(), "contacts_unverified": unverified }),
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::new)?;
    Ok(held)
}
