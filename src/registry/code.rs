//! `OrgCode`: a 全国地方公共団体コード (six digits, the last a check digit). The only way a code
//! enters the system.

use std::fmt;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// A valid six-digit organisation code.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrgCode([u8; 6]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrgCodeError {
    #[error("an organisation code is required")]
    Empty,
    #[error(
        "`{input}` is five digits: an organisation code has six, the last a check digit (did you mean {suggestion}?)"
    )]
    MissingCheckDigit { input: String, suggestion: String },
    #[error("`{input}` is not an organisation code: it must be exactly six digits")]
    Malformed { input: String },
    #[error(
        "`{input}` has a wrong check digit: the check digit of {body} is {expected}, not {found}"
    )]
    WrongCheckDigit {
        input: String,
        body: String,
        expected: u8,
        found: u8,
    },
}

/// The check digit of five digits: weights 6,5,4,3,2, `(11 - sum % 11) % 10`.
pub fn check_digit(body: [u8; 5]) -> u8 {
    let sum: u32 = body
        .iter()
        .zip([6u32, 5, 4, 3, 2])
        .map(|(d, w)| u32::from(*d) * w)
        .sum();
    ((11 - sum % 11) % 10) as u8
}

impl OrgCode {
    /// Parses a code, accepting full-width digits (`１３１０１６`) and surrounding spaces.
    pub fn parse(input: &str) -> Result<Self, OrgCodeError> {
        let normalised: String = input.nfkc().collect::<String>().trim().to_owned();
        if normalised.is_empty() {
            return Err(OrgCodeError::Empty);
        }
        let digits: Option<Vec<u8>> = normalised
            .chars()
            .map(|c| c.to_digit(10).map(|d| d as u8))
            .collect();
        let Some(digits) = digits.filter(|d| normalised.is_ascii() && !d.is_empty()) else {
            return Err(OrgCodeError::Malformed {
                input: input.to_owned(),
            });
        };
        match digits.len() {
            6 => {
                let body = [digits[0], digits[1], digits[2], digits[3], digits[4]];
                let expected = check_digit(body);
                if digits[5] != expected {
                    return Err(OrgCodeError::WrongCheckDigit {
                        input: input.to_owned(),
                        body: normalised[..5].to_owned(),
                        expected,
                        found: digits[5],
                    });
                }
                let mut code = [0u8; 6];
                code.copy_from_slice(&digits);
                Ok(Self(code))
            }
            5 => {
                let body = [digits[0], digits[1], digits[2], digits[3], digits[4]];
                Err(OrgCodeError::MissingCheckDigit {
                    input: input.to_owned(),
                    suggestion: format!("{normalised}{}", check_digit(body)),
                })
            }
            _ => Err(OrgCodeError::Malformed {
                input: input.to_owned(),
            }),
        }
    }

    /// Completes five digits with their check digit (for codes of Noroshi's own scheme).
    pub fn from_body(body: [u8; 5]) -> Option<Self> {
        if body.iter().any(|d| *d > 9) {
            return None;
        }
        Some(Self([
            body[0],
            body[1],
            body[2],
            body[3],
            body[4],
            check_digit(body),
        ]))
    }

    /// The first two digits: 1–47 for local governments.
    pub fn prefecture_number(&self) -> u8 {
        self.0[0] * 10 + self.0[1]
    }

    /// True for a prefecture's own code (`130001`: digits 3–5 are zero).
    pub fn is_prefecture_code(&self) -> bool {
        self.0[2] == 0 && self.0[3] == 0 && self.0[4] == 0
    }
}

impl fmt::Display for OrgCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in self.0 {
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for OrgCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OrgCode({self})")
    }
}

impl std::str::FromStr for OrgCode {
    type Err = OrgCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for OrgCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for OrgCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_parse() {
        for code in ["010006", "011002", "130001", "131016", "472051"] {
            assert_eq!(
                OrgCode::parse(code).map(|c| c.to_string()),
                Ok(code.to_owned())
            );
        }
    }

    #[test]
    fn a_wrong_check_digit_is_rejected_with_the_right_one_named() {
        let err = OrgCode::parse("131002").err();
        assert_eq!(
            err.as_ref().map(ToString::to_string).as_deref(),
            Some("`131002` has a wrong check digit: the check digit of 13100 is 8, not 2")
        );
    }

    #[test]
    fn full_width_digits_and_spaces_are_accepted() {
        assert_eq!(
            OrgCode::parse(" １３１０１６ ").map(|c| c.to_string()),
            Ok("131016".into())
        );
    }

    #[test]
    fn five_digits_get_a_suggestion() {
        let err = OrgCode::parse("13101")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("did you mean 131016?"), "{err}");
    }

    #[test]
    fn malformed_input_is_rejected() {
        for bad in ["", "abc", "1310160", "13-101", "13101a", "١٣١٠١٦"] {
            assert!(OrgCode::parse(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn every_shipped_code_has_a_valid_check_digit() {
        let csv = include_str!("../../data/local_government_codes.csv");
        let codes: Vec<_> = csv.lines().skip(1).map(|l| &l[..6]).collect();
        assert_eq!(codes.len(), 1788);
        for code in codes {
            assert!(OrgCode::parse(code).is_ok(), "{code}");
        }
    }

    #[test]
    fn prefecture_codes_are_recognised() {
        let tokyo = OrgCode::parse("130001").ok();
        assert_eq!(
            tokyo.map(|c| (c.prefecture_number(), c.is_prefecture_code())),
            Some((13, true))
        );
        let chiyoda = OrgCode::parse("131016").ok();
        assert_eq!(chiyoda.map(|c| c.is_prefecture_code()), Some(false));
    }
}
