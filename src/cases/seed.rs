//! The seed library shipped with the hub (`data/cases/library.toml`: three real incidents from
//! the seed documents and demo cases written for Noroshi), and loading any library file of the
//! same shape. A file is read whole and every case checked before anything is stored.

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde::Deserialize;

use super::{CaseFields, CaseInput};
use crate::audit::Actor;

/// The library compiled into the binary.
pub const LIBRARY: &str = include_str!("../../data/cases/library.toml");

/// Largest library file read.
pub const MAX_FILE: usize = 8 * 1024 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(rename = "case", default)]
    cases: Vec<CaseInput>,
}

/// Reads and checks a library file; names the case (by position and title) and field of every
/// problem.
pub fn parse(text: &str, today: NaiveDate) -> anyhow::Result<Vec<CaseFields>> {
    if text.len() > MAX_FILE {
        anyhow::bail!(
            "the library file is {} bytes; at most {MAX_FILE} are read",
            text.len()
        );
    }
    let file: File =
        toml::from_str(text).map_err(|e| anyhow::anyhow!("not a case library: {e}"))?;
    if file.cases.is_empty() {
        anyhow::bail!("the library holds no [[case]]");
    }
    let mut out = Vec::with_capacity(file.cases.len());
    let mut problems = Vec::new();
    for (i, c) in file.cases.iter().enumerate() {
        match c.validate(today) {
            Ok(f) => out.push(f),
            Err(e) => problems.push(format!("case {} ({}): {e}", i + 1, c.title)),
        }
    }
    if !problems.is_empty() {
        anyhow::bail!("{}", problems.join("\n"));
    }
    Ok(out)
}

/// Stores every case of `cases` as published (each with its history row and outbox row).
pub async fn load<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    cases: &[CaseFields],
    actor: &Actor,
) -> anyhow::Result<usize> {
    for c in cases {
        crate::cases::act::create_published(db, c, actor)
            .await
            .map_err(|e| anyhow::anyhow!("cannot store the case 「{}」: {e}", c.title))?;
    }
    Ok(cases.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::model::Category;

    #[test]
    fn the_shipped_library_is_valid_and_covers_every_category() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let cases = parse(LIBRARY, today).unwrap();
        assert!(cases.len() >= 43, "{} cases", cases.len());
        for c in Category::ALL {
            assert!(
                cases
                    .iter()
                    .any(|x| x.categories.iter().any(|k| k == c.as_str())),
                "no case of {c}"
            );
        }
        let real = cases.iter().filter(|c| !c.source.is_empty()).count();
        assert!(real >= 3);
    }

    #[test]
    fn a_bad_file_names_the_case_and_field() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let e = parse("[[case]]\ntitle = \"x\"\nkind = \"incident\"\n", today)
            .unwrap_err()
            .to_string();
        assert!(e.contains("case 1 (x)") && e.contains("body"), "{e}");
        assert!(parse("[[case]]\nsurprise = 1\n", today).is_err());
        assert!(parse("", today).is_err());
    }
}
