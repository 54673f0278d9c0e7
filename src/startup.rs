//! Building and running the hub: `Application::build` binds the listener, connects the
//! database, applies migrations, seeds the registry and starts the workers; `run_until_stopped`
//! waits for a signal (or a cancellation) and stops cleanly, letting requests and units of work
//! in flight finish.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use tokio::task::JoinHandle;
use tracing_actix_web::TracingLogger;

use crate::config::{ProcessRoles, Settings};
use crate::context::AppContext;
use crate::telemetry::record_http_request;

/// A running hub: its HTTP server (if this process has the `web` role) and its workers (if it
/// has the `workers` role).
pub struct Application {
    port: Option<u16>,
    ctx: AppContext,
    server: Option<Server>,
    workers: Vec<JoinHandle<()>>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let roles = settings.app.roles;
        let ctx = AppContext::connect(settings).await?;
        Self::build_with_context(ctx, roles)
    }

    /// Starts the parts `roles` asks for around an existing context.
    pub fn build_with_context(ctx: AppContext, roles: ProcessRoles) -> anyhow::Result<Self> {
        let (port, server) = if roles.web {
            let address = format!("{}:{}", ctx.settings.server.host, ctx.settings.server.port);
            let listener = TcpListener::bind(&address)
                .with_context(|| format!("cannot listen on {address}"))?;
            let port = listener.local_addr()?.port();
            (Some(port), Some(http_server(listener, ctx.clone())?))
        } else {
            (None, None)
        };
        let workers = if roles.workers {
            crate::jobs::spawn_all(&ctx)
        } else {
            Vec::new()
        };
        match port {
            Some(port) => tracing::info!(port, roles = %roles, "Noroshi started"),
            None => tracing::info!(roles = %roles, "Noroshi started without a web listener"),
        }
        Ok(Self {
            port,
            ctx,
            server,
            workers,
        })
    }

    /// The port the HTTP server listens on (`None` for a workers-only process).
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    pub fn context(&self) -> &AppContext {
        &self.ctx
    }

    /// Runs until SIGTERM, ctrl-c or `ctx.shutdown` is cancelled, then stops gracefully.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let stop = self.ctx.shutdown.clone();
        let signalled = tokio::spawn({
            let stop = stop.clone();
            async move {
                tokio::select! {
                    () = wait_for_signal() => stop.cancel(),
                    () = stop.cancelled() => {}
                }
            }
        });
        self.run_until_cancelled().await?;
        signalled.abort();
        Ok(())
    }

    /// Runs until `ctx.shutdown` is cancelled (tests use this: no signal handlers).
    pub async fn run_until_cancelled(self) -> anyhow::Result<()> {
        let stop = self.ctx.shutdown.clone();
        let (handle, server_task): (
            Option<ServerHandle>,
            Option<JoinHandle<std::io::Result<()>>>,
        ) = match self.server {
            Some(server) => (Some(server.handle()), Some(tokio::spawn(server))),
            None => (None, None),
        };
        stop.cancelled().await;
        tracing::info!("stopping: letting requests and work in flight finish");
        if let Some(handle) = handle {
            // Graceful: stop accepting, let connections with a request in flight finish (up to
            // server.shutdown_timeout_secs).
            handle.stop(true).await;
        }
        if let Some(task) = server_task {
            task.await.context("the HTTP server panicked")??;
        }
        for worker in self.workers {
            if let Err(e) = worker.await {
                tracing::error!(error = %e, "a worker panicked");
            }
        }
        tracing::info!("stopped");
        Ok(())
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => tracing::info!("SIGTERM received"),
                    _ = tokio::signal::ctrl_c() => tracing::info!("interrupt received"),
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only ctrl-c stops the hub");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn http_server(listener: TcpListener, ctx: AppContext) -> anyhow::Result<Server> {
    let settings = Arc::clone(&ctx.settings);
    let data = web::Data::new(ctx.clone());
    let metrics = web::Data::new(Arc::clone(&ctx.metrics));
    // The portal's own page caches, shared by every HTTP worker thread.
    let portal = web::Data::new(crate::portal::state::PortalState::new());
    // The feeds' rendered documents by ETag, likewise theirs alone.
    let feeds = web::Data::new(crate::feeds::RenderCache::new(
        settings.feeds.render_cache_entries,
    ));
    let mut server = HttpServer::new(move || {
        App::new()
            .wrap(from_fn(crate::portal::error::in_browsers_language))
            .wrap(from_fn(record_http_request))
            .wrap(TracingLogger::<crate::telemetry::spans::RedactedRootSpan>::new())
            // Outermost: HEAD is routed as GET before anything else sees the request.
            .wrap(from_fn(crate::web::harden))
            .app_data(data.clone())
            .app_data(metrics.clone())
            .app_data(portal.clone())
            .app_data(feeds.clone())
            .configure(crate::health::configure)
            // Before the portal: `/alerts/{id}.cap.xml` would otherwise be read as an alert id.
            .configure(crate::feeds::http::configure)
            .configure(crate::api::configure)
            .configure(crate::portal::configure)
    })
    .disable_signals()
    .shutdown_timeout(settings.server.shutdown_timeout_secs)
    .listen(listener)
    .context("cannot start the HTTP server")?;
    if let Some(n) = settings.server.http_workers {
        server = server.workers(n);
    }
    Ok(server.run())
}
