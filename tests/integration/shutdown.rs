//! Stopping: SIGTERM lets requests in flight finish, and the process exits cleanly.

use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use sea_orm::{ConnectionTrait, Database, TransactionTrait};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

use crate::helpers::TestEnv;
use crate::helpers::database::on_postgres;

/// Starts `noroshi serve` on a free port and returns the child and its port.
async fn serve(env: &TestEnv, extra: &[&str]) -> (Child, Option<u16>) {
    let mut args = vec!["serve", "--port", "0"];
    args.extend_from_slice(extra);
    let workers_only = extra.contains(&"workers");
    let mut child = Command::from(env.command(&args))
        .stdout(Stdio::piped())
        .stderr(if workers_only {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    if workers_only {
        // No port to wait for: wait until the hub logs that it has started.
        let mut logs = BufReader::new(child.stderr.take().unwrap()).lines();
        tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = logs.next_line().await.unwrap() {
                if line.contains("Noroshi started") {
                    break;
                }
            }
        })
        .await
        .expect("the hub starts");
        tokio::spawn(async move { while let Ok(Some(_)) = logs.next_line().await {} });
        return (child, None);
    }
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the hub says where it listens")
        .unwrap()
        .unwrap();
    let port = line
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    (child, Some(port))
}

fn sigterm(child: &Child) {
    kill(Pid::from_raw(child.id().unwrap() as i32), Signal::SIGTERM).unwrap();
}

#[tokio::test]
async fn sigterm_during_a_request_lets_it_finish() {
    if !on_postgres() {
        eprintln!(
            "skipped: holding a request in flight needs a PostgreSQL table lock (SQLite in WAL mode never blocks readers); .ci/run runs this on PostgreSQL"
        );
        return;
    }
    let env = TestEnv::new().await;
    let (mut child, port) = serve(&env, &[]).await;
    let port = port.unwrap();
    // /readyz reads the migration table; while this lock is held its request waits in the handler.
    let db = Database::connect(env.database_url.clone().unwrap())
        .await
        .unwrap();
    let lock = db.begin().await.unwrap();
    lock.execute_unprepared("LOCK TABLE seaql_migrations IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let request = tokio::spawn(async move {
        let res = reqwest::get(format!("http://127.0.0.1:{port}/readyz")).await?;
        let status = res.status();
        Ok::<_, reqwest::Error>((status, res.text().await?))
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    sigterm(&child);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "the hub waits for the request in flight"
    );
    assert!(
        TcpStream::connect(("127.0.0.1", port)).await.is_err()
            || reqwest::Client::builder()
                .timeout(Duration::from_millis(300))
                .build()
                .unwrap()
                .get(format!("http://127.0.0.1:{port}/healthz"))
                .send()
                .await
                .is_err(),
        "no new request is answered once stopping"
    );
    lock.rollback().await.unwrap();

    let (status, body) = tokio::time::timeout(Duration::from_secs(10), request)
        .await
        .expect("the request in flight is answered")
        .unwrap()
        .expect("the request completes");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"status\":\"ready\""), "{body}");
    let status = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("the hub exits after SIGTERM")
        .unwrap();
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn a_workers_only_process_listens_nowhere_and_stops_on_sigterm() {
    let env = TestEnv::new().await;
    let (mut child, _) = serve(&env, &["--roles", "workers"]).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(child.try_wait().unwrap().is_none(), "it keeps running");
    sigterm(&child);
    let status = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("the hub exits after SIGTERM")
        .unwrap();
    assert!(status.success(), "{status:?}");
}
