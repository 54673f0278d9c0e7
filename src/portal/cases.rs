//! The case library in the portal (事故事例・取組事例): search with facets, a case with its
//! history and similar cases, submitting a case, and the review desk where central staff edit
//! (anonymise), approvers publish, and published cases are revised or withdrawn.
//!
//! Every case is read through [`crate::cases::access`]: a case the viewer may not read is "not
//! found", and searches carry the viewer's keys, so results, facet counts and similar cases
//! hold the same rule.

use std::collections::HashMap;

use actix_web::{HttpResponse, get, post, web};
use askama::Template;

use super::Opt;
use super::error::{PortalError, render, render_refused};
use super::i18n::{Lang, case_label_en};
use super::viewer::{Nav, Section, Viewer};
use super::who;
use crate::auth::Role;
use crate::cases::access::Reader;
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
const PAGE_SIZE: usize = 20;
/// Longest search text.
const QUERY_MAX: usize = 200;

pub fn reader(viewer: &Viewer) -> Reader {
    Reader::new(&viewer.org, viewer.session.user.role.is_central())
}

/// A case in a list: search hits, similar cases, the review desk.
#[derive(Clone)]
pub struct CaseRow {
    pub id: i64,
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
fn facet_text(path: &str, lang: Lang) -> String {
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

fn kind_label(k: crate::cases::Kind, lang: Lang) -> &'static str {
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

#[derive(Template)]
#[template(path = "portal/cases.html")]
struct SearchPage {
    nav: Nav,
    q: String,
    sort_newest: bool,
    total: usize,
    rows: Vec<CaseRow>,
    groups: Vec<FacetGroup>,
    filters: Vec<FacetLink>,
    page: usize,
    prev: Option<String>,
    next: Option<String>,
    central: bool,
    engine: &'static str,
}

#[derive(serde::Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    cause: String,
    #[serde(default)]
    org_kind: String,
    #[serde(default)]
    prefecture: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    page: Option<usize>,
}

const ROOTS: [(&str, &str); 6] = [
    ("kind", "種別"),
    ("category", "分類"),
    ("cause", "原因"),
    ("org_kind", "団体区分"),
    ("prefecture", "都道府県"),
    ("year", "年"),
];

fn root_title(root: &str, t: &'static super::i18n::Ui) -> &'static str {
    match root {
        "kind" => t.facet_kind,
        "category" => t.facet_category,
        "cause" => t.facet_cause,
        "org_kind" => t.facet_org_kind,
        "prefecture" => t.facet_prefecture,
        _ => t.facet_year,
    }
}

impl SearchParams {
    fn value(&self, root: &str) -> &str {
        match root {
            "kind" => &self.kind,
            "category" => &self.category,
            "cause" => &self.cause,
            "org_kind" => &self.org_kind,
            "prefecture" => &self.prefecture,
            _ => &self.year,
        }
    }

    fn set(&mut self, root: &str, v: String) {
        match root {
            "kind" => self.kind = v,
            "category" => self.category = v,
            "cause" => self.cause = v,
            "org_kind" => self.org_kind = v,
            "prefecture" => self.prefecture = v,
            _ => self.year = v,
        }
    }

    /// The filters as facet paths, each checked.
    fn facets(&self) -> Result<Vec<String>, String> {
        ROOTS
            .iter()
            .filter(|(root, _)| !self.value(root).is_empty())
            .map(|(root, _)| crate::search::parse_facet(&format!("/{root}/{}", self.value(root))))
            .collect()
    }

    fn href(&self) -> String {
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        if !self.q.is_empty() {
            pairs.append_pair("q", &self.q);
        }
        for (root, _) in ROOTS {
            let v = self.value(root);
            if !v.is_empty() {
                pairs.append_pair(root, v);
            }
        }
        if self.sort == "newest" {
            pairs.append_pair("sort", "newest");
        }
        if let Some(p) = self.page.filter(|p| *p > 1) {
            pairs.append_pair("page", &p.to_string());
        }
        format!("/cases?{}", pairs.finish())
    }
}

#[get("/cases")]
async fn search_cases(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    params: web::Query<SearchParams>,
) -> Result<HttpResponse, PortalError> {
    let params = params.into_inner();
    if params.q.chars().count() > QUERY_MAX {
        return Err(PortalError::BadRequest(
            viewer
                .lang
                .tr1("検索語は {} 文字以内にしてください", QUERY_MAX),
        ));
    }
    let facets = params.facets().map_err(PortalError::BadRequest)?;
    let sort = match params.sort.as_str() {
        "" | "relevance" => Sort::Relevance,
        "newest" => Sort::Newest,
        other => {
            return Err(PortalError::BadRequest(
                viewer
                    .lang
                    .tr1("並び順 `{}` は指定できません（relevance か newest）", other),
            ));
        }
    };
    let page = params.page.unwrap_or(1);
    if !(1..=500).contains(&page) {
        return Err(PortalError::BadRequest(
            viewer
                .lang
                .tr("page は 1 から 500 で指定してください")
                .into(),
        ));
    }
    let results = ctx
        .search
        .search(SearchQuery {
            text: params.q.clone(),
            access: reader(&viewer).keys(),
            facets: facets.clone(),
            sort,
            limit: PAGE_SIZE,
            offset: (page - 1) * PAGE_SIZE,
        })
        .await?;
    let rows = reading::hits(&ctx.db, &reader(&viewer), &results.hits)
        .await?
        .iter()
        .map(|(c, snippet)| row(c, snippet.clone(), viewer.lang))
        .collect();
    let mut groups = Vec::new();
    for (root, _) in ROOTS {
        let title = root_title(root, viewer.lang.ui());
        let prefix = format!("/{root}/");
        let links = results
            .facets
            .iter()
            .filter(|(path, _)| path.starts_with(&prefix))
            .map(|(path, count)| {
                let value = path[prefix.len()..].to_owned();
                let active = params.value(root) == value;
                let mut next = params.clone();
                next.page = None;
                next.set(root, if active { String::new() } else { value });
                FacetLink {
                    label: facet_text(path, viewer.lang),
                    count: *count,
                    href: next.href(),
                    active,
                }
            })
            .collect::<Vec<_>>();
        if !links.is_empty() {
            groups.push(FacetGroup { title, links });
        }
    }
    let filters = facets
        .iter()
        .filter_map(|path| {
            let (root, _) = path[1..].split_once('/')?;
            let mut next = params.clone();
            next.page = None;
            next.set(root, String::new());
            Some(FacetLink {
                label: facet_text(path, viewer.lang),
                count: 0,
                href: next.href(),
                active: true,
            })
        })
        .collect();
    let at = |p: usize| {
        let mut next = params.clone();
        next.page = Some(p);
        next.href()
    };
    render(&SearchPage {
        q: params.q.clone(),
        sort_newest: sort == Sort::Newest,
        total: results.total,
        prev: (page > 1).then(|| at(page - 1)),
        next: (page * PAGE_SIZE < results.total).then(|| at(page + 1)),
        page,
        rows,
        groups,
        filters,
        central: viewer.may(Section::Central),
        engine: ctx.search.engine(),
        nav: viewer.nav(),
    })
}

/// The case `id` if the viewer may read it; otherwise not found.
async fn readable(ctx: &AppContext, viewer: &Viewer, id: &str) -> Result<Case, PortalError> {
    let id: i64 = id.parse().map_err(|_| PortalError::NotFound)?;
    reading::one(&ctx.db, &reader(viewer), id)
        .await?
        .ok_or(PortalError::NotFound)
}

/// Cases like a text, among those the viewer may read.
pub async fn similar_rows(
    ctx: &AppContext,
    viewer: &Viewer,
    text: String,
    categories: Vec<String>,
    exclude: Option<i64>,
) -> Result<Vec<CaseRow>, PortalError> {
    Ok(reading::similar(
        &ctx.db,
        &ctx.search,
        &reader(viewer),
        text,
        categories,
        exclude,
    )
    .await?
    .iter()
    .map(|c| row(c, String::new(), viewer.lang))
    .collect())
}

pub struct HistoryRow {
    pub at: String,
    pub action: &'static str,
    pub revision: i32,
    pub who: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "portal/case.html")]
struct CasePage {
    nav: Nav,
    id: i64,
    kind: &'static str,
    status: &'static str,
    published: bool,
    revision: i32,
    title: String,
    summary: String,
    body: String,
    measures: String,
    lessons: String,
    who: String,
    categories: Vec<&'static str>,
    causes: Vec<&'static str>,
    occurred: String,
    found: String,
    reported: String,
    records: String,
    systems: String,
    alert_ids: Vec<String>,
    advisory_ids: Vec<String>,
    tlp: String,
    tlp_meaning: &'static str,
    source: String,
    updated: String,
    history: Vec<HistoryRow>,
    similar: Vec<CaseRow>,
    can_edit: bool,
    can_publish: bool,
    can_withdraw: bool,
}

fn status_label(s: Status, lang: Lang) -> &'static str {
    match (lang, s) {
        (Lang::Ja, s) => s.label_ja(),
        (Lang::En, Status::Submitted) => "Submitted",
        (Lang::En, Status::Reviewing) => "Under review",
        (Lang::En, Status::Published) => "Published",
        (Lang::En, Status::Withdrawn) => "Withdrawn",
    }
}

fn action_label(a: &str, lang: Lang) -> &'static str {
    if lang == Lang::En {
        return match a {
            "submit" => "Submitted",
            "edit" => "Edited (review)",
            "publish" => "Published",
            "revise" => "Revised",
            "withdraw" => "Withdrawn",
            _ => "Changed",
        };
    }
    match a {
        "submit" => "受付",
        "edit" => "編集（審査）",
        "publish" => "公開",
        "revise" => "改訂",
        "withdraw" => "取下げ",
        _ => "変更",
    }
}

#[get("/cases/{id}")]
async fn show_case(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<String>,
) -> Result<HttpResponse, PortalError> {
    let case = readable(&ctx, &viewer, &path).await?;
    let f = &case.fields;
    let named_as = reading::named_as(&ctx.db, &case).await?;
    let central = viewer.may(Section::Central);
    // The history names people: central staff and the submitting organisation see it.
    let own = case.organisation_id == Some(viewer.org.id.0);
    let history = if central || own {
        store::history(&ctx.db, case.id)
            .await?
            .into_iter()
            .map(|h| HistoryRow {
                at: viewer.when(&h.created_at),
                action: action_label(&h.action, viewer.lang),
                revision: h.revision,
                who: if central {
                    who(&h.author)
                } else {
                    String::new()
                },
                note: h.note.unwrap_or_default(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let similar = if case.status == Status::Published {
        similar_rows(
            &ctx,
            &viewer,
            format!("{}\n{}", f.title, f.summary),
            f.categories.clone(),
            Some(case.id),
        )
        .await?
    } else {
        Vec::new()
    };
    let date = |d: Option<chrono::NaiveDate>| {
        d.map(|d| crate::time::format_date(d, viewer.dates))
            .unwrap_or_else(|| "—".into())
    };
    let role = viewer.session.user.role;
    render(&CasePage {
        id: case.id,
        kind: kind_label(f.kind, viewer.lang),
        status: status_label(case.status, viewer.lang),
        published: case.status == Status::Published,
        revision: case.revision,
        title: f.title.clone(),
        summary: f.summary.clone(),
        body: f.body.clone(),
        measures: f.measures.clone(),
        lessons: f.lessons.clone(),
        who: org_label(f, named_as.as_deref(), viewer.lang),
        categories: f
            .categories
            .iter()
            .filter_map(|c| Category::parse(c).ok().map(|c| viewer.lang.category(c)))
            .collect(),
        causes: f
            .causes
            .iter()
            .filter_map(|c| CAUSES.label(c).map(|ja| viewer.lang.term(c, ja)))
            .collect(),
        occurred: date(f.occurred_on),
        found: date(f.found_on),
        reported: date(f.reported_on),
        records: f
            .records_affected
            .map(|n| match viewer.lang {
                Lang::Ja => format!("{} 件", crate::cli::output::count(n.max(0) as u64)),
                Lang::En => crate::cli::output::count(n.max(0) as u64),
            })
            .unwrap_or_else(|| "—".into()),
        systems: f.systems_affected.clone(),
        alert_ids: f.alert_ids.clone(),
        advisory_ids: f.advisory_ids.clone(),
        tlp: f.tlp.as_str().into(),
        tlp_meaning: tlp_meaning(f.tlp, viewer.lang),
        source: f.source.clone(),
        updated: viewer.when(&case.updated_at),
        history,
        similar,
        can_edit: central && case.status != Status::Withdrawn,
        can_publish: role == Role::CentralApprover
            && matches!(case.status, Status::Submitted | Status::Reviewing),
        can_withdraw: central && case.status != Status::Withdrawn,
        nav: viewer.nav(),
    })
}

fn tlp_meaning(tlp: Tlp, lang: Lang) -> &'static str {
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
#[derive(Template)]
#[template(path = "portal/case_form.html")]
struct CaseFormPage {
    nav: Nav,
    /// `None`: a new case.
    id: Option<i64>,
    published: bool,
    errors: Vec<String>,
    input: CaseInput,
    kinds: Vec<Opt>,
    categories: Vec<Opt>,
    causes: Vec<Opt>,
    org_kinds: Vec<Opt>,
    size_bands: Vec<Opt>,
    tlps: Vec<Opt>,
    prefectures: Vec<(u8, &'static str, bool)>,
    alert_ids: String,
    advisory_ids: String,
    records: String,
    note: String,
    central: bool,
}

fn form_page(
    viewer: &Viewer,
    id: Option<i64>,
    published: bool,
    input: CaseInput,
    errors: Vec<String>,
    note: String,
    records: Option<String>,
) -> CaseFormPage {
    let lang = viewer.lang;
    // A vocabulary's choices with their labels in the viewer's language.
    let labelled = |pairs: &'static [(&'static str, &'static str)]| {
        pairs.iter().map(move |&(id, ja)| (id, lang.term(id, ja)))
    };
    let records = records.unwrap_or_else(|| {
        input
            .records_affected
            .map(|n| n.to_string())
            .unwrap_or_default()
    });
    CaseFormPage {
        id,
        published,
        errors,
        kinds: Opt::list(labelled(KINDS.0), &input.kind),
        categories: Opt::many(
            Category::ALL
                .iter()
                .map(|c| (c.as_str(), lang.category(*c))),
            &input.categories,
        ),
        causes: Opt::many(labelled(CAUSES.0), &input.causes),
        org_kinds: Opt::list(labelled(ORG_KINDS.0), &input.org_kind),
        size_bands: Opt::list(labelled(SIZE_BANDS.0), &input.size_band),
        tlps: Opt::list(
            [
                ("CLEAR", lang.tr("TLP:CLEAR（公開可）")),
                ("GREEN", lang.tr("TLP:GREEN（自治体間で共有）")),
                ("AMBER", lang.tr("TLP:AMBER（自団体・都道府県・中央）")),
                ("AMBER+STRICT", lang.tr("TLP:AMBER+STRICT（自団体・中央）")),
                ("RED", lang.tr("TLP:RED（中央のみ）")),
            ],
            &input.tlp,
        ),
        prefectures: crate::registry::Prefecture::all()
            .map(|p| (p.number(), p.name(), input.prefecture == Some(p.number())))
            .collect(),
        alert_ids: input.alert_ids.join(" "),
        advisory_ids: input.advisory_ids.join(" "),
        records,
        note,
        central: viewer.may(Section::Central),
        input,
        nav: viewer.nav(),
    }
}

/// The suggested organisation kind for a new case from the viewer's organisation.
fn own_org_kind(viewer: &Viewer) -> &'static str {
    match viewer.org.kind {
        crate::registry::OrgKind::Prefecture => "prefecture",
        crate::registry::OrgKind::Central => "central",
        crate::registry::OrgKind::Municipality => "city",
    }
}

#[get("/cases/new")]
async fn new_case(viewer: Viewer) -> Result<HttpResponse, PortalError> {
    let input = CaseInput {
        kind: "incident".into(),
        org_kind: own_org_kind(&viewer).into(),
        size_band: "undisclosed".into(),
        tlp: "GREEN".into(),
        prefecture: viewer.org.prefecture.map(|p| p.number()),
        ..Default::default()
    };
    render(&form_page(
        &viewer,
        None,
        false,
        input,
        Vec::new(),
        String::new(),
        None,
    ))
}

/// The form's fields, read from its pairs (checkboxes arrive as `category_<id>=on`).
struct Submitted {
    csrf: String,
    input: CaseInput,
    note: String,
    records_text: String,
    errors: Vec<String>,
}

impl Submitted {
    /// The checked fields, or every problem of the form and of its fields, each named.
    fn checked(&self) -> (Option<crate::cases::CaseFields>, Vec<String>) {
        let mut errors = self.errors.clone();
        match self.input.validate(crate::time::today_jst()) {
            Ok(f) if errors.is_empty() => (Some(f), errors),
            Ok(_) => (None, errors),
            Err(e) => {
                errors.extend(e.0.into_iter().map(|(f, m)| format!("{f}: {m}")));
                (None, errors)
            }
        }
    }
}

fn read_form(form: HashMap<String, String>, lang: Lang) -> Submitted {
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let mut errors = Vec::new();
    let records_text = get("records_affected").trim().to_owned();
    let records_affected = if records_text.is_empty() {
        None
    } else {
        match records_text.replace([',', '，'], "").parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.push(lang.tr1(
                    "records_affected: `{}` は件数（数字）ではありません",
                    &records_text,
                ));
                None
            }
        }
    };
    let prefecture = match get("prefecture").trim() {
        "" => None,
        p => match p.parse::<u8>() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.push(lang.tr1("prefecture: `{}` は都道府県番号ではありません", p));
                None
            }
        },
    };
    let ids = |k: &str| -> Vec<String> {
        get(k)
            .split(|c: char| c.is_whitespace() || c == ',' || c == '、')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let chosen = |prefix: &str, all: &mut dyn Iterator<Item = &'static str>| -> Vec<String> {
        all.filter(|id| {
            form.get(&format!("{prefix}{id}"))
                .is_some_and(|v| v == "on")
        })
        .map(str::to_owned)
        .collect()
    };
    let opt = |k: &str| Some(get(k)).filter(|v| !v.trim().is_empty());
    let input = CaseInput {
        kind: get("kind"),
        title: get("title"),
        summary: get("summary"),
        body: get("body"),
        measures: get("measures"),
        lessons: get("lessons"),
        categories: chosen("category_", &mut Category::ALL.iter().map(|c| c.as_str())),
        causes: chosen("cause_", &mut CAUSES.0.iter().map(|c| c.0)),
        org_kind: get("org_kind"),
        size_band: get("size_band"),
        prefecture,
        named: get("named") == "on",
        occurred_on: opt("occurred_on"),
        found_on: opt("found_on"),
        reported_on: opt("reported_on"),
        records_affected,
        systems_affected: get("systems_affected"),
        alert_ids: ids("alert_ids"),
        advisory_ids: ids("advisory_ids"),
        tlp: get("tlp"),
        source: get("source"),
    };
    Submitted {
        csrf: get("csrf"),
        input,
        note: get("note"),
        records_text,
        errors,
    }
}

/// Writes what waits in the outbox into the index now, so the change is searchable when the
/// next page loads. A failure here is not the user's: the outbox worker retries.
async fn index_now(ctx: &AppContext) {
    if let Err(e) = crate::cases::outbox::drain(&ctx.db, &ctx.search).await {
        tracing::warn!(
            error = format!("{e:#}"),
            "the search index will catch up from the outbox"
        );
    }
}

#[post("/cases/new")]
async fn submit_case(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, PortalError> {
    let sub = read_form(form.into_inner(), viewer.lang);
    viewer.check_csrf(&sub.csrf)?;
    let (fields, errors) = sub.checked();
    let Some(fields) = fields else {
        return render_refused(
            &form_page(
                &viewer,
                None,
                false,
                sub.input,
                errors,
                sub.note,
                Some(sub.records_text),
            ),
            true,
        );
    };
    let central = viewer.session.user.role.is_central();
    let org = (!central).then_some(viewer.org.id.0);
    let id = store::submit(&ctx.db, &fields, org, &viewer.actor())
        .await
        .map_err(case_error)?;
    Ok(super::see_other(&format!("/cases/{id}")))
}

fn case_error(e: CaseError) -> PortalError {
    match e {
        CaseError::Invalid(e) => PortalError::BadRequest(e.to_string()),
        CaseError::NotFound => PortalError::NotFound,
        CaseError::Refused(m) => PortalError::BadRequest(m),
        CaseError::Other(e) => PortalError::Unexpected(e),
    }
}

#[get("/cases/{id}/edit")]
async fn edit_case(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<String>,
) -> Result<HttpResponse, PortalError> {
    viewer.require(Section::Central)?;
    let case = readable(&ctx, &viewer, &path).await?;
    if case.status == Status::Withdrawn {
        return Err(PortalError::BadRequest(
            viewer.lang.tr("取り下げた事例は編集できません").into(),
        ));
    }
    render(&form_page(
        &viewer,
        Some(case.id),
        case.status == Status::Published,
        case.fields.to_input(),
        Vec::new(),
        String::new(),
        None,
    ))
}

#[post("/cases/{id}/edit")]
async fn save_case(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<String>,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, PortalError> {
    let sub = read_form(form.into_inner(), viewer.lang);
    viewer.check_csrf(&sub.csrf)?;
    viewer.require(Section::Central)?;
    let case = readable(&ctx, &viewer, &path).await?;
    let published = case.status == Status::Published;
    let (fields, errors) = sub.checked();
    let result = match &fields {
        Some(f) => store::edit(&ctx.db, case.id, f, Some(&sub.note), &viewer.actor()).await,
        None => Ok(case.status),
    };
    match result {
        Ok(_) if fields.is_some() => {
            index_now(&ctx).await;
            Ok(super::see_other(&format!("/cases/{}", case.id)))
        }
        Ok(_) => render_refused(
            &form_page(
                &viewer,
                Some(case.id),
                published,
                sub.input,
                errors,
                sub.note,
                Some(sub.records_text),
            ),
            true,
        ),
        Err(CaseError::Refused(m)) => render_refused(
            &form_page(
                &viewer,
                Some(case.id),
                published,
                sub.input,
                vec![m],
                sub.note,
                Some(sub.records_text),
            ),
            true,
        ),
        Err(e) => Err(case_error(e)),
    }
}

#[post("/cases/{id}/publish")]
async fn publish_case(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<String>,
    form: web::Form<super::CsrfForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    if viewer.session.user.role != Role::CentralApprover {
        return Err(PortalError::Forbidden(
            viewer
                .lang
                .tr("事例の公開は中央の承認者が行います。")
                .into(),
        ));
    }
    let case = readable(&ctx, &viewer, &path).await?;
    store::publish(&ctx.db, case.id, &viewer.actor())
        .await
        .map_err(case_error)?;
    index_now(&ctx).await;
    Ok(super::see_other(&format!("/cases/{}", case.id)))
}

#[derive(serde::Deserialize)]
pub struct WithdrawForm {
    csrf: String,
    #[serde(default)]
    note: String,
}

#[post("/cases/{id}/withdraw")]
async fn withdraw_case(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<String>,
    form: web::Form<WithdrawForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    viewer.require(Section::Central)?;
    let case = readable(&ctx, &viewer, &path).await?;
    store::withdraw(&ctx.db, case.id, &form.note, &viewer.actor())
        .await
        .map_err(case_error)?;
    index_now(&ctx).await;
    Ok(super::see_other(&format!("/cases/{}", case.id)))
}

#[derive(Template)]
#[template(path = "portal/cases_desk.html")]
struct DeskPage {
    nav: Nav,
    central: bool,
    pending: Vec<CaseRow>,
    recent: Vec<CaseRow>,
}

/// Central staff: cases waiting for review and publication, and recent changes. Everyone
/// else: their organisation's own submissions and what became of them.
#[get("/cases/desk")]
async fn desk(ctx: web::Data<AppContext>, viewer: Viewer) -> Result<HttpResponse, PortalError> {
    let central = viewer.may(Section::Central);
    let (pending, recent) = if central {
        (
            store::list(&ctx.db, &[Status::Submitted, Status::Reviewing], None, 200).await?,
            store::list(&ctx.db, &[Status::Published, Status::Withdrawn], None, 20).await?,
        )
    } else {
        (
            store::list(&ctx.db, &[], Some(viewer.org.id.0), 200).await?,
            Vec::new(),
        )
    };
    render(&DeskPage {
        central,
        pending: pending
            .iter()
            .map(|c| row(c, String::new(), viewer.lang))
            .collect(),
        recent: recent
            .iter()
            .map(|c| row(c, String::new(), viewer.lang))
            .collect(),
        nav: viewer.nav(),
    })
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    // Fixed paths before `/cases/{id}`.
    cfg.service(search_cases)
        .service(new_case)
        .service(submit_case)
        .service(desk)
        .service(show_case)
        .service(edit_case)
        .service(save_case)
        .service(publish_case)
        .service(withdraw_case);
}
