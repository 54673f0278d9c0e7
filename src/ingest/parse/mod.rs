//! One parser per upstream format, all producing `ParsedAdvisory`. Parsers are pure: bytes in,
//! advisories or a clear error out. Every XML document goes through `xml::decode` and
//! `xml::parse` (encoding from BOM, Content-Type or prolog; DOCTYPE refused); every JSON document
//! through `json::from_slice` (errors name the field).

mod csaf;
mod feed;
mod jpcert;
mod json;
mod jvn;
mod kev;
pub mod mail;
pub mod manual;
mod myjvn_alert;
mod myjvn_json;
mod vuldef;
pub mod xml;

use std::fmt;

use serde::{Deserialize, Serialize};

use super::model::ParsedAdvisory;

crate::string_enum! {
    /// The formats Noroshi reads.
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    pub enum Format ("document format") {
        /// JPCERT/CC RSS 1.0 (注意喚起, Weekly Report), Japanese or English.
        Jpcert = "jpcert",
        /// JVN / JVN iPedia RSS 1.0 with `sec:` (also MyJVN getVulnOverviewList).
        JvnRss = "jvn-rss",
        /// MyJVN VULDEF 3.2 detail documents (getVulnDetailInfo, detail data feeds).
        Vuldef = "vuldef",
        /// MyJVN getAlertList (IPA 注意警戒情報), Atom with `sec:items`.
        MyjvnAlert = "myjvn-alert",
        /// MyJVN API v4 JSON: the myjvn_feed overview list or a jvnstix bundle.
        MyjvnJson = "myjvn-json",
        /// CISA Known Exploited Vulnerabilities catalogue.
        Kev = "kev",
        /// One CSAF 2.0 document (2.1-shaped MyJVN jvncsaf accepted).
        Csaf = "csaf",
        /// A CSAF ROLIE feed: lists documents to fetch.
        CsafRolie = "csaf-rolie",
        /// Any RSS 0.9x/2.0 or Atom feed (vendors, other CERTs).
        Feed = "feed",
        /// An RFC 5322 message (NISC/NCO notices arrive by mail).
        Mail = "mail",
        /// A notice typed in by central staff (JSON written by the CLI or the portal).
        Manual = "manual",
    }
}

/// A document to parse: its bytes and what the transport said about them.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    pub bytes: &'a [u8],
    /// The HTTP `Content-Type`, if any (it may carry the charset).
    pub content_type: Option<&'a str>,
    /// Where it came from, for links that need resolving.
    pub origin: &'a str,
}

/// What a document yielded.
#[derive(Debug, Default)]
pub struct Parsed {
    pub items: Vec<ParsedAdvisory>,
    /// Items of a well-formed document that could not be read (a bad score, a missing title,
    /// an id seen twice): quarantined with their reason while the good items are stored.
    pub rejected: Vec<Rejected>,
    /// Further documents to fetch (a ROLIE feed lists CSAF documents)…
    pub links: Vec<String>,
    /// …and the format they are in.
    pub link_format: Option<Format>,
}

/// An item left out of a well-formed document, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// 1 for the document's first item.
    pub position: usize,
    /// The item's upstream id, when it could be read.
    pub upstream_id: Option<String>,
    pub reason: String,
}

impl Rejected {
    pub fn new(index: usize, error: &ParseError) -> Self {
        Self {
            position: index + 1,
            upstream_id: None,
            reason: error.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the document is empty")]
    Empty,
    #[error("cannot decode the document: {0}")]
    Encoding(String),
    #[error(
        "the document declares a DOCTYPE; refused, because DTD entities can expand without bound or read local files"
    )]
    Doctype,
    #[error("the document is not well-formed: {0}")]
    Malformed(String),
    #[error("expected {expected}, but the document is {found}")]
    Unexpected {
        expected: &'static str,
        found: String,
    },
    #[error("{path}: {message}")]
    Field { path: String, message: String },
    #[error("the id `{0}` appears more than once in the document")]
    DuplicateId(String),
    #[error("the upstream reported an error: {0}")]
    Upstream(String),
    #[error("{0}")]
    Refused(String),
}

impl ParseError {
    pub fn field(path: impl Into<String>, message: impl fmt::Display) -> Self {
        Self::Field {
            path: path.into(),
            message: message.to_string(),
        }
    }
}

/// Parses `input` as `format`. Items with the same upstream id twice are an error: the
/// document contradicts itself and nothing of it is stored.
pub fn parse(format: Format, input: Input<'_>) -> Result<Parsed, ParseError> {
    if input.bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::Empty);
    }
    let parsed = match format {
        Format::Jpcert => jpcert::parse(input)?,
        Format::JvnRss => jvn::parse(input)?,
        Format::Vuldef => vuldef::parse(input)?,
        Format::MyjvnAlert => myjvn_alert::parse(input)?,
        Format::MyjvnJson => myjvn_json::parse(input)?,
        Format::Kev => kev::parse(input)?,
        Format::Csaf => csaf::parse_document(input)?,
        Format::CsafRolie => csaf::parse_rolie(input)?,
        Format::Feed => feed::parse(input)?,
        Format::Mail => mail::parse(input)?,
        Format::Manual => manual::parse(input)?,
    };
    // An item without an id, or with an id already seen, is quarantined: the first keeps
    // the id, the document's other items are stored.
    let mut parsed = parsed;
    let mut seen: std::collections::HashMap<String, usize> =
        std::collections::HashMap::with_capacity(parsed.items.len());
    let mut kept = Vec::with_capacity(parsed.items.len());
    for (i, item) in std::mem::take(&mut parsed.items).into_iter().enumerate() {
        if item.upstream_id.trim().is_empty() {
            parsed.rejected.push(Rejected::new(
                i,
                &ParseError::field("item", format!("“{}” has no id", item.title)),
            ));
            continue;
        }
        if let Some(first) = seen.get(&item.upstream_id) {
            parsed.rejected.push(Rejected {
                position: i + 1,
                upstream_id: Some(item.upstream_id.clone()),
                reason: format!(
                    "{}; the first (kept) is the document's {first}th item",
                    ParseError::DuplicateId(item.upstream_id.clone())
                ),
            });
            continue;
        }
        seen.insert(item.upstream_id.clone(), i + 1);
        kept.push(item);
    }
    parsed.items = kept;
    Ok(parsed)
}
