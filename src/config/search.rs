//! `[search]`: which engine serves the case library, and where.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Which engine, and where.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchSettings {
    /// `embedded` (tantivy, default) or `meilisearch`.
    pub engine: String,
    /// The embedded index's folder; unset: `<data_dir>/index/cases`.
    pub index_dir: Option<PathBuf>,
    /// Meilisearch's address, e.g. `http://127.0.0.1:7700`.
    pub meili_url: Option<String>,
    /// Meilisearch's API key (a key with document and settings rights).
    #[serde(serialize_with = "crate::config::serialize_hidden")]
    pub meili_key: Option<secrecy::SecretString>,
    /// The Meilisearch index uid.
    pub meili_index: String,
}

impl Default for SearchSettings {
    fn default() -> Self {
        Self {
            engine: "embedded".into(),
            index_dir: None,
            meili_url: None,
            meili_key: None,
            meili_index: "noroshi_cases".into(),
        }
    }
}

impl SearchSettings {
    pub fn check(&self) -> Result<(), String> {
        match self.engine.as_str() {
            "embedded" => Ok(()),
            "meilisearch" if self.meili_url.is_none() => {
                Err("search.engine is meilisearch but search.meili_url is not set".into())
            }
            "meilisearch" => Ok(()),
            other => Err(format!(
                "search.engine `{other}` is not an engine: expected embedded or meilisearch"
            )),
        }
    }
}
