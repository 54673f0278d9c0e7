//! NISC/NCO notices by mail: RFC 5322 messages (any MIME structure, ISO-2022-JP or UTF-8). The
//! raw message and every attachment are kept; the body is read as text.

use mail_parser::{MessageParser, MimeHeaders};
use sha2::{Digest, Sha256};

use super::{Input, ParseError, Parsed};
use crate::domain::{Tlp, cves_in_text};
use crate::ingest::html;
use crate::ingest::model::{ParsedAdvisory, Summary, kind};

/// Largest number of attachments kept from one message.
const MAX_ATTACHMENTS: usize = 20;

/// A file that came with a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub media_type: String,
    pub bytes: Vec<u8>,
}

pub fn parse(input: Input<'_>) -> Result<Parsed, ParseError> {
    let (adv, _) = parse_with_attachments(input.bytes)?;
    Ok(Parsed {
        items: vec![adv],
        ..Parsed::default()
    })
}

/// The notice and the attachments it carried.
pub fn parse_with_attachments(
    bytes: &[u8],
) -> Result<(ParsedAdvisory, Vec<Attachment>), ParseError> {
    let message = MessageParser::default()
        .parse(bytes)
        .ok_or_else(|| ParseError::Malformed("not an RFC 5322 message".into()))?;
    if message.headers().is_empty() {
        return Err(ParseError::Malformed("the message has no headers".into()));
    }
    let subject = message
        .subject()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ParseError::field("Subject", "missing: a notice needs a subject"))?
        .to_owned();
    let from = message
        .from()
        .and_then(|f| f.first())
        .and_then(|a| a.address())
        .map(str::to_ascii_lowercase)
        .ok_or_else(|| ParseError::field("From", "missing or without an address"))?;
    let date = message
        .date()
        .and_then(|d| chrono::DateTime::parse_from_rfc3339(&d.to_rfc3339()).ok())
        .map(|d| d.with_timezone(&chrono::Utc));
    let body = match message.body_text(0) {
        Some(t) => t.into_owned(),
        None => message
            .body_html(0)
            .map(|h| html::to_text(&h))
            .unwrap_or_default(),
    };
    let id = message
        .message_id()
        .map(|m| format!("<{}>", m.trim_matches(['<', '>'])))
        .unwrap_or_else(|| format!("sha256:{}", hex::encode(Sha256::digest(bytes))));

    let mut adv = ParsedAdvisory::new(kind::NCO_NOTICE, id, subject.clone());
    adv.published = date;
    adv.updated = date;
    adv.lang = Some("ja".into());
    adv.tlp = tlp_marking(&subject).or_else(|| tlp_marking(&body));
    adv.add_cves(cves_in_text(&subject));
    adv.add_cves(cves_in_text(&body));
    adv.summary = Summary::Text(body.trim().to_owned());
    adv.extra.insert("from".into(), from.into());

    let mut attachments = Vec::new();
    for part in message.attachments().take(MAX_ATTACHMENTS) {
        let filename = part
            .attachment_name()
            .map(sanitise_filename)
            .unwrap_or_else(|| format!("attachment-{}", attachments.len() + 1));
        let media_type = part
            .content_type()
            .map(|ct| match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub),
                None => ct.ctype().to_owned(),
            })
            .unwrap_or_else(|| "application/octet-stream".into());
        attachments.push(Attachment {
            filename,
            media_type,
            bytes: part.contents().to_vec(),
        });
    }
    if !attachments.is_empty() {
        let names: Vec<String> = attachments.iter().map(|a| a.filename.clone()).collect();
        adv.extra.insert("attachments".into(), names.into());
    }
    Ok((adv, attachments))
}

/// `TLP:AMBER`, `TLP：AMBER+STRICT` (full-width colon too) anywhere in the text.
fn tlp_marking(text: &str) -> Option<Tlp> {
    let upper = text.to_uppercase().replace('：', ":");
    let at = upper.find("TLP:")?;
    let rest: String = upper[at + 4..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphabetic() || *c == '+')
        .collect();
    Tlp::parse(&rest).ok()
}

/// A file name safe to show and store: no path, no control characters.
fn sanitise_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let clean: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if clean.trim().is_empty() || clean == "." || clean == ".." {
        "attachment".into()
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlp_markings_are_found_in_subjects() {
        assert_eq!(
            tlp_marking("【注意喚起】TLP:AMBER 標的型メール"),
            Some(Tlp::Amber)
        );
        assert_eq!(tlp_marking("tlp：amber+strict"), Some(Tlp::AmberStrict));
        assert_eq!(tlp_marking("通常の件名"), None);
    }

    #[test]
    fn attachment_names_lose_their_paths() {
        assert_eq!(sanitise_filename("../../etc/passwd"), "passwd");
        assert_eq!(sanitise_filename("C:\\temp\\注意喚起.pdf"), "注意喚起.pdf");
        assert_eq!(sanitise_filename(".."), "attachment");
    }
}
