//! The 年度 in numbers: the year turns at midnight JST on 1 April, drills are counted apart,
//! each figure has last year's beside it, the tables are CSV that Python's csv module reads, the
//! printable 年度報告 keeps its 次年度の計画, and an organisation's report card is its own,
//! its prefecture's and the centre's, mailed on request.

use chrono::TimeZone;
use noroshi::auth::Role;
use noroshi::contacts::MailEncoding;
use noroshi::domain::Tlp;
use noroshi::domain::ids::AlertId;
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;

use crate::helpers::browser::Browser;
use crate::helpers::mail::{Draft, add_contacts, central_users, drain, publish_alert, tokyo, user};
use crate::helpers::spawn_app;

const PW: &str = "correct horse battery staple";

async fn first_published(
    app: &crate::helpers::TestApp,
    alert: AlertId,
    at: chrono::DateTime<chrono::Utc>,
) {
    app.ctx
        .db
        .execute_raw(noroshi::db::statement(
            app.ctx.db.get_database_backend(),
            "UPDATE alert_revisions SET published_at = $1 WHERE alert_id = $2 AND number = 1",
            vec![at.into(), alert.into()],
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_year_turns_on_the_first_of_april_and_its_tables_read_as_csv() {
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    let orgs = tokyo(&app.ctx).await;
    add_contacts(&app.ctx, &orgs, 1, |_| MailEncoding::Utf8).await;
    user(
        &app.ctx,
        "131016",
        Role::Member,
        "member@city.chiyoda.lg.jp",
    )
    .await;
    user(
        &app.ctx,
        "130001",
        Role::PrefectureAdmin,
        "sec@metro.tokyo.lg.jp",
    )
    .await;
    user(
        &app.ctx,
        "140007",
        Role::PrefectureAdmin,
        "sec@pref.kanagawa.lg.jp",
    )
    .await;
    let mut ids = Vec::new();
    for (i, tlp) in [Tlp::Green, Tlp::Amber, Tlp::Green].into_iter().enumerate() {
        let (id, _) = publish_alert(
            &app.ctx,
            &central,
            Draft {
                tlp,
                title: ["一件目", "二件目", "三件目"][i],
                ..Draft::default()
            },
        )
        .await;
        ids.push(id);
    }
    let (drill, _) = publish_alert(
        &app.ctx,
        &central,
        Draft {
            drill: true,
            title: "訓練",
            ..Draft::default()
        },
    )
    .await;
    drain(&app.ctx, noroshi::delivery::worker::Lane::All).await;
    // 2026-03-31 23:59 JST is 令和7年度; one minute later is 令和8年度.
    let jst = noroshi::time::jst_offset();
    first_published(
        &app,
        ids[0],
        jst.with_ymd_and_hms(2026, 3, 31, 23, 59, 0)
            .unwrap()
            .to_utc(),
    )
    .await;
    first_published(
        &app,
        ids[1],
        jst.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap().to_utc(),
    )
    .await;

    let y2025 = noroshi::yearly::build(
        &app.ctx.db,
        noroshi::yearly::Scope::Nation,
        2025,
        &app.ctx.settings.reports,
    )
    .await
    .unwrap();
    let y2026 = noroshi::yearly::build(
        &app.ctx.db,
        noroshi::yearly::Scope::Nation,
        2026,
        &app.ctx.settings.reports,
    )
    .await
    .unwrap();
    assert_eq!((y2025.alerts, y2026.alerts), (1, 2));
    assert_eq!(
        (y2025.drills, y2026.drills),
        (0, 1),
        "drills are counted apart"
    );
    assert_eq!(y2026.tally.addressed, 2 * 63, "drills never in the 把握率");
    assert_eq!(y2026.drill_addressed, 63);
    let _ = drill;

    let mut operator = Browser::new(&app.address);
    operator.log_in("operator@soumu.go.jp", PW).await;
    let page = operator.get("/stats?fy=2026").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("<tr><th>注意喚起（訓練を除く）</th><td>2</td><td>1</td></tr>"),
        "{}",
        page.body
    );
    // The 年度 pages write 和暦 unless the reader chose 西暦 (every other page the reverse).
    assert!(page.body.contains("令和8年度"), "{}", page.body);
    let western = operator
        .get("/preferences/dates?style=western&next=/stats?fy=2026")
        .await;
    assert_eq!(western.status, StatusCode::SEE_OTHER);
    let page = operator.get("/stats?fy=2026").await.body;
    assert!(
        page.contains("2026年度") && !page.contains("令和8年度"),
        "{page}"
    );
    let wareki = operator
        .get("/preferences/dates?style=wareki&next=/stats?fy=2026")
        .await;
    assert_eq!(wareki.status, StatusCode::SEE_OTHER);
    assert!(
        operator
            .get("/stats?fy=2026")
            .await
            .body
            .contains("令和8年度")
    );
    assert_eq!(
        operator.get("/stats?fy=1999").await.status,
        StatusCode::BAD_REQUEST
    );

    // Every table is CSV that Python's csv module reads.
    for table in ["summary", "severity", "category", "surveys"] {
        let csv = app
            .client
            .get(app.url(&format!("/stats/table.csv?fy=2026&table={table}")))
            .header("cookie", operator.cookie_header())
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.csv");
        std::fs::write(&file, &csv).unwrap();
        let out = std::process::Command::new("python3")
            .arg("-c")
            .arg("import csv,sys\nrows=list(csv.reader(open(sys.argv[1],encoding='utf-8-sig',newline='')))\nassert all(len(r)==3 for r in rows), rows\nprint(len(rows), rows[0][1])")
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{table}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("2026年度"),
            "{table}"
        );
    }
    assert_eq!(
        app.client
            .get(app.url("/stats/table.csv?fy=2026&table=nope"))
            .header("cookie", operator.cookie_header())
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::BAD_REQUEST
    );

    // The printable 年度報告 and its 次年度の計画.
    let report = operator.get("/stats/report?fy=2026").await;
    assert!(
        report.body.contains("@media print") && report.body.contains("令和8年4月1日"),
        "{}",
        report.body
    );
    let csrf = report.hidden("csrf");
    let saved = operator
        .post(
            "/stats/report/plan",
            &[
                ("csrf", &csrf),
                ("fy", "2026"),
                ("plan", "全団体で年 2 回の訓練を行う。"),
                ("message", "本年度の取組をまとめました。"),
                ("responsible", "自治体CEPTOAR 事務局"),
                ("summary", "緊急の注意喚起は全て当日中に配信した。"),
                ("goals", "把握率 95% 以上を目標とした。"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    // The seeds' outline, each part in its place and in order, with 和暦 headings.
    let printed = operator.get("/stats/report?fy=2026").await.body;
    let mut at = 0;
    for part in [
        "令和8年度 年度報告",
        "1. はじめに（責任者からのメッセージ）",
        "本年度の取組をまとめました。",
        "2. 報告の基本情報",
        "(1) 対象期間",
        "令和8年4月1日",
        "(2) 対象組織",
        "(3) 責任部署",
        "自治体CEPTOAR 事務局",
        "3. 令和8年度における実施状況",
        "(1) 総括",
        "緊急の注意喚起は全て当日中に配信した。",
        "(2) 重点事項の目標・実績・評価",
        "把握率 95% 以上を目標とした。",
        "完了率（対象比）",
        "(3) 実施状況の表（前年度との比較）",
        "表1",
        "(4) 障害・事故等（最終報まで至ったもの）",
        "(5) 再発防止状況",
        "4. 次年度の計画",
        "全団体で年 2 回の訓練を行う。",
    ] {
        let found = printed[at..]
            .find(part)
            .unwrap_or_else(|| panic!("「{part}」 is not where the outline puts it: {printed}"));
        at += found + part.len();
    }
    let too_long = "あ".repeat(20_001);
    let refused = operator
        .post(
            "/stats/report/plan",
            &[
                ("csrf", &csrf),
                ("fy", "2026"),
                ("plan", ""),
                ("summary", &too_long),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        operator
            .get("/stats/report?fy=2026")
            .await
            .body
            .contains("緊急の注意喚起は全て当日中に配信した。"),
        "a refused edit changes nothing"
    );

    // 千代田区's card: its own, 東京都's, the centre's; not 神奈川県's. Mailed on request.
    let mut member = Browser::new(&app.address);
    member.log_in("member@city.chiyoda.lg.jp", PW).await;
    let card = member.get("/stats/card?fy=2026").await;
    assert_eq!(card.status, StatusCode::OK);
    assert!(
        card.body
            .contains("<tr><th>注意喚起（訓練を除く）</th><td>2</td></tr>"),
        "{}",
        card.body
    );
    let mut pref = Browser::new(&app.address);
    pref.log_in("sec@metro.tokyo.lg.jp", PW).await;
    assert_eq!(
        pref.get("/stats/card?fy=2026&org=131016").await.status,
        StatusCode::OK
    );
    let mut kanagawa = Browser::new(&app.address);
    kanagawa.log_in("sec@pref.kanagawa.lg.jp", PW).await;
    assert_eq!(
        kanagawa.get("/stats/card?fy=2026&org=131016").await.status,
        StatusCode::NOT_FOUND
    );
    let before = app.smtp.received().len();
    let mailed = member
        .post(
            "/stats/card/mail",
            &[
                ("csrf", &card.hidden("csrf")),
                ("fy", "2026"),
                ("org", "131016"),
            ],
        )
        .await;
    assert_eq!(mailed.status, StatusCode::SEE_OTHER);
    crate::helpers::mail::send_notices(&app.ctx).await;
    let got = app.smtp.received();
    assert_eq!(got.len(), before + 1);
    assert_eq!(got.last().unwrap().rcpt_to, vec!["c0@131016.example.lg.jp"]);
    app.stop().await;
}
