//! The signed-in viewer, as an extractor: every portal route that shows anything private takes
//! a `Viewer`, so an anonymous request can never reach it. Role checks are methods on it.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};

use super::error::PortalError;
use crate::auth::Role;
use crate::auth::session::{self, Session};
use crate::context::AppContext;
use crate::registry::Organisation;

pub use crate::auth::session::SESSION_COOKIE;
/// The browser's date preference (`western` or `wareki`); not a secret, no server state.
pub const DATES_COOKIE: &str = "noroshi_dates";
pub const LOGIN_CSRF_COOKIE: &str = "noroshi_login_csrf";
/// The form token of public forms other than the login (a cookie and a hidden field that must
/// match), so another site cannot make its visitors' browsers post them.
pub const FORM_CSRF_COOKIE: &str = "noroshi_form_csrf";

/// A signed-in user and their organisation.
pub struct Viewer {
    pub session: Session,
    pub org: Organisation,
    /// How this browser wants dates written.
    pub dates: crate::time::DateStyle,
    /// Whether the browser chose `dates` (the 年度 pages default to 和暦 otherwise).
    pub dates_chosen: bool,
    /// The path and query of this request (where a preference switch returns to).
    pub here: String,
    /// Japanese, or English when this browser asked.
    pub lang: super::i18n::Lang,
}

/// What every page's header shows.
pub struct Nav {
    pub org_name: String,
    pub user_name: String,
    pub role: &'static str,
    pub csrf: String,
    /// Which sections the header links to; each route still checks the role itself.
    pub org_admin: bool,
    pub central: bool,
    pub admin: bool,
    /// Central and prefecture staff see statistics across alerts.
    pub stats: bool,
    /// Central staff and prefecture staff see drills and their reports.
    pub drills: bool,
    /// Dates are written in 和暦.
    pub wareki: bool,
    /// The current page, URL-encoded, for the date switch to return to.
    pub here: String,
    /// The page text in the viewer's language.
    pub t: &'static super::i18n::Ui,
    pub lang: super::i18n::Lang,
    /// Now, as the viewer writes times: the 出力日時 of a printed page.
    pub printed: String,
}

impl Nav {
    /// Page text in the viewer's language (see [`super::i18n::Lang::tr`]).
    pub fn tr<'a>(&self, ja: &'a str) -> &'a str {
        self.lang.tr(ja)
    }

    pub fn tr1(&self, ja: &str, a: impl std::fmt::Display) -> String {
        self.lang.tr1(ja, a)
    }

    pub fn tr2(&self, ja: &str, a: impl std::fmt::Display, b: impl std::fmt::Display) -> String {
        self.lang.tr2(ja, a, b)
    }

    pub fn trn(&self, ja: &str, args: &[&dyn std::fmt::Display]) -> String {
        self.lang.trn(ja, args)
    }
}

/// A part of the portal that only some roles use. The header's links and every route's check
/// ask `Viewer::may` / `Viewer::require`, so the rule is written once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    /// Contacts, inventory, users and tokens of one's own organisation.
    OrgSettings,
    /// Triage, drafts and approval.
    Central,
    /// The hub administrator's pages.
    HubAdmin,
    /// Statistics across alerts.
    Stats,
}

impl Viewer {
    /// Who is asking, as every capability's access rule takes it.
    pub fn caller(&self) -> crate::registry::Caller {
        crate::registry::Caller::new(&self.org, Some(self.session.user.role))
    }

    pub fn may(&self, section: Section) -> bool {
        let role = self.session.user.role;
        match section {
            Section::OrgSettings => {
                matches!(role, Role::Admin | Role::PrefectureAdmin | Role::OrgAdmin)
            }
            Section::Central => role.is_central(),
            Section::HubAdmin => role == Role::Admin,
            Section::Stats => role.is_central() || role == Role::PrefectureAdmin,
        }
    }

    /// 403 with a reason unless the viewer's role may use `section`.
    pub fn require(&self, section: Section) -> Result<(), PortalError> {
        if self.may(section) {
            return Ok(());
        }
        Err(PortalError::Forbidden(
            match section {
                Section::OrgSettings => self.lang.tr("団体の設定は団体管理者が行います。"),
                Section::Central => self.lang.tr("この画面は中央の職員のみが使えます。"),
                Section::HubAdmin => self.lang.tr("管理画面はシステム管理者のみが使えます。"),
                Section::Stats => self.lang.tr("統計は中央と都道府県の職員が見られます。"),
            }
            .into(),
        ))
    }

    /// A time as this viewer wants it written (JST; the date in 西暦 or 和暦).
    /// How the 年度 pages write dates and years: as chosen, else 和暦 for a Japanese reader
    /// (令和8年度, as administrative documents write them) and 西暦 for an English one.
    pub fn year_dates(&self) -> crate::time::DateStyle {
        match (self.dates_chosen, self.lang) {
            (true, _) => self.dates,
            (false, super::i18n::Lang::Ja) => crate::time::DateStyle::Wareki,
            (false, super::i18n::Lang::En) => crate::time::DateStyle::Western,
        }
    }

    /// A deadline, with its day of the week: `2026-12-07（月）17:00 JST`.
    pub fn deadline(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        crate::time::format_deadline(t, self.dates)
    }

    pub fn when(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        self.dates.format(t)
    }

    /// The viewer as named in the audit log.
    pub fn actor(&self) -> crate::audit::Actor {
        crate::audit::Actor::of(&self.session.user)
    }

    /// Refuses a state-changing form whose CSRF token is not this session's.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), PortalError> {
        if session::same_secret(submitted, &self.session.csrf) {
            Ok(())
        } else {
            Err(PortalError::Csrf)
        }
    }

    pub fn nav(&self) -> Nav {
        let user = &self.session.user;
        Nav {
            org_name: self.org.full_name(),
            user_name: if user.display_name.is_empty() {
                user.email.to_string()
            } else {
                user.display_name.clone()
            },
            role: self.lang.role(user.role),
            csrf: self.session.csrf.clone(),
            org_admin: matches!(
                user.role,
                Role::Admin | Role::PrefectureAdmin | Role::OrgAdmin
            ),
            central: user.role.is_central(),
            admin: user.role == Role::Admin,
            stats: user.role.is_central() || user.role == Role::PrefectureAdmin,
            drills: user.role.is_central() || self.org.kind == crate::registry::OrgKind::Prefecture,
            wareki: self.dates == crate::time::DateStyle::Wareki,
            here: url::form_urlencoded::byte_serialize(self.here.as_bytes()).collect(),
            t: self.lang.ui(),
            lang: self.lang,
            printed: self.when(&chrono::Utc::now()),
        }
    }
}

/// A cookie marked the way every Noroshi cookie is: HttpOnly, SameSite=Lax, Secure when the
/// portal is served over HTTPS, path `/`.
pub fn cookie(ctx: &AppContext, name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(ctx.settings.app.base_url.scheme() == "https")
        .finish()
}

/// A cookie that tells the browser to forget `name`.
pub fn removal(name: &'static str) -> Cookie<'static> {
    let mut gone = Cookie::new(name, "");
    gone.set_path("/");
    gone.make_removal();
    gone
}

/// A path on this site to return to after login; anything else becomes the inbox.
///
/// Browsers drop ASCII tabs and newlines while parsing a URL (WHATWG URL standard), so
/// `/<TAB>/evil.example/` becomes `//evil.example/`, another site. Only printable ASCII without a
/// backslash is accepted, and the result must resolve to this origin when a browser joins it.
pub fn local_path(next: &str) -> String {
    const ORIGIN: &str = "http://noroshi.invalid/";
    let printable = next.bytes().all(|b| b.is_ascii_graphic()) && !next.contains('\\');
    let same_origin = || {
        url::Url::parse(ORIGIN).is_ok_and(|base| {
            base.join(next)
                .is_ok_and(|joined| joined.origin() == base.origin())
        })
    };
    if printable && next.starts_with('/') && !next.starts_with("//") && same_origin() {
        next.to_owned()
    } else {
        "/inbox".to_owned()
    }
}

impl FromRequest for Viewer {
    type Error = PortalError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let ctx = req.app_data::<web::Data<AppContext>>().cloned();
        let token = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
        let chosen = req
            .cookie(DATES_COOKIE)
            .and_then(|c| crate::time::DateStyle::from_code(c.value()));
        let dates = chosen.unwrap_or_default();
        let dates_chosen = chosen.is_some();
        let lang = super::i18n::Lang::of(req);
        // With a password someone else set, only the password change and logout open; a
        // session waiting for its second factor opens only the code's page, and a user who
        // must set one up only its set-up (and the password change).
        let path = req.path().to_owned();
        let may_skip_change = matches!(path.as_str(), "/settings/password" | "/logout");
        let next = req
            .uri()
            .path_and_query()
            .map_or("/inbox".to_owned(), |p| p.as_str().to_owned());
        Box::pin(async move {
            let ctx = ctx.ok_or_else(|| PortalError::Unexpected(anyhow::anyhow!("no context")))?;
            let login = || PortalError::LoginRequired { next: next.clone() };
            let token = token.ok_or_else(login)?;
            let (session, org) = session::find_with_org(&ctx.db, &token)
                .await?
                .ok_or_else(login)?;
            if session.second_factor_pending {
                if !matches!(path.as_str(), "/login/totp" | "/logout") {
                    return Err(PortalError::SecondFactorPending);
                }
            } else if session.user.must_change_password && !may_skip_change {
                return Err(PortalError::PasswordChangeRequired);
            } else if crate::auth::second_factor::must_enrol(&ctx.settings.auth, &session.user)
                && !may_skip_change
                && path != "/settings/totp"
            {
                return Err(PortalError::SecondFactorSetUp);
            }
            Ok(Viewer {
                session,
                org,
                dates,
                dates_chosen,
                here: next,
                lang,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_returned_to_after_login() {
        assert_eq!(local_path("/alerts/NRS-2026-0001"), "/alerts/NRS-2026-0001");
        assert_eq!(
            local_path("/cases?q=%E6%BC%8F%E3%81%88%E3%81%84&page=2"),
            "/cases?q=%E6%BC%8F%E3%81%88%E3%81%84&page=2"
        );
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil",
            "javascript:alert(1)",
            "",
            "/\t/evil.example/",
            "/\n/evil.example/",
            "/\r\n/evil.example",
            "/ /evil.example",
            "/\u{3000}/evil.example",
            "/\x0b/evil.example",
        ] {
            assert_eq!(local_path(bad), "/inbox", "{bad}");
        }
    }
}
