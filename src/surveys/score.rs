//! The seed documents' scoring, exactly: per item 実施率 = 実施している対象数 ÷ 実施すべき対象数;
//! the mean of the item rates of each category; 総合評価 = the mean of the category means (not
//! the mean of all items); A (100 %) / B (≥ 80 %) / C (≥ 60 %) / D (< 60 %), the boards' bounds;
//! 到達率 = the share of items whose rate reaches 100 %, 95 % and 90 %. 該当なし (and a count of
//! 0 of 0) leaves the denominator: the item, and a category with no scored item left, count in
//! no mean. For a group of organisations (a prefecture, the nation) an item's rate is the sum of
//! what they implemented over the sum of what they should have, and the means follow the same
//! rule.

use super::definition::{Answer, Answers, Definition, ItemType};
use crate::domain::grade::Grade;

/// An item's counts for one organisation: `None` when it leaves the denominator (該当なし, an
/// unscored or unanswered item).
pub fn item_counts(kind: ItemType, answer: Option<&Answer>) -> Option<(u64, u64)> {
    match (kind, answer?) {
        (ItemType::YesNo, Answer::Text(t)) => match t.as_str() {
            "yes" => Some((1, 1)),
            "no" => Some((0, 1)),
            _ => None,
        },
        (ItemType::Implementation, Answer::Text(t)) => match t.as_str() {
            "implemented" => Some((1, 1)),
            "partial" | "insufficient" => Some((0, 1)),
            _ => None,
        },
        (ItemType::Count, Answer::Count { done, required }) if *required > 0 => {
            Some((u64::from(*done.min(required)), u64::from(*required)))
        }
        _ => None,
    }
}

/// The 到達率: of the scored items, how many reach 100, 95 and 90 %.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reach {
    pub items: u64,
    pub at_100: u64,
    pub at_95: u64,
    pub at_90: u64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Score {
    /// Per item, in the definition's order: its rate (0–1), or none.
    pub items: Vec<(String, Option<f64>)>,
    /// Per category: the mean of its item rates, or none.
    pub categories: Vec<(String, Option<f64>)>,
    /// 総合評価: the mean of the category means.
    pub overall: Option<f64>,
    pub reach: Reach,
}

impl Score {
    pub fn grade(&self) -> Option<Grade> {
        self.overall.map(Grade::of_share)
    }
}

fn mean(xs: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = xs.fold((0.0, 0u32), |(s, n), x| (s + x, n + 1));
    (n > 0).then(|| sum / f64::from(n))
}

const EPS: f64 = 1e-9;

/// Scores from each item's summed counts.
fn from_counts(def: &Definition, counts: impl Fn(&str, ItemType) -> Option<(u64, u64)>) -> Score {
    let mut s = Score::default();
    for c in &def.categories {
        let mut rates = Vec::new();
        for i in &c.items {
            let rate = counts(&i.id, i.kind)
                .filter(|(_, d)| *d > 0)
                .map(|(n, d)| n as f64 / d as f64);
            if let Some(r) = rate {
                rates.push(r);
                s.reach.items += 1;
                s.reach.at_100 += u64::from(r >= 1.0 - EPS);
                s.reach.at_95 += u64::from(r >= 0.95 - EPS);
                s.reach.at_90 += u64::from(r >= 0.90 - EPS);
            }
            s.items.push((i.id.clone(), rate));
        }
        s.categories.push((c.id.clone(), mean(rates.into_iter())));
    }
    s.overall = mean(s.categories.iter().filter_map(|(_, m)| *m));
    s
}

/// One organisation's score.
pub fn score(def: &Definition, answers: &Answers) -> Score {
    from_counts(def, |id, kind| item_counts(kind, answers.get(id)))
}

/// A group's score: each item's counts summed over the organisations.
pub fn aggregate<'a>(def: &Definition, all: impl Iterator<Item = &'a Answers> + Clone) -> Score {
    from_counts(def, |id, kind| {
        let mut sum: Option<(u64, u64)> = None;
        for a in all.clone() {
            if let Some((n, d)) = item_counts(kind, a.get(id)) {
                let (sn, sd) = sum.unwrap_or((0, 0));
                sum = Some((sn + n, sd + d));
            }
        }
        sum
    })
}

/// `91.7%`, or `—`.
pub fn percent(x: Option<f64>) -> String {
    match x {
        Some(x) => format!("{:.1}%", (x * 1000.0).round() / 10.0),
        None => "—".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::surveys::definition::{Category, Item};

    fn def(cats: &[(&str, &[(&str, ItemType)])]) -> Definition {
        Definition {
            title: "t".into(),
            kind: "self_assessment".into(),
            description: String::new(),
            reference_date: String::new(),
            categories: cats
                .iter()
                .map(|(id, items)| Category {
                    id: (*id).into(),
                    title: (*id).into(),
                    items: items
                        .iter()
                        .map(|(i, k)| Item {
                            id: (*i).into(),
                            text: (*i).into(),
                            kind: *k,
                            help: String::new(),
                            source: String::new(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    fn count(done: u32, required: u32) -> Answer {
        Answer::Count { done, required }
    }

    fn text(t: &str) -> Answer {
        Answer::Text(t.into())
    }

    #[test]
    fn the_overall_score_is_the_mean_of_the_category_means() {
        // Category 1: items 2/3 and 3/3; category 2: item 1/1 → (83.33 + 100) / 2 = 91.7 % → B
        // (the mean of all three items would be 88.9 %).
        let d = def(&[
            ("c1", &[("a", ItemType::Count), ("b", ItemType::Count)]),
            ("c2", &[("c", ItemType::Count)]),
        ]);
        let answers: Answers = [("a", count(2, 3)), ("b", count(3, 3)), ("c", count(1, 1))]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        let s = score(&d, &answers);
        assert!((s.categories[0].1.unwrap() - 5.0 / 6.0).abs() < 1e-12);
        assert_eq!(percent(s.overall), "91.7%");
        assert_eq!(s.grade(), Some(Grade::B));
        assert_eq!(
            s.reach,
            Reach {
                items: 3,
                at_100: 2,
                at_95: 2,
                at_90: 2
            }
        );
    }

    #[test]
    fn grades_fall_exactly_at_their_bounds() {
        assert_eq!(Grade::of_share(1.0), Grade::A);
        assert_eq!(Grade::of_share(0.999_999), Grade::B);
        assert_eq!(Grade::of_share(0.8), Grade::B);
        // 0.7 and 0.9 make 0.8 in arithmetic and 0.7999999999999999 in floating point.
        assert_eq!(Grade::of_share((0.7 + 0.9) / 2.0), Grade::B);
        assert_eq!(Grade::of_share(0.799), Grade::C);
        assert_eq!(Grade::of_share(0.6), Grade::C);
        assert_eq!(Grade::of_share(0.599), Grade::D);
        assert_eq!(Grade::of_share(0.0), Grade::D);
    }

    #[test]
    fn an_item_at_94_percent_reaches_90_but_not_95() {
        let d = def(&[("c1", &[("a", ItemType::Count)])]);
        let answers: Answers = [("a".to_owned(), count(47, 50))].into_iter().collect();
        let r = score(&d, &answers).reach;
        assert_eq!((r.at_100, r.at_95, r.at_90), (0, 0, 1));
    }

    #[test]
    fn not_applicable_leaves_the_denominator() {
        let d = def(&[
            (
                "c1",
                &[
                    ("a", ItemType::Implementation),
                    ("b", ItemType::Implementation),
                ],
            ),
            (
                "c2",
                &[("c", ItemType::Implementation), ("n", ItemType::Count)],
            ),
            ("c3", &[("t", ItemType::Text)]),
        ]);
        let answers: Answers = [
            ("a", text("implemented")),
            ("b", text("not_applicable")),
            ("c", text("partial")),
            ("n", count(0, 0)),
            ("t", text("free")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let s = score(&d, &answers);
        // c1 = 1/1 (b left out), c2 = 0/1 (n left out), c3 has nothing scored: (100 + 0) / 2.
        assert_eq!(s.categories[2].1, None);
        assert_eq!(percent(s.overall), "50.0%");
        assert_eq!(s.grade(), Some(Grade::D));
        assert_eq!(s.reach.items, 2);
    }

    #[test]
    fn a_group_sums_the_counts_of_its_organisations() {
        let d = def(&[("c1", &[("a", ItemType::Count), ("y", ItemType::YesNo)])]);
        let one: Answers = [("a", count(1, 4)), ("y", text("yes"))]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        let two: Answers = [("a", count(5, 6)), ("y", text("no"))]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        let s = aggregate(&d, [&one, &two].into_iter());
        // a = 6/10, y = 1/2 → mean 55 %.
        assert_eq!(percent(s.items[0].1), "60.0%");
        assert_eq!(percent(s.overall), "55.0%");
    }
}
