//! Acknowledgement links in mail: one per alert × organisation. A link's token is
//! `HMAC-SHA256(key, alert, organisation, nonce)`: the nonce is random and stored, the
//! key lives outside the database (a file), and only the token's SHA-256 is stored — so neither
//! the database nor the key alone makes a working link. Links expire 30 days after the latest
//! revision that carried them. Opening a link (GET) changes nothing; only the confirmation
//! button (POST) records a state, so a mail scanner that follows links records nothing.

use crate::domain::ids::{AlertId, OrgId};
use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use ring::hmac;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::db::entities::ack_links;

/// How long a link works after the revision that carried it was published.
pub const VALID_DAYS: i64 = 30;

/// The key links are derived with.
#[derive(Clone)]
pub struct LinkKey(hmac::Key);

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKey(…)")
    }
}

impl LinkKey {
    pub fn from_bytes(bytes: &[u8]) -> Self {
        Self(hmac::Key::new(hmac::HMAC_SHA256, bytes))
    }

    /// Reads the key file (64 hex characters), creating it with a random key (mode 0600) when
    /// it does not exist. Every hub process that sends mail must use the same file.
    pub fn load_or_create(path: &Path) -> anyhow::Result<Self> {
        Ok(Self::from_bytes(&crate::keys::load_or_create(
            path,
            "acknowledgement links",
        )?))
    }

    /// The token of the link of `alert_id` × `org_id` with `nonce`: 43 URL-safe characters.
    fn token(&self, alert_id: AlertId, org_id: OrgId, nonce: &str) -> String {
        let message = format!("noroshi-ack-link|{alert_id}|{org_id}|{nonce}");
        URL_SAFE_NO_PAD.encode(hmac::sign(&self.0, message.as_bytes()).as_ref())
    }
}

fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The link tokens of every organisation `alert_id` is addressed to, made on first use (in
/// bulk) and kept valid until [`VALID_DAYS`] after `published_at` (the revision being sent).
/// Lanes composing at once may both get here: inserts that lose the race are dropped, and every
/// token is derived from the nonce the database kept.
pub async fn tokens_for_alert(
    db: &impl ConnectionTrait,
    key: &LinkKey,
    alert_id: AlertId,
    published_at: DateTime<Utc>,
) -> anyhow::Result<HashMap<OrgId, String>> {
    let expires = published_at + Duration::days(VALID_DAYS);
    let audience: Vec<OrgId> = crate::alerts::store::audience(db, alert_id)
        .await?
        .into_iter()
        .map(|a| a.organisation_id)
        .collect();
    let existing = links_of(db, alert_id).await?;
    let missing: Vec<OrgId> = audience
        .iter()
        .copied()
        .filter(|org| !existing.iter().any(|l| l.organisation_id == *org))
        .collect();
    let now = Utc::now();
    for chunk in missing.chunks(500) {
        let rows = chunk.iter().map(|org| {
            let mut nonce = [0u8; 24];
            rand::thread_rng().fill_bytes(&mut nonce);
            let nonce = URL_SAFE_NO_PAD.encode(nonce);
            ack_links::ActiveModel {
                alert_id: Set(alert_id),
                organisation_id: Set(*org),
                token_hash: Set(token_hash(&key.token(alert_id, *org, &nonce))),
                nonce: Set(nonce),
                created_at: Set(now),
                expires_at: Set(expires),
                last_used_at: Set(None),
                ..Default::default()
            }
        });
        ack_links::Entity::insert_many(rows)
            .on_conflict_do_nothing_on([
                ack_links::Column::AlertId,
                ack_links::Column::OrganisationId,
            ])
            .exec_without_returning(db)
            .await
            .context("cannot write acknowledgement links")?;
    }
    ack_links::Entity::update_many()
        .col_expr(
            ack_links::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(expires),
        )
        .filter(ack_links::Column::AlertId.eq(alert_id))
        .filter(ack_links::Column::ExpiresAt.lt(expires))
        .exec(db)
        .await
        .context("cannot extend acknowledgement links")?;
    let links = if missing.is_empty() {
        existing
    } else {
        links_of(db, alert_id).await?
    };
    Ok(links
        .into_iter()
        .map(|l| {
            let token = key.token(l.alert_id, l.organisation_id, &l.nonce);
            (l.organisation_id, token)
        })
        .collect())
}

async fn links_of(
    db: &impl ConnectionTrait,
    alert_id: AlertId,
) -> anyhow::Result<Vec<ack_links::Model>> {
    ack_links::Entity::find()
        .filter(ack_links::Column::AlertId.eq(alert_id))
        .all(db)
        .await
        .context("cannot read acknowledgement links")
}

/// A valid link: whose and for which alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AckLink {
    pub id: i64,
    pub alert: crate::alerts::AlertId,
    pub organisation: crate::registry::OrgId,
}

/// What a presented token opens.
#[derive(Debug)]
pub enum Lookup {
    Valid(AckLink),
    Expired,
    Unknown,
}

/// The link a token stands for. Malformed and unknown tokens are the same: unknown.
pub async fn lookup(
    db: &impl ConnectionTrait,
    presented: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Lookup> {
    let well_formed = presented.len() == 43
        && presented
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return Ok(Lookup::Unknown);
    }
    let Some(link) = ack_links::Entity::find()
        .filter(ack_links::Column::TokenHash.eq(token_hash(presented)))
        .one(db)
        .await
        .context("cannot read acknowledgement links")?
    else {
        return Ok(Lookup::Unknown);
    };
    Ok(if link.expires_at <= now {
        Lookup::Expired
    } else {
        Lookup::Valid(AckLink {
            id: link.id,
            alert: link.alert_id,
            organisation: link.organisation_id,
        })
    })
}

/// Notes that the link was used.
pub async fn touch(
    db: &impl ConnectionTrait,
    link_id: i64,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let row = ack_links::ActiveModel {
        id: Set(link_id),
        last_used_at: Set(Some(now)),
        ..Default::default()
    };
    row.update(db).await.context("cannot note the link's use")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_depend_on_the_key_and_every_field() {
        let a = LinkKey::from_bytes(&[1; 32]);
        let b = LinkKey::from_bytes(&[2; 32]);
        let t = a.token(AlertId(1), OrgId(2), "abc");
        assert_eq!(t.len(), 43, "{t}");
        assert_ne!(t, b.token(AlertId(1), OrgId(2), "abc"));
        assert_ne!(t, a.token(AlertId(1), OrgId(3), "abc"));
        assert_ne!(t, a.token(AlertId(9), OrgId(2), "abc"));
        assert_ne!(t, a.token(AlertId(1), OrgId(2), "abd"));
        assert_eq!(t, a.token(AlertId(1), OrgId(2), "abc"));
    }
}
