//! Organisation settings over real HTTP: contacts, product inventory, users and API tokens, each
//! acting on the viewer's own organisation only, refusing bad input without writing, audited.

use noroshi::auth::Role;
use noroshi::auth::tokens::{self, Scope};
use noroshi::registry::OrgCode;
use reqwest::StatusCode;
use sea_orm::EntityTrait;

use crate::helpers::browser::{Browser, Page};
use crate::helpers::mail::user;
use crate::helpers::spawn_app;

const PASSWORD: &str = "correct horse battery staple";

fn secret(page: &Page) -> String {
    let start = page
        .body
        .find("<code id=\"secret\">")
        .unwrap_or_else(|| panic!("no secret shown in {}", page.body))
        + "<code id=\"secret\">".len();
    let end = page.body[start..].find("</code>").unwrap() + start;
    page.body[start..end].to_owned()
}

/// `(action path, id)` of the form whose button follows `marker` in the page (first match).
fn form_after(page: &Page, marker: &str, action_suffix: &str) -> String {
    let at = page
        .body
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} not in {}", page.body));
    let rest = &page.body[at..];
    let form = rest.find("action=\"").unwrap() + "action=\"".len();
    let end = rest[form..].find('"').unwrap() + form;
    let action = rest[form..end].to_owned();
    assert!(action.ends_with(action_suffix), "{action}");
    action
}

#[tokio::test]
async fn an_organisation_admin_manages_contacts_products_users_and_tokens_of_their_own_organisation()
 {
    let app = spawn_app().await;
    let db = &app.ctx.db;
    user(
        &app.ctx,
        "131016",
        Role::OrgAdmin,
        "admin@city.chiyoda.lg.jp",
    )
    .await;
    user(
        &app.ctx,
        "131016",
        Role::Member,
        "member@city.chiyoda.lg.jp",
    )
    .await;
    user(&app.ctx, "131024", Role::OrgAdmin, "admin@city.chuo.lg.jp").await;
    let chiyoda = noroshi::registry::store::find_by_code(db, OrgCode::parse("131016").unwrap())
        .await
        .unwrap()
        .unwrap();
    let chuo = noroshi::registry::store::find_by_code(db, OrgCode::parse("131024").unwrap())
        .await
        .unwrap()
        .unwrap();
    // The hub administrator registered 千代田区's mail domain: its addresses need no
    // confirmation by their owner.
    noroshi::contacts::domains::add(
        db,
        &chiyoda,
        "city.chiyoda.lg.jp",
        &noroshi::audit::Actor::System,
        chrono::Utc::now(),
    )
    .await
    .unwrap();

    // A member has no settings page and cannot post to one.
    let mut member = Browser::new(&app.address);
    member.log_in("member@city.chiyoda.lg.jp", PASSWORD).await;
    assert_eq!(member.get("/settings").await.status, StatusCode::FORBIDDEN);
    let member_csrf = member.get("/inbox").await.hidden("csrf");
    let refused = member
        .post(
            "/settings/tokens",
            &[("csrf", &member_csrf), ("name", "x"), ("scope_read", "on")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let mut admin = Browser::new(&app.address);
    admin.log_in("admin@city.chiyoda.lg.jp", PASSWORD).await;
    let page = admin.get("/settings").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("団体設定 — 東京都千代田区"),
        "{}",
        page.body
    );
    let csrf = page.hidden("csrf");

    // Contacts: added, a duplicate and a bad address refused, disabled.
    let contact = |email: &'static str| {
        [
            ("email", email),
            ("kind", "primary"),
            ("language", "ja"),
            ("encoding", "iso-2022-jp"),
        ]
    };
    let mut form = contact("joho@city.chiyoda.lg.jp").to_vec();
    form.push(("csrf", &csrf));
    let added = admin.post("/settings/contacts", &form).await;
    assert_eq!(added.status, StatusCode::OK);
    assert!(
        added
            .body
            .contains("joho@city.chiyoda.lg.jp を連絡先に追加しました")
    );
    let again = admin.post("/settings/contacts", &form).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(
        again.body.contains("already has the address"),
        "{}",
        again.body
    );
    let mut bad = contact("not an address").to_vec();
    bad.push(("csrf", &csrf));
    assert_eq!(
        admin.post("/settings/contacts", &bad).await.status,
        StatusCode::BAD_REQUEST
    );
    let mut wrong_encoding = form.clone();
    wrong_encoding[3] = ("encoding", "shift_jis");
    let refused = admin.post("/settings/contacts", &wrong_encoding).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("shift_jis"), "{}", refused.body);
    let contacts = noroshi::contacts::store::list_for_org(db, chiyoda.id)
        .await
        .unwrap();
    assert_eq!(contacts.len(), 1, "only the good address was written");
    let stop = form_after(&added, "joho@city.chiyoda.lg.jp</td>", "/active");
    let stopped = admin
        .post(&stop, &[("csrf", &csrf), ("active", "false")])
        .await;
    assert_eq!(stopped.status, StatusCode::OK);
    assert!(
        noroshi::contacts::store::active_for(db, &[chiyoda.id])
            .await
            .unwrap()
            .is_empty()
    );
    // Another organisation's admin cannot touch it, even knowing its id.
    let mut chuo_admin = Browser::new(&app.address);
    chuo_admin.log_in("admin@city.chuo.lg.jp", PASSWORD).await;
    let chuo_csrf = chuo_admin.get("/settings").await.hidden("csrf");
    let foreign = chuo_admin
        .post(&stop, &[("csrf", &chuo_csrf), ("active", "true")])
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert!(
        noroshi::contacts::store::active_for(db, &[chiyoda.id])
            .await
            .unwrap()
            .is_empty()
    );

    // Inventory: a bad version range is refused; a product is added and removed.
    let bad = admin
        .post(
            "/settings/inventory",
            &[
                ("csrf", &csrf),
                ("vendor", "Fortinet"),
                ("product", "FortiOS"),
                ("versions", "between 7 and 8"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    let empty = admin
        .post("/settings/inventory", &[("csrf", &csrf), ("note", "x")])
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert!(empty.body.contains("give a CPE name"), "{}", empty.body);
    let added = admin
        .post(
            "/settings/inventory",
            &[
                ("csrf", &csrf),
                ("vendor", "Fortinet"),
                ("product", "FortiOS"),
                ("versions", ">=7.0, <7.2.7"),
                ("note", "庁舎 VPN"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    let items = noroshi::inventory::store::list_for_org(db, chiyoda.id)
        .await
        .unwrap();
    assert_eq!(items.len(), 1);
    let remove = format!("/settings/inventory/{}/remove", items[0].id);
    assert_eq!(
        chuo_admin
            .post(&remove, &[("csrf", &chuo_csrf)])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        admin.post(&remove, &[("csrf", &csrf)]).await.status,
        StatusCode::OK
    );
    assert!(
        noroshi::inventory::store::list_for_org(db, chiyoda.id)
            .await
            .unwrap()
            .is_empty()
    );

    // Users: an org admin cannot grant a central role; a new member gets a one-time password.
    let grab = admin
        .post(
            "/settings/users",
            &[
                ("csrf", &csrf),
                ("email", "sneaky@city.chiyoda.lg.jp"),
                ("role", "admin"),
            ],
        )
        .await;
    assert_eq!(grab.status, StatusCode::BAD_REQUEST);
    assert!(grab.body.contains("付与できません"));
    let created = admin
        .post(
            "/settings/users",
            &[
                ("csrf", &csrf),
                ("email", "new@city.chiyoda.lg.jp"),
                ("name", "新任 花子"),
                ("role", "member"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let initial = secret(&created);
    let mut newcomer = Browser::new(&app.address);
    assert_eq!(
        newcomer
            .log_in("new@city.chiyoda.lg.jp", &initial)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert!(!admin.get("/settings").await.body.contains(&initial));
    // Disabling ends the newcomer's session at once.
    let disable = form_after(&created, "new@city.chiyoda.lg.jp</td>", "/disabled");
    assert_eq!(
        chuo_admin
            .post(&disable, &[("csrf", &chuo_csrf), ("active", "false")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // The newcomer's session is alive; with a password the admin was shown, every page leads
    // to the password change first.
    let alive = newcomer.get("/inbox").await;
    assert_eq!(alive.status, StatusCode::SEE_OTHER);
    assert_eq!(alive.location.as_deref(), Some("/settings/password"));
    assert_eq!(
        newcomer.get("/settings/password").await.status,
        StatusCode::OK
    );
    admin
        .post(&disable, &[("csrf", &csrf), ("active", "false")])
        .await;
    let ended = newcomer.get("/inbox").await;
    assert_eq!(ended.status, StatusCode::SEE_OTHER);
    assert!(
        ended
            .location
            .as_deref()
            .is_some_and(|l| l.starts_with("/login")),
        "{:?}",
        ended.location
    );
    admin
        .post(&disable, &[("csrf", &csrf), ("active", "true")])
        .await;
    // A reset gives a new password; the old one stops working.
    let reset = disable.replace("/disabled", "/reset");
    let page = admin.post(&reset, &[("csrf", &csrf)]).await;
    let fresh = secret(&page);
    assert_ne!(fresh, initial);
    let mut again = Browser::new(&app.address);
    assert_eq!(
        again
            .log_in("new@city.chiyoda.lg.jp", &initial)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        again.log_in("new@city.chiyoda.lg.jp", &fresh).await.status,
        StatusCode::SEE_OTHER
    );

    // Tokens: shown once, stored hashed, scoped, revocable; bad input writes nothing.
    for (form, message) in [
        (
            vec![("name", "feed"), ("days", "365")],
            "choose at least one scope",
        ),
        (
            vec![("name", ""), ("scope_read", "on"), ("days", "365")],
            "give the token a name",
        ),
        (
            vec![("name", "feed"), ("scope_read", "on"), ("days", "9999")],
            "between 1 and 730 days",
        ),
        (
            vec![("name", "feed"), ("scope_read", "on"), ("days", "soon")],
            "有効期間は日数",
        ),
    ] {
        let mut form = form;
        form.push(("csrf", &csrf));
        let page = admin.post("/settings/tokens", &form).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{form:?}");
        assert!(page.body.contains(message), "{message}: {}", page.body);
    }
    assert!(
        tokens::list_for_org(db, chiyoda.id)
            .await
            .unwrap()
            .is_empty()
    );
    let issued = admin
        .post(
            "/settings/tokens",
            &[
                ("csrf", &csrf),
                ("name", "フィードリーダー"),
                ("scope_read", "on"),
                ("days", "30"),
            ],
        )
        .await;
    assert_eq!(issued.status, StatusCode::OK, "{}", issued.body);
    let token = secret(&issued);
    assert!(token.starts_with("nrs_") && token.len() > 40, "{token}");
    // The page says where to use it, and the feed it names opens.
    let feed = format!("/feeds/{token}/alerts.rss");
    assert!(issued.body.contains(&feed), "{}", issued.body);
    assert_eq!(app.get(&feed).await.status(), StatusCode::OK);
    let listed = admin.get("/settings").await;
    assert!(!listed.body.contains(&token), "a token is shown only once");
    assert!(listed.body.contains(&token[..12]), "its prefix is listed");
    let found = tokens::authenticate(db, &token).await.unwrap().unwrap();
    assert_eq!(found.org_id, chiyoda.id);
    assert!(found.allows(Scope::Read) && !found.allows(Scope::Acknowledge));
    // The database holds only the hash.
    let stored = noroshi::db::entities::api_tokens::Entity::find()
        .all(db)
        .await
        .unwrap();
    assert!(
        stored
            .iter()
            .all(|t| t.token_hash != token && t.token_hash.len() == 64)
    );
    let revoke = format!("/settings/tokens/{}/revoke", found.id);
    assert_eq!(
        chuo_admin
            .post(&revoke, &[("csrf", &chuo_csrf)])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert!(tokens::authenticate(db, &token).await.unwrap().is_some());
    let revoked = admin.post(&revoke, &[("csrf", &csrf)]).await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert!(tokens::authenticate(db, &token).await.unwrap().is_none());
    assert_eq!(
        app.get(&feed).await.status(),
        StatusCode::NOT_FOUND,
        "revoked: the feed closes"
    );
    assert!(
        tokens::list_for_org(db, chuo.id).await.unwrap().is_empty(),
        "nothing landed in the other organisation"
    );

    // Every change is in the audit log; no secret is.
    let audited = noroshi::audit::recent(db, None, 100).await.unwrap();
    for action in [
        "contact.add",
        "contact.disable",
        "inventory.add",
        "inventory.remove",
        "user.create",
        "user.disable",
        "user.enable",
        "user.password_reset",
        "token.create",
        "token.revoke",
    ] {
        assert!(
            audited.iter().any(|e| e.action == action),
            "{action} audited"
        );
    }
    let everything = format!("{audited:?}");
    assert!(!everything.contains(&token) && !everything.contains(&fresh));
}
