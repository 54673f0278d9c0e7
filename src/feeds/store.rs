//! What a feed holds, read in one query per scope: the current revision of every published alert
//! the scope may see. The fingerprint (for `ETag` and `Last-Modified`) aggregates the very same
//! rows, so it changes exactly when the feed would.

use crate::domain::ids::AlertId;
use crate::domain::ids::OrgId;
use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, Value};

use crate::classify::model::Category;
use crate::domain::{Severity, Tlp};

/// Entries per feed: the newest this many alerts.
pub const MAX_ENTRIES: u64 = 500;

/// Whose feed (or API listing).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FeedScope {
    /// Every published alert: central staff only, through the API.
    All,
    /// Anyone: TLP:CLEAR alerts that are not drills.
    Public,
    /// What is addressed to one organisation, drills included.
    Organisation(OrgId),
    /// What is addressed to a prefecture or to any of its municipalities, drills included.
    Prefecture(OrgId),
}

impl FeedScope {
    pub fn key(self) -> String {
        match self {
            Self::All => "all".into(),
            Self::Public => "public".into(),
            Self::Organisation(id) => format!("org:{id}"),
            Self::Prefecture(id) => format!("pref:{id}"),
        }
    }
}

/// Query-parameter filters of a feed (and of the API's alert list, which has more).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct FeedFilter {
    pub category: Option<Category>,
    pub min_severity: Option<Severity>,
    /// Only drills (`true`) or only real alerts (`false`).
    pub drill: Option<bool>,
    /// One organisation's acknowledgement state: `(org, None)` is 未確認.
    pub ack_state: Option<(OrgId, Option<crate::acks::AckState>)>,
    /// Only alerts whose current revision is newer than this.
    pub updated_since: Option<DateTime<Utc>>,
    /// Only this alert.
    pub alert: Option<AlertId>,
}

impl FeedFilter {
    pub fn key(&self) -> String {
        format!(
            "{}|{}|{:?}|{:?}|{:?}",
            self.category.map_or("", Category::as_str),
            self.min_severity.map_or("", Severity::as_str),
            self.drill,
            self.ack_state.map(|(o, s)| (o, s.map(|s| s.as_str()))),
            self.updated_since.map(|t| t.timestamp_micros()),
        ) + &self.alert.map(|a| format!("|{a}")).unwrap_or_default()
    }
}

/// One alert as a feed carries it: its current revision.
#[derive(Clone, Debug)]
pub struct Entry {
    pub alert_id: AlertId,
    pub public_id: String,
    pub withdrawn: bool,
    /// 1 for 第1報 …
    pub revision: i32,
    pub title: String,
    pub body: String,
    /// What the latest revision changed, as its author wrote it.
    pub changes: Option<String>,
    pub severity: Severity,
    pub tlp: Tlp,
    pub categories: Vec<Category>,
    pub drill: bool,
    pub ack_deadline: Option<DateTime<Utc>>,
    /// When 第1報 was published.
    pub published_at: DateTime<Utc>,
    /// When the current revision was published.
    pub updated_at: DateTime<Utc>,
    pub cve_ids: Vec<String>,
}

/// What identifies a feed's content: the set of current revisions it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fingerprint {
    pub count: i64,
    pub last_revision: i64,
    pub revision_sum: i64,
    pub last_modified: Option<DateTime<Utc>>,
}

/// `FROM … WHERE …` of a scope and its filters; pushes the values it binds.
fn scope_sql(scope: FeedScope, filter: &FeedFilter, values: &mut Vec<Value>) -> String {
    let mut sql = String::from(
        " FROM alerts al \
          JOIN alert_revisions r ON r.alert_id = al.id AND r.number = al.published_revision \
          WHERE al.public_id IS NOT NULL",
    );
    match scope {
        FeedScope::All => {}
        FeedScope::Public => {
            values.push(Tlp::Clear.as_str().into());
            sql.push_str(&format!(
                " AND r.tlp = ${} AND r.drill = FALSE",
                values.len()
            ));
        }
        FeedScope::Organisation(org) => {
            values.push(org.into());
            sql.push_str(&format!(
                " AND al.id IN (SELECT a.alert_id FROM alert_audience a WHERE a.organisation_id = ${})",
                values.len()
            ));
        }
        FeedScope::Prefecture(org) => {
            // The rule of `alerts::access::org_may_view`: its own alerts, and its
            // municipalities' unless marked AMBER+STRICT or RED.
            values.push(org.into());
            let n = values.len();
            let mut marks = Vec::new();
            for t in Tlp::RELAYED_TO_PREFECTURES {
                values.push(t.into());
                marks.push(format!("${}", values.len()));
            }
            sql.push_str(&format!(
                " AND (al.id IN (SELECT a.alert_id FROM alert_audience a WHERE a.organisation_id = ${n}) \
                  OR (r.tlp IN ({}) AND al.id IN (SELECT a.alert_id FROM alert_audience a \
                      JOIN organisations o ON o.id = a.organisation_id WHERE o.parent_id = ${n})))",
                marks.join(", ")
            ));
        }
    }
    if let Some(c) = filter.category {
        // Categories are stored as a JSON array of ids: `["vulnerability","malware"]`.
        values.push(format!("%\"{}\"%", c.as_str()).into());
        sql.push_str(&format!(" AND r.categories LIKE ${}", values.len()));
    }
    if let Some(min) = filter.min_severity {
        let allowed: Vec<String> = Severity::ALL
            .iter()
            .filter(|s| **s >= min)
            .map(|s| {
                values.push(s.as_str().into());
                format!("${}", values.len())
            })
            .collect();
        sql.push_str(&format!(" AND r.severity IN ({})", allowed.join(", ")));
    }
    if let Some(d) = filter.drill {
        sql.push_str(if d {
            " AND r.drill = TRUE"
        } else {
            " AND r.drill = FALSE"
        });
    }
    if let Some((org, state)) = filter.ack_state {
        values.push(org.into());
        let own = format!(
            "(SELECT k.state FROM acknowledgements k WHERE k.alert_id = al.id AND k.organisation_id = ${})",
            values.len()
        );
        match state {
            None => sql.push_str(&format!(" AND {own} IS NULL")),
            Some(s) => {
                values.push(s.as_str().into());
                sql.push_str(&format!(" AND {own} = ${}", values.len()));
            }
        }
    }
    if let Some(a) = filter.alert {
        values.push(a.into());
        sql.push_str(&format!(" AND al.id = ${}", values.len()));
    }
    if let Some(t) = filter.updated_since {
        values.push(t.into());
        sql.push_str(&format!(" AND r.published_at > ${}", values.len()));
    }
    sql
}

/// The newest revision's id and (on PostgreSQL) the number of revisions.
pub type Epoch = (i64, i64);

/// What changes whenever any feed's content may have changed: every such change writes an
/// alert revision. On SQLite (one writer at a time, ids in commit order) the newest revision's id
/// says it; on PostgreSQL a transaction holding a lower id may commit after a higher one, so the
/// number of revisions is part of it too.
pub async fn epoch(db: &impl ConnectionTrait) -> anyhow::Result<Epoch> {
    let backend = db.get_database_backend();
    let sql = if crate::db::is_postgres(db) {
        "SELECT COALESCE(MAX(id), 0) AS last, COUNT(*) AS n FROM alert_revisions"
    } else {
        "SELECT COALESCE(MAX(id), 0) AS last, 0 AS n FROM alert_revisions"
    };
    let row = db
        .query_one_raw(crate::db::statement(backend, sql, vec![]))
        .await
        .context("cannot read the newest revision")?
        .context("an aggregate returned no row")?;
    Ok((row.try_get("", "last")?, row.try_get("", "n")?))
}

/// The fingerprint of a feed: one aggregate over the rows the feed would hold.
pub async fn fingerprint(
    db: &impl ConnectionTrait,
    scope: FeedScope,
    filter: &FeedFilter,
) -> anyhow::Result<Fingerprint> {
    let backend = db.get_database_backend();
    let mut values = Vec::new();
    let from = scope_sql(scope, filter, &mut values);
    let sql = format!(
        "SELECT COUNT(*) AS n, COALESCE(MAX(r.id), 0) AS last_rev, CAST(COALESCE(SUM(r.id), 0) AS BIGINT) AS rev_sum, \
                MAX(r.published_at) AS last_at{from}"
    );
    let row = db
        .query_one_raw(crate::db::statement(backend, &sql, values))
        .await
        .context("cannot read the feed's state")?
        .context("an aggregate returned no row")?;
    let count: i64 = row.try_get("", "n")?;
    let last_revision: i64 = row.try_get("", "last_rev")?;
    // SUM over BIGINT is NUMERIC on PostgreSQL: hence the cast in the query.
    let revision_sum: i64 = row.try_get("", "rev_sum")?;
    let last_modified = match row.try_get::<Option<DateTime<Utc>>>("", "last_at") {
        Ok(v) => v,
        Err(_) => row
            .try_get::<Option<String>>("", "last_at")?
            .and_then(|s| crate::db::parse_sqlite_time(&s)),
    };
    Ok(Fingerprint {
        count,
        last_revision,
        revision_sum,
        last_modified,
    })
}

/// The newest [`MAX_ENTRIES`] entries of a feed, newest revision first.
pub async fn entries(
    db: &impl ConnectionTrait,
    scope: FeedScope,
    filter: &FeedFilter,
) -> anyhow::Result<Vec<Entry>> {
    page(db, scope, filter, None, MAX_ENTRIES).await
}

/// One published alert as an entry, whoever may see it (check access first).
pub async fn one(db: &impl ConnectionTrait, alert_id: AlertId) -> anyhow::Result<Option<Entry>> {
    let filter = FeedFilter {
        alert: Some(alert_id),
        ..FeedFilter::default()
    };
    Ok(page(db, FeedScope::All, &filter, None, 1).await?.pop())
}

/// Where a page starts: after the entry updated at this time with this alert id.
pub type Cursor = (DateTime<Utc>, AlertId);

/// Up to `limit` entries after `after`, newest revision first (ties broken by alert id).
pub async fn page(
    db: &impl ConnectionTrait,
    scope: FeedScope,
    filter: &FeedFilter,
    after: Option<Cursor>,
    limit: u64,
) -> anyhow::Result<Vec<Entry>> {
    let backend = db.get_database_backend();
    let mut values = Vec::new();
    let mut from = scope_sql(scope, filter, &mut values);
    if let Some((t, id)) = after {
        values.push(t.into());
        let t = values.len();
        values.push(id.into());
        let id = values.len();
        from.push_str(&format!(
            " AND (r.published_at < ${t} OR (r.published_at = ${t} AND al.id < ${id}))"
        ));
    }
    let sql = format!(
        "SELECT al.id AS alert_id, al.public_id, al.status, r.number, r.title, r.body, r.changes, \
                r.severity, r.tlp, r.categories, r.drill, r.ack_deadline, r.published_at, \
                (SELECT f.published_at FROM alert_revisions f WHERE f.alert_id = al.id AND f.number = 1) AS first_at\
         {from} ORDER BY r.published_at DESC, al.id DESC LIMIT {limit}"
    );
    let rows = db
        .query_all_raw(crate::db::statement(backend, &sql, values))
        .await
        .context("cannot read the feed")?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let status: String = r.try_get("", "status")?;
        let severity: String = r.try_get("", "severity")?;
        let tlp: String = r.try_get("", "tlp")?;
        let categories: String = r.try_get("", "categories")?;
        let updated_at: DateTime<Utc> = r.try_get("", "published_at")?;
        let first_at: Option<DateTime<Utc>> = r.try_get("", "first_at")?;
        out.push(Entry {
            alert_id: r.try_get("", "alert_id")?,
            public_id: r.try_get("", "public_id")?,
            withdrawn: status == crate::alerts::AlertStatus::Withdrawn.as_str(),
            revision: r.try_get("", "number")?,
            title: r.try_get("", "title")?,
            body: r.try_get("", "body")?,
            changes: r.try_get("", "changes")?,
            severity: Severity::stored(&severity)?,
            tlp: Tlp::stored(&tlp)?,
            categories: serde_json::from_str(&categories).unwrap_or_default(),
            drill: r.try_get("", "drill")?,
            ack_deadline: r.try_get("", "ack_deadline")?,
            published_at: first_at.unwrap_or(updated_at),
            updated_at,
            cve_ids: Vec::new(),
        });
    }
    attach_cves(db, &mut out).await?;
    Ok(out)
}

/// Fills in the CVE ids of the advisories behind each entry, leaving out those of advisories
/// marked stricter than the entry (`alerts::shown_under`): an AMBER notice's embargoed CVE
/// never reaches a CLEAR feed.
async fn attach_cves(db: &impl ConnectionTrait, entries: &mut [Entry]) -> anyhow::Result<()> {
    let backend = db.get_database_backend();
    let mut by_alert: std::collections::HashMap<AlertId, Vec<String>> = Default::default();
    let ids: Vec<AlertId> = entries.iter().map(|e| e.alert_id).collect();
    let tlp_of: std::collections::HashMap<AlertId, Tlp> =
        entries.iter().map(|e| (e.alert_id, e.tlp)).collect();
    for chunk in ids.chunks(250) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT aa.alert_id, ad.cve_ids, ad.tlp FROM alert_advisories aa \
             JOIN advisories ad ON ad.id = aa.advisory_id \
             WHERE aa.alert_id IN ({}) ORDER BY aa.alert_id, aa.advisory_id",
            marks.join(", ")
        );
        let values = chunk.iter().map(|id| Value::from(*id)).collect();
        let rows = db
            .query_all_raw(crate::db::statement(backend, &sql, values))
            .await
            .context("cannot read the CVE ids of the feed's alerts")?;
        for r in rows {
            let alert: AlertId = r.try_get("", "alert_id")?;
            let cves: String = r.try_get("", "cve_ids")?;
            let marked: Option<String> = r.try_get("", "tlp")?;
            let shown = tlp_of
                .get(&alert)
                .is_some_and(|t| crate::alerts::shown_under(marked.as_deref(), *t));
            if !shown {
                continue;
            }
            let list = by_alert.entry(alert).or_default();
            for c in serde_json::from_str::<Vec<String>>(&cves).unwrap_or_default() {
                if !list.contains(&c) {
                    list.push(c);
                }
            }
        }
    }
    for e in entries {
        if let Some(c) = by_alert.remove(&e.alert_id) {
            e.cve_ids = c;
        }
    }
    Ok(())
}
