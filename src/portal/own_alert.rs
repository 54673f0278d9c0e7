//! `/alerts/new`: a prefecture's own 注意喚起 to its municipalities, written by its staff. It
//! becomes a draft owned by the prefecture and goes through four eyes at `/drafts/{id}` (its
//! staff submit, its administrator approves, never the writer); an audience beyond the
//! prefecture is refused ([`crate::alerts::own`]).

use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::error::{PortalError, render, render_refused};
use super::parts::Opt;
use super::viewer::{Nav, Viewer};
use crate::alerts::own::{self, OwnAlert};
use crate::context::AppContext;
use crate::domain::{Severity, Tlp};
use crate::registry::OrgKind;

#[derive(Template)]
#[template(path = "portal/own_alert.html")]
struct NewPage {
    nav: Nav,
    title: String,
    body: String,
    picker: super::picker::PickerView,
    hours: String,
    office_days: bool,
    severities: Vec<Opt>,
    tlps: Vec<Opt>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct NewForm {
    csrf: String,
    title: String,
    body: String,
    severity: String,
    tlp: String,
    #[serde(flatten)]
    picker: super::picker::PickerFields,
    hours: String,
    /// The checkbox 「開庁日で数える」: present when ticked.
    #[serde(default)]
    office_days: Option<String>,
}

fn require_prefecture(viewer: &Viewer) -> Result<(), PortalError> {
    if viewer.org.kind == OrgKind::Prefecture && !viewer.session.user.role.is_central() {
        Ok(())
    } else {
        Err(PortalError::Forbidden(
            viewer
                .lang
                .tr("この画面は都道府県の職員が管内の市区町村へ注意喚起を送るためのものです。")
                .into(),
        ))
    }
}

fn page(
    viewer: &Viewer,
    policy: &crate::alerts::policy::DraftPolicy,
    f: Option<&NewForm>,
    error: Option<String>,
    preview: Option<String>,
) -> NewPage {
    let severity = f.map_or("high", |f| f.severity.as_str());
    let tlp = f.map_or("GREEN", |f| f.tlp.as_str());
    NewPage {
        nav: viewer.nav(),
        title: f.map(|f| f.title.clone()).unwrap_or_default(),
        body: f.map(|f| f.body.clone()).unwrap_or_default(),
        picker: {
            let own = super::picker::limit_of(viewer);
            let initial = super::picker::PickerFields::initial(own);
            let mut v =
                super::picker::PickerView::of(f.map_or(&initial, |f| &f.picker), own, viewer.lang);
            v.preview = preview;
            v
        },
        hours: f.map_or_else(|| "72".into(), |f| f.hours.clone()),
        office_days: f.map_or(policy.office_days, |f| f.office_days.is_some()),
        severities: Opt::list(
            Severity::ALL
                .iter()
                .map(|s| (s.as_str(), viewer.lang.tr(s.label_ja()))),
            severity,
        ),
        tlps: Opt::list(Tlp::ALL.iter().map(|t| (t.as_str(), t.as_str())), tlp),
        error,
    }
}

#[get("/alerts/new")]
async fn new_form(ctx: web::Data<AppContext>, viewer: Viewer) -> Result<HttpResponse, PortalError> {
    require_prefecture(&viewer)?;
    render(&page(&viewer, &ctx.policy, None, None, None))
}

#[post("/alerts/new")]
async fn create(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    form: web::Form<NewForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    require_prefecture(&viewer)?;
    let own = super::picker::limit_of(&viewer);
    let selectors = match super::picker::read(&ctx, &form.picker, own, viewer.lang).await? {
        Ok(s) => s,
        Err(e) => {
            return render_refused(
                &page(&viewer, &ctx.policy, Some(&form), Some(e), None),
                true,
            );
        }
    };
    if form.picker.previewing() {
        let said = super::picker::preview(&ctx, &selectors, viewer.lang).await?;
        return render(&page(&viewer, &ctx.policy, Some(&form), None, Some(said)));
    }
    let checked = OwnAlert::parse(
        &form.title,
        &form.body,
        &form.severity,
        &form.tlp,
        &selectors.join(" "),
        &form.hours,
    );
    let alert = match checked {
        Ok(a) => OwnAlert {
            ack_office_days: form.office_days.is_some(),
            ..a
        },
        Err(problems) => {
            let lines: Vec<String> = problems
                .into_iter()
                .map(|p| match viewer.lang {
                    super::i18n::Lang::Ja => p.ja,
                    super::i18n::Lang::En => p.en,
                })
                .collect();
            let sep = viewer.lang.tr("。");
            return render_refused(
                &page(
                    &viewer,
                    &ctx.policy,
                    Some(&form),
                    Some(lines.join(sep)),
                    None,
                ),
                true,
            );
        }
    };
    match own::create(
        &ctx.db,
        &ctx.policy,
        &ctx.rules,
        alert,
        &viewer.actor(),
        &viewer.org,
    )
    .await
    {
        Ok(a) => Ok(super::parts::see_other(&format!("/drafts/{}", a.id))),
        Err(e) => {
            let message = super::error::refusal(e)?;
            render_refused(
                &page(&viewer, &ctx.policy, Some(&form), Some(message), None),
                true,
            )
        }
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(new_form).service(create);
}
