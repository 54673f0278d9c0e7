//! The inbox (受信一覧): alerts addressed to the viewer's organisation, newest first, with its
//! state, deadline and overdue marks, filtered by state and severity and searched by words
//! (a product, a CVE id, anything in the alert's text).

use actix_web::{HttpResponse, get, web};
use askama::Template;
use chrono::Utc;

use super::error::{PortalError, render};
use super::parts::Opt;
use super::viewer::{Nav, Viewer};
use crate::acks::store::InboxFilter;
use crate::acks::{self, ALL_STATES, AckState};
use crate::alerts::AlertStatus;
use crate::context::AppContext;
use crate::domain::Severity;

pub struct Row {
    pub public_id: String,
    pub title: String,
    pub severity: &'static str,
    pub severity_label: &'static str,
    pub tlp: &'static str,
    pub drill: bool,
    pub withdrawn: bool,
    pub revision: i32,
    pub published: String,
    pub deadline: String,
    pub overdue: bool,
    pub state: &'static str,
}

#[derive(Template)]
#[template(path = "portal/inbox.html")]
struct InboxPage {
    nav: Nav,
    rows: Vec<Row>,
    state_options: Vec<Opt>,
    severity_options: Vec<Opt>,
    page: u64,
    prev: Option<String>,
    next: Option<String>,
    q: String,
    /// 今日の確認事項 (on the first page of the unfiltered inbox).
    today: Vec<super::today::Line>,
}

/// Alerts per inbox page.
const PAGE_SIZE: u64 = 50;

#[derive(serde::Deserialize)]
pub struct InboxParams {
    #[serde(default)]
    state: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    page: Option<u64>,
    /// Words (a product, a CVE id, anything in the alert's text).
    #[serde(default)]
    q: String,
}

#[get("/inbox")]
async fn show_inbox(
    ctx: web::Data<AppContext>,
    portal: web::Data<super::state::PortalState>,
    viewer: Viewer,
    params: web::Query<InboxParams>,
) -> Result<HttpResponse, PortalError> {
    let state = match params.state.as_str() {
        "" => None,
        "unknown" => Some(None),
        s => Some(Some(
            AckState::parse(s).map_err(|e| PortalError::BadRequest(e.to_string()))?,
        )),
    };
    let severity = match params.severity.as_str() {
        "" => None,
        s => Some(
            Severity::parse(s)
                .map_err(|e| PortalError::BadRequest(e.to_string()))?
                .as_str()
                .to_owned(),
        ),
    };
    let words = crate::domain::text::search_terms(&params.q).map_err(|(ja, en)| {
        PortalError::BadRequest(if viewer.lang == super::i18n::Lang::En {
            en
        } else {
            ja
        })
    })?;
    let filter = InboxFilter {
        state,
        severity,
        words,
    };
    let now = Utc::now();
    let lang = viewer.lang;
    let page = params.page.unwrap_or(1).clamp(1, 100_000);
    // One more than a page tells whether there is a next one.
    let found = portal
        .inbox
        .page(
            &ctx.db,
            viewer.org.id,
            &filter,
            PAGE_SIZE + 1,
            (page - 1) * PAGE_SIZE,
        )
        .await?;
    let more = found.len() as u64 > PAGE_SIZE;
    let link = |p: u64| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("state", &params.state)
            .append_pair("severity", &params.severity)
            .append_pair("q", &params.q)
            .append_pair("page", &p.to_string());
        format!("/inbox?{}", q.finish())
    };
    let rows = found
        .iter()
        .take(PAGE_SIZE as usize)
        .map(|r| Row {
            severity_label: lang.severity(r.severity),
            overdue: acks::is_overdue(
                r.state,
                r.status == AlertStatus::Withdrawn,
                r.ack_deadline,
                now,
            ),
            deadline: r
                .ack_deadline
                .as_ref()
                .map(|d| viewer.deadline(d))
                .unwrap_or_default(),
            published: viewer.when(&r.published_at),
            state: lang.state(r.state),
            withdrawn: r.status == AlertStatus::Withdrawn,
            public_id: r.public_id.clone(),
            title: r.title.clone(),
            severity: r.severity.as_str(),
            tlp: r.tlp.as_str(),
            drill: r.drill,
            revision: r.revision,
        })
        .collect();
    let mut state_options = vec![("unknown", lang.state(None))];
    state_options.extend(
        ALL_STATES
            .iter()
            .map(|s| (s.as_str(), lang.state(Some(*s)))),
    );
    render(&InboxPage {
        nav: viewer.nav(),
        rows,
        state_options: Opt::list(state_options, &params.state),
        severity_options: Opt::list(
            Severity::ALL
                .iter()
                .map(|s| (s.as_str(), lang.severity(*s))),
            &params.severity,
        ),
        prev: (page > 1).then(|| link(page - 1)),
        next: more.then(|| link(page + 1)),
        today: if page == 1
            && params.q.is_empty()
            && params.state.is_empty()
            && params.severity.is_empty()
        {
            super::today::lines(&ctx, &portal, &viewer).await?
        } else {
            Vec::new()
        },
        page,
        q: params.q.clone(),
    })
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(show_inbox);
}
