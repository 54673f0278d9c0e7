//! `noroshi demo`: the hub on a throw-away data directory with demo users and content.

use crate::domain::ids::AlertId;
use crate::domain::ids::OrgId;
use std::path::PathBuf;

use clap::Args;
use rand::Rng;
use rand::distributions::Alphanumeric;
use secrecy::SecretString;

use super::output::table;
use crate::audit::Actor;
use crate::auth::{self, AddUser, EmailAddress, Role};
use crate::config::Settings;
use crate::context::AppContext;
use crate::ingest::catalogue::Location;
use crate::registry::OrgCode;
use crate::startup::Application;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Port to listen on.
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Interface to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Keep the demo's data in this directory instead of a temporary one removed at exit.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

/// The demo accounts: (role, organisation code, address, name).
const DEMO_USERS: [(Role, &str, &str, &str); 6] = [
    (
        Role::CentralOperator,
        "990019",
        "operator@soumu.demo.example",
        "総務 太郎（運用）",
    ),
    (
        Role::CentralApprover,
        "990019",
        "approver@soumu.demo.example",
        "総務 花子（承認）",
    ),
    (
        Role::Admin,
        "990027",
        "admin@j-lis.demo.example",
        "機構 次郎（管理）",
    ),
    (
        Role::PrefectureAdmin,
        "130001",
        "security@metro.tokyo.demo.example",
        "東京 都子",
    ),
    (
        Role::OrgAdmin,
        "131016",
        "admin@city.chiyoda.demo.example",
        "千代田 管理",
    ),
    (
        Role::Member,
        "131016",
        "joho@city.chiyoda.demo.example",
        "千代田 情報",
    ),
];

pub async fn run(args: DemoArgs, mut settings: Settings) -> anyhow::Result<()> {
    let temp = match &args.data_dir {
        Some(_) => None,
        None => Some(tempfile::Builder::new().prefix("noroshi-demo-").tempdir()?),
    };
    let data_dir = args
        .data_dir
        .clone()
        .or_else(|| temp.as_ref().map(|t| t.path().to_path_buf()))
        .unwrap_or_else(|| PathBuf::from("var/demo"));
    // The demo never writes into a configured production database.
    settings.app.data_dir = data_dir.clone();
    settings.database.url = None;
    settings.database.migrate_on_start = true;
    // Port 0 (any free port, as the tests ask) is chosen here, so that links in mail, feeds and
    // CAP can name the port the demo really listens on.
    let port = match args.port {
        0 => std::net::TcpListener::bind((args.host.as_str(), 0))?
            .local_addr()?
            .port(),
        p => p,
    };
    settings.server.host = args.host;
    settings.server.port = port;
    if settings.app.base_url.as_str() == "http://localhost:8080/" {
        settings.app.base_url = url::Url::parse(&format!("http://localhost:{port}/"))?;
    }
    // No network is needed: every source is read from its offline sample.
    settings.ingest.offline = true;
    settings.ingest.poll = true;
    // Demo accounts sign in with their password alone (a real hub asks approvers and
    // administrators for a second factor: auth.require_second_factor); anyone may still set
    // one up at /settings/totp to see how it works.
    settings.auth.require_second_factor = false;
    // The demo's own "MTA" (the mail it puts into the inbound Maildir) vouches for senders
    // under this authserv-id, so its replies acknowledge as a real site's would.
    if settings.mail.authserv_id.is_none() {
        settings.mail.authserv_id = Some(DEMO_AUTHSERV_ID.into());
    }
    // Every 報 of the demo reports goes to a desk (into the outbox, as all demo mail).
    if settings.reports.desk.is_empty() {
        settings.reports.desk = vec!["incident-desk@soumu.demo.example".into()];
    }
    let roles = settings.app.roles;
    let ctx = AppContext::connect(settings).await?;
    let accounts = create_demo_users(&ctx).await?;
    deliver_sample_mail(&ctx)?;
    let drill = publish_demo_drill(&ctx).await?;
    let library = load_case_library(&ctx).await?;
    let reports = super::demo_reports::file_demo_reports(&ctx).await?;
    let surveys = super::demo_surveys::publish_demo_surveys(&ctx).await?;
    // The 早期警戒情報 sample is read now (the workers would read it from its Maildir later),
    // so the demo's メールマガジン has its section.
    if let Some(def) = ctx.catalogue.get("jpcert-ew")
        && let Some(sample) = &def.sample
    {
        let doc = crate::ingest::fetch::read_file(sample, def.max_bytes).await?;
        crate::ingest::ingest_document(&ctx.db, def, crate::ingest::parse::Format::Mail, &doc)
            .await
            .map_err(|e| anyhow::anyhow!("the demo's early warning: {e}"))?;
    }
    let magazine = super::demo_surveys::publish_demo_magazine(&ctx).await?;
    let inquiries = super::demo_inquiries::ask_demo_questions(&ctx).await?;
    let app = Application::build_with_context(ctx, roles)?;
    let host = match app.context().settings.server.host.as_str() {
        "0.0.0.0" | "::" | "127.0.0.1" => "localhost".to_owned(),
        other => other.to_owned(),
    };
    let url = format!("http://{host}:{}/", app.port().unwrap_or(0));
    println!("Noroshi demo: data in {}", data_dir.display());
    println!("Demo accounts (passwords are shown only now):");
    table(&["role", "organisation", "email", "password"], accounts);
    if let Some(line) = drill {
        println!("{line}");
    }
    println!("{library}");
    for line in [reports, surveys, magazine, inquiries]
        .into_iter()
        .flatten()
    {
        println!("{line}");
    }
    println!("Open {url}  (stop with ctrl-c)");
    app.run_until_stopped().await?;
    drop(temp);
    Ok(())
}

/// Loads the shipped case library (once: not when the data directory already holds cases) and
/// writes it into the search index.
async fn load_case_library(ctx: &AppContext) -> anyhow::Result<String> {
    let existing = crate::cases::store::list(&ctx.db, &[], None, 1).await?;
    if existing.is_empty() {
        let cases =
            crate::cases::seed::parse(crate::cases::seed::LIBRARY, crate::time::today_jst())?;
        crate::cases::seed::load(&ctx.db, &cases, &Actor::System).await?;
    }
    crate::cases::outbox::drain(&ctx.db, &ctx.search).await?;
    let n = crate::cases::store::count_published(&ctx.db).await?;
    Ok(format!(
        "Case library (事故事例・取組事例): {n} published cases, searchable at /cases"
    ))
}

/// Gives 東京都 and its municipalities a contact each and publishes a communication drill to
/// them through the real four-eyes path, so the mail lanes have something to send. Once only.
async fn publish_demo_drill(ctx: &AppContext) -> anyhow::Result<Option<String>> {
    use crate::alerts::{self, DraftRequest, audience::AudienceSpec, publish};
    use crate::contacts::{self, ContactKind, Language, MailEncoding};
    use crate::domain::{Severity, Tlp};

    let tokyo = crate::registry::store::list(
        &ctx.db,
        crate::registry::store::OrgFilter {
            prefecture: Some(crate::registry::Prefecture::parse("13")?),
            kind: None,
        },
    )
    .await?;
    let Some(metro) = tokyo.iter().find(|o| o.code.to_string() == "130001") else {
        return Ok(None);
    };
    if !contacts::store::list_for_org(&ctx.db, metro.id)
        .await?
        .is_empty()
    {
        return Ok(None);
    }
    // The demo's organisations hold their demo domains, as a hub administrator would have
    // registered them, so their addresses are verified by domain.
    let by = contacts::Adder {
        actor: Actor::System,
        trusted: false,
    };
    for org in &tokyo {
        crate::contacts::domains::add(
            &ctx.db,
            org,
            &format!("{}.demo.example", org.code),
            &Actor::System,
            chrono::Utc::now(),
        )
        .await?;
    }
    let chiyoda = tokyo
        .iter()
        .find(|o| o.code.to_string() == "131016")
        .ok_or_else(|| anyhow::anyhow!("千代田区 is missing"))?;
    crate::contacts::domains::add(
        &ctx.db,
        chiyoda,
        "city.chiyoda.demo.example",
        &Actor::System,
        chrono::Utc::now(),
    )
    .await?;
    for org in &tokyo {
        let email = EmailAddress::parse(&format!("joho@{}.demo.example", org.code))?;
        contacts::add_contact(
            &ctx.db,
            &ctx.contact_links(),
            org.code,
            email,
            ContactKind::Primary,
            Language::Ja,
            MailEncoding::Utf8,
            &by,
        )
        .await?;
    }
    contacts::add_contact(
        &ctx.db,
        &ctx.contact_links(),
        OrgCode::parse("131016")?,
        EmailAddress::parse("joho@city.chiyoda.demo.example")?,
        ContactKind::Backup,
        Language::Ja,
        MailEncoding::Iso2022Jp,
        &by,
    )
    .await?;
    let user = |email: &'static str| async move {
        let email = EmailAddress::parse(email)?;
        auth::store::find_by_email(&ctx.db, &email)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the demo user {email} is missing"))
    };
    let operator = user("operator@soumu.demo.example").await?;
    let approver = user("approver@soumu.demo.example").await?;
    let draft = alerts::create_draft(
        &ctx.db,
        &ctx.policy,
        DraftRequest {
            ack_office_days: None,
            advisory_ids: vec![],
            title: Some("連絡体制の確認訓練（東京都及び都内区市町村）".into()),
            body: Some(
                "本メールは連絡体制の確認訓練です。実際の脅威に関する連絡ではありません。\n\n\
                 受信を確認したら、期限までに Noroshi ポータルで「受領」を報告してください。\n\
                 連絡先に変更がある場合は、設定画面で更新してください。\n"
                    .into(),
            ),
            severity: Some(Severity::Info),
            tlp: Some(Tlp::Green),
            audience: AudienceSpec::parse_selectors(&["pref:13+"])?,
            ack_within_hours: Some(72),
            drill: true,
            starts_at: None,
        },
        &Actor::of(&operator),
    )
    .await?;
    publish::submit(&ctx.db, draft.id, &operator).await?;
    let report = publish::approve(&ctx.db, &ctx.rules, draft.id, &approver, None).await?;
    // A real (not drill) TLP:CLEAR alert too, so the public feed and CAP have something in them.
    let clear = alerts::create_draft(
        &ctx.db,
        &ctx.policy,
        DraftRequest {
            // Counted on 開庁日: its page says so, and weekends and 祝日 do not run the clock.
            ack_office_days: Some(true),
            advisory_ids: vec![],
            title: Some("【デモ】VPN 装置の認証回避の脆弱性に関する注意喚起".into()),
            body: Some(
                "（デモ用の架空の注意喚起です。）\n\n\
                 インターネットに公開された VPN 装置に、認証を回避して管理画面へ到達できる脆弱性が\
                 報告されています。該当する製品を利用している場合は、修正版へ更新し、管理画面への\
                 アクセスを庁内ネットワークに限定してください。\n"
                    .into(),
            ),
            severity: Some(Severity::High),
            tlp: Some(Tlp::Clear),
            audience: AudienceSpec::parse_selectors(&["pref:13+"])?,
            ack_within_hours: Some(72),
            drill: false,
            starts_at: None,
        },
        &Actor::of(&operator),
    )
    .await?;
    publish::submit(&ctx.db, clear.id, &operator).await?;
    let clear = publish::approve(&ctx.db, &ctx.rules, clear.id, &approver, None).await?;
    // Send now (to the outbox or the relay), so what comes back is about mail that went out.
    while crate::jobs::mail::try_execute_task(ctx, crate::delivery::worker::Lane::All).await?
        == crate::workers::Outcome::Worked
    {}
    let returned = return_demo_mail(ctx, report.alert_id).await?;
    Ok(Some(format!(
        "Demo drill {} and alert {} (TLP:CLEAR, in the public feed /feeds/public.rss) published to {} organisations: {} messages, sent to {}; {returned} returned mails read (the drill's report: /drills/{}/report, waiting mail: /admin/inbound)",
        report.public_id,
        clear.public_id,
        report.organisations,
        report.deliveries + clear.deliveries,
        ctx.mailer.describe(),
        report.alert_id,
    )))
}

/// The authserv-id of the demo's mail: what its "MTA" writes on the mail it returns.
const DEMO_AUTHSERV_ID: &str = "mx.demo.example";

/// What comes back from the demo drill, as the site's MTA would deliver it into the inbound
/// Maildir (with its `Authentication-Results` on top, the sender's DMARC passed): two bounces,
/// replies from a dozen organisations, an out-of-office note and a question for the operator.
/// Read at once, so the drill's report shows them.
async fn return_demo_mail(ctx: &AppContext, drill: AlertId) -> anyhow::Result<usize> {
    let dir = crate::inbound::maildir(&ctx.settings);
    crate::maildir::ensure(&dir)?;
    let rows = crate::delivery::store::for_alert(&ctx.db, drill).await?;
    let verp = &ctx.mailer.verp;
    let authserv = ctx
        .settings
        .mail
        .authserv_id
        .clone()
        .unwrap_or_else(|| DEMO_AUTHSERV_ID.into());
    let mut n = 0;
    let mut put = |name: String, text: String| -> anyhow::Result<()> {
        let domain = text
            .lines()
            .find_map(|l| l.strip_prefix("From: "))
            .and_then(|f| f.split_whitespace().next())
            .and_then(|a| a.rsplit_once('@'))
            .map(|(_, d)| d.to_owned())
            .unwrap_or_default();
        let text = format!(
            "Authentication-Results: {authserv}; dmarc=pass header.from={domain}\r\n{text}"
        );
        std::fs::write(dir.join("new").join(name), text)?;
        n += 1;
        Ok(())
    };
    for (i, r) in rows.iter().skip(20).step_by(25).take(2).enumerate() {
        put(
            format!("demo-bounce-{i}.eml"),
            format!(
                "From: MAILER-DAEMON@mx.demo.example (Mail Delivery System)\r\nTo: {}\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID: <demo-bounce-{i}@mx.demo.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nYour message could not be delivered.\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.demo.example\r\n\r\nFinal-Recipient: rfc822; {}\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\r\n--B--\r\n",
                verp.return_path(r.id),
                r.email
            ),
        )?;
    }
    let mut orgs: Vec<(OrgId, String)> = rows
        .iter()
        .map(|r| (r.organisation_id, r.email.clone()))
        .collect();
    orgs.dedup_by_key(|o| o.0);
    for (i, (org, email)) in orgs.iter().take(12).enumerate() {
        let state = if i % 3 == 0 { "対応完了" } else { "受領" };
        put(
            format!("demo-reply-{i}.eml"),
            format!(
                "From: {email}\r\nTo: noreply@noroshi.example\r\nSubject: Re: 【訓練】連絡体制の確認訓練\r\nMessage-ID: <demo-reply-{i}@demo.example>\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n{state}しました。\r\n\r\n> 返信用コード: {}\r\n",
                verp.reply_code(drill, *org)
            ),
        )?;
    }
    if let Some((org, email)) = orgs.get(20) {
        put(
            "demo-oof.eml".into(),
            format!(
                "From: {email}\r\nTo: noreply@noroshi.example\r\nSubject: 不在通知\r\nAuto-Submitted: auto-replied\r\nMessage-ID: <demo-oof@demo.example>\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n12月7日まで不在です。\r\n> 返信用コード: {}\r\n",
                verp.reply_code(drill, *org)
            ),
        )?;
        put(
            "demo-question.eml".into(),
            format!(
                "From: {email}\r\nTo: noreply@noroshi.example\r\nSubject: Re: 訓練について\r\nMessage-ID: <demo-question@demo.example>\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n訓練の報告は、庁内の連絡が終わってからでよいでしょうか。\r\n\r\n> 返信用コード: {}\r\n",
                verp.reply_code(drill, *org)
            ),
        )?;
    }
    crate::inbound::process_maildir(&ctx.inbox(), &dir, 100).await?;
    Ok(n)
}

/// Puts each mail source's sample into its Maildir, as the mail system would.
fn deliver_sample_mail(ctx: &AppContext) -> anyhow::Result<()> {
    for def in ctx.catalogue.iter() {
        if let (Location::Maildir(dir), Some(sample)) = (&def.location, &def.sample) {
            crate::maildir::ensure(dir)?;
            let name = format!("demo-{}.eml", def.key);
            std::fs::copy(sample, dir.join("new").join(name))?;
        }
    }
    Ok(())
}

async fn create_demo_users(ctx: &AppContext) -> anyhow::Result<Vec<Vec<String>>> {
    let mut rows = Vec::new();
    for (role, code, email, name) in DEMO_USERS {
        let org = OrgCode::parse(code)?;
        let email = EmailAddress::parse(email)?;
        if auth::store::find_by_email(&ctx.db, &email).await?.is_some() {
            rows.push(vec![
                role.to_string(),
                code.into(),
                email.to_string(),
                "(unchanged)".into(),
            ]);
            continue;
        }
        let password: String = rand::thread_rng()
            .sample_iter(&Alphanumeric)
            .take(16)
            .map(char::from)
            .collect();
        let req = AddUser {
            org,
            role,
            email: email.clone(),
            display_name: Some(name.into()),
            password: SecretString::from(password.clone()),
        };
        let (_, org) = auth::add_user(&ctx.db, &ctx.settings.auth, req, &Actor::System).await?;
        rows.push(vec![
            role.to_string(),
            org.full_name(),
            email.to_string(),
            password,
        ]);
    }
    Ok(rows)
}
