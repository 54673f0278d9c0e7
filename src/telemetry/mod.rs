//! Logs and metrics. Owns the tracing subscriber set-up and the Prometheus registry; it records
//! what other capabilities report and never decides anything itself.

mod metrics;
pub mod spans;

pub use metrics::{Metrics, record_http_request};

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::{LogFormat, LogSettings};

/// Installs the global tracing subscriber: human-readable on a terminal, JSON when asked (or when
/// `auto` and stderr is not a terminal). `RUST_LOG` overrides the configured level. Logs go to
/// stderr so that command output on stdout stays clean. One-shot commands pass `quiet` and log
/// only warnings unless `RUST_LOG` says otherwise. Calling it twice is harmless.
pub fn init(settings: &LogSettings, quiet: bool) {
    let level = if quiet {
        "warn"
    } else {
        settings.level.as_str()
    };
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let json = match settings.format {
        LogFormat::Json => true,
        LogFormat::Human => false,
        LogFormat::Auto => !std::io::stderr().is_terminal(),
    };
    let registry = tracing_subscriber::registry().with(filter);
    let result = if json {
        registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_writer(std::io::stderr),
            )
            .try_init()
    } else {
        registry
            .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
            .try_init()
    };
    // A second initialisation (tests, `demo` calling `serve`) keeps the first subscriber.
    drop(result);
}
