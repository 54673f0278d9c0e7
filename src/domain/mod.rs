//! Vocabulary every capability shares: TLP markings and CVE identifiers. Types only, no I/O.

mod cve;
mod tlp;

pub use cve::{CveError, CveId, cves_in_text};
pub use tlp::{Tlp, TlpError};
