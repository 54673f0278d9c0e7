//! 連絡先確認: organisations confirm that their addresses still work (each April, when staff
//! change). Central staff, or a prefecture for its municipalities, start a campaign: every
//! active address of the organisations in scope gets a request with a one-click link
//! (`/contacts/confirm/<token>`, valid 60 days, no session needed: the token is the
//! credential); opening it shows the addresses, the button confirms them. Organisation admins
//! can also confirm from their settings page. Confirming clears an address's bounce count.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};

use super::store;
use crate::audit::{self, Actor};
use crate::db::begin_write;
use crate::delivery::verp::Verp;
use crate::registry::{OrgId, Organisation};

/// Days a confirmation link works.
pub const VALID_DAYS: i64 = 60;

/// Days since 1970-01-01 of `t` (the day a token is issued on).
pub fn day_of(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(86_400)
}

/// Confirms every active address of `org`; audited. Returns how many.
pub async fn confirm<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    org: &Organisation,
    actor: &Actor,
    now: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let txn = begin_write(db).await?;
    let n = store::confirm_all(&txn, org.id, now).await?;
    audit::record(
        &txn,
        actor,
        "contact.confirm",
        &format!("organisation:{}", org.code),
        serde_json::json!({ "addresses": n }),
    )
    .await?;
    txn.commit().await?;
    Ok(n)
}

/// What a campaign queued.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Campaign {
    pub organisations: usize,
    pub mails: usize,
    /// Organisations in scope with no active address (nobody to ask).
    pub without_address: usize,
}

/// Queues one request per active address of `orgs`, each naming the organisation's addresses
/// and its one-click link; audited once.
pub async fn start_campaign<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    verp: &Verp,
    base_url: &url::Url,
    orgs: &[Organisation],
    actor: &Actor,
    now: DateTime<Utc>,
) -> anyhow::Result<Campaign> {
    let ids: Vec<OrgId> = orgs.iter().map(|o| o.id).collect();
    let contacts = store::active_for(db, &ids).await?;
    let mut by_org: std::collections::HashMap<i64, Vec<&super::Contact>> =
        std::collections::HashMap::new();
    for c in &contacts {
        by_org.entry(c.org_id.0).or_default().push(c);
    }
    let base = base_url.as_str().trim_end_matches('/');
    let day = day_of(now);
    let mut out = Campaign::default();
    let txn = begin_write(db).await?;
    for o in orgs {
        let Some(list) = by_org.get(&o.id.0) else {
            out.without_address += 1;
            continue;
        };
        out.organisations += 1;
        let link = format!(
            "{base}/contacts/confirm/{}",
            verp.confirm_token(o.id.0, day)
        );
        let addresses: String = list
            .iter()
            .map(|c| format!("  ・{}（{}）\n", c.email, c.kind.as_str()))
            .collect();
        let body = format!(
            "{name} ご担当者様\n\n\
             Noroshi（自治体CEPTOAR）から注意喚起を受け取る連絡先の確認をお願いします。\n\
             現在、貴団体の連絡先として次のアドレスが登録されています。\n\n{addresses}\n\
             正しければ、次のリンクを開き「確認しました」を押してください（{VALID_DAYS} 日間有効。開くだけでは何も記録されません）:\n{link}\n\n\
             変更がある場合は、団体の管理者が Noroshi ポータルの「設定」で更新してください: {base}/settings\n\
             リンクが無効化されている場合も、ポータルの「設定」から確認できます。\n",
            name = o.full_name()
        );
        for c in list {
            crate::notices::store::queue(
                &txn,
                &c.email,
                "【連絡先確認のお願い】Noroshi 注意喚起の配信先",
                &body,
                now,
            )
            .await?;
            out.mails += 1;
        }
    }
    audit::record(
        &txn,
        actor,
        "contact.campaign",
        "contacts",
        serde_json::json!({
            "organisations": out.organisations,
            "mails": out.mails,
            "without_address": out.without_address,
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(out)
}

/// One organisation's standing in a coverage report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Gap {
    NoAddress,
    OnlyUnreachable,
    /// No address confirmed within the last twelve months (the newest confirmation, if any).
    Unconfirmed(Option<DateTime<Utc>>),
}

/// The organisations of `orgs` with a gap, in their order.
pub async fn coverage(
    db: &impl ConnectionTrait,
    orgs: &[Organisation],
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<(Organisation, Gap)>> {
    let ids: Vec<OrgId> = orgs.iter().map(|o| o.id).collect();
    let contacts = store::active_for(db, &ids).await?;
    let mut by_org: std::collections::HashMap<i64, Vec<&super::Contact>> =
        std::collections::HashMap::new();
    for c in &contacts {
        by_org.entry(c.org_id.0).or_default().push(c);
    }
    let year_ago = now - chrono::Duration::days(365);
    let mut out = Vec::new();
    for o in orgs {
        let list = by_org.get(&o.id.0).map(Vec::as_slice).unwrap_or_default();
        let gap = if list.is_empty() {
            Some(Gap::NoAddress)
        } else if list.iter().all(|c| c.unreachable) {
            Some(Gap::OnlyUnreachable)
        } else {
            let newest = list.iter().filter_map(|c| c.confirmed_at).max();
            newest
                .is_none_or(|t| t < year_ago)
                .then_some(Gap::Unconfirmed(newest))
        };
        if let Some(g) = gap {
            out.push((o.clone(), g));
        }
    }
    Ok(out)
}
