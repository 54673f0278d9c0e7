//! Classification, inventories, audiences and alert drafts against the real database.

use noroshi::alerts::audience::{AudienceSpec, resolve};
use noroshi::alerts::{self, DraftRequest, store as alert_store};
use noroshi::audit::Actor;
use noroshi::classify::store as cls;
use noroshi::context::AppContext;
use noroshi::domain::Severity;
use noroshi::ingest::fetch::Fetched;
use noroshi::ingest::{ingest_document, store};
use noroshi::inventory::{self, AddItem};
use noroshi::registry::OrgCode;

use crate::helpers::advisories::{classify_all, ingest_sample};
use crate::helpers::{TestApp, spawn_app, spawn_app_with};

async fn classification(
    ctx: &AppContext,
    source: &str,
    upstream: &str,
) -> (i64, noroshi::classify::model::Classification) {
    let a = store::find(&ctx.db, source, upstream)
        .await
        .unwrap()
        .unwrap();
    let c = cls::get(&ctx.db, a.id).await.unwrap().expect("classified");
    (a.id, cls::to_domain(&c).unwrap())
}

#[tokio::test]
async fn ingested_advisories_are_classified_and_explained() {
    let app = spawn_app().await;
    ingest_sample(&app.ctx, "jvn", "jvn.rdf").await;
    ingest_sample(&app.ctx, "cisa-kev", "kev.json").await;
    let report = classify_all(&app.ctx).await;
    assert_eq!(report.classified, 14);

    let (_, fortios) = classification(&app.ctx, "jvn", "JVNVU#91234567").await;
    assert_eq!(fortios.severity, Severity::Critical);
    assert_eq!(fortios.score, Some(9.8));
    assert_eq!(fortios.kev_cves, ["CVE-2024-21762"]);
    assert!(
        fortios
            .themes
            .contains(&"VPN・ファイアウォール等の境界装置".to_owned())
    );
    let why: Vec<String> = fortios
        .explanation
        .iter()
        .map(|f| format!("{}:{}", f.rule, f.effect))
        .collect();
    assert!(why.contains(&"cvss:緊急".to_owned()), "{why:?}");
    assert!(
        why.contains(&"kev-known-exploited:緊急 (unchanged)".to_owned()),
        "{why:?}"
    );

    let (_, bidding) = classification(&app.ctx, "jvn", "JVN#96321933").await;
    assert_eq!(bidding.severity, Severity::Medium);
    assert_eq!(
        bidding.relevance,
        noroshi::classify::model::RelevanceLevel::High
    );

    // Nothing is pending any more, so a second pass does nothing.
    assert_eq!(classify_all(&app.ctx).await.classified, 0);
}

#[tokio::test]
async fn a_cve_newly_listed_in_kev_raises_an_advisory_already_classified() {
    let app = spawn_app().await;
    ingest_sample(&app.ctx, "jvn", "jvn.rdf").await;
    classify_all(&app.ctx).await;
    let (id, before) = classification(&app.ctx, "jvn", "JVN#48213579").await;
    assert_eq!(before.severity, Severity::Medium, "Garoon: CVSS 5.4");

    let kev = std::fs::read_to_string("feeds/samples/kev.json")
        .unwrap()
        .replacen("CVE-2024-1709", "CVE-2024-31401", 1);
    let def = app.ctx.catalogue.get("cisa-kev").unwrap().clone();
    let doc = Fetched {
        bytes: kev.into_bytes(),
        content_type: None,
        etag: None,
        last_modified: None,
        origin: "test".into(),
    };
    ingest_document(&app.ctx.db, &def, def.format, &doc)
        .await
        .unwrap();
    let report = classify_all(&app.ctx).await;
    let (_, after) = classification(&app.ctx, "jvn", "JVN#48213579").await;
    assert_eq!(after.severity, Severity::High);
    assert_eq!(after.kev_cves, ["CVE-2024-31401"]);
    let change = report
        .changed
        .iter()
        .find(|(a, _)| *a == id)
        .map(|(_, c)| c.clone())
        .unwrap_or_default();
    assert!(
        change.contains("severity 注意 → 重要")
            && change.contains("known exploited [] → [CVE-2024-31401]"),
        "{change}"
    );
    let log = cls::changes_of(&app.ctx.db, id).await.unwrap();
    assert_eq!(log.len(), 1);
}

#[tokio::test]
async fn changed_rules_reclassify_everything_once_and_record_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("classification.toml");
    std::fs::write(
        &rules,
        std::fs::read_to_string("feeds/classification.toml").unwrap(),
    )
    .unwrap();
    let app = spawn_app_with(|s| s.classify.rules = rules.clone()).await;
    ingest_sample(&app.ctx, "jvn", "jvn.rdf").await;
    classify_all(&app.ctx).await;

    // Central staff lower the critical threshold: the 9.8 FortiOS note stays 緊急, the garoon note
    // (5.4) becomes 重要 once high starts at 5.0.
    let edited = std::fs::read_to_string(&rules)
        .unwrap()
        .replace("high = 7.0", "high = 5.0")
        .replace("version = \"2026-11-22.1\"", "version = \"test-2\"");
    std::fs::write(&rules, edited).unwrap();
    let reloaded = AppContext::connect((*app.ctx.settings).clone())
        .await
        .unwrap();
    let report = classify_all(&reloaded).await;
    assert_eq!(
        report.classified, 5,
        "every advisory is redone under the new rules"
    );
    let garoon = store::find(&app.ctx.db, "jvn", "JVN#48213579")
        .await
        .unwrap()
        .unwrap();
    let changes: Vec<&String> = report
        .changed
        .iter()
        .filter(|(a, _)| *a == garoon.id)
        .map(|(_, c)| c)
        .collect();
    assert_eq!(changes, [&"severity 注意 → 重要".to_owned()]);
    let row = cls::get(&app.ctx.db, garoon.id).await.unwrap().unwrap();
    assert_eq!(row.rules_version, "test-2");
    // Idempotent: nothing more to do, nothing more changes.
    assert_eq!(classify_all(&reloaded).await.classified, 0);
    assert_eq!(
        cls::changes_of(&app.ctx.db, garoon.id).await.unwrap().len(),
        1
    );
}

#[tokio::test]
async fn prefecture_13_with_its_municipalities_resolves_to_63_organisations() {
    let app = spawn_app().await;
    let spec = AudienceSpec::parse_selectors(&["pref:13+"]).unwrap();
    let members = resolve(&app.ctx.db, &spec, &[], &app.ctx.rules)
        .await
        .unwrap();
    assert_eq!(members.len(), 63);
    assert_eq!(members[0].organisation.name, "東京都");
    assert_eq!(members[0].reasons, ["東京都を指定"]);
    assert_eq!(members[1].reasons, ["東京都の市区町村"]);
    let only = resolve(
        &app.ctx.db,
        &AudienceSpec::parse_selectors(&["pref:13"]).unwrap(),
        &[],
        &app.ctx.rules,
    )
    .await
    .unwrap();
    assert_eq!(only.len(), 1);
    let everyone = resolve(
        &app.ctx.db,
        &AudienceSpec::parse_selectors(&["all"]).unwrap(),
        &[],
        &app.ctx.rules,
    )
    .await
    .unwrap();
    assert_eq!(
        everyone.len(),
        1788,
        "central bodies are not local governments"
    );
    let prefectures = resolve(
        &app.ctx.db,
        &AudienceSpec::parse_selectors(&["prefectures", "pref:13"]).unwrap(),
        &[],
        &app.ctx.rules,
    )
    .await
    .unwrap();
    assert_eq!(
        prefectures.len(),
        47,
        "Tokyo appears once, with both reasons"
    );
    let tokyo = prefectures
        .iter()
        .find(|m| m.organisation.name == "東京都")
        .unwrap();
    assert_eq!(tokyo.reasons.len(), 2);
}

async fn add(
    app: &TestApp,
    code: &str,
    cpe: Option<&str>,
    vendor: Option<&str>,
    product: Option<&str>,
    versions: Option<&str>,
) {
    inventory::add_item(
        &app.ctx.db,
        AddItem {
            org: Some(OrgCode::parse(code).unwrap()),
            cpe: cpe.map(Into::into),
            vendor: vendor.map(Into::into),
            product: product.map(Into::into),
            versions: versions.map(Into::into),
            note: None,
        },
        &Actor::System,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_kev_listed_cve_drafts_an_alert_for_the_organisations_whose_inventory_matches() {
    let app = spawn_app().await;
    add(
        &app,
        "131016",
        Some("cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*"),
        None,
        None,
        Some(">=7.0, <7.2.7"),
    )
    .await;
    add(
        &app,
        "011002",
        None,
        Some("フォーティネット"),
        Some("ＦｏｒｔｉＯＳ"),
        None,
    )
    .await;
    add(
        &app,
        "271004",
        None,
        Some("サイボウズ"),
        Some("Garoon"),
        None,
    )
    .await;
    ingest_sample(&app.ctx, "jvn", "jvn.rdf").await;
    ingest_sample(&app.ctx, "cisa-kev", "kev.json").await;
    classify_all(&app.ctx).await;

    let jvn = store::find(&app.ctx.db, "jvn", "JVNVU#91234567")
        .await
        .unwrap()
        .unwrap();
    let kev = store::find(&app.ctx.db, "cisa-kev", "CVE-2024-21762")
        .await
        .unwrap()
        .unwrap();
    let alert = alert_store::for_cluster(&app.ctx.db, jvn.cluster_id.unwrap())
        .await
        .unwrap()
        .expect("a draft");
    assert_eq!(alert.status, noroshi::alerts::AlertStatus::Draft);
    assert_eq!(alert.origin, "policy:kev-to-inventory");
    assert_eq!(alert.ack_within_hours, Some(24));
    assert_eq!(alert.severity, noroshi::domain::Severity::Critical);
    let linked = alert_store::advisory_ids(&app.ctx.db, alert.id)
        .await
        .unwrap();
    assert!(
        linked.contains(&jvn.id) && linked.contains(&kev.id),
        "one draft for the CVE cluster: {linked:?}"
    );
    assert!(
        alert.body.contains("【影響を受ける製品】") && alert.body.contains("CVE-2024-21762"),
        "{}",
        alert.body
    );

    let spec: AudienceSpec = alert.audience.clone();
    let products = alerts::products_of(&app.ctx.db, alert.id).await.unwrap();
    let members = resolve(&app.ctx.db, &spec, &products, &app.ctx.rules)
        .await
        .unwrap();
    let names: Vec<String> = members.iter().map(|m| m.organisation.full_name()).collect();
    assert_eq!(
        names,
        ["北海道札幌市", "東京都千代田区"],
        "Osaka runs Garoon, not FortiOS"
    );
    let chiyoda = &members[1].reasons[0];
    assert!(
        chiyoda.starts_with(
            "matched inventory: fortinet fortios (>=7.0, <7.2.7) (by CPE fortinet:fortios"
        ),
        "{chiyoda}"
    );
    assert!(
        members[0].reasons[0].contains("ＦｏｒｔｉＯＳ"),
        "{:?}",
        members[0].reasons
    );
}

#[tokio::test]
async fn a_draft_made_by_hand_is_checked_and_audited() {
    let app = spawn_app().await;
    ingest_sample(&app.ctx, "jvn", "jvn.rdf").await;
    classify_all(&app.ctx).await;
    let bidding = store::find(&app.ctx.db, "jvn", "JVN#96321933")
        .await
        .unwrap()
        .unwrap();
    let request = |audience: AudienceSpec, ack: Option<u32>| DraftRequest {
        ack_office_days: None,
        advisory_ids: vec![bidding.id],
        title: None,
        body: None,
        severity: None,
        tlp: None,
        audience,
        ack_within_hours: ack,
        drill: false,
        starts_at: None,
    };
    let empty = alerts::create_draft(
        &app.ctx.db,
        &app.ctx.policy,
        request(AudienceSpec::default(), None),
        &Actor::System,
    )
    .await;
    assert!(empty.unwrap_err().to_string().contains("audience is empty"));
    let late = alerts::create_draft(
        &app.ctx.db,
        &app.ctx.policy,
        request(AudienceSpec::parse_selectors(&["all"]).unwrap(), Some(0)),
        &Actor::System,
    )
    .await;
    assert!(late.unwrap_err().to_string().contains("1 to 720 hours"));

    let draft = alerts::create_draft(
        &app.ctx.db,
        &app.ctx.policy,
        request(
            AudienceSpec::parse_selectors(&["pref:13+", "org:011002"]).unwrap(),
            None,
        ),
        &Actor::Cli {
            os_user: "operator".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(draft.title, "電子入札コアシステムにおける複数の脆弱性");
    assert_eq!(draft.severity, noroshi::domain::Severity::Medium);
    assert_eq!(
        draft.ack_within_hours,
        Some(168),
        "注意: a week by the policy's deadlines"
    );
    assert_eq!(draft.origin, "cli:operator");
    let members = resolve(&app.ctx.db, &draft.audience, &[], &app.ctx.rules)
        .await
        .unwrap();
    assert_eq!(members.len(), 64);
    let audit = noroshi::audit::recent(&app.ctx.db, Some(&format!("alert:{}", draft.id)), 5)
        .await
        .unwrap();
    assert_eq!(audit[0].action, "alert.draft");
    assert!(matches!(
        noroshi::audit::verify(&app.ctx.db).await.unwrap(),
        noroshi::audit::ChainCheck::Intact { .. }
    ));
}

#[tokio::test]
async fn bad_inventory_items_are_refused_and_nothing_is_written() {
    let app = spawn_app().await;
    let attempt =
        |cpe: Option<&str>, vendor: Option<&str>, product: Option<&str>, versions: Option<&str>| {
            let ctx = app.ctx.clone();
            let (cpe, vendor, product, versions) = (
                cpe.map(str::to_owned),
                vendor.map(str::to_owned),
                product.map(str::to_owned),
                versions.map(str::to_owned),
            );
            async move {
                inventory::add_item(
                    &ctx.db,
                    AddItem {
                        org: Some(OrgCode::parse("131016").unwrap()),
                        cpe,
                        vendor,
                        product,
                        versions,
                        note: None,
                    },
                    &Actor::System,
                )
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
            }
        };
    assert!(
        attempt(Some("fortios"), None, None, None)
            .await
            .unwrap_err()
            .contains("is not a CPE name")
    );
    assert!(
        attempt(None, Some("Fortinet"), None, None)
            .await
            .unwrap_err()
            .contains("a vendor and a product")
    );
    assert!(
        attempt(None, Some("Fortinet"), Some("FortiOS"), Some("7.0"))
            .await
            .unwrap_err()
            .contains("is not a version range")
    );
    let long = "x".repeat(201);
    assert!(
        attempt(None, Some(&long), Some("y"), None)
            .await
            .unwrap_err()
            .contains("at most 200")
    );
    let org =
        noroshi::registry::store::find_by_code(&app.ctx.db, OrgCode::parse("131016").unwrap())
            .await
            .unwrap()
            .unwrap();
    assert!(
        inventory::store::list_for_org(&app.ctx.db, org.id)
            .await
            .unwrap()
            .is_empty()
    );
}
