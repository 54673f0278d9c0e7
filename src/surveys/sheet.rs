//! 調査の回答を Excel で: the answer sheet an addressed organisation downloads (its saved answers
//! filled in), fills in where its staff work — in Excel, passed round the office — and uploads;
//! and the results as a workbook for the centre and a prefecture.
//!
//! The answer sheet is one worksheet 「回答」: a header (survey, number, organisation, deadline,
//! the layout's name) and one row per item in the survey's order, with lists for the items that
//! take a choice. Everything but the answer cells is locked. An uploaded sheet is read back into
//! the same form fields the portal's answer form posts (`a_<item>`, `a_<item>_done`,
//! `a_<item>_required`), so [`super::definition::from_form`] and [`super::definition::check`]
//! judge an Excel answer exactly as they judge the form; a sheet whose layout was changed
//! (another survey's, rows moved, added or removed, the header row rewritten) is refused naming
//! the cell.

use std::collections::HashMap;
use std::io::Read;

use calamine::{Data, Reader};
use rust_xlsxwriter::{DataValidation, Format, FormatBorder, Workbook, Worksheet, XlsxError};

use super::definition::{Answer, Answers, ItemType, answer_label, choices};
use super::results::{Results, grades_line};
use super::score;
use super::store::Survey;
use crate::alerts::own::{Problem, problem};

/// The worksheet's name and the layout marker in B5; a sheet without both is not ours.
pub const SHEET: &str = "回答";
pub const LAYOUT: &str = "noroshi 調査回答様式 1";
/// Upload limits: the file, its parts once unpacked, and how many parts.
pub const MAX_UPLOAD: usize = 2 * 1024 * 1024;
const MAX_UNPACKED: u64 = 16 * 1024 * 1024;
const MAX_PARTS: usize = 200;

const HEADER_ROW: u32 = 6;
const FIRST_ITEM_ROW: u32 = 7;
const COLUMNS: [&str; 8] = [
    "項目ID",
    "分類",
    "設問",
    "回答方法",
    "回答",
    "実施している対象数",
    "実施すべき対象数",
    "補足説明",
];

fn how(kind: ItemType) -> &'static str {
    match kind {
        ItemType::YesNo => "はい / いいえ を選択",
        ItemType::Implementation => "実施 / 一部未実施 / 実施不足 / 該当なし を選択",
        ItemType::Count => "F列・G列に対象数を入力",
        ItemType::Date => "日付（例 2026-04-01）",
        ItemType::Number => "数値",
        ItemType::Text => "自由記述（任意）",
    }
}

/// The answer sheet for `org`, with the answers saved so far.
pub fn answer_sheet(
    s: &Survey,
    org_name: &str,
    deadline: &str,
    saved: &Answers,
) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(SHEET)?;
    let bold = Format::new().set_bold();
    let head = Format::new()
        .set_bold()
        .set_background_color("#E8F1FE")
        .set_border(FormatBorder::Thin)
        .set_text_wrap();
    let locked = Format::new().set_text_wrap().set_border(FormatBorder::Thin);
    let open = Format::new()
        .set_unlocked()
        .set_border(FormatBorder::Thin)
        .set_background_color("#FFFDE7")
        .set_text_wrap();
    for (row, (k, v)) in [
        ("調査名", s.title.clone()),
        ("調査番号", s.id.to_string()),
        ("団体", org_name.to_owned()),
        ("回答期限", deadline.to_owned()),
        ("様式", LAYOUT.to_owned()),
    ]
    .into_iter()
    .enumerate()
    {
        ws.write_string_with_format(row as u32, 0, k, &bold)?;
        ws.write_string(row as u32, 1, &v)?;
    }
    for (c, h) in COLUMNS.iter().enumerate() {
        ws.write_string_with_format(HEADER_ROW, c as u16, *h, &head)?;
    }
    for (w, c) in [12.0, 18.0, 56.0, 22.0, 16.0, 12.0, 12.0, 36.0]
        .into_iter()
        .zip(0u16..)
    {
        ws.set_column_width(c, w)?;
    }
    let mut row = FIRST_ITEM_ROW;
    for c in &s.definition.categories {
        for i in &c.items {
            ws.write_string_with_format(row, 0, &i.id, &locked)?;
            ws.write_string_with_format(row, 1, &c.title, &locked)?;
            ws.write_string_with_format(row, 2, &i.text, &locked)?;
            ws.write_string_with_format(row, 3, how(i.kind), &locked)?;
            ws.write_string_with_format(row, 7, &i.help, &locked)?;
            write_answer(ws, row, i.kind, saved.get(&i.id), &open, &locked)?;
            let list = choices(i.kind);
            if !list.is_empty() {
                let labels: Vec<&str> = list.iter().map(|(_, l)| *l).collect();
                let dv = DataValidation::new()
                    .allow_list_strings(&labels)?
                    .set_error_message("一覧から選んでください。")?;
                ws.add_data_validation(row, 4, row, 4, &dv)?;
            }
            row += 1;
        }
    }
    ws.set_freeze_panes(FIRST_ITEM_ROW, 0)?;
    ws.protect();
    wb.save_to_buffer()
}

fn write_answer(
    ws: &mut Worksheet,
    row: u32,
    kind: ItemType,
    a: Option<&Answer>,
    open: &Format,
    locked: &Format,
) -> Result<(), XlsxError> {
    if kind == ItemType::Count {
        ws.write_blank(row, 4, locked)?;
        match a {
            Some(Answer::Count { done, required }) => {
                ws.write_number_with_format(row, 5, f64::from(*done), open)?;
                ws.write_number_with_format(row, 6, f64::from(*required), open)?;
            }
            _ => {
                ws.write_blank(row, 5, open)?;
                ws.write_blank(row, 6, open)?;
            }
        }
        return Ok(());
    }
    ws.write_blank(row, 5, locked)?;
    ws.write_blank(row, 6, locked)?;
    match a {
        Some(Answer::Number(n)) => {
            ws.write_number_with_format(row, 4, *n as f64, open)?;
        }
        Some(t @ Answer::Text(_)) => {
            ws.write_string_with_format(row, 4, answer_label(kind, Some(t)), open)?;
        }
        _ => {
            ws.write_blank(row, 4, open)?;
        }
    }
    Ok(())
}

fn cell_name(row: u32, col: u32) -> String {
    format!("{}{}", (b'A' + col as u8) as char, row + 1)
}

/// A cell's text as the form would carry it: numbers without a trailing `.0`, dates as
/// `YYYY-MM-DD`, an error cell refused.
fn text(v: Option<&Data>, at: &str) -> Result<String, Problem> {
    Ok(match v {
        None | Some(Data::Empty) => String::new(),
        Some(Data::String(s)) => s.clone(),
        Some(Data::Int(n)) => n.to_string(),
        Some(Data::Float(f)) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Some(Data::Float(f)) => f.to_string(),
        Some(Data::Bool(b)) => if *b { "はい" } else { "いいえ" }.to_owned(),
        Some(Data::DateTime(d)) => {
            let day = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).and_then(|base| {
                base.checked_add_signed(chrono::Duration::days(d.as_f64() as i64))
            });
            day.map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default()
        }
        Some(Data::DateTimeIso(s)) => s.chars().take(10).collect(),
        Some(Data::DurationIso(s)) => s.clone(),
        Some(Data::Error(_)) => {
            return Err(problem(
                format!("{at}: セルがエラー値です。値を入力し直してください"),
                format!("{at}: the cell holds an error value; enter the answer again"),
            ));
        }
    })
}

/// Checks the upload is a small, sane zip before the spreadsheet reader unpacks it: a file of
/// a few kilobytes may claim gigabytes once unpacked.
fn check_package(bytes: &[u8]) -> Result<(), Problem> {
    let not_xlsx = || {
        problem(
            "Excel ファイル（.xlsx）として読めません。ダウンロードした回答様式に入力して保存したファイルを選んでください",
            "This is not an Excel (.xlsx) file; choose the answer sheet you downloaded, filled in and saved",
        )
    };
    if bytes.len() > MAX_UPLOAD {
        return Err(problem(
            format!(
                "ファイルが大きすぎます（{} KB、上限 {} KB）",
                bytes.len() / 1024,
                MAX_UPLOAD / 1024
            ),
            format!(
                "The file is too large ({} KB; at most {} KB)",
                bytes.len() / 1024,
                MAX_UPLOAD / 1024
            ),
        ));
    }
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|_| not_xlsx())?;
    if zip.len() > MAX_PARTS {
        return Err(not_xlsx());
    }
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).map_err(|_| not_xlsx())?;
        // The declared size may lie; count what actually comes out, and stop at the limit.
        let mut sink = [0u8; 16 * 1024];
        loop {
            let n = part.read(&mut sink).map_err(|_| not_xlsx())?;
            if n == 0 {
                break;
            }
            total += n as u64;
            if total > MAX_UNPACKED {
                return Err(problem(
                    "ファイルの中身が大きすぎます。回答様式以外のデータを削除してください",
                    "The file unpacks to too much data; remove everything but the answer sheet",
                ));
            }
        }
    }
    Ok(())
}

/// Reads an uploaded answer sheet of survey `s` into the portal form's fields. Every problem
/// names its cell; a changed layout is refused as a whole.
pub fn read_answer_sheet(
    s: &Survey,
    bytes: &[u8],
) -> Result<HashMap<String, String>, Vec<Problem>> {
    check_package(bytes).map_err(|p| vec![p])?;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes))
        .map_err(|_| {
            vec![problem(
                "Excel ファイル（.xlsx）として読めません",
                "This is not a readable Excel (.xlsx) file",
            )]
        })?;
    let range = wb.worksheet_range(SHEET).map_err(|_| {
        vec![problem(
            format!(
                "「{SHEET}」シートがありません。この調査の回答様式をダウンロードし直してください"
            ),
            format!(
                "There is no sheet named 「{SHEET}」; download this survey's answer sheet again"
            ),
        )]
    })?;
    let at = |r: u32, c: u32| range.get_value((r, c));
    let layout_changed = |what_ja: String, what_en: String| {
        vec![problem(
            format!(
                "回答様式が変更されています（{what_ja}）。この調査の回答様式をダウンロードし直してください"
            ),
            format!(
                "The answer sheet's layout was changed ({what_en}); download this survey's answer sheet again"
            ),
        )]
    };
    let b5 = text(at(4, 1), "B5").map_err(|p| vec![p])?;
    if b5.trim() != LAYOUT {
        return Err(layout_changed(
            "B5 の様式名".into(),
            "the layout name in B5".into(),
        ));
    }
    let b2 = text(at(1, 1), "B2").map_err(|p| vec![p])?;
    if b2.trim() != s.id.to_string() {
        return Err(vec![problem(
            format!(
                "別の調査（調査番号 {}）の回答様式です。この調査（調査番号 {}）の様式に入力してください",
                b2.trim(),
                s.id
            ),
            format!(
                "This is the answer sheet of another survey (number {}); use this survey's (number {})",
                b2.trim(),
                s.id
            ),
        )]);
    }
    for (c, h) in COLUMNS.iter().enumerate() {
        let got = text(at(HEADER_ROW, c as u32), "").unwrap_or_default();
        if got.trim() != *h {
            let cell = cell_name(HEADER_ROW, c as u32);
            return Err(layout_changed(
                format!("{cell} は「{h}」のはずです"),
                format!("{cell} should read 「{h}」"),
            ));
        }
    }
    let mut form = HashMap::new();
    let mut problems = Vec::new();
    let mut row = FIRST_ITEM_ROW;
    for item in s.definition.items() {
        let id_cell = cell_name(row, 0);
        let got = text(at(row, 0), &id_cell).unwrap_or_default();
        if got.trim() != item.id {
            return Err(layout_changed(
                format!("{id_cell} の項目IDは {} のはずです", item.id),
                format!("{id_cell} should hold item id {}", item.id),
            ));
        }
        let id = &item.id;
        if item.kind == ItemType::Count {
            for (col, suffix) in [(5, "done"), (6, "required")] {
                match text(at(row, col), &cell_name(row, col)) {
                    Ok(v) => {
                        form.insert(format!("a_{id}_{suffix}"), v);
                    }
                    Err(p) => problems.push(p),
                }
            }
        } else {
            let cell = cell_name(row, 4);
            match text(at(row, 4), &cell) {
                Ok(v) => {
                    let v = v.trim().to_owned();
                    let list = choices(item.kind);
                    let code = if list.is_empty() || v.is_empty() {
                        Some(v.clone())
                    } else {
                        list.iter()
                            .find(|(code, label)| *label == v || *code == v)
                            .map(|(code, _)| (*code).to_owned())
                    };
                    match code {
                        Some(c) => {
                            form.insert(format!("a_{id}"), c);
                        }
                        None => {
                            let labels: Vec<&str> = list.iter().map(|(_, l)| *l).collect();
                            problems.push(problem(
                                format!(
                                    "{cell}（{id}）: 「{v}」は選択肢（{}）にありません",
                                    labels.join(" / ")
                                ),
                                format!(
                                    "{cell} ({id}): 「{v}」 is not one of the choices ({})",
                                    list.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(" / ")
                                ),
                            ));
                        }
                    }
                }
                Err(p) => problems.push(p),
            }
        }
        row += 1;
    }
    // A row below the last item means rows were inserted or the survey changed.
    if !text(at(row, 0), "").unwrap_or_default().trim().is_empty() {
        return Err(layout_changed(
            format!("{} 以降に行が追加されています", cell_name(row, 0)),
            format!("rows were added from {}", cell_name(row, 0)),
        ));
    }
    if problems.is_empty() {
        Ok(form)
    } else {
        Err(problems)
    }
}

/// The results as a workbook: 「団体別」 (the CSV's table, numbers as numbers) and 「回答一覧」
/// (each organisation's answers item by item, as labels).
pub fn results_book(
    s: &Survey,
    r: &Results,
    answers: &std::collections::BTreeMap<crate::registry::OrgId, Answers>,
) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let head = Format::new()
        .set_bold()
        .set_background_color("#E8F1FE")
        .set_border(FormatBorder::Thin)
        .set_text_wrap();
    let pct = Format::new().set_num_format("0.0%");
    let ws = wb.add_worksheet();
    ws.set_name("団体別")?;
    let mut cols: Vec<String> = ["コード", "団体", "都道府県", "区分", "回答", "遅延"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    cols.extend(s.definition.categories.iter().map(|c| c.title.clone()));
    cols.extend(
        ["総合評価", "評価", "改善方針", "対応完了予定年度"]
            .iter()
            .map(|s| s.to_string()),
    );
    for (c, h) in cols.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &head)?;
    }
    for (i, l) in r.organisations.iter().enumerate() {
        let row = i as u32 + 1;
        ws.write_string(row, 0, l.org.code.to_string())?;
        ws.write_string(row, 1, l.org.full_name())?;
        ws.write_string(row, 2, l.org.prefecture.map_or("", |p| p.name()))?;
        ws.write_string(row, 3, l.org.class().label_ja())?;
        ws.write_string(row, 4, if l.answered { "回答済" } else { "未回答" })?;
        ws.write_string(row, 5, if l.late { "遅延" } else { "" })?;
        let mut c = 6u16;
        if let Some(sc) = &l.score {
            for (_, m) in &sc.categories {
                if let Some(m) = m {
                    ws.write_number_with_format(row, c, *m, &pct)?;
                }
                c += 1;
            }
            if let Some(o) = sc.overall {
                ws.write_number_with_format(row, c, o, &pct)?;
            }
            ws.write_string(row, c + 1, sc.grade().map_or("", |g| g.as_str()))?;
        } else {
            c += s.definition.categories.len() as u16;
        }
        ws.write_string(row, c + 2, l.plan.as_deref().unwrap_or(""))?;
        if let Some(y) = l.plan_fiscal_year {
            ws.write_number(row, c + 3, f64::from(y))?;
        }
    }
    ws.set_column_width(1, 24)?;
    ws.set_freeze_panes(1, 2)?;
    let last = r.organisations.len() as u32;
    ws.write_string(last + 2, 0, "評価の分布")?;
    ws.write_string(last + 2, 1, grades_line(&r.total))?;
    ws.write_string(last + 3, 0, "総合評価（全体）")?;
    ws.write_string(last + 3, 1, score::percent(r.total.score.overall))?;

    let ws = wb.add_worksheet();
    ws.set_name("回答一覧")?;
    ws.write_string_with_format(0, 0, "コード", &head)?;
    ws.write_string_with_format(0, 1, "団体", &head)?;
    let items: Vec<_> = s.definition.items().collect();
    for (c, i) in items.iter().enumerate() {
        ws.write_string_with_format(0, c as u16 + 2, format!("{} {}", i.id, i.text), &head)?;
    }
    for (n, l) in r.organisations.iter().filter(|l| l.answered).enumerate() {
        let row = n as u32 + 1;
        ws.write_string(row, 0, l.org.code.to_string())?;
        ws.write_string(row, 1, l.org.full_name())?;
        let Some(a) = answers.get(&l.org.id) else {
            continue;
        };
        for (c, i) in items.iter().enumerate() {
            let col = c as u16 + 2;
            match a.get(&i.id) {
                Some(Answer::Number(v)) => {
                    ws.write_number(row, col, *v as f64)?;
                }
                Some(x) => {
                    ws.write_string(row, col, answer_label(i.kind, Some(x)))?;
                }
                None => {}
            }
        }
    }
    ws.set_column_width(1, 24)?;
    ws.set_freeze_panes(1, 2)?;
    wb.save_to_buffer()
}
