//! The authorisation matrix: every route of the portal, the API, the feeds and health, as every
//! kind of caller, checked against the one route table (`noroshi::web::access::ROUTES`). The
//! routes come from the code itself (every `#[get]`, `#[post]`, `#[put]`, `#[delete]` under
//! `src/`), so a new route without a rule, or a rule without a sample request here, fails.
//! A second pass checks each TLP level of alerts and cases on every channel that shows them.

use noroshi::domain::ids::{AlertId, ReportId};
use noroshi::domain::ids::{CaseId, IssueId, SurveyId};
use std::collections::{BTreeMap, BTreeSet};

use noroshi::audit::Actor;
use noroshi::auth::Role;
use noroshi::auth::tokens::Scope;
use noroshi::domain::Tlp;
use noroshi::web::access::{ROUTES, Who};
use reqwest::StatusCode;

use crate::feeds::token_for;
use crate::helpers::advisories::ingest_sample;
use crate::helpers::browser::Browser;
use crate::helpers::mail::{Draft, central_users, drain, publish_alert, user};
use crate::helpers::{TestApp, spawn_app};

pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// The routes the code registers: `(METHOD, path)`, with the API scope's `/api/v1` prefix.
fn registered_routes() -> BTreeSet<(String, String)> {
    let re = regex::Regex::new(r#"#\[(get|post|put|delete|patch)\("([^"]*)""#).unwrap();
    let mut out = BTreeSet::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let api = path.starts_with(root.join("api"));
            for c in re.captures_iter(&text) {
                let route = if api {
                    format!("/api/v1{}", &c[2])
                } else {
                    c[2].to_owned()
                };
                out.insert((c[1].to_ascii_uppercase(), route));
            }
        }
    }
    out
}

#[test]
fn every_registered_route_has_exactly_one_access_rule() {
    let registered = registered_routes();
    assert!(
        registered.len() > 60,
        "the scan found the routes: {registered:?}"
    );
    let table: Vec<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    let unique: BTreeSet<_> = table.iter().cloned().collect();
    assert_eq!(unique.len(), table.len(), "a route has two rules");
    let missing: Vec<_> = registered.difference(&unique).collect();
    assert!(
        missing.is_empty(),
        "routes without a rule in noroshi::web::access::ROUTES: {missing:?}"
    );
    let stale: Vec<_> = unique.difference(&registered).collect();
    assert!(
        stale.is_empty(),
        "rules for routes that do not exist: {stale:?}"
    );
}

/// A caller of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum P {
    Anonymous,
    /// 千代田区: a member and its organisation administrator (the alert is addressed to it).
    Member,
    OrgAdmin,
    /// 東京都's prefecture administrator (千代田区's prefecture).
    Prefecture,
    /// 神奈川県's prefecture administrator (another prefecture).
    OtherPrefecture,
    /// A member of 横浜市 (another municipality, another prefecture).
    OtherMember,
    Operator,
    Approver,
    Admin,
    /// 千代田区's API tokens, one scope each.
    TokenRead,
    TokenAck,
    TokenReport,
}

const SESSIONS: [P; 9] = [
    P::Anonymous,
    P::Member,
    P::OrgAdmin,
    P::Prefecture,
    P::OtherPrefecture,
    P::OtherMember,
    P::Operator,
    P::Approver,
    P::Admin,
];
const TOKENS: [P; 3] = [P::TokenRead, P::TokenAck, P::TokenReport];

impl P {
    pub(crate) fn email(self) -> Option<&'static str> {
        Some(match self {
            P::Member => "member@city.chiyoda.lg.jp",
            P::OrgAdmin => "admin@city.chiyoda.lg.jp",
            P::Prefecture => "sec@metro.tokyo.lg.jp",
            P::OtherPrefecture => "sec@pref.kanagawa.lg.jp",
            P::OtherMember => "member@city.yokohama.lg.jp",
            P::Operator => "operator@soumu.go.jp",
            P::Approver => "approver@soumu.go.jp",
            P::Admin => "admin@j-lis.go.jp",
            _ => return None,
        })
    }

    fn central(self) -> bool {
        matches!(self, P::Operator | P::Approver | P::Admin)
    }

    fn chiyoda(self) -> bool {
        matches!(
            self,
            P::Member | P::OrgAdmin | P::TokenRead | P::TokenAck | P::TokenReport
        )
    }

    fn signed_in(self) -> bool {
        self.email().is_some()
    }

    /// Whether this caller may see an alert addressed to 千代田区 marked `tlp`.
    fn sees_chiyoda_alert(self, tlp: Tlp) -> bool {
        // TLP 2.0: AMBER may go to the recipient's community (its prefecture); AMBER+STRICT
        // stays in the organisation and RED with the named recipient.
        let relayed = matches!(tlp, Tlp::Clear | Tlp::Green | Tlp::Amber);
        self.central() || self.chiyoda() || (self == P::Prefecture && relayed)
    }

    /// Whether this caller may read a published case of 千代田区 marked `tlp`.
    fn reads_chiyoda_case(self, tlp: Tlp) -> bool {
        self.central()
            || match tlp {
                Tlp::Clear | Tlp::Green => true,
                Tlp::Amber => self.chiyoda() || self == P::Prefecture,
                Tlp::AmberStrict => self.chiyoda(),
                Tlp::Red => false,
            }
    }
}

/// What the rule says for this caller, on the matrix's sample resources (an AMBER alert
/// addressed to 千代田区, settings rows of 千代田区).
pub(crate) fn admitted(who: Who, p: P, sample: &Sample) -> bool {
    let sees = p.sees_chiyoda_alert(Tlp::Amber);
    let base = match who {
        Who::Anyone | Who::SecretUrl | Who::Scraper => true,
        Who::AlertReader => p.signed_in() && sees,
        Who::SignedIn => p.signed_in(),
        Who::AddressedStaff => matches!(p, P::Member | P::OrgAdmin),
        Who::PrefectureAdmin => p == P::Prefecture,
        Who::BoardReader => p.central() || p == P::Prefecture,
        Who::OrgAdmin => matches!(
            p,
            P::OrgAdmin | P::Prefecture | P::OtherPrefecture | P::Admin
        ),
        Who::Central => p.central(),
        Who::Drafter => matches!(p, P::Operator | P::Admin),
        Who::Approver => p == P::Approver,
        Who::HubAdmin => p == P::Admin,
        Who::StatsReader => p.central() || matches!(p, P::Prefecture | P::OtherPrefecture),
        Who::DrillReader => p.central() || matches!(p, P::Prefecture | P::OtherPrefecture),
        Who::DrillWriter => matches!(
            p,
            P::Operator | P::Admin | P::Prefecture | P::OtherPrefecture
        ),
        Who::ApiAny => p.signed_in() || TOKENS.contains(&p),
        Who::ApiRead => p.signed_in() || p == P::TokenRead,
        Who::ApiOwnAcknowledgement => matches!(p, P::Member | P::OrgAdmin | P::TokenRead),
        Who::ApiAcknowledge => matches!(p, P::Member | P::OrgAdmin | P::TokenAck),
        Who::ApiReport => p.signed_in() || p == P::TokenReport,
        Who::ApiCentral => p.central(),
        Who::ReportReader => p.central() || matches!(p, P::Member | P::OrgAdmin | P::Prefecture),
        Who::ReportWriter => matches!(p, P::Member | P::OrgAdmin),
        Who::ReportRelay => p == P::Prefecture,
        Who::InquiryReader => p.central() || matches!(p, P::Member | P::OrgAdmin),
        Who::InquiryDesk => p.central(),
        Who::ReportDesk | Who::ApiReportDesk => p.central() || p == P::Prefecture,
        Who::ReportToCase => matches!(p, P::Operator | P::Admin),
        Who::ApiReportReader => {
            p.central() || matches!(p, P::Member | P::OrgAdmin | P::Prefecture | P::TokenReport)
        }
        Who::ApiReportWriter => matches!(p, P::Member | P::OrgAdmin | P::TokenReport),
        Who::PrefectureStaff => matches!(p, P::Prefecture | P::OtherPrefecture),
        Who::SurveyReader => p.central() || matches!(p, P::Member | P::OrgAdmin | P::Prefecture),
        Who::SurveyRespondent => matches!(p, P::Member | P::OrgAdmin),
        Who::SurveyWriter => matches!(
            p,
            P::Operator | P::Admin | P::Prefecture | P::OtherPrefecture
        ),
        Who::SurveyResults => p.central() || p == P::Prefecture,
        Who::ApiSurveyRespondent => matches!(p, P::Member | P::OrgAdmin | P::TokenReport),
        Who::CardReader => p.central() || matches!(p, P::Member | P::OrgAdmin | P::Prefecture),
    };
    let instance = match sample.instance {
        Instance::None => true,
        Instance::ChiyodaAlert => sees,
        Instance::ChiyodaRow => p.chiyoda() || p == P::Admin && sample.hub_admin_page,
    };
    base && instance
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Instance {
    None,
    /// The path names the AMBER alert addressed to 千代田区.
    ChiyodaAlert,
    /// The path names a row of 千代田区's own settings.
    ChiyodaRow,
}

pub(crate) struct Sample {
    pub(crate) path: String,
    /// Form fields (portal) or a JSON body (API).
    pub(crate) form: Vec<(&'static str, String)>,
    json: Option<String>,
    instance: Instance,
    /// The hub administrator's own pages reach every organisation's rows.
    hub_admin_page: bool,
}

impl Sample {
    fn at(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            form: Vec::new(),
            json: None,
            instance: Instance::None,
            hub_admin_page: false,
        }
    }
    fn form(mut self, fields: &[(&'static str, &str)]) -> Self {
        self.form = fields.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
        self
    }
    fn json(mut self, body: &str) -> Self {
        self.json = Some(body.to_owned());
        self
    }
    fn alert(mut self) -> Self {
        self.instance = Instance::ChiyodaAlert;
        self
    }
    fn row(mut self) -> Self {
        self.instance = Instance::ChiyodaRow;
        self
    }
    fn admin_page(mut self) -> Self {
        self.instance = Instance::ChiyodaRow;
        self.hub_admin_page = true;
        self
    }
}

/// What a caller got: a denial (401, 403, 404, or "log in first" — the login page with the
/// way back) or not. A logout's own redirect to the bare login page is not a denial.
fn denied(status: StatusCode, location: Option<&str>) -> bool {
    matches!(status.as_u16(), 401 | 403 | 404)
        || (status == StatusCode::SEE_OTHER && location.is_some_and(|l| l.starts_with("/login?")))
}

pub(crate) struct Fixture {
    alert_id: AlertId,
    /// An open TLP:AMBER incident report of 千代田区.
    report: ReportId,
    /// A published survey of the centre addressed to 千代田区.
    survey: SurveyId,
    /// A published drill addressed to 千代田区.
    drill: AlertId,
    /// A returned message waiting for an operator.
    inbound: i64,
    /// A general 照会 of 千代田区 (the centre's desk answers it).
    inquiry: noroshi::domain::ids::InquiryId,
    /// The contact-confirmation link token of 千代田区's address.
    confirm_token: String,
    /// An active, self-subscribed メールマガジン reader at 千代田区's domain, and the domain.
    reader: i64,
    domain: i64,
    /// A pending メールマガジン subscription's confirmation token.
    magazine_confirm: String,
    /// The unsubscribe token of 千代田区's contact address.
    magazine_unsubscribe: String,
    /// A published magazine issue's number, and a draft's id.
    magazine_number: i32,
    magazine_draft: IssueId,
    alert: String,
    ack_link: String,
    case: CaseId,
    withdrawable_case: CaseId,
    advisory: i64,
    contact: i64,
    product: i64,
    target_user: i64,
    spare_token: i64,
    feed_token: String,
    prefecture_token: String,
    tokens: BTreeMap<P, String>,
}

pub(crate) async fn fixture(app: &TestApp) -> Fixture {
    let central = central_users(&app.ctx).await;
    for p in [
        (P::Member, "131016", Role::Member),
        (P::OrgAdmin, "131016", Role::OrgAdmin),
        (P::Prefecture, "130001", Role::PrefectureAdmin),
        (P::OtherPrefecture, "140007", Role::PrefectureAdmin),
        (P::OtherMember, "141003", Role::Member),
        (P::Admin, "990027", Role::Admin),
    ] {
        user(&app.ctx, p.1, p.2, p.0.email().unwrap()).await;
    }
    let target = user(
        &app.ctx,
        "131016",
        Role::Member,
        "target@city.chiyoda.lg.jp",
    )
    .await;
    let chiyoda = noroshi::registry::store::find_by_code(
        &app.ctx.db,
        noroshi::registry::OrgCode::parse("131016").unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let contact = noroshi::contacts::store::insert(
        &app.ctx.db,
        chiyoda.id,
        &noroshi::auth::EmailAddress::parse("joho@city.chiyoda.lg.jp").unwrap(),
        noroshi::contacts::ContactKind::Primary,
        noroshi::contacts::Language::Ja,
        noroshi::contacts::MailEncoding::Utf8,
        Some(noroshi::contacts::Verified::Admin),
    )
    .await
    .unwrap_or_else(|_| panic!("the contact is written"));
    let product = noroshi::inventory::add_item(
        &app.ctx.db,
        noroshi::inventory::AddItem {
            org: Some(chiyoda.code),
            cpe: None,
            vendor: Some("Fortinet".into()),
            product: Some("FortiOS".into()),
            versions: None,
            note: None,
        },
        &Actor::System,
    )
    .await
    .unwrap()
    .id;
    let (alert_id, report) = publish_alert(
        &app.ctx,
        &central,
        Draft {
            to: &["org:131016"],
            tlp: Tlp::Amber,
            ..Draft::default()
        },
    )
    .await;
    drain(&app.ctx, noroshi::delivery::worker::Lane::All).await;
    let mail = app.smtp.received()[0].data_str();
    let parsed = mail_parser::MessageParser::default()
        .parse(mail.as_bytes())
        .unwrap();
    let text = parsed.body_text(0).unwrap().into_owned();
    let at = text.find("/ack/").expect("the mail carries the link");
    let ack_link: String = text[at..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    let case = |title: &str, tlp: &str| {
        noroshi::cases::CaseInput {
            kind: "incident".into(),
            title: title.into(),
            summary: "概要".into(),
            body: "本文".into(),
            categories: vec!["malware".into()],
            org_kind: "city".into(),
            tlp: tlp.into(),
            ..Default::default()
        }
        .validate(noroshi::time::today_jst())
        .unwrap()
    };
    let open_case = noroshi::cases::act::create_published(
        &app.ctx.db,
        &case("公開事例", "CLEAR"),
        &Actor::System,
    )
    .await
    .unwrap();
    let withdrawable_case = noroshi::cases::act::create_published(
        &app.ctx.db,
        &case("取下げ用", "CLEAR"),
        &Actor::System,
    )
    .await
    .unwrap();
    ingest_sample(&app.ctx, "jvn", "jvn.rdf").await;
    let advisory = noroshi::ingest::store::list(
        &app.ctx.db,
        &noroshi::ingest::store::AdvisoryFilter {
            limit: 1,
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .first()
    .expect("an advisory")
    .id;
    let mut tokens = BTreeMap::new();
    tokens.insert(
        P::TokenRead,
        token_for(&app.ctx, "131016", &[Scope::Read]).await,
    );
    tokens.insert(
        P::TokenAck,
        token_for(&app.ctx, "131016", &[Scope::Acknowledge]).await,
    );
    tokens.insert(
        P::TokenReport,
        token_for(&app.ctx, "131016", &[Scope::Report]).await,
    );
    let feed_token = token_for(&app.ctx, "131016", &[Scope::Read]).await;
    let prefecture_token = token_for(&app.ctx, "130001", &[Scope::Read]).await;
    token_for(&app.ctx, "131016", &[Scope::Read]).await;
    let spare_token = noroshi::auth::tokens::list_for_org(&app.ctx.db, chiyoda.id)
        .await
        .unwrap()
        .iter()
        .map(|t| t.id)
        .max()
        .unwrap();
    let (drill, _) = publish_alert(
        &app.ctx,
        &central,
        Draft {
            to: &["org:131016"],
            tlp: Tlp::Green,
            drill: true,
            title: "連絡体制の確認訓練",
            ..Draft::default()
        },
    )
    .await;
    let inbound = noroshi::inbound::process(
        &app.ctx.db,
        &noroshi::inbound::Inputs {
            verp: &app.ctx.mailer.verp,
            hard_bounce_limit: 3,
            authserv_id: None,
            mailing: noroshi::reports::mail::Mailing::of(&app.ctx.settings),
        },
        b"From: someone@example.lg.jp\r\nSubject: question\r\nMessage-ID: <q@example.lg.jp>\r\n\r\nWhat is this?\r\n",
        "matrix.host",
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(inbound.outcome, noroshi::inbound::Outcome::Pending);
    let inbound = noroshi::inbound::store::for_operator(&app.ctx.db, 1)
        .await
        .unwrap()[0]
        .id;
    let confirm_token = app.ctx.mailer.verp.contact_token(
        contact.id,
        noroshi::contacts::confirm::day_of(chrono::Utc::now()),
    );
    let (magazine_confirm, magazine_unsubscribe) = magazine_tokens(app, contact.id).await;
    let (reader, domain) = magazine_reader(app, &chiyoda).await;
    let (magazine_number, magazine_draft) = magazine_issues(app).await;
    let incident = file_report(app, "131016", Tlp::Amber, "マトリクス報告").await;
    let survey = publish_survey(app, &central, &["org:131016"]).await;
    let inquiry = noroshi::inquiries::act::ask(
        &app.ctx.db,
        &noroshi::reports::mail::Mailing::of(&app.ctx.settings),
        &noroshi::registry::Caller::new(&chiyoda, Some(Role::Member)),
        &chiyoda,
        &noroshi::inquiries::act::Question {
            about: noroshi::inquiries::About::General,
            title: "マトリクスの照会",
            body: "訓練の報告はいつまでですか",
            asker_email: "member@city.chiyoda.lg.jp",
            via: "portal",
            sender_vouched: true,
        },
        &Actor::System,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    Fixture {
        inquiry,
        alert_id,
        report: incident,
        survey,
        drill,
        inbound,
        confirm_token,
        reader,
        domain,
        magazine_confirm,
        magazine_unsubscribe,
        magazine_number,
        magazine_draft,
        alert: report.public_id,
        ack_link,
        case: open_case,
        withdrawable_case,
        advisory,
        contact: contact.id,
        product,
        target_user: target.id.0,
        spare_token,
        feed_token,
        prefecture_token,
        tokens,
    }
}

/// Files an open 第1報 for the organisation `code`; returns the report's id.
pub async fn file_report(app: &TestApp, code: &str, tlp: Tlp, title: &str) -> ReportId {
    let org = noroshi::registry::store::find_by_code(
        &app.ctx.db,
        noroshi::registry::OrgCode::parse(code).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let fields = noroshi::reports::ReportInput {
        title: title.into(),
        summary: "概要".into(),
        found_at: "2026-12-01 09:00".into(),
        systems: "基幹系".into(),
        personal_data: "unknown".into(),
        leaked: "unknown".into(),
        phase: "initial".into(),
        situation: "調査中".into(),
        tlp: tlp.as_str().into(),
        ..Default::default()
    }
    .validate(chrono::Utc::now())
    .unwrap();
    noroshi::reports::act::file(
        &app.ctx.db,
        &noroshi::reports::mail::Mailing::of(&app.ctx.settings),
        &org,
        fields,
        &Actor::System,
        chrono::Utc::now(),
    )
    .await
    .unwrap()
}

/// Publishes the shipped 緊急点検 to `to` (the centre's: written by the operator, approved by
/// the approver); returns its id.
pub async fn publish_survey(
    app: &TestApp,
    central: &crate::helpers::mail::Central,
    to: &[&str],
) -> SurveyId {
    let definition =
        noroshi::surveys::Definition::parse(noroshi::surveys::definition::TEMPLATES[0].1).unwrap();
    publish_definition(app, central, definition, to).await
}

/// Publishes `definition` to `to` the centre's way (written by the operator, approved by the
/// approver); returns its id.
pub async fn publish_definition(
    app: &TestApp,
    central: &crate::helpers::mail::Central,
    definition: noroshi::surveys::Definition,
    to: &[&str],
) -> SurveyId {
    let id = noroshi::surveys::publish::create(
        &app.ctx.db,
        &app.ctx.rules,
        noroshi::surveys::publish::Draft {
            definition,
            audience: to.iter().map(|s| (*s).to_owned()).collect(),
            deadline: chrono::Utc::now() + chrono::Duration::days(7),
            previous: None,
        },
        &central.operator,
        None,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    noroshi::surveys::publish::submit(&app.ctx.db, id, &central.operator)
        .await
        .unwrap();
    noroshi::surveys::publish::approve(
        &app.ctx.db,
        &app.ctx.rules,
        "http://hub",
        id,
        &central.approver,
    )
    .await
    .unwrap();
    id
}

/// The request the matrix makes for each route.
pub(crate) fn sample(method: &str, path: &str, f: &Fixture) -> Option<Sample> {
    let a = &f.alert;
    let s = match (method, path) {
        ("GET", "/healthz" | "/readyz" | "/metrics" | "/" | "/login" | "/inbox" | "/stats") => {
            Sample::at(path)
        }
        ("POST", "/login") => Sample::at(path),
        ("POST", "/logout") => Sample::at(path),
        ("GET", "/preferences/dates") => Sample::at("/preferences/dates?style=wareki&next=/"),
        ("GET", "/preferences/lang") => Sample::at("/preferences/lang?lang=ja&next=/"),
        ("GET", "/settings/password") => Sample::at(path),
        // A session that has given its second factor (or has none) is sent on from the code's
        // page; the set-up page opens for every signed-in user.
        ("GET" | "POST", "/login/totp") => Sample::at(path).form(&[("code", "000000")]),
        ("GET", "/settings/totp") => Sample::at(path),
        ("POST", "/settings/totp") => Sample::at(path).form(&[("code", "000000")]),
        ("POST", "/settings/users/{id}/second-factor-reset") => Sample::at(format!(
            "/settings/users/{}/second-factor-reset",
            f.target_user
        ))
        .row(),
        ("POST", "/admin/users/{id}/second-factor-reset") => Sample::at(format!(
            "/admin/users/{}/second-factor-reset",
            f.target_user
        ))
        .admin_page(),
        ("POST", "/settings/password") => Sample::at(path).form(&[
            ("current", "not the current password"),
            ("new", "a new passphrase here"),
            ("repeat", "a new passphrase here"),
        ]),
        ("GET", "/ack/{token}") => Sample::at(&f.ack_link),
        ("POST", "/ack/{token}") => Sample::at(&f.ack_link).form(&[("state", "received")]),
        ("GET", "/alerts/{public_id}") => Sample::at(format!("/alerts/{a}")).alert(),
        ("POST", "/alerts/{public_id}/ack") => Sample::at(format!("/alerts/{a}/ack"))
            .form(&[("state", "received")])
            .alert(),
        ("POST", "/alerts/{public_id}/notes") => Sample::at(format!("/alerts/{a}/notes"))
            .form(&[("note", "都からの補足")])
            .alert(),
        ("GET", "/alerts/{public_id}/board") => Sample::at(format!("/alerts/{a}/board")).alert(),
        ("GET", "/alerts/{public_id}/board.csv") => {
            Sample::at(format!("/alerts/{a}/board.csv")).alert()
        }
        ("GET", "/alerts/{public_id}.cap.xml") => {
            Sample::at(format!("/alerts/{a}.cap.xml")).alert()
        }
        ("GET", "/feeds/public.{format}") => Sample::at("/feeds/public.rss"),
        ("GET", "/feeds/{token}/alerts.{format}") => {
            Sample::at(format!("/feeds/{}/alerts.atom", f.feed_token))
        }
        ("GET", "/feeds/{token}/calendar.ics") => {
            Sample::at(format!("/feeds/{}/calendar.ics", f.feed_token))
        }
        ("GET", "/feeds/{token}/prefecture.{format}") => {
            Sample::at(format!("/feeds/{}/prefecture.json", f.prefecture_token))
        }
        ("GET", "/cases" | "/cases/new" | "/cases/desk") => Sample::at(path),
        ("GET", "/cases/{id}") => Sample::at(format!("/cases/{}", f.case)),
        ("POST", "/cases/new") => Sample::at(path).form(&[("title", "")]),
        ("GET", "/cases/{id}/edit") => Sample::at(format!("/cases/{}/edit", f.case)),
        ("POST", "/cases/{id}/edit") => {
            Sample::at(format!("/cases/{}/edit", f.case)).form(&[("title", "")])
        }
        ("POST", "/cases/{id}/withdraw") => {
            Sample::at(format!("/cases/{}/withdraw", f.withdrawable_case))
                .form(&[("note", "matrix")])
        }
        ("POST", "/cases/{id}/publish") => Sample::at(format!("/cases/{}/publish", f.case)),
        ("GET" | "POST", "/cases/synonyms") => Sample::at(path).form(&[("text", "ひとつだけ")]),
        ("GET", "/reports" | "/reports/new" | "/reports/stats" | "/reports/stats.csv") => {
            Sample::at(path)
        }
        ("POST", "/reports/new") => Sample::at(path).form(&[("title", "")]),
        ("GET", "/reports/{id}") => Sample::at(format!("/reports/{}", f.report)),
        ("GET", "/reports/{id}/update") => Sample::at(format!("/reports/{}/update", f.report)),
        ("POST", "/reports/{id}/update") => {
            Sample::at(format!("/reports/{}/update", f.report)).form(&[("title", "")])
        }
        ("POST", "/reports/{id}/notes") => {
            Sample::at(format!("/reports/{}/notes", f.report)).form(&[("note", "都からの補足")])
        }
        ("GET", "/inquiries" | "/inquiries/new" | "/faq") => Sample::at(path),
        ("POST", "/inquiries/new") => Sample::at(path).form(&[("about", "general"), ("title", "")]),
        ("GET", "/inquiries/{id}") => Sample::at(format!("/inquiries/{}", f.inquiry)),
        ("POST", "/inquiries/{id}/messages") => {
            Sample::at(format!("/inquiries/{}/messages", f.inquiry)).form(&[("body", "")])
        }
        ("POST", "/inquiries/{id}/close" | "/inquiries/{id}/faq") => {
            Sample::at(path.replace("{id}", &f.inquiry.to_string()))
        }
        ("POST", "/reports/{id}/steps") => Sample::at(format!("/reports/{}/steps", f.report))
            .form(&[("kind", "instruction"), ("body", "")]),
        ("GET", "/reports/{id}/print" | "/reports/{id}/summary.csv") => {
            Sample::at(path.replace("{id}", &f.report.to_string()))
        }
        ("POST", "/reports/{id}/confirm" | "/reports/{id}/forward") => {
            Sample::at(path.replace("{id}", &f.report.to_string()))
        }
        ("POST", "/reports/{id}/case") => {
            Sample::at(format!("/reports/{}/case", f.report)).form(&[("kind", "incident")])
        }
        ("GET", "/surveys" | "/surveys/new" | "/calendar") => Sample::at(path),
        ("POST", "/surveys/new") => Sample::at(path).form(&[("to", "all"), ("deadline", "")]),
        ("GET", "/surveys/{id}" | "/surveys/{id}/result" | "/surveys/{id}/results")
        | ("GET", "/surveys/{id}/results.csv" | "/surveys/{id}/results.svg")
        | ("GET", "/surveys/{id}/results.xlsx" | "/surveys/{id}/answers.xlsx")
        | ("POST", "/surveys/{id}/submit" | "/surveys/{id}/approve" | "/surveys/{id}/prompt")
        | ("POST", "/surveys/{id}/results/send") => {
            Sample::at(path.replace("{id}", &f.survey.to_string()))
        }
        ("POST", "/surveys/{id}/answers") => {
            Sample::at(format!("/surveys/{}/answers", f.survey)).form(&[("action", "submit")])
        }
        ("POST", "/surveys/{id}/answers.xlsx") => {
            Sample::at(format!("/surveys/{}/answers.xlsx", f.survey)).form(&[])
        }
        ("GET", "/surveys/{id}/answers/{org}") => {
            Sample::at(format!("/surveys/{}/answers/131016", f.survey))
        }
        ("POST", "/surveys/{id}/answers/{org}/return") => {
            Sample::at(format!("/surveys/{}/answers/131016/return", f.survey)).form(&[("note", "")])
        }
        ("POST", "/surveys/{id}/plan") => Sample::at(format!("/surveys/{}/plan", f.survey))
            .form(&[("plan", ""), ("fiscal_year", "")]),
        ("GET" | "PUT", "/api/v1/surveys/{id}/answers") => {
            Sample::at(format!("/api/v1/surveys/{}/answers", f.survey)).json(r#"{"answers":{}}"#)
        }
        ("GET", "/stats/table.csv") => Sample::at("/stats/table.csv?fy=2026&table=severity"),
        ("GET", "/stats/report") => Sample::at("/stats/report?fy=2026"),
        ("POST", "/stats/report/plan") => {
            Sample::at(path).form(&[("fy", "2026"), ("plan", "次年度も訓練を行う")])
        }
        ("GET", "/stats/card") => Sample::at("/stats/card?fy=2026&org=131016"),
        ("POST", "/stats/card/mail") => Sample::at(path).form(&[("fy", "2026"), ("org", "131016")]),
        ("GET", "/alerts/new") => Sample::at(path),
        ("POST", "/alerts/new") => Sample::at(path).form(&[
            ("title", ""),
            ("body", ""),
            ("severity", "high"),
            ("tlp", "GREEN"),
            ("to", "pref:13+"),
            ("hours", "24"),
        ]),
        ("GET", "/api/v1/reports") => Sample::at(path),
        ("POST", "/api/v1/reports") => Sample::at(path).json("{}"),
        ("GET", "/api/v1/reports/{id}") => Sample::at(format!("/api/v1/reports/{}", f.report)),
        ("POST", "/api/v1/reports/{id}/updates") => {
            Sample::at(format!("/api/v1/reports/{}/updates", f.report)).json("{}")
        }
        ("POST", "/api/v1/reports/{id}/steps") => {
            Sample::at(format!("/api/v1/reports/{}/steps", f.report)).json("{}")
        }
        ("GET", "/settings") => Sample::at(path),
        ("POST", "/settings/contacts") => Sample::at(path).form(&[
            ("email", "matrix@example.lg.jp"),
            ("kind", "backup"),
            ("language", "ja"),
            ("encoding", "utf-8"),
        ]),
        ("POST", "/settings/contacts/{id}/active") => {
            Sample::at(format!("/settings/contacts/{}/active", f.contact))
                .form(&[("active", "true")])
                .row()
        }
        ("POST", "/settings/contacts/{id}/ask") => {
            Sample::at(format!("/settings/contacts/{}/ask", f.contact)).row()
        }
        ("POST", "/settings/magazine/{id}/vouch") => {
            Sample::at(format!("/settings/magazine/{}/vouch", f.reader))
                .form(&[("vouch", "yes")])
                .row()
        }
        ("GET", "/admin/domains") => Sample::at(path),
        ("POST", "/admin/domains") => {
            Sample::at(path).form(&[("org", "131016"), ("domain", "matrix.example.lg.jp")])
        }
        ("POST", "/admin/domains/{id}/remove") => {
            Sample::at(format!("/admin/domains/{}/remove", f.domain)).admin_page()
        }
        ("POST", "/settings/inventory") => {
            Sample::at(path).form(&[("vendor", "Cybozu"), ("product", "Garoon")])
        }
        ("POST", "/settings/inventory/{id}/remove") => {
            Sample::at(format!("/settings/inventory/{}/remove", f.product)).row()
        }
        ("POST", "/settings/users") => {
            Sample::at(path).form(&[("email", "new-member@example.lg.jp"), ("role", "member")])
        }
        ("POST", "/settings/users/{id}/disabled") => {
            Sample::at(format!("/settings/users/{}/disabled", f.target_user))
                .form(&[("active", "true")])
                .row()
        }
        ("POST", "/settings/users/{id}/reset") => {
            Sample::at(format!("/settings/users/{}/reset", f.target_user)).row()
        }
        ("POST", "/settings/tokens") => {
            Sample::at(path).form(&[("name", "matrix"), ("scope_read", "on"), ("days", "30")])
        }
        ("POST", "/settings/inquiry-line") => Sample::at(path).form(&[("line", "")]),
        ("POST", "/settings/tokens/{id}/revoke") => {
            Sample::at(format!("/settings/tokens/{}/revoke", f.spare_token)).row()
        }
        ("GET", "/triage" | "/drafts") => Sample::at(path),
        ("GET", "/triage/{id}") => Sample::at(format!("/triage/{}", f.advisory)),
        ("POST", "/triage/{id}/draft") => Sample::at(format!("/triage/{}/draft", f.advisory))
            .form(&[("audience", "org:131016"), ("tlp", "AMBER")]),
        ("GET", "/drafts/{id}") => Sample::at(format!("/drafts/{}", f.alert_id)),
        ("POST", "/drafts/{id}/submit") => Sample::at(format!("/drafts/{}/submit", f.alert_id)),
        ("POST", "/drafts/{id}/approve") => {
            Sample::at(format!("/drafts/{}/approve", f.alert_id)).form(&[("revision", "1")])
        }
        (
            "GET",
            "/admin" | "/admin/" | "/admin/users" | "/admin/organisations" | "/admin/audit",
        ) => Sample::at(path),
        ("POST", "/admin/users/{id}/disabled") => {
            Sample::at(format!("/admin/users/{}/disabled", f.target_user))
                .form(&[("active", "true")])
                .admin_page()
        }
        ("POST", "/admin/users/{id}/reset") => {
            Sample::at(format!("/admin/users/{}/reset", f.target_user)).admin_page()
        }
        ("GET", "/drills" | "/drills/new" | "/admin/inbound" | "/contacts/coverage") => {
            Sample::at(path)
        }
        ("GET", "/magazine" | "/magazine/feed.atom" | "/magazine/subscribe") => Sample::at(path),
        ("GET", "/magazine/issues/{number}") => {
            Sample::at(format!("/magazine/issues/{}", f.magazine_number))
        }
        ("GET", "/magazine/{number}") => Sample::at(format!("/magazine/{}", f.magazine_number)),
        ("POST", "/magazine/new") => Sample::at(path).form(&[("week", "2026-W40")]),
        ("GET", "/magazine/drafts/{id}") => {
            Sample::at(format!("/magazine/drafts/{}", f.magazine_draft))
        }
        ("POST", "/magazine/drafts/{id}") => {
            Sample::at(format!("/magazine/drafts/{}", f.magazine_draft)).form(&[
                ("title", "マトリクス号"),
                ("intro", ""),
                ("drop", ""),
            ])
        }
        ("POST", "/magazine/drafts/{id}/submit" | "/magazine/drafts/{id}/approve") => {
            Sample::at(path.replace("{id}", &f.magazine_draft.to_string()))
        }
        ("POST", "/magazine/subscribe") => Sample::at(path).form(&[
            ("email", "someone@example.com"),
            ("language", "ja"),
            ("encoding", "utf-8"),
        ]),
        ("GET" | "POST", "/magazine/confirm/{token}") => {
            Sample::at(format!("/magazine/confirm/{}", f.magazine_confirm))
        }
        ("GET" | "POST", "/magazine/unsubscribe/{token}") => {
            Sample::at(format!("/magazine/unsubscribe/{}", f.magazine_unsubscribe))
        }
        ("GET" | "POST", "/contacts/confirm/{token}") => {
            Sample::at(format!("/contacts/confirm/{}", f.confirm_token))
        }
        ("POST", "/settings/contacts/confirm" | "/contacts/coverage/campaign") => Sample::at(path),
        ("POST", "/drills/new") => {
            Sample::at(path).form(&[("title", ""), ("body", ""), ("to", "all"), ("hours", "24")])
        }
        ("GET", "/drills/{id}") => Sample::at(format!("/drills/{}", f.drill)),
        ("GET", "/drills/{id}/report") => Sample::at(format!("/drills/{}/report", f.drill)),
        ("GET", "/drills/{id}/report.csv") => Sample::at(format!("/drills/{}/report.csv", f.drill)),
        ("POST", "/admin/inbound/{id}/dismiss") => {
            Sample::at(format!("/admin/inbound/{}/dismiss", f.inbound))
        }
        ("GET", "/admin/alerts/{id}/deliveries") => {
            Sample::at(format!("/admin/alerts/{}/deliveries", f.alert_id))
        }
        ("POST", "/admin/alerts/{id}/retry") => {
            Sample::at(format!("/admin/alerts/{}/retry", f.alert_id))
        }
        ("GET", "/api/v1/openapi.json" | "/api/v1/me" | "/api/v1/alerts" | "/api/v1/cases") => {
            Sample::at(path)
        }
        ("GET", "/api/v1/alerts/{id}") => Sample::at(format!("/api/v1/alerts/{a}")).alert(),
        ("GET", "/api/v1/alerts/{id}/acknowledgement") => {
            Sample::at(format!("/api/v1/alerts/{a}/acknowledgement")).alert()
        }
        ("PUT", "/api/v1/alerts/{id}/acknowledgement") => {
            Sample::at(format!("/api/v1/alerts/{a}/acknowledgement"))
                .json(r#"{"state":"received"}"#)
                .alert()
        }
        ("GET", "/api/v1/cases/{id}") => Sample::at(format!("/api/v1/cases/{}", f.case)),
        ("POST", "/api/v1/cases") => Sample::at(path).json("{}"),
        ("GET", "/api/v1/advisories" | "/api/v1/organisations") => Sample::at(path),
        ("GET", "/api/v1/advisories/{id}") => {
            Sample::at(format!("/api/v1/advisories/{}", f.advisory))
        }
        ("GET", "/api/v1/organisations/{code}") => Sample::at("/api/v1/organisations/131016"),
        _ => return None,
    };
    Some(s)
}

/// One caller's state: a browser for sessions, a token for the API.
pub(crate) struct Caller {
    p: P,
    pub(crate) browser: Browser,
    csrf: String,
    token: Option<String>,
}

pub(crate) async fn caller(app: &TestApp, p: P, f: &Fixture) -> Caller {
    let mut browser = Browser::new(&app.address);
    let mut csrf = String::new();
    if let Some(email) = p.email() {
        let page = browser.log_in(email, PASSWORD).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{p:?} logs in");
        csrf = browser.get("/settings/password").await.hidden("csrf");
    }
    Caller {
        p,
        browser,
        csrf,
        token: f.tokens.get(&p).cloned(),
    }
}

async fn call(
    app: &TestApp,
    c: &mut Caller,
    method: &str,
    s: &Sample,
    route: &str,
) -> (StatusCode, Option<String>) {
    let api = route.starts_with("/api/");
    if api {
        let mut req = app
            .client
            .request(method.parse().unwrap(), app.url(&s.path));
        if let Some(t) = &c.token {
            req = req.bearer_auth(t);
        } else if c.p.signed_in() {
            req = req
                .header("cookie", c.browser.cookie_header())
                .header("x-csrf-token", &c.csrf);
        }
        if let Some(body) = &s.json {
            req = req
                .header("content-type", "application/json")
                .body(body.clone());
        }
        let r = req.send().await.unwrap();
        return (r.status(), None);
    }
    let page = match method {
        "GET" => c.browser.get(&s.path).await,
        "HEAD" => {
            let r = app
                .client
                .head(app.url(&s.path))
                .header("cookie", c.browser.cookie_header())
                .send()
                .await
                .unwrap();
            let location = r
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned());
            return (r.status(), location);
        }
        "POST" if route == "/login" => {
            let csrf = c.browser.get("/login").await.hidden("csrf");
            let email = c.p.email().unwrap_or("member@city.chiyoda.lg.jp");
            c.browser
                .post(
                    "/login",
                    &[("email", email), ("password", PASSWORD), ("csrf", &csrf)],
                )
                .await
        }
        _ => {
            let mut form: Vec<(&str, &str)> =
                s.form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            // The public subscription form carries its own token (a cookie and a hidden field)
            // for callers without a session.
            let page_csrf = if route == "/magazine/subscribe" {
                c.browser.get("/magazine/subscribe").await.hidden("csrf")
            } else {
                c.csrf.clone()
            };
            if !route.starts_with("/ack/") {
                form.push(("csrf", &page_csrf));
            }
            let form: Vec<(&str, &str)> = form.into_iter().collect();
            c.browser.post(&s.path, &form).await
        }
    };
    (page.status, page.location)
}

#[tokio::test]
async fn every_route_answers_every_caller_as_its_rule_says() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let mut failures = Vec::new();
    // Logging out and in changes the caller: those two go last, in that order (the login
    // signs each caller in again as itself).
    let mut routes: Vec<_> = ROUTES.iter().collect();
    routes.sort_by_key(|r| match (r.method, r.path) {
        ("POST", "/logout") => 1,
        ("POST", "/login") => 2,
        _ => 0,
    });
    let mut callers = Vec::new();
    for p in SESSIONS.iter().chain(TOKENS.iter()) {
        callers.push(caller(&app, *p, &f).await);
    }
    for rule in routes {
        let Some(s) = sample(rule.method, rule.path, &f) else {
            failures.push(format!(
                "{} {}: no sample request in access_matrix::sample",
                rule.method, rule.path
            ));
            continue;
        };
        let api = rule.path.starts_with("/api/");
        for c in callers.iter_mut() {
            // Tokens are API credentials (feed tokens travel in the URL and are sampled so).
            if TOKENS.contains(&c.p) && !api {
                continue;
            }
            let expected = admitted(rule.who, c.p, &s);
            for method in if rule.method == "GET" {
                vec!["GET", "HEAD"]
            } else {
                vec![rule.method]
            } {
                let (status, location) = call(&app, c, method, &s, rule.path).await;
                let got = !denied(status, location.as_deref());
                if got != expected || status.is_server_error() {
                    failures.push(format!(
                        "{method} {} as {:?} ({:?}): {status} {location:?}, expected {}",
                        s.path,
                        c.p,
                        rule.who,
                        if expected { "access" } else { "a denial" }
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn every_tlp_level_of_alerts_cases_and_reports_holds_on_every_channel() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let central = central_users_of(&app).await;
    let mut alerts = Vec::new();
    let mut cases = Vec::new();
    for (i, tlp) in [
        Tlp::Clear,
        Tlp::Green,
        Tlp::Amber,
        Tlp::AmberStrict,
        Tlp::Red,
    ]
    .into_iter()
    .enumerate()
    {
        let (_, r) = publish_alert(
            &app.ctx,
            &central,
            Draft {
                to: &["org:131016"],
                tlp,
                title: &format!("マトリクス注意喚起{i}"),
                ..Draft::default()
            },
        )
        .await;
        alerts.push((tlp, r.public_id));
        let fields = noroshi::cases::CaseInput {
            kind: "incident".into(),
            title: format!("マトリクス事例{i}番"),
            summary: "概要".into(),
            body: format!("識別語マトリクス{i}"),
            categories: vec!["malware".into()],
            org_kind: "city".into(),
            tlp: tlp.as_str().into(),
            ..Default::default()
        }
        .validate(noroshi::time::today_jst())
        .unwrap();
        let chiyoda = noroshi::registry::store::find_by_code(
            &app.ctx.db,
            noroshi::registry::OrgCode::parse("131016").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
        let id =
            noroshi::cases::act::submit(&app.ctx.db, &fields, Some(chiyoda.id), &Actor::System)
                .await
                .unwrap();
        noroshi::cases::act::publish(
            &app.ctx.db,
            id,
            &Actor::Cli {
                os_user: "matrix".into(),
            },
        )
        .await
        .unwrap();
        cases.push((tlp, id, i));
    }
    noroshi::cases::outbox::drain(&app.ctx.db, &app.ctx.search)
        .await
        .unwrap();
    let mut reports = Vec::new();
    for tlp in Tlp::ALL {
        let id = file_report(
            &app,
            "131016",
            tlp,
            &format!("マトリクス報告{}", tlp.as_str()),
        )
        .await;
        reports.push((tlp, id));
    }
    let mut failures = Vec::new();
    let mut callers = Vec::new();
    for p in SESSIONS {
        callers.push(caller(&app, p, &f).await);
    }
    let public_rss = app
        .get("/feeds/public.json?min_severity=info")
        .await
        .text()
        .await
        .unwrap();
    let org_feed = app
        .get(&format!(
            "/feeds/{}/alerts.json?min_severity=info",
            f.feed_token
        ))
        .await
        .text()
        .await
        .unwrap();
    let pref_feed = app
        .get(&format!(
            "/feeds/{}/prefecture.json?min_severity=info",
            f.prefecture_token
        ))
        .await
        .text()
        .await
        .unwrap();
    for (tlp, id) in &alerts {
        let mut check = |what: &str, got: bool, want: bool| {
            if got != want {
                failures.push(format!(
                    "{tlp} alert {id}, {what}: shown {got}, expected {want}"
                ));
            }
        };
        check(
            "public feed",
            public_rss.contains(id.as_str()),
            *tlp == Tlp::Clear,
        );
        check("千代田区's feed", org_feed.contains(id.as_str()), true);
        check(
            "東京都's prefecture feed",
            pref_feed.contains(id.as_str()),
            matches!(tlp, Tlp::Clear | Tlp::Green | Tlp::Amber),
        );
        let cap = app.get(&format!("/alerts/{id}.cap.xml")).await.status();
        check(
            "CAP without credentials",
            cap == StatusCode::OK,
            *tlp == Tlp::Clear,
        );
        for c in callers.iter_mut() {
            let want = c.p.signed_in() && c.p.sees_chiyoda_alert(*tlp);
            let page = c.browser.get(&format!("/alerts/{id}")).await;
            check(
                &format!("portal page as {:?}", c.p),
                page.status == StatusCode::OK,
                want,
            );
            let api = app
                .client
                .get(app.url(&format!("/api/v1/alerts/{id}")))
                .header("cookie", c.browser.cookie_header())
                .send()
                .await
                .unwrap()
                .status();
            check(&format!("API as {:?}", c.p), api == StatusCode::OK, want);
            let board = c.browser.get(&format!("/alerts/{id}/board")).await.status;
            let board_want = want && (c.p.central() || c.p == P::Prefecture);
            check(
                &format!("board as {:?}", c.p),
                board == StatusCode::OK,
                board_want,
            );
        }
    }
    for (tlp, id, i) in &cases {
        for c in callers.iter_mut() {
            let want = c.p.signed_in() && c.p.reads_chiyoda_case(*tlp);
            let page = c.browser.get(&format!("/cases/{id}")).await;
            let api = app
                .client
                .get(app.url(&format!("/api/v1/cases/{id}")))
                .header("cookie", c.browser.cookie_header())
                .send()
                .await
                .unwrap()
                .status();
            let search = c.browser.get(&format!("/cases?q=%E8%AD%98%E5%88%A5%E8%AA%9E%E3%83%9E%E3%83%88%E3%83%AA%E3%82%AF%E3%82%B9{i}")).await;
            let title = format!("マトリクス事例{i}番");
            for (what, got) in [
                ("portal page", page.status == StatusCode::OK),
                ("API", api == StatusCode::OK),
                (
                    "search",
                    search.status == StatusCode::OK && search.body.contains(&title),
                ),
            ] {
                if got != want {
                    failures.push(format!(
                        "{tlp} case {id}, {what} as {:?}: shown {got}, expected {want}",
                        c.p
                    ));
                }
            }
        }
    }
    for (tlp, id) in &reports {
        for c in callers.iter_mut() {
            // A report is its organisation's, its prefecture's (not AMBER+STRICT or RED) and
            // central staff's.
            let want = c.p.central()
                || matches!(c.p, P::Member | P::OrgAdmin)
                || (c.p == P::Prefecture && tlp.prefecture_may_relay());
            let page = c.browser.get(&format!("/reports/{id}")).await;
            let list = c.browser.get("/reports").await;
            let api = app
                .client
                .get(app.url(&format!("/api/v1/reports/{id}")))
                .header("cookie", c.browser.cookie_header())
                .send()
                .await
                .unwrap()
                .status();
            let api_list = app
                .client
                .get(app.url("/api/v1/reports"))
                .header("cookie", c.browser.cookie_header())
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            for (what, got) in [
                ("portal page", page.status == StatusCode::OK),
                (
                    "portal list",
                    list.body.contains(&format!("href=\"/reports/{id}\"")),
                ),
                ("API", api == StatusCode::OK),
                ("API list", api_list.contains(&format!("\"id\":{id},"))),
            ] {
                if got != want {
                    failures.push(format!(
                        "{tlp} report {id}, {what} as {:?}: shown {got}, expected {want}",
                        c.p
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The central users the fixture made (operator, approver, approver2).
async fn central_users_of(app: &TestApp) -> crate::helpers::mail::Central {
    let find = |email: &'static str| async move {
        noroshi::auth::store::find_by_email(
            &app.ctx.db,
            &noroshi::auth::EmailAddress::parse(email).unwrap(),
        )
        .await
        .unwrap()
        .unwrap()
    };
    crate::helpers::mail::Central {
        operator: find("operator@soumu.go.jp").await,
        approver: find("approver@soumu.go.jp").await,
        approver2: find("approver2@soumu.go.jp").await,
    }
}

/// A pending subscription of a 千代田区 address (its confirmation token read from the queued
/// mail) and the unsubscribe token of the contact address `contact`.
async fn magazine_tokens(app: &TestApp, contact: i64) -> (String, String) {
    let c = noroshi::contacts::store::get(&app.ctx.db, contact)
        .await
        .unwrap()
        .unwrap();
    let staff = format!("staff.matrix@{}", c.email.domain());
    let chiyoda = noroshi::registry::store::find_by_id(&app.ctx.db, c.org_id)
        .await
        .unwrap()
        .unwrap();
    noroshi::contacts::domains::add(
        &app.ctx.db,
        &chiyoda,
        c.email.domain(),
        &noroshi::audit::Actor::System,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    noroshi::magazine::subscribers::request(
        &app.ctx.db,
        &app.ctx.mailer.verp,
        &app.ctx.settings.app.base_url,
        &staff,
        "ja",
        "utf-8",
        &noroshi::magazine::subscribers::Requester::Public,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let body = crate::helpers::mail::queued_notice_to(&app.ctx, &staff).await;
    let token = body
        .split("/magazine/confirm/")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .expect("the confirmation mail carries its link")
        .to_owned();
    (
        token,
        app.ctx
            .mailer
            .verp
            .unsubscribe_token(&format!("c{contact}")),
    )
}

/// An active reader who subscribed at 千代田区's domain (registered by `magazine_tokens`), and
/// the domain's id.
async fn magazine_reader(app: &TestApp, chiyoda: &noroshi::registry::Organisation) -> (i64, i64) {
    use noroshi::magazine::subscribers;
    let domain = noroshi::registry::domains::of(&app.ctx.db, chiyoda.id)
        .await
        .unwrap()[0]
        .clone();
    let staff = format!("reader.matrix@{}", domain.domain);
    subscribers::request(
        &app.ctx.db,
        &app.ctx.mailer.verp,
        &app.ctx.settings.app.base_url,
        &staff,
        "ja",
        "utf-8",
        &subscribers::Requester::Public,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let body = crate::helpers::mail::queued_notice_to(&app.ctx, &staff).await;
    let token = body
        .split("/magazine/confirm/")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap()
        .to_owned();
    let s = subscribers::confirm(&app.ctx.db, &token, chrono::Utc::now())
        .await
        .unwrap();
    (s.id, domain.id)
}

/// A published issue (composed and submitted by the operator, published by the approver) and
/// another draft.
async fn magazine_issues(app: &TestApp) -> (i32, IssueId) {
    use noroshi::magazine::issue;
    let central = central_users_of(app).await;
    let now = chrono::Utc::now();
    let (from, to) = (now - chrono::Duration::days(7), now);
    let first = issue::compose(&app.ctx.db, &central.operator, from, to, now)
        .await
        .unwrap();
    issue::submit(&app.ctx.db, &central.operator, first.id, now)
        .await
        .unwrap();
    let published = issue::approve(&app.ctx.db, &central.approver, first.id, now)
        .await
        .unwrap();
    let draft = issue::compose(
        &app.ctx.db,
        &central.operator,
        from - chrono::Duration::days(7),
        from,
        now,
    )
    .await
    .unwrap();
    (published.issue.number.unwrap(), draft.id)
}
