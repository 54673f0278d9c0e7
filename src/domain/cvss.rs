//! CVSS vectors, parsed and scored (v2.0, v3.0, v3.1, v4.0) with the RustSec `cvss` crate. The
//! base score is computed from the vector: a score the source gives is never trusted on its own.

use std::fmt;
use std::str::FromStr;

/// A parsed CVSS vector.
#[derive(Clone, Debug, PartialEq)]
pub struct CvssVector {
    version: CvssVersion,
    base_score: f64,
    vector: String,
}

crate::string_enum! {
    #[derive(PartialOrd, Ord)]
    pub enum CvssVersion ("CVSS version") {
        V2 = "2.0",
        V3_0 = "3.0",
        V3_1 = "3.1",
        V4_0 = "4.0",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{vector}` is not a valid CVSS vector: {reason}")]
pub struct CvssError {
    pub vector: String,
    pub reason: String,
}

/// The CVSS v4.0 base metrics; threat, environmental and supplemental metrics are dropped before
/// scoring so the result is the base score (CVSS-B).
const V4_BASE: [&str; 11] = [
    "AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA",
];
const V3_BASE: [&str; 8] = ["AV", "AC", "PR", "UI", "S", "C", "I", "A"];
const V2_BASE: [&str; 6] = ["AV", "AC", "Au", "C", "I", "A"];

/// Every base metric must be there, once: a score from a partial vector would be made up.
fn check_complete(vector: &str) -> Result<(), String> {
    let (required, metrics): (&[&str], &str) = if let Some(rest) = vector.strip_prefix("CVSS:4.0/")
    {
        (&V4_BASE, rest)
    } else if let Some(rest) = vector
        .strip_prefix("CVSS:3.0/")
        .or_else(|| vector.strip_prefix("CVSS:3.1/"))
    {
        (&V3_BASE, rest)
    } else if !vector.starts_with("CVSS:") {
        (&V2_BASE, vector)
    } else {
        return Ok(()); // an unknown version: the parser names it
    };
    let keys: Vec<&str> = metrics
        .split('/')
        .filter_map(|m| m.split(':').next())
        .collect();
    for key in required {
        match keys.iter().filter(|k| *k == key).count() {
            0 => return Err(format!("the base metric {key} is missing")),
            1 => {}
            _ => return Err(format!("the metric {key} appears more than once")),
        }
    }
    Ok(())
}

impl CvssVector {
    pub fn parse(input: &str) -> Result<Self, CvssError> {
        let vector = input.trim();
        let err = |reason: String| CvssError {
            vector: vector.to_owned(),
            reason,
        };
        if vector.is_empty() {
            return Err(err("it is empty".into()));
        }
        check_complete(vector).map_err(err)?;
        let scored = if vector.starts_with("CVSS:4.0/") {
            let base: Vec<&str> = vector
                .split('/')
                .skip(1)
                .filter(|part| part.split(':').next().is_some_and(|k| V4_BASE.contains(&k)))
                .collect();
            format!("CVSS:4.0/{}", base.join("/"))
        } else {
            vector.to_owned()
        };
        let parsed = cvss::Cvss::from_str(&scored).map_err(|e| err(e.to_string()))?;
        let version = match parsed {
            cvss::Cvss::CvssV20(_) => CvssVersion::V2,
            cvss::Cvss::CvssV30(_) => CvssVersion::V3_0,
            cvss::Cvss::CvssV31(_) => CvssVersion::V3_1,
            cvss::Cvss::CvssV40(_) => CvssVersion::V4_0,
            _ => return Err(err("this CVSS version is not supported".into())),
        };
        let base_score = parsed.score();
        if !(0.0..=10.0).contains(&base_score) {
            return Err(err(format!("its score {base_score} is out of range")));
        }
        Ok(Self {
            version,
            base_score,
            vector: vector.to_owned(),
        })
    }

    pub fn version(&self) -> CvssVersion {
        self.version
    }

    /// The base score computed from the vector (0.0–10.0).
    pub fn base_score(&self) -> f64 {
        self.base_score
    }

    pub fn as_str(&self) -> &str {
        &self.vector
    }
}

impl fmt::Display for CvssVector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({:.1})", self.vector, self.base_score)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(v: &str) -> f64 {
        CvssVector::parse(v).map(|c| c.base_score()).unwrap_or(-1.0)
    }

    #[test]
    fn v3_0_and_v3_1_vectors_score_like_the_specification() {
        assert_eq!(score("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"), 7.5);
        assert_eq!(score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), 9.8);
        assert_eq!(score("CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"), 6.1);
        assert_eq!(score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"), 10.0);
        // Temporal metrics do not change the base score.
        assert_eq!(
            score("CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:N/A:L/E:F/RL:O/RC:C"),
            6.1
        );
    }

    #[test]
    fn v4_0_vectors_score_like_the_specification() {
        assert_eq!(
            score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H"),
            10.0
        );
        assert_eq!(
            score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
            9.3
        );
        // A threat metric in the vector is dropped for the base score.
        assert_eq!(
            score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U"),
            9.3
        );
    }

    #[test]
    fn v2_vectors_are_read_too() {
        assert_eq!(score("AV:N/AC:L/Au:N/C:C/I:C/A:C"), 10.0);
        assert_eq!(score("AV:N/AC:M/Au:N/C:N/I:P/A:N"), 4.3);
    }

    #[test]
    fn bad_vectors_are_rejected_with_a_message() {
        for bad in [
            "",
            "CVSS:3.1/AV:N/AC:L",
            "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "CVSS:9.9/AV:N",
            "high",
            "CVSS:4.0/AV:N/AC:L/AT:N",
            "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        ] {
            let err = CvssVector::parse(bad).err();
            assert!(err.is_some(), "{bad:?} was accepted");
            let message = err.map(|e| e.to_string()).unwrap_or_default();
            assert!(message.contains("is not a valid CVSS vector"), "{message}");
        }
        let missing = CvssVector::parse("CVSS:3.1/AV:N/AC:L")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            missing.as_deref(),
            Some("`CVSS:3.1/AV:N/AC:L` is not a valid CVSS vector: the base metric PR is missing")
        );
    }
}
