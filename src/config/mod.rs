//! Settings: compiled defaults < an optional TOML file < `NOROSHI__SECTION__KEY` environment
//! variables. Loading fails with a message that names the key and the reason; secrets are
//! `SecretString` and never appear in `Debug` output, logs or `noroshi config show`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, Serializer};
use url::Url;

/// The environment variable that names the settings file when `--config` is not given.
pub const CONFIG_ENV: &str = "NOROSHI_CONFIG";
/// The prefix of environment overrides: `NOROSHI__SERVER__PORT=8081` sets `server.port`.
pub const ENV_PREFIX: &str = "NOROSHI__";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read settings: {0}")]
    Load(#[from] Box<figment::Error>),
    #[error("settings file {0} does not exist")]
    MissingFile(PathBuf),
    #[error("invalid setting `{key}`: {reason}")]
    Invalid { key: &'static str, reason: String },
}

fn invalid(key: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key,
        reason: reason.into(),
    }
}

/// Everything Noroshi can be told at start-up.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Where the hub keeps its files and how it is reached.
    pub app: AppSettings,
    /// The HTTP listener.
    pub server: ServerSettings,
    /// The database (SQLite by default, PostgreSQL when the URL says so).
    pub database: DatabaseSettings,
    /// Logging.
    pub log: LogSettings,
    /// Passwords and sessions.
    pub auth: AuthSettings,
    /// Reading upstream sources.
    pub ingest: IngestSettings,
    /// Classification rules and the draft policy.
    pub classify: ClassifySettings,
    /// Outgoing mail: relay, sender, DKIM, pace.
    pub mail: MailSettings,
    /// Feeds out (RSS, Atom, JSON Feed, CAP).
    pub feeds: FeedSettings,
    /// The case library's search engine.
    pub search: search::SearchSettings,
    /// Incident reports: timers and the central desk.
    pub reports: reports::ReportSettings,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeedSettings {
    /// Rendered feeds kept in memory by ETag (0: render every full request).
    pub render_cache_entries: usize,
}

impl Default for FeedSettings {
    fn default() -> Self {
        Self {
            render_cache_entries: 256,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AppSettings {
    /// Folder for the SQLite database, the search index, raw documents and .eml files.
    /// Created on first run.
    pub data_dir: PathBuf,
    /// The address users reach the portal at; used in mails and feeds.
    pub base_url: Url,
    /// Which parts run in this process: `web`, `workers`, or both (`web,workers`).
    pub roles: ProcessRoles,
}

impl Default for AppSettings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("var"),
            base_url: default_base_url(),
            roles: ProcessRoles::default(),
        }
    }
}

#[allow(clippy::expect_used)] // a compiled-in constant
fn default_base_url() -> Url {
    Url::parse("http://localhost:8080/").expect("the default base URL is valid")
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// Interface to listen on.
    pub host: String,
    /// Port to listen on; 0 picks a free one (tests do this).
    pub port: u16,
    /// HTTP worker threads; unset means one per CPU core.
    pub http_workers: Option<usize>,
    /// How long a stop waits for requests in flight, in seconds.
    pub shutdown_timeout_secs: u64,
    /// The bearer token `/metrics` asks for. Unset: `/metrics` answers only requests from this
    /// machine (a scraper beside the hub); anything else gets 404.
    #[serde(serialize_with = "serialize_hidden")]
    pub metrics_token: Option<SecretString>,
    /// Reverse proxies (addresses or networks, `10.0.0.0/8`) whose `X-Forwarded-For` entries
    /// are believed: the client is the last hop before them, read from the right. A request
    /// from anywhere else is its own client. Default: a proxy on this machine.
    pub trusted_proxies: Vec<ProxyNet>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 8080,
            http_workers: None,
            shutdown_timeout_secs: 30,
            metrics_token: None,
            trusted_proxies: proxies::loopback(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://path/to/file.db` or `postgres://user:password@host/db`. Unset means a SQLite file
    /// `noroshi.db` in the data directory. May contain a password, so it is a secret.
    #[serde(serialize_with = "serialize_database_url")]
    pub url: Option<SecretString>,
    /// Largest number of pooled connections.
    pub max_connections: u32,
    /// Seconds to wait for a connection before giving up.
    pub connect_timeout_secs: u64,
    /// Apply pending migrations when `serve` starts.
    pub migrate_on_start: bool,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: None,
            max_connections: 10,
            connect_timeout_secs: 10,
            migrate_on_start: true,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// `auto` (human on a terminal, JSON otherwise), `human` or `json`.
    pub format: LogFormat,
    /// A tracing filter such as `info` or `noroshi=debug,actix_web=info`. `RUST_LOG` wins when set.
    pub level: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: LogFormat::Auto,
            level: "info".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Auto,
    Human,
    Json,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// argon2id memory cost in KiB (OWASP: at least 19,456).
    pub argon2_memory_kib: u32,
    /// argon2id iterations.
    pub argon2_iterations: u32,
    /// argon2id parallelism.
    pub argon2_parallelism: u32,
    /// Shortest password accepted.
    pub min_password_length: usize,
    /// Password checks (argon2, `argon2_memory_kib` each) run at once; more wait up to 5 s,
    /// then the login answers 503 with `Retry-After`.
    pub password_checks: usize,
    /// Login attempts accepted per client address per minute (0: no limit); more answer 429
    /// with `Retry-After`.
    pub login_attempts_per_minute: usize,
    /// Central approvers, hub, prefecture and organisation administrators sign in with a
    /// second factor (TOTP) as well; they set it up at their first sign-in. On by default;
    /// `noroshi demo` turns it off.
    pub require_second_factor: bool,
    /// Key file the second factors' secrets are sealed with (64 hex characters; created when
    /// missing). Unset: `<data_dir>/keys/second-factor.key`. Every hub process must share it.
    pub second_factor_key: Option<PathBuf>,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            min_password_length: 12,
            password_checks: std::thread::available_parallelism().map_or(2, |n| n.get() * 2),
            login_attempts_per_minute: 20,
            require_second_factor: true,
            second_factor_key: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct IngestSettings {
    /// The source catalogue. Relative paths in it are relative to its folder.
    pub catalogue: PathBuf,
    /// Poll sources in the background (the `workers` role).
    pub poll: bool,
    /// Read each source's offline sample instead of its URL (demo, air-gapped installations).
    pub offline: bool,
    /// Polling workers per process: how many sources are fetched at once.
    pub pollers: usize,
}

impl Default for IngestSettings {
    fn default() -> Self {
        Self {
            catalogue: PathBuf::from("feeds/sources.toml"),
            poll: true,
            offline: false,
            pollers: 2,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClassifySettings {
    /// The classification rules (categories, severity, products, relevance).
    pub rules: PathBuf,
    /// Which classified advisories become alert drafts by themselves, and for whom.
    pub policy: PathBuf,
    /// Apply the draft policy as advisories are classified.
    pub auto_drafts: bool,
}

impl Default for ClassifySettings {
    fn default() -> Self {
        Self {
            rules: PathBuf::from("feeds/classification.toml"),
            policy: PathBuf::from("feeds/draft_policy.toml"),
            auto_drafts: true,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailSettings {
    /// `smtp://host:25` (plain), `smtp://host:587?tls=starttls`, `smtps://host:465`, with
    /// `user:password@` when the relay wants it — then only with TLS (a password is never sent
    /// in clear). Unset: messages are written as .eml files under the data directory. May hold
    /// a password, so it is a secret.
    #[serde(serialize_with = "serialize_database_url")]
    pub smtp_url: Option<SecretString>,
    /// The sender, `Name <address>`; its domain names Message-IDs and is the DKIM domain.
    pub from: String,
    /// Persistent SMTP connections per delivery lane.
    pub connections: usize,
    /// Most messages per second to the relay (0 = no limit); enforced where mail is sent.
    pub rate_per_second: u32,
    /// Most messages claimed per batch (a lane claims `connections × pipeline_depth`, what it
    /// can send soon, up to this; it claims the next batch while one is on the wire).
    pub batch: usize,
    /// Messages each connection sends before their outcomes are written to the ledger: what a
    /// process can have sent but not yet recorded (and so send twice if it dies) is at most
    /// `connections × pipeline_depth` per lane.
    pub pipeline_depth: usize,
    /// Attempts before a temporarily failing recipient is given up.
    pub max_attempts: u32,
    /// First retry delay in seconds; doubles per attempt, with jitter.
    pub retry_base_secs: u64,
    /// How long a claimed message may stay in `sending` before another worker takes it over.
    /// A worker renews the lease of what it holds every third of this while it sends, so it
    /// can be short: a dead process's messages are taken over within about two lease periods.
    pub lease_secs: u64,
    /// Add an HTML alternative after the plain text (UTF-8 recipients only).
    pub html: bool,
    /// DKIM signing domain; unset means the From domain.
    pub dkim_domain: Option<String>,
    /// DKIM selector for the RSA key.
    pub dkim_selector: String,
    /// PEM file of the RSA-2048 (or larger) DKIM key; unset: no DKIM signature.
    pub dkim_rsa_key: Option<PathBuf>,
    /// Selector for the additional Ed25519 signature.
    pub dkim_ed25519_selector: String,
    /// PEM (PKCS#8) file of an Ed25519 key for a second signature (RFC 8463).
    pub dkim_ed25519_key: Option<PathBuf>,
    /// Key file for the acknowledgement links in mail (64 hex characters; created when missing).
    /// Unset: `<data_dir>/keys/ack-link.key`. Every process that sends mail must share it.
    pub ack_link_key: Option<PathBuf>,
    /// The envelope sender bounces come back to; each delivery's is made unique as
    /// `local+<delivery>-<check>@domain` (VERP), so a bounce finds its ledger row even when it
    /// quotes nothing. Unset: `bounce@` the domain of `from`. The site's MTA delivers this
    /// address (with any `+` extension) and replies to `from` into `inbound_maildir`.
    pub bounce_address: Option<String>,
    /// The Maildir the site's MTA delivers bounces, auto-replies and replies into. Unset:
    /// `<data_dir>/inbound`. Read by the `inbound` worker; processed files move to `cur/`.
    pub inbound_maildir: Option<PathBuf>,
    /// Permanent bounces after which a contact counts as unreachable (until confirmed again).
    pub hard_bounce_limit: u32,
    /// The authserv-id our MTA writes its `Authentication-Results` under (OpenDKIM and
    /// OpenDMARC's `AuthservID`). A reply acknowledges an alert only when that header, on top,
    /// says DMARC or aligned DKIM passed for the sender's domain. Unset: no reply acknowledges
    /// by itself; each waits for an operator.
    pub authserv_id: Option<String>,
    /// The 問合せ先 footer of every alert mail (who to call about it).
    pub inquiries: String,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            smtp_url: None,
            from: "Noroshi 自治体CEPTOAR <noreply@noroshi.example>".into(),
            connections: 4,
            rate_per_second: 0,
            batch: 500,
            pipeline_depth: 12,
            max_attempts: 8,
            retry_base_secs: 60,
            lease_secs: 5,
            html: true,
            dkim_domain: None,
            dkim_selector: "noroshi".into(),
            dkim_rsa_key: None,
            dkim_ed25519_selector: "noroshi-ed".into(),
            dkim_ed25519_key: None,
            ack_link_key: None,
            bounce_address: None,
            inbound_maildir: None,
            hard_bounce_limit: 3,
            authserv_id: None,
            inquiries: "自治体CEPTOAR 事務局（デモ）ceptoar-desk@noroshi.example 電話 03-0000-0000（平日 9:30〜18:15）".into(),
        }
    }
}

fn serialize_database_url<S: Serializer>(
    url: &Option<SecretString>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match url {
        None => s.serialize_none(),
        Some(secret) => s.serialize_str(&redact_url(secret.expose_secret())),
    }
}

/// A key that is never printed: `********` when set.
pub fn serialize_hidden<S: Serializer>(
    key: &Option<SecretString>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match key {
        None => s.serialize_none(),
        Some(_) => s.serialize_str("********"),
    }
}

/// A database URL fit to print: the password, if any, replaced by `********`.
pub fn redact_url(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("********"));
            url.to_string()
        }
        Ok(url) => url.to_string(),
        Err(_) => "[unparseable, hidden]".into(),
    }
}

impl Settings {
    /// Loads settings from the defaults, the file (if any) and the environment, then checks them.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let env_file = std::env::var_os(CONFIG_ENV).map(PathBuf::from);
        let file = file.map(Path::to_path_buf).or(env_file);
        let mut figment = Figment::new();
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError::MissingFile(path));
            }
            figment = figment.merge(Toml::file(path));
        }
        figment = figment.merge(Env::prefixed(ENV_PREFIX).split("__"));
        let settings: Settings = figment.extract().map_err(Box::new)?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks what types alone cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.app.data_dir.as_os_str().is_empty() {
            return Err(invalid("app.data_dir", "must not be empty"));
        }
        if !matches!(self.app.base_url.scheme(), "http" | "https") {
            return Err(invalid(
                "app.base_url",
                "must be an http:// or https:// URL",
            ));
        }
        if let Some(url) = &self.database.url {
            DatabaseKind::of_url(url.expose_secret())
                .map_err(|reason| invalid("database.url", reason))?;
        }
        for (key, path) in [
            ("ingest.catalogue", &self.ingest.catalogue),
            ("classify.rules", &self.classify.rules),
            ("classify.policy", &self.classify.policy),
        ] {
            if !path.is_file() {
                let from = std::env::current_dir()
                    .map(|d| format!(" (relative to {})", d.display()))
                    .unwrap_or_default();
                let hint = if path.is_relative() {
                    format!(
                        "{from}; run Noroshi from the folder that holds feeds/, or give an absolute path"
                    )
                } else {
                    String::new()
                };
                return Err(invalid(
                    key,
                    format!("{} is not a readable file{hint}", path.display()),
                ));
            }
        }
        self.search
            .check()
            .map_err(|reason| invalid("search.engine", reason))?;
        self.reports
            .check()
            .map_err(|(key, reason)| invalid(key, reason))?;
        if self.database.max_connections == 0 {
            return Err(invalid("database.max_connections", "must be at least 1"));
        }
        if self.server.http_workers == Some(0) {
            return Err(invalid("server.http_workers", "must be at least 1"));
        }
        tracing_subscriber::EnvFilter::try_new(&self.log.level)
            .map_err(|e| invalid("log.level", e.to_string()))?;
        argon2::Params::new(
            self.auth.argon2_memory_kib,
            self.auth.argon2_iterations,
            self.auth.argon2_parallelism,
            None,
        )
        .map_err(|e| invalid("auth.argon2_memory_kib", format!("argon2 parameters: {e}")))?;
        if self.mail.connections == 0 || self.mail.connections > 64 {
            return Err(invalid("mail.connections", "must be from 1 to 64"));
        }
        if self.mail.batch == 0 || self.mail.batch > 5000 {
            return Err(invalid("mail.batch", "must be from 1 to 5000"));
        }
        if self.mail.max_attempts == 0 {
            return Err(invalid("mail.max_attempts", "must be at least 1"));
        }
        if self.mail.lease_secs == 0 {
            return Err(invalid("mail.lease_secs", "must be at least 1"));
        }
        crate::domain::mail::Mailbox::parse(&self.mail.from)
            .map_err(|e| invalid("mail.from", e))?;
        if let Some(b) = &self.mail.bounce_address {
            crate::domain::mail::BounceAddress::parse(b)
                .map_err(|e| invalid("mail.bounce_address", e))?;
        }
        if self.mail.hard_bounce_limit == 0 {
            return Err(invalid("mail.hard_bounce_limit", "must be at least 1"));
        }
        if self.mail.inquiries.chars().count() > 500 || self.mail.inquiries.contains('\0') {
            return Err(invalid("mail.inquiries", "must be at most 500 characters"));
        }
        if let Some(url) = &self.mail.smtp_url {
            crate::domain::mail::RelayUrl::parse(url.expose_secret())
                .map_err(|e| invalid("mail.smtp_url", e))?;
        }
        if self.ingest.pollers == 0 || self.ingest.pollers > 32 {
            return Err(invalid("ingest.pollers", "must be from 1 to 32"));
        }
        if self.auth.min_password_length < 8 {
            return Err(invalid("auth.min_password_length", "must be at least 8"));
        }
        Ok(())
    }

    /// The database URL in force: the configured one, or the SQLite file in the data directory.
    pub fn database_url(&self) -> SecretString {
        match &self.database.url {
            Some(url) => url.clone(),
            None => {
                let path = self.app.data_dir.join("noroshi.db");
                SecretString::from(format!("sqlite://{}?mode=rwc", path.display()))
            }
        }
    }

    pub fn shutdown_timeout(&self) -> Duration {
        Duration::from_secs(self.server.shutdown_timeout_secs)
    }

    /// The effective settings as TOML, secrets redacted.
    pub fn to_redacted_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot render settings: {e}"))
    }
}

/// The two database back ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

impl DatabaseKind {
    pub fn of_url(url: &str) -> Result<Self, String> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err("must start with sqlite: or postgres:// (other databases are not supported)".into())
        }
    }
}

mod proxies;
pub mod reports;
mod roles;
pub use proxies::ProxyNet;
pub mod search;
pub use roles::ProcessRoles;

#[cfg(test)]
mod tests;
