//! Any RSS 0.9x/1.0/2.0, Atom or JSON Feed from a vendor or another CERT, read with feed-rs. The
//! item key is the feed's own id (guid, Atom id) when it has one, else the link; never feed-rs's
//! hash of link and title, which changes when the title does.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use feed_rs::parser::Builder;

use super::xml;
use super::{Input, ParseError, Parsed};
use crate::domain::cves_in_text;
use crate::ingest::dates;
use crate::ingest::model::{ParsedAdvisory, Summary, kind};

const EXPECTED: &str = "an RSS, Atom or JSON feed";
const GENERATED: &str = "noroshi:generated:";

pub fn parse(input: Input<'_>) -> Result<Parsed, ParseError> {
    let is_json = input.bytes.trim_ascii_start().starts_with(b"{");
    let text = if is_json {
        std::borrow::Cow::Borrowed(
            std::str::from_utf8(input.bytes)
                .map_err(|_| ParseError::Encoding("the JSON feed is not valid UTF-8".into()))?,
        )
    } else {
        let text = xml::decode(input.bytes, input.content_type)?;
        xml::check_shape(&text, EXPECTED)?;
        text
    };
    let bad_dates: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen_bad = Arc::clone(&bad_dates);
    let parser = Builder::new()
        .sanitize_content(false)
        .id_generator(|links, _title, _uri| {
            let link = links.first().map(|l| l.href.clone()).unwrap_or_default();
            format!("{GENERATED}{link}")
        })
        .timestamp_parser(move |s| -> Option<DateTime<Utc>> {
            match dates::parse(s) {
                Ok(t) => Some(t),
                Err(_) => {
                    if let Ok(mut v) = seen_bad.lock() {
                        v.push(s.to_owned());
                    }
                    None
                }
            }
        })
        .build();
    let feed = parser.parse(text.as_bytes()).map_err(|e| match e {
        feed_rs::parser::ParseFeedError::ParseError(kind) => ParseError::Unexpected {
            expected: EXPECTED,
            found: format!("not a feed ({kind:?})"),
        },
        other => ParseError::Malformed(other.to_string()),
    })?;
    if let Some(bad) = bad_dates.lock().ok().and_then(|v| v.first().cloned()) {
        return Err(ParseError::field("date", dates::DateError(bad)));
    }
    let lang = feed.language.clone();
    let mut items = Vec::new();
    let mut rejected = Vec::new();
    for (n, entry) in feed.entries.into_iter().enumerate() {
        let one = || -> Result<ParsedAdvisory, ParseError> {
            let link = entry.links.first().map(|l| l.href.clone());
            let key = match entry.id.strip_prefix(GENERATED) {
                Some(_) => link.clone().filter(|l| !l.is_empty()),
                None => Some(entry.id.clone()).filter(|i| !i.is_empty()),
            }
            .ok_or_else(|| {
                ParseError::field(format!("entry {}", n + 1), "has neither an id nor a link")
            })?;
            let title = entry
                .title
                .map(|t| t.content.trim().to_owned())
                .filter(|t| !t.is_empty())
                .ok_or_else(|| ParseError::field(format!("{key}: title"), "missing"))?;
            let mut adv = ParsedAdvisory::new(kind::FEED_ITEM, key, title.clone());
            adv.url = link;
            adv.published = entry.published.or(entry.updated);
            adv.updated = entry.updated.or(entry.published);
            adv.lang = lang.clone();
            let body = entry
                .content
                .and_then(|c| c.body)
                .or(entry.summary.map(|s| s.content))
                .unwrap_or_default();
            adv.add_cves(cves_in_text(&title));
            adv.add_cves(cves_in_text(&body));
            adv.summary = Summary::Html(body);
            let categories: Vec<String> = entry.categories.into_iter().map(|c| c.term).collect();
            if !categories.is_empty() {
                adv.extra.insert("categories".into(), categories.into());
            }
            Ok(adv)
        };
        match one() {
            Ok(adv) => items.push(adv),
            Err(e) => rejected.push(super::Rejected::new(n, &e)),
        }
    }
    Ok(Parsed {
        items,
        rejected,
        ..Parsed::default()
    })
}
