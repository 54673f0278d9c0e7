//! Who is calling the API or fetching a private feed: an organisation's API token (a bearer
//! header, or for feeds and CAP the URL) or a portal session. One extractor, used by every API
//! route, so no route can forget to authenticate.

use crate::domain::ids::AlertId;
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::Method;
use actix_web::{FromRequest, HttpRequest, web};

use crate::auth::Role;
use crate::auth::session::SESSION_COOKIE;
use crate::auth::session::{self, Session};
use crate::auth::tokens::{self, ApiToken, Scope};
use crate::context::AppContext;
use crate::error::ApiError;
use crate::registry::{OrgKind, Organisation};

/// The header a session-authenticated state-changing request carries its CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

pub enum Principal {
    /// A signed-in portal user.
    User { session: Session, org: Organisation },
    /// An organisation's API token.
    Token { token: ApiToken, org: Organisation },
}

impl Principal {
    pub fn org(&self) -> &Organisation {
        match self {
            Self::User { org, .. } | Self::Token { org, .. } => org,
        }
    }

    /// Central staff see every alert and may use the central endpoints. Tokens belong to an
    /// organisation, never to a central role.
    pub fn is_central(&self) -> bool {
        matches!(self, Self::User { session, .. } if session.user.role.is_central())
    }

    /// Who is asking, as every capability's access rule takes it.
    pub fn caller(&self) -> crate::registry::Caller {
        crate::registry::Caller::new(self.org(), self.role())
    }

    pub fn role(&self) -> Option<Role> {
        match self {
            Self::User { session, .. } => Some(session.user.role),
            Self::Token { .. } => None,
        }
    }

    /// Whether the caller may do what `scope` covers. A user may do all of it for their own
    /// organisation; a token only what it was given.
    pub fn allows(&self, scope: Scope) -> bool {
        match self {
            Self::User { .. } => true,
            Self::Token { token, .. } => token.allows(scope),
        }
    }

    /// 403 unless the caller holds `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.allows(scope) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this token does not have the `{}` scope",
                scope.as_str()
            )))
        }
    }

    /// 403 unless the caller is central staff.
    pub fn require_central(&self) -> Result<(), ApiError> {
        if self.is_central() {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "only central staff (signed in) may use this endpoint".into(),
            ))
        }
    }

    pub fn actor(&self) -> crate::audit::Actor {
        match self {
            Self::User { session, .. } => crate::audit::Actor::of(&session.user),
            Self::Token { token, .. } => crate::audit::Actor::Token {
                id: token.id,
                prefix: token.prefix.clone(),
            },
        }
    }

    /// Whether the caller may see alert `alert_id`.
    pub async fn may_view(&self, ctx: &AppContext, alert_id: AlertId) -> anyhow::Result<bool> {
        crate::alerts::access::caller_may_view(&ctx.db, &self.caller(), alert_id).await
    }

    pub fn is_prefecture(&self) -> bool {
        self.org().kind == OrgKind::Prefecture
    }
}

/// The organisation behind a presented token, if the token is live.
pub async fn by_token(
    ctx: &AppContext,
    presented: &str,
) -> Result<Option<(ApiToken, Organisation)>, ApiError> {
    let Some(token) = tokens::authenticate(&ctx.db, presented).await? else {
        return Ok(None);
    };
    let Some(org) = crate::registry::store::find_by_id(&ctx.db, token.org_id).await? else {
        return Ok(None);
    };
    Ok(Some((token, org)))
}

/// The principal of a request, if it carries any credentials; `Err` when it carries bad ones.
pub async fn identify(
    ctx: &AppContext,
    req: &HttpRequest,
    url_token: Option<&str>,
) -> Result<Option<Principal>, ApiError> {
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .map(|h| h.to_str().unwrap_or_default().to_owned());
    let presented = match (&header, url_token) {
        (Some(h), _) => Some(
            h.strip_prefix("Bearer ")
                .ok_or_else(|| {
                    ApiError::bad_request(
                        crate::error::Code::BadAuthorization,
                        "the Authorization header must be `Bearer nrs_…`",
                    )
                })?
                .trim()
                .to_owned(),
        ),
        (None, Some(t)) => Some(t.to_owned()),
        (None, None) => None,
    };
    if let Some(presented) = presented {
        return match by_token(ctx, &presented).await? {
            Some((token, org)) => Ok(Some(Principal::Token { token, org })),
            None => Err(ApiError::coded(
                actix_web::http::StatusCode::UNAUTHORIZED,
                crate::error::Code::InvalidToken,
                "the API token is unknown, revoked or expired",
            )),
        };
    }
    let Some(cookie) = req.cookie(SESSION_COOKIE) else {
        return Ok(None);
    };
    let Some(session) = session::find(&ctx.db, cookie.value()).await? else {
        return Ok(None);
    };
    let Some(org) = crate::registry::store::find_by_id(&ctx.db, session.user.org_id).await? else {
        return Ok(None);
    };
    if session.user.must_change_password {
        return Err(ApiError::coded(
            actix_web::http::StatusCode::FORBIDDEN,
            crate::error::Code::PasswordChangeRequired,
            "this session's password was set by an administrator: change it at /settings/password first",
        ));
    }
    if session.second_factor_pending
        || crate::auth::second_factor::must_enrol(&ctx.settings.auth, &session.user)
    {
        return Err(ApiError::coded(
            actix_web::http::StatusCode::FORBIDDEN,
            crate::error::Code::SecondFactorRequired,
            "this session has not given its second factor: enter the code at /login/totp (or set one up at /settings/totp) first",
        ));
    }
    // A browser sends the cookie on any request a page makes; a state-changing one must also
    // prove it was written by our own page.
    if ![Method::GET, Method::HEAD].contains(req.method()) {
        let sent = req
            .headers()
            .get(CSRF_HEADER)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default();
        if !session::same_secret(sent, &session.csrf) {
            return Err(ApiError::coded(
                actix_web::http::StatusCode::FORBIDDEN,
                crate::error::Code::Csrf,
                "a request signed in with a session cookie must send the session's CSRF token in X-CSRF-Token",
            ));
        }
    }
    Ok(Some(Principal::User { session, org }))
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let ctx = req
                .app_data::<web::Data<AppContext>>()
                .cloned()
                .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("no context")))?;
            identify(&ctx, &req, None)
                .await?
                .ok_or(ApiError::Unauthenticated)
        })
    }
}
