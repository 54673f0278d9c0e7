//! Search for the incident-case library (事故事例・取組事例): one [`SearchIndex`] over two real
//! engines — the embedded one ([`index::CaseIndex`], tantivy with the Japanese tokenizer of
//! [`tokenize`]) and Meilisearch ([`meili::MeiliIndex`]) when configured. Both take the same
//! documents from the case outbox and answer the same queries: full text, facet filters and
//! counts, relevance or date order, snippets, similar cases; both apply the reader's access keys
//! ([`crate::cases::access`]) to results and facet counts alike.

pub mod index;
pub mod meili;
pub mod synonyms;
pub mod tokenize;

use std::sync::Arc;

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// A case as the engines hold it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseDoc {
    pub id: u64,
    /// `incident` (事故事例), `near_miss` (ひやり事案) or `practice` (取組事例).
    pub kind: String,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub lessons: String,
    pub categories: Vec<String>,
    pub causes: Vec<String>,
    pub org_kind: String,
    pub prefecture: Option<u8>,
    pub year: Option<i32>,
    /// Days since 1970-01-01 of when it happened (or was found, reported, published): the date
    /// order.
    pub date: i64,
    /// The keys that open it ([`crate::cases::access::doc_keys`]).
    pub access: Vec<String>,
    /// The other words of each synonym group its text mentions ([`synonyms::Synonyms`]):
    /// indexed, never shown.
    #[serde(default)]
    pub also: String,
}

/// The facets, as path roots: `/category/malware`, `/year/2024` …
pub const FACET_ROOTS: &[&str] = &[
    "/kind",
    "/category",
    "/cause",
    "/org_kind",
    "/prefecture",
    "/year",
];

impl CaseDoc {
    /// Adds the synonyms of the words the case uses.
    pub fn expand(&mut self, synonyms: &synonyms::Synonyms) {
        self.also = synonyms.expansion(&format!(
            "{}\n{}\n{}\n{}",
            self.title, self.summary, self.body, self.lessons
        ));
    }

    pub fn facet_paths(&self) -> Vec<String> {
        let mut out = vec![format!("/kind/{}", self.kind)];
        out.extend(self.categories.iter().map(|c| format!("/category/{c}")));
        out.extend(self.causes.iter().map(|c| format!("/cause/{c}")));
        out.push(format!("/org_kind/{}", self.org_kind));
        if let Some(p) = self.prefecture {
            out.push(format!("/prefecture/{p}"));
        }
        if let Some(y) = self.year {
            out.push(format!("/year/{y}"));
        }
        out
    }
}

/// Checks a facet filter given by a reader: a known root and one plain value.
pub fn parse_facet(path: &str) -> Result<String, String> {
    let bad = || {
        format!(
            "`{path}` is not a filter: expected one of {} followed by /value",
            FACET_ROOTS.join(", ")
        )
    };
    let (root, value) = path
        .strip_prefix('/')
        .and_then(|p| p.split_once('/'))
        .ok_or_else(bad)?;
    if !FACET_ROOTS.contains(&format!("/{root}").as_str())
        || value.is_empty()
        || value.len() > 40
        || !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(bad());
    }
    Ok(format!("/{root}/{value}"))
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Relevance,
    /// Newest first (when it happened).
    Newest,
}

/// A search.
#[derive(Clone, Debug, Default)]
pub struct SearchQuery {
    pub text: String,
    /// The reader's keys ([`crate::cases::access::keys`]).
    pub access: Vec<String>,
    /// Facet paths, each narrowing (checked by [`parse_facet`]).
    pub facets: Vec<String>,
    pub sort: Sort,
    pub limit: usize,
    pub offset: usize,
}

/// "Similar cases" for a text (an alert's title and summary, or a case's).
#[derive(Clone, Debug, Default)]
pub struct SimilarQuery {
    pub text: String,
    pub categories: Vec<String>,
    pub access: Vec<String>,
    /// Cases not to return (the case itself).
    pub exclude: Vec<u64>,
    pub limit: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Hit {
    pub id: u64,
    pub score: f32,
    /// The best passage, HTML with `<b>` around matches; everything else escaped.
    pub snippet: String,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Results {
    pub total: usize,
    pub hits: Vec<Hit>,
    /// Counts per facet value (`/category/malware` → 3), over what the reader may see.
    pub facets: Vec<(String, u64)>,
}

pub use crate::config::search::SearchSettings;

/// The case library's search index: one of two real engines.
#[derive(Clone)]
pub enum SearchIndex {
    Embedded(Arc<index::CaseIndex>),
    Meili(Arc<meili::MeiliIndex>),
}

impl SearchIndex {
    /// The engine the settings name (the embedded index is opened, Meilisearch's settings are
    /// applied).
    pub async fn open(
        settings: &SearchSettings,
        data_dir: &std::path::Path,
    ) -> anyhow::Result<Self> {
        settings.check().map_err(anyhow::Error::msg)?;
        if settings.engine == "meilisearch" {
            let url = settings.meili_url.as_deref().unwrap_or_default();
            let key = settings
                .meili_key
                .as_ref()
                .map(|k| secrecy::ExposeSecret::expose_secret(k).to_owned());
            let m = meili::MeiliIndex::connect(url, key.as_deref(), &settings.meili_index).await?;
            return Ok(Self::Meili(Arc::new(m)));
        }
        let dir = settings
            .index_dir
            .clone()
            .unwrap_or_else(|| data_dir.join("index").join("cases"));
        let index = tokio::task::spawn_blocking(move || index::CaseIndex::open(&dir))
            .await
            .context("the index opener stopped")??;
        Ok(Self::Embedded(Arc::new(index)))
    }

    /// An embedded index in memory (tests, benchmarks).
    pub fn in_memory() -> anyhow::Result<Self> {
        Ok(Self::Embedded(Arc::new(index::CaseIndex::in_memory()?)))
    }

    pub fn engine(&self) -> &'static str {
        match self {
            Self::Embedded(_) => "embedded",
            Self::Meili(_) => "meilisearch",
        }
    }

    pub async fn upsert(&self, docs: Vec<CaseDoc>) -> anyhow::Result<()> {
        if docs.is_empty() {
            return Ok(());
        }
        match self {
            Self::Embedded(i) => {
                let i = Arc::clone(i);
                tokio::task::spawn_blocking(move || i.upsert(&docs))
                    .await
                    .context("the index writer stopped")?
            }
            Self::Meili(m) => m.upsert(&docs).await,
        }
    }

    pub async fn remove(&self, ids: Vec<u64>) -> anyhow::Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        match self {
            Self::Embedded(i) => {
                let i = Arc::clone(i);
                tokio::task::spawn_blocking(move || i.remove(&ids))
                    .await
                    .context("the index writer stopped")?
            }
            Self::Meili(m) => m.remove(&ids).await,
        }
    }

    /// Replaces everything with the batches `rx` yields (a rebuild). The embedded engine writes
    /// them in one commit, so readers see the old index until the new one is complete.
    pub async fn rebuild(
        &self,
        mut rx: tokio::sync::mpsc::Receiver<anyhow::Result<Vec<CaseDoc>>>,
    ) -> anyhow::Result<()> {
        match self {
            Self::Embedded(i) => {
                let i = Arc::clone(i);
                tokio::task::spawn_blocking(move || {
                    let mut batches = std::iter::from_fn(|| rx.blocking_recv());
                    i.replace_all(&mut batches, &mut |_| {})
                })
                .await
                .context("the index writer stopped")?
            }
            Self::Meili(m) => {
                m.clear().await?;
                while let Some(batch) = rx.recv().await {
                    m.upsert(&batch?).await?;
                }
                Ok(())
            }
        }
    }

    pub async fn search(&self, q: SearchQuery) -> anyhow::Result<Results> {
        match self {
            Self::Embedded(i) => {
                let i = Arc::clone(i);
                tokio::task::spawn_blocking(move || i.search(&q))
                    .await
                    .context("the search stopped")?
            }
            Self::Meili(m) => m.search(&q).await,
        }
    }

    pub async fn similar(&self, q: SimilarQuery) -> anyhow::Result<Vec<Hit>> {
        match self {
            Self::Embedded(i) => {
                let i = Arc::clone(i);
                tokio::task::spawn_blocking(move || i.similar(&q))
                    .await
                    .context("the search stopped")?
            }
            Self::Meili(m) => m.similar(&q).await,
        }
    }
}
