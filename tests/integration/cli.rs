//! The `noroshi` binary as a user runs it.

use noroshi::auth;
use noroshi::context::AppContext;

use crate::helpers::TestEnv;
use crate::helpers::cli::{stderr, stdout};

#[tokio::test]
async fn org_list_for_prefecture_13_lists_tokyos_63_local_governments() {
    let env = TestEnv::new().await;
    let out = env.run(&["org", "list", "--prefecture", "13"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("13")).collect();
    assert_eq!(rows.len(), 63, "{text}");
    assert!(
        rows[0].contains("東京都") && rows[0].contains("トウキョウト"),
        "{}",
        rows[0]
    );
    assert!(text.contains("東京都千代田区"));
    assert!(text.contains("東京都小笠原村"));
    assert_eq!(
        text.lines().last(),
        Some("63 local governments (1 prefecture, 62 municipalities)")
    );
    let by_name = env.run(&["org", "list", "--prefecture", "東京"], "");
    assert_eq!(stdout(&by_name), text);
}

#[tokio::test]
async fn org_list_counts_1788_local_governments() {
    let env = TestEnv::new().await;
    let out = env.run(&["org", "list"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(
        text.lines().last(),
        Some("1,788 local governments (47 prefectures, 1,741 municipalities) and 3 central bodies")
    );
    assert_eq!(text.lines().count(), 1 + 1791 + 1);
    let json = env.run(&["org", "list", "--kind", "prefecture", "--json"], "");
    let orgs: Vec<serde_json::Value> = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(orgs.len(), 47);
    assert_eq!(orgs[46]["name"], "沖縄県");
}

#[tokio::test]
async fn a_code_with_a_wrong_check_digit_is_rejected_everywhere_and_nothing_is_written() {
    let env = TestEnv::new().await;
    let password = "correct horse battery staple\n";
    for args in [
        vec![
            "user", "add", "--org", "131002", "--role", "member", "--email", "a@b.jp",
        ],
        vec!["org", "show", "131002"],
        vec!["user", "list", "--org", "131002"],
    ] {
        let out = env.run(&args, password);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(
            stderr(&out)
                .contains("`131002` has a wrong check digit: the check digit of 13100 is 8, not 2"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    let ctx = AppContext::connect(env.settings()).await.unwrap();
    assert_eq!(auth::store::count(&ctx.db).await.unwrap(), 0);
}

#[tokio::test]
async fn user_add_reads_the_password_from_stdin_and_the_user_is_listed() {
    let env = TestEnv::new().await;
    let out = env.run(
        &[
            "user",
            "add",
            "--org",
            "131016",
            "--role",
            "org_admin",
            "--email",
            "joho@city.chiyoda.lg.jp",
            "--name",
            "千代田 情報",
        ],
        "correct horse battery staple\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("at 131016 東京都千代田区 as org_admin"),
        "{}",
        stdout(&out)
    );
    let list = stdout(&env.run(&["user", "list", "--org", "131016"], ""));
    assert!(
        list.contains("joho@city.chiyoda.lg.jp") && list.contains("千代田 情報"),
        "{list}"
    );

    let again = env.run(
        &[
            "user",
            "add",
            "--org",
            "131016",
            "--role",
            "member",
            "--email",
            "JOHO@city.chiyoda.lg.jp",
        ],
        "correct horse battery staple\n",
    );
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );

    let audit = stdout(&env.run(&["audit", "verify"], ""));
    assert_eq!(
        audit.lines().next(),
        Some("the audit log is intact: 1 entry"),
        "{audit}"
    );
    assert!(audit.contains("no checkpoint yet"), "{audit}");
    // A checkpoint outside the database, then the check against it.
    let written = stdout(&env.run(&["audit", "checkpoint"], ""));
    assert!(written.contains("checkpoint written to"), "{written}");
    let audit = stdout(&env.run(&["audit", "verify"], ""));
    assert!(
        audit.contains("matches the latest checkpoint (entry 1"),
        "{audit}"
    );
}

#[tokio::test]
async fn user_add_refuses_bad_input_with_a_message_and_writes_nothing() {
    let env = TestEnv::new().await;
    let cases: [(&[&str], &str, &str); 4] = [
        (
            &["--org", "131016", "--role", "member", "--email", "a@b.jp"],
            "short\n",
            "too short",
        ),
        (
            &["--org", "131016", "--role", "root", "--email", "a@b.jp"],
            "correct horse battery\n",
            "is not a role",
        ),
        (
            &[
                "--org",
                "131016",
                "--role",
                "member",
                "--email",
                "a@b.jp, c@d.jp",
            ],
            "correct horse battery\n",
            "not an e-mail address",
        ),
        (
            &["--org", "131016", "--role", "member", "--email", "a@b.jp"],
            "",
            "no password",
        ),
    ];
    for (args, stdin, message) in cases {
        let mut full = vec!["user", "add"];
        full.extend_from_slice(args);
        let out = env.run(&full, stdin);
        assert!(!out.status.success(), "{full:?}");
        assert!(stderr(&out).contains(message), "{full:?}: {}", stderr(&out));
    }
    let ctx = AppContext::connect(env.settings()).await.unwrap();
    assert_eq!(auth::store::count(&ctx.db).await.unwrap(), 0);
}

#[tokio::test]
async fn a_bad_setting_fails_at_start_up_naming_the_key() {
    let env = TestEnv::new().await;
    let out = env
        .command(&["config", "check"])
        .env("NOROSHI__SERVER__PORT", "eighty")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out).to_lowercase();
    assert!(
        err.contains("server.port") && err.contains("eighty"),
        "{err}"
    );

    let typo = env
        .command(&["config", "check"])
        .env("NOROSHI__SERVER__PROT", "1")
        .output()
        .unwrap();
    assert_eq!(typo.status.code(), Some(2));
    assert!(
        stderr(&typo).contains("unknown field: found `prot`"),
        "{}",
        stderr(&typo)
    );

    let file = env.data_dir.path().join("noroshi.toml");
    std::fs::write(&file, "[database]\nurl = \"mysql://x@y/z\"\n").unwrap();
    let bad_db = env
        .command(&["--config", file.to_str().unwrap(), "config", "check"])
        .env_remove("NOROSHI__DATABASE__URL")
        .output()
        .unwrap();
    assert_eq!(bad_db.status.code(), Some(2));
    assert!(
        stderr(&bad_db).contains("invalid setting `database.url`"),
        "{}",
        stderr(&bad_db)
    );

    let missing = env
        .command(&["--config", "/nonexistent/noroshi.toml", "config", "check"])
        .output()
        .unwrap();
    assert!(
        stderr(&missing).contains("/nonexistent/noroshi.toml does not exist"),
        "{}",
        stderr(&missing)
    );
}

#[tokio::test]
async fn settings_are_layered_and_secrets_never_printed() {
    let env = TestEnv::new().await;
    let file = env.data_dir.path().join("noroshi.toml");
    std::fs::write(&file, "[server]\nport = 9000\nhost = \"0.0.0.0\"\n").unwrap();
    let out = env
        .command(&["config", "show"])
        .env("NOROSHI_CONFIG", &file)
        .env("NOROSHI__SERVER__PORT", "9100")
        .env(
            "NOROSHI__DATABASE__URL",
            "postgres://noroshi:s3cret-pass@db.internal/noroshi",
        )
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let shown = stdout(&out);
    assert!(
        shown.contains("port = 9100"),
        "the environment wins over the file: {shown}"
    );
    assert!(
        shown.contains("host = \"0.0.0.0\""),
        "the file wins over defaults: {shown}"
    );
    assert!(
        !shown.contains("s3cret-pass") && !stderr(&out).contains("s3cret-pass"),
        "{shown}"
    );
    assert!(
        shown.contains("postgres://noroshi:********@db.internal/noroshi"),
        "{shown}"
    );
}

#[tokio::test]
async fn migrate_applies_the_schema_and_reports_its_status() {
    use migrations::{Migrator, MigratorTrait};
    let all = Migrator::migrations().len();
    let env = TestEnv::new().await;
    let first = env.run(&["migrate"], "");
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        stdout(&first).starts_with(&format!("{all} migration(s) applied")),
        "{}",
        stdout(&first)
    );
    let second = env.run(&["migrate"], "");
    assert!(stdout(&second).starts_with("0 migration(s) applied"));
    let status = stdout(&env.run(&["migrate", "--status"], ""));
    assert_eq!(
        status.lines().filter(|l| l.starts_with("applied")).count(),
        all,
        "{status}"
    );
}

#[tokio::test]
async fn every_command_explains_itself_with_help() {
    let env = TestEnv::new().await;
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["demo", "--help"],
        vec!["migrate", "--help"],
        vec!["org", "seed", "--help"],
        vec!["org", "list", "--help"],
        vec!["org", "show", "--help"],
        vec!["user", "add", "--help"],
        vec!["user", "list", "--help"],
        vec!["audit", "verify", "--help"],
        vec!["config", "show", "--help"],
    ] {
        let out = env.run(&args, "");
        assert!(out.status.success(), "{args:?}");
        let help = stdout(&out);
        assert!(help.contains("Usage: noroshi"), "{args:?}: {help}");
    }
    let add_help = stdout(&env.run(&["user", "add", "--help"], ""));
    assert!(
        add_help.contains("check digit") && add_help.contains("prefecture_admin"),
        "{add_help}"
    );
}
