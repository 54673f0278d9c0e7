//! The publishing commands end to end through the real binary: contacts, four eyes, the mail
//! going to .eml files when no relay is configured (and the CLI saying so), the ledger, and
//! refusals of bad input that change nothing.

use noroshi::contacts::store as contacts;
use noroshi::context::AppContext;
use noroshi::delivery::store as ledger;
use noroshi::domain::ids::AlertId;
use noroshi::registry::OrgCode;

use crate::helpers::TestEnv;
use crate::helpers::cli::{ok, refused};

#[tokio::test]
async fn contacts_four_eyes_and_the_ledger_from_the_command_line() {
    let env = TestEnv::new().await;
    ok(&env, &["migrate"], "");
    let password = "correct horse battery staple\n";
    for (email, role) in [
        ("operator@soumu.go.jp", "central-operator"),
        ("approver@soumu.go.jp", "central-approver"),
    ] {
        ok(
            &env,
            &[
                "user", "add", "--org", "990019", "--role", role, "--email", email,
            ],
            password,
        );
    }
    let added = ok(
        &env,
        &[
            "contact",
            "add",
            "--org",
            "131016",
            "--email",
            "joho@city.chiyoda.lg.jp",
            "--encoding",
            "iso-2022-jp",
        ],
        "",
    );
    assert!(added.contains("joho@city.chiyoda.lg.jp"), "{added}");
    ok(
        &env,
        &[
            "contact",
            "add",
            "--org",
            "131016",
            "--email",
            "backup@city.chiyoda.lg.jp",
            "--kind",
            "backup",
        ],
        "",
    );
    let list = ok(&env, &["contact", "list", "--org", "131016"], "");
    assert!(
        list.contains("千代田区") && list.contains("2 contacts"),
        "{list}"
    );
    assert!(
        list.contains("iso-2022-jp") && list.contains("backup"),
        "{list}"
    );

    // Bad input: each refused with the reason, nothing written.
    refused(
        &env,
        &["contact", "add", "--org", "131017", "--email", "a@b.jp"],
        "check digit",
    );
    refused(
        &env,
        &[
            "contact",
            "add",
            "--org",
            "131024",
            "--email",
            "a@b.jp, c@d.jp",
        ],
        "--email",
    );
    refused(
        &env,
        &[
            "contact",
            "add",
            "--org",
            "131024",
            "--email",
            "a@b.jp",
            "--encoding",
            "shift_jis",
        ],
        "--encoding",
    );
    refused(
        &env,
        &[
            "contact",
            "add",
            "--org",
            "131016",
            "--email",
            "joho@city.chiyoda.lg.jp",
        ],
        "already",
    );
    let ctx = AppContext::connect(env.settings()).await.unwrap();
    let chuo = noroshi::registry::store::find_by_code(&ctx.db, OrgCode::parse("131024").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(
        contacts::list_for_org(&ctx.db, chuo.id)
            .await
            .unwrap()
            .is_empty()
    );

    let drafted = ok(
        &env,
        &[
            "alerts",
            "draft",
            "--to",
            "org:131016",
            "--title",
            "テスト配信",
            "--body",
            "受領を報告してください。",
            "--severity",
            "重要",
            "--as",
            "operator@soumu.go.jp",
        ],
        "",
    );
    assert!(drafted.starts_with("drafted alert 1"), "{drafted}");
    ok(
        &env,
        &["alerts", "submit", "1", "--as", "operator@soumu.go.jp"],
        "",
    );
    refused(
        &env,
        &["alerts", "approve", "1", "--as", "operator@soumu.go.jp"],
        "approving alerts is for central approvers",
    );
    refused(
        &env,
        &["alerts", "approve", "1", "--as", "nobody@soumu.go.jp"],
        "no user has the address nobody@soumu.go.jp",
    );
    let approved = ok(
        &env,
        &[
            "alerts",
            "approve",
            "1",
            "--as",
            "approver@soumu.go.jp",
            "--idempotency-key",
            "k-1",
        ],
        "",
    );
    assert!(
        approved.contains("published NRS-") && approved.contains("2 messages queued"),
        "{approved}"
    );
    assert!(
        approved.contains(".eml files") && approved.contains("no mail.smtp_url configured"),
        "the CLI says where mail goes: {approved}"
    );
    let again = ok(
        &env,
        &[
            "alerts",
            "approve",
            "1",
            "--as",
            "approver@soumu.go.jp",
            "--idempotency-key",
            "k-1",
        ],
        "",
    );
    assert!(again.contains("already published"), "{again}");

    let sent = ok(&env, &["mail", "send"], "");
    assert!(sent.contains("sent 2"), "{sent}");
    let outbox: Vec<_> = std::fs::read_dir(env.data_dir.path().join("outbox"))
        .unwrap()
        .collect();
    assert_eq!(outbox.len(), 2);

    let ledger_out = ok(&env, &["deliveries", "--alert", "1"], "");
    assert!(ledger_out.contains("sent 2"), "{ledger_out}");
    assert!(
        ledger_out.contains("joho@city.chiyoda.lg.jp"),
        "{ledger_out}"
    );
    refused(
        &env,
        &["deliveries", "--alert", "1", "--status", "lost"],
        "`lost` is not a delivery status: use queued, sending, sent, deferred, failed, bounced",
    );
    refused(
        &env,
        &["deliveries", "--alert", "NRS-1999-0001"],
        "no alert NRS-1999-0001",
    );
    assert_eq!(
        ledger::for_alert(&ctx.db, AlertId(1)).await.unwrap().len(),
        2
    );

    let disabled = ok(&env, &["contact", "disable", "--org", "131016", "2"], "");
    assert!(disabled.contains("disabled"), "{disabled}");
    refused(
        &env,
        &["contact", "disable", "--org", "131024", "1"],
        "東京都中央区 has no contact 1",
    );
}
