//! Acknowledgement rows and their history; the inbox query (an organisation's alerts with its
//! state) lives here because it is read through acknowledgements.

use crate::domain::ids::{AlertId, OrgId};
use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::{AckState, Channel};
use crate::audit::Actor;
use crate::db::entities::{ack_events, acknowledgements};

#[allow(clippy::too_many_arguments)]
pub async fn set(
    db: &impl ConnectionTrait,
    alert_id: AlertId,
    org_id: OrgId,
    state: AckState,
    note: Option<&str>,
    actor: &Actor,
    channel: Channel,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let actor = actor.to_string();
    acknowledgements::Entity::insert(acknowledgements::ActiveModel {
        alert_id: Set(alert_id),
        organisation_id: Set(org_id),
        state: Set(state.as_str().to_owned()),
        note: Set(note.map(str::to_owned)),
        updated_by: Set(actor.clone()),
        first_known_at: Set(now),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            acknowledgements::Column::AlertId,
            acknowledgements::Column::OrganisationId,
        ])
        .update_columns([
            acknowledgements::Column::State,
            acknowledgements::Column::Note,
            acknowledgements::Column::UpdatedBy,
            acknowledgements::Column::UpdatedAt,
        ])
        .to_owned(),
    )
    .exec_without_returning(db)
    .await
    .context("cannot record the acknowledgement")?;
    ack_events::Entity::insert(ack_events::ActiveModel {
        alert_id: Set(alert_id),
        organisation_id: Set(org_id),
        state: Set(state.as_str().to_owned()),
        note: Set(note.map(str::to_owned)),
        actor: Set(actor),
        channel: Set(channel.as_str().to_owned()),
        at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await
    .context("cannot record the acknowledgement's history")?;
    Ok(())
}

/// One organisation's current state on one alert.
#[derive(Clone, Debug)]
pub struct Ack {
    pub state: AckState,
    pub note: Option<String>,
    pub updated_by: String,
    /// When the organisation first reported any state (把握).
    pub first_known_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One state change in an organisation's history on an alert.
#[derive(Clone, Debug)]
pub struct AckEvent {
    pub state: AckState,
    pub note: Option<String>,
    /// Who: `user:<id>:<email>`, `mail-link:<id>`, `mail-reply:…`, `token:…`.
    pub actor: String,
    pub channel: Channel,
    pub at: DateTime<Utc>,
}

/// The current state of one organisation on one alert (`None`: 未確認).
pub async fn current(
    db: &impl ConnectionTrait,
    alert_id: AlertId,
    org_id: OrgId,
) -> anyhow::Result<Option<Ack>> {
    let Some(m) = acknowledgements::Entity::find_by_id((alert_id, org_id))
        .one(db)
        .await
        .context("cannot read the acknowledgement")?
    else {
        return Ok(None);
    };
    Ok(Some(Ack {
        state: AckState::stored(&m.state)?,
        note: m.note,
        updated_by: m.updated_by,
        first_known_at: m.first_known_at,
        updated_at: m.updated_at,
    }))
}

/// Every state change of one organisation on one alert, oldest first.
pub async fn history(
    db: &impl ConnectionTrait,
    alert_id: AlertId,
    org_id: OrgId,
) -> anyhow::Result<Vec<AckEvent>> {
    ack_events::Entity::find()
        .filter(ack_events::Column::AlertId.eq(alert_id))
        .filter(ack_events::Column::OrganisationId.eq(org_id))
        .order_by_asc(ack_events::Column::Id)
        .all(db)
        .await
        .context("cannot read the acknowledgement history")?
        .into_iter()
        .map(|m| {
            Ok(AckEvent {
                state: AckState::stored(&m.state)?,
                note: m.note,
                actor: m.actor,
                channel: Channel::stored(&m.channel)?,
                at: m.at,
            })
        })
        .collect()
}

/// One line of an organisation's inbox.
#[derive(Debug, Clone)]
pub struct InboxRow {
    pub alert_id: AlertId,
    pub public_id: String,
    pub status: crate::alerts::AlertStatus,
    pub title: String,
    pub severity: crate::domain::Severity,
    pub tlp: crate::domain::Tlp,
    pub drill: bool,
    pub revision: i32,
    pub published_at: DateTime<Utc>,
    pub ack_deadline: Option<DateTime<Utc>>,
    pub state: Option<AckState>,
}

/// Filters of the inbox.
#[derive(Debug, Clone, Default)]
pub struct InboxFilter {
    /// `Some(None)`: only 未確認.
    pub state: Option<Option<AckState>>,
    pub severity: Option<String>,
    /// Words that must all appear in the alert's title, body or 変更点 (folded: NFKC and lower
    /// case, so ＦｏｒｔｉＧａｔｅ finds FortiGate); see [`crate::domain::text::search_terms`].
    pub words: Vec<String>,
}

/// The alerts addressed to `org_id`, newest revision first, with the organisation's state.
pub async fn inbox(
    db: &impl ConnectionTrait,
    org_id: OrgId,
    filter: &InboxFilter,
    limit: u64,
    offset: u64,
) -> anyhow::Result<Vec<InboxRow>> {
    let backend = db.get_database_backend();
    let searching = !filter.words.is_empty();
    let mut sql = String::from(
        "SELECT al.id AS alert_id, al.public_id, al.status, r.title, r.severity, r.tlp, r.drill, \
                r.number, r.published_at, r.ack_deadline, k.state, \
                CASE WHEN $2 THEN r.body ELSE '' END AS body, \
                CASE WHEN $2 THEN COALESCE(r.changes, '') ELSE '' END AS changes \
         FROM alert_audience a \
         JOIN alerts al ON al.id = a.alert_id \
         JOIN alert_revisions r ON r.alert_id = al.id AND r.number = al.published_revision \
         LEFT JOIN acknowledgements k ON k.alert_id = a.alert_id AND k.organisation_id = a.organisation_id \
         WHERE a.organisation_id = $1",
    );
    let mut values: Vec<sea_orm::Value> = vec![org_id.into(), searching.into()];
    match &filter.state {
        Some(Some(s)) => {
            values.push(s.as_str().into());
            sql.push_str(&format!(" AND k.state = ${}", values.len()));
        }
        Some(None) => sql.push_str(" AND k.state IS NULL"),
        None => {}
    }
    if let Some(sev) = &filter.severity {
        values.push(sev.clone().into());
        sql.push_str(&format!(" AND r.severity = ${}", values.len()));
    }
    sql.push_str(" ORDER BY r.published_at DESC, al.id DESC");
    // Words are matched on the folded text (NFKC, lower case), which SQL cannot do on both
    // engines alike: a search reads the organisation's alerts and pages after matching. An
    // organisation receives a few hundred alerts a year.
    if !searching {
        sql.push_str(&format!(" LIMIT {limit} OFFSET {offset}"));
    }
    let rows = db
        .query_all_raw(crate::db::statement(backend, &sql, values))
        .await
        .context("cannot read the inbox")?;
    let matches = |r: &&sea_orm::QueryResult| -> bool {
        if !searching {
            return true;
        }
        let text = ["title", "body", "changes"]
            .iter()
            .map(|c| r.try_get::<String>("", c).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n");
        let text = crate::domain::text::fold(&text);
        filter.words.iter().all(|w| text.contains(w.as_str()))
    };
    let (skip, take) = if searching {
        (offset as usize, limit as usize)
    } else {
        (0, usize::MAX)
    };
    rows.iter()
        .filter(matches)
        .skip(skip)
        .take(take)
        .map(|r| {
            let state: Option<String> = r.try_get("", "state")?;
            let status: String = r.try_get("", "status")?;
            let severity: String = r.try_get("", "severity")?;
            let tlp: String = r.try_get("", "tlp")?;
            Ok(InboxRow {
                alert_id: r.try_get("", "alert_id")?,
                public_id: r.try_get("", "public_id")?,
                status: crate::alerts::AlertStatus::stored(&status)?,
                title: r.try_get("", "title")?,
                severity: crate::domain::Severity::stored(&severity)?,
                tlp: crate::domain::Tlp::stored(&tlp)?,
                drill: r.try_get("", "drill")?,
                revision: r.try_get("", "number")?,
                published_at: r.try_get("", "published_at")?,
                ack_deadline: r.try_get("", "ack_deadline")?,
                state: AckState::stored_opt(state.as_deref())?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()
        .context("cannot read the inbox")
}

/// The deadlines (none where none was set) of the alerts — drills included, withdrawn ones not —
/// the organisation has reported nothing on, for the inbox's 今日の確認事項.
pub async fn unacknowledged(
    db: &impl ConnectionTrait,
    org_id: OrgId,
) -> anyhow::Result<Vec<Option<DateTime<Utc>>>> {
    let backend = db.get_database_backend();
    let sql = "SELECT r.ack_deadline AS due \
               FROM alert_audience a \
               JOIN alerts al ON al.id = a.alert_id \
               JOIN alert_revisions r ON r.alert_id = al.id AND r.number = al.published_revision \
               LEFT JOIN acknowledgements k ON k.alert_id = a.alert_id AND k.organisation_id = a.organisation_id \
               WHERE a.organisation_id = $1 AND k.state IS NULL AND al.status <> $2";
    let rows = db
        .query_all_raw(crate::db::statement(
            backend,
            sql,
            vec![
                org_id.into(),
                crate::alerts::AlertStatus::Withdrawn.as_str().into(),
            ],
        ))
        .await
        .context("cannot read the unacknowledged alerts")?;
    rows.iter()
        .map(|r| Ok(r.try_get::<Option<DateTime<Utc>>>("", "due")?))
        .collect()
}

/// What an organisation's inbox depends on: the newest alert revision (every publication,
/// revision and withdrawal writes one) and the newest acknowledgement event of the organisation.
/// On PostgreSQL, where ids are handed out before commit and may land out of order, the counts
/// are part of it too.
pub type InboxEpoch = (i64, i64, i64, i64);

pub async fn inbox_epoch(db: &impl ConnectionTrait, org_id: OrgId) -> anyhow::Result<InboxEpoch> {
    let backend = db.get_database_backend();
    let sql = if crate::db::is_postgres(db) {
        "SELECT (SELECT COALESCE(MAX(id), 0) FROM alert_revisions) AS r, \
                (SELECT COUNT(*) FROM alert_revisions) AS rn, \
                (SELECT COALESCE(MAX(id), 0) FROM ack_events WHERE organisation_id = $1) AS k, \
                (SELECT COUNT(*) FROM ack_events WHERE organisation_id = $1) AS kn"
    } else {
        "SELECT (SELECT COALESCE(MAX(id), 0) FROM alert_revisions) AS r, 0 AS rn, \
                (SELECT COALESCE(MAX(id), 0) FROM ack_events WHERE organisation_id = $1) AS k, \
                0 AS kn"
    };
    let row = db
        .query_one_raw(crate::db::statement(backend, sql, vec![org_id.into()]))
        .await
        .context("cannot read the inbox's epoch")?
        .context("an aggregate returned no row")?;
    Ok((
        row.try_get("", "r")?,
        row.try_get("", "rn")?,
        row.try_get("", "k")?,
        row.try_get("", "kn")?,
    ))
}

/// One addressed organisation on an alert's board.
#[derive(Debug, Clone)]
pub struct BoardRow {
    pub org_id: OrgId,
    pub code: String,
    pub name: String,
    pub kind: String,
    /// Prefecture number (13 = 東京都); none for central bodies.
    pub prefecture: Option<i16>,
    pub parent_id: Option<OrgId>,
    pub state: Option<AckState>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// Every organisation the alert is addressed to, by organisation code, with its state.
pub async fn board(db: &impl ConnectionTrait, alert_id: AlertId) -> anyhow::Result<Vec<BoardRow>> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(crate::db::statement(
            backend,
            "SELECT o.id, o.code, o.name, o.kind, o.prefecture, o.parent_id, k.state, k.updated_at \
             FROM alert_audience a JOIN organisations o ON o.id = a.organisation_id \
             LEFT JOIN acknowledgements k ON k.alert_id = a.alert_id AND k.organisation_id = a.organisation_id \
             WHERE a.alert_id = $1 ORDER BY o.code",
            vec![alert_id.into()],
        ))
        .await
        .context("cannot read the board")?;
    rows.iter()
        .map(|r| {
            let state: Option<String> = r.try_get("", "state")?;
            Ok(BoardRow {
                org_id: r.try_get("", "id")?,
                code: r.try_get("", "code")?,
                name: r.try_get("", "name")?,
                kind: r.try_get("", "kind")?,
                prefecture: r.try_get("", "prefecture")?,
                parent_id: r.try_get("", "parent_id")?,
                state: AckState::stored_opt(state.as_deref())?,
                updated_at: r.try_get("", "updated_at")?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()
        .context("cannot read the board")
}

/// When each organisation of an alert first made its state known, and, for those whose state is
/// 対応完了 now, when they first reported it.
/// Each organisation's first answer to an alert: when, and by which channel.
pub async fn first_answers(
    db: &impl ConnectionTrait,
    alert_id: AlertId,
) -> anyhow::Result<std::collections::HashMap<OrgId, (DateTime<Utc>, String)>> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(crate::db::statement(
            backend,
            "SELECT organisation_id, at, channel FROM ack_events WHERE alert_id = $1 \
             ORDER BY organisation_id, at, id",
            vec![alert_id.into()],
        ))
        .await
        .context("cannot read the acknowledgement events")?;
    let mut out = std::collections::HashMap::new();
    for r in &rows {
        let org: OrgId = r.try_get("", "organisation_id")?;
        if let std::collections::hash_map::Entry::Vacant(e) = out.entry(org) {
            e.insert((r.try_get("", "at")?, r.try_get("", "channel")?));
        }
    }
    Ok(out)
}

pub async fn timeline(
    db: &impl ConnectionTrait,
    alert_id: AlertId,
) -> anyhow::Result<Vec<(OrgId, DateTime<Utc>, Option<DateTime<Utc>>)>> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(crate::db::statement(
            backend,
            "SELECT k.organisation_id, k.first_known_at, \
                    CASE WHEN k.state = 'done' THEN (SELECT MIN(e.at) FROM ack_events e \
                      WHERE e.alert_id = k.alert_id AND e.organisation_id = k.organisation_id \
                        AND e.state = 'done') END AS done_at \
             FROM acknowledgements k WHERE k.alert_id = $1",
            vec![alert_id.into()],
        ))
        .await
        .context("cannot read the acknowledgement timeline")?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("", "organisation_id")?,
                r.try_get("", "first_known_at")?,
                r.try_get("", "done_at")?,
            ))
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()
        .context("cannot read the acknowledgement timeline")
}

/// Acknowledgement counts over every real alert (never drills) first published since `since`
/// that asked for acknowledgement, per prefecture number; optionally one prefecture only.
/// Also returns how many real alerts and how many drills the period holds.
pub async fn period_tallies(
    db: &impl ConnectionTrait,
    since: DateTime<Utc>,
    prefecture: Option<i16>,
) -> anyhow::Result<(
    std::collections::BTreeMap<i16, super::board::Tally>,
    u64,
    u64,
)> {
    tallies_between(db, since, None, prefecture).await
}

/// [`period_tallies`] for alerts first published from `since` and before `until` (a 年度).
pub async fn tallies_between(
    db: &impl ConnectionTrait,
    since: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
    prefecture: Option<i16>,
) -> anyhow::Result<(
    std::collections::BTreeMap<i16, super::board::Tally>,
    u64,
    u64,
)> {
    let backend = db.get_database_backend();
    let mut sql = String::from(
        "SELECT o.prefecture AS prefecture, k.state AS state, COUNT(*) AS n \
         FROM alert_audience a \
         JOIN alerts al ON al.id = a.alert_id \
         JOIN alert_revisions r ON r.alert_id = al.id AND r.number = 1 \
         JOIN organisations o ON o.id = a.organisation_id \
         LEFT JOIN acknowledgements k ON k.alert_id = a.alert_id AND k.organisation_id = a.organisation_id \
         WHERE al.status = 'published' AND al.drill = $1 AND al.ack_required = $2 \
           AND r.published_at >= $3 AND o.prefecture IS NOT NULL",
    );
    // A far date both databases compare as a time (SQLite compares the stored text, and a
    // signed year such as chrono's maximum would sort before every real one).
    let until = until.unwrap_or_else(|| {
        chrono::TimeZone::with_ymd_and_hms(&Utc, 9999, 12, 31, 0, 0, 0)
            .single()
            .unwrap_or(since)
    });
    let mut values: Vec<sea_orm::Value> =
        vec![false.into(), true.into(), since.into(), until.into()];
    sql.push_str(" AND r.published_at < $4");
    if let Some(p) = prefecture {
        values.push(p.into());
        sql.push_str(" AND o.prefecture = $5");
    }
    sql.push_str(" GROUP BY o.prefecture, k.state");
    let rows = db
        .query_all_raw(crate::db::statement(backend, &sql, values))
        .await
        .context("cannot count acknowledgements")?;
    let mut out: std::collections::BTreeMap<i16, super::board::Tally> = Default::default();
    for r in &rows {
        let p: i16 = r.try_get("", "prefecture")?;
        let state: Option<String> = r.try_get("", "state")?;
        let n: i64 = r.try_get("", "n")?;
        let state = AckState::stored_opt(state.as_deref())?;
        out.entry(p)
            .or_default()
            .add_n(state, u64::try_from(n).unwrap_or(0));
    }
    let counts = db
        .query_all_raw(crate::db::statement(
            backend,
            "SELECT al.drill AS drill, COUNT(*) AS n FROM alerts al \
             JOIN alert_revisions r ON r.alert_id = al.id AND r.number = 1 \
             WHERE al.status = 'published' AND al.ack_required = $1 AND r.published_at >= $2 \
               AND r.published_at < $3 \
             GROUP BY al.drill",
            vec![true.into(), since.into(), until.into()],
        ))
        .await
        .context("cannot count alerts")?;
    let (mut real, mut drills) = (0, 0);
    for r in &counts {
        let drill: bool = r.try_get("", "drill")?;
        let n: i64 = r.try_get("", "n")?;
        if drill {
            drills = n as u64;
        } else {
            real = n as u64;
        }
    }
    Ok((out, real, drills))
}
