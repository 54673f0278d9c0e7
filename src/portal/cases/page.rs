//! `/cases/{id}`: one case, its history and the cases most like it.

use super::*;
use crate::domain::ids::ReportId;

pub struct HistoryRow {
    pub at: String,
    pub action: &'static str,
    pub revision: i32,
    pub who: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "portal/case.html")]
pub(super) struct CasePage {
    nav: Nav,
    id: CaseId,
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
    /// 公表済み（date） or 未公表.
    publicised: String,
    /// The incident report this case was made from and its TLP: central staff only.
    from_report: Option<(ReportId, &'static str)>,
    /// The case is shared more widely than the report it came from (an audited decision).
    looser_than_report: bool,
    updated: String,
    history: Vec<HistoryRow>,
    similar: Vec<CaseRow>,
    can_edit: bool,
    can_publish: bool,
    can_withdraw: bool,
}

pub(super) fn action_label(a: &str, lang: Lang) -> &'static str {
    if lang == Lang::En {
        return match a {
            "submit" => "Submitted",
            "edit" => "Edited (review)",
            "publish" => "Published",
            "revise" => "Revised",
            "withdraw" => "Withdrawn",
            "tlp_lowered" => "TLP made looser than the report's",
            _ => "Changed",
        };
    }
    match a {
        "submit" => "受付",
        "edit" => "編集（審査）",
        "publish" => "公開",
        "revise" => "改訂",
        "withdraw" => "取下げ",
        "tlp_lowered" => "TLP を元の報告より緩めた",
        _ => "変更",
    }
}

#[get("/cases/{id}")]
pub(super) async fn show_case(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<String>,
) -> Result<HttpResponse, PortalError> {
    let case = readable(&ctx, &viewer, &path).await?;
    let f = &case.fields;
    let named_as = reading::named_as(&ctx.db, &case).await?;
    let central = viewer.may(Section::Central);
    // The history names people: central staff and the submitting organisation see it.
    let own = case.organisation_id == Some(viewer.org.id);
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
                Lang::Ja => format!("{} 件", crate::domain::text::count(n.max(0) as u64)),
                Lang::En => crate::domain::text::count(n.max(0) as u64),
            })
            .unwrap_or_else(|| "—".into()),
        systems: f.systems_affected.clone(),
        alert_ids: f.alert_ids.clone(),
        advisory_ids: f.advisory_ids.clone(),
        tlp: f.tlp.as_str().into(),
        tlp_meaning: tlp_meaning(f.tlp, viewer.lang),
        source: f.source.clone(),
        publicised: match (f.publicised, f.publicised_on) {
            (true, Some(d)) => format!(
                "{}（{}）",
                viewer.lang.tr("公表済み"),
                crate::time::format_date(d, viewer.dates)
            ),
            (true, None) => viewer.lang.tr("公表済み").into(),
            (false, _) => viewer.lang.tr("未公表").into(),
        },
        from_report: case
            .origin
            .filter(|_| central)
            .map(|o| (o.report_id, o.tlp.as_str())),
        looser_than_report: central && case.origin.is_some_and(|o| case.fields.tlp < o.tlp),
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
