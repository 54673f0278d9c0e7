//! API and feed tokens. A token belongs to one organisation and carries scopes; it is shown once
//! when created and only its SHA-256 is stored. Revoked or expired tokens authenticate nothing.

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set, TransactionSession, TransactionTrait,
};

use super::session::{random_token, token_hash};
use crate::audit::{self, Actor};
use crate::db::begin_write;
use crate::db::entities::api_tokens;
use crate::registry::OrgId;

/// Every token starts with this, so a leaked one is recognisable (and greppable).
pub use crate::keys::TOKEN_PREFIX;
/// At most this many live tokens per organisation.
pub const MAX_LIVE_TOKENS: u64 = 20;
/// Longest lifetime a token may be given.
pub const MAX_DAYS: i64 = 730;
/// `last_used_at` is written at most this often per token, so a busy feed reader costs no writes.
const TOUCH_EVERY_SECS: i64 = 300;

crate::string_enum! {
    pub enum Scope ("token scope") {
        /// Feeds and read-only API calls.
        Read = "read",
        /// Setting acknowledgement states.
        Acknowledge = "acknowledge",
        /// Incident reports.
        Report = "report",
    }
}

pub const ALL_SCOPES: [Scope; 3] = [Scope::Read, Scope::Acknowledge, Scope::Report];

impl Scope {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Read => "閲覧（フィード・API）",
            Self::Acknowledge => "受領・対応状況の登録",
            Self::Report => "事故等報告",
        }
    }

    pub fn parse(s: &str) -> Result<Self, TokenError> {
        Self::from_code(s.trim()).ok_or_else(|| TokenError::UnknownScope(s.to_owned()))
    }
}

/// A token as listed in settings (never the token itself).
#[derive(Clone, Debug)]
pub struct ApiToken {
    pub id: i64,
    pub org_id: OrgId,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<Scope>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiToken {
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }

    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("give the token a name (1 to 100 characters, no control characters)")]
    BadName,
    #[error("`{0}` is not a scope: expected read, acknowledge or report")]
    UnknownScope(String),
    #[error("choose at least one scope")]
    NoScope,
    #[error("a token lives between 1 and {MAX_DAYS} days")]
    BadLifetime,
    #[error("this organisation already has {MAX_LIVE_TOKENS} live tokens: revoke one first")]
    TooMany,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl crate::error::Classify for TokenError {
    fn classify(self) -> crate::error::Failure {
        use crate::error::Failure;
        match self {
            e @ Self::TooMany => Failure::Conflict(e.to_string()),
            e @ (Self::BadName | Self::UnknownScope(_) | Self::NoScope | Self::BadLifetime) => {
                Failure::Invalid(e.to_string())
            }
            Self::Unexpected(e) => Failure::Unexpected(e),
        }
    }
}

fn to_domain(m: api_tokens::Model) -> ApiToken {
    ApiToken {
        id: m.id,
        org_id: m.organisation_id,
        name: m.name,
        prefix: m.prefix,
        scopes: m
            .scopes
            .split(',')
            .filter_map(|s| Scope::parse(s).ok())
            .collect(),
        created_by: m.created_by,
        created_at: m.created_at,
        expires_at: m.expires_at,
        last_used_at: m.last_used_at,
        revoked_at: m.revoked_at,
    }
}

/// What creating a token asks for.
pub struct NewToken {
    pub org: OrgId,
    pub name: String,
    pub scopes: Vec<Scope>,
    /// None: no expiry.
    pub days: Option<i64>,
}

/// Creates a token; returns it in clear exactly once, with its stored form.
pub async fn create<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    new: NewToken,
    actor: &Actor,
) -> Result<(String, ApiToken), TokenError> {
    let name = new.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(TokenError::BadName);
    }
    let mut scopes = new.scopes;
    scopes.sort_by_key(|s| s.as_str());
    scopes.dedup();
    if scopes.is_empty() {
        return Err(TokenError::NoScope);
    }
    if new.days.is_some_and(|d| !(1..=MAX_DAYS).contains(&d)) {
        return Err(TokenError::BadLifetime);
    }
    let now = Utc::now();
    let txn = begin_write(db).await.map_err(anyhow::Error::new)?;
    if count_live(&txn, new.org, now).await? >= MAX_LIVE_TOKENS {
        return Err(TokenError::TooMany);
    }
    let token = format!("{TOKEN_PREFIX}{}", random_token());
    let row = api_tokens::ActiveModel {
        organisation_id: Set(new.org),
        name: Set(name),
        prefix: Set(token.chars().take(12).collect()),
        token_hash: Set(token_hash(&token)),
        scopes: Set(scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")),
        created_by: Set(actor.to_string()),
        created_at: Set(now),
        expires_at: Set(new.days.map(|d| now + Duration::days(d))),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .context("cannot store the token")?;
    let stored = to_domain(row);
    audit::record(
        &txn,
        actor,
        "token.create",
        &format!("api_token:{}", stored.id),
        serde_json::json!({
            "organisation_id": new.org,
            "name": stored.name,
            "prefix": stored.prefix,
            "scopes": stored.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            "expires_at": stored.expires_at,
        }),
    )
    .await?;
    txn.commit().await.context("cannot store the token")?;
    Ok((token, stored))
}

async fn count_live(
    db: &impl ConnectionTrait,
    org: OrgId,
    now: DateTime<Utc>,
) -> anyhow::Result<u64> {
    api_tokens::Entity::find()
        .filter(api_tokens::Column::OrganisationId.eq(org))
        .filter(api_tokens::Column::RevokedAt.is_null())
        .filter(
            sea_orm::Condition::any()
                .add(api_tokens::Column::ExpiresAt.is_null())
                .add(api_tokens::Column::ExpiresAt.gt(now)),
        )
        .count(db)
        .await
        .context("cannot count the tokens")
}

/// An organisation's tokens, newest first, revoked ones included.
pub async fn list_for_org(db: &impl ConnectionTrait, org: OrgId) -> anyhow::Result<Vec<ApiToken>> {
    Ok(api_tokens::Entity::find()
        .filter(api_tokens::Column::OrganisationId.eq(org))
        .order_by_desc(api_tokens::Column::Id)
        .all(db)
        .await
        .context("cannot list the tokens")?
        .into_iter()
        .map(to_domain)
        .collect())
}

/// Revokes one of `org`'s tokens. False if it has no such live token.
pub async fn revoke<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    org: OrgId,
    id: i64,
    actor: &Actor,
) -> anyhow::Result<bool> {
    let txn = begin_write(db).await?;
    let Some(row) = api_tokens::Entity::find_by_id(id)
        .filter(api_tokens::Column::OrganisationId.eq(org))
        .filter(api_tokens::Column::RevokedAt.is_null())
        .one(&txn)
        .await
        .context("cannot read the token")?
    else {
        return Ok(false);
    };
    let prefix = row.prefix.clone();
    let mut active: api_tokens::ActiveModel = row.into();
    active.revoked_at = Set(Some(Utc::now()));
    active.update(&txn).await.context("cannot revoke")?;
    audit::record(
        &txn,
        actor,
        "token.revoke",
        &format!("api_token:{id}"),
        serde_json::json!({ "organisation_id": org, "prefix": prefix }),
    )
    .await?;
    txn.commit().await.context("cannot revoke")?;
    Ok(true)
}

/// The live token a presented secret stands for, if any.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    presented: &str,
) -> anyhow::Result<Option<ApiToken>> {
    if !presented.starts_with(TOKEN_PREFIX) || presented.len() > 128 {
        return Ok(None);
    }
    let now = Utc::now();
    let Some(row) = api_tokens::Entity::find()
        .filter(api_tokens::Column::TokenHash.eq(token_hash(presented)))
        .one(db)
        .await
        .context("cannot read the token")?
    else {
        return Ok(None);
    };
    let token = to_domain(row);
    if !token.is_live(now) {
        return Ok(None);
    }
    if token
        .last_used_at
        .is_none_or(|t| now - t > Duration::seconds(TOUCH_EVERY_SECS))
    {
        api_tokens::Entity::update_many()
            .col_expr(
                api_tokens::Column::LastUsedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(api_tokens::Column::Id.eq(token.id))
            .exec(db)
            .await
            .context("cannot note the token's use")?;
    }
    Ok(Some(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_exactly() {
        assert_eq!(Scope::parse("read").unwrap(), Scope::Read);
        assert_eq!(Scope::parse(" acknowledge ").unwrap(), Scope::Acknowledge);
        assert!(Scope::parse("admin").is_err());
        assert!(Scope::parse("").is_err());
    }

    #[test]
    fn a_token_is_live_until_revoked_or_expired() {
        let now = Utc::now();
        let mut t = ApiToken {
            id: 1,
            org_id: OrgId(1),
            name: "x".into(),
            prefix: "nrs_abcdefgh".into(),
            scopes: vec![Scope::Read],
            created_by: "system".into(),
            created_at: now,
            expires_at: None,
            last_used_at: None,
            revoked_at: None,
        };
        assert!(t.is_live(now));
        assert!(t.allows(Scope::Read) && !t.allows(Scope::Acknowledge));
        t.expires_at = Some(now - Duration::seconds(1));
        assert!(!t.is_live(now));
        t.expires_at = None;
        t.revoked_at = Some(now);
        assert!(!t.is_live(now));
    }
}
