//! Meilisearch as the case library's engine, through meilisearch-sdk. Documents are the same
//! [`CaseDoc`]s the embedded engine takes, with their text folded by our own normaliser first
//! (NFKC, ウィルス/ウイルス …) so both engines forgive the same spelling variation; Meilisearch's
//! own Japanese segmentation (`jpn` localized attributes) does the rest. Access keys are a filter
//! on every query, so results and facet counts hold the same rule as the embedded engine.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context;
use meilisearch_sdk::client::Client;
use meilisearch_sdk::indexes::Index;
use meilisearch_sdk::search::{MatchingStrategies, SearchResults, Selectors};
use meilisearch_sdk::settings::{LocalizedAttributes, Settings};
use meilisearch_sdk::task_info::TaskInfo;
use serde::{Deserialize, Serialize};

use super::tokenize::fold;
use super::{CaseDoc, Hit, Results, SearchQuery, SimilarQuery, Sort};

/// Facet roots and the attribute each is kept in.
const FACETS: &[(&str, &str)] = &[
    ("/kind", "kind"),
    ("/category", "categories"),
    ("/cause", "causes"),
    ("/org_kind", "org_kind"),
    ("/prefecture", "prefecture"),
    ("/year", "year"),
];
const FACET_ATTRIBUTES: &[&str] = &[
    "kind",
    "categories",
    "causes",
    "org_kind",
    "prefecture",
    "year",
];
const PRE: &str = "\u{E000}";
const POST: &str = "\u{E001}";
const WAIT: Option<Duration> = Some(Duration::from_secs(60));

#[derive(Serialize, Deserialize)]
struct Doc {
    id: u64,
    title: String,
    summary: String,
    body: String,
    lessons: String,
    also: String,
    kind: String,
    categories: Vec<String>,
    causes: Vec<String>,
    org_kind: String,
    prefecture: Option<String>,
    year: Option<String>,
    date: i64,
    access: Vec<String>,
}

#[derive(Deserialize)]
struct IdOnly {
    id: u64,
}

pub struct MeiliIndex {
    client: Client,
    index: Index,
}

fn quoted(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
}

impl MeiliIndex {
    /// Connects, creates the index when missing and applies its settings (searchable,
    /// filterable and sortable attributes, `jpn` for the text).
    pub async fn connect(url: &str, key: Option<&str>, uid: &str) -> anyhow::Result<Self> {
        let client = Client::new(url, key).context("cannot make a Meilisearch client")?;
        client
            .health()
            .await
            .with_context(|| format!("Meilisearch at {url} does not answer"))?;
        let index = client.index(uid);
        if client.get_index(uid).await.is_err() {
            let task = client
                .create_index(uid, Some("id"))
                .await
                .context("cannot create the Meilisearch index")?;
            Self::wait(&client, task).await?;
        }
        let settings = Settings::new()
            .with_searchable_attributes(["title", "summary", "lessons", "body", "also"])
            .with_filterable_attributes(FACET_ATTRIBUTES.iter().chain(&["access", "id"]))
            .with_sortable_attributes(["date", "id"])
            .with_localized_attributes([LocalizedAttributes {
                locales: vec!["jpn".into()],
                attribute_patterns: vec![
                    "title".into(),
                    "summary".into(),
                    "body".into(),
                    "lessons".into(),
                    "also".into(),
                ],
            }]);
        let task = index
            .set_settings(&settings)
            .await
            .context("cannot apply the Meilisearch index settings")?;
        Self::wait(&client, task).await?;
        Ok(Self { client, index })
    }

    async fn wait(client: &Client, task: TaskInfo) -> anyhow::Result<()> {
        let task = task
            .wait_for_completion(client, None, WAIT)
            .await
            .context("Meilisearch did not finish a task")?;
        if task.is_failure() {
            anyhow::bail!("Meilisearch refused a task: {}", task.unwrap_failure());
        }
        Ok(())
    }

    pub async fn upsert(&self, docs: &[CaseDoc]) -> anyhow::Result<()> {
        let docs: Vec<Doc> = docs
            .iter()
            .map(|d| Doc {
                id: d.id,
                title: fold(&d.title),
                summary: fold(&d.summary),
                body: fold(&d.body),
                lessons: fold(&d.lessons),
                also: fold(&d.also),
                kind: d.kind.clone(),
                categories: d.categories.clone(),
                causes: d.causes.clone(),
                org_kind: d.org_kind.clone(),
                prefecture: d.prefecture.map(|p| p.to_string()),
                year: d.year.map(|y| y.to_string()),
                date: d.date,
                access: d.access.clone(),
            })
            .collect();
        let task = self
            .index
            .add_or_replace(&docs, Some("id"))
            .await
            .context("cannot send cases to Meilisearch")?;
        Self::wait(&self.client, task).await
    }

    pub async fn remove(&self, ids: &[u64]) -> anyhow::Result<()> {
        let task = self
            .index
            .delete_documents(ids)
            .await
            .context("cannot remove cases from Meilisearch")?;
        Self::wait(&self.client, task).await
    }

    pub async fn clear(&self) -> anyhow::Result<()> {
        let task = self
            .index
            .delete_all_documents()
            .await
            .context("cannot empty the Meilisearch index")?;
        Self::wait(&self.client, task).await
    }

    fn filter(access: &[String], facets: &[String], exclude: &[u64]) -> String {
        let mut parts = vec![format!(
            "access IN [{}]",
            access
                .iter()
                .map(|k| quoted(k))
                .collect::<Vec<_>>()
                .join(", ")
        )];
        for path in facets {
            if let Some((root, value)) = path.rsplit_once('/')
                && let Some((_, attribute)) = FACETS.iter().find(|(r, _)| *r == root)
            {
                parts.push(format!("{attribute} = {}", quoted(value)));
            }
        }
        for id in exclude {
            parts.push(format!("id != {id}"));
        }
        parts.join(" AND ")
    }

    fn snippet(formatted: Option<&serde_json::Map<String, serde_json::Value>>) -> String {
        let text = formatted
            .and_then(|f| {
                let body = f.get("body").and_then(|v| v.as_str()).unwrap_or_default();
                if body.contains(PRE) {
                    Some(body)
                } else {
                    f.get("summary").and_then(|v| v.as_str())
                }
            })
            .unwrap_or_default();
        crate::domain::text::escape_html(text)
            .replace(PRE, "<b>")
            .replace(POST, "</b>")
    }

    fn hits(results: &SearchResults<IdOnly>) -> Vec<Hit> {
        results
            .hits
            .iter()
            .map(|h| Hit {
                id: h.result.id,
                score: h.ranking_score.unwrap_or_default() as f32,
                snippet: Self::snippet(h.formatted_result.as_ref()),
            })
            .collect()
    }

    pub async fn search(&self, q: &SearchQuery) -> anyhow::Result<Results> {
        // The query words' 送り仮名 are cut as the embedded engine cuts them: Meilisearch's
        // Japanese segmentation keeps 乗っ取り and 乗っ取られ apart, and with every word
        // required (as here) `SNS 乗っ取り` found nothing.
        let text = fold(&super::tokenize::trim_okurigana(&q.text));
        let filter = Self::filter(&q.access, &q.facets, &[]);
        let sort = ["date:desc", "id:desc"];
        let crop = [("body", Some(40)), ("summary", Some(40))];
        let mut s = self.index.search();
        s.with_query(&text)
            .with_filter(&filter)
            .with_facets(Selectors::Some(FACET_ATTRIBUTES))
            .with_limit(q.limit.max(1))
            .with_offset(q.offset)
            .with_attributes_to_retrieve(Selectors::Some(&["id"]))
            .with_attributes_to_crop(Selectors::Some(&crop))
            .with_attributes_to_highlight(Selectors::Some(&["body", "summary"]))
            .with_highlight_pre_tag(PRE)
            .with_highlight_post_tag(POST)
            .with_show_ranking_score(true)
            .with_matching_strategy(MatchingStrategies::ALL);
        // Without words every match ranks the same: newest first, then by id, as the embedded
        // engine orders them.
        if q.sort == Sort::Newest || q.text.trim().is_empty() {
            s.with_sort(&sort);
        }
        let results: SearchResults<IdOnly> =
            s.execute().await.context("the Meilisearch search failed")?;
        let mut facets = Vec::new();
        let distribution: HashMap<String, HashMap<String, usize>> =
            results.facet_distribution.clone().unwrap_or_default();
        for (root, attribute) in FACETS {
            if let Some(values) = distribution.get(*attribute) {
                let mut values: Vec<_> = values.iter().collect();
                values.sort();
                for (value, count) in values {
                    facets.push((format!("{root}/{value}"), *count as u64));
                }
            }
        }
        Ok(Results {
            total: results.estimated_total_hits.unwrap_or(results.hits.len()),
            hits: Self::hits(&results),
            facets,
        })
    }

    pub async fn similar(&self, q: &SimilarQuery) -> anyhow::Result<Vec<Hit>> {
        let text = fold(&q.text);
        if text.trim().is_empty() {
            return Ok(Vec::new());
        }
        let filter = Self::filter(&q.access, &[], &q.exclude);
        let crop = [("body", Some(40))];
        let results: SearchResults<IdOnly> = self
            .index
            .search()
            .with_query(&text)
            .with_filter(&filter)
            .with_limit(q.limit.max(1))
            .with_attributes_to_retrieve(Selectors::Some(&["id"]))
            .with_attributes_to_crop(Selectors::Some(&crop))
            .with_show_ranking_score(true)
            .with_matching_strategy(MatchingStrategies::FREQUENCY)
            .execute()
            .await
            .context("the Meilisearch search for similar cases failed")?;
        Ok(Self::hits(&results))
    }
}
