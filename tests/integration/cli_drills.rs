//! Drills and returned mail from the command line, through the real binary: a scenario drafted,
//! published through four eyes, sent as .eml files, mail coming back into the inbound Maildir,
//! the 疎通確認 report with its CSV, stale contacts, and bad input refused with nothing written.

use crate::helpers::TestEnv;
use crate::helpers::cli::refused;
use noroshi::domain::ids::AlertId;

/// The tests' password, for the commands that read one.
const PASSWORD: &str = "correct horse battery staple
";

fn ok(env: &TestEnv, args: &[&str]) -> String {
    crate::helpers::cli::ok(env, args, PASSWORD)
}

#[tokio::test]
async fn a_drill_from_a_scenario_file_to_its_report() {
    let env = TestEnv::new().await;
    ok(&env, &["migrate"]);
    for (email, role) in [
        ("operator@soumu.go.jp", "central-operator"),
        ("approver@soumu.go.jp", "central-approver"),
    ] {
        ok(
            &env,
            &[
                "user", "add", "--org", "990019", "--role", role, "--email", email,
            ],
        );
    }
    for (org, email) in [
        ("131016", "joho@city.chiyoda.lg.jp"),
        ("131016", "backup@city.chiyoda.lg.jp"),
        ("131024", "joho@city.chuo.lg.jp"),
    ] {
        ok(
            &env,
            &[
                "contact",
                "add",
                "--org",
                org,
                "--email",
                email,
                "--kind",
                if email.starts_with("backup") {
                    "backup"
                } else {
                    "primary"
                },
            ],
        );
    }
    let scenario = format!(
        "{}/data/drills/2026-annual.toml",
        env!("CARGO_MANIFEST_DIR")
    );

    // Bad input first: nothing is drafted.
    let bad = env.data_dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "title = \"x\"\nbody = \"y\"\nseverity = \"urgent\"\nto = [\"all\"]\n",
    )
    .unwrap();
    refused(
        &env,
        &["drills", "create", "--scenario", bad.to_str().unwrap()],
        "severity",
    );
    refused(
        &env,
        &[
            "drills",
            "create",
            "--scenario",
            &scenario,
            "--to",
            "pref:99",
        ],
        "pref:99",
    );
    refused(
        &env,
        &["drills", "create", "--scenario", "/nonexistent.toml"],
        "cannot read",
    );
    assert!(ok(&env, &["drills", "list"]).lines().count() <= 2);

    let made = ok(
        &env,
        &[
            "drills",
            "create",
            "--scenario",
            &scenario,
            "--to",
            "org:131016",
            "--to",
            "org:131024",
            "--as",
            "operator@soumu.go.jp",
        ],
    );
    assert!(
        made.contains("drafted drill 1") && made.contains("2 organisations"),
        "{made}"
    );
    ok(
        &env,
        &["alerts", "submit", "1", "--as", "operator@soumu.go.jp"],
    );
    ok(
        &env,
        &["alerts", "approve", "1", "--as", "approver@soumu.go.jp"],
    );
    let queued = ok(&env, &["drills", "report", "1"]);
    assert!(
        queued.contains("0 0.0% (D)"),
        "nothing delivered yet: {queued}"
    );
    let sent = ok(&env, &["mail", "send"]);
    assert!(sent.contains("sent"), "{sent}");
    let report = ok(&env, &["drills", "report", "1"]);
    assert!(report.contains("【訓練】"), "{report}");
    assert!(report.contains("2 100.0% (A)"), "both reached: {report}");

    // A bounce for the backup address and a reply from Chuo come back.
    let ctx = noroshi::context::AppContext::connect(env.settings())
        .await
        .unwrap();
    let rows = noroshi::delivery::store::for_alert(&ctx.db, AlertId(1))
        .await
        .unwrap();
    let backup = rows
        .iter()
        .find(|r| r.email.starts_with("backup@"))
        .unwrap();
    let chuo = rows
        .iter()
        .find(|r| r.email.ends_with("chuo.lg.jp"))
        .unwrap();
    let inbound = env.data_dir.path().join("inbound");
    noroshi::maildir::ensure(&inbound).unwrap();
    let dsn = std::fs::read_to_string(format!(
        "{}/tests/fixtures/inbound/dsn-postfix.eml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .replace("{{RETURN_PATH}}", &ctx.mailer.verp.return_path(backup.id))
    .replace("{{RCPT}}", &backup.email);
    std::fs::write(inbound.join("new/1.host"), dsn).unwrap();
    std::fs::write(
        inbound.join("new/2.host"),
        crate::helpers::mail::vouched(
            format!(
                "From: joho@city.chuo.lg.jp\r\nSubject: Re\r\nMessage-ID: <x@chuo>\r\n\r\n対応完了\r\n> 返信用コード: {}\r\n",
                ctx.mailer.verp.reply_code(AlertId(1), chuo.organisation_id)
            )
            .as_bytes(),
        ),
    )
    .unwrap();
    std::fs::write(inbound.join("new/3.host"), "garbage\x00").unwrap();
    let read = ok(&env, &["inbound", "process"]);
    assert!(read.contains("3 messages read"), "{read}");
    // The ledger names the bounce and why.
    let ledger = ok(&env, &["deliveries", "--alert", "1"]);
    assert!(
        ledger.contains("bounced 1") && ledger.contains("5.1.1 550 5.1.1"),
        "{ledger}"
    );
    let listed = ok(&env, &["inbound", "list"]);
    assert!(
        listed.contains("bounce") && listed.contains("pending"),
        "{listed}"
    );

    let csv = env.data_dir.path().join("sotsu.csv");
    let report = ok(
        &env,
        &[
            "drills",
            "report",
            "NRS-2026-0001",
            "--csv",
            csv.to_str().unwrap(),
        ],
    );
    assert!(report.contains("3 contact rows written"), "{report}");
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with('\u{feff}') && text.contains("\r\n"));
    assert!(text.contains("5.1.1"), "{text}");
    assert!(text.contains("mail_reply"), "{text}");
    let tokyo = ok(&env, &["drills", "report", "1", "--prefecture", "東京都"]);
    assert!(tokyo.contains("東京都"), "{tokyo}");
    refused(
        &env,
        &["drills", "report", "1", "--prefecture", "48"],
        "not a prefecture",
    );

    // The bounced backup address shows among the contacts to check.
    let stale = ok(&env, &["contacts", "stale", "--months", "12"]);
    assert!(
        stale.contains("backup@city.chiyoda.lg.jp") && stale.contains("bounced 1 times"),
        "{stale}"
    );
    refused(&env, &["contacts", "stale", "--months", "0"], "--months");
}

#[tokio::test]
async fn a_magazine_issue_from_the_command_line_through_four_eyes() {
    let env = TestEnv::new().await;
    ok(&env, &["migrate"]);
    for (email, role) in [
        ("operator@soumu.go.jp", "central-operator"),
        ("approver@soumu.go.jp", "central-approver"),
        ("former@soumu.go.jp", "central-approver"),
    ] {
        ok(
            &env,
            &[
                "user", "add", "--org", "990019", "--role", role, "--email", email,
            ],
        );
    }
    // A disabled account cannot act from the command line either.
    let url = env.database_url.clone().unwrap_or_else(|| {
        format!(
            "sqlite://{}/noroshi.db?mode=rwc",
            env.data_dir.path().display()
        )
    });
    let db = sea_orm::Database::connect(url).await.unwrap();
    sea_orm::ConnectionTrait::execute_unprepared(
        &db,
        "UPDATE users SET disabled = TRUE WHERE email = 'former@soumu.go.jp'",
    )
    .await
    .unwrap();
    db.close().await.unwrap();
    // Bad input is refused with the reason, and nothing is drafted.
    refused(
        &env,
        &[
            "magazine",
            "compose",
            "--week",
            "2026-49",
            "--as",
            "operator@soumu.go.jp",
        ],
        "is not an ISO week",
    );
    refused(
        &env,
        &[
            "magazine",
            "compose",
            "--week",
            "2026-W49",
            "--as",
            "approver@soumu.go.jp",
        ],
        "for central operators",
    );
    assert!(!ok(&env, &["magazine", "list"]).contains("draft"));
    let made = ok(
        &env,
        &[
            "magazine",
            "compose",
            "--week",
            "2026-W49",
            "--as",
            "operator@soumu.go.jp",
        ],
    );
    assert!(
        made.contains("drafted magazine issue 1 for 2026-W49"),
        "{made}"
    );
    refused(
        &env,
        &["magazine", "approve", "1", "--as", "approver@soumu.go.jp"],
        "submit it first",
    );
    ok(
        &env,
        &["magazine", "submit", "1", "--as", "operator@soumu.go.jp"],
    );
    refused(
        &env,
        &["magazine", "approve", "1", "--as", "operator@soumu.go.jp"],
        "for central approvers",
    );
    refused(
        &env,
        &["magazine", "approve", "1", "--as", "former@soumu.go.jp"],
        "former@soumu.go.jp is disabled",
    );
    let published = ok(
        &env,
        &["magazine", "approve", "1", "--as", "approver@soumu.go.jp"],
    );
    assert!(published.contains("as No. 1"), "{published}");
    let again = ok(
        &env,
        &["magazine", "approve", "1", "--as", "approver@soumu.go.jp"],
    );
    assert!(again.contains("published already") && again.contains("nothing changed"));
    let list = ok(&env, &["magazine", "list"]);
    assert!(
        list.contains("published") && list.contains("2026-W49"),
        "{list}"
    );
}
