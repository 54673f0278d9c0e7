//! `/reports/{id}`: one report — its last 報 in full, every earlier 報 as written, the
//! prefecture's notes, the mail it sent — with what the viewer may do: the next 報 (its
//! organisation), a note, 確認済 and 連携 (its prefecture's administrator), a case (central
//! operators, once it is closed). The link to that case is shown to central staff only.

use crate::domain::ids::CaseId;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::{label, relay_text, status_label};
use crate::cases::{CAUSES, Kind};
use crate::classify::model::Category;
use crate::context::AppContext;
use crate::portal::error::{PortalError, render};
use crate::portal::i18n::Lang;
use crate::portal::parts::CsrfForm;
use crate::portal::parts::who;
use crate::portal::viewer::{Nav, Viewer};
use crate::reports::access::{may_make_case, may_relay, may_update};
use crate::reports::store::{self, Report};
use crate::reports::{DATA_KINDS, ReportFields, ReportId, Status, timers};

/// One 報 as the page shows it.
pub struct UpdateView {
    pub label: String,
    pub at: String,
    pub by: String,
    pub rows: Vec<(&'static str, String)>,
    pub texts: Vec<(&'static str, String)>,
}

pub struct NoteView {
    pub at: String,
    pub by: String,
    pub body: String,
}

pub struct MailView {
    pub to: String,
    pub subject: String,
    pub state: &'static str,
}

#[derive(Template)]
#[template(path = "portal/report.html")]
struct ReportPage {
    nav: Nav,
    id: ReportId,
    title: String,
    organisation: String,
    tlp: &'static str,
    status: &'static str,
    open: bool,
    relay: String,
    first_late: bool,
    overdue: bool,
    due: String,
    latest: UpdateView,
    earlier: Vec<UpdateView>,
    notes: Vec<NoteView>,
    mails: Vec<MailView>,
    can_update: bool,
    can_relay: bool,
    confirmed: bool,
    forwarded: bool,
    can_make_case: bool,
    /// Central staff only.
    case_id: Option<CaseId>,
    desk: super::steps::DeskView,
}

fn labels(ids: &[String], lang: Lang, label: impl Fn(&str) -> Option<&'static str>) -> String {
    let out: Vec<&str> = ids
        .iter()
        .filter_map(|i| label(i).map(|l| lang.tr(l)))
        .collect();
    if out.is_empty() {
        "—".into()
    } else {
        out.join(lang.tr("・"))
    }
}

pub(super) fn view(
    viewer: &Viewer,
    seq: i32,
    f: &ReportFields,
    at: &chrono::DateTime<chrono::Utc>,
    by: &str,
) -> UpdateView {
    let lang = viewer.lang;
    let count = |n: Option<i64>| {
        n.map(|n| crate::domain::text::count(n.max(0) as u64))
            .unwrap_or_else(|| "—".into())
    };
    let rows = vec![
        ("発見日時", viewer.when(&f.found_at)),
        ("現在の段階", lang.tr(f.phase_label()).to_owned()),
        ("影響を受けたシステム", f.systems.clone()),
        ("個人情報", lang.tr(f.personal_data.label_ja()).to_owned()),
        (
            "個人情報の種類",
            labels(&f.data_kinds, lang, |k| DATA_KINDS.label(k)),
        ),
        ("外部への漏えい", lang.tr(f.leaked.label_ja()).to_owned()),
        ("件数（個人情報）", count(f.records)),
        ("台数（端末等）", count(f.devices)),
        ("委託先の関与", lang.tr(f.contractor.label_ja()).to_owned()),
        (
            "分類",
            labels(&f.categories, lang, |c| {
                Category::parse(c).ok().map(|c| c.label_ja())
            }),
        ),
        ("原因", labels(&f.causes, lang, |c| CAUSES.label(c))),
        (
            "公表",
            match (f.publicised, f.publicised_on) {
                (true, Some(d)) => format!(
                    "{}（{}）",
                    lang.tr("公表済み"),
                    crate::time::format_date(d, viewer.dates)
                ),
                (true, None) => lang.tr("公表済み").into(),
                (false, _) => lang.tr("未公表").into(),
            },
        ),
        (
            "事例化での団体名",
            lang.tr(if f.agree_named {
                "公表に同意"
            } else {
                "匿名"
            })
            .into(),
        ),
    ];
    let texts = [
        ("概要", &f.summary),
        ("現在の状況", &f.situation),
        ("対処方針", &f.response_plan),
        ("対処結果", &f.response_result),
        ("再発防止策", &f.prevention),
    ]
    .into_iter()
    .filter(|(_, t)| !t.is_empty())
    .map(|(h, t)| (h, t.clone()))
    .collect();
    UpdateView {
        label: label(seq, f.final_report, lang),
        at: viewer.when(at),
        by: who(by),
        rows,
        texts,
    }
}

/// The report and its organisation, if the viewer may read it (else "not found").
async fn readable(
    ctx: &AppContext,
    viewer: &Viewer,
    id: ReportId,
) -> Result<(Report, crate::registry::Organisation), PortalError> {
    Ok(store::readable(&ctx.db, id, &viewer.caller()).await?)
}

#[get("/reports/{id}")]
pub(super) async fn show(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<ReportId>,
) -> Result<HttpResponse, PortalError> {
    let (rep, org) = readable(&ctx, &viewer, path.into_inner()).await?;
    let r = viewer.caller();
    let mut updates = store::updates(&ctx.db, rep.id).await?;
    let notes = store::notes(&ctx.db, rep.id).await?;
    let mails = crate::notices::store::for_report(&ctx.db, rep.id).await?;
    let t = timers::of(&rep, &ctx.settings.reports, chrono::Utc::now());
    let desk = super::steps::desk_view(&ctx, &viewer, &rep, &org, &updates, t.next_due).await?;
    let last = updates.pop().ok_or(PortalError::NotFound)?;
    render(&ReportPage {
        id: rep.id,
        title: last.fields.title.clone(),
        organisation: org.full_name(),
        tlp: rep.tlp.as_str(),
        status: status_label(rep.status, viewer.lang),
        open: rep.status == Status::Open,
        relay: relay_text(&rep, viewer.lang),
        first_late: t.first_late,
        overdue: t.overdue,
        due: t.next_due.map(|d| viewer.when(&d)).unwrap_or_default(),
        latest: view(
            &viewer,
            last.seq,
            &last.fields,
            &last.created_at,
            &last.author,
        ),
        earlier: updates
            .iter()
            .rev()
            .map(|u| view(&viewer, u.seq, &u.fields, &u.created_at, &u.author))
            .collect(),
        notes: notes
            .into_iter()
            .map(|n| NoteView {
                at: viewer.when(&n.created_at),
                by: who(&n.author),
                body: n.body,
            })
            .collect(),
        mails: mails
            .into_iter()
            .map(|m| MailView {
                state: viewer.lang.tr(crate::notices::store::state_ja(&m)),
                to: m.recipient,
                subject: m.subject,
            })
            .collect(),
        can_update: may_update(&r, &org) && rep.status == Status::Open,
        can_relay: may_relay(&r, &org, rep.tlp),
        confirmed: rep.confirmed_at.is_some(),
        forwarded: rep.forwarded_at.is_some(),
        can_make_case: may_make_case(&r) && rep.status.ended() && rep.case_id.is_none(),
        case_id: rep.case_id.filter(|_| r.central),
        desk,
        nav: viewer.nav(),
    })
}

#[derive(Deserialize)]
struct NoteForm {
    csrf: String,
    note: String,
}

#[post("/reports/{id}/notes")]
pub(super) async fn note(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<ReportId>,
    form: web::Form<NoteForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    let id = path.into_inner();
    crate::reports::act::add_note(
        &ctx.db,
        id,
        &viewer.caller(),
        &form.note,
        &viewer.actor(),
        chrono::Utc::now(),
    )
    .await?;
    Ok(crate::portal::parts::see_other(&format!("/reports/{id}")))
}

#[post("/reports/{id}/confirm")]
pub(super) async fn confirm(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<ReportId>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    let id = path.into_inner();
    crate::reports::act::confirm(
        &ctx.db,
        id,
        &viewer.caller(),
        &viewer.actor(),
        chrono::Utc::now(),
    )
    .await?;
    Ok(crate::portal::parts::see_other(&format!("/reports/{id}")))
}

#[post("/reports/{id}/forward")]
pub(super) async fn forward(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<ReportId>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    let id = path.into_inner();
    crate::reports::act::forward(
        &ctx.db,
        &crate::reports::mail::Mailing::of(&ctx.settings),
        id,
        &viewer.caller(),
        &viewer.org.name,
        &viewer.actor(),
        chrono::Utc::now(),
    )
    .await?;
    Ok(crate::portal::parts::see_other(&format!("/reports/{id}")))
}

#[derive(Deserialize)]
struct CaseForm {
    csrf: String,
    kind: String,
}

#[post("/reports/{id}/case")]
pub(super) async fn make_case(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<ReportId>,
    form: web::Form<CaseForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    let id = path.into_inner();
    // Not found before forbidden: a reader who may not see the report learns nothing.
    readable(&ctx, &viewer, id).await?;
    let kind = Kind::from_code(&form.kind).ok_or_else(|| {
        PortalError::BadRequest(
            viewer
                .lang
                .tr1("kind: `{}` は事例の種別ではありません", &form.kind),
        )
    })?;
    let case =
        crate::reports::to_case::make_case(&ctx.db, id, &viewer.caller(), kind, &viewer.actor())
            .await?;
    Ok(crate::portal::parts::see_other(&format!(
        "/cases/{case}/edit"
    )))
}
