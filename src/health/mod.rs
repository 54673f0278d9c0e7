//! Liveness, readiness and the metrics endpoint. Reads the database only to ping it and to ask
//! whether migrations are current; changes nothing.

mod http;

pub use http::configure;
