//! `--roles web,workers`: which halves of the hub run in one process.

#[allow(unused_imports)]
use super::*;

/// Which halves of the hub run in this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessRoles {
    pub web: bool,
    pub workers: bool,
}

impl Default for ProcessRoles {
    fn default() -> Self {
        Self {
            web: true,
            workers: true,
        }
    }
}

impl ProcessRoles {
    /// Parses `web`, `workers` or `web,workers`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut roles = Self {
            web: false,
            workers: false,
        };
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part {
                "web" => roles.web = true,
                "workers" => roles.workers = true,
                other => {
                    return Err(format!(
                        "unknown role `{other}`: expected `web`, `workers` or `web,workers`"
                    ));
                }
            }
        }
        if !roles.web && !roles.workers {
            return Err("at least one of `web` and `workers` is needed".into());
        }
        Ok(roles)
    }
}

impl std::fmt::Display for ProcessRoles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.web, self.workers) {
            (true, true) => f.write_str("web,workers"),
            (true, false) => f.write_str("web"),
            _ => f.write_str("workers"),
        }
    }
}

impl Serialize for ProcessRoles {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ProcessRoles {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(String),
            Many(Vec<String>),
        }
        let joined = match Raw::deserialize(d)? {
            Raw::One(s) => s,
            Raw::Many(v) => v.join(","),
        };
        Self::parse(&joined).map_err(serde::de::Error::custom)
    }
}
