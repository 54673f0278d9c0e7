//! The 疎通確認 report of a drill: for each prefecture and in total, how many organisations were
//! addressed, reached (at least one contact delivered and not bounced), answered (by any
//! channel), how long they took (median and 90th percentile from the drill's send to each
//! organisation's first answer), which contacts bounced and why, and which organisations have no
//! working contact — each rate graded A–D on the boards' bounds, beside the previous drill to
//! the same audience. A prefecture sees only its own prefecture.

use crate::domain::ids::{AlertId, RevisionId};
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use crate::alerts::{self, Alert};
use crate::delivery::store::{DeliveryStatus, Kind};
use crate::domain::grade::{Grade, Rate};
use crate::registry::{OrgId, Prefecture};

/// Whose rows a reader sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Central staff: every addressed organisation.
    All,
    /// A prefecture's staff: the prefecture and its municipalities — only the prefecture's own
    /// line for a drill marked AMBER+STRICT or RED that another desk wrote (those stay with the
    /// addressed organisation: `Tlp::prefecture_may_relay`).
    Prefecture(OrgId),
}

impl Scope {
    /// The scope `drill` is seen in: a prefecture that may not relay the drill's marking sees
    /// only its own organisation.
    async fn for_drill(self, db: &impl ConnectionTrait, drill: &Alert) -> anyhow::Result<Narrowed> {
        let Scope::Prefecture(own) = self else {
            return Ok(Narrowed(self, true));
        };
        if drill.owner == Some(own) {
            return Ok(Narrowed(self, true));
        }
        let tlp = alerts::store::revisions(db, drill.id)
            .await?
            .last()
            .map_or(drill.tlp, |r| r.tlp);
        Ok(Narrowed(self, tlp.prefecture_may_relay()))
    }
}

/// A scope, and whether it reaches the municipalities under it.
#[derive(Clone, Copy)]
struct Narrowed(Scope, bool);

/// One address the drill went to.
#[derive(Clone, Debug)]
pub struct ContactLine {
    pub org_id: OrgId,
    pub code: String,
    pub organisation: String,
    pub prefecture: Option<u8>,
    pub email: String,
    /// primary, backup or role.
    pub kind: String,
    pub status: DeliveryStatus,
    pub delivered_at: Option<DateTime<Utc>>,
    pub bounced_at: Option<DateTime<Utc>>,
    /// `5.1.1 User unknown`.
    pub bounce: String,
    pub first_answer_at: Option<DateTime<Utc>>,
    /// portal, mail_link, api or mail_reply.
    pub channel: String,
}

/// The figures of one group of organisations.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    pub addressed: u64,
    pub reached: u64,
    pub answered: u64,
    pub without_working_contact: u64,
    pub contacts: u64,
    pub delivered: u64,
    pub bounced: u64,
    /// Seconds from the send to each answering organisation's first answer, sorted.
    pub answer_secs: Vec<i64>,
}

impl Figures {
    /// 到達率: reached ÷ addressed.
    pub fn reach(&self) -> Rate {
        Rate {
            numerator: self.reached,
            denominator: self.addressed,
        }
    }

    /// 応答率: answered ÷ addressed.
    pub fn answer(&self) -> Rate {
        Rate {
            numerator: self.answered,
            denominator: self.addressed,
        }
    }

    pub fn reach_grade(&self) -> Option<Grade> {
        Grade::of(self.reach())
    }

    pub fn answer_grade(&self) -> Option<Grade> {
        Grade::of(self.answer())
    }

    /// The median answer time (the mean of the middle two for an even count).
    pub fn median_secs(&self) -> Option<i64> {
        let n = self.answer_secs.len();
        match n {
            0 => None,
            _ if n % 2 == 1 => Some(self.answer_secs[n / 2]),
            _ => Some((self.answer_secs[n / 2 - 1] + self.answer_secs[n / 2]) / 2),
        }
    }

    /// The 90th percentile (nearest rank).
    pub fn p90_secs(&self) -> Option<i64> {
        let n = self.answer_secs.len();
        (n > 0).then(|| self.answer_secs[(n * 9).div_ceil(10).saturating_sub(1)])
    }

    fn merge(&mut self, o: &Figures) {
        self.addressed += o.addressed;
        self.reached += o.reached;
        self.answered += o.answered;
        self.without_working_contact += o.without_working_contact;
        self.contacts += o.contacts;
        self.delivered += o.delivered;
        self.bounced += o.bounced;
        self.answer_secs.extend(&o.answer_secs);
    }
}

/// `1時間05分`, `12分03秒`, `—`.
pub fn duration_ja(secs: Option<i64>) -> String {
    let Some(s) = secs else {
        return "—".into();
    };
    let (h, m, s) = (s / 3600, s % 3600 / 60, s % 60);
    if h > 0 {
        format!("{h}時間{m:02}分")
    } else {
        format!("{m}分{s:02}秒")
    }
}

/// `1 h 05 min`, `12 min 03 s`, `—`.
pub fn duration_en(secs: Option<i64>) -> String {
    let Some(s) = secs else {
        return "—".into();
    };
    let (h, m, s) = (s / 3600, s % 3600 / 60, s % 60);
    if h > 0 {
        format!("{h} h {m:02} min")
    } else {
        format!("{m} min {s:02} s")
    }
}

/// One prefecture's line.
#[derive(Clone, Debug)]
pub struct Line {
    pub prefecture: Prefecture,
    pub figures: Figures,
}

/// The previous drill to the same audience, for comparison.
#[derive(Clone, Debug)]
pub struct Previous {
    pub alert_id: AlertId,
    pub public_id: String,
    pub title: String,
    pub sent_at: DateTime<Utc>,
    pub total: Figures,
}

#[derive(Clone, Debug)]
pub struct Report {
    pub alert_id: AlertId,
    pub public_id: String,
    pub title: String,
    pub sent_at: DateTime<Utc>,
    pub total: Figures,
    pub lines: Vec<Line>,
    /// Every address, in organisation code order.
    pub contacts: Vec<ContactLine>,
    /// Organisations none of whose addresses took the mail, all attempts over (code, name).
    pub without_working_contact: Vec<(String, String)>,
    pub previous: Option<Previous>,
}

struct Built {
    total: Figures,
    lines: Vec<Line>,
    contacts: Vec<ContactLine>,
    without_working_contact: Vec<(String, String)>,
}

/// The published drill `alert` seen from `scope`. `None` when it was never published.
pub async fn build(
    db: &impl ConnectionTrait,
    alert: &Alert,
    scope: Scope,
) -> anyhow::Result<Option<Report>> {
    let (Some(public_id), Some(first)) = (
        alert.public_id.clone(),
        alerts::store::first_revision(db, alert.id).await?,
    ) else {
        return Ok(None);
    };
    // A scheduled drill was sent at its start, not at approval.
    let sent_at = alert
        .starts_at
        .map_or(first.published_at, |s| s.max(first.published_at));
    let built = figures(
        db,
        alert.id,
        first.id,
        sent_at,
        scope.for_drill(db, alert).await?,
    )
    .await?;
    // The newest earlier drill to the same audience that went out.
    let mut previous = None;
    for d in alerts::store::list_drills(db).await? {
        if d.id >= alert.id || !d.has_gone_out() || d.audience != alert.audience {
            continue;
        }
        if let (Some(pid), Some(f)) = (
            d.public_id.clone(),
            alerts::store::first_revision(db, d.id).await?,
        ) {
            let b = figures(
                db,
                d.id,
                f.id,
                f.published_at,
                scope.for_drill(db, &d).await?,
            )
            .await?;
            previous = Some(Previous {
                alert_id: d.id,
                public_id: pid,
                title: f.title,
                sent_at: f.published_at,
                total: b.total,
            });
            break;
        }
    }
    Ok(Some(Report {
        alert_id: alert.id,
        public_id,
        title: first.title,
        sent_at,
        total: built.total,
        lines: built.lines,
        contacts: built.contacts,
        without_working_contact: built.without_working_contact,
        previous,
    }))
}

async fn figures(
    db: &impl ConnectionTrait,
    alert_id: AlertId,
    revision_id: RevisionId,
    sent_at: DateTime<Utc>,
    scope: Narrowed,
) -> anyhow::Result<Built> {
    let mut orgs = crate::acks::store::board(db, alert_id).await?;
    match scope {
        Narrowed(Scope::All, _) => {}
        Narrowed(Scope::Prefecture(own), true) => {
            orgs.retain(|r| r.org_id == own || r.parent_id == Some(own));
        }
        Narrowed(Scope::Prefecture(own), false) => orgs.retain(|r| r.org_id == own),
    }
    let answers = crate::acks::store::first_answers(db, alert_id).await?;
    let rows: Vec<_> = crate::delivery::store::for_alert(db, alert_id)
        .await?
        .into_iter()
        .filter(|d| d.kind == Kind::Alert && d.revision_id == revision_id)
        .collect();
    let contact_ids: Vec<i64> = rows.iter().map(|d| d.contact_id).collect();
    let kinds: HashMap<i64, String> = crate::contacts::store::by_ids(db, &contact_ids)
        .await?
        .into_iter()
        .map(|c| (c.id, c.kind.as_str().to_owned()))
        .collect();
    let mut by_org: HashMap<OrgId, Vec<&crate::delivery::store::LedgerRow>> = HashMap::new();
    for d in &rows {
        by_org.entry(d.organisation_id).or_default().push(d);
    }
    let mut total = Figures::default();
    let mut per_pref: BTreeMap<u8, Figures> = BTreeMap::new();
    let mut contacts = Vec::new();
    let mut without = Vec::new();
    orgs.sort_by(|a, b| a.code.cmp(&b.code));
    for org in &orgs {
        let mut f = Figures {
            addressed: 1,
            ..Figures::default()
        };
        let answer = answers.get(&org.org_id);
        let mut delivered_any = false;
        let mut in_flight = false;
        for d in by_org
            .get(&org.org_id)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            f.contacts += 1;
            let delivered = d.status == DeliveryStatus::Sent;
            in_flight |= matches!(
                d.status,
                DeliveryStatus::Queued | DeliveryStatus::Sending | DeliveryStatus::Deferred
            );
            delivered_any |= delivered;
            f.delivered += u64::from(delivered);
            // Refused by the relay (5xx at RCPT or DATA) or returned later by a DSN.
            let bounced = matches!(d.status, DeliveryStatus::Bounced | DeliveryStatus::Failed);
            f.bounced += u64::from(bounced);
            contacts.push(ContactLine {
                org_id: org.org_id,
                code: org.code.clone(),
                organisation: org.name.clone(),
                prefecture: org.prefecture.and_then(|p| u8::try_from(p).ok()),
                email: d.email.clone(),
                kind: kinds.get(&d.contact_id).cloned().unwrap_or_default(),
                status: d.status,
                delivered_at: d.sent_at,
                bounced_at: match d.status {
                    DeliveryStatus::Bounced => d.bounced_at,
                    DeliveryStatus::Failed => Some(d.updated_at),
                    _ => None,
                },
                bounce: match (&d.bounce_status, &d.bounce_reason, d.status) {
                    (s, r, DeliveryStatus::Bounced) => format!(
                        "{} {}",
                        s.as_deref().unwrap_or_default(),
                        r.as_deref().unwrap_or_default()
                    )
                    .trim()
                    .to_owned(),
                    (_, _, DeliveryStatus::Failed) => d.last_error.clone().unwrap_or_default(),
                    _ => String::new(),
                },
                first_answer_at: answer.map(|a| a.0),
                channel: answer.map(|a| a.1.clone()).unwrap_or_default(),
            });
        }
        f.reached = u64::from(delivered_any);
        // No working address: every attempt ended without a delivery (or there was no address).
        // An organisation whose mail is still queued or being retried is neither.
        if !delivered_any && !in_flight {
            f.without_working_contact = 1;
            without.push((org.code.clone(), org.name.clone()));
        }
        if let Some((at, _)) = answer {
            f.answered = 1;
            f.answer_secs.push((*at - sent_at).num_seconds().max(0));
        }
        total.merge(&f);
        if let Some(p) = org.prefecture.and_then(|p| u8::try_from(p).ok()) {
            per_pref.entry(p).or_default().merge(&f);
        }
    }
    total.answer_secs.sort_unstable();
    let lines = per_pref
        .into_iter()
        .filter_map(|(p, mut figures)| {
            figures.answer_secs.sort_unstable();
            Some(Line {
                prefecture: Prefecture::from_number(p)?,
                figures,
            })
        })
        .collect();
    Ok(Built {
        total,
        lines,
        contacts,
        without_working_contact: without,
    })
}

/// The report's contacts as CSV Excel opens as it is: UTF-8 with a BOM, CRLF, one row per
/// contact, times in JST.
pub fn csv(r: &Report) -> String {
    let jst =
        |t: &Option<DateTime<Utc>>| t.as_ref().map(crate::time::format_jst).unwrap_or_default();
    let mut out = String::from(
        "\u{feff}団体コード,団体名,宛先,種別,配信状態,配信日時(JST),不達日時(JST),不達理由,初回報告日時(JST),報告経路\r\n",
    );
    for c in &r.contacts {
        let cells = [
            c.code.clone(),
            c.organisation.clone(),
            c.email.clone(),
            c.kind.clone(),
            c.status.as_str().to_owned(),
            jst(&c.delivered_at),
            jst(&c.bounced_at),
            c.bounce.clone(),
            jst(&c.first_answer_at),
            c.channel.clone(),
        ];
        out.push_str(
            &cells
                .iter()
                .map(|s| crate::domain::text::csv_cell(s))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_90th_percentile() {
        let f = |v: Vec<i64>| Figures {
            answer_secs: v,
            ..Figures::default()
        };
        assert_eq!(f(vec![]).median_secs(), None);
        assert_eq!(f(vec![5]).median_secs(), Some(5));
        assert_eq!(f(vec![1, 3]).median_secs(), Some(2));
        assert_eq!(f(vec![1, 2, 9]).median_secs(), Some(2));
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!(f(ten).p90_secs(), Some(9));
        assert_eq!(f(vec![7]).p90_secs(), Some(7));
        assert_eq!(duration_ja(Some(3900)), "1時間05分");
        assert_eq!(duration_ja(Some(723)), "12分03秒");
        assert_eq!(duration_en(None), "—");
    }

    #[test]
    fn csv_cells_cannot_become_formulas() {
        use crate::domain::text::csv_cell;
        assert_eq!(csv_cell("=1+1"), "\"'=1+1\"");
        assert_eq!(csv_cell("a\"b"), "\"a\"\"b\"");
    }
}
