//! Who may read a report and who may act on it: the one rule, used by the portal, the API and
//! the list queries alike.
//!
//! - The reporting organisation's staff read and add 報.
//! - Its prefecture's staff read a municipality's report, and the prefecture administrator adds
//!   notes, marks it 確認済 and forwards it — except a TLP:AMBER+STRICT or TLP:RED report,
//!   which stays with the reporter and central staff (as cases and alerts do).
//! - Central staff read every report; they do not write 報 for other organisations.
//! - Nobody else: another municipality, another prefecture, anonymous callers get "not found".

use crate::auth::Role;
use crate::domain::Tlp;
use crate::registry::{OrgId, Organisation, Prefecture};

pub use crate::registry::Caller;

/// Whether a report so marked goes through the prefecture at all (the alerts' rule).
pub fn prefecture_sees(tlp: Tlp) -> bool {
    tlp.prefecture_may_relay()
}

/// Whether the reader is the prefecture that relays this report (a municipality's, not
/// AMBER+STRICT or RED).
fn relayed_by(reader: &Caller, reporter: &Organisation, tlp: Tlp) -> bool {
    prefecture_sees(tlp) && reader.oversees_org(reporter)
}

pub fn may_read(reader: &Caller, reporter: &Organisation, tlp: Tlp) -> bool {
    reader.central || reader.org_id == reporter.id || relayed_by(reader, reporter, tlp)
}

/// Adding a 報: the reporting organisation's own staff.
pub fn may_update(reader: &Caller, reporter: &Organisation) -> bool {
    reader.org_id == reporter.id
}

/// Notes, 確認済 and forwarding: the prefecture administrator of the reporter's prefecture.
pub fn may_relay(reader: &Caller, reporter: &Organisation, tlp: Tlp) -> bool {
    reader.role == Some(Role::PrefectureAdmin) && relayed_by(reader, reporter, tlp)
}

/// The desk's steps (受理, 追加報告の依頼, 対処指示, approvals, 確認): central staff, and the
/// prefecture administrator who relays the report.
pub fn may_answer(reader: &Caller, reporter: &Organisation, tlp: Tlp) -> bool {
    reader.central || may_relay(reader, reporter, tlp)
}

/// Recording a 連携 to another body: central staff.
pub fn may_liaise(reader: &Caller) -> bool {
    reader.central
}

/// Making a case of a report: central operators and the hub administrator (an approver then
/// publishes it, four eyes as for any case).
pub fn may_make_case(reader: &Caller) -> bool {
    matches!(reader.role, Some(Role::CentralOperator | Role::Admin))
}

/// The organisations whose reports a list shows this reader, as a query narrows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    All,
    /// Its own, and (not AMBER+STRICT or RED) its prefecture's municipalities'.
    Prefecture(OrgId, Prefecture),
    Own(OrgId),
}

pub fn scope(reader: &Caller) -> Scope {
    if reader.central {
        Scope::All
    } else if let Some(p) = reader.oversees() {
        Scope::Prefecture(reader.org_id, p)
    } else {
        Scope::Own(reader.org_id)
    }
}
