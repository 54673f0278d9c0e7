//! `CveId`: `CVE-YYYY-NNNN…`, and finding them in Japanese text (full-width forms, 、 separators).

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CveId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a CVE id: expected CVE-YYYY-NNNN (four to nineteen digits)")]
pub struct CveError(String);

#[allow(clippy::expect_used)] // a constant pattern
static CVE_PATTERN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bCVE-(\d{4})-(\d{4,19})\b").expect("the CVE pattern compiles")
});

impl CveId {
    /// Accepts `CVE-2025-20333`, `cve-2025-20333` and full-width `ＣＶＥ－２０２５－２０３３３`.
    pub fn parse(input: &str) -> Result<Self, CveError> {
        if let Some(id) = Self::parse_ascii(input.trim()) {
            return Ok(id);
        }
        let normalised: String = normalise(input);
        let trimmed = normalised.trim();
        let caps = CVE_PATTERN
            .captures(trimmed)
            .filter(|c| c.get(0).is_some_and(|m| m.as_str().len() == trimmed.len()))
            .ok_or_else(|| CveError(input.to_owned()))?;
        let year: u32 = caps[1].parse().map_err(|_| CveError(input.to_owned()))?;
        if !(1999..=2100).contains(&year) {
            return Err(CveError(input.to_owned()));
        }
        Ok(Self(format!("CVE-{}-{}", &caps[1], &caps[2])))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The common case, `CVE-2024-21762` in ASCII, without normalisation or a regex.
    fn parse_ascii(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() < 13 || b.len() > 28 || !b[..4].eq_ignore_ascii_case(b"CVE-") || b[8] != b'-' {
            return None;
        }
        let (year, number) = (&b[4..8], &b[9..]);
        if !year.iter().all(u8::is_ascii_digit) || !number.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let year: u32 = s[4..8].parse().ok()?;
        if !(1999..=2100).contains(&year) || !(4..=19).contains(&number.len()) {
            return None;
        }
        Some(Self(format!("CVE-{}-{}", &s[4..8], &s[9..])))
    }
}

/// NFKC turns full-width letters and digits into ASCII; the various dashes need mapping too.
fn normalise(s: &str) -> String {
    s.nfkc()
        .map(|c| match c {
            '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{30FC}' | '\u{FF70}' => '-',
            c => c,
        })
        .collect()
}

/// Whether `text` has `cve` in any case, or a full-width Ｃ/ｃ (UTF-8 EF BC A3 / EF BD 83).
fn may_mention_cve(text: &str) -> bool {
    let b = text.as_bytes();
    b.iter().enumerate().any(|(i, c)| match c {
        b'C' | b'c' => b
            .get(i + 1..i + 3)
            .is_some_and(|ve| ve.eq_ignore_ascii_case(b"ve")),
        0xEF => matches!(b.get(i + 1..i + 3), Some([0xBC, 0xA3] | [0xBD, 0x83])),
        _ => false,
    })
}

/// Every CVE id mentioned in `text`, in order of first appearance, without duplicates.
/// Handles `（CVE-2025-20333、CVE-2025-20362）` and full-width forms.
pub fn cves_in_text(text: &str) -> Vec<CveId> {
    // Most texts mention no CVE at all: skip the normalisation pass for them.
    if !may_mention_cve(text) {
        return Vec::new();
    }
    let normalised = normalise(text);
    let mut out: Vec<CveId> = Vec::new();
    for m in CVE_PATTERN.find_iter(&normalised) {
        if let Ok(id) = CveId::parse(m.as_str())
            && !out.contains(&id)
        {
            out.push(id);
        }
    }
    out
}

impl fmt::Display for CveId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for CveId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for CveId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for CveId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_found_in_japanese_text_with_full_width_brackets() {
        let title = "注意喚起: Cisco ASAおよびFTDにおける複数の脆弱性（CVE-2025-20333、CVE-2025-20362）に関する注意喚起";
        let found: Vec<String> = cves_in_text(title)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(found, ["CVE-2025-20333", "CVE-2025-20362"]);
    }

    #[test]
    fn full_width_and_lower_case_forms_are_normalised() {
        assert_eq!(
            CveId::parse("ＣＶＥ－２０２４－３４００").map(|c| c.to_string()),
            Ok("CVE-2024-3400".into())
        );
        assert_eq!(
            CveId::parse("cve-2021-44228").map(|c| c.to_string()),
            Ok("CVE-2021-44228".into())
        );
        let text = "ＣＶＥ－２０２４－３４００，cve-2021-44228 と CVE-2024-3400";
        assert_eq!(cves_in_text(text).len(), 2);
    }

    #[test]
    fn malformed_ids_are_rejected() {
        for bad in [
            "CVE-2025-123",
            "CVE-25-1234",
            "CVE-1800-1234",
            "CVE-2025-1234x",
            "2025-1234",
            "",
        ] {
            assert!(CveId::parse(bad).is_err(), "{bad}");
        }
    }
}
