//! Row ids, one type per table that other tables point at. A function that takes an alert and an
//! organisation cannot be called with the two swapped, and the entity columns carry the same
//! types, so a store hands out what it reads without unwrapping.

/// Writes a row id: copy, order, hash, JSON as the bare number, `Display` and `FromStr` as the
/// number (paths and forms), the search engines' unsigned keys,
/// and a sea-orm value type so the entity columns and query filters
/// take it as it is.
macro_rules! row_id {
    ($($(#[$meta:meta])* $name:ident;)*) => {$(
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash,
            serde::Serialize, serde::Deserialize, sea_orm::DeriveValueType,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        /// The search engines key documents by an unsigned number.
        impl TryFrom<$name> for u64 {
            type Error = std::num::TryFromIntError;
            fn try_from(id: $name) -> Result<u64, Self::Error> {
                u64::try_from(id.0)
            }
        }

        impl TryFrom<u64> for $name {
            type Error = std::num::TryFromIntError;
            fn try_from(key: u64) -> Result<Self, Self::Error> {
                i64::try_from(key).map(Self)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map(Self)
            }
        }
    )*};
}

row_id! {
    /// An alert's row id.
    AlertId;
    /// A published revision of an alert.
    RevisionId;
    /// An organisation (the centre, a prefecture, a municipality).
    OrgId;
    /// A user account.
    UserId;
    /// An incident report (インシデント報告).
    ReportId;
    /// A survey (緊急点検, 重点検査).
    SurveyId;
    /// A case in the library (事故事例・取組事例).
    CaseId;
    /// An issue of the メールマガジン.
    IssueId;
    /// A 照会 (a question to a desk and its answers).
    InquiryId;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_reads_and_writes_as_its_number() {
        let id: AlertId = "42".parse().unwrap();
        assert_eq!(id, AlertId(42));
        assert_eq!(id.to_string(), "42");
        assert_eq!(serde_json::to_string(&id).unwrap(), "42");
        assert_eq!(serde_json::from_str::<OrgId>("7").unwrap(), OrgId(7));
        assert!("x".parse::<SurveyId>().is_err());
    }
}
