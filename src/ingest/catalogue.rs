//! The source catalogue, `feeds/sources.toml`: one entry per upstream source with a stable key,
//! where to read it (URL, local file or Maildir folder), its format, how often, and its limits.
//! Loading checks every entry and names the source and field that is wrong.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use super::parse::Format;

/// Limits that apply where a source does not set its own.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Defaults {
    /// Minutes between polls.
    pub interval_minutes: u64,
    /// Largest document accepted, after decompression.
    pub max_bytes: u64,
    /// Longest a whole fetch may take, in seconds (a server that drips bytes is cut off).
    pub timeout_secs: u64,
    /// Most documents a ROLIE feed may make us fetch in one poll.
    pub max_documents: usize,
}

impl Default for Defaults {
    fn default() -> Self {
        Self {
            interval_minutes: 30,
            max_bytes: 20 * 1024 * 1024,
            timeout_secs: 60,
            max_documents: 50,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    key: String,
    name: String,
    format: Format,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    path: Option<PathBuf>,
    #[serde(default)]
    maildir: Option<PathBuf>,
    #[serde(default)]
    sample: Option<PathBuf>,
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default)]
    interval_minutes: Option<u64>,
    #[serde(default)]
    max_bytes: Option<u64>,
    #[serde(default)]
    timeout_secs: Option<u64>,
    #[serde(default)]
    max_documents: Option<usize>,
    #[serde(default)]
    allowed_senders: Vec<String>,
    #[serde(default)]
    allow_private_network: bool,
    #[serde(default)]
    authserv_id: Option<String>,
    #[serde(default = "yes")]
    require_authentication: bool,
    /// For mail: what the messages are — `nco_notice` (the default) or `jpcert_early_warning`
    /// (JPCERT/CC's 早期警戒情報, TLP:AMBER unless the message is marked otherwise).
    #[serde(default)]
    mail_kind: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalogue {
    #[serde(default)]
    defaults: Defaults,
    #[serde(default, rename = "source")]
    sources: Vec<RawEntry>,
}

/// Where a source is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// Polled over HTTP(S).
    Url(Url),
    /// A local file, re-read each poll (offline snapshots, files dropped by another system).
    File(PathBuf),
    /// A Maildir folder whose `new/` messages are ingested and moved to `cur/`.
    Maildir(PathBuf),
    /// Nothing to poll: items arrive by `noroshi ingest …` or the portal.
    Manual,
}

/// One source, checked.
#[derive(Debug, Clone)]
pub struct SourceDef {
    pub key: String,
    pub name: String,
    pub format: Format,
    pub location: Location,
    /// An offline snapshot of this source (used by `noroshi demo` and air-gapped installs).
    pub sample: Option<PathBuf>,
    pub enabled: bool,
    pub interval: Duration,
    pub max_bytes: u64,
    pub timeout: Duration,
    pub max_documents: usize,
    /// For mail: sender addresses or domains accepted (`@cyber.go.jp`, `alert@nisc.go.jp`).
    pub allowed_senders: Vec<String>,
    /// May this source (and what it redirects or links to) be on a loopback, private or
    /// link-local address? Off by default: see `fetch::client`.
    pub allow_private_network: bool,
    /// For mail: the authserv-id our own MTA writes in `Authentication-Results`; a message is
    /// ingested only when that header says DKIM (aligned) or DMARC passed
    /// (`domain::auth_results`). `None` only when the entry says
    /// `require_authentication = false`.
    pub authserv_id: Option<String>,
    pub note: Option<String>,
    /// For mail: the kind of advisory its messages become (`ingest::model::kind`).
    pub mail_kind: &'static str,
}

impl SourceDef {
    /// Whether a mail from `address` may be ingested by this source.
    pub fn accepts_sender(&self, address: &str) -> bool {
        let address = address.to_ascii_lowercase();
        self.allowed_senders.is_empty()
            || self.allowed_senders.iter().any(|allowed| {
                let allowed = allowed.to_ascii_lowercase();
                if let Some(domain) = allowed.strip_prefix('@') {
                    address
                        .rsplit_once('@')
                        .is_some_and(|(_, d)| d == domain || d.ends_with(&format!(".{domain}")))
                } else {
                    address == allowed
                }
            })
    }

    /// Where the poller reads from: the sample when offline, otherwise the location.
    pub fn poll_location(&self, offline: bool) -> Location {
        match (&self.location, offline, &self.sample) {
            (Location::Url(_), true, Some(sample)) => Location::File(sample.clone()),
            (Location::Url(_), true, None) => Location::Manual,
            (location, _, _) => location.clone(),
        }
    }
}

/// All sources, by key.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    pub path: PathBuf,
    sources: BTreeMap<String, SourceDef>,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("cannot read the source catalogue {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("source catalogue {path}: {reason}")]
    Syntax { path: PathBuf, reason: String },
    #[error("source catalogue {path}, source `{key}`: {reason}")]
    Entry {
        path: PathBuf,
        key: String,
        reason: String,
    },
}

impl Catalogue {
    /// Reads and checks the catalogue. Relative `path`, `sample` and `maildir` values are taken
    /// relative to the catalogue's folder (`maildir` relative to `data_dir`).
    pub fn load(path: &Path, data_dir: &Path) -> Result<Self, CatalogueError> {
        let text = std::fs::read_to_string(path).map_err(|e| CatalogueError::Read {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        Self::from_toml(&text, path, data_dir)
    }

    pub fn from_toml(text: &str, path: &Path, data_dir: &Path) -> Result<Self, CatalogueError> {
        let raw: RawCatalogue = toml::from_str(text).map_err(|e| CatalogueError::Syntax {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut sources = BTreeMap::new();
        for entry in raw.sources {
            let key = entry.key.clone();
            let def = check(entry, &raw.defaults, base, data_dir).map_err(|reason| {
                CatalogueError::Entry {
                    path: path.to_path_buf(),
                    key: key.clone(),
                    reason,
                }
            })?;
            if sources.insert(key.clone(), def).is_some() {
                return Err(CatalogueError::Entry {
                    path: path.to_path_buf(),
                    key,
                    reason: "the key is used twice".into(),
                });
            }
        }
        Ok(Self {
            path: path.to_path_buf(),
            sources,
        })
    }

    pub fn get(&self, key: &str) -> Option<&SourceDef> {
        self.sources.get(key)
    }

    pub fn iter(&self) -> impl Iterator<Item = &SourceDef> {
        self.sources.values()
    }

    /// The first source of `format`, for `noroshi ingest mail` without `--source`.
    pub fn first_of(&self, format: Format) -> Option<&SourceDef> {
        self.sources.values().find(|s| s.format == format)
    }

    /// Adds or replaces a source (tests and the demo build catalogues in code).
    pub fn insert(&mut self, def: SourceDef) {
        self.sources.insert(def.key.clone(), def);
    }
}

fn check(e: RawEntry, d: &Defaults, base: &Path, data_dir: &Path) -> Result<SourceDef, String> {
    let key_ok = !e.key.is_empty()
        && e.key.len() <= 64
        && e.key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !key_ok {
        return Err("`key` must be 1–64 characters of a–z, 0–9 and -".into());
    }
    if e.name.trim().is_empty() {
        return Err("`name` is empty".into());
    }
    let location = match (&e.url, &e.path, &e.maildir) {
        (Some(u), None, None) => {
            let url = Url::parse(u).map_err(|err| format!("`url` {u:?} is not a URL: {err}"))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(format!("`url` must be http or https, not {}", url.scheme()));
            }
            Location::Url(url)
        }
        (None, Some(p), None) => Location::File(base.join(p)),
        (None, None, Some(m)) => {
            if e.format != Format::Mail {
                return Err("`maildir` is only for format = \"mail\"".into());
            }
            Location::Maildir(data_dir.join(m))
        }
        (None, None, None) => {
            if !matches!(e.format, Format::Mail | Format::Manual) {
                return Err("needs one of `url`, `path` or `maildir`".into());
            }
            Location::Manual
        }
        _ => return Err("give only one of `url`, `path` and `maildir`".into()),
    };
    let interval = e.interval_minutes.unwrap_or(d.interval_minutes);
    if interval == 0 {
        return Err("`interval_minutes` must be at least 1".into());
    }
    let max_bytes = e.max_bytes.unwrap_or(d.max_bytes);
    if max_bytes < 1024 {
        return Err("`max_bytes` must be at least 1024".into());
    }
    let timeout = e.timeout_secs.unwrap_or(d.timeout_secs);
    if timeout == 0 {
        return Err("`timeout_secs` must be at least 1".into());
    }
    let authserv_id = e
        .authserv_id
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_owned);
    if e.format == Format::Mail && e.require_authentication && authserv_id.is_none() {
        return Err(
            "a mail source needs `authserv_id` (the authserv-id your mail server writes in \
             Authentication-Results), or `require_authentication = false` to trust the From \
             header alone (anyone can forge it)"
                .into(),
        );
    }
    for sender in &e.allowed_senders {
        if !sender.contains('@') {
            return Err(format!(
                "`allowed_senders` entry {sender:?} must be an address or @domain"
            ));
        }
    }
    let sample = e.sample.map(|s| base.join(s));
    if let Some(s) = &sample
        && !s.is_file()
    {
        return Err(format!("`sample` {} does not exist", s.display()));
    }
    let mail_kind = match e.mail_kind.as_deref() {
        None | Some("nco_notice") => crate::ingest::model::kind::NCO_NOTICE,
        Some("jpcert_early_warning") if e.format == Format::Mail => {
            crate::ingest::model::kind::JPCERT_EARLY_WARNING
        }
        Some(other) => {
            return Err(format!(
                "`mail_kind` {other:?} is not nco_notice or jpcert_early_warning (and is only for format = \"mail\")"
            ));
        }
    };
    Ok(SourceDef {
        mail_kind,
        key: e.key,
        name: e.name,
        format: e.format,
        location,
        sample,
        enabled: e.enabled,
        interval: Duration::from_secs(interval * 60),
        max_bytes,
        timeout: Duration::from_secs(timeout),
        max_documents: e.max_documents.unwrap_or(d.max_documents),
        allowed_senders: e.allowed_senders,
        allow_private_network: e.allow_private_network,
        authserv_id,
        note: e.note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(toml: &str) -> Result<Catalogue, CatalogueError> {
        Catalogue::from_toml(toml, Path::new("feeds/sources.toml"), Path::new("var"))
    }

    #[test]
    fn the_shipped_catalogue_loads() {
        let c = Catalogue::load(Path::new("feeds/sources.toml"), Path::new("var"));
        let c = c.map_err(|e| e.to_string());
        assert!(c.is_ok(), "{c:?}");
        let c = c.unwrap_or_default();
        for key in [
            "jpcert-ja",
            "jpcert-en",
            "jvn",
            "jvndb-new",
            "cisa-kev",
            "nco-mail",
            "jpcert-ew",
            "manual",
        ] {
            assert!(c.get(key).is_some(), "{key} is missing");
        }
        assert_eq!(
            c.get("jpcert-ew").map(|s| s.mail_kind),
            Some(crate::ingest::model::kind::JPCERT_EARLY_WARNING)
        );
        let without_sample: Vec<&str> = c
            .iter()
            .filter(|s| s.enabled && matches!(s.location, Location::Url(_)) && s.sample.is_none())
            .map(|s| s.key.as_str())
            .collect();
        assert!(
            without_sample.is_empty(),
            "enabled sources without an offline sample: {without_sample:?}"
        );
    }

    #[test]
    fn mistakes_name_the_source_and_the_field() {
        let err = load(
            "[[source]]\nkey = \"x\"\nname = \"X\"\nformat = \"jvn-rss\"\nurl = \"ftp://a/b\"\n",
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(
            err.contains("source `x`") && err.contains("http or https"),
            "{err}"
        );
        let err = load(
            "[[source]]\nkey = \"x\"\nname = \"X\"\nformat = \"rss3\"\nurl = \"https://a/\"\n",
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(err.contains("rss3"), "{err}");
        let err = load(
            "[[source]]\nkey = \"X Y\"\nname = \"X\"\nformat = \"feed\"\nurl = \"https://a/\"\n",
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(err.contains("`key` must be"), "{err}");
    }

    #[test]
    fn senders_match_by_address_or_domain() {
        let c = load(
            "[[source]]\nkey = \"m\"\nname = \"M\"\nformat = \"mail\"\nauthserv_id = \"mx.example\"\nallowed_senders = [\"@cyber.go.jp\", \"alert@nisc.go.jp\"]\n",
        );
        let c = c.map_err(|e| e.to_string());
        assert!(c.is_ok(), "{c:?}");
        let c = c.unwrap_or_default();
        let m = c.get("m");
        assert!(m.is_some_and(|m| m.accepts_sender("Notice@Cyber.go.jp")));
        assert!(m.is_some_and(|m| m.accepts_sender("x@soc.cyber.go.jp")));
        assert!(m.is_some_and(|m| m.accepts_sender("alert@nisc.go.jp")));
        assert!(m.is_some_and(|m| !m.accepts_sender("other@nisc.go.jp")));
        assert!(m.is_some_and(|m| !m.accepts_sender("x@cyber.go.jp.evil.example")));
        assert!(m.is_some_and(|m| !m.accepts_sender("x@evilcyber.go.jp")));
    }
}
