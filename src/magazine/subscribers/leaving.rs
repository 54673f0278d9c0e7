//! Leaving the メールマガジン: the one-click unsubscribe link every copy carries (RFC 8058; a POST, no session, answered the same the second time), and the readers' counts.

#[allow(unused_imports)]
use super::*;

/// What an unsubscribe link stands for, for its page.
#[derive(Debug)]
pub struct Unsubscription {
    pub recipient: Recipient,
    /// The address (shown so its owner knows which copy the link came with).
    pub email: String,
    /// Unsubscribed already.
    pub done: bool,
}

/// Reads an unsubscribe link: whose it is and whether it was used (changes nothing).
pub async fn unsubscription(
    db: &impl ConnectionTrait,
    verp: &Tokens,
    token: &str,
) -> Result<Unsubscription, Failure> {
    let not_found = || Failure::NotFound("no such unsubscribe link".into());
    let recipient = Recipient::of_token(verp, token).ok_or_else(not_found)?;
    Ok(match recipient {
        Recipient::Subscriber(id) => {
            let m = magazine_subscribers::Entity::find_by_id(id)
                .one(db)
                .await
                .map_err(anyhow::Error::from)?
                .ok_or_else(not_found)?;
            Unsubscription {
                recipient,
                done: m.status == Status::Unsubscribed.as_str(),
                email: m.email,
            }
        }
        Recipient::Contact(id) => {
            let c = contacts::Entity::find_by_id(id)
                .one(db)
                .await
                .map_err(anyhow::Error::from)?
                .ok_or_else(not_found)?;
            let out = magazine_optouts::Entity::find_by_id(id)
                .one(db)
                .await
                .map_err(anyhow::Error::from)?;
            Unsubscription {
                recipient,
                done: out.is_some(),
                email: c.email,
            }
        }
    })
}

/// Unsubscribes the link's recipient (RFC 8058 one-click: a POST, no session). Idempotent: a
/// second POST finds it done and changes nothing; the first is audited.
pub async fn unsubscribe<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    verp: &Tokens,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Unsubscription, Failure> {
    let txn = begin_write(db).await.map_err(anyhow::Error::from)?;
    let u = unsubscription(&txn, verp, token).await?;
    if !u.done {
        match u.recipient {
            Recipient::Subscriber(id) => {
                magazine_subscribers::Entity::update_many()
                    .col_expr(
                        magazine_subscribers::Column::Status,
                        sea_orm::sea_query::Expr::value(Status::Unsubscribed.as_str()),
                    )
                    .col_expr(
                        magazine_subscribers::Column::UnsubscribedAt,
                        sea_orm::sea_query::Expr::value(now),
                    )
                    .col_expr(
                        magazine_subscribers::Column::ConfirmHash,
                        sea_orm::sea_query::Expr::value(Option::<String>::None),
                    )
                    .filter(magazine_subscribers::Column::Id.eq(id))
                    .exec(&txn)
                    .await
                    .map_err(anyhow::Error::from)?;
            }
            Recipient::Contact(id) => {
                magazine_optouts::Entity::insert(magazine_optouts::ActiveModel {
                    contact_id: Set(id),
                    created_at: Set(now),
                })
                .on_conflict_do_nothing_on([magazine_optouts::Column::ContactId])
                .exec_without_returning(&txn)
                .await
                .map_err(anyhow::Error::from)?;
            }
        }
        audit::record(
            &txn,
            &Actor::MagazineLink {
                recipient: u.recipient.key(),
            },
            "magazine.unsubscribe",
            &format!("magazine_recipient:{}", u.recipient.key()),
            serde_json::json!({ "email": u.email }),
        )
        .await?;
    }
    txn.commit().await.map_err(anyhow::Error::from)?;
    Ok(Unsubscription { done: true, ..u })
}

/// Counts for the magazine's page: organisation addresses receiving it, those that opted out,
/// and self-subscribed staff by state.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts {
    pub contacts: u64,
    pub contacts_opted_out: u64,
    pub staff_active: u64,
    pub staff_pending: u64,
}

pub async fn counts(db: &impl ConnectionTrait) -> anyhow::Result<Counts> {
    use sea_orm::PaginatorTrait;
    // The same readers publication queues (`send::queue`): active, reachable, not opted out.
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            backend,
            "SELECT \
               (SELECT COUNT(*) FROM org_contacts c WHERE c.active AND NOT c.unreachable \
                  AND NOT EXISTS (SELECT 1 FROM magazine_optouts o WHERE o.contact_id = c.id)) AS receiving, \
               (SELECT COUNT(*) FROM magazine_optouts) AS opted_out",
        ))
        .await
        .context("cannot count the magazine's readers")?
        .context("no count")?;
    let staff = |s: Status| {
        magazine_subscribers::Entity::find()
            .filter(magazine_subscribers::Column::Status.eq(s.as_str()))
            .count(db)
    };
    Ok(Counts {
        contacts: u64::try_from(row.try_get::<i64>("", "receiving")?).unwrap_or(0),
        contacts_opted_out: u64::try_from(row.try_get::<i64>("", "opted_out")?).unwrap_or(0),
        staff_active: staff(Status::Active).await?,
        staff_pending: staff(Status::Pending).await?,
    })
}
