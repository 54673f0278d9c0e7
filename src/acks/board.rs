//! The acknowledgement board of one alert: per prefecture, how many addressed organisations have
//! made their state known (把握率) and, of those that reported, how many finished (実施率, as the
//! seed documents define it: 「把握した者のうち…」), beside the share of all concerned that
//! finished (完了率（対象比）), each
//! graded A (100 %) / B (≥ 80 %) / C (≥ 60 %) / D (< 60 %). Pure arithmetic over counts, so
//! the portal, the CSV export and the API show the same figures.

use std::collections::BTreeMap;

use super::AckState;
use super::store::BoardRow;
use crate::domain::grade::Rate;
use crate::registry::Prefecture;

/// Counts of one group of addressed organisations by state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Tally {
    pub addressed: u64,
    pub received: u64,
    pub in_progress: u64,
    pub done: u64,
    pub not_applicable: u64,
}

impl Tally {
    pub fn add(&mut self, state: Option<AckState>) {
        self.add_n(state, 1);
    }

    /// Counts `n` organisations in `state` at once.
    pub fn add_n(&mut self, state: Option<AckState>, n: u64) {
        self.addressed += n;
        match state {
            None => {}
            Some(AckState::Received) => self.received += n,
            Some(AckState::InProgress) => self.in_progress += n,
            Some(AckState::Done) => self.done += n,
            Some(AckState::NotApplicable) => self.not_applicable += n,
        }
    }

    pub fn merge(&mut self, other: &Tally) {
        self.addressed += other.addressed;
        self.received += other.received;
        self.in_progress += other.in_progress;
        self.done += other.done;
        self.not_applicable += other.not_applicable;
    }

    pub fn unknown(&self) -> u64 {
        self.addressed - self.known()
    }

    fn known(&self) -> u64 {
        self.received + self.in_progress + self.done + self.not_applicable
    }

    /// 把握率: organisations whose state is known ÷ addressed.
    pub fn grasp(&self) -> Rate {
        Rate {
            numerator: self.known(),
            denominator: self.addressed,
        }
    }

    /// 実施率, as the seed documents define it: of the organisations that reported (把握), those
    /// concerned (not 該当なし) that finished: 対応完了 ÷ (known − 該当なし).
    pub fn completion(&self) -> Rate {
        Rate {
            numerator: self.done,
            denominator: self.known() - self.not_applicable,
        }
    }

    /// 完了率（対象比）: 対応完了 ÷ (addressed − 該当なし) — organisations that never reported count
    /// as not finished (what the board called 実施率 before the seed's definition).
    pub fn completion_of_addressed(&self) -> Rate {
        Rate {
            numerator: self.done,
            denominator: self.addressed - self.not_applicable,
        }
    }
}

/// One prefecture's line on the board: the prefecture itself and its municipalities.
#[derive(Debug, Clone)]
pub struct PrefectureLine {
    pub prefecture: Prefecture,
    pub tally: Tally,
}

/// Tallies the board by prefecture (central bodies are left out) and in total.
pub fn by_prefecture(rows: &[BoardRow]) -> (Vec<PrefectureLine>, Tally) {
    let mut lines: BTreeMap<u8, Tally> = BTreeMap::new();
    let mut total = Tally::default();
    for r in rows {
        let Some(p) = r.prefecture.and_then(|p| u8::try_from(p).ok()) else {
            continue;
        };
        lines.entry(p).or_default().add(r.state);
        total.add(r.state);
    }
    let lines = lines
        .into_iter()
        .filter_map(|(n, tally)| {
            Prefecture::from_number(n).map(|prefecture| PrefectureLine { prefecture, tally })
        })
        .collect();
    (lines, total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::grade::Grade;

    fn tally(states: &[Option<AckState>]) -> Tally {
        let mut t = Tally::default();
        for s in states {
            t.add(*s);
        }
        t
    }

    #[test]
    fn grasp_counts_every_known_state_and_completion_leaves_out_not_applicable() {
        use AckState::*;
        let t = tally(&[
            Some(Received),
            Some(InProgress),
            Some(Done),
            Some(Done),
            Some(NotApplicable),
            None,
        ]);
        assert_eq!(
            t.grasp(),
            Rate {
                numerator: 5,
                denominator: 6
            }
        );
        // 実施率: 2 done of the 4 that reported and are concerned; 完了率: of the 5 concerned.
        assert_eq!(
            t.completion(),
            Rate {
                numerator: 2,
                denominator: 4
            }
        );
        assert_eq!(
            t.completion_of_addressed(),
            Rate {
                numerator: 2,
                denominator: 5
            }
        );
        assert_eq!(t.unknown(), 1);
        assert_eq!(t.grasp().percent(), "83.3%");
        assert_eq!(t.completion().percent(), "50.0%");
        assert_eq!(t.completion_of_addressed().percent(), "40.0%");
    }

    #[test]
    fn everyone_not_applicable_leaves_completion_ungraded() {
        let t = tally(&[Some(AckState::NotApplicable); 3]);
        assert_eq!(t.completion().denominator, 0);
        assert_eq!(Grade::of(t.completion()), None);
        assert_eq!(Grade::of(t.grasp()), Some(Grade::A));
    }
}
