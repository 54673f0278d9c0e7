//! Counts of reports by 年度 (April–March, JST, by when the incident was found): by category,
//! cause, kind of organisation and prefecture, with how many involved personal data, leaked,
//! came late or are overdue. Central staff count the nation; a prefecture its own reports and
//! its municipalities' (those it may see).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use super::access::Caller;
use super::store::{self, ListFilter};
use super::{Status, Tri};
use crate::classify::model::Category;
use crate::config::reports::ReportSettings;

/// One row of a table: the id, its Japanese label, the count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub id: String,
    pub label: String,
    pub count: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub fiscal_year: i32,
    pub total: u64,
    pub open: u64,
    pub closed: u64,
    pub personal_data: u64,
    pub leaked: u64,
    pub first_late: u64,
    pub overdue: u64,
    /// 再発防止状況 (`004:507`): reports whose 再発防止策 the desk approved, those whose
    /// carrying-out it has checked since, and those whose follow-up date passed unchecked.
    pub prevention_approved: u64,
    pub prevention_checked: u64,
    pub prevention_overdue: u64,
    /// A report counts once under each of its categories (and causes); uncategorised reports
    /// count under 未分類.
    pub by_category: Vec<Row>,
    pub by_cause: Vec<Row>,
    pub by_org_kind: Vec<Row>,
    pub by_prefecture: Vec<Row>,
    /// The reports that reached their 最終報, one by one, by when they were found: what the
    /// seeds' 年度報告 lists incident by incident with its 再発防止状況.
    pub incidents: Vec<Incident>,
}

/// One incident of the year, as the 年度報告 lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incident {
    pub title: String,
    pub organisation: String,
    pub found_at: DateTime<Utc>,
    pub categories: Vec<&'static str>,
    pub personal_data: bool,
    /// 再発防止状況: `確認済`, `承認済（実施の確認待ち）`, `確認期限超過` or `未承認`.
    pub prevention: &'static str,
}

fn rows(map: BTreeMap<String, (String, u64)>) -> Vec<Row> {
    let mut out: Vec<Row> = map
        .into_iter()
        .map(|(id, (label, count))| Row { id, label, count })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.id.cmp(&b.id)));
    out
}

fn bump(map: &mut BTreeMap<String, (String, u64)>, id: &str, label: &str) {
    map.entry(id.to_owned())
        .or_insert_with(|| (label.to_owned(), 0))
        .1 += 1;
}

pub async fn build(
    db: &impl ConnectionTrait,
    reader: &Caller,
    fiscal_year: i32,
    policy: &ReportSettings,
    now: DateTime<Utc>,
) -> anyhow::Result<Stats> {
    let reports = store::list(
        db,
        reader,
        ListFilter {
            fiscal_year: Some(fiscal_year),
            ..Default::default()
        },
    )
    .await?;
    let latest = store::latest(db, &reports).await?;
    let ids: Vec<_> = reports.iter().map(|r| r.id).collect();
    let steps = store::steps_of(db, &ids).await?;
    let mut s = Stats {
        fiscal_year,
        ..Default::default()
    };
    let (mut cat, mut cause, mut kind, mut pref) = Default::default();
    let mut orgs = std::collections::HashMap::new();
    for r in &reports {
        let Some(u) = latest.get(&r.id) else { continue };
        if !orgs.contains_key(&r.org_id)
            && let Some(o) = crate::registry::store::find_by_id(db, r.org_id).await?
        {
            orgs.insert(r.org_id, o);
        }
        s.total += 1;
        match r.status {
            Status::Open => s.open += 1,
            Status::Final | Status::Closed => s.closed += 1,
        }
        s.personal_data += u64::from(u.fields.personal_data == Tri::Yes);
        s.leaked += u64::from(u.fields.leaked == Tri::Yes);
        let t = super::timers::of(r, policy, now);
        s.first_late += u64::from(t.first_late);
        s.overdue += u64::from(t.overdue);
        let own = steps.get(&r.id).map(Vec::as_slice).unwrap_or_default();
        let mut prevention = "未承認";
        if own
            .iter()
            .any(|x| x.kind == super::steps::StepKind::PreventionApproved)
        {
            s.prevention_approved += 1;
            match super::waiting::follow_up_due(own) {
                None => {
                    s.prevention_checked += 1;
                    prevention = "確認済";
                }
                Some(due) if due < now => {
                    s.prevention_overdue += 1;
                    prevention = "確認期限超過";
                }
                Some(_) => prevention = "承認済（実施の確認待ち）",
            }
        }
        if matches!(r.status, Status::Final | Status::Closed) {
            s.incidents.push(Incident {
                title: u.fields.title.clone(),
                organisation: orgs
                    .get(&r.org_id)
                    .map(|o| o.full_name())
                    .unwrap_or_default(),
                found_at: u.fields.found_at,
                categories: u
                    .fields
                    .categories
                    .iter()
                    .filter_map(|c| Category::parse(c).ok().map(|c| c.label_ja()))
                    .collect(),
                personal_data: u.fields.personal_data == Tri::Yes,
                prevention,
            });
        }
        if u.fields.categories.is_empty() {
            bump(&mut cat, "none", "未分類");
        }
        for c in &u.fields.categories {
            let label = Category::parse(c).map(|c| c.label_ja()).unwrap_or("—");
            bump(&mut cat, c, label);
        }
        if u.fields.causes.is_empty() {
            bump(&mut cause, "none", "未分類");
        }
        for c in &u.fields.causes {
            bump(&mut cause, c, crate::cases::CAUSES.label(c).unwrap_or("—"));
        }
        if let Some(o) = orgs.get(&r.org_id) {
            bump(&mut kind, o.kind.as_str(), o.kind.label_ja());
            match o.prefecture {
                Some(p) => bump(&mut pref, &format!("{:02}", p.number()), p.name()),
                None => bump(&mut pref, "00", "（国の機関）"),
            }
        }
    }
    s.incidents.sort_by_key(|i| i.found_at);
    s.by_category = rows(cat);
    s.by_cause = rows(cause);
    s.by_org_kind = rows(kind);
    // Prefectures in their code order (北海道 first), not by count.
    s.by_prefecture = pref
        .into_iter()
        .map(|(id, (label, count))| Row { id, label, count })
        .collect();
    Ok(s)
}

/// The tables as CSV for Excel (BOM, CRLF): one row per table entry.
pub fn csv(s: &Stats) -> String {
    use crate::domain::text::csv_cell;
    let mut out = String::from("\u{feff}年度,表,コード,区分,件数\r\n");
    let fy = format!("{}年度", s.fiscal_year);
    let mut line = |table: &str, id: &str, label: &str, n: u64| {
        out.push_str(&format!(
            "{},{},{},{},{n}\r\n",
            csv_cell(&fy),
            csv_cell(table),
            csv_cell(id),
            csv_cell(label)
        ));
    };
    line("合計", "total", "報告", s.total);
    line("合計", "open", "対応中", s.open);
    line("合計", "closed", "完了", s.closed);
    line("合計", "personal_data", "個人情報あり", s.personal_data);
    line("合計", "leaked", "外部への漏えいあり", s.leaked);
    line("合計", "first_late", "第1報の遅れ", s.first_late);
    line("合計", "overdue", "次の報の期限超過", s.overdue);
    line(
        "再発防止状況",
        "prevention_approved",
        "再発防止策の承認",
        s.prevention_approved,
    );
    line(
        "再発防止状況",
        "prevention_checked",
        "実施状況を確認済み",
        s.prevention_checked,
    );
    line(
        "再発防止状況",
        "prevention_overdue",
        "確認日を過ぎて未確認",
        s.prevention_overdue,
    );
    for (table, rows) in [
        ("分類", &s.by_category),
        ("原因", &s.by_cause),
        ("団体区分", &s.by_org_kind),
        ("都道府県", &s.by_prefecture),
    ] {
        for r in rows {
            line(table, &r.id, &r.label, r.count);
        }
    }
    out
}
