//! Mail test helpers: central users, contacts in bulk, the four-eyes publish, draining the mail
//! lanes, and an independent reading of sent messages (Python's `email` and `dkimpy`).

use noroshi::domain::ids::AlertId;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use noroshi::alerts::audience::AudienceSpec;
use noroshi::alerts::publish::{self, PublishReport};
use noroshi::alerts::{self, DraftRequest};
use noroshi::audit::Actor;
use noroshi::auth::{self, AddUser, EmailAddress, Role, User};
use noroshi::contacts::{Contact, ContactKind, Language, MailEncoding};
use noroshi::context::AppContext;
use noroshi::delivery::worker::Lane;
use noroshi::domain::{Severity, Tlp};
use noroshi::jobs::mail::try_execute_task;
use noroshi::registry::store::OrgFilter;
use noroshi::registry::{OrgCode, Organisation, Prefecture};
use noroshi::workers::Outcome;
use secrecy::SecretString;

/// The authserv-id of the tests' MTA (`mail.authserv_id` of every test hub).
pub const AUTHSERV_ID: &str = "mx.noroshi.test";

/// `raw` as our MTA delivers it after checking its sender: an `Authentication-Results` on top,
/// under our authserv-id, saying DMARC passed for the `From` domain.
pub fn vouched(raw: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(raw);
    let domain = text
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .find(|l| l.to_ascii_lowercase().starts_with("from:"))
        .and_then(|l| {
            let addr = l.rsplit(['<', ' ', ':']).find(|w| w.contains('@'))?;
            Some(
                addr.trim_end_matches('>')
                    .rsplit_once('@')?
                    .1
                    .to_ascii_lowercase(),
            )
        })
        .unwrap_or_default();
    let mut out =
        format!("Authentication-Results: {AUTHSERV_ID}; dmarc=pass header.from={domain}\r\n")
            .into_bytes();
    out.extend_from_slice(raw);
    out
}

/// The central operator who drafts and submits, and two approvers.
pub struct Central {
    pub operator: User,
    pub approver: User,
    pub approver2: User,
}

pub async fn central_users(ctx: &AppContext) -> Central {
    let add = |email: &str, role: Role| {
        let req = AddUser {
            org: OrgCode::parse("990019").unwrap(),
            role,
            email: EmailAddress::parse(email).unwrap(),
            display_name: None,
            password: SecretString::from("correct horse battery staple"),
        };
        async move {
            auth::add_user(&ctx.db, &ctx.settings.auth, req, &Actor::System)
                .await
                .unwrap()
                .0
        }
    };
    Central {
        operator: add("operator@soumu.go.jp", Role::CentralOperator).await,
        approver: add("approver@soumu.go.jp", Role::CentralApprover).await,
        approver2: add("approver2@soumu.go.jp", Role::CentralApprover).await,
    }
}

/// A user of the organisation with `code`, with the tests' password.
pub async fn user(ctx: &AppContext, code: &str, role: Role, email: &str) -> User {
    auth::add_user(
        &ctx.db,
        &ctx.settings.auth,
        AddUser {
            org: OrgCode::parse(code).unwrap(),
            role,
            email: EmailAddress::parse(email).unwrap(),
            display_name: None,
            password: SecretString::from("correct horse battery staple"),
        },
        &Actor::System,
    )
    .await
    .unwrap()
    .0
}

/// Sends every queued notice (reports, surveys, admin notices) through the notice worker;
/// returns how many went.
pub async fn send_notices(ctx: &AppContext) -> usize {
    let mut n = 0;
    while noroshi::jobs::send_notice(ctx).await.unwrap() == noroshi::workers::Outcome::Worked {
        n += 1;
    }
    n
}

/// The body of the newest notice (a one-recipient mail: confirmations, reports) queued to
/// `email`, before it is sent.
pub async fn queued_notice_to(ctx: &AppContext, email: &str) -> String {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    noroshi::db::entities::admin_notices::Entity::find()
        .filter(noroshi::db::entities::admin_notices::Column::Recipient.eq(email))
        .order_by_desc(noroshi::db::entities::admin_notices::Column::Id)
        .one(&ctx.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("a notice is queued to {email}"))
        .body
}

/// Tokyo and its 62 municipalities.
pub async fn tokyo(ctx: &AppContext) -> Vec<Organisation> {
    let orgs = noroshi::registry::store::list(
        &ctx.db,
        OrgFilter {
            prefecture: Some(Prefecture::parse("13").unwrap()),
            kind: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(orgs.len(), 63);
    orgs
}

/// Gives each organisation `per_org` contacts (`c{i}@{code}.example.lg.jp`); `encoding(i)` picks
/// each one's encoding. All in one transaction.
pub async fn add_contacts(
    ctx: &AppContext,
    orgs: &[Organisation],
    per_org: usize,
    encoding: impl Fn(usize) -> MailEncoding,
) -> Vec<Contact> {
    let txn = noroshi::db::begin_write(&ctx.db).await.unwrap();
    let mut out = Vec::new();
    for org in orgs {
        for i in 0..per_org {
            let email = EmailAddress::parse(&format!("c{i}@{}.example.lg.jp", org.code)).unwrap();
            let kind = if i == 0 {
                ContactKind::Primary
            } else {
                ContactKind::Backup
            };
            let c = noroshi::contacts::store::insert(
                &txn,
                org.id,
                &email,
                kind,
                Language::Ja,
                encoding(out.len()),
                // Test organisations' addresses, written as a hub administrator would.
                Some(noroshi::contacts::Verified::Admin),
            )
            .await
            .unwrap_or_else(|_| panic!("contact {email} is written"));
            out.push(c);
        }
    }
    txn.commit().await.unwrap();
    out
}

/// Registers each organisation's test mail domain (`{code}.example.lg.jp`, where
/// [`add_contacts`] puts its addresses), as a hub administrator would.
pub async fn register_domains(ctx: &AppContext, orgs: &[Organisation]) {
    for org in orgs {
        noroshi::contacts::domains::add(
            &ctx.db,
            org,
            &format!("{}.example.lg.jp", org.code),
            &Actor::System,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    }
}

/// What to publish.
pub struct Draft<'a> {
    pub to: &'a [&'a str],
    pub title: &'a str,
    pub body: &'a str,
    pub severity: Severity,
    pub tlp: Tlp,
    pub drill: bool,
}

impl Default for Draft<'_> {
    fn default() -> Self {
        Self {
            to: &["pref:13+"],
            title: "Fortinet製FortiOSのSSL-VPN機能の脆弱性に関する注意喚起",
            body: "影響を受けるバージョンを使用している場合は、直ちに修正版へ更新してください。",
            severity: Severity::Critical,
            tlp: Tlp::Amber,
            drill: false,
        }
    }
}

/// Drafts (as the operator), submits and approves (as the approver); returns the alert id and
/// what the approval published.
pub async fn publish_alert(
    ctx: &AppContext,
    central: &Central,
    d: Draft<'_>,
) -> (AlertId, PublishReport) {
    let alert = alerts::create_draft(
        &ctx.db,
        &ctx.policy,
        DraftRequest {
            ack_office_days: None,
            advisory_ids: vec![],
            title: Some(d.title.into()),
            body: Some(d.body.into()),
            severity: Some(d.severity),
            tlp: Some(d.tlp),
            audience: AudienceSpec::parse_selectors(d.to).unwrap(),
            ack_within_hours: None,
            drill: d.drill,
            starts_at: None,
        },
        &Actor::of(&central.operator),
    )
    .await
    .unwrap();
    publish::submit(&ctx.db, alert.id, &central.operator)
        .await
        .unwrap();
    let report = publish::approve(&ctx.db, &ctx.rules, alert.id, &central.approver, None)
        .await
        .unwrap();
    (alert.id, report)
}

/// Publishes the next revision (第N報) of a published alert: `edit` by the operator, submitted by
/// the operator, approved by the second approver; returns what the approval published.
pub async fn publish_revision(
    ctx: &AppContext,
    central: &Central,
    id: AlertId,
    edit: publish::Edit,
) -> PublishReport {
    publish::revise(&ctx.db, id, &central.operator, edit)
        .await
        .unwrap();
    publish::submit(&ctx.db, id, &central.operator)
        .await
        .unwrap();
    publish::approve(&ctx.db, &ctx.rules, id, &central.approver2, None)
        .await
        .unwrap()
}

/// Runs a mail lane until it finds nothing due; returns the batches it sent.
pub async fn drain(ctx: &AppContext, lane: Lane) -> usize {
    let mut batches = 0;
    while try_execute_task(ctx, lane).await.unwrap() == Outcome::Worked {
        batches += 1;
        assert!(batches < 10_000, "the lane never ran dry");
    }
    batches
}

/// The header `name` of a raw message, unfolded.
pub fn header(raw: &str, name: &str) -> Option<String> {
    let head = raw.split("\r\n\r\n").next()?;
    let mut value: Option<String> = None;
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            if let Some(v) = value.as_mut() {
                v.push_str(line);
            }
            continue;
        }
        if value.is_some() {
            break;
        }
        if let Some((n, v)) = line.split_once(':')
            && n.eq_ignore_ascii_case(name)
        {
            value = Some(v.trim().to_owned());
        }
    }
    value
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dkim")
        .join(name)
}

/// Python with dkimpy and PyNaCl: installed from PyPI on first use if missing. A test that
/// needs the independent verifier fails (it does not skip) when it cannot be had.
fn python() -> &'static str {
    static READY: OnceLock<()> = OnceLock::new();
    READY.get_or_init(|| {
        let has = || {
            Command::new("python3")
                .args(["-c", "import dkim, nacl"])
                .status()
                .is_ok_and(|s| s.success())
        };
        if !has() {
            let pip = |extra: &[&str]| {
                Command::new("python3")
                    .args(["-m", "pip", "install", "--quiet"])
                    .args(extra)
                    .args(["dkimpy", "pynacl"])
                    .status()
                    .is_ok_and(|s| s.success())
            };
            // A Debian python3 refuses plain pip installs (PEP 668).
            let installed = pip(&[]) || pip(&["--break-system-packages"]);
            assert!(
                installed && has(),
                "the DKIM tests need python3 with dkimpy and pynacl (pip install dkimpy pynacl)"
            );
        }
    });
    "python3"
}

/// One message as Python reads it.
#[derive(Debug, serde::Deserialize)]
pub struct PyMail {
    pub file: String,
    pub dkim: Vec<serde_json::Value>,
    pub to: String,
    pub subject: String,
    pub text: Option<String>,
    pub html: bool,
}

/// Writes the messages to `dir` and has Python verify and decode them.
pub fn verify_with_python(dir: &Path, messages: &[Vec<u8>]) -> Vec<PyMail> {
    let mut files = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        let p = dir.join(format!("m{i}.eml"));
        std::fs::write(&p, m).unwrap();
        files.push(p);
    }
    let rsa = std::fs::read_to_string(fixture("test-rsa2048.pub.b64")).unwrap();
    let ed = std::fs::read_to_string(fixture("test-ed25519.pub.b64")).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/verify_mail.py");
    let out = Command::new(python())
        .arg(script)
        .args(["noroshi", rsa.trim(), "noroshi-ed", ed.trim()])
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "verify_mail.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// This week's メールマガジン (the last seven days up to now, or from where the last issue ended), composed and
/// submitted by the operator; returns the draft's id for the approval.
pub async fn submitted_issue(ctx: &AppContext, central: &Central) -> noroshi::domain::ids::IssueId {
    use noroshi::magazine::issue;
    let now = chrono::Utc::now();
    // One issue per period: a later issue starts where the last one ended.
    let from = issue::list(&ctx.db, true, 1)
        .await
        .unwrap()
        .first()
        .map_or(now - chrono::Duration::days(7), |last| last.period_to);
    let draft = issue::compose(&ctx.db, &central.operator, from, now, now)
        .await
        .unwrap();
    issue::submit(&ctx.db, &central.operator, draft.id, now)
        .await
        .unwrap();
    draft.id
}

/// The seeded organisation with this code.
pub async fn org_by_code(ctx: &AppContext, code: &str) -> Organisation {
    noroshi::registry::store::find_by_code(&ctx.db, OrgCode::parse(code).unwrap())
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no organisation {code} is seeded"))
}
