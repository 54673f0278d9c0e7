//! Grades and rates as the seed documents use them: a rate kept as a fraction until it is
//! shown, and the four grades A (100 %) / B (≥ 80 %) / C (≥ 60 %) / D (< 60 %). The
//! acknowledgement board, the surveys' scores, the drill report and the 年度 card all grade
//! with these bounds. Pure arithmetic.

crate::string_enum! {
    /// A (100 %), B (≥ 80 %), C (≥ 60 %), D (< 60 %).
    #[derive(PartialOrd, Ord)]
    pub enum Grade ("grade") {
        A = "A",
        B = "B",
        C = "C",
        D = "D",
    }
}

impl Grade {
    pub fn of(rate: Rate) -> Option<Self> {
        let Rate {
            numerator,
            denominator,
        } = rate;
        if denominator == 0 {
            return None;
        }
        // Integer comparisons: 4/5 is exactly 80 %.
        Some(if numerator == denominator {
            Self::A
        } else if numerator * 5 >= denominator * 4 {
            Self::B
        } else if numerator * 5 >= denominator * 3 {
            Self::C
        } else {
            Self::D
        })
    }

    /// The grade of a share given as a number from 0 to 1 (a mean of rates, as surveys score):
    /// the same bounds, with a tolerance of 10⁻⁹ so a mean that is exactly 80 % in arithmetic is
    /// not a hair under it in floating point.
    pub fn of_share(x: f64) -> Self {
        const EPS: f64 = 1e-9;
        if x >= 1.0 - EPS {
            Self::A
        } else if x >= 0.8 - EPS {
            Self::B
        } else if x >= 0.6 - EPS {
            Self::C
        } else {
            Self::D
        }
    }
}

/// A share, kept as a fraction so nothing is lost to rounding until it is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Rate {
    pub numerator: u64,
    pub denominator: u64,
}

impl Rate {
    /// `87.5%`, or `—` when nothing is counted.
    pub fn percent(self) -> String {
        if self.denominator == 0 {
            return "—".into();
        }
        let tenths = (self.numerator * 1000 + self.denominator / 2) / self.denominator;
        format!("{}.{}%", tenths / 10, tenths % 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grades_have_exact_boundaries() {
        let g = |n, d| {
            Grade::of(Rate {
                numerator: n,
                denominator: d,
            })
        };
        assert_eq!(g(10, 10), Some(Grade::A));
        assert_eq!(g(9, 10), Some(Grade::B));
        assert_eq!(g(4, 5), Some(Grade::B), "exactly 80 % is B");
        assert_eq!(g(79, 100), Some(Grade::C));
        assert_eq!(g(3, 5), Some(Grade::C), "exactly 60 % is C");
        assert_eq!(g(59, 100), Some(Grade::D));
        assert_eq!(g(0, 7), Some(Grade::D));
        assert_eq!(g(0, 0), None, "nothing to grade");
        assert_eq!(Rate::default().percent(), "—");
    }
}
