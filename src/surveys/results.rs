//! The results of a survey as the centre and a prefecture see them — addressed, answered,
//! 把握率, the seed's scores for the whole, by prefecture and by 区分, the distribution of the
//! organisations' grades, the first round beside the second, who has not answered — "as of" any
//! time; and one organisation's own 評価結果 with the distributions of its prefecture and the
//! nation, which name nobody.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use super::definition::Answers;
use super::score::{self, Score};
use super::store::{self, Survey};
use crate::domain::grade::{Grade, Rate};
use crate::registry::{OrgClass, OrgId, Organisation, Prefecture};

/// Whose organisations a reader sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    All,
    Prefecture(Prefecture),
}

impl Scope {
    fn holds(self, o: &Organisation) -> bool {
        match self {
            Self::All => true,
            Self::Prefecture(p) => o.prefecture == Some(p),
        }
    }
}

/// A group of addressed organisations and its score.
#[derive(Clone, Debug)]
pub struct Group {
    pub id: String,
    pub label: String,
    pub addressed: u64,
    pub answered: u64,
    pub score: Score,
    /// Organisations by grade: A, B, C, D.
    pub grades: [u64; 4],
}

impl Group {
    /// 把握率: answered ÷ addressed.
    pub fn coverage(&self) -> Rate {
        Rate {
            numerator: self.answered,
            denominator: self.addressed,
        }
    }
}

/// One organisation in the table (central staff: all; a prefecture: its own).
#[derive(Clone, Debug)]
pub struct OrgLine {
    pub org: Organisation,
    pub answered: bool,
    pub late: bool,
    /// Sent back (差し戻し) and not submitted since.
    pub returned: bool,
    pub score: Option<Score>,
    pub plan: Option<String>,
    pub plan_fiscal_year: Option<i32>,
}

#[derive(Clone, Debug)]
pub struct Results {
    pub as_of: DateTime<Utc>,
    pub total: Group,
    pub by_prefecture: Vec<Group>,
    pub by_class: Vec<Group>,
    pub organisations: Vec<OrgLine>,
    /// The first round, when this survey is the second: its total over the same scope.
    pub previous: Option<(Survey, Group)>,
    /// Item by item over the answers in scope: 実施率 and how the organisations answered.
    pub items: Vec<super::items::ItemLine>,
}

fn grade_index(g: Grade) -> usize {
    match g {
        Grade::A => 0,
        Grade::B => 1,
        Grade::C => 2,
        Grade::D => 3,
    }
}

fn group(
    survey: &Survey,
    id: String,
    label: String,
    members: &[(&Organisation, Option<&Answers>)],
) -> Group {
    let answered: Vec<&Answers> = members.iter().filter_map(|(_, a)| *a).collect();
    let mut grades = [0; 4];
    for a in &answered {
        if let Some(g) = score::score(&survey.definition, a).grade() {
            grades[grade_index(g)] += 1;
        }
    }
    Group {
        id,
        label,
        addressed: members.len() as u64,
        answered: answered.len() as u64,
        score: score::aggregate(&survey.definition, answered.iter().copied()),
        grades,
    }
}

/// Submitted answers by organisation: current ones, or as they stood at `as_of`.
pub async fn submitted(
    db: &impl ConnectionTrait,
    survey: &Survey,
    as_of: Option<DateTime<Utc>>,
) -> anyhow::Result<BTreeMap<OrgId, Answers>> {
    Ok(match as_of {
        Some(t) => store::answers_as_of(db, survey.id, t)
            .await?
            .into_iter()
            .collect(),
        None => store::answers(db, survey.id)
            .await?
            .into_iter()
            .filter(|a| a.submitted)
            .map(|a| (a.org, a.answers))
            .collect(),
    })
}

async fn totals(
    db: &impl ConnectionTrait,
    survey: &Survey,
    scope: Scope,
    orgs: &BTreeMap<OrgId, Organisation>,
    as_of: Option<DateTime<Utc>>,
) -> anyhow::Result<(Vec<Organisation>, BTreeMap<OrgId, Answers>)> {
    let targets: Vec<Organisation> = store::targets(db, survey.id)
        .await?
        .into_iter()
        .filter_map(|id| orgs.get(&id).cloned())
        .filter(|o| scope.holds(o))
        .collect();
    Ok((targets, submitted(db, survey, as_of).await?))
}

pub async fn build(
    db: &impl ConnectionTrait,
    survey: &Survey,
    scope: Scope,
    as_of: Option<DateTime<Utc>>,
) -> anyhow::Result<Results> {
    let orgs: BTreeMap<OrgId, Organisation> = crate::registry::store::list(db, Default::default())
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let (targets, answers) = totals(db, survey, scope, &orgs, as_of).await?;
    let members: Vec<(&Organisation, Option<&Answers>)> =
        targets.iter().map(|o| (o, answers.get(&o.id))).collect();
    let total = group(survey, "total".into(), "合計".into(), &members);
    let items = super::items::lines(&survey.definition, members.iter().filter_map(|(_, a)| *a));
    let mut by_pref: BTreeMap<u8, Vec<(&Organisation, Option<&Answers>)>> = BTreeMap::new();
    let mut by_class: BTreeMap<OrgClass, Vec<(&Organisation, Option<&Answers>)>> = BTreeMap::new();
    for m in &members {
        by_pref
            .entry(m.0.prefecture.map_or(0, |p| p.number()))
            .or_default()
            .push(*m);
        by_class.entry(m.0.class()).or_default().push(*m);
    }
    let by_prefecture = by_pref
        .into_iter()
        .map(|(n, ms)| {
            let label = Prefecture::from_number(n)
                .map_or("（国の機関）".to_owned(), |p| p.name().to_owned());
            group(survey, format!("{n:02}"), label, &ms)
        })
        .collect();
    let by_class = by_class
        .into_iter()
        .map(|(c, ms)| group(survey, c.as_str().into(), c.label_ja().into(), &ms))
        .collect();
    let current = store::answers(db, survey.id).await?;
    let organisations = targets
        .iter()
        .map(|o| {
            let row = current.iter().find(|a| a.org == o.id);
            let a = answers.get(&o.id);
            OrgLine {
                org: o.clone(),
                answered: a.is_some(),
                late: row.is_some_and(|r| r.late),
                returned: row.is_some_and(|r| r.returned()),
                score: a.map(|a| score::score(&survey.definition, a)),
                plan: row.and_then(|r| r.plan.clone()),
                plan_fiscal_year: row.and_then(|r| r.plan_fiscal_year),
            }
        })
        .collect();
    let previous = match survey.previous {
        Some(p) => match store::get(db, p).await? {
            Some(prev) => {
                let (t, a) = totals(db, &prev, scope, &orgs, None).await?;
                let ms: Vec<_> = t.iter().map(|o| (o, a.get(&o.id))).collect();
                let g = group(&prev, "previous".into(), prev.title.clone(), &ms);
                Some((prev, g))
            }
            None => None,
        },
        None => None,
    };
    Ok(Results {
        as_of: as_of.unwrap_or_else(Utc::now),
        total,
        by_prefecture,
        by_class,
        organisations,
        previous,
        items,
    })
}

/// One organisation's 評価結果: its own score beside how its prefecture and the nation are
/// spread, without any other organisation's name.
#[derive(Clone, Debug)]
pub struct Own {
    pub score: Option<Score>,
    pub answered: bool,
    pub late: bool,
    pub prefecture: Option<Group>,
    pub nation: Group,
    pub plan: Option<String>,
    pub plan_fiscal_year: Option<i32>,
    /// Its overall score in the previous round.
    pub previous: Option<Score>,
}

pub async fn own(
    db: &impl ConnectionTrait,
    survey: &Survey,
    org: &Organisation,
) -> anyhow::Result<Own> {
    let orgs: BTreeMap<OrgId, Organisation> = crate::registry::store::list(db, Default::default())
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let (targets, answers) = totals(db, survey, Scope::All, &orgs, None).await?;
    let all: Vec<_> = targets.iter().map(|o| (o, answers.get(&o.id))).collect();
    let nation = group(survey, "nation".into(), "全国".into(), &all);
    let prefecture = org.prefecture.map(|p| {
        let ms: Vec<_> = all
            .iter()
            .filter(|(o, _)| o.prefecture == Some(p))
            .copied()
            .collect();
        group(survey, format!("{:02}", p.number()), p.name().into(), &ms)
    });
    let row = store::answer(db, survey.id, org.id).await?;
    let mine = answers.get(&org.id);
    let previous = match survey.previous {
        Some(p) => match (
            store::get(db, p).await?,
            store::answer(db, p, org.id).await?,
        ) {
            (Some(prev), Some(a)) if a.submitted => {
                Some(score::score(&prev.definition, &a.answers))
            }
            _ => None,
        },
        None => None,
    };
    Ok(Own {
        score: mine.map(|a| score::score(&survey.definition, a)),
        answered: mine.is_some(),
        late: row.as_ref().is_some_and(|r| r.late),
        prefecture,
        nation,
        plan: row.as_ref().and_then(|r| r.plan.clone()),
        plan_fiscal_year: row.as_ref().and_then(|r| r.plan_fiscal_year),
        previous,
    })
}

/// The organisations' grades as a bar chart (A–D), one group of bars per row given.
pub fn chart_svg(rows: &[(&str, [u64; 4])]) -> String {
    let colours = ["#1b7f3b", "#5a9e2f", "#d9a400", "#c0392b"];
    let width = 560;
    let row_h = 28;
    let height = 30 + row_h * rows.len() as i64;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"grades\">"
    );
    for (i, l) in ["A", "B", "C", "D"].iter().enumerate() {
        out.push_str(&format!(
            "<rect x=\"{}\" y=\"4\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{}\" y=\"15\" font-size=\"12\">{l}</text>",
            160 + i * 50,
            colours[i],
            176 + i * 50
        ));
    }
    for (r, (label, counts)) in rows.iter().enumerate() {
        let y = 26 + r as i64 * row_h;
        let total: u64 = counts.iter().sum();
        out.push_str(&format!(
            "<text x=\"0\" y=\"{}\" font-size=\"12\">{}</text>",
            y + 16,
            crate::domain::text::escape_html(label)
        ));
        let mut x = 150.0;
        for (i, n) in counts.iter().enumerate() {
            if total == 0 || *n == 0 {
                continue;
            }
            let w = 380.0 * *n as f64 / total as f64;
            out.push_str(&format!(
                "<rect x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"20\" fill=\"{}\"><title>{} {n}</title></rect>",
                colours[i],
                ["A", "B", "C", "D"][i]
            ));
            x += w;
        }
        out.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" font-size=\"11\">{total}</text>",
            536,
            y + 15
        ));
    }
    out.push_str("</svg>");
    out
}

/// The table as CSV for Excel (BOM, CRLF): one row per organisation the reader sees.
pub fn csv(survey: &Survey, r: &Results) -> String {
    use crate::domain::text::csv_cell;
    let mut out = String::from("\u{feff}コード,団体,都道府県,区分,回答,遅延");
    for c in &survey.definition.categories {
        out.push_str(&format!(",{}", csv_cell(&c.title)));
    }
    out.push_str(",総合評価,評価,100%到達,95%到達,90%到達,改善方針,対応完了予定年度\r\n");
    for l in &r.organisations {
        out.push_str(&format!(
            "{},{},{},{},{},{}",
            l.org.code,
            csv_cell(&l.org.full_name()),
            csv_cell(l.org.prefecture.map_or("", |p| p.name())),
            l.org.class().label_ja(),
            if l.answered { "回答済" } else { "未回答" },
            if l.late { "遅延" } else { "" },
        ));
        match &l.score {
            Some(s) => {
                for (_, m) in &s.categories {
                    out.push_str(&format!(",{}", score::percent(*m)));
                }
                out.push_str(&format!(
                    ",{},{},{},{},{}",
                    score::percent(s.overall),
                    s.grade().map_or("", |g| g.as_str()),
                    s.reach.at_100,
                    s.reach.at_95,
                    s.reach.at_90
                ));
            }
            None => {
                for _ in &survey.definition.categories {
                    out.push(',');
                }
                out.push_str(",,,,,");
            }
        }
        out.push_str(&format!(
            ",{},{}\r\n",
            csv_cell(l.plan.as_deref().unwrap_or("")),
            l.plan_fiscal_year
                .map(|y| y.to_string())
                .unwrap_or_default()
        ));
    }
    out
}

/// `A 3 / B 10 / C 4 / D 1`: a group's spread of grades, naming nobody.
pub fn grades_line(g: &Group) -> String {
    format!(
        "A {} / B {} / C {} / D {}",
        g.grades[0], g.grades[1], g.grades[2], g.grades[3]
    )
}
