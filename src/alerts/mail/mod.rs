//! An alert's mail: one template per revision × language × encoding × kind (and organisation,
//! when the mail carries its acknowledgement link), built and signed once and shared by every
//! recipient it fits; the recipient's own headers are added per message. The delivery worker
//! asks here for the bytes of each claimed ledger row of an alert.

pub mod render;

use crate::domain::ids::{OrgId, RevisionId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use sea_orm::ConnectionTrait;

use super::links::LinkKey;
use crate::config::Settings;
use crate::delivery::store::{Claimed, Kind};
use crate::delivery::{Composed, Mailer, Template, mime, rfc2822_jst};
use crate::domain::Language;
use crate::domain::mail::MailEncoding;

/// Revisions (with their templates) kept in memory.
const REVISION_CACHE: usize = 256;
/// Templates kept per revision (one per organisation when mails carry links).
const TEMPLATES_PER_REVISION: usize = 8_192;

type TemplateKey = (Language, MailEncoding, Kind, Option<OrgId>);

/// A revision as the mailer needs it.
struct Prepared {
    public_id: String,
    revision: super::Revision,
    /// By language, encoding, kind and — when the mail carries an acknowledgement link — the
    /// organisation (its link is in the body, so its body and signature are its own).
    templates: Mutex<HashMap<TemplateKey, Arc<Template>>>,
    /// Acknowledgement link tokens by addressed organisation, made once per revision.
    links: tokio::sync::OnceCell<HashMap<OrgId, String>>,
    /// Whether this process has started signing the revision's remaining templates ahead.
    warming: std::sync::atomic::AtomicBool,
    /// A prefecture's own alert: its name (発信者) and its 問合せ先 (empty: the centre's).
    signer: Option<(String, String)>,
}

/// The alerts' side of the mailer: the revisions being sent, with their templates and links.
pub struct AlertMail {
    revisions: Mutex<HashMap<RevisionId, Arc<Prepared>>>,
    link_key: LinkKey,
}

impl std::fmt::Debug for AlertMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlertMail").finish_non_exhaustive()
    }
}

impl AlertMail {
    /// Reads the acknowledgement link key (`mail.ack_link_key`, else `<data_dir>/keys/ack-link.key`,
    /// created when missing): every hub process that sends mail must read the same file.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let key_file = settings
            .mail
            .ack_link_key
            .clone()
            .unwrap_or_else(|| settings.app.data_dir.join("keys").join("ack-link.key"));
        Ok(Self {
            revisions: Mutex::new(HashMap::new()),
            link_key: LinkKey::load_or_create(&key_file)?,
        })
    }

    async fn prepared(
        &self,
        db: &impl ConnectionTrait,
        revision_id: RevisionId,
    ) -> anyhow::Result<Option<Arc<Prepared>>> {
        if let Some(p) = self
            .revisions
            .lock()
            .ok()
            .and_then(|r| r.get(&revision_id).cloned())
        {
            return Ok(Some(p));
        }
        let Some(revision) = super::store::revision(db, revision_id).await? else {
            return Ok(None);
        };
        let Some(alert) = super::store::get(db, revision.alert_id).await? else {
            return Ok(None);
        };
        let public_id = alert
            .public_id
            .context("a published alert has no public id")?;
        // Whoever sends, signs: a prefecture's own alert or drill carries its name and its
        // 問合せ先, not the centre's.
        let signer = crate::contacts::inquiry_line::signer(db, alert.owner).await?;
        let p = Arc::new(Prepared {
            public_id,
            revision,
            templates: Mutex::new(HashMap::new()),
            links: tokio::sync::OnceCell::new(),
            warming: std::sync::atomic::AtomicBool::new(false),
            signer,
        });
        if let Ok(mut r) = self.revisions.lock() {
            if r.len() >= REVISION_CACHE {
                r.clear();
            }
            r.insert(revision_id, Arc::clone(&p));
        }
        Ok(Some(p))
    }

    fn template(
        &self,
        mailer: &Mailer,
        p: &Prepared,
        language: Language,
        encoding: MailEncoding,
        kind: Kind,
        link: Option<(OrgId, &str)>,
    ) -> anyhow::Result<Arc<Template>> {
        let key = (language, encoding, kind, link.map(|(org, _)| org));
        if let Some(t) = p.templates.lock().ok().and_then(|t| t.get(&key).cloned()) {
            return Ok(t);
        }
        let ack_url = link.map(|(_, token)| {
            format!(
                "{}/ack/{token}",
                mailer.base_url.as_str().trim_end_matches('/')
            )
        });
        let r = &p.revision;
        let reply_code = link.map(|(org, _)| mailer.verp.reply_code(r.alert_id, org));
        let letter = render::Letter {
            public_id: &p.public_id,
            revision: r,
            base_url: &mailer.base_url,
            kind,
            reply_code: reply_code.as_deref(),
            sender: p.signer.as_ref().map(|(name, _)| name.as_str()),
            inquiries: match &p.signer {
                Some((_, line)) if !line.is_empty() => line,
                _ => &mailer.inquiries,
            },
        };
        let subject = letter.subject();
        let text = letter.text(language, r.ack_deadline, ack_url.as_deref());
        let html = mailer.html.then(|| letter.html(&text, ack_url.as_deref()));
        let date = rfc2822_jst(r.published_at);
        let mut common = vec![
            ("Auto-Submitted".to_owned(), "auto-generated".to_owned()),
            (
                "List-Id".to_owned(),
                format!("Noroshi alerts <alerts.{}>", mailer.domain()),
            ),
            ("X-Noroshi-Alert".to_owned(), p.public_id.clone()),
            ("X-Noroshi-Revision".to_owned(), r.number.to_string()),
            ("X-Noroshi-TLP".to_owned(), r.tlp.as_str().to_owned()),
        ];
        if kind != Kind::Alert {
            common.push(("X-Noroshi-Follow-Up".to_owned(), kind.as_str().to_owned()));
        }
        if r.drill {
            common.push(("X-Noroshi-Drill".to_owned(), "yes".to_owned()));
        }
        let boundary = format!("=_noroshi_{}_r{}_{}", p.public_id, r.number, kind.as_str());
        let built = mime::build(&mime::Content {
            from: &mailer.from,
            subject: &subject,
            date: &date,
            common_headers: &common,
            text: &text,
            html: html.as_deref(),
            encoding,
            boundary: &boundary,
        });
        let dkim = mailer.sign(&built, r.published_at.timestamp())?;
        let t = Arc::new(Template { built, dkim });
        if let Ok(mut templates) = p.templates.lock() {
            if templates.len() >= TEMPLATES_PER_REVISION {
                templates.clear();
            }
            templates.insert(key, Arc::clone(&t));
        }
        Ok(t)
    }

    /// The Message-ID of revision `number` to one contact: the same on every retry.
    pub fn message_id(mailer: &Mailer, public_id: &str, number: i32, contact_id: i64) -> String {
        format!("{public_id}.r{number}.c{contact_id}@{}", mailer.domain())
    }

    /// The acknowledgement link token a delivery's mail carries: alerts and reminders to an
    /// addressed organisation carry its link; withdrawals and escalations (about other
    /// organisations) do not.
    async fn link_token(
        &self,
        db: &impl ConnectionTrait,
        p: &Prepared,
        d: &Claimed,
    ) -> anyhow::Result<Option<String>> {
        if !matches!(d.kind, Kind::Alert | Kind::Reminder | Kind::Chase)
            || p.revision.kind.is_withdrawal()
        {
            return Ok(None);
        }
        let links = p
            .links
            .get_or_try_init(|| {
                super::links::tokens_for_alert(
                    db,
                    &self.link_key,
                    p.revision.alert_id,
                    p.revision.published_at,
                )
            })
            .await?;
        Ok(links.get(&d.organisation_id).cloned())
    }

    /// The bytes of one claimed delivery of an alert, and its Message-ID. `None` when its
    /// revision is gone (or the row is not an alert's copy).
    pub async fn compose(
        &self,
        mailer: &Mailer,
        db: &impl ConnectionTrait,
        d: &Claimed,
    ) -> anyhow::Result<Option<Composed>> {
        let (Some(revision_id), Some(contact_id)) = (d.revision_id, d.contact_id) else {
            return Ok(None);
        };
        let Some(p) = self.prepared(db, revision_id).await? else {
            return Ok(None);
        };
        let language = d.language;
        let encoding = d.encoding;
        let token = self.link_token(db, &p, d).await?;
        let template = self.template(
            mailer,
            &p,
            language,
            encoding,
            d.kind,
            token.as_deref().map(|t| (d.organisation_id, t)),
        )?;
        let number = p.revision.number;
        let (message_id, last) = match d.kind {
            Kind::Alert => (
                Self::message_id(mailer, &p.public_id, number, contact_id),
                number - 1,
            ),
            // A follow-up threads under the revision it is about.
            kind => (
                format!(
                    "{}.r{number}.{}.c{}@{}",
                    p.public_id,
                    kind.as_str(),
                    contact_id,
                    mailer.domain()
                ),
                number,
            ),
        };
        // Later messages thread to the first message this contact got, and name every earlier one.
        let references: Vec<String> = (1..=last)
            .map(|n| Self::message_id(mailer, &p.public_id, n, contact_id))
            .collect();
        let recipient = mime::recipient_headers(
            &d.email,
            &message_id,
            references.first().map(String::as_str),
            &references,
        );
        let bytes = template.built.to_bytes(&template.dkim, &recipient);
        Ok(Some(Composed {
            file_name: match d.kind {
                Kind::Alert => format!("{}.r{number}.c{}", p.public_id, contact_id),
                kind => format!(
                    "{}.r{number}.{}.c{}",
                    p.public_id,
                    kind.as_str(),
                    contact_id
                ),
            },
            message_id,
            bytes,
        }))
    }
}

/// Builds and signs, on every core, the templates a claimed batch needs that are not built yet.
/// Each organisation's mail carries its own link, so a batch over many organisations needs many
/// RSA signatures: done one after another they were most of a DKIM fan-out's time. Errors are
/// left for `compose`, which builds any template still missing and reports them.
pub async fn warm_templates(
    alerts: &Arc<AlertMail>,
    mailer: &Arc<Mailer>,
    db: &impl ConnectionTrait,
    claimed: &[Claimed],
) -> anyhow::Result<()> {
    if !mailer.signs() {
        return Ok(());
    }
    type Work = (
        Arc<Prepared>,
        Language,
        MailEncoding,
        Kind,
        Option<(OrgId, String)>,
    );
    let mut work: Vec<Work> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for d in claimed {
        let Some(revision_id) = d.revision_id else {
            continue;
        };
        let Some(p) = alerts.prepared(db, revision_id).await? else {
            continue;
        };
        let language = d.language;
        let encoding = d.encoding;
        let token = alerts.link_token(db, &p, d).await?;
        let key = (
            language,
            encoding,
            d.kind,
            token.as_ref().map(|_| d.organisation_id),
        );
        let built = p.templates.lock().is_ok_and(|t| t.contains_key(&key));
        if built || !seen.insert((revision_id, key)) {
            continue;
        }
        work.push((
            p,
            language,
            encoding,
            d.kind,
            token.map(|t| (d.organisation_id, t)),
        ));
    }
    if work.len() < 2 {
        return Ok(());
    }
    let (alerts, mailer) = (Arc::clone(alerts), Arc::clone(mailer));
    tokio::task::spawn_blocking(move || {
        let threads = std::thread::available_parallelism()
            .map_or(1, std::num::NonZeroUsize::get)
            .min(work.len());
        let per_thread = work.len().div_ceil(threads);
        std::thread::scope(|s| {
            for part in work.chunks(per_thread) {
                let (alerts, mailer) = (&alerts, &mailer);
                s.spawn(move || {
                    for (p, language, encoding, kind, link) in part {
                        let link = link.as_ref().map(|(org, t)| (*org, t.as_str()));
                        let _ = alerts.template(mailer, p, *language, *encoding, *kind, link);
                    }
                });
            }
        });
    })
    .await
    .context("building templates panicked")?;
    Ok(())
}

/// Signs, in the background and on every core, the templates the rest of a revision's queued
/// deliveries will need, once per revision and process. A unit claims only what it can send
/// soon, so without this each unit would sign its few organisations' templates and only then
/// send; with it, signing runs ahead of sending and the two overlap.
pub fn warm_ahead(
    alerts: &Arc<AlertMail>,
    mailer: &Arc<Mailer>,
    db: &sea_orm::DatabaseConnection,
    revision_ids: &[RevisionId],
) {
    if !mailer.signs() {
        return;
    }
    for &revision_id in revision_ids {
        let (alerts, mailer) = (Arc::clone(alerts), Arc::clone(mailer));
        let db = db.clone();
        tokio::spawn(async move {
            let Ok(Some(p)) = alerts.prepared(&db, revision_id).await else {
                return;
            };
            if p.warming.swap(true, std::sync::atomic::Ordering::AcqRel) {
                return;
            }
            let result = async {
                let variants = crate::delivery::store::queued_variants(&db, revision_id).await?;
                warm_templates(&alerts, &mailer, &db, &variants).await
            }
            .await;
            if let Err(e) = result {
                tracing::warn!(%revision_id, error = %format!("{e:#}"), "cannot sign templates ahead");
            }
        });
    }
}
