//! The report form: a 第1報 (`/reports/new`) and each later 報 (`/reports/{id}/update`),
//! which starts from the previous 報. A refused form comes back with every problem named and
//! what was typed kept; nothing is stored.

use std::collections::HashMap;

use actix_web::{HttpResponse, get, post, web};
use askama::Template;

use super::label;
use crate::cases::CAUSES;
use crate::classify::model::Category;
use crate::context::AppContext;
use crate::domain::Tlp;
use crate::portal::error::{PortalError, render, render_refused};
use crate::portal::i18n::Lang;
use crate::portal::parts::Opt;
use crate::portal::viewer::{Nav, Viewer};
use crate::reports::mail::Mailing;
use crate::reports::store::{self};
use crate::reports::{DATA_KINDS, PHASES, ReportId, ReportInput, Tri};

#[derive(Template)]
#[template(path = "portal/report_form.html")]
struct FormPage {
    nav: Nav,
    /// The report a later 報 adds to.
    id: Option<i64>,
    heading: String,
    input: ReportInput,
    records: String,
    devices: String,
    errors: Vec<String>,
    phases: Vec<Opt>,
    tlps: Vec<Opt>,
    personal: Vec<Opt>,
    leaked: Vec<Opt>,
    contractor: Vec<Opt>,
    categories: Vec<Opt>,
    causes: Vec<Opt>,
    data_kinds: Vec<Opt>,
}

fn labelled(
    lang: Lang,
    v: &'static [(&'static str, &'static str)],
) -> Vec<(&'static str, &'static str)> {
    v.iter().map(|(id, ja)| (*id, lang.tr(ja))).collect()
}

fn tri_choices(lang: Lang) -> Vec<(&'static str, &'static str)> {
    Tri::ALL
        .iter()
        .map(|t| (t.as_str(), lang.tr(t.label_ja())))
        .collect()
}

fn page(
    viewer: &Viewer,
    id: Option<i64>,
    heading: String,
    input: ReportInput,
    errors: Vec<String>,
    counts: Option<(String, String)>,
) -> FormPage {
    let lang = viewer.lang;
    let (records, devices) = counts.unwrap_or_else(|| {
        (
            input.records.map(|n| n.to_string()).unwrap_or_default(),
            input.devices.map(|n| n.to_string()).unwrap_or_default(),
        )
    });
    let tlp = if input.tlp.is_empty() {
        "AMBER".to_owned()
    } else {
        input.tlp.clone()
    };
    FormPage {
        nav: viewer.nav(),
        id,
        heading,
        phases: Opt::list(labelled(lang, PHASES.0), &input.phase),
        tlps: Opt::list(Tlp::ALL.iter().map(|t| (t.as_str(), t.as_str())), &tlp),
        personal: Opt::list(tri_choices(lang), &input.personal_data),
        leaked: Opt::list(tri_choices(lang), &input.leaked),
        contractor: Opt::list(
            tri_choices(lang),
            if input.contractor.is_empty() {
                "unknown"
            } else {
                &input.contractor
            },
        ),
        categories: Opt::many(
            Category::ALL
                .iter()
                .map(|c| (c.as_str(), lang.category(*c))),
            &input.categories,
        ),
        causes: Opt::many(labelled(lang, CAUSES.0), &input.causes),
        data_kinds: Opt::many(labelled(lang, DATA_KINDS.0), &input.data_kinds),
        input,
        records,
        devices,
        errors,
    }
}

/// The form's fields (checkboxes arrive as `category_<id>=on`), and the problems of the ones
/// that are not text (a count that is not a number).
///
/// (The field's label, not its id, names it: `件名`, not `title`.)
fn read_form(
    form: &HashMap<String, String>,
    lang: Lang,
) -> (ReportInput, Vec<String>, (String, String)) {
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let mut errors = Vec::new();
    let mut number = |k: &'static str| -> Option<i64> {
        let t = get(k).replace([',', '，'], "");
        let t = t.trim();
        if t.is_empty() {
            return None;
        }
        t.parse::<i64>()
            .map_err(|_| {
                errors.push(lang.tr1("{}: 数字で入力してください", lang.tr(field_label(k))))
            })
            .ok()
    };
    let records = number("records");
    let devices = number("devices");
    let chosen = |prefix: &str, all: &mut dyn Iterator<Item = &'static str>| -> Vec<String> {
        all.filter(|id| {
            form.get(&format!("{prefix}{id}"))
                .is_some_and(|v| v == "on")
        })
        .map(str::to_owned)
        .collect()
    };
    let input = ReportInput {
        title: get("title"),
        summary: get("summary"),
        found_at: get("found_at"),
        systems: get("systems"),
        personal_data: get("personal_data"),
        leaked: get("leaked"),
        phase: get("phase"),
        situation: get("situation"),
        tlp: get("tlp"),
        categories: chosen("category_", &mut Category::ALL.iter().map(|c| c.as_str())),
        causes: chosen("cause_", &mut CAUSES.0.iter().map(|c| c.0)),
        response_plan: get("response_plan"),
        response_result: get("response_result"),
        prevention: get("prevention"),
        records,
        devices,
        data_kinds: chosen("data_kind_", &mut DATA_KINDS.0.iter().map(|c| c.0)),
        contractor: get("contractor"),
        publicised: get("publicised") == "on",
        publicised_on: Some(get("publicised_on")).filter(|v| !v.trim().is_empty()),
        agree_named: get("agree_named") == "on",
        final_report: get("final_report") == "on",
    };
    (input, errors, (get("records"), get("devices")))
}

#[get("/reports/new")]
pub(super) async fn new_form(viewer: Viewer) -> Result<HttpResponse, PortalError> {
    // 発見日時 starts empty: "now" is rarely when it was found, and a guess filled in for the
    // officer is a wrong fact nobody typed. The 「今」 button fills it on request.
    let input = ReportInput {
        tlp: "AMBER".into(),
        ..Default::default()
    };
    let heading = viewer.lang.tr("障害・事故等を報告する（第1報）").to_owned();
    render(&page(&viewer, None, heading, input, Vec::new(), None))
}

#[post("/reports/new")]
pub(super) async fn file(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(form.get("csrf").map(String::as_str).unwrap_or_default())?;
    let (mut input, mut errors, counts) = read_form(&form, viewer.lang);
    let now = chrono::Utc::now();
    if form.contains_key("fill_now") {
        // The 「今」 button (no script): the same form again, 発見日時 set to this minute.
        input.found_at = crate::time::format_jst(&now)
            .get(..16)
            .unwrap_or_default()
            .to_owned();
        let heading = viewer.lang.tr("障害・事故等を報告する（第1報）").to_owned();
        return render(&page(
            &viewer,
            None,
            heading,
            input,
            Vec::new(),
            Some(counts),
        ));
    }
    let checked = input.validate(now);
    if let Err(e) = &checked {
        errors.extend(e.0.iter().map(|(f, m)| problem(f, m, viewer.lang)));
    }
    let fields = match checked {
        Ok(f) if errors.is_empty() => f,
        _ => {
            let heading = viewer.lang.tr("障害・事故等を報告する（第1報）").to_owned();
            return render_refused(
                &page(&viewer, None, heading, input, errors, Some(counts)),
                true,
            );
        }
    };
    let id = crate::reports::act::file(
        &ctx.db,
        &Mailing::of(&ctx.settings),
        &viewer.org,
        fields,
        &viewer.actor(),
        now,
    )
    .await?;
    Ok(crate::portal::parts::see_other(&format!("/reports/{id}")))
}

/// The report's last 報, if the viewer may add the next one.
async fn open_for_update(
    ctx: &AppContext,
    viewer: &Viewer,
    id: i64,
) -> Result<(store::Report, store::Update), PortalError> {
    let (rep, _) = store::writable(&ctx.db, ReportId(id), &viewer.caller()).await?;
    let last = store::updates(&ctx.db, rep.id)
        .await?
        .pop()
        .ok_or(PortalError::NotFound)?;
    Ok((rep, last))
}

fn update_heading(viewer: &Viewer, id: i64, next: i32) -> String {
    format!(
        "{} #{id} — {}",
        viewer.lang.tr("障害・事故等報告"),
        label(next, false, viewer.lang)
    )
}

#[get("/reports/{id}/update")]
pub(super) async fn update_form(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<i64>,
) -> Result<HttpResponse, PortalError> {
    let id = path.into_inner();
    let (rep, last) = open_for_update(&ctx, &viewer, id).await?;
    let heading = update_heading(&viewer, id, rep.updates + 1);
    render(&page(
        &viewer,
        Some(id),
        heading,
        last.fields.to_input(),
        Vec::new(),
        None,
    ))
}

#[post("/reports/{id}/update")]
pub(super) async fn add_update(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<i64>,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(form.get("csrf").map(String::as_str).unwrap_or_default())?;
    let id = path.into_inner();
    let (rep, _) = open_for_update(&ctx, &viewer, id).await?;
    let (input, mut errors, counts) = read_form(&form, viewer.lang);
    let now = chrono::Utc::now();
    let checked = input.validate(now);
    if let Err(e) = &checked {
        errors.extend(e.0.iter().map(|(f, m)| problem(f, m, viewer.lang)));
    }
    let fields = match checked {
        Ok(f) if errors.is_empty() => f,
        _ => {
            let heading = update_heading(&viewer, id, rep.updates + 1);
            return render_refused(
                &page(&viewer, Some(id), heading, input, errors, Some(counts)),
                true,
            );
        }
    };
    crate::reports::act::add_update(
        &ctx.db,
        &Mailing::of(&ctx.settings),
        rep.id,
        &viewer.caller(),
        fields,
        &viewer.actor(),
        now,
    )
    .await?;
    Ok(crate::portal::parts::see_other(&format!("/reports/{id}")))
}

/// The form's label of a 報's field (the API names fields by their ids).
fn field_label(field: &str) -> &'static str {
    match field {
        "title" => "件名",
        "summary" => "概要",
        "found_at" => "発見日時",
        "systems" => "影響を受けたシステム",
        "personal_data" => "個人情報",
        "leaked" => "外部への漏えい",
        "phase" => "現在の段階",
        "situation" => "現在の状況",
        "tlp" => "TLP",
        "categories" => "分類",
        "causes" => "原因",
        "response_plan" => "対処方針",
        "response_result" => "対処結果",
        "prevention" => "再発防止策",
        "records" => "件数（個人情報）",
        "devices" => "台数（端末等）",
        "data_kinds" => "個人情報の種類",
        "contractor" => "委託先の関与",
        "publicised_on" => "公表日",
        _ => "入力",
    }
}

/// One problem of a 報 as the form shows it: the field's label and the message, without the
/// English hint the API's message carries (`(required)`), in the viewer's language.
fn problem(field: &str, message: &str, lang: Lang) -> String {
    let message = match message.find(" (") {
        Some(i) if message[i..].is_ascii() => &message[..i],
        _ => message,
    };
    format!("{}: {}", lang.tr(field_label(field)), lang.tr(message))
}
