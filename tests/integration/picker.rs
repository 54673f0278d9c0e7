//! The audience picker: a prefecture's staff and central operators choose who gets a drill by
//! name, see whom it reaches before anything is created, and an ambiguous name is refused with
//! its candidates. No JavaScript: plain form posts.

use noroshi::auth::Role;
use reqwest::StatusCode;

use crate::helpers::browser::Browser;
use crate::helpers::mail::{central_users, user};
use crate::helpers::spawn_app;

const PW: &str = "correct horse battery staple";

#[tokio::test]
async fn an_audience_is_chosen_by_name_and_checked_before_anything_is_made() {
    let app = spawn_app().await;
    central_users(&app.ctx).await;
    user(&app.ctx, "130001", Role::Member, "staff@metro.tokyo.lg.jp").await;

    // 東京都's staff: the picker opens on its own municipalities and offers no other prefecture.
    let mut tokyo = Browser::new(&app.address);
    tokyo.log_in("staff@metro.tokyo.lg.jp", PW).await;
    let form = tokyo.get("/drills/new").await;
    assert!(
        form.body.contains(r#"name="scope" value="pref" checked"#),
        "{}",
        form.body
    );
    assert!(
        form.body
            .contains(r#"<option value="13" selected>13 東京都</option>"#)
    );
    assert!(
        !form.body.contains("14 神奈川県"),
        "only its own prefecture"
    );
    assert!(form.body.contains(r#"<option value="munis" selected>"#));
    assert!(
        !form.body.contains(r#"value="all""#),
        "no nation-wide choice for a prefecture"
    );

    // Named by reading and by name; 府中市 is one within 東京都. The preview makes nothing.
    let csrf = form.hidden("csrf");
    let drafts_before =
        noroshi::alerts::store::list_by_status(&app.ctx.db, noroshi::alerts::AlertStatus::Draft)
            .await
            .unwrap()
            .len();
    let preview = tokyo
        .post(
            "/drills/new",
            &[
                ("csrf", csrf.as_str()),
                ("title", "訓練"),
                ("body", "確認です"),
                ("scope", "orgs"),
                ("orgs", "ちよだく\n府中市"),
                ("hours", "24"),
                ("preview", "1"),
            ],
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(
        preview
            .body
            .contains("宛先は 2 団体です（東京都千代田区、東京都府中市）。"),
        "{}",
        preview.body
    );
    assert!(
        preview.body.contains("ちよだく\n府中市"),
        "what was typed stays"
    );
    let drafts_after =
        noroshi::alerts::store::list_by_status(&app.ctx.db, noroshi::alerts::AlertStatus::Draft)
            .await
            .unwrap()
            .len();
    assert_eq!(drafts_before, drafts_after, "a preview creates nothing");

    // The centre: 府中市 alone is two organisations, and the refusal names both.
    let mut operator = Browser::new(&app.address);
    operator.log_in("operator@soumu.go.jp", PW).await;
    let csrf = operator.get("/drills/new").await.hidden("csrf");
    let drill = |fields: &'static [(&'static str, &'static str)]| {
        let mut form = vec![
            ("csrf", csrf.as_str()),
            ("body", "確認です"),
            ("hours", "24"),
        ];
        form.extend_from_slice(fields);
        form
    };
    let ambiguous = operator
        .post(
            "/drills/new",
            &drill(&[("title", "訓練"), ("scope", "orgs"), ("orgs", "府中市")]),
        )
        .await;
    assert_eq!(ambiguous.status, StatusCode::BAD_REQUEST);
    assert!(
        ambiguous.body.contains("東京都府中市（132063）")
            && ambiguous.body.contains("広島県府中市（342084）"),
        "{}",
        ambiguous.body
    );

    // 神奈川県 with its municipalities, chosen from the list: a drill draft for exactly them.
    let made = operator
        .post(
            "/drills/new",
            &drill(&[
                ("title", "神奈川県の訓練"),
                ("scope", "pref"),
                ("pref", "14"),
                ("reach", "with"),
            ]),
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let draft = operator.get(made.location.as_deref().unwrap()).await;
    assert!(draft.body.contains("神奈川県の訓練"));
    assert!(draft.body.contains("神奈川県"), "{}", draft.body);
    assert!(!draft.body.contains("東京都千代田区"), "{}", draft.body);
}
