//! `/cases`: search with facets over the cases the viewer may read.

use super::*;

#[derive(Template)]
#[template(path = "portal/cases.html")]
pub(super) struct SearchPage {
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

pub(super) const ROOTS: [(&str, &str); 6] = [
    ("kind", "種別"),
    ("category", "分類"),
    ("cause", "原因"),
    ("org_kind", "団体区分"),
    ("prefecture", "都道府県"),
    ("year", "年"),
];

pub(super) fn root_title(root: &str, t: &'static crate::portal::i18n::Ui) -> &'static str {
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
pub(super) async fn search_cases(
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
            access: crate::cases::access::keys(&viewer.caller()),
            facets: facets.clone(),
            sort,
            limit: PAGE_SIZE,
            offset: (page - 1) * PAGE_SIZE,
        })
        .await?;
    let rows = reading::hits(&ctx.db, &viewer.caller(), &results.hits)
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
