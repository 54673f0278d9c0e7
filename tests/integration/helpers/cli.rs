//! Running the real `noroshi` binary against a test's own data directory and database.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;

use super::database::fresh_database_url;

/// A data directory and database of one test, for CLI runs.
pub struct TestEnv {
    pub data_dir: TempDir,
    pub database_url: Option<String>,
}

impl TestEnv {
    pub async fn new() -> Self {
        Self {
            data_dir: TempDir::new().expect("a temp dir"),
            database_url: fresh_database_url().await,
        }
    }

    /// A `noroshi` command with this test's settings in its environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_noroshi"));
        cmd.args(args)
            .env_remove("NOROSHI_CONFIG")
            .env_remove("RUST_LOG")
            .env("NOROSHI__APP__DATA_DIR", self.data_dir.path())
            .env("NOROSHI__AUTH__ARGON2_MEMORY_KIB", "64")
            .env("NOROSHI__AUTH__ARGON2_ITERATIONS", "1")
            .env("NOROSHI__LOG__FORMAT", "human")
            .env("NOROSHI__INGEST__POLL", "false")
            .env("NOROSHI__MAIL__AUTHSERV_ID", super::mail::AUTHSERV_ID)
            .env("NOROSHI__AUTH__REQUIRE_SECOND_FACTOR", "false");
        match &self.database_url {
            Some(url) => cmd.env("NOROSHI__DATABASE__URL", url),
            None => cmd.env_remove("NOROSHI__DATABASE__URL"),
        };
        cmd
    }

    /// Runs `noroshi ARGS`, feeding `stdin`, and returns what it printed.
    pub fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("noroshi starts");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("stdin is written");
        child.wait_with_output().expect("noroshi finishes")
    }

    /// The settings this environment gives the binary, for opening its database in-process.
    pub fn settings(&self) -> noroshi::config::Settings {
        super::app::test_settings(self.data_dir.path(), self.database_url.clone())
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `noroshi ARGS` with `stdin`, fails the test unless it succeeds, returns its stdout.
pub fn ok(env: &TestEnv, args: &[&str], stdin: &str) -> String {
    let out = env.run(args, stdin);
    assert!(
        out.status.success(),
        "{args:?} failed: {}{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

/// Runs `noroshi ARGS` and fails the test unless it is refused with `message` on stderr.
pub fn refused(env: &TestEnv, args: &[&str], message: &str) {
    let out = env.run(args, "");
    assert!(
        !out.status.success(),
        "{args:?} succeeded: {}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains(message),
        "{args:?}: expected {message:?} in {}",
        stderr(&out)
    );
}
