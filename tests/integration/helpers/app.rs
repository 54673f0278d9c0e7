//! `spawn_app()`: the real hub on port 0 with a fresh database, a data directory in a temp
//! folder, and an SMTP sink of its own.

use std::path::Path;
use std::sync::Once;

use noroshi::config::{LogFormat, Settings};
use noroshi::context::AppContext;
use noroshi::smtp_sink::SmtpSink;
use noroshi::startup::Application;
use secrecy::SecretString;
use tempfile::TempDir;
use tokio::task::JoinHandle;

use super::database::fresh_database_url;

pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    pub port: u16,
    pub ctx: AppContext,
    pub client: reqwest::Client,
    pub smtp: SmtpSink,
    pub data_dir: TempDir,
    server: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("the request reached the app")
    }

    /// Stops the hub the way a signal would, and waits for it.
    pub async fn stop(mut self) {
        self.ctx.shutdown.cancel();
        if let Some(server) = self.server.take() {
            server
                .await
                .expect("the app task")
                .expect("the app stopped cleanly");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.ctx.shutdown.cancel();
    }
}

/// Settings for a test: cheap argon2, one HTTP worker, port 0, everything under `data_dir`.
pub fn test_settings(data_dir: &Path, database_url: Option<String>) -> Settings {
    let mut s = Settings::default();
    s.app.data_dir = data_dir.to_path_buf();
    s.server.port = 0;
    s.server.http_workers = Some(1);
    s.server.shutdown_timeout_secs = 10;
    s.database.url = database_url.map(SecretString::from);
    s.database.max_connections = 5;
    s.log.format = LogFormat::Human;
    s.auth.argon2_memory_kib = 64;
    s.auth.argon2_iterations = 1;
    s.auth.argon2_parallelism = 1;
    // Tests log in many times from one address; the attempt limit has a test of its own.
    s.auth.login_attempts_per_minute = 0;
    // The second factor has tests of its own, which turn it on.
    s.auth.require_second_factor = false;
    // Tests drive every worker step by step: no background workers (nothing polls the real
    // internet, nothing races a test for the database).
    s.app.roles = noroshi::config::ProcessRoles {
        web: true,
        workers: false,
    };
    s.ingest.poll = false;
    // The tests' MTA: replies it vouched for carry its Authentication-Results
    // (`helpers::mail::vouched`).
    s.mail.authserv_id = Some(super::mail::AUTHSERV_ID.to_owned());
    s
}

fn init_logs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let log = noroshi::config::LogSettings {
                level: "debug".into(),
                ..Default::default()
            };
            noroshi::telemetry::init(&log, false);
        }
    });
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like `spawn_app`, with a chance to change the settings first.
pub async fn spawn_app_with(customise: impl FnOnce(&mut Settings)) -> TestApp {
    init_logs();
    let data_dir = TempDir::new().expect("a temp dir");
    let mut settings = test_settings(data_dir.path(), fresh_database_url().await);
    let smtp = SmtpSink::start().await.expect("the SMTP sink starts");
    // Every test hub relays to its own sink unless the test says otherwise.
    settings.mail.smtp_url = Some(SecretString::from(format!(
        "smtp://127.0.0.1:{}",
        smtp.port()
    )));
    customise(&mut settings);
    let app = Application::build(settings).await.expect("the app builds");
    let port = app.port().expect("the app listens");
    let ctx = app.context().clone();
    let server = tokio::spawn(app.run_until_cancelled());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        ctx,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client"),
        smtp,
        data_dir,
        server: Some(server),
    }
}
