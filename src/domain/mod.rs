//! Vocabulary every capability shares: TLP markings, CVE identifiers, CVSS vectors, CPE names,
//! severity levels, the two languages, e-mail addresses and the mail vocabulary, and text folding. Types and pure functions only, no I/O.

pub mod auth_results;
pub mod cpe;
mod cve;
pub mod cvss;
mod email;
pub mod form;
pub mod grade;
pub mod ids;
mod language;
pub mod mail;
mod mail_domain;
pub mod mime_guard;
mod severity;
pub mod string_enum;
pub mod text;
mod tlp;

pub use cve::{CveError, CveId, cves_in_text};
pub use email::{EmailAddress, EmailError};
pub use language::Language;
pub use mail_domain::{MailDomain, is_personal_provider};
pub use severity::{Severity, SeverityError};
pub use tlp::{Tlp, TlpError};
