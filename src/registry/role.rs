//! Roles, and which kind of organisation each may belong to.

use serde::Serialize;

use super::OrgKind;

crate::string_enum! {
    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Role ("role") {
        /// Central staff who triage advisories, draft alerts and run drills.
        CentralOperator = "central_operator",
        /// Central staff who approve drafts (never their own).
        CentralApprover = "central_approver",
        /// Hub administrators: organisations, users, sources, keys.
        Admin = "admin",
        /// Prefecture staff who see their municipalities' status.
        PrefectureAdmin = "prefecture_admin",
        /// An organisation's administrator: contacts, inventory, users, tokens.
        OrgAdmin = "org_admin",
        /// Staff who receive, acknowledge and search.
        Member = "member",
    }
}

pub const ALL_ROLES: [Role; 6] = Role::ALL;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a role: expected one of central_operator, central_approver, admin, prefecture_admin, org_admin, member"
)]
pub struct RoleError(String);

impl Role {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::CentralOperator => "中央オペレーター",
            Self::CentralApprover => "中央承認者",
            Self::Admin => "システム管理者",
            Self::PrefectureAdmin => "都道府県管理者",
            Self::OrgAdmin => "団体管理者",
            Self::Member => "担当者",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Self::CentralOperator => "Central operator",
            Self::CentralApprover => "Central approver",
            Self::Admin => "Hub administrator",
            Self::PrefectureAdmin => "Prefecture administrator",
            Self::OrgAdmin => "Organisation administrator",
            Self::Member => "Staff",
        }
    }

    /// Accepts `org_admin`, `org-admin` or `ORG_ADMIN`.
    pub fn parse(s: &str) -> Result<Self, RoleError> {
        let wanted = s.trim().to_ascii_lowercase().replace('-', "_");
        ALL_ROLES
            .into_iter()
            .find(|r| r.as_str() == wanted)
            .ok_or_else(|| RoleError(s.to_owned()))
    }

    pub fn is_central(self) -> bool {
        matches!(
            self,
            Self::CentralOperator | Self::CentralApprover | Self::Admin
        )
    }

    /// Whether a user of this role may hand `other` out in its own organisation — and so manage
    /// (reset, disable) users who hold it. Never more than one's own.
    pub fn may_grant(self, other: Role) -> bool {
        match self {
            Self::Admin => true,
            Self::PrefectureAdmin => {
                matches!(other, Self::PrefectureAdmin | Self::OrgAdmin | Self::Member)
            }
            Self::OrgAdmin => matches!(other, Self::OrgAdmin | Self::Member),
            Self::CentralOperator | Self::CentralApprover | Self::Member => false,
        }
    }

    /// Whether a user of this role may belong to an organisation of `kind`.
    pub fn fits(self, kind: OrgKind) -> Result<(), String> {
        let ok = match self {
            Self::CentralOperator | Self::CentralApprover | Self::Admin => kind == OrgKind::Central,
            Self::PrefectureAdmin => kind == OrgKind::Prefecture,
            Self::OrgAdmin | Self::Member => true,
        };
        if ok {
            Ok(())
        } else {
            let needs = match self {
                Self::PrefectureAdmin => "a prefecture",
                _ => "a central body (総務省, J-LIS, NCO)",
            };
            Err(format!(
                "the role {} belongs to {needs}, not to a {} organisation",
                self.as_str(),
                kind.as_str()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_accept_hyphens() {
        for role in ALL_ROLES {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert_eq!(Role::parse("Org-Admin"), Ok(Role::OrgAdmin));
        assert!(Role::parse("root").is_err());
    }

    #[test]
    fn central_roles_need_a_central_body() {
        assert!(Role::CentralApprover.fits(OrgKind::Municipality).is_err());
        assert!(Role::PrefectureAdmin.fits(OrgKind::Municipality).is_err());
        assert!(Role::PrefectureAdmin.fits(OrgKind::Prefecture).is_ok());
        assert!(Role::Member.fits(OrgKind::Municipality).is_ok());
    }
}
