//! Form fields as every capability checks them: a vocabulary of ids with Japanese labels, a
//! text field (trimmed, bounded, no control characters) and a date field. Each problem is pushed
//! with the field's id, so the caller names it by its label in the reader's language. Pure.

use chrono::{Datelike, NaiveDate};

/// A vocabulary of ids with Japanese labels, parsed from either.
pub struct Vocabulary(pub &'static [(&'static str, &'static str)]);

impl Vocabulary {
    pub fn label(&self, id: &str) -> Option<&'static str> {
        self.0.iter().find(|(i, _)| *i == id).map(|(_, l)| *l)
    }

    /// The id for `s`, given as the id or the Japanese label.
    pub fn parse(&self, what: &str, s: &str) -> Result<&'static str, String> {
        let t = s.trim();
        self.0
            .iter()
            .find(|(id, label)| *id == t || *label == t)
            .map(|(id, _)| *id)
            .ok_or_else(|| {
                format!(
                    "`{s}` is not a {what}: expected one of {}",
                    self.0
                        .iter()
                        .map(|(_, l)| *l)
                        .collect::<Vec<_>>()
                        .join("、")
                )
            })
    }
}

/// Checks a text field, pushing each problem with `field`; returns the value trimmed.
pub fn text_field(
    errors: &mut Vec<(&'static str, String)>,
    field: &'static str,
    value: &str,
    max: usize,
    required: bool,
) -> String {
    let v = value.replace("\r\n", "\n").trim().to_owned();
    if required && v.is_empty() {
        errors.push((field, "入力してください (required)".into()));
    }
    let n = v.chars().count();
    if n > max {
        errors.push((field, format!("{n} 文字です。{max} 文字以内にしてください")));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        errors.push((field, "制御文字は使えません (control characters)".into()));
    }
    v
}

pub fn date_field(
    errors: &mut Vec<(&'static str, String)>,
    field: &'static str,
    value: &Option<String>,
    today: NaiveDate,
) -> Option<NaiveDate> {
    let v = value.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
    match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        Ok(d) if d > today => {
            errors.push((field, format!("{v} は未来の日付です")));
            None
        }
        Ok(d) if d.year() < 1990 => {
            errors.push((field, format!("{v} は古すぎます (1990 年以降)")));
            None
        }
        Ok(d) => Some(d),
        Err(_) => {
            errors.push((field, format!("`{v}` は YYYY-MM-DD の日付ではありません")));
            None
        }
    }
}
