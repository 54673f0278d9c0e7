//! Statistics across alerts: real alerts only (drills never count), per prefecture, for central
//! staff everywhere and for prefecture staff their own prefecture.

use noroshi::acks::{AckState, Channel};
use noroshi::audit::Actor;
use noroshi::auth::Role;
use noroshi::domain::ids::{AlertId, OrgId};
use reqwest::StatusCode;

use crate::helpers::browser::Browser;
use crate::helpers::mail::{Draft, central_users, publish_alert, tokyo, user};
use crate::helpers::spawn_app;

const PASSWORD: &str = "correct horse battery staple";

#[tokio::test]
async fn statistics_count_real_alerts_per_prefecture_and_never_drills() {
    let app = spawn_app().await;
    let db = &app.ctx.db;
    let central = central_users(&app.ctx).await;
    user(
        &app.ctx,
        "130001",
        Role::PrefectureAdmin,
        "sec@metro.tokyo.lg.jp",
    )
    .await;
    user(
        &app.ctx,
        "131016",
        Role::Member,
        "member@city.chiyoda.lg.jp",
    )
    .await;
    let orgs = tokyo(&app.ctx).await;
    // Two real alerts to Tokyo (63 each) and one to 横浜市; one drill to Tokyo.
    let (real1, _) = publish_alert(&app.ctx, &central, Draft::default()).await;
    let (real2, _) = publish_alert(&app.ctx, &central, Draft::default()).await;
    publish_alert(
        &app.ctx,
        &central,
        Draft {
            to: &["org:141003"],
            ..Draft::default()
        },
    )
    .await;
    let (drill, _) = publish_alert(
        &app.ctx,
        &central,
        Draft {
            drill: true,
            ..Draft::default()
        },
    )
    .await;
    let ack = |alert: AlertId, org: OrgId, state: AckState| async move {
        noroshi::acks::acknowledge(
            db,
            alert,
            org,
            state,
            None,
            &Actor::System,
            None,
            Channel::Portal,
        )
        .await
        .unwrap();
    };
    // Real: 63 known of 126 (30 done, 3 not applicable). Drill: everybody answers done.
    for o in orgs.iter().take(30) {
        ack(real1, o.id, AckState::Done).await;
    }
    for o in orgs.iter().take(30) {
        ack(real2, o.id, AckState::Received).await;
    }
    for o in orgs.iter().skip(30).take(3) {
        ack(real2, o.id, AckState::NotApplicable).await;
    }
    for o in &orgs {
        ack(drill, o.id, AckState::Done).await;
    }

    let mut operator = Browser::new(&app.address);
    operator.log_in("operator@soumu.go.jp", PASSWORD).await;
    let page = operator.get("/stats").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains("報告を求めた注意喚起 3 件を集計（訓練 1 件は含めていません）"),
        "{}",
        page.body
    );
    // 127 pairs (126 Tokyo + 横浜市): 63 known = 49.6 % (D); 実施率 (the seed's: of those that
    // reported and are concerned) 30 of 60 = 50.0 % (D); done of all concerned 30 of 124 = 24.2 %.
    assert!(
        page.body.contains(
            "延べ 127 団体 ・ 把握率 <strong>49.6%</strong> D ・ 実施率 <strong>50.0%</strong> D ・ 完了率（対象比） 24.2% D"
        ),
        "{}",
        page.body
    );
    assert!(page.body.contains("<td>東京都</td><td>126</td><td>63</td><td>30</td><td>0</td><td>30</td><td>3</td><td>50.0% D</td><td>50.0% D</td><td>24.4% D</td>"), "{}", page.body);
    assert!(page.body.contains("<td>神奈川県</td><td>1</td>"));

    let mut tokyo_staff = Browser::new(&app.address);
    tokyo_staff.log_in("sec@metro.tokyo.lg.jp", PASSWORD).await;
    let own = tokyo_staff.get("/stats?days=30").await;
    assert!(
        own.body.contains("<td>東京都</td><td>126</td>"),
        "{}",
        own.body
    );
    assert!(!own.body.contains("神奈川県"), "only its own prefecture");

    let mut member = Browser::new(&app.address);
    member.log_in("member@city.chiyoda.lg.jp", PASSWORD).await;
    assert_eq!(member.get("/stats").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        operator.get("/stats?days=0").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        operator.get("/stats?days=abc").await.status,
        StatusCode::BAD_REQUEST
    );
}
