//! An issue's copies as mail. Readers of one organisation see the same items (the alerts' TLP
//! rule decides per organisation), so organisations that see the same restricted items form one
//! audience class, and each class × language × encoding is one body, built and DKIM-signed once
//! (`List-Unsubscribe-Post` is in every body, so it is signed). Per copy only the recipient's
//! headers are added: `To`, `Message-ID` and `List-Unsubscribe` with the reader's own one-click
//! link — unsigned, since signing a header that differs per reader would take one RSA signature
//! per copy (RFC 8058 asks for it to be signed; see the README).

use crate::domain::ids::IssueId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use sea_orm::ConnectionTrait;

use super::issue::{self, Issue, Item, ItemKind, Reader};
use super::subscribers::{self, Recipient};
use crate::delivery::store::Claimed;
use crate::delivery::{Composed, Mailer, Template, mime, rfc2822_jst};
use crate::domain::mail::MailEncoding;
use crate::domain::{Language, Tlp};
use crate::registry::OrgId;

/// Which of an issue's items an organisation may see: the indices of its visible items.
type Class = Arc<Vec<usize>>;
type BodyKey = (IssueId, Class, Language, MailEncoding);

/// Issues being sent, each organisation's class, and the signed bodies.
#[derive(Default)]
pub struct MagazineMail {
    issues: Mutex<HashMap<IssueId, Arc<Issue>>>,
    classes: Mutex<HashMap<(IssueId, Option<OrgId>), Class>>,
    bodies: Mutex<HashMap<BodyKey, Arc<Template>>>,
}

impl std::fmt::Debug for MagazineMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MagazineMail").finish_non_exhaustive()
    }
}

/// Entries kept before a cache starts over (a few issues at a time are ever being sent).
const CACHE: usize = 16_384;

fn remember<K: std::hash::Hash + Eq, V: Clone>(m: &Mutex<HashMap<K, V>>, k: K, v: &V) {
    if let Ok(mut m) = m.lock() {
        if m.len() >= CACHE {
            m.clear();
        }
        m.insert(k, v.clone());
    }
}

/// The plain-text body of one class in one language.
pub fn text(issue: &Issue, items: &[Item], lang: Language, base: &str, withheld: usize) -> String {
    let ja = lang == Language::Ja;
    let mut out = String::new();
    out.push_str(&issue.title);
    out.push('\n');
    out.push_str(&if ja {
        format!("第{}号\n\n", issue.number.unwrap_or_default())
    } else {
        format!("No. {}\n\n", issue.number.unwrap_or_default())
    });
    if !issue.intro.is_empty() {
        out.push_str(&issue.intro);
        out.push_str("\n\n");
    }
    for (n, i) in items.iter().enumerate() {
        let kind = match (i.kind, ja) {
            (ItemKind::Alert, true) => "注意喚起",
            (ItemKind::EarlyWarning, true) => "早期警戒情報",
            (ItemKind::EarlyWarning, false) => "JPCERT/CC early warning",
            (ItemKind::Case, true) => "事例",
            (ItemKind::Alert, false) => "Alert",
            (ItemKind::Case, false) => "Case",
            (ItemKind::Jpcert, _) => "JPCERT/CC",
        };
        out.push_str(&format!(
            "{}. [{kind}][TLP:{}] {}\n",
            n + 1,
            i.tlp.as_str(),
            i.title
        ));
        if !i.summary.is_empty() {
            out.push_str(&format!("   {}\n", i.summary));
        }
        if !i.link.is_empty() {
            let link = if i.link.starts_with('/') {
                format!("{base}{}", i.link)
            } else {
                i.link.clone()
            };
            out.push_str(&format!("   {link}\n"));
        }
        out.push('\n');
    }
    if withheld > 0 {
        out.push_str(&if ja {
            format!("（ほかに {withheld} 件は宛先の団体のみが読めます。）\n\n")
        } else {
            format!("({withheld} more items are for the organisations addressed only.)\n\n")
        });
    }
    let restricted = items
        .iter()
        .any(|i| matches!(i.tlp, Tlp::Amber | Tlp::AmberStrict));
    if restricted {
        out.push_str(if ja {
            "TLP:AMBER の項目は、貴団体の中で必要な人にだけ共有してください。\n"
        } else {
            "Share TLP:AMBER items only with those in your organisation who need them.\n"
        });
    }
    out.push_str(&if ja {
        format!(
            "\nバックナンバー: {base}/magazine/issues/{}\n配信の停止は、このメールの List-Unsubscribe か {base}/magazine から。\n",
            issue.number.unwrap_or_default()
        )
    } else {
        format!(
            "\nArchive: {base}/magazine/issues/{}\nTo stop receiving it, use this mail's List-Unsubscribe or {base}/magazine.\n",
            issue.number.unwrap_or_default()
        )
    });
    out
}

impl MagazineMail {
    async fn issue(
        &self,
        db: &impl ConnectionTrait,
        id: IssueId,
    ) -> anyhow::Result<Option<Arc<Issue>>> {
        if let Some(i) = self.issues.lock().ok().and_then(|m| m.get(&id).cloned()) {
            return Ok(Some(i));
        }
        let Some(i) = issue::get(db, id)
            .await?
            .filter(|i| i.status == issue::Status::Published)
        else {
            return Ok(None);
        };
        let i = Arc::new(i);
        remember(&self.issues, id, &i);
        Ok(Some(i))
    }

    /// The items a reader sees: an organisation's class when `org` vouched for the reader,
    /// the public class (TLP:CLEAR) otherwise (cached under no organisation).
    async fn class(
        &self,
        db: &impl ConnectionTrait,
        issue: &Issue,
        org: Option<OrgId>,
    ) -> anyhow::Result<Class> {
        let key = (issue.id, org);
        if let Some(c) = self.classes.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(c);
        }
        let visible = match org {
            Some(org) => {
                let organisation = crate::registry::store::find_by_id(db, org)
                    .await?
                    .with_context(|| format!("organisation {org} of a magazine copy is gone"))?;
                issue::visible_items(db, issue, &Reader::Organisation(&organisation)).await?
            }
            None => issue::visible_items(db, issue, &Reader::Public).await?,
        };
        let class: Class = Arc::new(
            issue
                .items
                .iter()
                .enumerate()
                .filter(|(_, i)| visible.contains(i))
                .map(|(n, _)| n)
                .collect(),
        );
        remember(&self.classes, key, &class);
        Ok(class)
    }

    fn body(
        &self,
        mailer: &Mailer,
        issue: &Issue,
        class: &Class,
        language: Language,
        encoding: MailEncoding,
    ) -> anyhow::Result<Arc<Template>> {
        let key = (issue.id, Arc::clone(class), language, encoding);
        if let Some(t) = self.bodies.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(t);
        }
        let items: Vec<Item> = class
            .iter()
            .filter_map(|n| issue.items.get(*n).cloned())
            .collect();
        let base = mailer.base_url.as_str().trim_end_matches('/');
        let body = text(
            issue,
            &items,
            language,
            base,
            issue.items.len() - items.len(),
        );
        let published = issue.published_at.unwrap_or_else(chrono::Utc::now);
        let subject = match language {
            Language::Ja => format!(
                "【自治体CEPTOARメールマガジン】第{}号 {}",
                issue.number.unwrap_or_default(),
                issue.title
            ),
            Language::En => format!(
                "[Local-government CEPTOAR newsletter] No. {} {}",
                issue.number.unwrap_or_default(),
                issue.title
            ),
        };
        let common = vec![
            ("Auto-Submitted".to_owned(), "auto-generated".to_owned()),
            ("Precedence".to_owned(), "bulk".to_owned()),
            (
                "List-Id".to_owned(),
                format!("Noroshi magazine <magazine.{}>", mailer.domain()),
            ),
            (
                "List-Unsubscribe-Post".to_owned(),
                "List-Unsubscribe=One-Click".to_owned(),
            ),
            (
                "X-Noroshi-Magazine".to_owned(),
                issue.number.unwrap_or_default().to_string(),
            ),
        ];
        let boundary = format!("=_noroshi_magazine_{}", issue.id);
        let built = mime::build(&mime::Content {
            from: &mailer.from,
            subject: &subject,
            date: &rfc2822_jst(published),
            common_headers: &common,
            text: &body,
            html: None,
            encoding,
            boundary: &boundary,
        });
        let dkim = mailer.sign(&built, published.timestamp())?;
        let t = Arc::new(Template { built, dkim });
        remember(&self.bodies, key, &t);
        Ok(t)
    }

    /// The magazine copies of `claimed` whose readers their organisation vouches for as they
    /// stand now (not when the issue was queued): contact addresses that are verified, and
    /// active subscribers a portal user or an administrator of the organisation vouched for.
    /// Every other reader gets the public class (TLP:CLEAR items only).
    pub async fn vouched(
        &self,
        db: &impl ConnectionTrait,
        claimed: &[Claimed],
    ) -> anyhow::Result<std::collections::HashSet<i64>> {
        let copies: Vec<&Claimed> = claimed
            .iter()
            .filter(|d| d.magazine_issue_id.is_some())
            .collect();
        let contacts: Vec<i64> = copies.iter().filter_map(|d| d.contact_id).collect();
        let subscribers: Vec<i64> = copies
            .iter()
            .filter(|d| d.contact_id.is_none())
            .filter_map(|d| d.subscriber_id)
            .collect();
        let verified: std::collections::HashSet<i64> =
            crate::contacts::store::by_ids(db, &contacts)
                .await?
                .into_iter()
                .filter(|c| c.verified.is_some())
                .map(|c| c.id)
                .collect();
        let staff = subscribers::vouched_among(db, &subscribers).await?;
        Ok(copies
            .iter()
            .filter(|d| match (d.contact_id, d.subscriber_id) {
                (Some(c), _) => verified.contains(&c),
                (None, Some(s)) => staff.get(&s) == Some(&d.organisation_id),
                (None, None) => false,
            })
            .map(|d| d.id)
            .collect())
    }

    /// The bytes of one claimed magazine copy; `vouched` says whether its reader gets its
    /// organisation's items (see [`Self::vouched`]) or TLP:CLEAR ones only. `None` when the row
    /// is not one, or its issue is gone or unpublished.
    pub async fn compose(
        &self,
        mailer: &Mailer,
        db: &impl ConnectionTrait,
        d: &Claimed,
        vouched: bool,
    ) -> anyhow::Result<Option<Composed>> {
        let Some(issue_id) = d.magazine_issue_id else {
            return Ok(None);
        };
        let Some(issue) = self.issue(db, issue_id).await? else {
            return Ok(None);
        };
        let recipient = match (d.contact_id, d.subscriber_id) {
            (Some(c), _) => Recipient::Contact(c),
            (None, Some(s)) => Recipient::Subscriber(s),
            (None, None) => return Ok(None),
        };
        let class = self
            .class(db, &issue, vouched.then_some(d.organisation_id))
            .await?;
        let language = d.language;
        let encoding = d.encoding;
        let template = self.body(mailer, &issue, &class, language, encoding)?;
        let who = match recipient {
            Recipient::Contact(c) => format!("c{c}"),
            Recipient::Subscriber(s) => format!("s{s}"),
        };
        let number = issue.number.unwrap_or_default();
        let message_id = format!("magazine.{number}.{who}@{}", mailer.domain());
        let mut headers = mime::recipient_headers(&d.email, &message_id, None, &[]);
        headers.push((
            "List-Unsubscribe".to_owned(),
            format!(
                "<{}>",
                subscribers::unsubscribe_url(&mailer.base_url, &mailer.verp, recipient)
            ),
        ));
        Ok(Some(Composed {
            file_name: format!("magazine.{number}.{who}"),
            bytes: template.built.to_bytes(&template.dkim, &headers),
            message_id,
        }))
    }
}
