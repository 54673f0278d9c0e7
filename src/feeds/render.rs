//! The three feed formats from one list of entries: RSS 2.0 (the `rss` crate), Atom 1.0
//! (`atom_syndication`) and JSON Feed 1.1 (serde). Times are JST. Each entry's id is the alert's,
//! so a revision updates the entry (same id, new `updated` / `date_modified` / `pubDate`).
//! Machine-readable facts ride in the `noroshi:` namespace (XML) or `_noroshi` (JSON).

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;

use super::store::Entry;
use crate::time::format_jst;

/// The namespace of Noroshi's feed extension elements.
pub const NAMESPACE: &str = "urn:noroshi:feed:1";
/// Characters of the body quoted in an entry's summary.
const EXCERPT_CHARS: usize = 300;

/// What a feed says about itself.
pub struct FeedMeta {
    /// `https://hub.example/` (ends with a slash).
    pub base_url: String,
    pub title: String,
    pub description: String,
    /// The feed's own address, for public feeds only: a private feed's address holds its token,
    /// which is never written into content.
    pub self_url: Option<String>,
    /// A stable id for the feed (Atom `id`).
    pub id: String,
    pub updated: Option<DateTime<Utc>>,
}

fn jst(t: &DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&crate::time::jst_offset())
}

pub fn entry_id(public_id: &str) -> String {
    format!("urn:noroshi:alert:{public_id}")
}

fn portal_link(meta: &FeedMeta, e: &Entry) -> String {
    format!("{}alerts/{}", meta.base_url, e.public_id)
}

/// `[緊急][訓練] title（第2報）`: what a reader's list shows.
pub fn display_title(e: &Entry) -> String {
    let mut t = format!("[{}]", e.severity.label_ja());
    if e.drill {
        t.push_str("[訓練]");
    }
    if e.withdrawn {
        t.push_str("[取消]");
    }
    t.push(' ');
    t.push_str(&e.title);
    if e.revision > 1 {
        t.push_str(&format!("（第{}報）", e.revision));
    }
    t
}

/// The plain-text summary: the facts a reader needs, then the start of the body.
pub fn summary(e: &Entry) -> String {
    let mut s = String::new();
    if e.drill {
        s.push_str("【訓練】この注意喚起は連絡体制の確認訓練です。\n");
    }
    if e.withdrawn {
        s.push_str("【取消】この注意喚起は取り消されました。\n");
    }
    s.push_str(&format!(
        "{} 重要度: {} / TLP:{}\n",
        e.public_id,
        e.severity.label_ja(),
        e.tlp.as_str()
    ));
    if !e.categories.is_empty() {
        let labels: Vec<&str> = e.categories.iter().map(|c| c.label_ja()).collect();
        s.push_str(&format!("分類: {}\n", labels.join("、")));
    }
    if !e.cve_ids.is_empty() {
        s.push_str(&format!("CVE: {}\n", e.cve_ids.join(", ")));
    }
    if let Some(d) = &e.ack_deadline {
        s.push_str(&format!("対応期限: {}\n", format_jst(d)));
    }
    if let Some(c) = e.changes.as_deref().filter(|c| !c.trim().is_empty()) {
        s.push_str(&format!("第{}報の変更点: {}\n", e.revision, c.trim()));
    }
    s.push('\n');
    let body = e.body.trim();
    let excerpt: String = body.chars().take(EXCERPT_CHARS).collect();
    s.push_str(&excerpt);
    if body.chars().count() > EXCERPT_CHARS {
        s.push('…');
    }
    s
}

/// `(name, value)` pairs of the `noroshi:` extension elements of an entry.
fn facts(e: &Entry) -> Vec<(&'static str, String)> {
    let mut f = vec![
        ("alertId", e.public_id.clone()),
        ("revision", e.revision.to_string()),
        ("severity", e.severity.as_str().to_owned()),
        ("tlp", e.tlp.as_str().to_owned()),
        ("drill", e.drill.to_string()),
        ("withdrawn", e.withdrawn.to_string()),
        ("published", jst(&e.published_at).to_rfc3339()),
        ("updated", jst(&e.updated_at).to_rfc3339()),
    ];
    if let Some(d) = &e.ack_deadline {
        f.push(("deadline", jst(d).to_rfc3339()));
    }
    for c in &e.categories {
        f.push(("category", c.as_str().to_owned()));
    }
    for c in &e.cve_ids {
        f.push(("cve", c.clone()));
    }
    f
}

fn rss_extensions(e: &Entry) -> rss::extension::ExtensionMap {
    let mut by_name: BTreeMap<String, Vec<rss::extension::Extension>> = BTreeMap::new();
    for (name, value) in facts(e) {
        let name = format!("noroshi:{name}");
        by_name
            .entry(name.clone())
            .or_default()
            .push(rss::extension::Extension {
                name,
                value: Some(value),
                ..Default::default()
            });
    }
    BTreeMap::from([("noroshi".to_owned(), by_name)])
}

fn atom_extensions(e: &Entry) -> atom_syndication::extension::ExtensionMap {
    let mut by_name: BTreeMap<String, Vec<atom_syndication::extension::Extension>> =
        BTreeMap::new();
    for (name, value) in facts(e) {
        let name = format!("noroshi:{name}");
        by_name
            .entry(name.clone())
            .or_default()
            .push(atom_syndication::extension::Extension {
                name,
                value: Some(value),
                ..Default::default()
            });
    }
    BTreeMap::from([("noroshi".to_owned(), by_name)])
}

/// RSS 2.0. `pubDate` is the current revision's time (RSS has no separate "updated").
pub fn rss(meta: &FeedMeta, entries: &[Entry]) -> anyhow::Result<Vec<u8>> {
    let items = entries
        .iter()
        .map(|e| {
            let mut item = rss::Item::default();
            item.set_title(display_title(e));
            item.set_link(portal_link(meta, e));
            item.set_description(summary(e));
            item.set_guid(rss::Guid {
                value: entry_id(&e.public_id),
                permalink: false,
            });
            item.set_pub_date(jst(&e.updated_at).to_rfc2822());
            item.set_categories(
                e.categories
                    .iter()
                    .map(|c| rss::Category {
                        name: c.label_ja().to_owned(),
                        domain: Some(format!("{NAMESPACE}:category")),
                    })
                    .collect::<Vec<_>>(),
            );
            item.set_extensions(rss_extensions(e));
            item
        })
        .collect::<Vec<_>>();
    let mut channel = rss::Channel::default();
    channel.set_title(meta.title.clone());
    channel.set_link(meta.base_url.clone());
    channel.set_description(meta.description.clone());
    channel.set_language("ja".to_owned());
    channel.set_generator("Noroshi".to_owned());
    if let Some(u) = &meta.updated {
        channel.set_last_build_date(jst(u).to_rfc2822());
    }
    channel.set_namespaces(BTreeMap::from([
        ("noroshi".to_owned(), NAMESPACE.to_owned()),
        ("atom".to_owned(), "http://www.w3.org/2005/Atom".to_owned()),
    ]));
    if let Some(own) = &meta.self_url {
        // The Atom self link RSS validators ask for.
        let mut link = rss::extension::Extension {
            name: "atom:link".into(),
            ..Default::default()
        };
        link.attrs.insert("href".into(), own.clone());
        link.attrs.insert("rel".into(), "self".into());
        link.attrs
            .insert("type".into(), "application/rss+xml".into());
        channel.set_extensions(BTreeMap::from([(
            "atom".to_owned(),
            BTreeMap::from([("atom:link".to_owned(), vec![link])]),
        )]));
    }
    channel.set_items(items);
    Ok(channel.write_to(Vec::with_capacity(1024 + entries.len() * 1500))?)
}

/// Atom 1.0 (RFC 4287).
pub fn atom(meta: &FeedMeta, entries: &[Entry]) -> anyhow::Result<Vec<u8>> {
    use atom_syndication as a;
    let author = a::Person {
        name: "Noroshi 自治体CEPTOAR".into(),
        uri: Some(meta.base_url.clone()),
        ..Default::default()
    };
    let fallback = Utc::now();
    let list = entries
        .iter()
        .map(|e| a::Entry {
            title: a::Text::plain(display_title(e)),
            id: entry_id(&e.public_id),
            updated: jst(&e.updated_at),
            published: Some(jst(&e.published_at)),
            authors: vec![author.clone()],
            links: vec![a::Link {
                href: portal_link(meta, e),
                rel: "alternate".into(),
                mime_type: Some("text/html".into()),
                ..Default::default()
            }],
            categories: e
                .categories
                .iter()
                .map(|c| a::Category {
                    term: c.as_str().to_owned(),
                    scheme: Some(format!("{NAMESPACE}:category")),
                    label: Some(c.label_ja().to_owned()),
                })
                .collect(),
            summary: Some(a::Text::plain(summary(e))),
            extensions: atom_extensions(e),
            ..Default::default()
        })
        .collect();
    let mut links = vec![a::Link {
        href: meta.base_url.clone(),
        rel: "alternate".into(),
        mime_type: Some("text/html".into()),
        ..Default::default()
    }];
    if let Some(own) = &meta.self_url {
        links.push(a::Link {
            href: own.clone(),
            rel: "self".into(),
            mime_type: Some("application/atom+xml".into()),
            ..Default::default()
        });
    }
    let feed = a::Feed {
        title: a::Text::plain(meta.title.clone()),
        subtitle: Some(a::Text::plain(meta.description.clone())),
        id: meta.id.clone(),
        updated: jst(meta.updated.as_ref().unwrap_or(&fallback)),
        authors: vec![author],
        links,
        lang: Some("ja".into()),
        generator: Some(a::Generator {
            value: "Noroshi".into(),
            ..Default::default()
        }),
        namespaces: BTreeMap::from([("noroshi".to_owned(), NAMESPACE.to_owned())]),
        entries: list,
        ..Default::default()
    };
    Ok(feed.write_to(Vec::with_capacity(1024 + entries.len() * 1800))?)
}

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    description: &'a str,
    home_page_url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    feed_url: Option<&'a str>,
    language: &'static str,
    authors: [JsonAuthor<'a>; 1],
    items: Vec<JsonItem>,
}

#[derive(Serialize)]
struct JsonAuthor<'a> {
    name: &'static str,
    url: &'a str,
}

#[derive(Serialize)]
struct JsonItem {
    id: String,
    url: String,
    title: String,
    content_text: String,
    date_published: String,
    date_modified: String,
    tags: Vec<&'static str>,
    _noroshi: JsonFacts,
}

/// The `_noroshi` extension object of a JSON Feed item.
#[derive(Serialize)]
struct JsonFacts {
    alert_id: String,
    revision: i32,
    severity: &'static str,
    tlp: &'static str,
    drill: bool,
    withdrawn: bool,
    categories: Vec<&'static str>,
    cve_ids: Vec<String>,
    ack_deadline: Option<String>,
}

/// JSON Feed 1.1.
pub fn json(meta: &FeedMeta, entries: &[Entry]) -> anyhow::Result<Vec<u8>> {
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &meta.title,
        description: &meta.description,
        home_page_url: &meta.base_url,
        feed_url: meta.self_url.as_deref(),
        language: "ja",
        authors: [JsonAuthor {
            name: "Noroshi 自治体CEPTOAR",
            url: &meta.base_url,
        }],
        items: entries
            .iter()
            .map(|e| JsonItem {
                id: entry_id(&e.public_id),
                url: portal_link(meta, e),
                title: display_title(e),
                content_text: summary(e),
                date_published: jst(&e.published_at).to_rfc3339(),
                date_modified: jst(&e.updated_at).to_rfc3339(),
                tags: e.categories.iter().map(|c| c.label_ja()).collect(),
                _noroshi: JsonFacts {
                    alert_id: e.public_id.clone(),
                    revision: e.revision,
                    severity: e.severity.as_str(),
                    tlp: e.tlp.as_str(),
                    drill: e.drill,
                    withdrawn: e.withdrawn,
                    categories: e.categories.iter().map(|c| c.as_str()).collect(),
                    cve_ids: e.cve_ids.clone(),
                    ack_deadline: e.ack_deadline.as_ref().map(|d| jst(d).to_rfc3339()),
                },
            })
            .collect(),
    };
    Ok(serde_json::to_vec(&feed)?)
}
