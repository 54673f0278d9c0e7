//! 照会: questions and answers (`004:617–621`). Any organisation asks — in the portal, about an
//! alert (a drill too), a report, a survey or in general, or by replying to a mail with words
//! that are not an acknowledgement — and the question goes to the desk that sent what it is
//! about: a prefecture for its own alerts, drills and surveys, the centre otherwise. The desk
//! answers in the portal; the answer is mailed to the address that asked. An answered question
//! can be published, anonymised, as a よくある質問 entry every signed-in organisation reads, and
//! one left unanswered too long is escalated ([`act::escalate`]).
//!
//! Owns `inquiries` and `inquiry_messages`; mails through [`crate::notices`]. Who may read and
//! answer is decided here, once ([`may_read`], [`is_desk`]).

pub mod act;
pub mod mail;
pub mod store;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use crate::domain::ids::InquiryId;
use crate::domain::ids::{AlertId, ReportId, SurveyId};
use crate::registry::Caller;
use crate::registry::OrgId;

/// What a question is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum About {
    /// An alert or a drill.
    Alert(AlertId),
    Report(ReportId),
    Survey(SurveyId),
    General,
}

impl About {
    pub fn kind(self) -> &'static str {
        match self {
            Self::Alert(_) => "alert",
            Self::Report(_) => "report",
            Self::Survey(_) => "survey",
            Self::General => "general",
        }
    }

    pub fn id(self) -> Option<i64> {
        match self {
            Self::Alert(a) => Some(a.0),
            Self::Report(r) => Some(r.0),
            Self::Survey(s) => Some(s.0),
            Self::General => None,
        }
    }

    /// `alert:7`, `report:3`, `survey:2`, `general` (a form's value).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if s.is_empty() || s == "general" {
            return Some(Self::General);
        }
        let (kind, id) = s.split_once(':')?;
        let id: i64 = id.trim().parse().ok().filter(|n| *n > 0)?;
        match kind {
            "alert" => Some(Self::Alert(AlertId(id))),
            "report" => Some(Self::Report(ReportId(id))),
            "survey" => Some(Self::Survey(SurveyId(id))),
            _ => None,
        }
    }

    pub fn stored(kind: &str, id: Option<i64>) -> anyhow::Result<Self> {
        match (kind, id) {
            ("general", None) => Ok(Self::General),
            ("alert", Some(i)) => Ok(Self::Alert(AlertId(i))),
            ("report", Some(i)) => Ok(Self::Report(ReportId(i))),
            ("survey", Some(i)) => Ok(Self::Survey(SurveyId(i))),
            _ => anyhow::bail!("a stored 照会 subject does not read: {kind:?} {id:?}"),
        }
    }

    /// `alert:7` …, the form's value.
    pub fn value(self) -> String {
        match self.id() {
            Some(i) => format!("{}:{i}", self.kind()),
            None => "general".into(),
        }
    }
}

crate::string_enum! {
    /// Where a question stands.
    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Status ("照会 status") {
        /// Waiting for the desk.
        Open = "open",
        /// The desk answered (a follow-up opens it again).
        Answered = "answered",
        /// The desk closed it.
        Closed = "closed",
    }
}

impl Status {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Open => "回答待ち",
            Self::Answered => "回答済み",
            Self::Closed => "終了",
        }
    }
}

/// A question as stored.
#[derive(Clone, Debug, Serialize)]
pub struct Inquiry {
    pub id: InquiryId,
    pub org_id: OrgId,
    /// The prefecture that answers; `None`: the centre.
    pub desk: Option<OrgId>,
    pub about: About,
    pub title: String,
    pub asker_email: String,
    /// `portal` or `mail`.
    pub via: String,
    pub sender_vouched: bool,
    pub status: Status,
    pub created_at: DateTime<Utc>,
    pub last_message_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub escalated_at: Option<DateTime<Utc>>,
    pub faq_question: Option<String>,
    pub faq_answer: Option<String>,
    pub faq_published_at: Option<DateTime<Utc>>,
}

/// One message of a question.
#[derive(Clone, Debug, Serialize)]
pub struct Message {
    pub from_desk: bool,
    pub author: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

pub const TITLE_MAX: usize = 200;
pub const BODY_MAX: usize = 5_000;

#[derive(Debug, thiserror::Error)]
pub enum InquiryError {
    /// What was wrong, naming the field by its label.
    #[error("{0}")]
    Invalid(String),
    /// Not there, or not for this reader.
    #[error("no such 照会")]
    NotFound,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for InquiryError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Unexpected(anyhow::Error::new(e).context("the 照会 store failed"))
    }
}

impl crate::error::Classify for InquiryError {
    fn classify(self) -> crate::error::Failure {
        use crate::error::Failure;
        match self {
            Self::Invalid(m) => Failure::Invalid(m),
            Self::NotFound => Failure::NotFound("no such 照会".into()),
            Self::Forbidden(m) => Failure::Forbidden(m),
            Self::Conflict(m) => Failure::Conflict(m),
            Self::Unexpected(e) => Failure::Unexpected(e),
        }
    }
}

/// A text field: trimmed, required, at most `max` characters, no control characters but line
/// breaks and tabs.
pub fn text(label: &str, value: &str, max: usize) -> Result<String, InquiryError> {
    let v = value.replace("\r\n", "\n").trim().to_owned();
    if v.is_empty() {
        return Err(InquiryError::Invalid(format!("{label}を入力してください")));
    }
    let n = v.chars().count();
    if n > max {
        return Err(InquiryError::Invalid(format!(
            "{label}は {n} 文字です。{max} 文字以内にしてください"
        )));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(InquiryError::Invalid(format!(
            "{label}に制御文字が含まれています"
        )));
    }
    Ok(v)
}

/// Whether `reader` answers for the question's desk: central staff for the centre's, the staff
/// of the prefecture for its own.
pub fn is_desk(reader: &Caller, q: &Inquiry) -> bool {
    match q.desk {
        None => reader.central,
        Some(p) => !reader.central && reader.org_id == p,
    }
}

/// The asking organisation's staff and the desk read a question; nobody else learns it exists.
pub fn may_read(reader: &Caller, q: &Inquiry) -> bool {
    (!reader.central && reader.org_id == q.org_id) || is_desk(reader, q)
}

/// An organisation name left in a text meant for everyone: the first found, if any.
pub fn names_an_organisation<'a>(
    text: &str,
    names: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let folded = crate::domain::text::fold(text);
    names
        .into_iter()
        .filter(|n| n.chars().count() >= 2)
        .find(|n| folded.contains(&crate::domain::text::fold(n)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subject_reads_from_its_form_value_and_nothing_else() {
        assert_eq!(About::parse("alert:7"), Some(About::Alert(AlertId(7))));
        assert_eq!(About::parse(""), Some(About::General));
        assert_eq!(About::parse("alert:0"), None);
        assert_eq!(About::parse("case:3"), None);
        assert_eq!(About::parse("report:x"), None);
        for a in [
            About::Alert(AlertId(2)),
            About::General,
            About::Survey(SurveyId(9)),
        ] {
            assert_eq!(About::parse(&a.value()), Some(a));
            assert_eq!(About::stored(a.kind(), a.id()).unwrap(), a);
        }
        assert!(About::stored("alert", None).is_err());
    }

    #[test]
    fn a_text_meant_for_everyone_is_checked_for_organisation_names() {
        let names = ["港区", "東京都港区", "千代田区"];
        assert_eq!(names_an_organisation("港区の訓練では", names), Some("港区"));
        assert_eq!(names_an_organisation("訓練の報告はいつですか", names), None);
        assert!(text("質問", "  ", 10).is_err());
        assert!(text("質問", "a\u{0}b", 10).is_err());
        assert_eq!(text("質問", " 訓練\r\nです ", 10).unwrap(), "訓練\nです");
    }
}
