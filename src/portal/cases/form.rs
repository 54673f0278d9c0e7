//! Writing a case: `/cases/new` (an organisation submits) and `/cases/{id}/edit` (central staff
//! edit and anonymise, or prepare a revision of a published case).

use super::*;
use crate::domain::ids::ReportId;

#[derive(Template)]
#[template(path = "portal/case_form.html")]
pub(super) struct CaseFormPage {
    nav: Nav,
    /// `None`: a new case.
    id: Option<CaseId>,
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
    /// The incident report the case was made from and its TLP (editing only).
    origin: Option<(ReportId, &'static str)>,
    tlp_reason: String,
}

pub(super) fn form_page(
    viewer: &Viewer,
    id: Option<CaseId>,
    published: bool,
    input: CaseInput,
    errors: Vec<String>,
    note: String,
    records: Option<String>,
) -> CaseFormPage {
    form_page_from(viewer, id, published, input, errors, note, records, None)
}

/// The form, for a case made from an incident report (`origin`): the report and its TLP are
/// shown, with the reason a looser marking needs.
#[allow(clippy::too_many_arguments)]
pub(super) fn form_page_from(
    viewer: &Viewer,
    id: Option<CaseId>,
    published: bool,
    input: CaseInput,
    errors: Vec<String>,
    note: String,
    records: Option<String>,
    origin: Option<(crate::cases::store::Origin, String)>,
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
        origin: origin.as_ref().map(|(o, _)| (o.report_id, o.tlp.as_str())),
        tlp_reason: origin.map(|(_, r)| r).unwrap_or_default(),
        input,
        nav: viewer.nav(),
    }
}

/// The suggested organisation kind for a new case from the viewer's organisation.
pub(super) fn own_org_kind(viewer: &Viewer) -> &'static str {
    match viewer.org.kind {
        crate::registry::OrgKind::Prefecture => "prefecture",
        crate::registry::OrgKind::Central => "central",
        crate::registry::OrgKind::Municipality => "city",
    }
}

#[get("/cases/new")]
pub(super) async fn new_case(viewer: Viewer) -> Result<HttpResponse, PortalError> {
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
pub(super) struct Submitted {
    csrf: String,
    input: CaseInput,
    note: String,
    tlp_reason: String,
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

pub(super) fn read_form(form: HashMap<String, String>, lang: Lang) -> Submitted {
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
        publicised: get("publicised") == "on",
        publicised_on: opt("publicised_on"),
    };
    Submitted {
        csrf: get("csrf"),
        input,
        note: get("note"),
        tlp_reason: get("tlp_reason"),
        records_text,
        errors,
    }
}

/// Writes what waits in the outbox into the index now, so the change is searchable when the
/// next page loads. A failure here is not the user's: the outbox worker retries.

#[post("/cases/new")]
pub(super) async fn submit_case(
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
    let org = (!central).then_some(viewer.org.id);
    let id = crate::cases::act::submit(&ctx.db, &fields, org, &viewer.actor()).await?;
    Ok(crate::portal::parts::see_other(&format!("/cases/{id}")))
}

#[get("/cases/{id}/edit")]
pub(super) async fn edit_case(
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
    render(&form_page_from(
        &viewer,
        Some(case.id),
        case.status == Status::Published,
        case.fields.to_input(),
        Vec::new(),
        String::new(),
        None,
        case.origin.map(|o| (o, String::new())),
    ))
}

#[post("/cases/{id}/edit")]
pub(super) async fn save_case(
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
        Some(f) => {
            crate::cases::act::edit(
                &ctx.db,
                case.id,
                f,
                Some(&sub.note),
                Some(&sub.tlp_reason),
                &viewer.actor(),
            )
            .await
        }
        None => Ok(case.status),
    };
    let refused = |errors: Vec<String>| {
        render_refused(
            &form_page_from(
                &viewer,
                Some(case.id),
                published,
                sub.input.clone(),
                errors,
                sub.note.clone(),
                Some(sub.records_text.clone()),
                case.origin.map(|o| (o, sub.tlp_reason.clone())),
            ),
            true,
        )
    };
    match result {
        Ok(_) if fields.is_some() => {
            index_now(&ctx).await;
            Ok(crate::portal::parts::see_other(&format!(
                "/cases/{}",
                case.id
            )))
        }
        Ok(_) => refused(errors),
        Err(CaseError::Refused(m)) => refused(vec![m]),
        Err(e) => Err(e.into()),
    }
}
