//! Vocabulary every capability shares: TLP markings, CVE identifiers, CVSS vectors, CPE names,
//! severity levels, the two languages and text folding. Types and pure functions only, no I/O.

pub mod cpe;
mod cve;
pub mod cvss;
mod language;
mod severity;
pub mod text;
mod tlp;

pub use cve::{CveError, CveId, cves_in_text};
pub use language::Language;
pub use severity::{Severity, SeverityError};
pub use tlp::{Tlp, TlpError};
