//! The organisation registry, users and the audit log against the real database.

use noroshi::audit::{self, Actor, ChainCheck};
use noroshi::auth::{self, AddUser, AddUserError, EmailAddress, Role};
use noroshi::registry::store::{self, OrgFilter};
use noroshi::registry::{OrgCode, OrgKind, Prefecture};
use sea_orm::ConnectionTrait;
use secrecy::SecretString;

use crate::helpers::{TestApp, spawn_app};

fn add(code: &str, role: Role, email: &str) -> AddUser {
    AddUser {
        org: OrgCode::parse(code).unwrap(),
        role,
        email: EmailAddress::parse(email).unwrap(),
        display_name: None,
        password: SecretString::from("correct horse battery staple"),
    }
}

async fn add_user(
    app: &TestApp,
    req: AddUser,
) -> Result<(auth::User, noroshi::registry::Organisation), AddUserError> {
    auth::add_user(&app.ctx.db, &app.ctx.settings.auth, req, &Actor::System).await
}

#[tokio::test]
async fn the_registry_holds_all_1788_local_governments_after_start() {
    let app = spawn_app().await;
    let db = &app.ctx.db;
    assert_eq!(store::count(db, OrgKind::Prefecture).await.unwrap(), 47);
    assert_eq!(store::count(db, OrgKind::Municipality).await.unwrap(), 1741);
    assert_eq!(store::count(db, OrgKind::Central).await.unwrap(), 3);
}

#[tokio::test]
async fn prefecture_13_is_tokyo_with_its_23_special_wards_and_39_other_municipalities() {
    let app = spawn_app().await;
    let tokyo = Prefecture::parse("13").unwrap();
    let orgs = store::list(
        &app.ctx.db,
        OrgFilter {
            prefecture: Some(tokyo),
            kind: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(orgs.len(), 63);
    let pref = &orgs[0];
    assert_eq!(
        (pref.code.to_string().as_str(), pref.name.as_str()),
        ("130001", "東京都")
    );
    let wards = orgs.iter().filter(|o| o.name.ends_with('区')).count();
    assert_eq!(wards, 23);
    assert!(
        orgs[1..]
            .iter()
            .all(|o| o.parent_id == Some(pref.id) && o.kind == OrgKind::Municipality)
    );
    let chiyoda = store::find_by_code(&app.ctx.db, OrgCode::parse("131016").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(chiyoda.full_name(), "東京都千代田区");
    assert_eq!(chiyoda.kana, "チヨダク");
}

#[tokio::test]
async fn seeding_again_changes_nothing() {
    let app = spawn_app().await;
    let report = noroshi::registry::seed(&app.ctx.db).await.unwrap();
    assert_eq!(
        (report.inserted, report.updated, report.unchanged),
        (0, 0, 1791)
    );
}

#[tokio::test]
async fn seeding_repairs_an_organisation_whose_name_was_changed() {
    let app = spawn_app().await;
    app.ctx
        .db
        .execute_unprepared("UPDATE organisations SET name = 'X' WHERE code = '131016'")
        .await
        .unwrap();
    let report = noroshi::registry::seed(&app.ctx.db).await.unwrap();
    assert_eq!((report.inserted, report.updated), (0, 1));
    let chiyoda = store::find_by_code(&app.ctx.db, OrgCode::parse("131016").unwrap())
        .await
        .unwrap();
    assert_eq!(chiyoda.unwrap().name, "千代田区");
}

#[tokio::test]
async fn adding_a_user_stores_an_argon2id_hash_and_an_audit_entry() {
    let app = spawn_app().await;
    let (user, org) = add_user(
        &app,
        add("131016", Role::OrgAdmin, "Joho@City.Chiyoda.lg.jp"),
    )
    .await
    .unwrap();
    assert_eq!(org.name, "千代田区");
    assert_eq!(user.email.as_str(), "joho@city.chiyoda.lg.jp");
    let hash: String = app
        .ctx
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.ctx.db.get_database_backend(),
            format!("SELECT password_hash FROM users WHERE id = {}", user.id),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "password_hash")
        .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(auth::password::verify(
        &SecretString::from("correct horse battery staple"),
        &hash
    ));
    let entries = audit::recent(&app.ctx.db, Some(&format!("user:{}", user.id)), 10)
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].action, "user.create");
    assert!(entries[0].detail.contains("org_admin"));
}

#[tokio::test]
async fn a_user_is_refused_with_a_clear_reason_and_nothing_is_written() {
    let app = spawn_app().await;
    add_user(&app, add("131016", Role::Member, "a@city.chiyoda.lg.jp"))
        .await
        .unwrap();

    let taken = add_user(&app, add("131024", Role::Member, "A@city.chiyoda.lg.jp"))
        .await
        .unwrap_err();
    assert!(matches!(taken, AddUserError::EmailTaken(_)), "{taken}");
    let wrong_role = add_user(
        &app,
        add("131016", Role::CentralApprover, "b@city.chiyoda.lg.jp"),
    )
    .await
    .unwrap_err();
    assert!(
        wrong_role.to_string().contains("central body"),
        "{wrong_role}"
    );
    let unknown = add_user(&app, add("990035", Role::Member, "c@x.jp")).await;
    assert!(unknown.is_ok(), "990035 is NCO, a central body");
    let nobody = add_user(&app, add("990043", Role::Member, "d@x.jp"))
        .await
        .unwrap_err();
    assert_eq!(nobody.to_string(), "no organisation has the code 990043");
    let mut short = add("131016", Role::Member, "e@x.jp");
    short.password = SecretString::from("short");
    let short = add_user(&app, short).await.unwrap_err();
    assert!(short.to_string().contains("too short"), "{short}");

    assert_eq!(auth::store::count(&app.ctx.db).await.unwrap(), 2);
    assert_eq!(
        audit::verify(&app.ctx.db).await.unwrap(),
        ChainCheck::Intact { entries: 2 }
    );
}

#[tokio::test]
async fn concurrent_writers_keep_the_audit_chain_intact() {
    let app = spawn_app().await;
    let mut tasks = Vec::new();
    for i in 0..12 {
        let db = app.ctx.db.clone();
        let settings = app.ctx.settings.auth.clone();
        tasks.push(tokio::spawn(async move {
            auth::add_user(
                &db,
                &settings,
                add("131016", Role::Member, &format!("u{i}@x.jp")),
                &Actor::System,
            )
            .await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(
        audit::verify(&app.ctx.db).await.unwrap(),
        ChainCheck::Intact { entries: 12 }
    );
}

#[tokio::test]
async fn tampering_with_the_audit_log_is_detected() {
    let app = spawn_app().await;
    for email in ["a@x.jp", "b@x.jp", "c@x.jp"] {
        add_user(&app, add("131016", Role::Member, email))
            .await
            .unwrap();
    }
    app.ctx
        .db
        .execute_unprepared("UPDATE audit_log SET detail = '{\"role\":\"admin\"}' WHERE seq = 2")
        .await
        .unwrap();
    match audit::verify(&app.ctx.db).await.unwrap() {
        ChainCheck::Broken { seq, reason } => {
            assert_eq!(seq, 2);
            assert!(reason.contains("changed"), "{reason}");
        }
        other => panic!("tampering went unnoticed: {other:?}"),
    }
}
