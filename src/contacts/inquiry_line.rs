//! An organisation's own 問合せ先 — the line its alerts, drills and surveys carry, and its
//! answers to 照会 sign with, instead of the centre's. Set by its administrator (registry
//! stores it), audited; at most 300 characters on one line.

use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};

use crate::audit::{self, Actor};
use crate::db::begin_write;
use crate::registry::Organisation;

pub const LINE_MAX: usize = 300;

/// Checks and sets `org`'s 問合せ先 (an empty one clears it: the centre's is used). `Err` is
/// the reader's message.
pub async fn set<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    org: &Organisation,
    line: &str,
    actor: &Actor,
) -> anyhow::Result<Result<(), String>> {
    let line = line.trim();
    let n = line.chars().count();
    if n > LINE_MAX {
        return Ok(Err(format!(
            "問合せ先は {n} 文字です。{LINE_MAX} 文字以内にしてください"
        )));
    }
    if line.chars().any(char::is_control) {
        return Ok(Err(
            "問合せ先は一行で、制御文字を含めずに入力してください".into()
        ));
    }
    let txn = begin_write(db).await?;
    crate::registry::store::set_inquiry_line(&txn, org.id, (!line.is_empty()).then_some(line))
        .await?;
    audit::record(
        &txn,
        actor,
        "organisation.inquiry_line",
        &format!("organisation:{}", org.code),
        serde_json::json!({ "line": line }),
    )
    .await?;
    txn.commit().await?;
    Ok(Ok(()))
}

/// The 問合せ先 an organisation's mail carries: its own, else its first contact that may
/// receive TLP:GREEN, else `fallback`.
pub async fn of(
    db: &impl ConnectionTrait,
    org: &Organisation,
    fallback: &str,
) -> anyhow::Result<String> {
    if let Some(l) = crate::registry::store::inquiry_line(db, org.id).await? {
        return Ok(l);
    }
    let first = super::store::receiving(db, &[org.id], crate::domain::Tlp::Green)
        .await?
        .into_iter()
        .next();
    Ok(match first {
        Some(c) => format!("{} {}", org.full_name(), c.email),
        None => fallback.to_owned(),
    })
}

/// Who signs the mail of an item `owner` sent (its alert, drill, survey, answer): the
/// organisation's full name and its 問合せ先 ([`of`], empty when it has neither a line nor an
/// address); `None` for the centre's items (`owner` empty or gone).
pub async fn signer(
    db: &impl ConnectionTrait,
    owner: Option<crate::registry::OrgId>,
) -> anyhow::Result<Option<(String, String)>> {
    let Some(owner) = owner else {
        return Ok(None);
    };
    let Some(org) = crate::registry::store::find_by_id(db, owner).await? else {
        return Ok(None);
    };
    let line = of(db, &org, "").await?;
    Ok(Some((org.full_name(), line)))
}
