//! TLP on content, not only on admission: every channel that carries alert, drill, incident
//! report, case or survey text — portal pages, CSV, the report card, feeds, CAP, the JSON API,
//! mail and the メールマガジン — is read by every class of reader, and no reader may find text it
//! is not entitled to. The access matrix says who is admitted to a route; this says what the
//! answer then holds.
//!
//! Each thing carries a marker in its title and body (`MKALERT3X`: an alert marked TLP level 3,
//! AMBER+STRICT), all addressed to or written by 千代田区. The rule each marker is held to:
//!
//! | thing | who may read it |
//! |---|---|
//! | alert | TLP:CLEAR: anyone; else 千代田区, central staff, and 東京都 unless AMBER+STRICT or RED |
//! | drill | never public: 千代田区, central staff, 東京都 unless AMBER+STRICT or RED |
//! | report | 千代田区, central staff, 東京都 unless AMBER+STRICT or RED |
//! | case | CLEAR: anyone; GREEN: signed-in readers; AMBER: 千代田区 and 東京都; AMBER+STRICT: 千代田区; RED: central staff (and 千代田区, which wrote it) |
//! | survey | 千代田区, 東京都 and central staff (addressed to 千代田区) |

use noroshi::domain::ids::{AlertId, CaseId, ReportId, SurveyId};
use std::collections::BTreeMap;

use noroshi::auth::Role;
use noroshi::auth::tokens::Scope;
use noroshi::domain::Tlp;
use reqwest::StatusCode;

use crate::feeds::token_for;
use crate::helpers::browser::Browser;
use crate::helpers::mail::{Draft, add_contacts, central_users, drain, publish_alert, user};
use crate::helpers::{TestApp, spawn_app};

const PASSWORD: &str = "correct horse battery staple";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Reader {
    Anonymous,
    /// 神奈川県's administrator.
    OtherPrefecture,
    /// 中央区, a municipality of the same prefecture.
    OtherMunicipality,
    /// 東京都's administrator.
    OwnPrefecture,
    /// 千代田区's staff.
    OwnOrganisation,
    Central,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Thing {
    Alert,
    Drill,
    Report,
    Case,
    Survey,
}

impl Thing {
    fn name(self) -> &'static str {
        match self {
            Self::Alert => "ALERT",
            Self::Drill => "DRILL",
            Self::Report => "REPORT",
            Self::Case => "CASE",
            Self::Survey => "SURVEY",
        }
    }
}

fn marker(thing: Thing, tlp: Tlp) -> String {
    let level = Tlp::ALL.iter().position(|t| *t == tlp).unwrap();
    format!("MK{}{level}X", thing.name())
}

/// Whether `reader` may read the text of `thing` marked `tlp` (all of them 千代田区's).
fn may_see(thing: Thing, tlp: Tlp, reader: Reader) -> bool {
    use Reader::*;
    let relayed = tlp.prefecture_may_relay();
    match (thing, reader) {
        // Central staff read everything; 千代田区 everything addressed to it or written by it
        // (its own case desk lists what it submitted, whatever the marking).
        (_, Central | OwnOrganisation) => true,
        (Thing::Alert, _) if tlp == Tlp::Clear => true,
        (Thing::Alert | Thing::Drill | Thing::Report, OwnPrefecture) => relayed,
        (Thing::Alert | Thing::Drill | Thing::Report, _) => false,
        (Thing::Case, _) => match tlp {
            Tlp::Clear => true,
            Tlp::Green => reader != Anonymous,
            Tlp::Amber => reader == OwnPrefecture,
            Tlp::AmberStrict | Tlp::Red => false,
        },
        (Thing::Survey, OwnPrefecture) => true,
        (Thing::Survey, _) => false,
    }
}

struct World {
    alerts: Vec<String>,
    drills: Vec<AlertId>,
    reports: Vec<ReportId>,
    cases: Vec<CaseId>,
    survey: SurveyId,
    magazine: i32,
}

async fn build(app: &TestApp) -> World {
    let central = central_users(&app.ctx).await;
    let org = |code: &'static str| crate::helpers::mail::org_by_code(&app.ctx, code);
    let orgs = vec![
        org("131016").await,
        org("130001").await,
        org("131024").await,
        org("140007").await,
        org("990019").await,
    ];
    add_contacts(&app.ctx, &orgs, 1, |_| {
        noroshi::contacts::MailEncoding::Utf8
    })
    .await;
    let chiyoda = orgs[0].clone();
    let mut world = World {
        alerts: Vec::new(),
        drills: Vec::new(),
        reports: Vec::new(),
        cases: Vec::new(),
        survey: SurveyId(0),
        magazine: 0,
    };
    for tlp in Tlp::ALL {
        for drill in [false, true] {
            let thing = if drill { Thing::Drill } else { Thing::Alert };
            let m = marker(thing, tlp);
            let title = format!("{m} の件名");
            let body = format!("{m} の本文です。");
            let (id, report) = publish_alert(
                &app.ctx,
                &central,
                Draft {
                    to: &["org:131016"],
                    title: &title,
                    body: &body,
                    tlp,
                    drill,
                    ..Draft::default()
                },
            )
            .await;
            if drill {
                world.drills.push(id);
            } else {
                world.alerts.push(report.public_id);
            }
        }
        let m = marker(Thing::Report, tlp);
        let fields = noroshi::reports::ReportInput {
            title: format!("{m} の報告"),
            summary: format!("{m} の概要"),
            found_at: "2026-12-01 09:00".into(),
            systems: format!("{m} のシステム"),
            personal_data: "no".into(),
            leaked: "no".into(),
            phase: "initial".into(),
            situation: format!("{m} の状況"),
            tlp: tlp.as_str().into(),
            ..Default::default()
        }
        .validate(chrono::Utc::now())
        .unwrap();
        let id = noroshi::reports::act::file(
            &app.ctx.db,
            &noroshi::reports::mail::Mailing::of(&app.ctx.settings),
            &chiyoda,
            fields,
            &noroshi::audit::Actor::System,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        world.reports.push(id);
        let m = marker(Thing::Case, tlp);
        let case = noroshi::cases::CaseInput {
            kind: "incident".into(),
            title: format!("{m} の事例"),
            summary: format!("{m} の要約"),
            body: format!("{m} の経緯"),
            categories: vec!["data_leak".into()],
            org_kind: "city".into(),
            size_band: "undisclosed".into(),
            tlp: tlp.as_str().into(),
            ..Default::default()
        }
        .validate(noroshi::time::today_jst())
        .unwrap();
        let id = noroshi::cases::act::submit(
            &app.ctx.db,
            &case,
            Some(chiyoda.id),
            &noroshi::audit::Actor::System,
        )
        .await
        .unwrap();
        noroshi::cases::act::publish(
            &app.ctx.db,
            id,
            &noroshi::audit::Actor::of(&central.approver),
        )
        .await
        .unwrap();
        world.cases.push(id);
    }
    noroshi::cases::outbox::drain(&app.ctx.db, &app.ctx.search)
        .await
        .unwrap();
    // A survey addressed to 千代田区.
    let mut definition =
        noroshi::surveys::Definition::parse(noroshi::surveys::definition::TEMPLATES[0].1).unwrap();
    definition.title = format!("{} の点検", marker(Thing::Survey, Tlp::Green));
    world.survey =
        crate::access_matrix::publish_definition(app, &central, definition, &["org:131016"]).await;
    // This week's メールマガジン, to every contact.
    let draft = crate::helpers::mail::submitted_issue(&app.ctx, &central).await;
    let published = noroshi::magazine::issue::approve(
        &app.ctx.db,
        &central.approver2,
        draft,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    world.magazine = published.issue.number.unwrap();
    drain(&app.ctx, noroshi::delivery::worker::Lane::All).await;
    crate::helpers::mail::send_notices(&app.ctx).await;
    world
}

/// Everything one reader gets: (channel, body).
async fn read_as(app: &TestApp, w: &World, reader: Reader) -> Vec<(String, String)> {
    let (email, code) = match reader {
        Reader::Anonymous => ("", ""),
        Reader::OtherPrefecture => ("sec@pref.kanagawa.lg.jp", "140007"),
        Reader::OtherMunicipality => ("member@city.chuo.lg.jp", "131024"),
        Reader::OwnPrefecture => ("sec@metro.tokyo.lg.jp", "130001"),
        Reader::OwnOrganisation => ("member@city.chiyoda.lg.jp", "131016"),
        Reader::Central => ("operator@soumu.go.jp", ""),
    };
    let mut b = Browser::new(&app.address);
    if !email.is_empty() {
        let login = b.log_in(email, PASSWORD).await;
        assert_eq!(login.status, StatusCode::SEE_OTHER, "{email} signs in");
    }
    let mut paths: Vec<String> = [
        "/",
        "/inbox",
        "/inbox?state=all",
        "/drills",
        "/reports",
        "/reports/stats?fy=2026",
        "/reports/stats.csv?fy=2026",
        "/cases",
        "/cases?q=MK",
        "/cases?q=%E4%BA%8B%E4%BE%8B",
        "/cases/desk",
        "/surveys",
        "/stats",
        "/stats?fy=2026",
        "/stats/report?fy=2026",
        "/stats/card?org=131016&fy=2026",
        "/magazine",
        "/feeds/public.rss",
        "/feeds/public.atom",
        "/feeds/public.json",
        "/magazine/feed.atom",
        "/api/v1/alerts",
        "/api/v1/reports",
        "/api/v1/cases?q=MK",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for t in ["alerts", "severity", "category"] {
        paths.push(format!("/stats/table.csv?fy=2026&table={t}"));
    }
    for a in &w.alerts {
        for p in ["", "/board", "/board.csv", ".cap.xml"] {
            paths.push(format!("/alerts/{a}{p}"));
        }
        paths.push(format!("/api/v1/alerts/{a}"));
    }
    for d in &w.drills {
        for p in ["", "/report", "/report.csv"] {
            paths.push(format!("/drills/{d}{p}"));
        }
    }
    for r in &w.reports {
        paths.push(format!("/reports/{r}"));
        paths.push(format!("/api/v1/reports/{r}"));
    }
    for c in &w.cases {
        paths.push(format!("/cases/{c}"));
        paths.push(format!("/api/v1/cases/{c}"));
    }
    let s = w.survey;
    for p in ["", "/results", "/results.csv", "/result"] {
        paths.push(format!("/surveys/{s}{p}"));
    }
    paths.push(format!("/magazine/issues/{}", w.magazine));
    let mut out = Vec::new();
    for p in paths {
        let page = b.get(&p).await;
        assert!(
            !page.status.is_server_error(),
            "{reader:?} {p}: {}",
            page.status
        );
        out.push((p, page.body));
    }
    // The organisation's own feeds and API, with its token.
    if !code.is_empty() {
        let token = token_for(&app.ctx, code, &[Scope::Read, Scope::Report]).await;
        let mut api = vec![
            format!("/feeds/{token}/alerts.atom"),
            format!("/feeds/{token}/prefecture.json"),
            "/api/v1/alerts".to_owned(),
            "/api/v1/reports".to_owned(),
            "/api/v1/cases?q=MK".to_owned(),
        ];
        api.extend(w.alerts.iter().map(|a| format!("/api/v1/alerts/{a}")));
        api.extend(w.reports.iter().map(|r| format!("/api/v1/reports/{r}")));
        api.extend(w.cases.iter().map(|c| format!("/api/v1/cases/{c}")));
        for p in api {
            let r = reqwest::Client::new()
                .get(app.url(&p))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert!(!r.status().is_server_error(), "{reader:?} {p}");
            out.push((format!("token {p}"), r.text().await.unwrap()));
        }
    }
    // The mail its addresses received (alerts, drills, reminders, reports, surveys, the
    // メールマガジン, notices), decoded.
    if !code.is_empty() || reader == Reader::Central {
        let domain = if reader == Reader::Central {
            "990019.example.lg.jp".to_owned()
        } else {
            format!("{code}.example.lg.jp")
        };
        for t in app.smtp.received() {
            if !t.rcpt_to.iter().any(|r| r.ends_with(&domain)) {
                continue;
            }
            let parsed = mail_parser::MessageParser::default()
                .parse(&t.data)
                .unwrap();
            let text = format!(
                "{}\n{}\n{}",
                parsed.subject().unwrap_or_default(),
                parsed.body_text(0).unwrap_or_default(),
                parsed.body_html(0).unwrap_or_default()
            );
            out.push((format!("mail to {}", t.rcpt_to[0]), text));
        }
    }
    out
}

#[tokio::test]
async fn no_channel_shows_a_reader_text_its_tlp_keeps_from_them() {
    let app = spawn_app().await;
    for (code, role, email) in [
        ("131016", Role::Member, "member@city.chiyoda.lg.jp"),
        ("131024", Role::Member, "member@city.chuo.lg.jp"),
        ("130001", Role::PrefectureAdmin, "sec@metro.tokyo.lg.jp"),
        ("140007", Role::PrefectureAdmin, "sec@pref.kanagawa.lg.jp"),
    ] {
        user(&app.ctx, code, role, email).await;
    }
    let world = build(&app).await;
    let things = [
        Thing::Alert,
        Thing::Drill,
        Thing::Report,
        Thing::Case,
        Thing::Survey,
    ];
    let mut leaks = Vec::new();
    let mut seen: BTreeMap<(Thing, usize), Vec<Reader>> = BTreeMap::new();
    for reader in [
        Reader::Anonymous,
        Reader::OtherPrefecture,
        Reader::OtherMunicipality,
        Reader::OwnPrefecture,
        Reader::OwnOrganisation,
        Reader::Central,
    ] {
        for (channel, body) in read_as(&app, &world, reader).await {
            for thing in things {
                for (level, tlp) in Tlp::ALL.iter().enumerate() {
                    if thing == Thing::Survey && *tlp != Tlp::Green {
                        continue;
                    }
                    if !body.contains(&marker(thing, *tlp)) {
                        continue;
                    }
                    seen.entry((thing, level)).or_default().push(reader);
                    if !may_see(thing, *tlp, reader) {
                        leaks.push(format!("{reader:?} reads {thing:?} TLP:{tlp} on {channel}"));
                    }
                }
            }
        }
    }
    leaks.sort();
    leaks.dedup();
    assert!(
        leaks.is_empty(),
        "{} leaks:\n{}",
        leaks.len(),
        leaks.join("\n")
    );
    // The test can see what it looks for: each thing reaches the readers it is for somewhere.
    for thing in things {
        for (level, tlp) in Tlp::ALL.iter().enumerate() {
            if thing == Thing::Survey && *tlp != Tlp::Green {
                continue;
            }
            let readers = seen.get(&(thing, level)).cloned().unwrap_or_default();
            assert!(
                readers.contains(&Reader::Central)
                    || (thing == Thing::Case && *tlp == Tlp::Red && readers.is_empty()),
                "{thing:?} TLP:{tlp} was read by nobody entitled: {readers:?}"
            );
            if !(thing == Thing::Case && *tlp == Tlp::Red) {
                assert!(
                    readers.contains(&Reader::OwnOrganisation),
                    "{thing:?} TLP:{tlp} never reached 千代田区: {readers:?}"
                );
            }
        }
    }
}
