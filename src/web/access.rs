//! Who may use each route: the one table of the hub's HTTP surface. Every route of the portal,
//! the API, the feeds and the health endpoints has exactly one row here; the authorisation
//! matrix test (`tests/integration/access_matrix.rs`) reads the routes the code registers,
//! fails for any route without a row, and drives every row as every kind of caller.
//!
//! The checks themselves live where they always did (the `Viewer` and `Principal` extractors,
//! `Viewer::require`, the capability functions, `alerts::access`, `cases::access`); this table
//! says what they must add up to, in words a reviewer can check.

/// Who may use a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    /// Anyone, signed in or not (public pages, the public feeds, health).
    Anyone,
    /// Whoever holds the URL's secret (an acknowledgement link, a feed token): the secret is the
    /// credential, so no session is asked for; a wrong secret answers 401, 404 or 410.
    SecretUrl,
    /// The scraper: loopback peers, or `server.metrics_token`.
    Scraper,
    /// Anyone for a TLP:CLEAR real alert; otherwise a session or token that may see the alert.
    AlertReader,
    /// Every signed-in user (what they then see is the resource's own rule).
    SignedIn,
    /// Staff of an organisation the alert is addressed to; never central staff.
    AddressedStaff,
    /// The prefecture administrator of an addressed municipality's prefecture.
    PrefectureAdmin,
    /// Central staff, and staff of a prefecture for its municipalities (the board).
    BoardReader,
    /// Organisation administrators, prefecture administrators and the hub administrator, each
    /// for their own organisation.
    OrgAdmin,
    /// Central staff: operators, approvers and the hub administrator.
    Central,
    /// Central operators and the hub administrator: those who write and submit drafts.
    Drafter,
    /// Central approvers only (never the author: four eyes is checked in the capability).
    Approver,
    /// The hub administrator.
    HubAdmin,
    /// Central staff and prefecture administrators.
    StatsReader,
    /// Central staff and the staff of any prefecture (each prefecture sees the drills addressed
    /// to it; the report is `BoardReader`).
    DrillReader,
    /// Central operators and the hub administrator (the centre's drills), and the staff of any
    /// prefecture (drills of their own prefecture, owned by it).
    DrillWriter,
    /// The staff of any prefecture: a 注意喚起 of their own to their municipalities (then four
    /// eyes within the prefecture, `alerts::publish::may_*`).
    PrefectureStaff,
    /// API: any token or session (who am I, which scopes do I hold).
    ApiAny,
    /// API: a token with the `read` scope, or a session.
    ApiRead,
    /// API: the caller's own organisation's acknowledgement: a token with the `read` scope, or
    /// a session of an addressed organisation's staff (central staff have none).
    ApiOwnAcknowledgement,
    /// API: a token with the `acknowledge` scope, or a session of an addressed organisation's
    /// staff (central staff do not acknowledge).
    ApiAcknowledge,
    /// API: a token with the `report` scope, or a session.
    ApiReport,
    /// API: a central staff session (tokens never belong to central bodies).
    ApiCentral,
    /// Incident reports: every signed-in user reaches the route; the report itself is seen by
    /// its organisation, its prefecture's staff (not AMBER+STRICT or RED) and central staff,
    /// and "not found" for anyone else (`reports::access`).
    ReportReader,
    /// The reporting organisation's staff (the next 報).
    ReportWriter,
    /// The prefecture administrator of the reporting municipality (notes, 確認済, 連携).
    ReportRelay,
    /// The desk's steps on a report: central staff (every step, 連携 too) and the prefecture
    /// administrator of the reporting municipality (not 連携); "not found" for those who may
    /// not read it (`reports::access::may_answer`).
    ReportDesk,
    /// A 照会 thread: the asking organisation's staff and the desk it went to (central staff
    /// for the centre's, the prefecture's staff for its own); "not found" for anyone else.
    InquiryReader,
    /// The desk a 照会 went to: closing it and publishing it as よくある質問.
    InquiryDesk,
    /// Central operators and the hub administrator (a case from a closed report).
    ReportToCase,
    /// API: a report read with a `report`-scope token or a session, by the report's rule (its
    /// organisation, its prefecture, central staff; "not found" for anyone else).
    ApiReportReader,
    /// API: the desk's steps: a session of central staff or of the relaying prefecture's
    /// administrator (tokens have no role, so they never answer for a desk).
    ApiReportDesk,
    /// API: the next 報, by the reporting organisation (a `report`-scope token or its staff).
    ApiReportWriter,
    /// Surveys: the organisations a published survey is addressed to (and, for reading, its
    /// writers' side, central staff and prefectures with addressed organisations); "not found"
    /// for anyone else (`portal::surveys::visible`).
    SurveyReader,
    /// An addressed organisation's staff: answering, its own 評価結果 and 改善方針.
    SurveyRespondent,
    /// Central operators and the hub administrator, and the staff of any prefecture (surveys of
    /// its own, for its municipalities).
    SurveyWriter,
    /// Central staff (every organisation) and prefecture staff (their own organisations).
    SurveyResults,
    /// API: an addressed organisation's `report`-scope token or staff.
    ApiSurveyRespondent,
    /// An organisation's 年度 report card: its own staff, its prefecture's staff and central
    /// staff; "not found" for anyone else.
    CardReader,
}

/// One route and its rule.
#[derive(Clone, Copy, Debug)]
pub struct RouteRule {
    pub method: &'static str,
    /// As registered, with `{param}` placeholders and the API's `/api/v1` prefix.
    pub path: &'static str,
    pub who: Who,
}

const fn r(method: &'static str, path: &'static str, who: Who) -> RouteRule {
    RouteRule { method, path, who }
}

/// Every route the hub serves. `HEAD` is answered wherever `GET` is, under the same rule.
pub const ROUTES: &[RouteRule] = &[
    // Health and metrics.
    r("GET", "/healthz", Who::Anyone),
    r("GET", "/readyz", Who::Anyone),
    r("GET", "/metrics", Who::Scraper),
    // Public pages and browser preferences.
    r("GET", "/", Who::Anyone),
    r("GET", "/login", Who::Anyone),
    r("POST", "/login", Who::Anyone),
    r("POST", "/logout", Who::SignedIn),
    r("GET", "/preferences/dates", Who::Anyone),
    r("GET", "/preferences/lang", Who::Anyone),
    r("GET", "/settings/password", Who::SignedIn),
    r("POST", "/settings/password", Who::SignedIn),
    // The second factor: its code after the password, its set-up, its reset by an
    // administrator who may manage the user.
    r("GET", "/login/totp", Who::SignedIn),
    r("POST", "/login/totp", Who::SignedIn),
    r("GET", "/settings/totp", Who::SignedIn),
    r("POST", "/settings/totp", Who::SignedIn),
    // Acknowledgement links from mail.
    r("GET", "/ack/{token}", Who::SecretUrl),
    r("POST", "/ack/{token}", Who::SecretUrl),
    // Receiving.
    r("GET", "/inbox", Who::SignedIn),
    r("GET", "/alerts/new", Who::PrefectureStaff),
    r("POST", "/alerts/new", Who::PrefectureStaff),
    r("GET", "/alerts/{public_id}", Who::SignedIn),
    r("POST", "/alerts/{public_id}/ack", Who::AddressedStaff),
    r("POST", "/alerts/{public_id}/notes", Who::PrefectureAdmin),
    r("GET", "/alerts/{public_id}/board", Who::BoardReader),
    r("GET", "/alerts/{public_id}/board.csv", Who::BoardReader),
    r("GET", "/stats", Who::StatsReader),
    // The 年度: tables as CSV, the printable 年度報告 and its 次年度の計画 (central staff write the
    // nation's, a prefecture's administrator its own), and an organisation's report card.
    r("GET", "/stats/table.csv", Who::StatsReader),
    r("GET", "/stats/report", Who::StatsReader),
    r("POST", "/stats/report/plan", Who::StatsReader),
    r("GET", "/stats/card", Who::CardReader),
    r("POST", "/stats/card/mail", Who::CardReader),
    // 連絡体制の確認訓練: drafted by central operators (then four eyes as any alert); the
    // 疎通確認 report for central staff and the addressed prefectures.
    r("GET", "/drills", Who::DrillReader),
    // 連絡先確認: the campaign mail's one-click link (the token is the credential), an
    // organisation admin's own confirmation, and coverage with the campaign for central staff
    // and prefecture administrators (each for the organisations they oversee).
    // メールマガジン: subscribing is open to anyone (it only mails a confirmation link to the
    // address, which must be at a registered organisation's domain); the confirmation and
    // unsubscribe links' tokens are the credentials (RFC 8058 one-click, no session).
    // The archive, each issue (its items by the reader's rule: CLEAR to anyone, GREEN to every
    // signed-in reader, AMBER to the organisations the alert may be seen by, all to central
    // staff) and its Atom feed (TLP:CLEAR only); issues are composed, edited and submitted by
    // central operators and published by a central approver (four eyes in the capability).
    r("GET", "/magazine", Who::Anyone),
    r("GET", "/magazine/feed.atom", Who::Anyone),
    r("GET", "/magazine/issues/{number}", Who::Anyone),
    // The short address of an issue: a redirect to the one above, which applies the TLP.
    r("GET", "/magazine/{number}", Who::Anyone),
    r("POST", "/magazine/new", Who::Drafter),
    r("GET", "/magazine/drafts/{id}", Who::Central),
    r("POST", "/magazine/drafts/{id}", Who::Drafter),
    r("POST", "/magazine/drafts/{id}/submit", Who::Drafter),
    r("POST", "/magazine/drafts/{id}/approve", Who::Approver),
    r("GET", "/magazine/subscribe", Who::Anyone),
    r("POST", "/magazine/subscribe", Who::Anyone),
    r("GET", "/magazine/confirm/{token}", Who::SecretUrl),
    r("POST", "/magazine/confirm/{token}", Who::SecretUrl),
    r("GET", "/magazine/unsubscribe/{token}", Who::SecretUrl),
    r("POST", "/magazine/unsubscribe/{token}", Who::SecretUrl),
    r("GET", "/contacts/confirm/{token}", Who::SecretUrl),
    r("POST", "/contacts/confirm/{token}", Who::SecretUrl),
    r("POST", "/settings/contacts/confirm", Who::OrgAdmin),
    r("GET", "/contacts/coverage", Who::StatsReader),
    r("POST", "/contacts/coverage/campaign", Who::StatsReader),
    r("GET", "/drills/new", Who::DrillWriter),
    r("POST", "/drills/new", Who::DrillWriter),
    r("GET", "/drills/{id}", Who::BoardReader),
    r("GET", "/drills/{id}/report", Who::BoardReader),
    r("GET", "/drills/{id}/report.csv", Who::BoardReader),
    // Feeds and CAP.
    r("GET", "/feeds/public.{format}", Who::Anyone),
    r("GET", "/feeds/{token}/alerts.{format}", Who::SecretUrl),
    r("GET", "/feeds/{token}/prefecture.{format}", Who::SecretUrl),
    r("GET", "/feeds/{token}/calendar.ics", Who::SecretUrl),
    r("GET", "/alerts/{public_id}.cap.xml", Who::AlertReader),
    // The case library.
    r("GET", "/cases", Who::SignedIn),
    r("GET", "/cases/{id}", Who::SignedIn),
    r("GET", "/cases/new", Who::SignedIn),
    r("POST", "/cases/new", Who::SignedIn),
    r("GET", "/cases/desk", Who::SignedIn),
    r("GET", "/cases/synonyms", Who::Central),
    r("POST", "/cases/synonyms", Who::Central),
    r("GET", "/cases/{id}/edit", Who::Central),
    r("POST", "/cases/{id}/edit", Who::Central),
    r("POST", "/cases/{id}/withdraw", Who::Central),
    r("POST", "/cases/{id}/publish", Who::Approver),
    // 障害・事故等報告: anyone signed in files one for their own organisation and lists what
    // they may see; a report answers by `reports::access`.
    // 調査・点検.
    r("GET", "/calendar", Who::SignedIn),
    r("GET", "/surveys", Who::SignedIn),
    r("GET", "/surveys/new", Who::SurveyWriter),
    r("POST", "/surveys/new", Who::SurveyWriter),
    r("GET", "/surveys/{id}", Who::SurveyReader),
    // A prefecture's own survey is submitted by its staff and approved by its administrator
    // (`surveys::publish::may_*`); the matrix's sample is the centre's.
    r("POST", "/surveys/{id}/submit", Who::Drafter),
    r("POST", "/surveys/{id}/approve", Who::Approver),
    r("POST", "/surveys/{id}/answers", Who::SurveyRespondent),
    r("GET", "/surveys/{id}/answers.xlsx", Who::SurveyRespondent),
    r("POST", "/surveys/{id}/answers.xlsx", Who::SurveyRespondent),
    r("GET", "/surveys/{id}/result", Who::SurveyRespondent),
    r("POST", "/surveys/{id}/plan", Who::SurveyRespondent),
    r("GET", "/surveys/{id}/results", Who::SurveyResults),
    r("GET", "/surveys/{id}/results.csv", Who::SurveyResults),
    r("GET", "/surveys/{id}/results.xlsx", Who::SurveyResults),
    r("GET", "/surveys/{id}/answers/{org}", Who::SurveyResults),
    r(
        "POST",
        "/surveys/{id}/answers/{org}/return",
        Who::SurveyResults,
    ),
    r("GET", "/surveys/{id}/results.svg", Who::SurveyResults),
    r("POST", "/surveys/{id}/prompt", Who::SurveyResults),
    r("POST", "/surveys/{id}/results/send", Who::Drafter),
    // 照会: anyone signed in asks and reads their organisation's; a thread is read by the
    // asking organisation and the desk it went to ("not found" for anyone else), and closed or
    // published as よくある質問 by that desk (`inquiries::may_read`, `inquiries::is_desk`).
    r("GET", "/inquiries", Who::SignedIn),
    r("GET", "/inquiries/new", Who::SignedIn),
    r("POST", "/inquiries/new", Who::SignedIn),
    r("GET", "/inquiries/{id}", Who::InquiryReader),
    r("POST", "/inquiries/{id}/messages", Who::InquiryReader),
    r("POST", "/inquiries/{id}/close", Who::InquiryDesk),
    r("POST", "/inquiries/{id}/faq", Who::InquiryDesk),
    r("GET", "/faq", Who::SignedIn),
    r("GET", "/reports", Who::SignedIn),
    r("GET", "/reports/new", Who::SignedIn),
    r("POST", "/reports/new", Who::SignedIn),
    r("GET", "/reports/stats", Who::StatsReader),
    r("GET", "/reports/stats.csv", Who::StatsReader),
    r("GET", "/reports/{id}", Who::ReportReader),
    r("GET", "/reports/{id}/update", Who::ReportWriter),
    r("POST", "/reports/{id}/update", Who::ReportWriter),
    r("POST", "/reports/{id}/notes", Who::ReportRelay),
    r("POST", "/reports/{id}/confirm", Who::ReportRelay),
    r("POST", "/reports/{id}/forward", Who::ReportRelay),
    r("POST", "/reports/{id}/case", Who::ReportToCase),
    r("POST", "/reports/{id}/steps", Who::ReportDesk),
    r("GET", "/reports/{id}/print", Who::ReportReader),
    r("GET", "/reports/{id}/summary.csv", Who::ReportReader),
    // Organisation settings.
    r("GET", "/settings", Who::OrgAdmin),
    r("POST", "/settings/contacts", Who::OrgAdmin),
    r("POST", "/settings/contacts/{id}/active", Who::OrgAdmin),
    r("POST", "/settings/contacts/{id}/ask", Who::OrgAdmin),
    r("POST", "/settings/magazine/{id}/vouch", Who::OrgAdmin),
    r(
        "POST",
        "/settings/users/{id}/second-factor-reset",
        Who::OrgAdmin,
    ),
    r("POST", "/settings/inventory", Who::OrgAdmin),
    r("POST", "/settings/inventory/{id}/remove", Who::OrgAdmin),
    r("POST", "/settings/users", Who::OrgAdmin),
    r("POST", "/settings/users/{id}/disabled", Who::OrgAdmin),
    r("POST", "/settings/users/{id}/reset", Who::OrgAdmin),
    r("POST", "/settings/tokens", Who::OrgAdmin),
    r("POST", "/settings/tokens/{id}/revoke", Who::OrgAdmin),
    r("POST", "/settings/inquiry-line", Who::OrgAdmin),
    // Central work.
    r("GET", "/triage", Who::Central),
    r("GET", "/triage/{id}", Who::Central),
    r("POST", "/triage/{id}/draft", Who::Central),
    r("GET", "/drafts", Who::Central),
    // A prefecture's own draft (a drill for its municipalities) is seen and submitted by that
    // prefecture's staff and approved by its administrator instead (`alerts::publish::may_*`);
    // the matrix's sample is the centre's.
    r("GET", "/drafts/{id}", Who::Central),
    r("POST", "/drafts/{id}/submit", Who::Drafter),
    r("POST", "/drafts/{id}/approve", Who::Approver),
    // The hub administrator.
    r("GET", "/admin", Who::HubAdmin),
    // A redirect to `/admin`, which answers by its own rule.
    r("GET", "/admin/", Who::Anyone),
    r("GET", "/admin/users", Who::HubAdmin),
    r("POST", "/admin/users/{id}/disabled", Who::HubAdmin),
    r("POST", "/admin/users/{id}/reset", Who::HubAdmin),
    r("GET", "/admin/organisations", Who::HubAdmin),
    r("GET", "/admin/audit", Who::HubAdmin),
    r(
        "POST",
        "/admin/users/{id}/second-factor-reset",
        Who::HubAdmin,
    ),
    r("GET", "/admin/domains", Who::HubAdmin),
    r("POST", "/admin/domains", Who::HubAdmin),
    r("POST", "/admin/domains/{id}/remove", Who::HubAdmin),
    r("GET", "/admin/alerts/{id}/deliveries", Who::HubAdmin),
    // The inbound mail is the operators' (a question there is theirs to route), not only the
    // hub administrator's.
    r("GET", "/admin/inbound", Who::Central),
    r("POST", "/admin/inbound/{id}/dismiss", Who::Central),
    r("POST", "/admin/alerts/{id}/retry", Who::HubAdmin),
    // The JSON API.
    r("GET", "/api/v1/openapi.json", Who::Anyone),
    r("GET", "/api/v1/me", Who::ApiAny),
    r("GET", "/api/v1/alerts", Who::ApiRead),
    r("GET", "/api/v1/alerts/{id}", Who::ApiRead),
    r(
        "GET",
        "/api/v1/alerts/{id}/acknowledgement",
        Who::ApiOwnAcknowledgement,
    ),
    r(
        "PUT",
        "/api/v1/alerts/{id}/acknowledgement",
        Who::ApiAcknowledge,
    ),
    r("GET", "/api/v1/cases", Who::ApiRead),
    r("GET", "/api/v1/cases/{id}", Who::ApiRead),
    r("POST", "/api/v1/cases", Who::ApiReport),
    r(
        "GET",
        "/api/v1/surveys/{id}/answers",
        Who::ApiSurveyRespondent,
    ),
    r(
        "PUT",
        "/api/v1/surveys/{id}/answers",
        Who::ApiSurveyRespondent,
    ),
    r("GET", "/api/v1/reports", Who::ApiReport),
    r("POST", "/api/v1/reports", Who::ApiReport),
    r("GET", "/api/v1/reports/{id}", Who::ApiReportReader),
    r("POST", "/api/v1/reports/{id}/updates", Who::ApiReportWriter),
    r("POST", "/api/v1/reports/{id}/steps", Who::ApiReportDesk),
    r("GET", "/api/v1/advisories", Who::ApiCentral),
    r("GET", "/api/v1/advisories/{id}", Who::ApiCentral),
    r("GET", "/api/v1/organisations", Who::ApiCentral),
    r("GET", "/api/v1/organisations/{code}", Who::ApiCentral),
];

/// The rule of a route, if it has one.
pub fn rule(method: &str, path: &str) -> Option<Who> {
    ROUTES
        .iter()
        .find(|r| r.method == method && r.path == path)
        .map(|r| r.who)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A URL that is its own credential must never reach a log line whole.
    #[test]
    fn every_secret_url_is_cut_out_of_the_request_log() {
        let secret = "SeCrEt9-tok_en";
        for route in ROUTES.iter().filter(|r| r.who == Who::SecretUrl) {
            let token = if route.path.starts_with("/feeds/") {
                format!("{}{secret}", crate::keys::TOKEN_PREFIX)
            } else {
                secret.to_owned()
            };
            let path = route
                .path
                .replace("{token}", &token)
                .replace("{format}", "rss");
            let encoded = format!("/preferences/lang?next={}", path.replace('/', "%2F"));
            for target in [path, encoded] {
                let logged = crate::telemetry::spans::redact(&target);
                assert!(
                    !logged.contains("SeCrEt9"),
                    "{} {}: {target} is logged as {logged}",
                    route.method,
                    route.path
                );
            }
        }
    }
}
