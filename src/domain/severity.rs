//! `Severity`: how urgent an advisory or alert is, in the four levels local governments use.

use std::fmt;

use serde::{Deserialize, Serialize};

/// 緊急 / 重要 / 注意 / 情報, ordered from least to most urgent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// 情報: for information.
    Info,
    /// 注意: act in the ordinary course.
    Medium,
    /// 重要: act soon.
    High,
    /// 緊急: act now.
    Critical,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a severity: expected critical/緊急, high/重要, medium/注意 or info/情報")]
pub struct SeverityError(String);

impl Severity {
    pub const ALL: [Severity; 4] = [Self::Critical, Self::High, Self::Medium, Self::Info];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::High => "high",
            Self::Medium => "medium",
            Self::Info => "info",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Critical => "緊急",
            Self::High => "重要",
            Self::Medium => "注意",
            Self::Info => "情報",
        }
    }

    /// Accepts the English word or the Japanese label.
    /// A severity this hub stored itself: one that does not read is an error naming it (the
    /// database was edited by hand), never a silent default.
    pub fn stored(s: &str) -> anyhow::Result<Self> {
        Self::parse(s).map_err(|e| anyhow::anyhow!("a stored severity does not read: {e}"))
    }

    pub fn parse(s: &str) -> Result<Self, SeverityError> {
        let t = s.trim();
        Self::ALL
            .into_iter()
            .find(|v| t.eq_ignore_ascii_case(v.as_str()) || t == v.label_ja())
            .ok_or_else(|| SeverityError(s.to_owned()))
    }

    /// The level `steps` above this one, capped at critical.
    pub fn raised(self, steps: u8) -> Self {
        let mut s = self;
        for _ in 0..steps {
            s = match s {
                Self::Info => Self::Medium,
                Self::Medium => Self::High,
                Self::High | Self::Critical => Self::Critical,
            };
        }
        s
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_ja())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip_and_order_holds() {
        for s in Severity::ALL {
            assert_eq!(Severity::parse(s.as_str()), Ok(s));
            assert_eq!(Severity::parse(s.label_ja()), Ok(s));
        }
        assert!(Severity::Critical > Severity::High && Severity::Medium > Severity::Info);
        assert_eq!(Severity::Medium.raised(1), Severity::High);
        assert_eq!(Severity::High.raised(3), Severity::Critical);
        assert!(Severity::parse("警告").is_err());
    }
}
