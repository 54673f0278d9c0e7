//! CPE names (2.2 URIs `cpe:/a:vendor:product:version` and 2.3 formatted strings
//! `cpe:2.3:a:vendor:product:version:…`), and version ranges for inventories.

use std::cmp::Ordering;
use std::fmt;

/// The parts of a CPE name that matching uses, lower-cased and unescaped.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Cpe {
    /// `a` (application), `o` (operating system), `h` (hardware).
    pub part: char,
    pub vendor: String,
    pub product: String,
    /// `None` for ANY (`*`, `-` or absent).
    pub version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a CPE name: {reason}")]
pub struct CpeError {
    pub input: String,
    pub reason: &'static str,
}

impl Cpe {
    pub fn parse(input: &str) -> Result<Self, CpeError> {
        let s = input.trim();
        let err = |reason| CpeError {
            input: input.to_owned(),
            reason,
        };
        let fields: Vec<String> = if let Some(rest) = s.strip_prefix("cpe:2.3:") {
            split_escaped(rest)
        } else if let Some(rest) = s.strip_prefix("cpe:/") {
            rest.split(':').map(percent_decode).collect()
        } else {
            return Err(err("it must start with cpe:2.3: or cpe:/"));
        };
        let part = fields
            .first()
            .and_then(|p| p.chars().next())
            .filter(|p| matches!(p, 'a' | 'o' | 'h'))
            .ok_or_else(|| err("the part must be a, o or h"))?;
        let field = |n: usize| {
            fields
                .get(n)
                .map(|f| f.trim().to_lowercase())
                .filter(|f| !f.is_empty() && f != "*" && f != "-")
        };
        let vendor = field(1).ok_or_else(|| err("it has no vendor"))?;
        let product = field(2).ok_or_else(|| err("it has no product"))?;
        Ok(Self {
            part,
            vendor,
            product,
            version: field(3),
        })
    }

    /// Same vendor and product (and part); versions are compared separately.
    pub fn same_product(&self, other: &Cpe) -> bool {
        self.part == other.part && self.vendor == other.vendor && self.product == other.product
    }
}

impl fmt::Display for Cpe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cpe:2.3:{}:{}:{}:{}:*:*:*:*:*:*:*",
            self.part,
            self.vendor,
            self.product,
            self.version.as_deref().unwrap_or("*")
        )
    }
}

/// 2.3 fields split on unescaped `:`, with `\` escapes removed.
fn split_escaped(s: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(next), Some(last)) = (chars.next(), out.last_mut()) {
                    last.push(next);
                }
            }
            ':' => out.push(String::new()),
            c => {
                if let Some(last) = out.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Compares dotted versions: numeric parts as numbers, others as text (`7.2.10` > `7.2.9`).
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let parts = |v: &str| -> Vec<String> {
        v.split(['.', '-', '_', ' '])
            .filter(|p| !p.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let (pa, pb) = (parts(a), parts(b));
    for i in 0..pa.len().max(pb.len()) {
        let (x, y) = (
            pa.get(i).map(String::as_str).unwrap_or("0"),
            pb.get(i).map(String::as_str).unwrap_or("0"),
        );
        let ord = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(m), Ok(n)) => m.cmp(&n),
            _ => x.cmp(y),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

/// `>=7.0, <7.2.7`: every comparator must hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionRange {
    text: String,
    bounds: Vec<(Ordering, bool, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a version range: use comparators like >=7.0, <7.2.7 or =6.4")]
pub struct VersionRangeError(String);

impl VersionRange {
    pub fn parse(input: &str) -> Result<Self, VersionRangeError> {
        let mut bounds = Vec::new();
        for part in input.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (op, version) = if let Some(v) = part.strip_prefix(">=") {
                ((Ordering::Greater, true), v)
            } else if let Some(v) = part.strip_prefix("<=") {
                ((Ordering::Less, true), v)
            } else if let Some(v) = part.strip_prefix('>') {
                ((Ordering::Greater, false), v)
            } else if let Some(v) = part.strip_prefix('<') {
                ((Ordering::Less, false), v)
            } else if let Some(v) = part.strip_prefix('=') {
                ((Ordering::Equal, true), v)
            } else {
                return Err(VersionRangeError(input.to_owned()));
            };
            let version = version.trim();
            if version.is_empty()
                || !version
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c))
            {
                return Err(VersionRangeError(input.to_owned()));
            }
            bounds.push((op.0, op.1, version.to_owned()));
        }
        if bounds.is_empty() {
            return Err(VersionRangeError(input.to_owned()));
        }
        Ok(Self {
            text: input.trim().to_owned(),
            bounds,
        })
    }

    pub fn contains(&self, version: &str) -> bool {
        self.bounds.iter().all(|(dir, inclusive, bound)| {
            let ord = compare_versions(version, bound);
            ord == *dir || (*inclusive && ord == Ordering::Equal)
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_cpe_forms_parse_to_the_same_parts() {
        let a = Cpe::parse("cpe:/o:fortinet:fortios").ok();
        let b = Cpe::parse("cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*").ok();
        assert!(a.is_some() && a == b);
        let v = Cpe::parse("cpe:2.3:a:sample-jichitai:juki_system:8.1:*:*:*:*:*:*:*").ok();
        assert_eq!(v.and_then(|c| c.version), Some("8.1".to_owned()));
    }

    #[test]
    fn escapes_and_percent_encoding_are_undone() {
        let c = Cpe::parse("cpe:/a:rockwellautomation:industrial_data_center_%28idc%29_with_veeam")
            .ok();
        assert_eq!(
            c.map(|c| c.product),
            Some("industrial_data_center_(idc)_with_veeam".to_owned())
        );
        let c = Cpe::parse(r"cpe:2.3:a:dendai.ac.jp:myjvn\:api:4.0.0:*:*:*:*:*:*:*").ok();
        assert_eq!(c.map(|c| c.product), Some("myjvn:api".to_owned()));
    }

    #[test]
    fn malformed_names_are_rejected() {
        for bad in [
            "",
            "fortios",
            "cpe:/x:fortinet:fortios",
            "cpe:2.3:a:fortinet",
            "cpe:/a::fortios",
        ] {
            assert!(Cpe::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn version_ranges_compare_numerically() {
        let r = VersionRange::parse(">=7.0, <7.2.7").ok();
        let contains = |v: &str| r.as_ref().is_some_and(|r| r.contains(v));
        assert!(contains("7.0") && contains("7.2.6") && contains("7.0.12"));
        assert!(!contains("7.2.7") && !contains("6.4.15") && !contains("7.10"));
        assert!(VersionRange::parse("=8.2").is_ok_and(|r| r.contains("8.2") && !r.contains("8.3")));
        assert!(VersionRange::parse("7.0").is_err());
        assert!(VersionRange::parse(">=7.0; DROP TABLE").is_err());
        assert_eq!(compare_versions("7.2.10", "7.2.9"), Ordering::Greater);
    }
}
