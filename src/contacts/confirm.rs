//! 連絡先確認: organisations confirm that their addresses still work (each April, when staff
//! change), and a new address at a domain its organisation does not hold is confirmed by its
//! owner before it receives anything above TLP:CLEAR. Central staff, or a prefecture for its
//! municipalities, start a campaign — once a day per scope, after a confirmation step, by
//! default only to the organisations with a gap — and each address gets its own one-click link
//! (`/contacts/confirm/<token>`, valid 60 days, no session needed: the token is the
//! credential); opening it shows the address, the button confirms that address only (a
//! forwarded mail can vouch for nothing else). Organisation admins can also confirm their
//! addresses from the settings page. Confirming clears an address's bounce count.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};

use super::{Contact, Links, store};
use crate::audit::{self, Actor};
use crate::db::begin_write;
use crate::notices::store::NoticeKind;
use crate::registry::{OrgId, Organisation};

/// Days a confirmation link works.
pub const VALID_DAYS: i64 = 60;

/// Days since 1970-01-01 of `t` (the day a token is issued on).
pub fn day_of(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(86_400)
}

fn link(links: &Links<'_>, contact: &Contact, now: DateTime<Utc>) -> String {
    format!(
        "{}/contacts/confirm/{}",
        links.base_url.as_str().trim_end_matches('/'),
        links.verp.contact_token(contact.id, day_of(now))
    )
}

/// Mails the owner of a new, unverified address its confirmation link, in the transaction that
/// added it.
pub async fn ask_owner(
    db: &impl ConnectionTrait,
    links: &Links<'_>,
    org: &Organisation,
    contact: &Contact,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let body = format!(
        "{name} の注意喚起の配信先として、このアドレス（{email}）が登録されました。\n\n\
         このアドレスで受け取ることに心当たりがあれば、次のリンクを開き「確認しました」を押してください\n\
         （{VALID_DAYS} 日間有効。開くだけでは何も記録されません）:\n{link}\n\n\
         確認されるまで、このアドレスには公開（TLP:CLEAR）の情報だけが届きます。\n\
         心当たりがない場合は、このメールを破棄してください。\n\n\
         Noroshi（自治体CEPTOAR）\n",
        name = org.full_name(),
        email = contact.email,
        link = link(links, contact, now),
    );
    crate::notices::store::queue(
        db,
        NoticeKind::Contact,
        &contact.email,
        "【確認のお願い】Noroshi の配信先に登録されました",
        &body,
        now,
    )
    .await
}

/// Mails the confirmation link again to an address of `org` not yet verified (the settings
/// page's button); audited. False when there is no such address waiting.
pub async fn ask_again<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    links: &Links<'_>,
    org: &Organisation,
    contact_id: i64,
    actor: &Actor,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let txn = begin_write(db).await?;
    let Some(c) = store::get(&txn, contact_id)
        .await?
        .filter(|c| c.org_id == org.id && c.active && c.verified.is_none())
    else {
        return Ok(false);
    };
    // Once a day per address: the button cannot be used to mail someone over and over.
    let key = crate::notices::once::daily(&format!("contact.ask:{}", c.id), now);
    if !crate::notices::once::claim(&txn, &key, now).await? {
        return Ok(false);
    }
    ask_owner(&txn, links, org, &c, now).await?;
    audit::record(
        &txn,
        actor,
        "contact.ask",
        &format!("organisation:{}", org.code),
        serde_json::json!({ "contact": c.id, "email": c.email.as_str() }),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// Confirms every active address of `org` (its administrator, signed in); audited. Returns how
/// many. This says the addresses work; it verifies none (only an address's owner can).
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

/// The owner of address `contact_id` confirms it from the link mailed to it: it works, and it is
/// verified if it was not. Audited as the link (`contact.confirm`).
pub async fn confirm_address<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    org: &Organisation,
    contact_id: i64,
    actor: &Actor,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<Contact>> {
    let txn = begin_write(db).await?;
    let before = store::get(&txn, contact_id).await?;
    let Some(c) = store::confirm_one(&txn, org.id, contact_id, now).await? else {
        return Ok(None);
    };
    audit::record(
        &txn,
        actor,
        "contact.confirm",
        &format!("organisation:{}", org.code),
        serde_json::json!({
            "contact": c.id,
            "email": c.email.as_str(),
            "verified": before.as_ref().is_some_and(|b| b.verified.is_none()),
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(Some(c))
}

/// Who a campaign asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// The organisations with a gap (only unreachable addresses, none confirmed for twelve
    /// months) and every address not yet verified.
    Gaps,
    /// Every active address (the April round, when staff change).
    Everyone,
}

/// What a campaign would do, or did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Campaign {
    pub organisations: usize,
    pub mails: usize,
    /// Organisations in scope with no active address (nobody to ask).
    pub without_address: usize,
}

/// A campaign's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Started {
    Queued(Campaign),
    /// This scope had its campaign today already: nothing was sent.
    AlreadyToday,
}

/// The addresses a campaign to `orgs` asks, by organisation.
async fn addressed(
    db: &impl ConnectionTrait,
    orgs: &[Organisation],
    reach: Reach,
    now: DateTime<Utc>,
) -> anyhow::Result<(Vec<(Organisation, Vec<Contact>)>, usize)> {
    let ids: Vec<OrgId> = orgs.iter().map(|o| o.id).collect();
    let contacts = store::active_for(db, &ids).await?;
    let mut by_org: std::collections::HashMap<OrgId, Vec<Contact>> =
        std::collections::HashMap::new();
    for c in contacts {
        by_org.entry(c.org_id).or_default().push(c);
    }
    let with_gap: std::collections::HashSet<OrgId> = coverage(db, orgs, now)
        .await?
        .into_iter()
        .map(|(o, _)| o.id)
        .collect();
    let mut out = Vec::new();
    let mut without = 0;
    for o in orgs {
        let Some(list) = by_org.remove(&o.id) else {
            without += 1;
            continue;
        };
        let list: Vec<Contact> = match reach {
            Reach::Everyone => list,
            Reach::Gaps if with_gap.contains(&o.id) => list,
            Reach::Gaps => list.into_iter().filter(|c| c.verified.is_none()).collect(),
        };
        if !list.is_empty() {
            out.push((o.clone(), list));
        }
    }
    Ok((out, without))
}

/// What a campaign to `orgs` would send, for the confirmation step.
pub async fn plan_campaign(
    db: &impl ConnectionTrait,
    orgs: &[Organisation],
    reach: Reach,
    now: DateTime<Utc>,
) -> anyhow::Result<Campaign> {
    let (asked, without) = addressed(db, orgs, reach, now).await?;
    Ok(Campaign {
        organisations: asked.len(),
        mails: asked.iter().map(|(_, l)| l.len()).sum(),
        without_address: without,
    })
}

/// Queues one request per address `reach` selects among `orgs`, each with the address's own
/// one-click link; at most once a day per `scope` (`all`, `pref:13`); audited once.
pub async fn start_campaign<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    links: &Links<'_>,
    orgs: &[Organisation],
    scope: &str,
    reach: Reach,
    actor: &Actor,
    now: DateTime<Utc>,
) -> anyhow::Result<Started> {
    let txn = begin_write(db).await?;
    let key = crate::notices::once::daily(&format!("contact.campaign:{scope}"), now);
    if !crate::notices::once::claim(&txn, &key, now).await? {
        return Ok(Started::AlreadyToday);
    }
    let (asked, without) = addressed(&txn, orgs, reach, now).await?;
    let base = links.base_url.as_str().trim_end_matches('/');
    let mut out = Campaign {
        without_address: without,
        ..Campaign::default()
    };
    for (o, list) in &asked {
        out.organisations += 1;
        for c in list {
            let body = format!(
                "{name} ご担当者様\n\n\
                 Noroshi（自治体CEPTOAR）から注意喚起を受け取る連絡先の確認をお願いします。\n\
                 このアドレス（{email}）は、{name} の連絡先として登録されています。\n\n\
                 正しければ、次のリンクを開き「確認しました」を押してください（{VALID_DAYS} 日間有効。開くだけでは何も記録されません）:\n{link}\n\n\
                 変更がある場合は、団体の管理者が Noroshi ポータルの「設定」で更新してください: {base}/settings\n\
                 リンクが無効化されている場合も、ポータルの「設定」から確認できます。\n",
                name = o.full_name(),
                email = c.email,
                link = link(links, c, now),
            );
            crate::notices::store::queue(
                &txn,
                NoticeKind::Contact,
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
            "scope": scope,
            "reach": match reach { Reach::Gaps => "gaps", Reach::Everyone => "everyone" },
            "organisations": out.organisations,
            "mails": out.mails,
            "without_address": out.without_address,
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(Started::Queued(out))
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
    let mut by_org: std::collections::HashMap<OrgId, Vec<&super::Contact>> =
        std::collections::HashMap::new();
    for c in &contacts {
        by_org.entry(c.org_id).or_default().push(c);
    }
    let year_ago = now - chrono::Duration::days(365);
    let mut out = Vec::new();
    for o in orgs {
        let list = by_org.get(&o.id).map(Vec::as_slice).unwrap_or_default();
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
