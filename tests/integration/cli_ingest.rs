//! `noroshi sources`, `noroshi ingest …`, `noroshi advisories …` and `noroshi demo` as a user
//! runs them.

use std::process::Stdio;
use std::time::Duration;

use noroshi::context::AppContext;
use noroshi::ingest::store;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::TestEnv;
use crate::helpers::cli::{stderr, stdout};

#[tokio::test]
async fn ingest_file_reports_what_it_stored_and_a_broken_file_changes_nothing() {
    let env = TestEnv::new().await;
    let out = env.run(
        &["ingest", "file", "--source", "jvn", "feeds/samples/jvn.rdf"],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("5 items: 5 new, 0 revised, 0 unchanged"),
        "{}",
        stdout(&out)
    );
    let again = env.run(
        &["ingest", "file", "--source", "jvn", "feeds/samples/jvn.rdf"],
        "",
    );
    assert!(
        stdout(&again).starts_with("5 items: 0 new, 0 revised, 5 unchanged"),
        "{}",
        stdout(&again)
    );

    let broken = env.data_dir.path().join("broken.rdf");
    let text = std::fs::read_to_string("feeds/samples/jvndb_new.rdf").unwrap();
    std::fs::write(&broken, &text[..text.len() - 200]).unwrap();
    let out = env.run(
        &[
            "ingest",
            "file",
            "--source",
            "jvndb-new",
            broken.to_str().unwrap(),
        ],
        "",
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("not well-formed"), "{}", stderr(&out));
    let unknown = env.run(
        &[
            "ingest",
            "file",
            "--source",
            "nope",
            "feeds/samples/jvn.rdf",
        ],
        "",
    );
    assert!(
        stderr(&unknown).contains("no source `nope`") && stderr(&unknown).contains("jpcert-ja")
    );

    let ctx = AppContext::connect(env.settings()).await.unwrap();
    assert_eq!(
        store::count(&ctx.db).await.unwrap(),
        5,
        "only the good document was stored"
    );

    let list = stdout(&env.run(&["advisories", "list", "--cve", "CVE-2024-21762"], ""));
    assert!(
        list.contains("Fortinet製FortiOSにおける境界外書き込みの脆弱性"),
        "{list}"
    );
    let id = store::find(&ctx.db, "jvn", "JVN#96321933")
        .await
        .unwrap()
        .unwrap()
        .id;
    let show = stdout(&env.run(&["advisories", "show", &id.to_string()], ""));
    assert!(
        show.contains("電子入札コアシステムにおける複数の脆弱性"),
        "{show}"
    );
    assert!(show.contains("CVE-2022-46288"), "{show}");
}

#[tokio::test]
async fn a_manual_notice_is_validated_and_stored() {
    let env = TestEnv::new().await;
    let bad = env.run(
        &[
            "ingest",
            "manual",
            "--title",
            "電話連絡",
            "--body",
            "本文",
            "--tlp",
            "PURPLE",
        ],
        "",
    );
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("tlp: `PURPLE` is not a TLP marking"),
        "{}",
        stderr(&bad)
    );
    let bad = env.run(&["ingest", "manual", "--title", "  ", "--body", "本文"], "");
    assert!(stderr(&bad).contains("title: is empty"), "{}", stderr(&bad));
    let bad = env.run(
        &[
            "ingest", "manual", "--title", "x", "--body", "y", "--cve", "CVE-24-1",
        ],
        "",
    );
    assert!(stderr(&bad).contains("cves[0]"), "{}", stderr(&bad));

    let ok = env.run(
        &[
            "ingest",
            "manual",
            "--title",
            "県内自治体へのDDoS攻撃（電話連絡）",
            "--body",
            "本日午前、県内の複数自治体ウェブサイトが閲覧困難となった。",
            "--issuer",
            "○○県 情報政策課",
            "--tlp",
            "amber",
            "--cve",
            "CVE-2024-3400",
        ],
        "",
    );
    assert!(ok.status.success(), "{}", stderr(&ok));
    let ctx = AppContext::connect(env.settings()).await.unwrap();
    let all = store::list(
        &ctx.db,
        &store::AdvisoryFilter {
            source: Some("manual".into()),
            cve: None,
            limit: 10,
            offset: 0,
            before_id: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].tlp.as_deref(), Some("AMBER"));
    assert_eq!(all[0].cve_ids, "[\"CVE-2024-3400\"]");
    assert!(all[0].extra.contains("○○県 情報政策課"));
}

#[tokio::test]
async fn sources_shows_each_sources_health() {
    let env = TestEnv::new().await;
    let out = stdout(&env.run(&["sources"], ""));
    for key in ["jpcert-ja", "jvn", "cisa-kev", "nco-mail", "manual"] {
        assert!(
            out.lines().any(|l| l.starts_with(key)),
            "{key} missing: {out}"
        );
    }
    assert!(
        out.lines()
            .any(|l| l.starts_with("jvndb ") && l.contains("disabled")),
        "{out}"
    );
    assert!(out.contains("www.jpcert.or.jp"));
    assert!(out.contains("not polled yet"));
}

#[tokio::test]
async fn the_demo_serves_and_ingests_every_sample_without_a_network() {
    let env = TestEnv::new().await;
    let demo_dir = env.data_dir.path().join("demo");
    let mut child = tokio::process::Command::from(env.command(&[
        "demo",
        "--port",
        "0",
        "--data-dir",
        demo_dir.to_str().unwrap(),
    ]))
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .kill_on_drop(true)
    .spawn()
    .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    let url = loop {
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .expect("the demo starts")
            .unwrap()
            .expect("the demo prints where it listens");
        if let Some(url) = line.strip_prefix("Open ") {
            break url.split_whitespace().next().unwrap().to_owned();
        }
        printed.push(line);
    };
    let printed = printed.join("\n");
    assert!(
        printed.contains("central_approver") && printed.contains("joho@city.chiyoda.demo.example"),
        "{printed}"
    );
    let page = reqwest::get(url.replace("localhost", "127.0.0.1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("1741"), "{page}");

    // The demo polls every source from its sample; wait until all of them have landed.
    let mut settings = env.settings();
    settings.app.data_dir = demo_dir.clone();
    settings.database.url = None;
    let ctx = AppContext::connect(settings).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let health = store::list_sources(&ctx.db).await.unwrap();
        let polled: Vec<&str> = health
            .iter()
            .filter(|h| h.last_success_at.is_some())
            .map(|h| h.key.as_str())
            .collect();
        let wanted = [
            "jpcert-ja",
            "jpcert-en",
            "jvn",
            "jvndb-new",
            "myjvn-alert",
            "myjvn-overview",
            "cisa-kev",
            "cisco-psirt",
            "nco-mail",
        ];
        if wanted.iter().all(|w| polled.contains(w)) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not all sources were polled: {polled:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(store::count(&ctx.db).await.unwrap() >= 35);
    // The demo drill and a TLP:CLEAR alert went through four eyes to 東京都 and its
    // municipalities, as .eml files; the alert (not the drill) is in the public feed.
    assert!(
        printed.contains("Demo drill NRS-") && printed.contains("128 messages, sent to .eml files"),
        "{printed}"
    );
    let feed: serde_json::Value = reqwest::get(format!(
        "{}feeds/public.json",
        url.replace("localhost", "127.0.0.1")
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let items = feed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{feed}");
    assert_eq!(items[0]["_noroshi"]["drill"], false);
    assert!(
        items[0]["url"].as_str().unwrap().starts_with(&url),
        "links point at the port the demo listens on: {feed}"
    );
    let outbox = demo_dir.join("outbox");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while std::fs::read_dir(&outbox).map_or(0, |d| d.count()) < 128 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the drill was not written to {}",
            outbox.display()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let notice = store::find(
        &ctx.db,
        "nco-mail",
        "<20261116173000.NCO-2026-0142@cyber.go.jp>",
    )
    .await
    .unwrap();
    assert!(
        notice.is_some(),
        "the sample notice was delivered to the Maildir and ingested"
    );
    // What came back from the drill was read: two bounces, twelve replies, an out-of-office
    // note, and a question waiting for the operator; and one survey request came back
    // undeliverable to its notice's own address.
    assert!(printed.contains("16 returned mails read"), "{printed}");
    assert!(
        printed.contains("came back undeliverable and counts against that address"),
        "{printed}"
    );
    let totals = noroshi::inbound::store::totals(&ctx.db).await.unwrap();
    let n = |k: &str, o: &str| {
        totals
            .iter()
            .find(|(kk, oo, _)| kk == k && oo == o)
            .map_or(0, |t| t.2)
    };
    assert_eq!(
        (
            n("bounce", "recorded"),
            n("reply", "recorded"),
            n("auto_reply", "recorded"),
            n("reply", "pending")
        ),
        (3, 13, 1, 0),
        "the question by reply is a 照会, not waiting at /admin/inbound: {totals:?}"
    );
    assert_eq!(
        noroshi::inquiries::store::list(&ctx.db, noroshi::inquiries::store::ListScope::CentreDesk)
            .await
            .unwrap()
            .iter()
            .filter(|q| q.via == "mail")
            .count(),
        1,
        "{totals:?}"
    );

    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id().unwrap() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
}

#[tokio::test]
async fn classify_inventory_and_alert_commands_work_together() {
    let env = TestEnv::new().await;
    env.run(
        &["ingest", "file", "--source", "jvn", "feeds/samples/jvn.rdf"],
        "",
    );
    env.run(
        &[
            "ingest",
            "file",
            "--source",
            "cisa-kev",
            "feeds/samples/kev.json",
        ],
        "",
    );
    let bad = env.run(
        &["inventory", "add", "--org", "131016", "--cpe", "fortios"],
        "",
    );
    assert!(
        stderr(&bad).contains("`fortios` is not a CPE name"),
        "{}",
        stderr(&bad)
    );
    let added = env.run(
        &[
            "inventory",
            "add",
            "--org",
            "131016",
            "--cpe",
            "cpe:/o:fortinet:fortios",
            "--versions",
            ">=7.0, <7.2.7",
        ],
        "",
    );
    assert!(
        stdout(&added).starts_with("added #1: fortinet fortios (>=7.0, <7.2.7)"),
        "{}",
        stdout(&added)
    );
    let listed = stdout(&env.run(&["inventory", "list", "--org", "131016"], ""));
    assert!(
        listed.contains("東京都千代田区") && listed.contains(">=7.0, <7.2.7"),
        "{listed}"
    );

    let classified = stdout(&env.run(&["classify"], ""));
    assert!(
        classified.starts_with("14 advisories classified under rules"),
        "{classified}"
    );
    let again = stdout(&env.run(&["classify", "--all"], ""));
    assert!(
        again.contains("14 advisories classified") && again.contains("; 0 changed;"),
        "{again}"
    );

    let list = stdout(&env.run(&["advisories", "list", "--source", "jvn"], ""));
    assert!(
        list.lines()
            .any(|l| l.contains("緊急") && l.contains("FortiOS")),
        "{list}"
    );
    let ctx = AppContext::connect(env.settings()).await.unwrap();
    let fortios = store::find(&ctx.db, "jvn", "JVNVU#91234567")
        .await
        .unwrap()
        .unwrap();
    let show = stdout(&env.run(&["advisories", "show", &fortios.id.to_string()], ""));
    assert!(show.contains("severity    緊急 (CVSS 9.8)"), "{show}");
    assert!(
        show.contains("kev-known-exploited") && show.contains("CVE-2024-21762 in CISA KEV"),
        "{show}"
    );

    let drafts = stdout(&env.run(&["alerts", "drafts"], ""));
    let row = drafts
        .lines()
        .find(|l| l.contains("Fortinet"))
        .unwrap_or_default();
    assert!(
        row.contains("1 (製品台帳が一致する団体)") && row.contains("policy:kev-to-inventory"),
        "{drafts}"
    );
    let id = row.split_whitespace().next().unwrap();
    let show = stdout(&env.run(&["alerts", "show", id], ""));
    assert!(
        show.contains("131016  東京都千代田区  matched inventory: fortinet fortios"),
        "{show}"
    );

    let manual = env.run(
        &[
            "alerts",
            "draft",
            "--advisory",
            &fortios.id.to_string(),
            "--to",
            "pref:13+",
            "--drill",
            "--tlp",
            "AMBER",
        ],
        "",
    );
    assert!(
        stdout(&manual).contains("(audience: 63 organisations)"),
        "{}{}",
        stdout(&manual),
        stderr(&manual)
    );
    let refused = env.run(
        &[
            "alerts", "draft", "--title", "x", "--body", "y", "--to", "pref:99",
        ],
        "",
    );
    assert!(
        stderr(&refused).contains("`pref:99` is not an audience"),
        "{}",
        stderr(&refused)
    );
}
