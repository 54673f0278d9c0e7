//! Who is asking: an organisation and, for a signed-in user, their role (a token, a mail link or
//! a mail reply has none). The one value every capability's access rule takes — reports, cases,
//! 照会 — so "central staff" and "a prefecture oversees its municipalities" are written here,
//! once.

use super::{OrgId, OrgKind, Organisation, Prefecture, Role};

/// Who is asking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caller {
    pub org_id: OrgId,
    pub org_kind: OrgKind,
    /// The prefecture of the caller's organisation (itself, for a prefecture).
    pub prefecture: Option<Prefecture>,
    /// The organisation above the caller's (a municipality's prefecture).
    pub parent: Option<OrgId>,
    /// Central staff (a central role). Tokens never are.
    pub central: bool,
    /// A user's role; tokens, mail links and replies have none.
    pub role: Option<Role>,
}

impl Caller {
    pub fn new(org: &Organisation, role: Option<Role>) -> Self {
        Self {
            org_id: org.id,
            org_kind: org.kind,
            prefecture: org.prefecture,
            parent: org.parent_id,
            central: role.is_some_and(Role::is_central),
            role,
        }
    }

    /// The prefecture whose municipalities this caller oversees: a prefecture's own staff (or
    /// token), never central staff.
    pub fn oversees(&self) -> Option<Prefecture> {
        (self.org_kind == OrgKind::Prefecture && !self.central)
            .then_some(self.prefecture)
            .flatten()
    }

    /// The prefecture organisation the caller belongs to or under: its own, for a prefecture; its
    /// parent, for a municipality; none for the centre.
    pub fn prefecture_org(&self) -> Option<OrgId> {
        match self.org_kind {
            OrgKind::Prefecture => Some(self.org_id),
            _ => self.parent,
        }
    }

    /// Whether this caller oversees `org` (a municipality of its prefecture).
    pub fn oversees_org(&self, org: &Organisation) -> bool {
        org.kind == OrgKind::Municipality
            && self.oversees().is_some()
            && self.oversees() == org.prefecture
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::OrgCode;

    fn org(code: &str, kind: OrgKind, pref: u8) -> Organisation {
        Organisation {
            id: OrgId(i64::from(pref)),
            code: OrgCode::parse(code).unwrap_or_else(|e| panic!("{e}")),
            kind,
            name: String::new(),
            kana: String::new(),
            prefecture: Prefecture::from_number(pref),
            parent_id: None,
        }
    }

    #[test]
    fn a_prefecture_oversees_its_municipalities_and_central_staff_oversee_none() {
        let tokyo = org("130001", OrgKind::Prefecture, 13);
        let chiyoda = org("131016", OrgKind::Municipality, 13);
        let yokohama = org("141003", OrgKind::Municipality, 14);
        let staff = Caller::new(&tokyo, Some(Role::Member));
        assert!(staff.oversees_org(&chiyoda));
        assert!(!staff.oversees_org(&yokohama));
        assert!(
            !staff.oversees_org(&tokyo),
            "not itself: it is no municipality"
        );
        assert!(!Caller::new(&chiyoda, Some(Role::OrgAdmin)).oversees_org(&chiyoda));
        let token = Caller::new(&tokyo, None);
        assert!(token.oversees_org(&chiyoda) && !token.central);
    }
}
