//! The jobs: what runs in the background, and the adapters that hand each capability's worker
//! step only what it uses. This is the layer above the capabilities (beside `context`): a
//! capability never imports the context, so a step that spans capabilities (classification
//! drafting alerts; the mail lanes composing alerts' mail) lives here.

pub mod classify;
pub mod mail;

use tokio::task::JoinHandle;

use crate::context::AppContext;
use crate::workers::{Outcome, Pace, run_until_stopped};

/// Polls one due source.
pub async fn poll_source(ctx: &AppContext) -> anyhow::Result<Outcome> {
    crate::ingest::worker::try_execute_task(&ctx.poller()).await
}

/// Reminders, escalations and chases of unacknowledged alerts.
pub async fn follow_up(ctx: &AppContext) -> anyhow::Result<Outcome> {
    crate::acks::follow_up::try_execute_task(&ctx.db, &ctx.policy).await
}

/// An audit checkpoint when one is due.
pub async fn checkpoint_audit(ctx: &AppContext) -> anyhow::Result<Outcome> {
    crate::audit::anchor::try_execute_task(&ctx.db, &ctx.settings.app.data_dir).await
}

/// The oldest queued administrator notice.
pub async fn send_notice(ctx: &AppContext) -> anyhow::Result<Outcome> {
    crate::notices::worker::try_execute_task(&ctx.db, &ctx.mailer).await
}

/// One batch of the case library's search outbox into the index.
pub async fn drain_search_outbox(ctx: &AppContext) -> anyhow::Result<Outcome> {
    crate::cases::outbox::try_execute_task(&ctx.db, &ctx.search).await
}

/// Reminders and escalations of surveys whose deadline nears or passed.
pub async fn survey_timers(ctx: &AppContext) -> anyhow::Result<Outcome> {
    crate::surveys::timers::try_execute_task(&ctx.db, &ctx.settings.app.base_url).await
}

/// Escalation of 照会 left unanswered.
pub async fn inquiry_timers(ctx: &AppContext) -> anyhow::Result<Outcome> {
    crate::inquiries::act::escalate(&ctx.db, &ctx.settings).await
}

/// Reminders of overdue incident reports.
pub async fn report_timers(ctx: &AppContext) -> anyhow::Result<Outcome> {
    crate::reports::timers::try_execute_task(&ctx.db, &ctx.settings).await
}

/// One batch from the inbound Maildir (bounces, replies).
pub async fn read_inbound(ctx: &AppContext) -> anyhow::Result<Outcome> {
    crate::inbound::try_execute_task(&ctx.inbox(), &ctx.settings).await
}

/// A worker that calls `step` with its own handle on the context until the process stops,
/// resting `idle` whenever a step finds nothing to do.
fn spawn_worker<F, Fut>(
    ctx: &AppContext,
    name: &'static str,
    idle: std::time::Duration,
    step: F,
) -> JoinHandle<()>
where
    F: Fn(AppContext) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<crate::workers::Outcome>> + Send + 'static,
{
    let c = ctx.clone();
    let pace = Pace {
        idle,
        ..Pace::default()
    };
    tokio::spawn(run_until_stopped(
        name,
        ctx.shutdown.clone(),
        pace,
        move || step(c.clone()),
    ))
}

/// The background workers of this process, one per job below (the lanes twice).
pub fn spawn_all(ctx: &AppContext) -> Vec<JoinHandle<()>> {
    use std::time::Duration;
    let mut handles = Vec::new();
    if ctx.settings.ingest.poll {
        for _ in 0..ctx.settings.ingest.pollers {
            handles.push(spawn_worker(
                ctx,
                "ingest poller",
                Duration::from_secs(5),
                |c| async move { poll_source(&c).await },
            ));
        }
    }
    handles.push(spawn_worker(
        ctx,
        "classifier",
        Duration::from_secs(2),
        |c| async move { classify::try_execute_task(&c).await },
    ));
    handles.push(spawn_worker(
        ctx,
        "acknowledgement follow-ups",
        Duration::from_secs(60),
        |c| async move { follow_up(&c).await },
    ));
    handles.push(spawn_worker(
        ctx,
        "audit checkpoints",
        Duration::from_secs(30),
        |c| async move { checkpoint_audit(&c).await },
    ));
    handles.push(spawn_worker(
        ctx,
        "admin notices",
        Duration::from_secs(5),
        |c| async move { send_notice(&c).await },
    ));
    handles.push(spawn_worker(
        ctx,
        "survey follow-ups",
        Duration::from_secs(60),
        |c| async move { survey_timers(&c).await },
    ));
    handles.push(spawn_worker(
        ctx,
        "incident report timers",
        Duration::from_secs(60),
        |c| async move { report_timers(&c).await },
    ));
    handles.push(spawn_worker(
        ctx,
        "照会 escalation",
        Duration::from_secs(60),
        |c| async move { inquiry_timers(&c).await },
    ));
    handles.push(spawn_worker(
        ctx,
        "inbound mail",
        Duration::from_secs(5),
        |c| async move { read_inbound(&c).await },
    ));
    handles.push(spawn_worker(
        ctx,
        "search outbox",
        Duration::from_secs(2),
        |c| async move { drain_search_outbox(&c).await },
    ));
    for lane in [
        crate::delivery::worker::Lane::Urgent,
        crate::delivery::worker::Lane::All,
    ] {
        handles.push(spawn_worker(
            ctx,
            lane.name(),
            Duration::from_millis(250),
            move |c| async move { mail::try_execute_task(&c, lane).await },
        ));
    }
    tracing::info!(mail = %ctx.mailer.describe(), dkim = ctx.mailer.signs(), "mail delivery lanes started");
    handles
}
