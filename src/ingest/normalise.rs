//! From what a parser read to what the database keeps: sanitised HTML, plain text, JSON columns
//! and a fingerprint over everything that makes the advisory what it is, so a change of title,
//! date, score or body is seen as a revision and nothing else is.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::html;
use super::model::{ParsedAdvisory, Summary};
use crate::domain::{CveId, Tlp};

/// Longest title kept (a hostile feed could send megabytes in one).
const MAX_TITLE: usize = 1000;

/// An advisory ready to store.
#[derive(Clone, Debug, PartialEq, Serialize)]
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
    #[serde(skip)]
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
            let as_html = html::escape(&text).replace('\n', "<br>");
            (as_html, text)
        }
    };
    let title: String = html::to_text(&a.title).chars().take(MAX_TITLE).collect();
    let url = a
        .url
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"));
    let json = |v: serde_json::Value| v.to_string();
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
        cvss: json(serde_json::to_value(&a.cvss).unwrap_or_default()),
        products: json(serde_json::to_value(&a.products).unwrap_or_default()),
        references: json(serde_json::to_value(&a.references).unwrap_or_default()),
        tlp: a.tlp,
        lang: a.lang,
        withdrawn: a.withdrawn,
        extra: json(serde_json::Value::Object(a.extra)),
        fingerprint: String::new(),
    };
    n.fingerprint = fingerprint(&n);
    n
}

/// SHA-256 over the canonical JSON of every stored field.
pub fn fingerprint(n: &Normalised) -> String {
    let canonical = serde_json::to_vec(n).unwrap_or_default();
    hex::encode(Sha256::digest(canonical))
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
