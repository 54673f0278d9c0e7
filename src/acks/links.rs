//! Acknowledgement links in mail: one per alert × organisation. A link's token is
//! `<id>.<HMAC-SHA256(key, id, alert, organisation, nonce)>`: the nonce is random and stored, the
//! key lives outside the database (a file), and only the token's SHA-256 is stored — so neither
//! the database nor the key alone makes a working link. Links expire 30 days after the latest
//! revision that carried them. Opening a link (GET) changes nothing; only the confirmation
//! button (POST) records a state, so a mail scanner that follows links records nothing.

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
        if !path.exists() {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            let mut key = [0u8; 32];
            rand::thread_rng().fill_bytes(&mut key);
            write_private(path, hex::encode(key).as_bytes())
                .with_context(|| format!("cannot write the link key {}", path.display()))?;
            tracing::info!(path = %path.display(), "created a new key for acknowledgement links");
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the link key {}", path.display()))?;
        let bytes = hex::decode(text.trim())
            .ok()
            .filter(|b| b.len() >= 32)
            .with_context(|| {
                format!(
                    "{} must hold at least 32 bytes as hex (64 characters)",
                    path.display()
                )
            })?;
        Ok(Self::from_bytes(&bytes))
    }

    fn token(&self, link: &ack_links::Model) -> String {
        let message = format!(
            "noroshi-ack-link|{}|{}|{}|{}",
            link.id, link.alert_id, link.organisation_id, link.nonce
        );
        let tag = hmac::sign(&self.0, message.as_bytes());
        format!("{}.{}", link.id, URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The link token of `alert_id` × `org_id`, made on first use and kept valid until
/// [`VALID_DAYS`] after `published_at` (the revision being sent).
pub async fn token_for(
    db: &impl ConnectionTrait,
    key: &LinkKey,
    alert_id: i64,
    org_id: i64,
    published_at: DateTime<Utc>,
) -> anyhow::Result<String> {
    let expires = published_at + Duration::days(VALID_DAYS);
    let existing = find(db, alert_id, org_id).await?;
    let link = match existing {
        Some(link) => link,
        None => {
            let mut nonce = [0u8; 24];
            rand::thread_rng().fill_bytes(&mut nonce);
            // The hash needs the id; a placeholder keeps the unique column unique until then.
            let placeholder = format!("pending-{}", hex::encode(nonce));
            // Two lanes may compose for the same organisation at once: one insert wins, and
            // both then derive the same token from the same row.
            ack_links::Entity::insert(ack_links::ActiveModel {
                alert_id: Set(alert_id),
                organisation_id: Set(org_id),
                nonce: Set(URL_SAFE_NO_PAD.encode(nonce)),
                token_hash: Set(placeholder),
                created_at: Set(Utc::now()),
                expires_at: Set(expires),
                last_used_at: Set(None),
                ..Default::default()
            })
            .on_conflict_do_nothing_on([
                ack_links::Column::AlertId,
                ack_links::Column::OrganisationId,
            ])
            .exec_without_returning(db)
            .await
            .context("cannot write the acknowledgement link")?;
            let link = find(db, alert_id, org_id)
                .await?
                .context("the acknowledgement link vanished")?;
            if link.token_hash.starts_with("pending-") {
                let hash = token_hash(&key.token(&link));
                ack_links::Entity::update_many()
                    .col_expr(
                        ack_links::Column::TokenHash,
                        sea_orm::sea_query::Expr::value(hash.clone()),
                    )
                    .filter(ack_links::Column::Id.eq(link.id))
                    .exec(db)
                    .await
                    .context("cannot write the acknowledgement link")?;
                ack_links::Model {
                    token_hash: hash,
                    ..link
                }
            } else {
                link
            }
        }
    };
    if link.expires_at < expires {
        ack_links::Entity::update_many()
            .col_expr(
                ack_links::Column::ExpiresAt,
                sea_orm::sea_query::Expr::value(expires),
            )
            .filter(ack_links::Column::Id.eq(link.id))
            .exec(db)
            .await
            .context("cannot extend the acknowledgement link")?;
    }
    Ok(key.token(&link))
}

async fn find(
    db: &impl ConnectionTrait,
    alert_id: i64,
    org_id: i64,
) -> anyhow::Result<Option<ack_links::Model>> {
    ack_links::Entity::find()
        .filter(ack_links::Column::AlertId.eq(alert_id))
        .filter(ack_links::Column::OrganisationId.eq(org_id))
        .one(db)
        .await
        .context("cannot read acknowledgement links")
}

/// What a presented token opens.
#[derive(Debug)]
pub enum Lookup {
    Valid(ack_links::Model),
    Expired(ack_links::Model),
    Unknown,
}

/// The link a token stands for. Malformed and unknown tokens are the same: unknown.
pub async fn lookup(
    db: &impl ConnectionTrait,
    presented: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Lookup> {
    let well_formed = presented.len() <= 100
        && presented
            .split_once('.')
            .is_some_and(|(id, mac)| id.parse::<i64>().is_ok() && mac.len() == 43);
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
        Lookup::Expired(link)
    } else {
        Lookup::Valid(link)
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
        let link = ack_links::Model {
            id: 7,
            alert_id: 1,
            organisation_id: 2,
            nonce: "abc".into(),
            token_hash: String::new(),
            created_at: Utc::now(),
            expires_at: Utc::now(),
            last_used_at: None,
        };
        let a = LinkKey::from_bytes(&[1; 32]);
        let b = LinkKey::from_bytes(&[2; 32]);
        let t = a.token(&link);
        assert!(t.starts_with("7.") && t.len() == 2 + 43, "{t}");
        assert_ne!(t, b.token(&link));
        for other in [
            ack_links::Model {
                organisation_id: 3,
                ..link.clone()
            },
            ack_links::Model {
                alert_id: 9,
                ..link.clone()
            },
            ack_links::Model {
                nonce: "abd".into(),
                ..link.clone()
            },
        ] {
            assert_ne!(t, a.token(&other));
        }
    }
}
