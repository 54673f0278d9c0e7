//! 年間予定: an organisation's year — a survey sent and due, an alert's deadline, a drill, and
//! 情報セキュリティの日 — on its page with the day of the week, and as an iCalendar feed that
//! Python's `icalendar` (a reader the project does not write) parses into the same events; only
//! its own alerts, and nothing without a valid token.

use noroshi::auth::Role;
use noroshi::auth::tokens::Scope;
use reqwest::StatusCode;

use crate::access_matrix::publish_survey;
use crate::feeds::token_for;
use crate::helpers::browser::Browser;
use crate::helpers::mail::{Draft, central_users, publish_alert, user};
use crate::helpers::spawn_app;

const PW: &str = "correct horse battery staple";

#[tokio::test]
async fn an_organisations_year_is_on_its_page_and_in_a_calendar_program() {
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    user(&app.ctx, "131016", Role::Member, "m@city.chiyoda.lg.jp").await;
    let survey = publish_survey(&app, &central, &["org:131016"]).await;
    publish_alert(
        &app.ctx,
        &central,
        Draft {
            to: &["org:131016"],
            title: "千代田区あての注意喚起",
            ..Draft::default()
        },
    )
    .await;
    publish_alert(
        &app.ctx,
        &central,
        Draft {
            to: &["org:131024"],
            title: "中央区あての注意喚起",
            ..Draft::default()
        },
    )
    .await;

    let mut m = Browser::new(&app.address);
    m.log_in("m@city.chiyoda.lg.jp", PW).await;
    let page = m.get("/calendar").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("/calendar\">"), "the nav leads to it");
    for want in [
        "情報セキュリティの日",
        "調査の回答期限",
        "対応期限",
        "千代田区あての注意喚起",
        &format!("/surveys/{survey}"),
    ] {
        assert!(page.body.contains(want), "{want}: {}", page.body);
    }
    assert!(
        !page.body.contains("中央区あて"),
        "another organisation's alert never"
    );
    assert!(
        page.body.contains("令和"),
        "a 年度 page writes 和暦 by default"
    );
    assert!(
        page.body.contains("（火）")
            || page.body.contains("（水）")
            || page.body.contains("（月）")
    );
    assert_eq!(
        m.get("/calendar?fy=1999").await.status,
        StatusCode::BAD_REQUEST
    );

    // The same year in a calendar program, through the organisation's read token.
    let token = token_for(&app.ctx, "131016", &[Scope::Read]).await;
    let r = app
        .client
        .get(app.url(&format!("/feeds/{token}/calendar.ics")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let ics = r.bytes().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.ics");
    std::fs::write(&file, &ics).unwrap();
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import sys, icalendar\n\
             cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())\n\
             for e in cal.walk('VEVENT'):\n    print(e.get('CATEGORIES').to_ical().decode(), e.decoded('DTSTART'), str(e.get('SUMMARY')), str(e.get('URL') or ''))\n",
        )
        .arg(&file)
        .output()
        .expect("python3 with icalendar");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events = String::from_utf8_lossy(&out.stdout);
    assert!(
        events.contains("fixed") && events.contains("情報セキュリティの日"),
        "{events}"
    );
    assert!(
        events.contains("survey-due") && events.contains(&format!("/surveys/{survey}")),
        "{events}"
    );
    assert!(
        events.contains("ack-due 20") && events.contains("千代田区あての注意喚起"),
        "{events}"
    );
    assert!(!events.contains("中央区あて"), "{events}");
    // An unknown token gets nothing.
    let r = app
        .client
        .get(app.url("/feeds/nrs_unknown/calendar.ics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
