//! Pieces every room of the portal uses: choices of a select, the button forms, the redirect
//! after a form, and how an actor is named for people. The rooms import them from here, not from
//! the portal's root, which only wires routes.

use actix_web::HttpResponse;

use super::error::PortalError;
use super::i18n::Lang;

/// One choice of a select or radio group.
pub struct Opt {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

impl Opt {
    /// The choices with `current` selected.
    pub fn list(
        choices: impl IntoIterator<Item = (&'static str, &'static str)>,
        current: &str,
    ) -> Vec<Opt> {
        Self::marked(choices, |value| value == current)
    }

    /// The choices with those in `chosen` selected (checkboxes).
    pub fn many(
        choices: impl IntoIterator<Item = (&'static str, &'static str)>,
        chosen: &[String],
    ) -> Vec<Opt> {
        Self::marked(choices, |value| chosen.iter().any(|c| c == value))
    }

    fn marked(
        choices: impl IntoIterator<Item = (&'static str, &'static str)>,
        selected: impl Fn(&str) -> bool,
    ) -> Vec<Opt> {
        choices
            .into_iter()
            .map(|(value, label)| Opt {
                value,
                label,
                selected: selected(value),
            })
            .collect()
    }
}

/// A form that carries only its CSRF token (a button).
#[derive(serde::Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

/// A button that turns something on (`active=true`) or off (`active=false`).
#[derive(serde::Deserialize)]
pub struct ToggleForm {
    pub csrf: String,
    active: String,
}

impl ToggleForm {
    /// The state asked for; anything but `true` or `false` is refused.
    pub fn active(&self, lang: Lang) -> Result<bool, PortalError> {
        match self.active.as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            other => Err(PortalError::BadRequest(
                lang.tr1("active は true か false で指定してください（`{}`）", other),
            )),
        }
    }
}

/// 303 to a path of the portal (after a form is accepted).
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, to.to_owned()))
        .finish()
}

/// Who an actor string (`user:<id>:<email>`) names, for people: the address, never ids.
pub fn who(actor: &str) -> String {
    actor.splitn(3, ':').nth(2).unwrap_or(actor).to_owned()
}
