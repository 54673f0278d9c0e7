//! Every word a user reads is in their language: bad input to the prefecture's own 注意喚起 form,
//! its drill form and to the 第1報 form is refused with messages that name each field by its label — Japanese
//! in a Japanese page (no field ids, no English hints), English in an English page (no
//! Japanese). The returned-mail page names kinds and outcomes in words, not stored codes.

use noroshi::auth::Role;
use reqwest::StatusCode;

use crate::helpers::browser::{Browser, Page};
use crate::helpers::mail::{central_users, user};
use crate::helpers::spawn_app;

const PW: &str = "correct horse battery staple";

/// The error block of a refused form.
fn errors(page: &Page) -> String {
    let start = page
        .body
        .find("class=\"error\"")
        .unwrap_or_else(|| panic!("no error block: {}", page.body));
    let rest = &page.body[start..];
    let end = rest.find("</ul>").or_else(|| rest.find("</p>")).unwrap();
    rest[..end].to_owned()
}

fn has_japanese(s: &str) -> bool {
    s.chars()
        .any(|c| matches!(c, '\u{3041}'..='\u{30FA}' | '\u{4E00}'..='\u{9FFF}'))
}

fn assert_japanese_only(block: &str, ids: &[&str]) {
    for id in ids {
        assert!(
            !block.contains(&format!("{id}:")),
            "field id {id} in {block}"
        );
    }
    for english in ["required", "characters", "choose", "(", " is not "] {
        assert!(!block.contains(english), "English `{english}` in {block}");
    }
}

#[tokio::test]
async fn refused_forms_speak_the_readers_language_and_name_fields_by_their_labels() {
    let app = spawn_app().await;
    central_users(&app.ctx).await;
    user(&app.ctx, "130001", Role::Member, "staff@metro.tokyo.lg.jp").await;
    user(
        &app.ctx,
        "131016",
        Role::Member,
        "member@city.chiyoda.lg.jp",
    )
    .await;
    let bad_alert = |csrf: String| {
        vec![
            ("csrf", csrf),
            ("title", String::new()),
            ("body", String::new()),
            ("severity", "urgent".to_owned()),
            ("tlp", "PINK".to_owned()),
            ("to", "everyone".to_owned()),
            ("hours", "0".to_owned()),
        ]
    };

    // 東京都's staff, in Japanese, then in English.
    let mut staff = Browser::new(&app.address);
    staff.log_in("staff@metro.tokyo.lg.jp", PW).await;
    for english in [false, true] {
        if english {
            staff.get("/preferences/lang?lang=en&next=%2F").await;
        }
        let csrf = staff.get("/alerts/new").await.hidden("csrf");
        let form = bad_alert(csrf);
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = staff.post("/alerts/new", &form).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST);
        let block = errors(&page);
        if english {
            assert!(
                !has_japanese(&block),
                "Japanese in an English page: {block}"
            );
            for label in ["Title:", "Body:", "Severity:", "TLP:", "Audience:", "Hours"] {
                assert!(block.contains(label), "{label} in {block}");
            }
        } else {
            assert_japanese_only(&block, &["title", "body", "severity", "tlp", "to", "hours"]);
            for label in [
                "件名:",
                "本文:",
                "深刻度:",
                "TLP:",
                "宛先:",
                "報告期限（時間）:",
            ] {
                assert!(block.contains(label), "{label} in {block}");
            }
        }
    }

    // A drill with a bad audience and no title, as 東京都's staff (now in English, then back).
    for english in [true, false] {
        let lang = if english { "en" } else { "ja" };
        staff
            .get(&format!("/preferences/lang?lang={lang}&next=%2F"))
            .await;
        let csrf = staff.get("/drills/new").await.hidden("csrf");
        let page = staff
            .post(
                "/drills/new",
                &[
                    ("csrf", csrf.as_str()),
                    ("title", ""),
                    ("body", "確認です"),
                    ("to", "muni:13"),
                    ("hours", "24"),
                    ("starts", ""),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST);
        let block = errors(&page);
        if english {
            assert!(
                !has_japanese(&block),
                "Japanese in an English page: {block}"
            );
        } else {
            assert!(block.contains("件名: 1〜200 文字"), "{block}");
            assert_japanese_only(&block, &["title"]);
        }
    }

    // 千代田区's member files an empty 第1報, in Japanese, then in English.
    let mut member = Browser::new(&app.address);
    member.log_in("member@city.chiyoda.lg.jp", PW).await;
    for english in [false, true] {
        if english {
            member.get("/preferences/lang?lang=en&next=%2F").await;
        }
        let form = member.get("/reports/new").await;
        assert!(
            form.body.contains("name=\"found_at\" value=\"\""),
            "発見日時 starts empty"
        );
        let csrf = form.hidden("csrf");
        let page = member
            .post(
                "/reports/new",
                &[("csrf", csrf.as_str()), ("title", ""), ("records", "many")],
            )
            .await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST);
        let block = errors(&page);
        if english {
            assert!(
                !has_japanese(&block),
                "Japanese in an English page: {block}"
            );
            assert!(block.contains("Title: required"), "{block}");
            assert!(
                block.contains("Personal data: choose yes, no or unknown"),
                "{block}"
            );
        } else {
            assert_japanese_only(
                &block,
                &[
                    "title",
                    "summary",
                    "found_at",
                    "personal_data",
                    "leaked",
                    "records",
                ],
            );
            assert!(block.contains("件名: 入力してください"), "{block}");
            assert!(
                block.contains("件数（個人情報）: 数字で入力してください"),
                "{block}"
            );
        }
        // The 「今」 button fills 発見日時 and keeps what was typed.
        let csrf = member.get("/reports/new").await.hidden("csrf");
        let now = member
            .post(
                "/reports/new",
                &[
                    ("csrf", csrf.as_str()),
                    ("title", "入力途中"),
                    ("fill_now", "1"),
                ],
            )
            .await;
        assert_eq!(now.status, StatusCode::OK);
        assert!(now.body.contains("value=\"入力途中\""));
        assert!(!now.body.contains("name=\"found_at\" value=\"\""));
    }
    app.stop().await;
}
