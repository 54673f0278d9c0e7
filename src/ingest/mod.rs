//! Ingest: reads every upstream source (JPCERT/CC, JVN, JVN iPedia, MyJVN, CISA KEV, CSAF,
//! vendor feeds, NISC/NCO mail, manual entry), normalises each item into one advisory,
//! deduplicates it, records revisions, clusters advisories that share CVE ids, and keeps every raw
//! document. Owns `sources`, `raw_documents`, `advisories` and their side tables (`quarantined_items` among them); never touches
//! alerts or deliveries.

pub mod catalogue;
pub mod dates;
pub mod fetch;
pub mod html;
pub mod model;
pub mod normalise;
pub mod parse;
pub mod store;
pub mod worker;

use chrono::Utc;
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};
use sha2::{Digest, Sha256};

use self::catalogue::SourceDef;
use self::fetch::Fetched;
use self::parse::{Format, Input, ParseError, Parsed};
use self::store::{AttachmentDoc, RawDoc, StoreCounts};
use crate::db::begin_write;

/// What ingesting one document did.
#[derive(Debug, Clone, Default)]
pub struct IngestReport {
    pub items: usize,
    pub counts: StoreCounts,
    pub raw_sha256: String,
    /// Documents the document points at (a ROLIE feed's advisories), to fetch next…
    pub follow: Vec<String>,
    /// …in this format.
    pub follow_format: Option<Format>,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error("the sender {from} is not among the allowed senders of source `{source_key}`")]
    SenderNotAllowed { from: String, source_key: String },
    /// Our mail server did not vouch for the sender (see `domain::auth_results`): held for an operator.
    #[error("held: the mail from {from} is not authenticated: {reason}")]
    NotAuthenticated { from: String, reason: String },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Parses `doc` as `format` for `source` and stores what it says, all or nothing: the raw
/// document, new advisories, revisions of changed ones, CVE links, clusters and attachments land
/// in one transaction. A document that fails to parse changes nothing.
#[tracing::instrument(name = "Ingest document", skip_all, fields(source = %source.key, format = %format, bytes = doc.bytes.len()))]
pub async fn ingest_document<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    source: &SourceDef,
    format: Format,
    doc: &Fetched,
) -> Result<IngestReport, IngestError> {
    let input = Input {
        bytes: &doc.bytes,
        content_type: doc.content_type.as_deref(),
        origin: &doc.origin,
    };
    let (parsed, mail_attachments) = if format == Format::Mail {
        if doc.bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ParseError::Empty.into());
        }
        // Who sent it and whether our MTA vouched for them, from the header section alone:
        // the body of a message nobody vouched for is never parsed (review 3 N-M1).
        crate::domain::mime_guard::check(&doc.bytes, crate::domain::mime_guard::NOTICE)
            .map_err(|why| IngestError::Parse(ParseError::Malformed(why)))?;
        let from = mail_parser::MessageParser::default()
            .parse_headers(&doc.bytes)
            .and_then(|m| {
                m.from()
                    .and_then(|f| f.first())
                    .and_then(|a| a.address())
                    .map(|a| a.trim().to_ascii_lowercase())
            })
            .unwrap_or_default();
        if !source.accepts_sender(&from) {
            return Err(IngestError::SenderNotAllowed {
                from,
                source_key: source.key.clone(),
            });
        }
        if let Some(id) = &source.authserv_id
            && let Err(reason) = crate::domain::auth_results::check(&doc.bytes, id, &from)
        {
            return Err(IngestError::NotAuthenticated { from, reason });
        }
        let (mut adv, attachments) = parse::mail::parse_with_attachments(&doc.bytes)?;
        adv.kind = source.mail_kind;
        if adv.kind == model::kind::JPCERT_EARLY_WARNING && adv.tlp.is_none() {
            adv.tlp = Some(crate::domain::Tlp::Amber);
        }
        (
            Parsed {
                items: vec![adv],
                ..Parsed::default()
            },
            attachments,
        )
    } else {
        (parse::parse(format, input)?, Vec::new())
    };
    let raw_sha256 = sha256_hex(&doc.bytes);
    let items: Vec<_> = parsed.items.into_iter().map(normalise::normalise).collect();
    let raw = RawDoc {
        sha256: raw_sha256.clone(),
        source_key: &source.key,
        media_type: doc.content_type.clone(),
        origin: doc.origin.clone(),
        bytes: &doc.bytes,
    };
    let attachment_docs: Vec<AttachmentDoc<'_>> = mail_attachments
        .iter()
        .map(|a| AttachmentDoc {
            item: 0,
            filename: a.filename.clone(),
            raw: RawDoc {
                sha256: sha256_hex(&a.bytes),
                source_key: &source.key,
                media_type: Some(a.media_type.clone()),
                origin: format!("attachment of {raw_sha256}"),
                bytes: &a.bytes,
            },
        })
        .collect();
    let now = Utc::now();
    let txn = begin_write(db).await.map_err(anyhow::Error::new)?;
    store::insert_raw(&txn, &raw, now).await?;
    let mut counts = store::store_items(
        &txn,
        &source.key,
        &raw_sha256,
        &items,
        &attachment_docs,
        now,
    )
    .await?;
    store::quarantine(&txn, &source.key, &raw_sha256, &parsed.rejected, now).await?;
    counts.quarantined = parsed.rejected.len();
    for r in &parsed.rejected {
        tracing::warn!(
            source = %source.key,
            item = r.position,
            reason = %r.reason,
            "an item was quarantined; the document's other items were stored"
        );
    }
    txn.commit().await.map_err(anyhow::Error::new)?;
    tracing::info!(
        items = items.len(),
        new = counts.new,
        revised = counts.revised,
        "document ingested"
    );
    Ok(IngestReport {
        items: items.len(),
        counts,
        raw_sha256,
        follow: parsed.links,
        follow_format: parsed.link_format,
    })
}
