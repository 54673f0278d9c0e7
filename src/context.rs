//! The application context: everything a handler or a worker needs (settings, the database,
//! the mailer, the search index, the HTTP client, shared caches), cheap to clone. It sits at the
//! bottom of the house: every capability and edge may take it, and it names no edge's own state
//! (the portal keeps its page caches — inbox pages among them — in its own `app_data`,
//! `portal::state::PortalState`, and the feeds their rendered documents in theirs).
//! `startup` builds it and imports everything; nothing imports `startup`.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

use crate::alerts::policy::DraftPolicy;
use crate::classify::rules::Rules;
use crate::config::Settings;
use crate::ingest::catalogue::{Catalogue, Location};
use crate::telemetry::Metrics;

/// Everything a handler or worker needs, cheap to clone. No global state lives anywhere else.
#[derive(Clone)]
pub struct AppContext {
    pub settings: Arc<Settings>,
    pub db: DatabaseConnection,
    pub metrics: Arc<Metrics>,
    /// The upstream sources.
    pub catalogue: Arc<Catalogue>,
    /// The compiled classification rules.
    pub rules: Arc<Rules>,
    /// The draft policy.
    pub policy: Arc<DraftPolicy>,
    /// The client for upstream fetches: public addresses only, no https → http redirects.
    pub http: reqwest::Client,
    /// The same for sources that say `allow_private_network` (a mirror on the LAN, tests).
    pub http_private: reqwest::Client,
    /// Turns ledger rows into mail (relay or .eml outbox, DKIM).
    pub mailer: Arc<crate::delivery::Mailer>,
    /// The alerts' mail: revisions being sent, their templates and acknowledgement links.
    pub alert_mail: Arc<crate::alerts::mail::AlertMail>,
    /// The メールマガジン's mail: issues being sent, audience classes, signed bodies.
    pub magazine_mail: Arc<crate::magazine::mail::MagazineMail>,
    /// This process, as named in leases it holds.
    pub instance: Arc<str>,
    /// Cancelled when the hub stops; workers finish their unit and return.
    pub shutdown: CancellationToken,
    /// The case library's search index (embedded or Meilisearch).
    pub search: crate::search::SearchIndex,
    /// Bounds password checks and login attempts per client address (per process).
    pub login_gate: Arc<crate::auth::session::LoginGate>,
    /// Seals the second factors' secrets (key outside the database).
    pub second_factor: Arc<crate::auth::second_factor::Sealer>,
}

impl AppContext {
    /// Connects to the database and prepares it (migrations and registry seed, unless disabled).
    pub async fn connect(settings: Settings) -> anyhow::Result<Self> {
        let catalogue = Catalogue::load(&settings.ingest.catalogue, &settings.app.data_dir)?;
        let rules = Rules::load(&settings.classify.rules)?;
        let policy = DraftPolicy::load(&settings.classify.policy).map_err(anyhow::Error::msg)?;
        let db = crate::db::connect(&settings).await?;
        if settings.database.migrate_on_start {
            crate::db::migrate(&db).await?;
            crate::registry::seed(&db).await?;
        } else {
            let pending = crate::db::pending_migrations(&db).await?;
            if !pending.is_empty() {
                tracing::warn!(
                    ?pending,
                    "migrations are pending and database.migrate_on_start is off: run `noroshi migrate`"
                );
            }
        }
        // Sources with nothing to poll keep a health row (for counts) but are never claimed.
        let keys: Vec<(String, bool)> = catalogue
            .iter()
            .map(|s| (s.key.clone(), s.enabled && s.location != Location::Manual))
            .collect();
        crate::ingest::store::ensure_sources(&db, &keys, chrono::Utc::now()).await?;
        let http = crate::ingest::fetch::client(&settings.app.base_url, false)?;
        let http_private = crate::ingest::fetch::client(&settings.app.base_url, true)?;
        let mailer = Arc::new(crate::delivery::Mailer::from_settings(&settings)?);
        let search =
            crate::search::SearchIndex::open(&settings.search, &settings.app.data_dir).await?;
        let alert_mail = Arc::new(crate::alerts::mail::AlertMail::from_settings(&settings)?);
        let key_file = settings
            .auth
            .second_factor_key
            .clone()
            .unwrap_or_else(|| settings.app.data_dir.join("keys").join("second-factor.key"));
        let second_factor = Arc::new(crate::auth::second_factor::Sealer::new(
            &crate::keys::load_or_create(&key_file, "second factors")?,
        )?);
        Ok(Self {
            second_factor,
            search,
            mailer,
            alert_mail,
            magazine_mail: Arc::default(),
            login_gate: Arc::new(crate::auth::session::LoginGate::new(&settings.auth)),
            settings: Arc::new(settings),
            db,
            metrics: Metrics::new(),
            catalogue: Arc::new(catalogue),
            rules: Arc::new(rules),
            policy: Arc::new(policy),
            http,
            http_private,
            instance: instance_name().into(),
            shutdown: CancellationToken::new(),
        })
    }
}

/// `host:pid:random`, unique per process, for poll and work leases.
fn instance_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "noroshi".into());
    let nonce: u32 = rand::random();
    format!("{host}:{}:{nonce:08x}", std::process::id())
}

impl AppContext {
    /// What the polling job needs (handles, cheap to clone).
    pub fn poller(&self) -> crate::ingest::worker::Poller {
        crate::ingest::worker::Poller {
            settings: Arc::clone(&self.settings),
            db: self.db.clone(),
            instance: Arc::clone(&self.instance),
            catalogue: Arc::clone(&self.catalogue),
            http: self.http.clone(),
            http_private: self.http_private.clone(),
            metrics: Arc::clone(&self.metrics),
        }
    }

    /// What a contact-confirmation link is made of.
    pub fn contact_links(&self) -> crate::contacts::Links<'_> {
        crate::contacts::Links {
            verp: &self.mailer.verp,
            base_url: &self.settings.app.base_url,
        }
    }

    /// What reading the inbound Maildir needs.
    pub fn inbox(&self) -> crate::inbound::Inbox<'_> {
        crate::inbound::Inbox {
            db: self.db.clone(),
            verp: &self.mailer.verp,
            hard_bounce_limit: self.settings.mail.hard_bounce_limit,
            authserv_id: self.settings.mail.authserv_id.clone(),
            mailing: crate::reports::mail::Mailing::of(&self.settings),
        }
    }
}
