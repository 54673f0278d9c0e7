//! One published alert as one caller may see it: the read model the portal's alert page and the
//! API's alert and acknowledgement answers map, as Lemmy's edges map `PostView`. What the caller
//! may do with it is decided here, once: whether it may see the alert at all, whether it reports
//! on it (addressed, and not central staff), whether it may report now (and not withdrawn),
//! whether it may write a 補足, and under which marking the advisories behind it are shown.
//!
//! It lives in `acks`, not `alerts`, because it carries the caller's acknowledgement and `acks`
//! sits above `alerts` in the layering.

use std::sync::Arc;

use sea_orm::ConnectionTrait;

use super::store::AckEvent;
use super::{AckState, may_acknowledge};
use crate::alerts::notes::Note;
use crate::alerts::revisions::{self, RevisionCache};
use crate::alerts::{Alert, Revision};
use crate::auth::Role;
use crate::domain::Tlp;
use crate::domain::ids::OrgId;
use crate::registry::Caller;

/// Whether `caller` may see acknowledgement boards: central staff, and a prefecture's staff (for
/// its municipalities' lines).
pub fn may_see_board(caller: &Caller) -> bool {
    caller.central || caller.org_kind == crate::registry::OrgKind::Prefecture
}

/// A published alert as `caller` sees it.
pub struct AlertView {
    pub alert: Alert,
    /// Every published revision, oldest first.
    pub revisions: Arc<Vec<Revision>>,
    /// The current text: the latest revision.
    pub latest: Revision,
    /// Addressed to the caller's organisation (not merely seen through oversight).
    pub addressed: bool,
    /// The caller's organisation reports on this alert: addressed, and the caller is not central
    /// staff (an acknowledgement is the organisation's own word).
    pub reports: bool,
    /// The organisation's reports, oldest first; empty unless `reports`. The last is the state.
    pub history: Vec<AckEvent>,
    caller: Caller,
}

impl AlertView {
    /// The published alert `public_id` as `caller` sees it, or `None` when there is none or the
    /// caller may not see it (the two are not told apart, so an alert's existence is not
    /// revealed). `cache` keeps revisions across calls.
    pub async fn for_caller(
        db: &impl ConnectionTrait,
        caller: &Caller,
        public_id: &str,
        cache: Option<&RevisionCache>,
    ) -> anyhow::Result<Option<Self>> {
        let Some((alert, addressed)) =
            crate::alerts::access::visible(db, caller, public_id).await?
        else {
            return Ok(None);
        };
        let revisions = revisions::published(db, cache, &alert).await?;
        let Some(latest) = revisions.last().cloned() else {
            return Ok(None);
        };
        let reports = addressed && may_acknowledge(caller.role);
        let history = if reports {
            super::store::history(db, alert.id, caller.org_id).await?
        } else {
            Vec::new()
        };
        Ok(Some(Self {
            alert,
            revisions,
            latest,
            addressed,
            reports,
            history,
            caller: *caller,
        }))
    }

    /// The organisation's state (`None`: 未確認, or it does not report).
    pub fn state(&self) -> Option<AckState> {
        self.history.last().map(|e| e.state)
    }

    pub fn withdrawn(&self) -> bool {
        self.alert.is_withdrawn()
    }

    /// The caller may report a state now.
    pub fn can_ack(&self) -> bool {
        self.reports && !self.withdrawn()
    }

    /// The caller may ask the centre about this alert (a 照会 from an addressed organisation).
    pub fn can_ask(&self) -> bool {
        self.reports
    }

    /// The caller may add a 補足 for its municipalities: a prefecture administrator, on an alert
    /// not withdrawn.
    pub fn can_note(&self) -> bool {
        self.caller.role == Some(Role::PrefectureAdmin) && !self.withdrawn()
    }

    /// The caller may see the board of who received and acted: central staff every alert's,
    /// a prefecture's staff their municipalities' lines.
    pub fn can_see_board(&self) -> bool {
        may_see_board(&self.caller)
    }

    /// The marking the advisories behind the alert are shown under: the alert's own for an
    /// organisation, none for central staff (they see every advisory).
    pub fn advisories_under(&self) -> Option<Tlp> {
        (!self.caller.central).then_some(self.latest.tlp)
    }

    /// The 補足 the caller reads, oldest first, each with the name of the prefecture that wrote
    /// it: central staff every prefecture's, anyone else its own prefecture's.
    pub async fn notes(&self, db: &impl ConnectionTrait) -> anyhow::Result<Vec<(Note, String)>> {
        let notes = if self.caller.central {
            crate::alerts::notes::of_alert(db, self.alert.id, None).await?
        } else if let Some(p) = self.caller.prefecture_org() {
            crate::alerts::notes::of_alert(db, self.alert.id, Some(&[p])).await?
        } else {
            Vec::new()
        };
        // Only the few prefectures that wrote notes are looked up, not the whole registry.
        let mut names: std::collections::HashMap<OrgId, String> = Default::default();
        for n in &notes {
            if !names.contains_key(&n.organisation_id)
                && let Some(o) = crate::registry::store::find_by_id(db, n.organisation_id).await?
            {
                names.insert(o.id, o.name);
            }
        }
        Ok(notes
            .into_iter()
            .map(|n| {
                let by = names.get(&n.organisation_id).cloned().unwrap_or_default();
                (n, by)
            })
            .collect())
    }
}
