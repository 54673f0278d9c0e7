//! 調査を Excel で: the answer sheet the product writes, filled in by openpyxl (a tool the product
//! does not use, as an officer's Excel would), uploaded back, gives the same answers as the
//! portal form; a sheet whose layout was changed, a wrong choice, another survey's sheet and a
//! file that is not a workbook are refused, naming what was wrong in the reader's language, and
//! change nothing; the results workbook reads in openpyxl.

use noroshi::auth::Role;
use noroshi::surveys::Definition;
use noroshi::surveys::store;
use reqwest::StatusCode;

use crate::access_matrix::publish_definition;
use crate::helpers::browser::Browser;
use crate::helpers::mail::{central_users, tokyo, user};
use crate::helpers::spawn_app;

const PW: &str = "correct horse battery staple";

/// Every kind of item, so every kind of cell goes round.
const SURVEY: &str = r#"
title = "Excel 往復の確認"
kind = "self_assessment"

[[category]]
id = "a"
title = "管理"

[[category.item]]
id = "servers"
text = "修正プログラムを適用したサーバ数"
type = "count"

[[category.item]]
id = "policy"
text = "手順を定めていますか"
type = "implementation"

[[category.item]]
id = "training"
text = "研修を行いましたか"
type = "yes_no"

[[category]]
id = "b"
title = "記録"

[[category.item]]
id = "checked_on"
text = "点検日"
type = "date"

[[category.item]]
id = "staff"
text = "担当職員数"
type = "number"

[[category.item]]
id = "remarks"
text = "特記事項"
type = "text"
"#;

/// Runs openpyxl on `input` with `script` (which sees `wb`, and `ws` = the 「回答」 sheet) and
/// returns the saved file.
fn openpyxl(input: &[u8], script: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let (src, out) = (dir.path().join("in.xlsx"), dir.path().join("out.xlsx"));
    std::fs::write(&src, input).unwrap();
    let program = format!(
        "import sys, datetime, openpyxl\nwb = openpyxl.load_workbook(sys.argv[1])\nws = wb['回答']\n{script}\nwb.save(sys.argv[2])\n"
    );
    let run = std::process::Command::new("python3")
        .arg("-c")
        .arg(program)
        .arg(&src)
        .arg(&out)
        .output()
        .expect("python3 runs");
    assert!(
        run.status.success(),
        "openpyxl: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    std::fs::read(out).unwrap()
}

/// The row of item `id` in the sheet, found the way a person would: by the ID column.
const FIND: &str = "def row(i):\n    return next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == i)\n";

#[tokio::test]
async fn an_answer_sheet_filled_in_by_another_tool_gives_the_forms_answers() {
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    let orgs = tokyo(&app.ctx).await;
    let chiyoda = orgs
        .iter()
        .find(|o| o.code.to_string() == "131016")
        .unwrap();
    let chuo = orgs
        .iter()
        .find(|o| o.code.to_string() == "131024")
        .unwrap();
    user(&app.ctx, "131016", Role::Member, "m@city.chiyoda.lg.jp").await;
    user(&app.ctx, "131024", Role::Member, "m@city.chuo.lg.jp").await;
    user(&app.ctx, "131032", Role::Member, "m@city.minato.lg.jp").await;
    let def = Definition::parse(SURVEY).unwrap();
    let id = publish_definition(&app, &central, def.clone(), &["org:131016", "org:131024"]).await;
    let other = publish_definition(&app, &central, def, &["org:131016"]).await;
    let path = format!("/surveys/{id}");

    // 中央区 answers in the portal form.
    let mut chuo_m = Browser::new(&app.address);
    chuo_m.log_in("m@city.chuo.lg.jp", PW).await;
    let csrf = chuo_m.get(&path).await.hidden("csrf");
    let form = chuo_m
        .post(
            &format!("{path}/answers"),
            &[
                ("csrf", &csrf),
                ("action", "save"),
                ("a_servers_done", "4"),
                ("a_servers_required", "5"),
                ("a_policy", "partial"),
                ("a_training", "yes"),
                ("a_checked_on", "2026-11-30"),
                ("a_staff", "12"),
                ("a_remarks", "委託先の点検は来月"),
            ],
        )
        .await;
    assert_eq!(form.status, StatusCode::SEE_OTHER, "{}", form.body);

    // 千代田区 downloads the sheet, fills it in with openpyxl, and uploads it.
    let mut m = Browser::new(&app.address);
    m.log_in("m@city.chiyoda.lg.jp", PW).await;
    let page = m.get(&path).await;
    assert!(
        page.body.contains(&format!("{path}/answers.xlsx")),
        "the page offers the sheet"
    );
    let csrf = page.hidden("csrf");
    let (status, kind, blank) = m.get_bytes(&format!("{path}/answers.xlsx")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.contains("spreadsheetml"), "{kind}");
    let filled = openpyxl(
        &blank,
        &format!(
            "{FIND}assert '千代田区' in ws['B3'].value, ws['B3'].value\n\
             ws.cell(row('servers'), 6).value = 4\nws.cell(row('servers'), 7).value = 5\n\
             ws.cell(row('policy'), 5).value = '一部未実施'\n\
             ws.cell(row('training'), 5).value = 'はい'\n\
             ws.cell(row('checked_on'), 5).value = datetime.date(2026, 11, 30)\n\
             ws.cell(row('staff'), 5).value = 12\n\
             ws.cell(row('remarks'), 5).value = '委託先の点検は来月'\n"
        ),
    );
    let up = m
        .post_file(
            &format!("{path}/answers.xlsx"),
            &[("csrf", &csrf)],
            "sheet",
            "回答.xlsx",
            filled.clone(),
        )
        .await;
    assert_eq!(up.status, StatusCode::SEE_OTHER, "{}", up.body);
    let by_sheet = store::answer(&app.ctx.db, id, chiyoda.id)
        .await
        .unwrap()
        .unwrap();
    let by_form = store::answer(&app.ctx.db, id, chuo.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        by_sheet.answers, by_form.answers,
        "the same answers either way"
    );
    assert!(
        !by_sheet.submitted,
        "an upload is a draft until submitted on the page"
    );
    let shown = m.get(&format!("{path}?uploaded=1")).await;
    assert!(
        shown.body.contains("読み込み、保存しました"),
        "{}",
        shown.body
    );

    // The sheet downloaded again carries the saved answers.
    let (_, _, again) = m.get_bytes(&format!("{path}/answers.xlsx")).await;
    let read_back = openpyxl(
        &again,
        &format!(
            "{FIND}assert ws.cell(row('policy'), 5).value == '一部未実施'\n\
             assert ws.cell(row('servers'), 6).value == 4\n\
             assert ws.protection.sheet\n"
        ),
    );
    assert!(!read_back.is_empty());

    // Refusals name what was wrong and change nothing.
    let before = by_sheet.answers.clone();
    let refused = |body: &str, want: &str| {
        assert!(body.contains(want), "wanted 「{want}」 in {body}");
    };
    let wrong_choice = openpyxl(
        &filled,
        &format!("{FIND}ws.cell(row('policy'), 5).value = 'たぶん'\n"),
    );
    let r = m
        .post_file(
            &format!("{path}/answers.xlsx"),
            &[("csrf", &csrf)],
            "sheet",
            "a.xlsx",
            wrong_choice,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    refused(&r.body, "「たぶん」は選択肢");
    let moved = openpyxl(&filled, "ws.insert_rows(9)\n");
    let r = m
        .post_file(
            &format!("{path}/answers.xlsx"),
            &[("csrf", &csrf)],
            "sheet",
            "a.xlsx",
            moved,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    refused(&r.body, "回答様式が変更されています");
    let (_, _, others) = m.get_bytes(&format!("/surveys/{other}/answers.xlsx")).await;
    let r = m
        .post_file(
            &format!("{path}/answers.xlsx"),
            &[("csrf", &csrf)],
            "sheet",
            "a.xlsx",
            others,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    refused(&r.body, "別の調査");
    let r = m
        .post_file(
            &format!("{path}/answers.xlsx"),
            &[("csrf", &csrf)],
            "sheet",
            "a.xlsx",
            b"code,answer\n".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    refused(&r.body, "Excel ファイル（.xlsx）として読めません");
    let r = m
        .post_file(
            &format!("{path}/answers.xlsx"),
            &[("csrf", &csrf)],
            "sheet",
            "a.xlsx",
            vec![b'x'; 3 * 1024 * 1024],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    refused(&r.body, "ファイルが大きすぎます");
    let r = m
        .post_file(
            &format!("{path}/answers.xlsx"),
            &[("csrf", "forged")],
            "sheet",
            "a.xlsx",
            filled.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // In English for a reader who chose English, with no Japanese-only message.
    m.cookies.insert("noroshi_lang".into(), "en".into());
    let wrong_choice = openpyxl(
        &filled,
        &format!("{FIND}ws.cell(row('training'), 5).value = 'maybe'\n"),
    );
    let r = m
        .post_file(
            &format!("{path}/answers.xlsx"),
            &[("csrf", &csrf)],
            "sheet",
            "a.xlsx",
            wrong_choice,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    refused(&r.body, "is not one of the choices (yes / no)");
    assert!(!r.body.contains("選択肢"), "{}", r.body);
    let after = store::answer(&app.ctx.db, id, chiyoda.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        after.answers, before,
        "no refused upload changed the answers"
    );

    // An organisation not addressed gets no sheet.
    let mut minato = Browser::new(&app.address);
    minato.log_in("m@city.minato.lg.jp", PW).await;
    let (status, _, _) = minato.get_bytes(&format!("{path}/answers.xlsx")).await;
    assert!(
        matches!(status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
        "{status}"
    );

    // The results workbook: each organisation's answers by item, read by openpyxl.
    let mut operator = Browser::new(&app.address);
    operator.log_in("operator@soumu.go.jp", PW).await;
    for (org, who) in [(&mut m, "m"), (&mut chuo_m, "c")] {
        org.cookies.remove("noroshi_lang");
        let page = org.get(&path).await;
        let csrf = page.hidden("csrf");
        let done = org
            .post(
                &format!("{path}/answers"),
                &[
                    ("csrf", &csrf),
                    ("action", "submit"),
                    ("a_servers_done", "4"),
                    ("a_servers_required", "5"),
                    ("a_policy", "partial"),
                    ("a_training", "yes"),
                    ("a_checked_on", "2026-11-30"),
                    ("a_staff", "12"),
                ],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{who}: {}", done.body);
    }
    let (status, _, book) = operator.get_bytes(&format!("{path}/results.xlsx")).await;
    assert_eq!(status, StatusCode::OK);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.xlsx");
    std::fs::write(&file, &book).unwrap();
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import sys, openpyxl\nwb = openpyxl.load_workbook(sys.argv[1])\n\
             t = wb['団体別']\nrows = [[c.value for c in r] for r in t.iter_rows(min_row=2)]\n\
             names = [r[1] for r in rows if r[4] == '回答済']\nprint(sorted(names))\n\
             a = wb['回答一覧']\nprint([[c.value for c in r][2:5] for r in a.iter_rows(min_row=2)])\n",
        )
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("千代田区") && text.contains("中央区"),
        "{text}"
    );
    assert!(text.contains("['4 / 5', '一部未実施', 'はい']"), "{text}");
}
