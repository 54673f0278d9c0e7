//! One organisation's 年度 report card: the alerts addressed to it and how it answered (把握率,
//! 実施率, its grade, the median time to its first answer), its drills (answered, and how fast),
//! its incident reports and its survey scores. The organisation, its prefecture's staff and
//! central staff see it; mailed to the organisation's contacts on request.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use crate::acks::AckState;
use crate::acks::board::Tally;
use crate::domain::grade::Grade;
use crate::registry::Organisation;

#[derive(Clone, Debug)]
pub struct DrillLine {
    pub public_id: String,
    pub title: String,
    pub answered_hours: Option<f64>,
}

/// Who reads a card: the organisation itself (and central staff, and its own contacts by mail),
/// or its prefecture's staff, who see only what a prefecture may be told about one of its
/// municipalities (`Tlp::prefecture_may_relay`): AMBER+STRICT and RED alerts, drills and
/// reports are left out and counted as withheld.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardReader {
    Own,
    Prefecture,
}

#[derive(Clone, Debug)]
pub struct Card {
    pub fiscal_year: i32,
    pub org: Organisation,
    /// Real alerts that asked for acknowledgement.
    pub tally: Tally,
    pub alerts: u64,
    pub median_answer_hours: Option<f64>,
    pub drills: Vec<DrillLine>,
    pub reports: u64,
    /// (title, 総合評価) of the surveys of the 年度 it was asked.
    pub surveys: Vec<(String, Option<f64>)>,
    /// Alerts, drills and reports this reader may not be told of.
    pub withheld: u64,
}

impl Card {
    /// The grade of its 実施率 (the boards' bounds).
    pub fn grade(&self) -> Option<Grade> {
        Grade::of(self.tally.completion())
    }
}

/// The card of `org` for `fiscal_year` as `reader` may see it. Titles are those that went out
/// (the latest published revision), never an edit waiting for approval.
pub async fn build(
    db: &impl ConnectionTrait,
    org: &Organisation,
    fiscal_year: i32,
    reader: CardReader,
) -> anyhow::Result<Card> {
    let (from, to) = crate::time::fiscal_bounds(fiscal_year);
    let rows = db
        .query_all_raw(crate::db::statement(
            db.get_database_backend(),
            "SELECT al.drill AS drill, al.ack_required AS ack, al.public_id AS public_id, lr.title AS title, \
                    lr.tlp AS tlp, r.published_at AS published_at, k.state AS state, k.first_known_at AS known \
             FROM alert_audience a \
             JOIN alerts al ON al.id = a.alert_id \
             JOIN alert_revisions r ON r.alert_id = al.id AND r.number = 1 \
             JOIN alert_revisions lr ON lr.alert_id = al.id AND lr.number = al.published_revision \
             LEFT JOIN acknowledgements k ON k.alert_id = al.id AND k.organisation_id = a.organisation_id \
             WHERE a.organisation_id = $1 AND r.published_at >= $2 AND r.published_at < $3 \
             ORDER BY r.published_at",
            vec![org.id.into(), from.into(), to.into()],
        ))
        .await
        .context("cannot read the organisation's year")?;
    let mut card = Card {
        fiscal_year,
        org: org.clone(),
        tally: Tally::default(),
        alerts: 0,
        median_answer_hours: None,
        drills: Vec::new(),
        reports: 0,
        surveys: Vec::new(),
        withheld: 0,
    };
    let mut answers = Vec::new();
    for r in rows {
        let tlp = crate::domain::Tlp::stored(&r.try_get::<String>("", "tlp")?)?;
        if reader == CardReader::Prefecture && !tlp.prefecture_may_relay() {
            card.withheld += 1;
            continue;
        }
        let drill: bool = r.try_get("", "drill")?;
        let published: DateTime<Utc> = r.try_get("", "published_at")?;
        let known: Option<DateTime<Utc>> = r.try_get("", "known")?;
        let state: Option<String> = r.try_get("", "state")?;
        let hours = known.map(|k| (k - published).num_seconds().max(0) as f64 / 3600.0);
        if drill {
            card.drills.push(DrillLine {
                public_id: r
                    .try_get::<Option<String>>("", "public_id")?
                    .unwrap_or_default(),
                title: r.try_get("", "title")?,
                answered_hours: hours,
            });
            continue;
        }
        card.alerts += 1;
        if r.try_get::<bool>("", "ack")? {
            card.tally.add(AckState::stored_opt(state.as_deref())?);
            if let Some(h) = hours {
                answers.push(h);
            }
        }
    }
    answers.sort_by(|a, b| a.total_cmp(b));
    card.median_answer_hours = answers
        .get(answers.len().saturating_sub(1) / 2)
        .copied()
        .filter(|_| !answers.is_empty());
    let own = crate::registry::Caller::new(org, None);
    for r in crate::reports::store::list(
        db,
        &own,
        crate::reports::store::ListFilter {
            fiscal_year: Some(fiscal_year),
            ..Default::default()
        },
    )
    .await?
    .iter()
    .filter(|r| r.org_id == org.id)
    {
        if reader == CardReader::Prefecture && !r.tlp.prefecture_may_relay() {
            card.withheld += 1;
        } else {
            card.reports += 1;
        }
    }
    for id in crate::surveys::store::addressed_to(db, org.id).await? {
        let Some(s) = crate::surveys::store::get(db, id).await? else {
            continue;
        };
        if s.published_at.is_none_or(|p| p < from || p >= to) {
            continue;
        }
        let own = crate::surveys::store::answer(db, s.id, org.id).await?;
        let score = own
            .filter(|a| a.submitted)
            .and_then(|a| crate::surveys::score::score(&s.definition, &a.answers).overall);
        card.surveys.push((s.title.clone(), score));
    }
    Ok(card)
}

/// The card as plain text (the mail).
pub fn text(card: &Card) -> String {
    let mut out = format!(
        "{} {}年度 報告カード\n\n注意喚起（訓練を除く）: {} 件\n把握率: {}　実施率: {}（{}）\n最初の報告までの時間（中央値）: {}\n",
        card.org.full_name(),
        card.fiscal_year,
        card.alerts,
        card.tally.grasp().percent(),
        card.tally.completion().percent(),
        card.grade().map_or("—", |g| g.as_str()),
        card.median_answer_hours
            .map_or("—".into(), |h| format!("{h:.1} 時間")),
    );
    out.push_str(&format!("\n訓練: {} 回\n", card.drills.len()));
    for d in &card.drills {
        out.push_str(&format!(
            "  {} {}: {}\n",
            d.public_id,
            d.title,
            d.answered_hours
                .map_or("応答なし".into(), |h| format!("{h:.1} 時間で応答"))
        ));
    }
    out.push_str(&format!("\n障害・事故等報告: {} 件\n", card.reports));
    if card.withheld > 0 {
        out.push_str(&format!(
            "（ほかに {} 件は、団体のみが読める区分のため表示していません。）\n",
            card.withheld
        ));
    }
    if !card.surveys.is_empty() {
        out.push_str("\n調査・点検\n");
        for (t, s) in &card.surveys {
            out.push_str(&format!("  {t}: {}\n", crate::surveys::score::percent(*s)));
        }
    }
    out
}
