//! From what a parser read to what the database keeps: sanitised HTML, plain text, JSON columns
//! and a fingerprint over everything that makes the advisory what it is, so a change of title,
//! date, score or body is seen as a revision and nothing else is.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::html;
use super::model::{ParsedAdvisory, Summary};
use crate::domain::{CveId, Tlp};

/// Longest title kept (a hostile feed could send megabytes in one).
const MAX_TITLE: usize = 1000;

/// An advisory ready to store.
#[derive(Clone, Debug, PartialEq)]
pub struct Normalised {
    pub upstream_id: String,
    pub kind: String,
    pub url: Option<String>,
    pub title: String,
    pub summary_html: String,
    pub summary_text: String,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub cves: Vec<CveId>,
    pub cvss: String,
    pub products: String,
    pub references: String,
    pub tlp: Option<Tlp>,
    pub lang: Option<String>,
    pub withdrawn: bool,
    pub extra: String,
    pub fingerprint: String,
}

pub fn normalise(a: ParsedAdvisory) -> Normalised {
    let (summary_html, summary_text) = match &a.summary {
        Summary::Html(h) => {
            let clean = html::sanitise(h);
            let text = html::to_text(&clean);
            (clean, text)
        }
        Summary::Text(t) => {
            let text = t.trim().to_owned();
            let as_html = crate::domain::text::escape_html(&text).replace('\n', "<br>");
            (as_html, text)
        }
    };
    // Titles are text; a few feeds put entities or tags in them.
    let title: String = if a.title.contains(['<', '&']) {
        html::to_text(&a.title)
    } else {
        a.title.trim().to_owned()
    }
    .chars()
    .take(MAX_TITLE)
    .collect();
    let url = a
        .url
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"));
    let json = |r: serde_json::Result<String>| r.unwrap_or_else(|_| "[]".into());
    let mut n = Normalised {
        upstream_id: a.upstream_id.trim().to_owned(),
        kind: a.kind.to_owned(),
        url,
        title: if title.trim().is_empty() {
            a.title.trim().to_owned()
        } else {
            title
        },
        summary_html,
        summary_text,
        published: a.published,
        updated: a.updated,
        cves: a.cves,
        cvss: json(serde_json::to_string(&a.cvss)),
        products: json(serde_json::to_string(&a.products)),
        references: json(serde_json::to_string(&a.references)),
        tlp: a.tlp,
        lang: a.lang,
        withdrawn: a.withdrawn,
        extra: serde_json::Value::Object(a.extra).to_string(),
        fingerprint: String::new(),
    };
    n.fingerprint = fingerprint(&n);
    n
}

/// SHA-256 over every stored field, each length-prefixed so no two advisories hash alike by
/// moving text from one field to the next.
pub fn fingerprint(n: &Normalised) -> String {
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    let date = |d: Option<DateTime<Utc>>| {
        d.map(|d| d.timestamp_micros().to_string())
            .unwrap_or_default()
    };
    let cves: String = n.cves.iter().map(|c| format!("{c} ")).collect();
    field(n.upstream_id.as_bytes());
    field(n.kind.as_bytes());
    field(n.url.as_deref().unwrap_or("").as_bytes());
    field(n.title.as_bytes());
    field(n.summary_html.as_bytes());
    field(date(n.published).as_bytes());
    field(date(n.updated).as_bytes());
    field(cves.as_bytes());
    field(n.cvss.as_bytes());
    field(n.products.as_bytes());
    field(n.references.as_bytes());
    field(n.tlp.map(|t| t.as_str()).unwrap_or("").as_bytes());
    field(n.lang.as_deref().unwrap_or("").as_bytes());
    field(if n.withdrawn { b"withdrawn" } else { b"" });
    field(n.extra.as_bytes());
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::model::kind;

    fn sample() -> ParsedAdvisory {
        let mut a = ParsedAdvisory::new(
            kind::JPCERT_ALERT,
            "https://www.jpcert.or.jp/at/2026/at260018.html".into(),
            "注意喚起  (公開)".into(),
        );
        a.summary = Summary::Html("<p onclick=x()>本文<script>alert(1)</script></p>".into());
        a
    }

    #[test]
    fn html_is_sanitised_and_flattened() {
        let n = normalise(sample());
        assert_eq!(n.summary_html, "<p>本文</p>");
        assert_eq!(n.summary_text, "本文");
    }

    #[test]
    fn the_fingerprint_changes_with_the_title_and_nothing_else() {
        let a = normalise(sample());
        assert_eq!(a.fingerprint, normalise(sample()).fingerprint);
        let mut changed = sample();
        changed.title = "注意喚起  (更新)".into();
        assert_ne!(a.fingerprint, normalise(changed).fingerprint);
    }

    #[test]
    fn plain_text_is_escaped_for_display() {
        let mut a = sample();
        a.summary = Summary::Text("<b>太字</b>\n二行目".into());
        let n = normalise(a);
        assert_eq!(n.summary_html, "&lt;b&gt;太字&lt;/b&gt;<br>二行目");
        assert_eq!(n.summary_text, "<b>太字</b>\n二行目");
    }
}
