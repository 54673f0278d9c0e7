//! The case library in the portal (事故事例・取組事例): search with facets, a case with its
//! history and similar cases, submitting a case, and the review desk where central staff edit
//! (anonymise), approvers publish, and published cases are revised or withdrawn.
//!
//! Every case is read through [`crate::cases::access`]: a case the viewer may not read is "not
//! found", and searches carry the viewer's keys, so results, facet counts and similar cases
//! hold the same rule.

use crate::domain::ids::CaseId;
use std::collections::HashMap;

use actix_web::{HttpResponse, get, post, web};
use askama::Template;

use super::error::{PortalError, render, render_refused};
use super::i18n::{Lang, case_label_en};
use super::parts::Opt;
use super::parts::who;
use super::viewer::{Nav, Section, Viewer};
use crate::auth::Role;
use crate::cases::reading;
use crate::cases::store::{self, Case, CaseError};
use crate::cases::{
    CAUSES, CaseInput, KINDS, ORG_KINDS, SIZE_BANDS, Status, describe_org, facet_label,
};
use crate::classify::model::Category;
use crate::context::AppContext;
use crate::domain::Tlp;
use crate::search::{SearchQuery, Sort};

/// Hits per search page.
pub(super) const PAGE_SIZE: usize = 20;
/// Longest search text.
pub(super) const QUERY_MAX: usize = 200;

/// A case in a list: search hits, similar cases, the review desk.
#[derive(Clone)]
pub struct CaseRow {
    pub id: CaseId,
    pub kind: &'static str,
    pub title: String,
    pub who: String,
    pub when: String,
    pub tlp: String,
    pub status: &'static str,
    /// HTML made by the engine: matches in `<b>`, everything else escaped.
    pub snippet: String,
}

/// Who a case happened to, in the viewer's language (anonymised unless named).
pub fn org_label(f: &crate::cases::CaseFields, named_as: Option<&str>, lang: Lang) -> String {
    if lang == Lang::Ja {
        return describe_org(f, named_as);
    }
    if f.named
        && let Some(name) = named_as
    {
        return name.to_owned();
    }
    let mut out = case_label_en(&f.org_kind)
        .unwrap_or("Organisation")
        .to_owned();
    if let Some(p) = f
        .prefecture
        .and_then(crate::registry::Prefecture::from_number)
    {
        out = format!("{out} in {}", p.name());
    }
    if f.size_band != "undisclosed"
        && let Some(band) = case_label_en(&f.size_band)
    {
        out.push_str(&format!(" (population {band})"));
    }
    out
}

/// A facet value's label in the viewer's language.
pub(super) fn facet_text(path: &str, lang: Lang) -> String {
    if lang == Lang::Ja {
        return facet_label(path);
    }
    let Some((root, value)) = path.strip_prefix('/').and_then(|p| p.split_once('/')) else {
        return path.to_owned();
    };
    match root {
        "category" => {
            Category::parse(value).map_or(value.to_owned(), |c| lang.category(c).to_owned())
        }
        "prefecture" => facet_label(path),
        "year" => value.to_owned(),
        _ => case_label_en(value).unwrap_or(value).to_owned(),
    }
}

pub(super) fn kind_label(k: crate::cases::Kind, lang: Lang) -> &'static str {
    lang.term(k.as_str(), k.label_ja())
}

pub fn row(c: &Case, snippet: String, lang: Lang) -> CaseRow {
    let f = &c.fields;
    CaseRow {
        id: c.id,
        kind: kind_label(f.kind, lang),
        title: f.title.clone(),
        who: org_label(f, None, lang),
        when: f
            .occurred_on
            .or(f.found_on)
            .or(f.reported_on)
            .map(|d| match lang {
                Lang::Ja => d.format("%Y年%-m月").to_string(),
                Lang::En => d.format("%Y-%m").to_string(),
            })
            .unwrap_or_default(),
        tlp: f.tlp.as_str().into(),
        status: status_label(c.status, lang),
        snippet,
    }
}

pub struct FacetLink {
    pub label: String,
    pub count: u64,
    pub href: String,
    pub active: bool,
}

pub struct FacetGroup {
    pub title: &'static str,
    pub links: Vec<FacetLink>,
}

pub(super) fn status_label(s: Status, lang: Lang) -> &'static str {
    match (lang, s) {
        (Lang::Ja, s) => s.label_ja(),
        (Lang::En, Status::Submitted) => "Submitted",
        (Lang::En, Status::Reviewing) => "Under review",
        (Lang::En, Status::Published) => "Published",
        (Lang::En, Status::Withdrawn) => "Withdrawn",
    }
}

mod desk;
mod form;
mod page;
mod search;
mod synonyms;

/// The case `id` if the viewer may read it; otherwise not found.
pub(super) async fn readable(
    ctx: &AppContext,
    viewer: &Viewer,
    id: &str,
) -> Result<Case, PortalError> {
    let id: CaseId = id.parse().map_err(|_| PortalError::NotFound)?;
    reading::one(&ctx.db, &viewer.caller(), id)
        .await?
        .ok_or(PortalError::NotFound)
}

/// Cases like a text, among those the viewer may read.
pub async fn similar_rows(
    ctx: &AppContext,
    viewer: &Viewer,
    text: String,
    categories: Vec<String>,
    exclude: Option<CaseId>,
) -> Result<Vec<CaseRow>, PortalError> {
    Ok(reading::similar(
        &ctx.db,
        &ctx.search,
        &viewer.caller(),
        text,
        categories,
        exclude,
    )
    .await?
    .iter()
    .map(|c| row(c, String::new(), viewer.lang))
    .collect())
}

/// Who reads a case under its marking: the library's own sharing rule, beside the marking's
/// general meaning (`Tlp::meaning`) that alerts show.
pub(super) fn tlp_meaning(tlp: Tlp, lang: Lang) -> &'static str {
    if lang == Lang::En {
        return match tlp {
            Tlp::Clear => "TLP:CLEAR — this case may be shared publicly.",
            Tlp::Green => "TLP:GREEN — share among local governments; do not publish.",
            Tlp::Amber => {
                "TLP:AMBER — shared only with the reporting organisation, its prefecture and central staff."
            }
            Tlp::AmberStrict => {
                "TLP:AMBER+STRICT — shared only with the reporting organisation and central staff."
            }
            Tlp::Red => "TLP:RED — central staff only.",
        };
    }
    match tlp {
        Tlp::Clear => "TLP:CLEAR — 公開してよい事例です。",
        Tlp::Green => "TLP:GREEN — 自治体の間で共有できます。一般には公開しないでください。",
        Tlp::Amber => "TLP:AMBER — 報告団体と所管の都道府県、中央の職員に限って共有されます。",
        Tlp::AmberStrict => "TLP:AMBER+STRICT — 報告団体と中央の職員に限って共有されます。",
        Tlp::Red => "TLP:RED — 中央の職員に限ります。",
    }
}

/// The form of a case, as the page shows it.
pub(super) async fn index_now(ctx: &AppContext) {
    if let Err(e) = crate::cases::outbox::drain(&ctx.db, &ctx.search).await {
        tracing::warn!(
            error = format!("{e:#}"),
            "the search index will catch up from the outbox"
        );
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    // Fixed paths before `/cases/{id}`.
    cfg.service(search::search_cases)
        .service(form::new_case)
        .service(form::submit_case)
        .service(desk::desk)
        .service(synonyms::show_synonyms)
        .service(synonyms::save_synonyms)
        .service(page::show_case)
        .service(form::edit_case)
        .service(form::save_case)
        .service(desk::publish_case)
        .service(desk::withdraw_case);
}
