//! The return channel through a real MTA: Debian's postfix, started by the test on 127.0.0.1
//! with a queue of its own and configured by the README's own shell blocks (read from README.md
//! and run as written, their first lines set to this test's user, directories and ports). The
//! hub relays through it; postfix relays on to a "remote" SMTP server that refuses some addresses
//! and defers one, writes its own DSNs to each mail's VERP address and delivers them — and the
//! replies sent to it, checked by OpenDKIM as a milter — into the hub's Maildir as the hub's
//! user. The hub reads them from there.
//!
//! Without postfix (or OpenDKIM, for the reply path), or without root (postfix's master runs as
//! root), each test says why and is skipped; `.ci/run` installs both and sets
//! `NOROSHI_REQUIRE_POSTFIX=1`, which makes a missing one a failure.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::Utc;
use noroshi::contacts::MailEncoding;
use noroshi::delivery::store::{self as ledger, DeliveryStatus};
use noroshi::delivery::worker::Lane;
use noroshi::domain::Tlp;
use noroshi::inbound::{self, Outcome};
use noroshi::smtp_sink::{Reply, SinkPolicy, SmtpSink};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use secrecy::SecretString;
use tempfile::TempDir;

use crate::helpers::TestApp;
use crate::helpers::mail::{Draft, add_contacts, central_users, drain, publish_alert, tokyo};
use crate::helpers::spawn_app_with;

/// The user the hub's Maildir belongs to in these tests (uid ≥ 100, present on Debian).
const HUB_USER: &str = "nobody";

/// The README's shell block marked for this test (the `n`th: 0 the return path, 1 OpenDKIM),
/// exactly as written.
fn readme_block(n: usize) -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let marker = "<!-- tests/integration/postfix.rs runs this block";
    let at = readme
        .match_indices(marker)
        .nth(n)
        .unwrap_or_else(|| panic!("the README marks {} shell blocks for this test", n + 1))
        .0;
    let rest = &readme[at..];
    let start = rest
        .find("```sh\n")
        .expect("a shell block after the marker")
        + "```sh\n".len();
    let end = rest[start..].find("\n```").expect("the block ends");
    rest[start..start + end].to_owned()
}

/// The block with its first lines (who and where) set to this test's; everything else runs as
/// the README has it.
fn configured(block: &str, values: &[(&str, String)]) -> String {
    let mut lines: Vec<String> = block.lines().map(str::to_owned).collect();
    for (i, (name, value)) in values.iter().enumerate() {
        assert!(
            lines.get(i).is_some_and(|l| l.starts_with(name)),
            "the README block's line {} sets {name}…: {:?}",
            i + 1,
            lines.get(i)
        );
        lines[i] = format!("{name}{value}");
    }
    lines.join("\n") + "\n"
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    l.local_addr().expect("its address").port()
}

fn run(cmd: &mut Command) -> std::process::Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// A postfix instance of the test's own: its own configuration, queue and log under a temp
/// directory, listening on 127.0.0.1 only. Stopped when dropped.
struct Postfix {
    root: TempDir,
    conf: PathBuf,
    port: u16,
    /// OpenDKIM, when the test asked for it: its configuration and the key a municipality
    /// signs with.
    milter: Option<Milter>,
}

struct Milter {
    pid_file: PathBuf,
    key: PathBuf,
}

/// The selector of the test municipality's DKIM key.
const SELECTOR: &str = "sel";

impl Postfix {
    /// Starts postfix relaying everything to `127.0.0.1:relay_port`, then runs the README's
    /// return-path block against it, and with `dkim_domains` its OpenDKIM block too (OpenDKIM
    /// reading those domains' public key from a test file instead of DNS). `None` (with the
    /// reason printed) where postfix cannot run here.
    fn start(relay_port: u16, hub_data: &Path, dkim_domains: &[String]) -> Option<Self> {
        let skip = |why: &str| -> Option<Self> {
            assert!(
                std::env::var_os("NOROSHI_REQUIRE_POSTFIX").is_none(),
                "NOROSHI_REQUIRE_POSTFIX is set, but {why}"
            );
            eprintln!("skipped: {why}");
            None
        };
        if !Path::new("/usr/sbin/postfix").exists() {
            return skip("Debian's postfix is not installed (apt-get install postfix)");
        }
        let uid = String::from_utf8_lossy(&run(Command::new("id").arg("-u")).stdout)
            .trim()
            .to_owned();
        if uid != "0" {
            return skip("postfix's master runs as root, and these tests do not");
        }
        if !run(Command::new("id").arg(HUB_USER)).status.success() {
            return skip("there is no user `nobody` to own the hub's Maildir");
        }
        if !dkim_domains.is_empty() && !Path::new("/usr/sbin/opendkim").exists() {
            return skip("Debian's opendkim is not installed (apt-get install opendkim)");
        }
        let root = TempDir::new().expect("a temp dir");
        let at = root.path();
        let conf = at.join("etc");
        for d in ["etc", "queue", "data"] {
            std::fs::create_dir_all(at.join(d)).expect("postfix's directories");
        }
        // postfix's own user keeps its data directory; every daemon traverses the root.
        chmod(at, 0o755);
        assert!(
            run(Command::new("chown").args(["postfix"]).arg(at.join("data")))
                .status
                .success()
        );
        let port = free_port();
        std::fs::write(conf.join("master.cf"), master_cf(port)).expect("master.cf");
        std::fs::write(conf.join("main.cf"), main_cf(at, relay_port)).expect("main.cf");
        let mut pf = Self {
            root,
            conf,
            port,
            milter: None,
        };
        let started = run(Command::new("postfix").arg("-c").arg(&pf.conf).arg("start"));
        assert!(
            started.status.success(),
            "postfix did not start: {}\n{}",
            String::from_utf8_lossy(&started.stderr),
            pf.log()
        );
        // The README's lines, as an operator pastes them.
        let script = configured(
            &readme_block(0),
            &[
                ("NOROSHI_USER=", HUB_USER.to_owned()),
                ("NOROSHI_DATA=", hub_data.display().to_string()),
                ("NOROSHI_DOMAIN=", "noroshi.example".to_owned()),
                ("POSTFIX_CONF=", pf.conf.display().to_string()),
            ],
        );
        pf.shell(&script, "the README's postfix block");
        if !dkim_domains.is_empty() {
            pf.start_opendkim(dkim_domains);
        }
        pf.wait_listening();
        Some(pf)
    }

    fn shell(&self, script: &str, what: &str) {
        let out = run(Command::new("bash").args(["-euc", script]));
        assert!(
            out.status.success(),
            "{what} failed: {}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
    }

    /// A key for the municipalities' domains, the OpenDKIM configuration a Debian install has
    /// (with the test's key file, pid file and no syslog), then the README's OpenDKIM block.
    fn start_opendkim(&mut self, domains: &[String]) {
        let at = self.root.path();
        let key = at.join("dkim.pem");
        let made = run(Command::new("openssl")
            .args(["genrsa", "-out"])
            .arg(&key)
            .arg("2048"));
        assert!(made.status.success(), "openssl genrsa: {made:?}");
        let public = run(Command::new("openssl")
            .args(["rsa", "-pubout", "-outform", "DER", "-in"])
            .arg(&key));
        assert!(public.status.success(), "openssl rsa -pubout: {public:?}");
        use base64::Engine;
        let p = base64::engine::general_purpose::STANDARD.encode(&public.stdout);
        let keys: String = domains
            .iter()
            .map(|d| format!("{SELECTOR}._domainkey.{d} v=DKIM1; k=rsa; p={p}\n"))
            .collect();
        std::fs::write(at.join("dkim.keys"), keys).expect("the key file");
        let conf = at.join("opendkim.conf");
        let pid_file = at.join("opendkim.pid");
        std::fs::write(
            &conf,
            format!(
                "Syslog no\nCanonicalization relaxed/simple\nUMask 007\n\
                 Socket local:/run/opendkim/opendkim.sock\nPidFile {}\nTestPublicKeys {}\n",
                pid_file.display(),
                at.join("dkim.keys").display()
            ),
        )
        .expect("opendkim.conf");
        let milter_port = free_port();
        // `systemctl restart opendkim`, for a test: start this OpenDKIM in the background.
        let script = format!(
            "systemctl() {{ opendkim -x \"$OPENDKIM_CONF\"; }}\n{}",
            configured(
                &readme_block(1),
                &[
                    ("AUTHSERV_ID=", crate::helpers::mail::AUTHSERV_ID.to_owned()),
                    ("OPENDKIM_CONF=", conf.display().to_string()),
                    ("OPENDKIM_PORT=", milter_port.to_string()),
                    ("POSTFIX_CONF=", self.conf.display().to_string()),
                ],
            )
        );
        self.milter = Some(Milter { pid_file, key });
        self.shell(&script, "the README's OpenDKIM block");
        let until = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", milter_port)).is_err() {
            assert!(Instant::now() < until, "OpenDKIM never listened");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `message` with a DKIM signature of `domain` (by dkimpy, the municipality's signer).
    fn signed(&self, domain: &str, message: &str) -> String {
        let m = self.milter.as_ref().expect("OpenDKIM runs");
        let mut child = Command::new("python3")
            .args([
                "-c",
                "import dkim, sys\n\
                 m = sys.stdin.buffer.read()\n\
                 k = open(sys.argv[1], 'rb').read()\n\
                 h = [b'from', b'to', b'subject', b'message-id', b'content-type']\n\
                 sys.stdout.buffer.write(dkim.sign(m, sys.argv[2].encode(), sys.argv[3].encode(), k, include_headers=h) + m)",
            ])
            .arg(&m.key)
            .arg(SELECTOR)
            .arg(domain)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 with dkimpy");
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().expect("stdin");
            stdin.write_all(message.as_bytes()).expect("to python");
        }
        let out = child.wait_with_output().expect("python3");
        assert!(out.status.success(), "dkimpy could not sign: {out:?}");
        String::from_utf8(out.stdout).expect("a signed message")
    }

    fn wait_listening(&self) {
        let until = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < until,
                "postfix never listened on {}: {}",
                self.port,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log(&self) -> String {
        let log = std::fs::read_to_string(self.root.path().join("maillog")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// Hands a message to postfix as a remote MTA would (the replies coming back).
    fn submit(&self, from: &str, to: &str, message: &str) {
        use std::io::{BufRead, BufReader, Write};
        let stream = std::net::TcpStream::connect(("127.0.0.1", self.port)).expect("postfix");
        stream.set_nodelay(true).ok();
        let mut reader = BufReader::new(stream.try_clone().expect("a second handle"));
        let mut w = stream;
        let mut answer = |w: &mut std::net::TcpStream, line: Option<&str>, want: &str| {
            if let Some(l) = line {
                w.write_all(l.as_bytes()).expect("write");
            }
            loop {
                let mut got = String::new();
                reader.read_line(&mut got).expect("read");
                assert!(
                    got.starts_with(want),
                    "postfix answered {got:?} to {line:?}"
                );
                if got.as_bytes().get(3) != Some(&b'-') {
                    break;
                }
            }
        };
        answer(&mut w, None, "220");
        answer(&mut w, Some("EHLO mx.city.example.lg.jp\r\n"), "250");
        answer(&mut w, Some(&format!("MAIL FROM:<{from}>\r\n")), "250");
        answer(&mut w, Some(&format!("RCPT TO:<{to}>\r\n")), "250");
        answer(&mut w, Some("DATA\r\n"), "354");
        let body = message.replace("\r\n.", "\r\n..");
        answer(&mut w, Some(&format!("{body}\r\n.\r\n")), "250");
        answer(&mut w, Some("QUIT\r\n"), "221");
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        if let Some(m) = &self.milter
            && let Ok(pid) = std::fs::read_to_string(&m.pid_file)
        {
            let pid = pid.trim().to_owned();
            let _ = Command::new("kill").arg(&pid).output();
            let until = Instant::now() + Duration::from_secs(10);
            while Instant::now() < until
                && Command::new("kill")
                    .args(["-0", &pid])
                    .output()
                    .is_ok_and(|o| o.status.success())
            {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        let _ = Command::new("postfix")
            .arg("-c")
            .arg(&self.conf)
            .arg("stop")
            .output();
        // Nothing of ours keeps running: wait for the master to go.
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until
            && Command::new("postfix")
                .arg("-c")
                .arg(&self.conf)
                .arg("status")
                .output()
                .is_ok_and(|o| o.status.success())
        {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Debian's services, none chrooted (the queue is a temp directory, not /var/spool/postfix),
/// smtpd on a port of the test's.
fn master_cf(port: u16) -> String {
    format!(
        "127.0.0.1:{port} inet n - n - - smtpd\n\
         pickup unix n - n 60 1 pickup\n\
         cleanup unix n - n - 0 cleanup\n\
         qmgr unix n - n 300 1 qmgr\n\
         rewrite unix - - n - - trivial-rewrite\n\
         bounce unix - - n - 0 bounce\n\
         defer unix - - n - 0 bounce\n\
         trace unix - - n - 0 bounce\n\
         verify unix - - n - 1 verify\n\
         flush unix n - n 1000? 0 flush\n\
         proxymap unix - - n - - proxymap\n\
         smtp unix - - n - - smtp\n\
         relay unix - - n - - smtp\n\
         showq unix n - n - - showq\n\
         error unix - - n - - error\n\
         retry unix - - n - - error\n\
         discard unix - - n - - discard\n\
         local unix - n n - - local\n\
         virtual unix - n n - - virtual\n\
         anvil unix - - n - 1 anvil\n\
         scache unix - - n - 1 scache\n\
         postlog unix-dgram n - n - 1 postlogd\n"
    )
}

/// What a site's postfix has before Noroshi: this host's name, loopback only, everything
/// relayed to the next hop; retries and the delay warning within seconds so a test sees them.
fn main_cf(root: &Path, relay_port: u16) -> String {
    let r = root.display();
    format!(
        "compatibility_level = 3.6\n\
         queue_directory = {r}/queue\n\
         data_directory = {r}/data\n\
         mail_owner = postfix\n\
         setgid_group = postdrop\n\
         myhostname = mail.noroshi.example\n\
         mydomain = noroshi.example\n\
         myorigin = $mydomain\n\
         mydestination =\n\
         inet_interfaces = 127.0.0.1\n\
         inet_protocols = ipv4\n\
         mynetworks = 127.0.0.0/8\n\
         smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n\
         alias_maps =\n\
         alias_database =\n\
         maillog_file = {r}/maillog\n\
         maillog_file_prefixes = {r}\n\
         relayhost = [127.0.0.1]:{relay_port}\n\
         smtp_tls_security_level = none\n\
         smtpd_tls_security_level = none\n\
         delay_warning_time = 1s\n\
         minimal_backoff_time = 1s\n\
         maximal_backoff_time = 2s\n\
         queue_run_delay = 1s\n"
    )
}

/// The recipients' servers: a 550 (folded by postfix into its DSN) for `refused`, a 450 for
/// `deferred`, everything else accepted.
struct Remote {
    refused: BTreeSet<String>,
    deferred: BTreeSet<String>,
}

impl SinkPolicy for Remote {
    fn on_rcpt(&self, rcpt: &str) -> Reply {
        if self.refused.contains(rcpt) {
            Reply::new(
                550,
                format!(
                    "5.1.1 <{rcpt}>: Recipient address rejected: User unknown in local recipient table"
                ),
            )
        } else if self.deferred.contains(rcpt) {
            Reply::new(450, "4.2.0 <mailbox busy>: try again later")
        } else {
            Reply::new(250, "2.1.5 OK")
        }
    }
}

/// A hub whose data directory's Maildir postfix writes into, relaying through `postfix`.
struct Setup {
    app: TestApp,
    remote: SmtpSink,
    postfix: Postfix,
    _hub_data: TempDir,
}

async fn setup(dkim_domains: &[String]) -> Option<Setup> {
    let remote = SmtpSink::start().await.expect("the remote server starts");
    let hub_data = TempDir::new().expect("a temp dir");
    chmod(hub_data.path(), 0o755);
    let postfix = Postfix::start(remote.port(), hub_data.path(), dkim_domains)?;
    let (port, maildir) = (postfix.port, hub_data.path().join("inbound"));
    let app = spawn_app_with(move |s| {
        s.mail.smtp_url = Some(SecretString::from(format!("smtp://127.0.0.1:{port}")));
        s.mail.inbound_maildir = Some(maildir);
    })
    .await;
    Some(Setup {
        app,
        remote,
        postfix,
        _hub_data: hub_data,
    })
}

/// Waits until postfix has delivered at least `n` messages into the hub's Maildir.
async fn wait_for_returned(s: &Setup, n: usize, what: &str) {
    let new = inbound::maildir(&s.app.ctx.settings).join("new");
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let have = std::fs::read_dir(&new).map_or(0, |d| d.count());
        if have >= n {
            return;
        }
        assert!(
            Instant::now() < until,
            "{have} of {n} {what} arrived in {} within 60 s; postfix's log:\n{}",
            new.display(),
            s.postfix.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn read_returned(s: &Setup) -> Vec<inbound::Processed> {
    inbound::process_maildir(
        &s.app.ctx.inbox(),
        &inbound::maildir(&s.app.ctx.settings),
        1000,
    )
    .await
    .expect("the Maildir is read")
}

fn address(code: &str) -> String {
    format!("c0@{code}.example.lg.jp")
}

#[tokio::test]
async fn an_alert_a_drill_and_a_survey_through_postfix_come_back_as_its_own_dsns_and_replies() {
    // Tokyo's first municipalities sign their mail (OpenDKIM reads their key from a test file).
    let domains: Vec<String> = (131016..131200)
        .map(|c| format!("{c}.example.lg.jp"))
        .collect();
    let Some(s) = setup(&domains).await else {
        return;
    };
    let app = &s.app;
    let db = &app.ctx.db;
    let central = central_users(&app.ctx).await;
    let orgs = tokyo(&app.ctx).await;
    add_contacts(&app.ctx, &orgs, 1, |_| MailEncoding::Utf8).await;
    let code = |i: usize| orgs[i].code.to_string();
    assert!(domains.contains(&format!("{}.example.lg.jp", code(5))));
    let refused: BTreeSet<String> = [1, 2].iter().map(|&i| address(&code(i))).collect();
    let deferred: BTreeSet<String> = [address(&code(3))].into();
    s.remote.set_policy(Remote {
        refused: refused.clone(),
        deferred: deferred.clone(),
    });

    // An alert, a drill and a survey request to Tokyo and its municipalities, through postfix.
    let (alert, _) = publish_alert(&app.ctx, &central, Draft::default()).await;
    let (drill, _) = publish_alert(
        &app.ctx,
        &central,
        Draft {
            drill: true,
            tlp: Tlp::Green,
            title: "令和8年度 連絡体制の確認訓練",
            ..Draft::default()
        },
    )
    .await;
    drain(&app.ctx, Lane::All).await;
    crate::access_matrix::publish_survey(app, &central, &["pref:13+"]).await;
    assert_eq!(crate::helpers::mail::send_notices(&app.ctx).await, 63);
    for id in [alert, drill] {
        let rows = ledger::for_alert(db, id).await.unwrap();
        assert_eq!(rows.len(), 63);
        assert!(
            rows.iter().all(|r| r.status == DeliveryStatus::Sent),
            "postfix took every message"
        );
    }

    // Postfix's DSNs for the two refused addresses (alert, drill, survey: six), then at least
    // one delay warning for the deferred one.
    wait_for_returned(&s, 7, "returned messages").await;
    let done = read_returned(&s).await;
    let bounces: Vec<_> = done
        .iter()
        .filter(|p| p.kind == "bounce" && !p.detail.contains("delay"))
        .collect();
    assert_eq!(bounces.len(), 6, "{done:#?}");
    assert!(
        bounces.iter().all(|p| p.outcome == Outcome::Recorded),
        "every DSN found its row: {done:#?}"
    );
    assert!(
        done.iter().any(|p| p.detail.contains("delay warning")),
        "the delay warning is recorded and changes nothing: {done:#?}"
    );
    assert_eq!(
        bounces.iter().filter(|p| p.notice_id.is_some()).count(),
        2,
        "the survey requests' DSNs found their notices"
    );

    // The ledger: the refused rows bounced with postfix's status and the remote reason, unfolded.
    for id in [alert, drill] {
        let rows = ledger::for_alert(db, id).await.unwrap();
        for r in &rows {
            if refused.contains(&r.email) {
                assert_eq!(r.status, DeliveryStatus::Bounced, "{}", r.email);
                assert_eq!(r.bounce_status.as_deref(), Some("5.1.1"));
                let reason = r.bounce_reason.as_deref().unwrap_or_default();
                assert!(
                    reason.contains("User unknown in local recipient table")
                        && !reason.contains("  "),
                    "one line, single spaces: {reason:?}"
                );
            } else {
                assert_eq!(r.status, DeliveryStatus::Sent, "{}", r.email);
            }
        }
    }
    // The survey requests to them are marked too.
    let notices = noroshi::db::entities::admin_notices::Entity::find()
        .filter(noroshi::db::entities::admin_notices::Column::Kind.eq("survey"))
        .all(db)
        .await
        .unwrap();
    assert_eq!(notices.len(), 63);
    for n in &notices {
        assert_eq!(
            n.bounced_at.is_some(),
            refused.contains(&n.recipient),
            "{}",
            n.recipient
        );
    }
    // Three permanent bounces by three kinds of mail: the addresses are unreachable now; the
    // deferred one is untouched.
    for i in [1, 2, 3] {
        let c = noroshi::contacts::store::list_for_org(db, orgs[i].id)
            .await
            .unwrap();
        let want = if i == 3 { (0, false) } else { (3, true) };
        assert_eq!(
            (c[0].hard_bounces, c[0].unreachable),
            want,
            "{}",
            c[0].email
        );
    }

    // The 疎通確認 report counts postfix's bounces.
    let drill_alert = noroshi::alerts::store::get(db, drill)
        .await
        .unwrap()
        .unwrap();
    let report =
        noroshi::drills::report::build(db, &drill_alert, noroshi::drills::report::Scope::All)
            .await
            .unwrap()
            .unwrap();
    let t = &report.total;
    assert_eq!(
        (t.addressed, t.bounced, t.reached, t.without_working_contact),
        (63, 2, 61, 2)
    );

    // Answers: one by the link in the mail postfix relayed; a reply and an auto-reply by mail,
    // back through postfix into the Maildir.
    let answering = address(&code(4));
    let relayed = s
        .remote
        .received()
        .into_iter()
        .find(|t| {
            t.rcpt_to == [answering.clone()] && {
                let p = mail_parser::MessageParser::default()
                    .parse(t.data.as_slice())
                    .unwrap();
                p.subject().unwrap_or_default().contains("訓練")
            }
        })
        .expect("the drill reached the answering organisation through postfix");
    assert!(
        relayed.mail_from.starts_with("bounce+") && relayed.mail_from.ends_with("@noroshi.example"),
        "postfix kept the VERP sender: {}",
        relayed.mail_from
    );
    let text = mail_parser::MessageParser::default()
        .parse(relayed.data.as_slice())
        .unwrap()
        .body_text(0)
        .unwrap()
        .into_owned();
    let at = text.find("/ack/").expect("a one-click link");
    let token: String = text[at + 5..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    let r = reqwest::Client::new()
        .post(app.url(&format!("/ack/{token}")))
        .form(&[("state", "received"), ("note", "")])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());

    // A reply signed by its municipality's domain; a reply that writes its own verdict under
    // the hub's authserv-id (OpenDKIM removes it); an auto-reply.
    let reply = |i: usize, extra: &str, subject: &str, words: &str| {
        format!(
            "{extra}From: {from}\r\nTo: noreply@noroshi.example\r\nSubject: {subject}\r\n\
             Message-ID: <m{i}@{code}.example.lg.jp>\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n\
             {words}\r\n\r\n> 返信用コード: {rc}\r\n",
            from = address(&code(i)),
            code = code(i),
            rc = app.ctx.mailer.verp.reply_code(drill, orgs[i].id),
        )
    };
    let signed = s.postfix.signed(
        &format!("{}.example.lg.jp", code(5)),
        &reply(5, "", "Re: 訓練", "受領しました。"),
    );
    s.postfix
        .submit(&address(&code(5)), "noreply@noroshi.example", &signed);
    let forged = reply(
        7,
        &format!(
            "Authentication-Results: {}; dmarc=pass header.from={}.example.lg.jp\r\n",
            crate::helpers::mail::AUTHSERV_ID,
            code(7)
        ),
        "Re: 訓練",
        "対応完了",
    );
    s.postfix
        .submit(&address(&code(7)), "noreply@noroshi.example", &forged);
    s.postfix.submit(
        &address(&code(6)),
        "noreply@noroshi.example",
        &reply(
            6,
            "Auto-Submitted: auto-replied\r\n",
            "不在通知",
            "12月7日まで不在です。",
        ),
    );
    wait_for_returned(&s, 3, "replies").await;
    let done = read_returned(&s).await;
    let of = |i: usize| {
        done.iter()
            .find(|p| p.organisation_id == Some(orgs[i].id))
            .unwrap_or_else(|| panic!("the mail of {} came back: {done:#?}", code(i)))
    };
    assert_eq!(
        (of(5).kind, of(5).outcome),
        ("reply", Outcome::Recorded),
        "{:?}",
        of(5)
    );
    assert_eq!(
        (of(6).kind, of(6).outcome),
        ("auto_reply", Outcome::Recorded)
    );
    // A verdict the sender wrote is gone before the hub reads the mail (RemoveARAll), and
    // OpenDKIM's own says the mail is unsigned: it waits for a person.
    assert_eq!(of(7).outcome, Outcome::Pending, "{:?}", of(7));
    assert!(of(7).detail.contains("did not vouch"), "{}", of(7).detail);
    let kept = std::fs::read_dir(inbound::maildir(&app.ctx.settings).join("cur"))
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
        .find(|m| m.contains(&format!("<m7@{}.example.lg.jp>", code(7))))
        .expect("the forged reply is kept in the Maildir");
    let forged_line = format!(
        "{}; dmarc=pass header.from={}",
        crate::helpers::mail::AUTHSERV_ID,
        code(7)
    );
    assert!(
        !kept.contains(&forged_line),
        "OpenDKIM removed the sender's own verdict:\n{kept}"
    );
    let history = |i: usize| noroshi::acks::store::history(db, drill, orgs[i].id);
    let five = history(5).await.unwrap();
    assert_eq!(five.len(), 1);
    assert_eq!(
        (five[0].state.as_str(), five[0].channel.as_str()),
        ("received", "mail_reply")
    );
    assert!(
        history(7).await.unwrap().is_empty(),
        "the forged verdict did nothing"
    );
    assert!(
        history(6).await.unwrap().is_empty(),
        "an auto-reply is no answer"
    );

    let report =
        noroshi::drills::report::build(db, &drill_alert, noroshi::drills::report::Scope::All)
            .await
            .unwrap()
            .unwrap();
    assert_eq!(
        report.total.answered, 2,
        "the link's answer and the signed reply, nothing else"
    );
}

#[tokio::test]
async fn three_contact_confirmation_campaigns_to_an_address_postfix_bounces_make_it_unreachable() {
    let Some(s) = setup(&[]).await else { return };
    let app = &s.app;
    let db = &app.ctx.db;
    let orgs = tokyo(&app.ctx).await;
    let asked = &orgs[..4];
    add_contacts(&app.ctx, asked, 1, |_| MailEncoding::Utf8).await;
    let dead = address(&orgs[2].code.to_string());
    s.remote.set_policy(Remote {
        refused: [dead.clone()].into(),
        deferred: BTreeSet::new(),
    });
    let contact = || async {
        noroshi::contacts::store::list_for_org(db, orgs[2].id)
            .await
            .unwrap()
            .remove(0)
    };
    for day in 0..3 {
        let now = Utc::now() + chrono::Duration::days(day);
        let started = noroshi::contacts::confirm::start_campaign(
            db,
            &app.ctx.contact_links(),
            asked,
            "pref:13",
            noroshi::contacts::confirm::Reach::Everyone,
            &noroshi::audit::Actor::System,
            now,
        )
        .await
        .unwrap();
        assert!(
            matches!(started, noroshi::contacts::confirm::Started::Queued(ref c) if c.mails == 4),
            "campaign {day}"
        );
        assert_eq!(crate::helpers::mail::send_notices(&app.ctx).await, 4);
        wait_for_returned(&s, 1, "DSNs").await;
        let done = read_returned(&s).await;
        assert_eq!(done.len(), 1, "{done:#?}");
        assert_eq!(done[0].outcome, Outcome::Recorded, "{:?}", done[0]);
        assert!(done[0].notice_id.is_some(), "{:?}", done[0]);
        assert_eq!(done[0].organisation_id, Some(orgs[2].id));
        let c = contact().await;
        assert_eq!(
            (c.hard_bounces, c.unreachable),
            (day as i32 + 1, day == 2),
            "after campaign {}",
            day + 1
        );
    }
    // Only the dead address counts; the others' mail went through.
    for o in [0, 1, 3] {
        let c = noroshi::contacts::store::list_for_org(db, orgs[o].id)
            .await
            .unwrap();
        assert_eq!((c[0].hard_bounces, c[0].unreachable), (0, false));
    }
    // The coverage report (and `/contacts/coverage`) now names the organisation as reachable
    // only through a dead address.
    let gaps = noroshi::contacts::confirm::coverage(db, asked, Utc::now())
        .await
        .unwrap();
    let dead_only: Vec<_> = gaps
        .iter()
        .filter(|(_, g)| *g == noroshi::contacts::confirm::Gap::OnlyUnreachable)
        .map(|(o, _)| o.id)
        .collect();
    assert_eq!(dead_only, [orgs[2].id]);
    // The notices say so.
    let to_dead = noroshi::db::entities::admin_notices::Entity::find()
        .filter(noroshi::db::entities::admin_notices::Column::Recipient.eq(dead.as_str()))
        .all(db)
        .await
        .unwrap();
    assert_eq!(to_dead.len(), 3);
    assert!(
        to_dead
            .iter()
            .all(|n| n.bounce_status.as_deref() == Some("5.1.1") && n.bounced_at.is_some())
    );
}
