//! The desk's side of a report in the portal: what the report waits for and from whom, the
//! steps taken (受理, 依頼, 指示, 承認, 連携, 確認) with who and when, the 個人情報保護委員会
//! deadlines with overdue marks, the step and 連携 forms (central staff; the prefecture
//! administrator for its municipalities, without 連携), and the summary for forwarding it: a
//! print view (the browser prints it to PDF) and CSV. JSON is the API's report.

use actix_web::{HttpResponse, get, post, web};
use askama::Template;

use super::status_label;
use crate::context::AppContext;
use crate::portal::error::{PortalError, render};
use crate::portal::viewer::{Nav, Viewer};
use crate::reports::ReportId;
use crate::reports::access::{may_answer, may_liaise};
use crate::reports::steps::{Partner, Party, PpcDeadline, Step, StepInput, StepKind, Waiting};
use crate::reports::store::{self, Report, Update};

/// One step as the page shows it.
pub struct StepView {
    pub kind: &'static str,
    pub label: &'static str,
    pub at: String,
    pub by: String,
    pub body: String,
    /// Due time, follow-up date, partner, reference, the 報 it concerns: in words.
    pub detail: String,
}

pub struct WaitingView {
    pub on: &'static str,
    pub what: &'static str,
    pub due: String,
    pub overdue: bool,
}

pub struct DeadlineView {
    pub stage: &'static str,
    pub due: String,
    pub done: String,
    pub overdue: bool,
}

/// What the report page shows of the desk's side.
pub struct DeskView {
    pub waiting: Vec<WaitingView>,
    pub steps: Vec<StepView>,
    pub deadlines: Vec<DeadlineView>,
    pub can_answer: bool,
    pub can_liaise: bool,
    /// The kinds the step form offers (not 連携, which has its own form).
    pub kinds: Vec<(&'static str, &'static str)>,
    pub partners: Vec<(&'static str, &'static str)>,
    pub seqs: Vec<i32>,
}

fn step_view(viewer: &Viewer, s: &Step) -> StepView {
    let lang = viewer.lang;
    let mut detail = Vec::new();
    if let Some(n) = s.update_seq {
        detail.push(lang.tr1("第{}報について", n.to_string()));
    }
    match s.kind {
        StepKind::Request => {
            if let Some(d) = s.due_at {
                detail.push(lang.tr1("期限 {}", viewer.when(&d)));
            }
        }
        StepKind::PreventionApproved => {
            if let Some(d) = s.due_at {
                detail.push(lang.tr1("実施状況の確認日 {}", viewer.when(&d)));
            }
        }
        StepKind::Liaison => {
            detail.push(lang.tr1("連携先 {}", s.partner_label()));
            if let Some(t) = s.sent_at {
                detail.push(lang.tr1("連携日時 {}", viewer.when(&t)));
            }
            if let Some(r) = &s.reference {
                detail.push(lang.tr1("整理番号 {}", r));
            }
        }
        _ => {}
    }
    StepView {
        kind: s.kind.as_str(),
        label: lang.tr(s.kind.label_ja()),
        at: viewer.when(&s.created_at),
        by: crate::portal::parts::who(&s.author),
        body: s.body.clone(),
        detail: detail.join(lang.tr("・")),
    }
}

fn waiting_view(viewer: &Viewer, w: &Waiting) -> WaitingView {
    WaitingView {
        on: viewer.lang.tr(match w.on {
            Party::Reporter => "報告団体",
            Party::Desk => "中央・都道府県",
        }),
        what: viewer.lang.tr(w.what),
        due: w.due.map(|d| viewer.when(&d)).unwrap_or_default(),
        overdue: w.overdue,
    }
}

fn deadline_view(viewer: &Viewer, d: &PpcDeadline) -> DeadlineView {
    DeadlineView {
        stage: viewer.lang.tr(d.stage.label_ja()),
        due: viewer.when(&d.due),
        done: d.done_at.map(|t| viewer.when(&t)).unwrap_or_default(),
        overdue: d.overdue,
    }
}

/// The desk's side of `rep` for `viewer`.
pub(super) async fn desk_view(
    ctx: &AppContext,
    viewer: &Viewer,
    rep: &Report,
    reporter: &crate::registry::Organisation,
    updates: &[Update],
    next_due: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<DeskView, PortalError> {
    let now = chrono::Utc::now();
    let steps = store::steps(&ctx.db, rep.id).await?;
    let r = viewer.caller();
    let waiting = crate::reports::steps::waiting(rep, updates, &steps, next_due, now);
    let deadlines = updates
        .last()
        .map(|u| crate::reports::steps::ppc_deadlines(u, &steps, now))
        .unwrap_or_default();
    let lang = viewer.lang;
    Ok(DeskView {
        waiting: waiting.iter().map(|w| waiting_view(viewer, w)).collect(),
        steps: steps.iter().map(|s| step_view(viewer, s)).collect(),
        deadlines: deadlines.iter().map(|d| deadline_view(viewer, d)).collect(),
        can_answer: may_answer(&r, reporter, rep.tlp),
        can_liaise: may_liaise(&r),
        kinds: StepKind::ALL
            .into_iter()
            .filter(|k| *k != StepKind::Liaison)
            .map(|k| (k.as_str(), lang.tr(k.label_ja())))
            .collect(),
        partners: Partner::ALL
            .into_iter()
            .map(|p| (p.as_str(), lang.tr(p.label_ja())))
            .collect(),
        seqs: (1..=rep.updates).rev().collect(),
    })
}

/// The form's fields, all text (a form has no numbers; `flatten` would not read them).
#[derive(serde::Deserialize)]
struct StepForm {
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    due: String,
    #[serde(default)]
    follow_up_on: String,
    #[serde(default)]
    partner: String,
    #[serde(default)]
    partner_name: String,
    #[serde(default)]
    stage: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    sent_at: String,
    #[serde(default)]
    update_seq: String,
}

impl StepForm {
    fn input(&self, lang: crate::portal::i18n::Lang) -> Result<StepInput, PortalError> {
        let update_seq = match self.update_seq.trim() {
            "" => None,
            n => Some(n.parse::<i32>().map_err(|_| {
                PortalError::BadRequest(lang.tr1("「{}」は報の番号ではありません", n))
            })?),
        };
        Ok(StepInput {
            kind: self.kind.clone(),
            body: self.body.clone(),
            due: self.due.clone(),
            follow_up_on: self.follow_up_on.clone(),
            partner: self.partner.clone(),
            partner_name: self.partner_name.clone(),
            stage: self.stage.clone(),
            reference: self.reference.clone(),
            sent_at: self.sent_at.clone(),
            update_seq,
        })
    }
}

#[post("/reports/{id}/steps")]
pub(super) async fn take(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<ReportId>,
    form: web::Form<StepForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    let id = path.into_inner();
    let input = form.input(viewer.lang)?;
    let taken = crate::reports::act_steps::take_step(
        &ctx.db,
        &crate::reports::mail::Mailing::of(&ctx.settings),
        id,
        &viewer.caller(),
        &ctx.settings.reports.desk_name,
        &input,
        &viewer.actor(),
        chrono::Utc::now(),
    )
    .await;
    match taken {
        Ok(_) => Ok(crate::portal::parts::see_other(&format!(
            "/reports/{id}#steps"
        ))),
        // Each problem under its field's label, in the viewer's language.
        Err(crate::reports::store::ReportError::Invalid(crate::reports::InvalidReport(list))) => {
            let lang = viewer.lang;
            Err(PortalError::BadRequest(
                list.iter()
                    .map(|(field, m)| {
                        format!("{}: {}", lang.tr(step_label(field)), lang.message(m))
                    })
                    .collect::<Vec<_>>()
                    .join(" / "),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// The label of a step form's field, as the form shows it.
fn step_label(field: &str) -> &'static str {
    match field {
        "kind" => "種類",
        "body" => "内容",
        "due" => "期限",
        "partner" => "連携先",
        "partner_name" => "連携先の機関名",
        "sent_at" => "連携した日時",
        "stage" => "段階",
        "update_seq" => "対象の報",
        _ => "入力",
    }
}

#[derive(Template)]
#[template(path = "portal/report_print.html")]
struct PrintPage {
    nav: Nav,
    id: ReportId,
    title: String,
    organisation: String,
    tlp: &'static str,
    status: &'static str,
    printed: String,
    latest: super::page::UpdateView,
    desk: DeskView,
}

#[get("/reports/{id}/print")]
pub(super) async fn print(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<ReportId>,
) -> Result<HttpResponse, PortalError> {
    let (rep, org) = store::readable(&ctx.db, path.into_inner(), &viewer.caller()).await?;
    let updates = store::updates(&ctx.db, rep.id).await?;
    let last = updates.last().ok_or(PortalError::NotFound)?;
    let t = crate::reports::timers::of(&rep, &ctx.settings.reports, chrono::Utc::now());
    let desk = desk_view(&ctx, &viewer, &rep, &org, &updates, t.next_due).await?;
    render(&PrintPage {
        id: rep.id,
        title: last.fields.title.clone(),
        organisation: org.full_name(),
        tlp: rep.tlp.as_str(),
        status: status_label(rep.status, viewer.lang),
        printed: viewer.when(&chrono::Utc::now()),
        latest: super::page::view(
            &viewer,
            last.seq,
            &last.fields,
            &last.created_at,
            &last.author,
        ),
        desk,
        nav: viewer.nav(),
    })
}

/// The report's history as CSV (UTF-8 with a BOM, so Excel opens it in Japanese): each 報 and
/// each step in time order, with who and when.
#[get("/reports/{id}/summary.csv")]
pub(super) async fn csv(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<ReportId>,
) -> Result<HttpResponse, PortalError> {
    let (rep, org) = store::readable(&ctx.db, path.into_inner(), &viewer.caller()).await?;
    let updates = store::updates(&ctx.db, rep.id).await?;
    let steps = store::steps(&ctx.db, rep.id).await?;
    let lang = viewer.lang;
    let mut rows: Vec<(chrono::DateTime<chrono::Utc>, [String; 4])> = Vec::new();
    for u in &updates {
        rows.push((
            u.created_at,
            [
                super::label(u.seq, u.fields.final_report, lang),
                crate::portal::parts::who(&u.author),
                lang.tr(u.fields.phase_label()).to_owned(),
                String::new(),
            ],
        ));
    }
    for s in &steps {
        let v = step_view(&viewer, s);
        rows.push((
            s.created_at,
            [v.label.to_owned(), v.by, v.detail, s.body.clone()],
        ));
    }
    rows.sort_by_key(|(t, _)| *t);
    let head = [
        "報告番号",
        "団体",
        "TLP",
        "日時",
        "種類",
        "担当",
        "詳細",
        "内容",
    ];
    let cell = crate::domain::text::csv_cell;
    let mut out = String::from("\u{feff}");
    out.push_str(&head.map(|h| cell(lang.tr(h))).join(","));
    out.push_str("\r\n");
    for (t, [kind, by, detail, body]) in rows {
        let line = [
            rep.id.to_string(),
            org.full_name(),
            format!("TLP:{}", rep.tlp.as_str()),
            viewer.when(&t),
            kind,
            by,
            detail,
            body,
        ]
        .map(|c| cell(&c))
        .join(",");
        out.push_str(&line);
        out.push_str("\r\n");
    }
    let bytes = out;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"report-{}.csv\"", rep.id),
        ))
        .body(bytes))
}
