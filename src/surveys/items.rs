//! Results item by item: each item's 実施率 over the answers and how the organisations answered
//! it — はい / いいえ, 実施 / 一部未実施 / 実施不足 / 該当なし, and for counts: all, some, none of
//! their objects, or none to count — as numbers and shares of those who answered, the figures the
//! seeds read a finding off (「…団体が依然として約4割存在」, 002:53); 到達率 as a share of the
//! items; and an organisation's weakest items, for its 評価結果.

use super::definition::{Answer, Answers, Definition, ItemType};
use super::score::{self, Reach, Score};

/// One way of answering an item and how many organisations answered so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Share {
    pub label: &'static str,
    pub count: u64,
}

/// One item of a survey over a group's answers.
#[derive(Clone, Debug)]
pub struct ItemLine {
    pub category: String,
    pub id: String,
    pub text: String,
    pub kind: ItemType,
    /// The group's 実施率 (summed counts), none where nothing was to be done.
    pub rate: Option<f64>,
    /// Organisations that answered the item.
    pub answered: u64,
    /// How they answered, in the order the choices are offered; empty for dates, numbers and
    /// text.
    pub shares: Vec<Share>,
}

/// The labels of a count answer.
pub const COUNT_SHARES: [&str; 4] = ["すべて実施", "一部実施", "未実施", "対象なし"];

fn share_index(kind: ItemType, a: &Answer) -> Option<usize> {
    match (kind, a) {
        (ItemType::YesNo | ItemType::Implementation, Answer::Text(t)) => {
            super::definition::choices(kind)
                .iter()
                .position(|(v, _)| v == t)
        }
        (ItemType::Count, Answer::Count { done, required }) => Some(match (*done, *required) {
            (_, 0) => 3,
            (d, r) if d >= r => 0,
            (0, _) => 2,
            _ => 1,
        }),
        _ => None,
    }
}

fn labels(kind: ItemType) -> Vec<&'static str> {
    match kind {
        ItemType::Count => COUNT_SHARES.to_vec(),
        k => super::definition::choices(k)
            .iter()
            .map(|(_, l)| *l)
            .collect(),
    }
}

/// Every item over the answers of a group (the organisations that submitted).
pub fn lines<'a>(
    def: &Definition,
    answers: impl Iterator<Item = &'a Answers> + Clone,
) -> Vec<ItemLine> {
    let total = score::aggregate(def, answers.clone());
    let mut out = Vec::new();
    for c in &def.categories {
        for i in &c.items {
            let mut counts = vec![0u64; labels(i.kind).len()];
            let mut answered = 0;
            for a in answers.clone() {
                if let Some(x) = a.get(&i.id) {
                    answered += 1;
                    if let Some(k) = share_index(i.kind, x) {
                        counts[k] += 1;
                    }
                }
            }
            out.push(ItemLine {
                category: c.title.clone(),
                id: i.id.clone(),
                text: i.text.clone(),
                kind: i.kind,
                rate: total
                    .items
                    .iter()
                    .find(|(id, _)| *id == i.id)
                    .and_then(|(_, r)| *r),
                answered,
                shares: labels(i.kind)
                    .into_iter()
                    .zip(counts)
                    .map(|(label, count)| Share { label, count })
                    .collect(),
            });
        }
    }
    out
}

/// `12（40.0%）`: a count and its share of `of`.
pub fn with_share(count: u64, of: u64) -> String {
    if of == 0 {
        return count.to_string();
    }
    format!("{count}（{:.1}%）", count as f64 * 100.0 / of as f64)
}

/// 到達率 as the seeds give it, a share of the items: `100%: 2/3（66.7%）・95%: …`.
pub fn reach(r: &Reach) -> String {
    if r.items == 0 {
        return "—".into();
    }
    [(100, r.at_100), (95, r.at_95), (90, r.at_90)]
        .iter()
        .map(|(p, n)| {
            format!(
                "{p}%: {n}/{}（{:.1}%）",
                r.items,
                *n as f64 * 100.0 / r.items as f64
            )
        })
        .collect::<Vec<_>>()
        .join(" ・ ")
}

/// An organisation's items below 100 %, lowest first (at most `n`): what pulled its 評価結果
/// down. (category, question, rate)
pub fn weakest(def: &Definition, s: &Score, n: usize) -> Vec<(String, String, f64)> {
    let mut low: Vec<(String, String, f64)> = def
        .categories
        .iter()
        .flat_map(|c| c.items.iter().map(move |i| (c, i)))
        .filter_map(|(c, i)| {
            let rate = s.items.iter().find(|(id, _)| *id == i.id)?.1?;
            (rate < 1.0 - 1e-9).then(|| (c.title.clone(), i.text.clone(), rate))
        })
        .collect();
    low.sort_by(|a, b| a.2.total_cmp(&b.2));
    low.truncate(n);
    low
}

/// The items as CSV for Excel (BOM, CRLF): 分類, 項目, 実施率, 回答団体数, then each way of
/// answering with its count and share.
pub fn csv(items: &[ItemLine]) -> String {
    use crate::domain::text::csv_cell;
    let mut out = String::from("\u{feff}分類,項目ID,項目,実施率,回答団体数");
    for k in 1..=4 {
        out.push_str(&format!(",回答{k},団体数{k},割合{k}"));
    }
    out.push_str("\r\n");
    for i in items {
        out.push_str(&format!(
            "{},{},{},{},{}",
            csv_cell(&i.category),
            csv_cell(&i.id),
            csv_cell(&i.text),
            i.rate.map(|r| score::percent(Some(r))).unwrap_or_default(),
            i.answered
        ));
        for s in &i.shares {
            let share = if i.answered == 0 {
                String::new()
            } else {
                format!("{:.1}%", s.count as f64 * 100.0 / i.answered as f64)
            };
            out.push_str(&format!(",{},{},{share}", s.label, s.count));
        }
        for _ in i.shares.len()..4 {
            out.push_str(",,,");
        }
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_and_reach_read_as_the_seeds_write_them() {
        let def = Definition::parse(
            "title = \"t\"\nkind = \"emergency\"\n[[category]]\nid = \"c\"\ntitle = \"条例\"\n\
             [[category.item]]\nid = \"penalty\"\ntext = \"罰則の対象に受託者を含めていますか\"\ntype = \"yes_no\"\n\
             [[category.item]]\nid = \"n\"\ntext = \"n\"\ntype = \"count\"\n",
        )
        .unwrap();
        let mut all = Vec::new();
        for k in 0..10 {
            let mut a = Answers::new();
            a.insert(
                "penalty".into(),
                Answer::Text(if k < 4 { "no" } else { "yes" }.into()),
            );
            a.insert(
                "n".into(),
                Answer::Count {
                    done: k % 3,
                    required: 2,
                },
            );
            all.push(a);
        }
        let l = lines(&def, all.iter());
        assert_eq!(l[0].answered, 10);
        assert_eq!(
            l[0].shares[1],
            Share {
                label: "いいえ",
                count: 4
            },
            "約4割 answered no"
        );
        assert_eq!(with_share(4, 10), "4（40.0%）");
        assert!(csv(&l).contains("いいえ,4,40.0%"), "{}", csv(&l));
        // done 0,1,2,0,1,2,0,1,2,0 of 2: all 3, some 3, none 4.
        assert_eq!(
            l[1].shares.iter().map(|s| s.count).collect::<Vec<_>>(),
            [3, 3, 4, 0]
        );
        let r = Reach {
            items: 3,
            at_100: 2,
            at_95: 2,
            at_90: 3,
        };
        assert_eq!(
            reach(&r),
            "100%: 2/3（66.7%） ・ 95%: 2/3（66.7%） ・ 90%: 3/3（100.0%）"
        );
        let one = score::score(&def, &all[0]);
        let weak = weakest(&def, &one, 3);
        assert_eq!(weak.len(), 2, "{weak:?}");
        assert_eq!(weak[0].2, 0.0);
    }
}
