//! Who may read a case. One rule, used twice: [`may_read`] on a case row (detail pages, API) and
//! [`doc_keys`] / [`keys`] for the search index, where a case carries the keys that open
//! it and a search asks with the reader's keys — so results, snippets, facet counts and similar
//! cases all hold the same rule.
//!
//! Published cases: central staff read everything; TLP:CLEAR and GREEN open to every signed-in
//! organisation; AMBER to the submitting organisation and its prefecture's staff; AMBER+STRICT to
//! the submitting organisation; RED to central staff only. Cases not yet published (or
//! withdrawn) are read by central staff and the submitting organisation.

use crate::domain::Tlp;
use crate::domain::ids::OrgId;

use super::Status;

pub use crate::registry::Caller;

/// The index keys a caller searches with: central staff every case; anyone else the cases open
/// to all, their own organisation's, and — for a prefecture's staff — those of the
/// municipalities it oversees.
pub fn keys(caller: &Caller) -> Vec<String> {
    if caller.central {
        return vec!["central".into()];
    }
    let mut keys = vec!["all".into(), format!("org:{}", caller.org_id)];
    if let Some(p) = caller.oversees() {
        keys.push(format!("pref:{}", p.number()));
    }
    keys
}

/// The submitting organisation as the rule needs it.
#[derive(Clone, Copy, Debug)]
pub struct Submitter {
    pub org_id: OrgId,
    pub prefecture: Option<u8>,
}

/// The keys that open a published case in the index.
pub fn doc_keys(tlp: Tlp, submitter: Option<Submitter>) -> Vec<String> {
    let mut keys = vec!["central".to_owned()];
    match tlp {
        Tlp::Clear | Tlp::Green => keys.push("all".into()),
        Tlp::Amber => {
            if let Some(s) = submitter {
                keys.push(format!("org:{}", s.org_id));
                if let Some(p) = s.prefecture {
                    keys.push(format!("pref:{p}"));
                }
            }
        }
        Tlp::AmberStrict => {
            if let Some(s) = submitter {
                keys.push(format!("org:{}", s.org_id));
            }
        }
        Tlp::Red => {}
    }
    keys
}

/// Whether `reader` may read a case in `status` marked `tlp`, submitted by `submitter`.
pub fn may_read(reader: &Caller, status: Status, tlp: Tlp, submitter: Option<Submitter>) -> bool {
    if reader.central {
        return true;
    }
    let own = submitter.is_some_and(|s| s.org_id == reader.org_id);
    if status != Status::Published {
        return own;
    }
    let keys = keys(reader);
    doc_keys(tlp, submitter).iter().any(|k| keys.contains(k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::OrgKind;

    fn reader(org_id: OrgId, kind: OrgKind, pref: u8) -> Caller {
        Caller {
            org_id,
            org_kind: kind,
            prefecture: crate::registry::Prefecture::from_number(pref),
            parent: None,
            central: false,
            role: None,
        }
    }

    #[test]
    fn tlp_decides_who_reads_a_published_case() {
        let sub = Some(Submitter {
            org_id: OrgId(10),
            prefecture: Some(14),
        });
        let own = reader(OrgId(10), OrgKind::Municipality, 14);
        let neighbour = reader(OrgId(11), OrgKind::Municipality, 14);
        let own_pref = reader(OrgId(2), OrgKind::Prefecture, 14);
        let other_pref = reader(OrgId(3), OrgKind::Prefecture, 13);
        let central = Caller {
            central: true,
            ..neighbour
        };
        let p = Status::Published;
        for r in [&own, &neighbour, &own_pref, &other_pref, &central] {
            assert!(may_read(r, p, Tlp::Green, sub));
        }
        assert!(may_read(&own, p, Tlp::Amber, sub));
        assert!(may_read(&own_pref, p, Tlp::Amber, sub));
        assert!(!may_read(&neighbour, p, Tlp::Amber, sub));
        assert!(!may_read(&other_pref, p, Tlp::Amber, sub));
        assert!(!may_read(&own_pref, p, Tlp::AmberStrict, sub));
        assert!(may_read(&own, p, Tlp::AmberStrict, sub));
        assert!(!may_read(&own, p, Tlp::Red, sub));
        assert!(may_read(&central, p, Tlp::Red, sub));
        // Before publication: the submitter and central staff only.
        assert!(may_read(&own, Status::Submitted, Tlp::Clear, sub));
        assert!(!may_read(&neighbour, Status::Submitted, Tlp::Clear, sub));
        assert!(may_read(&central, Status::Reviewing, Tlp::Clear, sub));
    }
}
