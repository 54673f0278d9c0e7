//! The audience picker of the drill, own-alert and survey forms: who gets it is chosen by name —
//! every organisation, every prefecture, one prefecture with or without its municipalities, or
//! organisations named one a line (by name, reading or code) — and a 「宛先を確認」 button shows
//! whom that reaches before anything is created. No JavaScript. The selector syntax
//! (`pref:13+ org:131016`) stays for the CLI and the API, and under 「指定方式で入力」 here.

use serde::Deserialize;

use super::i18n::Lang;
use crate::domain::text::fold;
use crate::registry::{OrgKind, Organisation, Prefecture};

/// Names a form may list.
const MAX_NAMES: usize = 200;

/// The prefecture a viewer picks within: a prefecture's staff their own; the centre none.
pub fn limit_of(viewer: &super::viewer::Viewer) -> Option<Prefecture> {
    (viewer.org.kind == OrgKind::Prefecture)
        .then_some(viewer.org.prefecture)
        .flatten()
}

/// The picker's fields, as a form sends them.
#[derive(Deserialize, Default, Clone)]
pub struct PickerFields {
    /// `all`, `prefectures`, `pref`, `orgs`, or `codes` (the selector syntax in `to`).
    #[serde(default)]
    pub scope: String,
    /// A prefecture's number, for `pref`.
    #[serde(default)]
    pub pref: String,
    /// For `pref`: `with` (the prefecture and its municipalities), `munis` (its municipalities
    /// only) or `only` (the prefecture itself).
    #[serde(default)]
    pub reach: String,
    /// For `orgs`: one organisation a line.
    #[serde(default)]
    pub orgs: String,
    /// For `codes`: selectors.
    #[serde(default)]
    pub to: String,
    /// Set by the 「宛先を確認」 button: show whom it reaches, create nothing.
    #[serde(default)]
    pub preview: String,
}

impl PickerFields {
    /// The fields as a form opens: every organisation for the centre, a prefecture's
    /// municipalities for its own staff.
    pub fn initial(own: Option<Prefecture>) -> Self {
        match own {
            Some(p) => Self {
                scope: "pref".into(),
                pref: p.number().to_string(),
                reach: "munis".into(),
                ..Self::default()
            },
            None => Self {
                scope: "all".into(),
                ..Self::default()
            },
        }
    }

    pub fn previewing(&self) -> bool {
        !self.preview.is_empty()
    }
}

/// One choice of a select or radio group, owned (prefecture names vary with the language).
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The picker as a page shows it.
pub struct PickerView {
    pub scope: String,
    /// `None`: the centre, who may pick anything; a prefecture's staff pick within it.
    pub own: Option<String>,
    pub prefs: Vec<Choice>,
    pub reaches: Vec<Choice>,
    pub orgs: String,
    pub to: String,
    /// After 「宛先を確認」: how many organisations, and the first few by name.
    pub preview: Option<String>,
}

impl PickerView {
    pub fn of(f: &PickerFields, own: Option<Prefecture>, lang: Lang) -> Self {
        let chosen = if f.pref.is_empty() {
            own.map(|p| p.number().to_string()).unwrap_or_default()
        } else {
            f.pref.clone()
        };
        let prefs = Prefecture::all()
            .filter(|p| own.is_none_or(|o| o == *p))
            .map(|p| Choice {
                value: p.number().to_string(),
                // A proper name, the same in either language, after its number.
                label: format!("{:02} {}", p.number(), p.name()),
                selected: p.number().to_string() == chosen,
            })
            .collect();
        let reach = if f.reach.is_empty() {
            "with"
        } else {
            f.reach.as_str()
        };
        let reaches = [
            ("with", "都道府県と管内の市区町村"),
            ("munis", "管内の市区町村だけ"),
            ("only", "都道府県だけ"),
        ]
        .into_iter()
        .map(|(v, l)| Choice {
            value: v.into(),
            label: lang.tr(l).to_owned(),
            selected: v == reach,
        })
        .collect();
        Self {
            scope: if f.scope.is_empty() && !f.to.trim().is_empty() {
                "codes".into()
            } else {
                f.scope.clone()
            },
            own: own.map(|p| p.name().to_owned()),
            prefs,
            reaches,
            orgs: f.orgs.clone(),
            to: f.to.clone(),
            preview: None,
        }
    }
}

/// A line of the names box matched against one organisation: its code, its own name, its name
/// with the prefecture's (東京都千代田区), or its reading; width, case and spaces do not matter,
/// and a reading may be given in hiragana.
fn names(line: &str, o: &Organisation) -> bool {
    let want = fold(line).replace([' ', '\u{3000}'], "");
    want == o.code.to_string()
        || want == fold(&o.name)
        || want == fold(&o.full_name())
        || (!o.kana.is_empty() && katakana(&want) == katakana(&fold(&o.kana)))
}

/// Hiragana as katakana (readings are stored in katakana).
fn katakana(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{3041}'..='\u{3096}' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// The selectors the picker stands for, or what is wrong with it in `lang`. `registry` is every
/// organisation (for names); `own` limits a prefecture's staff to their prefecture.
pub fn selectors(
    f: &PickerFields,
    registry: &[Organisation],
    own: Option<Prefecture>,
    lang: Lang,
) -> Result<Vec<String>, String> {
    let scope = if f.scope.is_empty() && !f.to.trim().is_empty() {
        "codes"
    } else {
        f.scope.as_str()
    };
    Ok(match scope {
        "all" | "prefectures" if own.is_some() => {
            return Err(lang.tr("管内の団体から選んでください。").to_owned());
        }
        "all" => vec!["all".into()],
        "prefectures" => vec!["prefectures".into()],
        "pref" => {
            let p = f
                .pref
                .trim()
                .parse::<u8>()
                .ok()
                .and_then(Prefecture::from_number)
                .filter(|p| own.is_none_or(|o| o == *p))
                .ok_or_else(|| lang.tr("都道府県を選んでください。").to_owned())?;
            let n = p.number();
            vec![match f.reach.as_str() {
                "munis" => format!("muni:{n}"),
                "only" => format!("pref:{n}"),
                _ => format!("pref:{n}+"),
            }]
        }
        "orgs" => {
            let lines: Vec<&str> = f
                .orgs
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            if lines.is_empty() {
                return Err(lang
                    .tr("宛先の団体名を 1 行に 1 団体ずつ入力してください。")
                    .to_owned());
            }
            if lines.len() > MAX_NAMES {
                return Err(lang.tr1("宛先の団体は {} 行までです。", MAX_NAMES));
            }
            let mut out = Vec::new();
            let mut problems = Vec::new();
            for line in lines {
                let found: Vec<&Organisation> = registry
                    .iter()
                    .filter(|o| o.kind != OrgKind::Central)
                    .filter(|o| own.is_none_or(|p| o.prefecture == Some(p)))
                    .filter(|o| names(line, o))
                    .collect();
                match found.as_slice() {
                    [one] => out.push(format!("org:{}", one.code)),
                    [] => problems.push(lang.tr1("「{}」に当たる団体がありません", line)),
                    many => problems.push(lang.tr2(
                        "「{}」は複数あります（{}）。都道府県名から書くか、団体コードで指定してください",
                        line,
                        many.iter()
                            .map(|o| format!("{}（{}）", o.full_name(), o.code))
                            .collect::<Vec<_>>()
                            .join("、"),
                    )),
                }
            }
            if !problems.is_empty() {
                return Err(problems.join(" / "));
            }
            out.sort();
            out.dedup();
            out
        }
        "codes" => {
            let s: Vec<String> =
                f.to.split([',', ' ', '\n', '、'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
            if s.is_empty() {
                return Err(lang.tr("宛先を指定してください。").to_owned());
            }
            s
        }
        _ => return Err(lang.tr("宛先の選び方を選んでください。").to_owned()),
    })
}

/// What a preview says: how many organisations, and the first few by name.
pub fn preview_text(names: &[String], lang: Lang) -> String {
    const SHOWN: usize = 8;
    let first = names
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join("、");
    if names.len() > SHOWN {
        lang.tr2("宛先は {} 団体です（{} ほか）。", names.len(), first)
    } else {
        lang.tr2("宛先は {} 団体です（{}）。", names.len(), first)
    }
}

/// [`selectors`], reading the registry only when names were given.
pub async fn read(
    ctx: &crate::context::AppContext,
    f: &PickerFields,
    own: Option<Prefecture>,
    lang: Lang,
) -> Result<Result<Vec<String>, String>, super::error::PortalError> {
    let registry = if f.scope == "orgs" {
        crate::registry::store::list(&ctx.db, Default::default()).await?
    } else {
        Vec::new()
    };
    Ok(selectors(f, &registry, own, lang))
}

/// Whom `selectors` reach now (the inventory rules aside), as a preview says it.
pub async fn preview(
    ctx: &crate::context::AppContext,
    selectors: &[String],
    lang: Lang,
) -> Result<String, super::error::PortalError> {
    let spec = match crate::alerts::audience::AudienceSpec::parse_selectors(selectors) {
        Ok(s) => s,
        Err(e) => return Ok(lang.message(&e.to_string())),
    };
    let reached = crate::alerts::audience::resolve(&ctx.db, &spec, &[], &ctx.rules).await?;
    let names: Vec<String> = reached.iter().map(|r| r.organisation.full_name()).collect();
    Ok(preview_text(&names, lang))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::OrgId;
    use crate::registry::OrgCode;

    fn org(code: &str, name: &str, kana: &str, pref: u8, kind: OrgKind) -> Organisation {
        Organisation {
            id: OrgId(1),
            code: OrgCode::parse(code).unwrap_or_else(|e| panic!("{e}")),
            kind,
            name: name.into(),
            kana: kana.into(),
            prefecture: Prefecture::from_number(pref),
            parent_id: None,
        }
    }

    #[test]
    fn names_become_codes_and_an_ambiguous_name_asks_for_more() {
        let m = OrgKind::Municipality;
        let reg = [
            org("131016", "千代田区", "チヨダク", 13, m),
            org("132063", "府中市", "フチュウシ", 13, m),
            org("342084", "府中市", "フチュウシ", 34, m),
        ];
        let f = |orgs: &str| PickerFields {
            scope: "orgs".into(),
            orgs: orgs.into(),
            ..PickerFields::default()
        };
        assert_eq!(
            selectors(&f("ちよだく\n東京都府中市"), &reg, None, Lang::Ja).unwrap(),
            ["org:131016", "org:132063"]
        );
        assert_eq!(
            selectors(&f("１３１０１６"), &reg, None, Lang::Ja).unwrap(),
            ["org:131016"]
        );
        let e = selectors(&f("府中市"), &reg, None, Lang::Ja).unwrap_err();
        assert!(e.contains("132063") && e.contains("342084"), "{e}");
        // A prefecture's staff pick within their prefecture only.
        let own = Prefecture::from_number(13);
        assert_eq!(
            selectors(&f("府中市"), &reg, own, Lang::Ja).unwrap(),
            ["org:132063"]
        );
        let all = PickerFields::initial(None);
        assert!(selectors(&all, &reg, own, Lang::Ja).is_err());
        assert_eq!(
            selectors(&PickerFields::initial(own), &reg, own, Lang::Ja).unwrap(),
            ["muni:13"]
        );
        let codes = PickerFields {
            to: "pref:13+ org:131016".into(),
            ..PickerFields::default()
        };
        assert_eq!(
            selectors(&codes, &reg, None, Lang::Ja).unwrap(),
            ["pref:13+", "org:131016"]
        );
    }
}
