//! Database access for the organisation registry.

use std::collections::HashMap;

use anyhow::Context;
use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};

use super::seed::{SeedOrg, seed_orgs};
use super::{OrgCode, OrgId, OrgKind, Organisation, Prefecture};
use crate::db::entities::organisations as orgs;

pub(crate) fn to_domain(m: orgs::Model) -> anyhow::Result<Organisation> {
    let code = OrgCode::parse(&m.code)
        .with_context(|| format!("organisation {} has an invalid stored code", m.id))?;
    let kind = OrgKind::parse(&m.kind).map_err(anyhow::Error::msg)?;
    let prefecture = m
        .prefecture
        .and_then(|n| u8::try_from(n).ok())
        .and_then(Prefecture::from_number);
    Ok(Organisation {
        id: m.id,
        code,
        kind,
        name: m.name,
        kana: m.kana,
        prefecture,
        parent_id: m.parent_id,
    })
}

pub async fn find_by_code(
    db: &impl ConnectionTrait,
    code: OrgCode,
) -> anyhow::Result<Option<Organisation>> {
    orgs::Entity::find()
        .filter(orgs::Column::Code.eq(code.to_string()))
        .one(db)
        .await
        .context("cannot read organisations")?
        .map(to_domain)
        .transpose()
}

pub async fn find_by_id(
    db: &impl ConnectionTrait,
    id: OrgId,
) -> anyhow::Result<Option<Organisation>> {
    orgs::Entity::find_by_id(id)
        .one(db)
        .await
        .context("cannot read organisations")?
        .map(to_domain)
        .transpose()
}

/// Which organisations to list.
#[derive(Debug, Default, Clone, Copy)]
pub struct OrgFilter {
    pub prefecture: Option<Prefecture>,
    pub kind: Option<OrgKind>,
}

/// Organisations in code order.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: OrgFilter,
) -> anyhow::Result<Vec<Organisation>> {
    let mut query = orgs::Entity::find().order_by_asc(orgs::Column::Code);
    if let Some(p) = filter.prefecture {
        query = query.filter(orgs::Column::Prefecture.eq(i16::from(p.number())));
    }
    if let Some(k) = filter.kind {
        query = query.filter(orgs::Column::Kind.eq(k.as_str()));
    }
    query
        .all(db)
        .await
        .context("cannot read organisations")?
        .into_iter()
        .map(to_domain)
        .collect()
}

pub async fn count(db: &impl ConnectionTrait, kind: OrgKind) -> anyhow::Result<u64> {
    orgs::Entity::find()
        .filter(orgs::Column::Kind.eq(kind.as_str()))
        .count(db)
        .await
        .context("cannot count organisations")
}

/// What a seed run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Makes the registry hold every organisation of the seed, with its current name and kana.
/// Idempotent: a second run reports everything unchanged. Organisations added by hand are kept.
/// Writes within the caller's transaction ([`super::seed`] opens it).
pub async fn seed_rows<C: ConnectionTrait>(txn: &C) -> anyhow::Result<SeedReport> {
    let wanted = seed_orgs()?;
    let existing: HashMap<String, orgs::Model> = orgs::Entity::find()
        .all(txn)
        .await
        .context("cannot read organisations")?
        .into_iter()
        .map(|m| (m.code.clone(), m))
        .collect();
    let mut report = SeedReport::default();
    let mut ids: HashMap<u8, OrgId> = existing
        .values()
        .filter(|m| m.kind == OrgKind::Prefecture.as_str())
        .filter_map(|m| Some((u8::try_from(m.prefecture?).ok()?, m.id)))
        .collect();

    // Prefectures first so municipalities can point at them.
    for group in [OrgKind::Prefecture, OrgKind::Municipality, OrgKind::Central] {
        let mut rows = Vec::new();
        for org in wanted.iter().filter(|o| o.kind == group) {
            let parent = match org.kind {
                OrgKind::Municipality => org.prefecture.and_then(|p| ids.get(&p.number()).copied()),
                _ => None,
            };
            match existing.get(&org.code.to_string()) {
                Some(row) if same(row, org, parent) => report.unchanged += 1,
                Some(_) => {
                    report.updated += 1;
                    rows.push(active(org, parent));
                }
                None => {
                    report.inserted += 1;
                    rows.push(active(org, parent));
                }
            }
        }
        for chunk in rows.chunks(500) {
            orgs::Entity::insert_many(chunk.to_vec())
                .on_conflict(
                    OnConflict::column(orgs::Column::Code)
                        .update_columns([
                            orgs::Column::Kind,
                            orgs::Column::Name,
                            orgs::Column::Kana,
                            orgs::Column::Prefecture,
                            orgs::Column::ParentId,
                            orgs::Column::UpdatedAt,
                        ])
                        .to_owned(),
                )
                .exec_without_returning(txn)
                .await
                .context("cannot write organisations")?;
        }
        if group == OrgKind::Prefecture {
            ids = orgs::Entity::find()
                .filter(orgs::Column::Kind.eq(OrgKind::Prefecture.as_str()))
                .all(txn)
                .await
                .context("cannot read prefectures")?
                .into_iter()
                .filter_map(|m| Some((u8::try_from(m.prefecture?).ok()?, m.id)))
                .collect();
        }
    }

    Ok(report)
}

fn same(row: &orgs::Model, org: &SeedOrg, parent: Option<OrgId>) -> bool {
    row.kind == org.kind.as_str()
        && row.name == org.name
        && row.kana == org.kana
        && row.prefecture == org.prefecture.map(|p| i16::from(p.number()))
        && row.parent_id == parent
}

fn active(org: &SeedOrg, parent: Option<OrgId>) -> orgs::ActiveModel {
    let now = Utc::now();
    orgs::ActiveModel {
        code: Set(org.code.to_string()),
        kind: Set(org.kind.as_str().to_owned()),
        name: Set(org.name.clone()),
        kana: Set(org.kana.clone()),
        prefecture: Set(org.prefecture.map(|p| i16::from(p.number()))),
        parent_id: Set(parent),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// An organisation's own 問合せ先, if it set one.
pub async fn inquiry_line(db: &impl ConnectionTrait, id: OrgId) -> anyhow::Result<Option<String>> {
    Ok(orgs::Entity::find_by_id(id)
        .one(db)
        .await
        .context("cannot read organisations")?
        .and_then(|m| m.inquiry_line)
        .filter(|l| !l.trim().is_empty()))
}

/// Sets (or, with `None`, clears) an organisation's own 問合せ先.
pub async fn set_inquiry_line(
    db: &impl ConnectionTrait,
    id: OrgId,
    line: Option<&str>,
) -> anyhow::Result<()> {
    use sea_orm::ActiveModelTrait;
    orgs::ActiveModel {
        id: Set(id),
        inquiry_line: Set(line.map(str::to_owned)),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(db)
    .await
    .context("cannot write the organisation's 問合せ先")?;
    Ok(())
}
