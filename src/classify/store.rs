//! Database access for classification: results, their change log, and watermarks.

use std::collections::HashSet;

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    Statement,
};

use super::model::{Category, Classification, Firing, ProductRef, RelevanceLevel};
use super::rules::Rules;
use crate::db::entities::{advisory_classifications as cls, classification_changes, worker_state};
use crate::domain::Severity;

/// Rules hash that marks a classification as to be redone.
pub const STALE: &str = "stale";

/// Advisories with no classification, a changed fingerprint, or one made under other rules.
pub async fn pending(
    db: &impl ConnectionTrait,
    rules_hash: &str,
    limit: u64,
) -> anyhow::Result<Vec<i64>> {
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT a.id AS id FROM advisories a LEFT JOIN advisory_classifications c ON c.advisory_id = a.id \
         WHERE c.advisory_id IS NULL OR c.advisory_fingerprint <> a.fingerprint OR c.rules_hash <> {} \
         ORDER BY a.id LIMIT {limit}",
        if backend == sea_orm::DbBackend::Postgres {
            "$1"
        } else {
            "?"
        }
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [rules_hash.into()],
        ))
        .await
        .context("cannot find advisories to classify")?;
    rows.iter()
        .map(|r| {
            r.try_get::<i64>("", "id")
                .context("cannot read an advisory id")
        })
        .collect()
}

pub async fn get(
    db: &impl ConnectionTrait,
    advisory_id: i64,
) -> anyhow::Result<Option<cls::Model>> {
    cls::Entity::find_by_id(advisory_id)
        .one(db)
        .await
        .context("cannot read classifications")
}

pub async fn get_many(db: &impl ConnectionTrait, ids: &[i64]) -> anyhow::Result<Vec<cls::Model>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        out.extend(
            cls::Entity::find()
                .filter(cls::Column::AdvisoryId.is_in(chunk.iter().copied()))
                .all(db)
                .await
                .context("cannot read classifications")?,
        );
    }
    Ok(out)
}

/// A stored classification, back as the type. Every column was written by `save`; one that
/// does not read is an error, never a quiet "info" or an empty list.
pub fn to_domain(m: &cls::Model) -> anyhow::Result<Classification> {
    let what = || format!("the classification of advisory {}", m.advisory_id);
    Ok(Classification {
        categories: serde_json::from_str::<Vec<Category>>(&m.categories).with_context(what)?,
        severity: Severity::stored(&m.severity).with_context(what)?,
        score: m.score,
        products: serde_json::from_str::<Vec<ProductRef>>(&m.products).with_context(what)?,
        relevance: RelevanceLevel::parse(&m.relevance)
            .map_err(|e| anyhow::anyhow!("{}: {e}", what()))?,
        themes: serde_json::from_str(&m.themes).with_context(what)?,
        kev_cves: serde_json::from_str(&m.kev_cves).with_context(what)?,
        explanation: serde_json::from_str::<Vec<Firing>>(&m.explanation).with_context(what)?,
    })
}

/// What differs between two classifications, in words; empty when nothing that matters does.
pub fn describe_change(old: &Classification, new: &Classification) -> Vec<String> {
    let mut out = Vec::new();
    if old.severity != new.severity {
        out.push(format!(
            "severity {} → {}",
            old.severity.label_ja(),
            new.severity.label_ja()
        ));
    }
    let labels = |c: &[Category]| {
        c.iter()
            .map(|c| c.label_ja())
            .collect::<Vec<_>>()
            .join("・")
    };
    if old.categories != new.categories {
        out.push(format!(
            "categories {} → {}",
            labels(&old.categories),
            labels(&new.categories)
        ));
    }
    if old.relevance != new.relevance {
        out.push(format!(
            "relevance {} → {}",
            old.relevance.label_ja(),
            new.relevance.label_ja()
        ));
    }
    if old.themes != new.themes {
        out.push(format!(
            "themes {} → {}",
            old.themes.join("・"),
            new.themes.join("・")
        ));
    }
    let names = |p: &[ProductRef]| {
        p.iter()
            .map(|p| {
                format!(
                    "{} {}",
                    p.vendor.as_deref().unwrap_or(""),
                    p.product.as_deref().unwrap_or("")
                )
                .trim()
                .to_owned()
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    if old.products != new.products {
        out.push(format!(
            "products [{}] → [{}]",
            names(&old.products),
            names(&new.products)
        ));
    }
    if old.kev_cves != new.kev_cves {
        out.push(format!(
            "known exploited [{}] → [{}]",
            old.kev_cves.join(", "),
            new.kev_cves.join(", ")
        ));
    }
    out
}

/// Writes a classification; returns what changed (empty for a first classification or no change)
/// and records a change entry when something did.
pub async fn save(
    db: &impl ConnectionTrait,
    advisory_id: i64,
    fingerprint: &str,
    rules: &Rules,
    c: &Classification,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<String>> {
    let previous = get(db, advisory_id).await?;
    let changes = match &previous {
        Some(p) => describe_change(&to_domain(p)?, c),
        None => Vec::new(),
    };
    let json = |v: serde_json::Result<String>| v.unwrap_or_else(|_| "[]".into());
    let row = cls::ActiveModel {
        advisory_id: Set(advisory_id),
        advisory_fingerprint: Set(fingerprint.to_owned()),
        rules_version: Set(rules.version.clone()),
        rules_hash: Set(rules.hash.clone()),
        severity: Set(c.severity.as_str().to_owned()),
        score: Set(c.score),
        categories: Set(json(serde_json::to_string(&c.categories))),
        products: Set(json(serde_json::to_string(&c.products))),
        relevance: Set(c.relevance.as_str().to_owned()),
        themes: Set(json(serde_json::to_string(&c.themes))),
        kev_cves: Set(json(serde_json::to_string(&c.kev_cves))),
        explanation: Set(json(serde_json::to_string(&c.explanation))),
        classified_at: Set(now),
    };
    cls::Entity::insert(row)
        .on_conflict(
            OnConflict::column(cls::Column::AdvisoryId)
                .update_columns([
                    cls::Column::AdvisoryFingerprint,
                    cls::Column::RulesVersion,
                    cls::Column::RulesHash,
                    cls::Column::Severity,
                    cls::Column::Score,
                    cls::Column::Categories,
                    cls::Column::Products,
                    cls::Column::Relevance,
                    cls::Column::Themes,
                    cls::Column::KevCves,
                    cls::Column::Explanation,
                    cls::Column::ClassifiedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .context("cannot store the classification")?;
    if !changes.is_empty() {
        classification_changes::ActiveModel {
            advisory_id: Set(advisory_id),
            rules_version: Set(rules.version.clone()),
            changes: Set(changes.join("; ")),
            recorded_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await
        .context("cannot record the classification change")?;
    }
    Ok(changes)
}

/// Marks every classification to be redone (after the rules change).
pub async fn mark_all_stale(db: &impl ConnectionTrait) -> anyhow::Result<u64> {
    Ok(cls::Entity::update_many()
        .col_expr(
            cls::Column::RulesHash,
            sea_orm::sea_query::Expr::value(STALE),
        )
        .exec(db)
        .await
        .context("cannot mark classifications stale")?
        .rows_affected)
}

/// Marks the classifications of these advisories to be redone.
pub async fn mark_stale(
    db: &impl ConnectionTrait,
    advisory_ids: &HashSet<i64>,
) -> anyhow::Result<()> {
    let ids: Vec<i64> = advisory_ids.iter().copied().collect();
    for chunk in ids.chunks(500) {
        cls::Entity::update_many()
            .col_expr(
                cls::Column::RulesHash,
                sea_orm::sea_query::Expr::value(STALE),
            )
            .filter(cls::Column::AdvisoryId.is_in(chunk.iter().copied()))
            .exec(db)
            .await
            .context("cannot mark classifications stale")?;
    }
    Ok(())
}

pub async fn changes_of(
    db: &impl ConnectionTrait,
    advisory_id: i64,
) -> anyhow::Result<Vec<classification_changes::Model>> {
    classification_changes::Entity::find()
        .filter(classification_changes::Column::AdvisoryId.eq(advisory_id))
        .order_by_asc(classification_changes::Column::Id)
        .all(db)
        .await
        .context("cannot read classification changes")
}

pub async fn state(db: &impl ConnectionTrait, key: &str) -> anyhow::Result<Option<String>> {
    Ok(worker_state::Entity::find_by_id(key.to_owned())
        .one(db)
        .await
        .context("cannot read worker state")?
        .map(|m| m.value))
}

pub async fn set_state(db: &impl ConnectionTrait, key: &str, value: &str) -> anyhow::Result<()> {
    worker_state::Entity::insert(worker_state::ActiveModel {
        key: Set(key.to_owned()),
        value: Set(value.to_owned()),
    })
    .on_conflict(
        OnConflict::column(worker_state::Column::Key)
            .update_column(worker_state::Column::Value)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await
    .context("cannot write worker state")?;
    Ok(())
}
