//! The Prometheus registry of one hub process, carried in `AppContext` (no global recorder, so
//! several applications in one test process keep separate figures).

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web::Data;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: String,
    /// The route pattern (`/alerts/{id}`), never the raw path, so the label set stays small.
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DeliveryLabels {
    /// sent, deferred or failed.
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PollLabels {
    pub source: String,
    /// ingested, not_modified or failed.
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SourceLabels {
    pub source: String,
}

/// Every metric the hub exports. Capabilities add their own families here as they arrive.
pub struct Metrics {
    registry: Registry,
    pub http_requests: Family<HttpLabels, Counter>,
    pub http_duration: Family<HttpLabels, Histogram>,
    pub http_in_flight: Gauge,
    /// Polls made by this process.
    pub ingest_polls: Family<PollLabels, Counter>,
    /// Source health, refreshed from the database at each scrape (so it covers every process).
    pub source_failures: Family<SourceLabels, Gauge>,
    pub source_last_success: Family<SourceLabels, Gauge<f64, AtomicU64>>,
    pub source_items_seen: Family<SourceLabels, Gauge>,
    pub source_items_quarantined: Family<SourceLabels, Gauge>,
    /// Delivery attempts made by this process, by outcome.
    pub mail_deliveries: Family<DeliveryLabels, Counter>,
    /// 1 while this process's relay has asked it to wait (421, a 4.7.x rate limit).
    pub relay_paused: Gauge,
    /// Requests to slow down since the relay last accepted a message.
    pub relay_slow_downs: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::with_prefix("noroshi");
        let http_requests = Family::<HttpLabels, Counter>::default();
        let http_duration = Family::<HttpLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ])
        });
        let http_in_flight = Gauge::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route and status",
            http_requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests, by method, route and status",
            http_duration.clone(),
        );
        registry.register(
            "http_requests_in_flight",
            "HTTP requests being answered now",
            http_in_flight.clone(),
        );
        let ingest_polls = Family::<PollLabels, Counter>::default();
        registry.register(
            "ingest_polls",
            "Source polls made by this process, by source and outcome",
            ingest_polls.clone(),
        );
        let source_failures = Family::<SourceLabels, Gauge>::default();
        registry.register(
            "source_consecutive_failures",
            "Failed polls in a row, by source",
            source_failures.clone(),
        );
        let source_last_success = Family::<SourceLabels, Gauge<f64, AtomicU64>>::default();
        registry.register(
            "source_last_success_timestamp_seconds",
            "When each source was last polled successfully (Unix time)",
            source_last_success.clone(),
        );
        let source_items_seen = Family::<SourceLabels, Gauge>::default();
        let source_items_quarantined = Family::<SourceLabels, Gauge>::default();
        registry.register(
            "source_items_quarantined",
            "Items of the source's last document left out as unreadable (see noroshi sources)",
            source_items_quarantined.clone(),
        );
        registry.register(
            "source_items_seen",
            "Items read from each source since it was registered",
            source_items_seen.clone(),
        );
        let mail_deliveries = Family::<DeliveryLabels, Counter>::default();
        registry.register(
            "mail_deliveries",
            "Mail delivery attempts made by this process, by outcome",
            mail_deliveries.clone(),
        );
        let relay_paused = Gauge::default();
        registry.register(
            "relay_paused",
            "1 while the relay has asked this process to wait (421 or a 4.7.x rate limit)",
            relay_paused.clone(),
        );
        let relay_slow_downs = Gauge::default();
        registry.register(
            "relay_slow_down_requests",
            "Requests to slow down since the relay last accepted a message",
            relay_slow_downs.clone(),
        );
        Arc::new(Self {
            relay_paused,
            relay_slow_downs,
            registry,
            http_requests,
            http_duration,
            http_in_flight,
            ingest_polls,
            source_failures,
            source_last_success,
            source_items_seen,
            source_items_quarantined,
            mail_deliveries,
        })
    }

    pub fn record_deliveries(&self, outcome: &str, n: u64) {
        self.mail_deliveries
            .get_or_create(&DeliveryLabels {
                outcome: outcome.to_owned(),
            })
            .inc_by(n);
    }

    pub fn record_poll(&self, source: &str, outcome: &str) {
        self.ingest_polls
            .get_or_create(&PollLabels {
                source: source.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// Sets one source's health gauges.
    pub fn set_source_health(
        &self,
        source: &str,
        failures: i64,
        last_success: Option<f64>,
        items_seen: i64,
        items_quarantined: i64,
    ) {
        let labels = SourceLabels {
            source: source.to_owned(),
        };
        self.source_failures.get_or_create(&labels).set(failures);
        self.source_last_success
            .get_or_create(&labels)
            .set(last_success.unwrap_or(0.0));
        self.source_items_seen
            .get_or_create(&labels)
            .set(items_seen);
        self.source_items_quarantined
            .get_or_create(&labels)
            .set(items_quarantined);
    }

    /// The registry in the Prometheus text exposition format.
    pub fn render(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// Middleware that counts and times every request under its route pattern.
pub async fn record_http_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let metrics = req.app_data::<Data<Arc<Metrics>>>().map(|m| Arc::clone(m));
    let method = req.method().to_string();
    let started = Instant::now();
    if let Some(m) = &metrics {
        m.http_in_flight.inc();
    }
    let result = next.call(req).await;
    if let Some(m) = &metrics {
        m.http_in_flight.dec();
        // The router resolves the pattern inside `next`, so read it from the answered request.
        let (status, route) = match &result {
            Ok(res) => (res.status().as_u16(), res.request().match_pattern()),
            Err(e) => (e.as_response_error().status_code().as_u16(), None),
        };
        let route = route.unwrap_or_else(|| "unmatched".to_string());
        let labels = HttpLabels {
            method,
            route,
            status,
        };
        m.http_requests.get_or_create(&labels).inc();
        m.http_duration
            .get_or_create(&labels)
            .observe(started.elapsed().as_secs_f64());
    }
    result
}
