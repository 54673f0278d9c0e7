//! 年間予定: one organisation's year (a 年度, April–March, JST) as dates — the surveys addressed
//! to it (sent, due), the alerts and drills it received with their deadlines, and the fixed days
//! of the year (情報セキュリティの日, 2月2日, seed 003:94; 年末年始, when deadlines counted in
//! 開庁日 stop) — for a page and an iCalendar feed (RFC 5545) a calendar program subscribes to.
//! A read model over the stores of surveys and acks; owns nothing.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::ConnectionTrait;

use crate::acks::store::{InboxFilter, inbox};
use crate::registry::Organisation;

crate::string_enum! {
    /// What a day holds.
    pub enum Kind ("calendar event kind") {
        /// A survey the organisation is asked to answer: sent.
        SurveySent = "survey-sent",
        /// A survey's deadline.
        SurveyDue = "survey-due",
        /// A 訓練 the organisation received.
        Drill = "drill",
        /// The deadline to acknowledge an alert (or a drill).
        AckDue = "ack-due",
        /// A day of the year that is the same every year.
        Fixed = "fixed",
    }
}

impl Kind {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::SurveySent => "調査の依頼",
            Self::SurveyDue => "調査の回答期限",
            Self::Drill => "訓練",
            Self::AckDue => "対応期限",
            Self::Fixed => "年中行事",
        }
    }
}

/// When an event is: a moment, or a whole day (or days) in JST.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum When {
    At(DateTime<Utc>),
    Days(NaiveDate, NaiveDate),
}

impl When {
    /// The day it falls on (its first), in JST.
    pub fn day(&self) -> NaiveDate {
        match self {
            Self::At(t) => t.with_timezone(&crate::time::jst_offset()).date_naive(),
            Self::Days(d, _) => *d,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Event {
    pub when: When,
    pub kind: Kind,
    pub title: String,
    /// The portal path it is about.
    pub path: Option<String>,
    /// Unique and stable across reads, for calendar programs (`UID`).
    pub uid: String,
}

/// The days that come back every year: 情報セキュリティの日 (2月2日) and 年末年始 (12/29–1/3).
fn fixed(fy: i32) -> Vec<Event> {
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default();
    vec![
        Event {
            when: When::Days(d(fy, 12, 29), d(fy + 1, 1, 3)),
            kind: Kind::Fixed,
            title: "年末年始（閉庁。開庁日で数える期限は進みません）".into(),
            path: None,
            uid: format!("year-end-{fy}"),
        },
        Event {
            when: When::Days(d(fy + 1, 2, 2), d(fy + 1, 2, 2)),
            kind: Kind::Fixed,
            title: "情報セキュリティの日".into(),
            path: None,
            uid: format!("security-day-{}", fy + 1),
        },
    ]
}

/// The organisation's year, in date order.
pub async fn events(
    db: &impl ConnectionTrait,
    org: &Organisation,
    fy: i32,
) -> anyhow::Result<Vec<Event>> {
    let (from, to) = crate::time::fiscal_bounds(fy);
    let within = |t: &DateTime<Utc>| *t >= from && *t < to;
    let mut out = fixed(fy);
    for id in crate::surveys::store::addressed_to(db, org.id).await? {
        let Some(s) = crate::surveys::store::get(db, id).await? else {
            continue;
        };
        let Some(sent) = s.published_at else {
            continue;
        };
        let path = Some(format!("/surveys/{id}"));
        if within(&sent) {
            out.push(Event {
                when: When::At(sent),
                kind: Kind::SurveySent,
                title: s.title.clone(),
                path: path.clone(),
                uid: format!("survey-{id}-sent"),
            });
        }
        if within(&s.deadline) {
            out.push(Event {
                when: When::At(s.deadline),
                kind: Kind::SurveyDue,
                title: s.title.clone(),
                path,
                uid: format!("survey-{id}-due"),
            });
        }
    }
    // Every alert the organisation received (an organisation receives a few hundred a year).
    for a in inbox(db, org.id, &InboxFilter::default(), 100_000, 0).await? {
        let path = Some(format!("/alerts/{}", a.public_id));
        if a.drill && within(&a.published_at) {
            out.push(Event {
                when: When::At(a.published_at),
                kind: Kind::Drill,
                title: a.title.clone(),
                path: path.clone(),
                uid: format!("alert-{}-drill", a.public_id),
            });
        }
        if let Some(due) = a.ack_deadline.filter(within) {
            out.push(Event {
                when: When::At(due),
                kind: Kind::AckDue,
                title: a.title.clone(),
                path,
                uid: format!("alert-{}-due", a.public_id),
            });
        }
    }
    out.sort_by_key(|e| match &e.when {
        When::At(t) => (
            t.with_timezone(&crate::time::jst_offset()).naive_local(),
            e.uid.clone(),
        ),
        When::Days(d, _) => (d.and_hms_opt(0, 0, 0).unwrap_or_default(), e.uid.clone()),
    });
    Ok(out)
}

/// Text as an iCalendar value: backslash, semicolon, comma and newline escaped.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace("\r\n", "\\n")
        .replace('\n', "\\n")
}

/// One content line folded at 75 octets (RFC 5545 §3.1), never inside a character.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for ch in line.chars() {
        let n = ch.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(ch);
        width += n;
    }
    out.push_str("\r\n");
}

/// The events as an iCalendar document (`text/calendar`): UTC times, all-day events as dates.
pub fn ical(
    name: &str,
    base_url: &str,
    host: &str,
    events: &[Event],
    now: DateTime<Utc>,
) -> String {
    let mut out = String::new();
    let stamp = now.format("%Y%m%dT%H%M%SZ").to_string();
    for l in [
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Noroshi//年間予定//JA".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        format!("X-WR-CALNAME:{}", escape(name)),
        "X-WR-TIMEZONE:Asia/Tokyo".to_owned(),
    ] {
        fold(&l, &mut out);
    }
    for e in events {
        let mut lines = vec![
            "BEGIN:VEVENT".to_owned(),
            format!("UID:{}@{host}", e.uid),
            format!("DTSTAMP:{stamp}"),
        ];
        match &e.when {
            When::At(t) => {
                lines.push(format!("DTSTART:{}", t.format("%Y%m%dT%H%M%SZ")));
                lines.push(format!("DTEND:{}", t.format("%Y%m%dT%H%M%SZ")));
            }
            When::Days(a, b) => {
                lines.push(format!("DTSTART;VALUE=DATE:{}", a.format("%Y%m%d")));
                let end = b.succ_opt().unwrap_or(*b);
                lines.push(format!("DTEND;VALUE=DATE:{}", end.format("%Y%m%d")));
            }
        }
        lines.push(format!(
            "SUMMARY:{}",
            escape(&format!("【{}】{}", e.kind.label_ja(), e.title))
        ));
        lines.push(format!("CATEGORIES:{}", e.kind.as_str()));
        if let Some(p) = &e.path {
            lines.push(format!("URL:{}{}", base_url.trim_end_matches('/'), p));
        }
        lines.push("END:VEVENT".to_owned());
        for l in lines {
            fold(&l, &mut out);
        }
    }
    fold("END:VCALENDAR", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_fold_at_75_octets_without_splitting_a_character_and_text_is_escaped() {
        let mut out = String::new();
        fold(&format!("SUMMARY:{}", "情".repeat(40)), &mut out);
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{l}");
        }
        assert_eq!(
            out.replace("\r\n ", ""),
            format!("SUMMARY:{}\r\n", "情".repeat(40))
        );
        assert_eq!(escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
        let fy = fixed(2026);
        assert_eq!(
            fy[1].when.day(),
            NaiveDate::from_ymd_opt(2027, 2, 2).unwrap()
        );
    }
}
