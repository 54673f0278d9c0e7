//! The registry's seed: every local government from the shipped code list (public data from
//! 総務省, see `data/README.md`) and the central bodies, whose codes use Noroshi's own scheme:
//! prefix 99 (no prefecture has it), a serial number, and the same check digit.

use unicode_normalization::UnicodeNormalization;

use super::{OrgCode, OrgKind, Prefecture};

const LOCAL_GOVERNMENT_CODES: &str = include_str!("../../data/local_government_codes.csv");

/// One organisation the seed guarantees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedOrg {
    pub code: OrgCode,
    pub kind: OrgKind,
    pub name: String,
    pub kana: String,
    pub prefecture: Option<Prefecture>,
}

/// The central bodies: (serial, name, kana).
const CENTRAL_BODIES: [(u8, &str, &str); 3] = [
    (1, "総務省", "ソウムショウ"),
    (
        2,
        "地方公共団体情報システム機構",
        "チホウコウキョウダンタイジョウホウシステムキコウ",
    ),
    (3, "国家サイバー統括室", "コッカサイバートウカツシツ"),
];

/// The code of central body number `serial` (990019 for 総務省).
pub fn central_code(serial: u8) -> Option<OrgCode> {
    if serial > 99 {
        return None;
    }
    OrgCode::from_body([9, 9, 0, serial / 10, serial % 10])
}

/// Every organisation of the seed, prefectures before their municipalities.
pub fn seed_orgs() -> anyhow::Result<Vec<SeedOrg>> {
    let mut out = local_governments()?;
    for (serial, name, kana) in CENTRAL_BODIES {
        let code = central_code(serial)
            .ok_or_else(|| anyhow::anyhow!("central body serial {serial} is out of range"))?;
        out.push(SeedOrg {
            code,
            kind: OrgKind::Central,
            name: name.into(),
            kana: kana.into(),
            prefecture: None,
        });
    }
    Ok(out)
}

fn local_governments() -> anyhow::Result<Vec<SeedOrg>> {
    let mut reader = csv::Reader::from_reader(LOCAL_GOVERNMENT_CODES.as_bytes());
    let mut out = Vec::with_capacity(1788);
    for (i, row) in reader.records().enumerate() {
        let row = row?;
        let field = |n: usize| row.get(n).unwrap_or("").trim();
        let line = i + 2;
        let code = OrgCode::parse(field(0)).map_err(|e| anyhow::anyhow!("line {line}: {e}"))?;
        let prefecture = Prefecture::from_number(code.prefecture_number())
            .ok_or_else(|| anyhow::anyhow!("line {line}: {code} has no prefecture"))?;
        let (kind, name, kana) = if field(2).is_empty() {
            (OrgKind::Prefecture, field(1), field(3))
        } else {
            (OrgKind::Municipality, field(2), field(4))
        };
        out.push(SeedOrg {
            code,
            kind,
            name: name.to_owned(),
            // The list has half-width katakana; people read full-width.
            kana: kana.nfkc().collect(),
            prefecture: Some(prefecture),
        });
    }
    out.sort_by_key(|o| (o.kind != OrgKind::Prefecture, o.code));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_has_every_local_government_and_the_central_bodies() {
        let orgs = seed_orgs().unwrap_or_default();
        let count = |k| orgs.iter().filter(|o| o.kind == k).count();
        assert_eq!(count(OrgKind::Prefecture), 47);
        assert_eq!(count(OrgKind::Municipality), 1741);
        assert_eq!(count(OrgKind::Central), 3);
    }

    #[test]
    fn kana_is_full_width() {
        let orgs = seed_orgs().unwrap_or_default();
        let sapporo = orgs.iter().find(|o| o.code.to_string() == "011002");
        assert_eq!(sapporo.map(|o| o.kana.as_str()), Some("サッポロシ"));
        let hokkaido = orgs.iter().find(|o| o.code.to_string() == "010006");
        assert_eq!(hokkaido.map(|o| o.kana.as_str()), Some("ホッカイドウ"));
    }

    #[test]
    fn central_codes_carry_a_valid_check_digit_and_no_prefecture() {
        let code = central_code(1).map(|c| c.to_string()).unwrap_or_default();
        assert!(OrgCode::parse(&code).is_ok());
        assert!(code.starts_with("99"));
        assert!(Prefecture::from_number(99).is_none());
    }
}
