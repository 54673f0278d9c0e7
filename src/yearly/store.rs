//! What the 年度 figures read (alerts with their first publication and the arrival of their
//! advisories) and the one table this module owns: each 年度報告's 次年度の計画, per report
//! (the nation's, or a prefecture's).

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::Scope;
use crate::classify::model::Category;
use crate::db::entities::yearly_plans;
use crate::domain::Severity;
use crate::registry::{OrgId, OrgKind, Prefecture};

/// An alert as the 年度 figures count it.
#[derive(Clone, Debug)]
pub struct CountedAlert {
    pub id: i64,
    pub drill: bool,
    pub severity: Severity,
    pub categories: Vec<Category>,
    pub published_at: DateTime<Utc>,
    /// When the first of its advisories arrived (alerts written by hand have none).
    pub advisory_seen_at: Option<DateTime<Utc>>,
}

/// Alerts first published from `from` and before `to`; for a prefecture, those addressed to
/// the prefecture itself, and those addressed to its municipalities under a marking a
/// prefecture may be told of (`Tlp::prefecture_may_relay`: not AMBER+STRICT or RED).
pub async fn alerts_between(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    prefecture: Option<Prefecture>,
) -> anyhow::Result<Vec<CountedAlert>> {
    let mut sql = String::from(
        "SELECT al.id AS id, al.drill AS drill, r.severity AS severity, r.categories AS categories, \
                r.published_at AS published_at, \
                (SELECT MIN(ad.first_seen_at) FROM alert_advisories aa \
                   JOIN advisories ad ON ad.id = aa.advisory_id WHERE aa.alert_id = al.id) AS seen \
         FROM alerts al JOIN alert_revisions r ON r.alert_id = al.id AND r.number = 1 \
         WHERE r.published_at >= $1 AND r.published_at < $2",
    );
    let mut values: Vec<sea_orm::Value> = vec![from.into(), to.into()];
    if let Some(p) = prefecture {
        sql.push_str(
            " AND (EXISTS (SELECT 1 FROM alert_audience a JOIN organisations o ON o.id = a.organisation_id \
                     WHERE a.alert_id = al.id AND o.prefecture = $3 AND o.kind = $4) \
                OR (EXISTS (SELECT 1 FROM alert_audience a JOIN organisations o ON o.id = a.organisation_id \
                     WHERE a.alert_id = al.id AND o.prefecture = $3) \
                    AND (SELECT lr.tlp FROM alert_revisions lr WHERE lr.alert_id = al.id \
                         ORDER BY lr.number DESC LIMIT 1) IN ($5, $6, $7)))",
        );
        values.push(i16::from(p.number()).into());
        values.push(OrgKind::Prefecture.as_str().into());
        for t in crate::domain::Tlp::RELAYED_TO_PREFECTURES {
            values.push(t.into());
        }
    }
    sql.push_str(" ORDER BY al.id");
    let rows = db
        .query_all_raw(crate::db::statement(
            db.get_database_backend(),
            &sql,
            values,
        ))
        .await
        .context("cannot read the year's alerts")?;
    let mut out = Vec::new();
    for r in rows {
        let id: i64 = r.try_get("", "id")?;
        let severity: String = r.try_get("", "severity")?;
        let categories: String = r.try_get("", "categories")?;
        let cats: Vec<String> = serde_json::from_str(&categories)
            .with_context(|| format!("alert {id}: its categories do not read"))?;
        out.push(CountedAlert {
            id,
            drill: r.try_get("", "drill")?,
            severity: Severity::parse(&severity).map_err(|e| {
                anyhow::anyhow!("alert {id}: the stored severity does not read: {e}")
            })?,
            categories: cats
                .iter()
                .map(|c| Category::parse(c).map_err(|e| anyhow::anyhow!("alert {id}: {e}")))
                .collect::<anyhow::Result<_>>()?,
            published_at: r.try_get("", "published_at")?,
            advisory_seen_at: r.try_get("", "seen")?,
        });
    }
    Ok(out)
}

/// The prefecture's own organisation.
pub async fn prefecture_org(
    db: &impl ConnectionTrait,
    p: Prefecture,
) -> anyhow::Result<Option<OrgId>> {
    Ok(crate::registry::store::list(
        db,
        crate::registry::store::OrgFilter {
            prefecture: Some(p),
            kind: Some(OrgKind::Prefecture),
        },
    )
    .await?
    .first()
    .map(|o| o.id))
}

/// The incident-report reader the scope stands for: central staff, or the prefecture's staff.
pub async fn reader_for(
    db: &impl ConnectionTrait,
    scope: Scope,
) -> anyhow::Result<crate::registry::Caller> {
    Ok(match scope {
        Scope::Nation => crate::registry::Caller {
            org_id: OrgId(0),
            org_kind: OrgKind::Central,
            prefecture: None,
            parent: None,
            central: true,
            role: Some(crate::auth::Role::CentralOperator),
        },
        Scope::Prefecture(p) => crate::registry::Caller {
            org_id: prefecture_org(db, p).await?.unwrap_or(OrgId(0)),
            org_kind: OrgKind::Prefecture,
            prefecture: Some(p),
            parent: None,
            central: false,
            role: Some(crate::auth::Role::PrefectureAdmin),
        },
    })
}

/// The written parts of a report (`organisation`: the central body or the prefecture that
/// writes it): its 次年度の計画 and the parts of [`super::PARTS`], with who wrote them last.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReportTexts {
    pub plan: String,
    pub parts: std::collections::BTreeMap<String, String>,
}

pub async fn texts(
    db: &impl ConnectionTrait,
    fiscal_year: i32,
    organisation: OrgId,
) -> anyhow::Result<Option<(ReportTexts, String, DateTime<Utc>)>> {
    let Some(m) = yearly_plans::Entity::find()
        .filter(yearly_plans::Column::FiscalYear.eq(fiscal_year))
        .filter(yearly_plans::Column::OrganisationId.eq(organisation.0))
        .one(db)
        .await
        .context("cannot read the report's texts")?
    else {
        return Ok(None);
    };
    let parts = match m.parts.as_deref() {
        None | Some("") => Default::default(),
        Some(j) => serde_json::from_str(j)
            .with_context(|| format!("yearly_plans {}: the stored parts do not read", m.id))?,
    };
    Ok(Some((
        ReportTexts {
            plan: m.text,
            parts,
        },
        m.updated_by,
        m.updated_at,
    )))
}

pub const PLAN_MAX: usize = 20_000;

/// Replaces the report's texts (in the caller's transaction).
pub async fn replace_texts(
    db: &impl ConnectionTrait,
    fiscal_year: i32,
    organisation: OrgId,
    texts: &ReportTexts,
    by: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    yearly_plans::Entity::delete_many()
        .filter(yearly_plans::Column::FiscalYear.eq(fiscal_year))
        .filter(yearly_plans::Column::OrganisationId.eq(organisation.0))
        .exec(db)
        .await
        .context("cannot replace the report's texts")?;
    yearly_plans::ActiveModel {
        fiscal_year: Set(fiscal_year),
        organisation_id: Set(organisation),
        text: Set(texts.plan.clone()),
        parts: Set(Some(serde_json::to_string(&texts.parts)?)),
        updated_by: Set(by.to_owned()),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .context("cannot store the report's texts")?;
    Ok(())
}
