//! `/surveys/{id}/results`: for central staff the nation, by prefecture and by 区分, every
//! organisation; for a prefecture's staff the same over its own organisations — 把握率, the
//! seed's scores, the grades' spread (a chart), the first round beside the second, "as of" any
//! time; CSV; a prompt to those that have not answered; and the centre's mail of each
//! organisation's 評価結果.

use crate::domain::ids::SurveyId;
use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::{results_scope, visible};
use crate::context::AppContext;
use crate::portal::error::{PortalError, render};
use crate::portal::parts::CsrfForm;
use crate::portal::viewer::{Nav, Viewer};
use crate::surveys::Status;
use crate::surveys::results::{self, Group, Results, Scope};
use crate::surveys::score::percent;
use crate::surveys::store::{self, FollowUp, Survey};

#[derive(Deserialize)]
pub(super) struct AsOf {
    as_of: Option<String>,
    /// For the CSV: `items` for the table item by item; the organisations' table otherwise.
    #[serde(default)]
    table: Option<String>,
}

impl AsOf {
    /// Whether a time was asked for (otherwise the current answers).
    pub(super) fn given(&self) -> bool {
        self.as_of.as_deref().is_some_and(|t| !t.trim().is_empty())
    }
}

pub struct GroupLine {
    pub label: String,
    pub addressed: u64,
    pub answered: u64,
    pub coverage: String,
    pub categories: Vec<String>,
    pub overall: String,
    pub grade: &'static str,
    pub reach: String,
}

pub struct OrgRow {
    pub code: String,
    pub name: String,
    pub class: &'static str,
    pub state: &'static str,
    pub overall: String,
    pub grade: &'static str,
    pub plan: String,
}

/// One item of the survey over the answers in scope.
pub struct ItemRow {
    pub category: String,
    pub id: String,
    pub text: String,
    pub rate: String,
    pub answered: u64,
    /// `はい 6（60.0%） ・ いいえ 4（40.0%）`.
    pub shares: String,
}

fn item_row(i: &crate::surveys::items::ItemLine, viewer: &Viewer) -> ItemRow {
    use crate::surveys::items::with_share;
    ItemRow {
        category: i.category.clone(),
        id: i.id.clone(),
        text: i.text.clone(),
        rate: i
            .rate
            .map(|r| percent(Some(r)))
            .unwrap_or_else(|| "—".into()),
        answered: i.answered,
        shares: i
            .shares
            .iter()
            .map(|s| {
                format!(
                    "{} {}",
                    viewer.lang.tr(s.label),
                    with_share(s.count, i.answered)
                )
            })
            .collect::<Vec<_>>()
            .join(" ・ "),
    }
}

fn line(g: &Group, viewer: &Viewer) -> GroupLine {
    let r = g.score.reach;
    GroupLine {
        label: viewer.lang.tr(&g.label).to_owned(),
        addressed: g.addressed,
        answered: g.answered,
        coverage: g.coverage().percent(),
        categories: g
            .score
            .categories
            .iter()
            .map(|(_, m)| percent(*m))
            .collect(),
        overall: percent(g.score.overall),
        grade: g.score.grade().map_or("", |g| g.as_str()),
        reach: crate::surveys::items::reach(&r),
    }
}

#[derive(Template)]
#[template(path = "portal/survey_results.html")]
struct ResultsPage {
    nav: Nav,
    id: SurveyId,
    title: String,
    as_of: String,
    as_of_param: String,
    categories: Vec<String>,
    total: GroupLine,
    previous: Option<(SurveyId, String, GroupLine)>,
    prefectures: Vec<GroupLine>,
    classes: Vec<GroupLine>,
    orgs: Vec<OrgRow>,
    items: Vec<ItemRow>,
    chart: String,
    central: bool,
    can_send: bool,
    sent: bool,
}

pub(super) async fn load(
    ctx: &AppContext,
    viewer: &Viewer,
    id: SurveyId,
    as_of: &AsOf,
) -> Result<(Survey, Scope, Results), PortalError> {
    let scope = results_scope(viewer).ok_or_else(|| {
        PortalError::Forbidden(
            viewer
                .lang
                .tr("調査の結果は中央省庁等と都道府県の職員が見られます。")
                .into(),
        )
    })?;
    let s = visible(ctx, viewer, id).await?;
    if s.status != Status::Published {
        return Err(PortalError::NotFound);
    }
    let at = match as_of
        .as_of
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        None => None,
        Some(t) => Some(crate::time::parse_jst_minute(t).ok_or_else(|| {
            PortalError::BadRequest(viewer.lang.tr1(
                "as_of: `{}` は「YYYY-MM-DD HH:MM」（日本時間）ではありません",
                t,
            ))
        })?),
    };
    let r = results::build(&ctx.db, &s, scope, at).await?;
    Ok((s, scope, r))
}

fn grade_chart(r: &Results) -> String {
    let mut rows: Vec<(&str, [u64; 4])> = vec![(r.total.label.as_str(), r.total.grades)];
    rows.extend(r.by_class.iter().map(|g| (g.label.as_str(), g.grades)));
    results::chart_svg(&rows)
}

#[get("/surveys/{id}/results")]
pub(super) async fn show(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<SurveyId>,
    as_of: web::Query<AsOf>,
) -> Result<HttpResponse, PortalError> {
    let (s, scope, r) = load(&ctx, &viewer, path.into_inner(), &as_of).await?;
    let central = scope == Scope::All;
    let user = &viewer.session.user;
    render(&ResultsPage {
        id: s.id,
        title: s.title.clone(),
        as_of: viewer.when(&r.as_of),
        as_of_param: as_of.as_of.clone().unwrap_or_default(),
        categories: s
            .definition
            .categories
            .iter()
            .map(|c| c.title.clone())
            .collect(),
        total: line(&r.total, &viewer),
        previous: r
            .previous
            .as_ref()
            .map(|(p, g)| (p.id, p.title.clone(), line(g, &viewer))),
        prefectures: if central {
            r.by_prefecture.iter().map(|g| line(g, &viewer)).collect()
        } else {
            Vec::new()
        },
        classes: r.by_class.iter().map(|g| line(g, &viewer)).collect(),
        orgs: r
            .organisations
            .iter()
            .map(|o| OrgRow {
                code: o.org.code.to_string(),
                name: o.org.full_name(),
                class: viewer.lang.tr(o.org.class().label_ja()),
                state: viewer.lang.tr(match (o.answered, o.late, o.returned) {
                    (_, _, true) => "差し戻し中",
                    (true, true, _) => "提出済（期限後）",
                    (true, false, _) => "提出済",
                    (false, _, _) => "未回答",
                }),
                overall: o
                    .score
                    .as_ref()
                    .map(|s| percent(s.overall))
                    .unwrap_or_default(),
                grade: o
                    .score
                    .as_ref()
                    .and_then(|s| s.grade())
                    .map_or("", |g| g.as_str()),
                plan: match (&o.plan, o.plan_fiscal_year) {
                    (Some(p), Some(y)) => {
                        format!("{p}（{}）", crate::time::fiscal_year_label(y, viewer.dates))
                    }
                    (Some(p), None) => p.clone(),
                    _ => String::new(),
                },
            })
            .collect(),
        items: r.items.iter().map(|i| item_row(i, &viewer)).collect(),
        chart: grade_chart(&r),
        central,
        can_send: s.definition.scored() && crate::surveys::publish::may_write(&s, user),
        sent: s.results_sent_at.is_some(),
        nav: viewer.nav(),
    })
}

#[get("/surveys/{id}/results.csv")]
pub(super) async fn csv(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<SurveyId>,
    as_of: web::Query<AsOf>,
) -> Result<HttpResponse, PortalError> {
    let items = match as_of.table.as_deref() {
        None | Some("" | "organisations") => false,
        Some("items") => true,
        Some(t) => {
            return Err(PortalError::BadRequest(viewer.lang.tr1(
                "table: `{}` は organisations（団体別）か items（項目別）です",
                t,
            )));
        }
    };
    let (s, _, r) = load(&ctx, &viewer, path.into_inner(), &as_of).await?;
    let (name, body) = if items {
        (
            format!("survey-{}-items.csv", s.id),
            crate::surveys::items::csv(&r.items),
        )
    } else {
        (format!("survey-{}.csv", s.id), results::csv(&s, &r))
    };
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

#[get("/surveys/{id}/results.svg")]
pub(super) async fn chart_svg(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<SurveyId>,
    as_of: web::Query<AsOf>,
) -> Result<HttpResponse, PortalError> {
    let (_, _, r) = load(&ctx, &viewer, path.into_inner(), &as_of).await?;
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(grade_chart(&r)))
}

/// Mails the organisations in the viewer's scope that have not submitted (at most once a day —
/// a JST day — per survey and prompting organisation, kept by a key written with the mail, not
/// read back from the audit log).
#[post("/surveys/{id}/prompt")]
pub(super) async fn prompt(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<SurveyId>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    let id = path.into_inner();
    let (s, _, r) = load(
        &ctx,
        &viewer,
        id,
        &AsOf {
            as_of: None,
            table: None,
        },
    )
    .await?;
    let target = format!("survey:{id}");
    let silent: Vec<_> = r
        .organisations
        .iter()
        .filter(|o| !o.answered)
        .map(|o| o.org.id)
        .collect();
    let now = chrono::Utc::now();
    let txn = crate::db::begin_write(&ctx.db)
        .await
        .map_err(anyhow::Error::from)?;
    let key = crate::notices::once::daily(&format!("survey.prompt:{id}:{}", viewer.org.code), now);
    if !crate::notices::once::claim(&txn, &key, now).await? {
        return Err(PortalError::BadRequest(
            viewer.lang.tr("督促は 1 日に一度までです。").into(),
        ));
    }
    let subject = format!(
        "【督促】{}（回答期限 {}）",
        s.title,
        crate::time::format_jst(&s.deadline)
    );
    let body = format!(
        "{} から、{} への回答の督促です。期限までに提出してください。\n{}/surveys/{id}\n",
        viewer.org.full_name(),
        s.title,
        ctx.settings.app.base_url.as_str().trim_end_matches('/')
    );
    let n = crate::surveys::publish::queue_to(&txn, &silent, &subject, &body, now).await?;
    crate::audit::record(
        &txn,
        &viewer.actor(),
        "survey.prompt",
        &target,
        serde_json::json!({ "organisations": silent.len(), "mailed": n }),
    )
    .await?;
    sea_orm::TransactionSession::commit(txn)
        .await
        .map_err(anyhow::Error::from)?;
    Ok(crate::portal::parts::see_other(&format!(
        "/surveys/{id}/results"
    )))
}

/// Mails every organisation that submitted its 評価結果 (once): its own scores and grade and the
/// spread of its prefecture and the nation, naming no other organisation.
#[post("/surveys/{id}/results/send")]
pub(super) async fn send(
    ctx: web::Data<AppContext>,
    viewer: Viewer,
    path: web::Path<SurveyId>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PortalError> {
    viewer.check_csrf(&form.csrf)?;
    let id = path.into_inner();
    let (s, _, r) = load(
        &ctx,
        &viewer,
        id,
        &AsOf {
            as_of: None,
            table: None,
        },
    )
    .await?;
    if !crate::surveys::publish::may_write(&s, &viewer.session.user) || !s.definition.scored() {
        return Err(PortalError::Forbidden(
            viewer
                .lang
                .tr("評価結果の送付は、調査を作成した側の職員が行います。")
                .into(),
        ));
    }
    let now = chrono::Utc::now();
    let txn = crate::db::begin_write(&ctx.db)
        .await
        .map_err(anyhow::Error::from)?;
    if !store::claim(&txn, s.id, FollowUp::ResultsSentAt, now).await? {
        return Err(PortalError::BadRequest(
            viewer.lang.tr("評価結果はすでに送付しました。").into(),
        ));
    }
    let base = ctx
        .settings
        .app
        .base_url
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let nation = crate::surveys::results::grades_line(&r.total);
    let mut mailed = 0;
    for o in r.organisations.iter().filter(|o| o.answered) {
        let Some(score) = &o.score else { continue };
        let pref = r
            .by_prefecture
            .iter()
            .find(|g| {
                Some(g.id.as_str())
                    == o.org
                        .prefecture
                        .map(|p| format!("{:02}", p.number()))
                        .as_deref()
            })
            .map(crate::surveys::results::grades_line)
            .unwrap_or_default();
        let weak = crate::surveys::items::weakest(&s.definition, score, 5);
        let weak = if weak.is_empty() {
            String::new()
        } else {
            format!(
                "\n改善が必要な項目（実施率の低い順）\n{}\n",
                weak.iter()
                    .map(|(c, i, r)| format!("・{c}: {i}（{}）", percent(Some(*r))))
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        };
        let body = format!(
            "{} の評価結果\n\n総合評価: {}（{}）\n{}\n{weak}\n評価の分布（団体数 A/B/C/D）\n{}\n全国: {}\n\n改善方針と対応完了予定年度を、次のページから回答してください。\n{base}/surveys/{id}/result\n",
            s.title,
            percent(score.overall),
            score.grade().map_or("—", |g| g.as_str()),
            s.definition
                .categories
                .iter()
                .zip(&score.categories)
                .map(|(c, (_, m))| format!("{}: {}", c.title, percent(*m)))
                .collect::<Vec<_>>()
                .join("\n"),
            if pref.is_empty() {
                String::new()
            } else {
                format!("{}: {pref}", o.org.prefecture.map_or("", |p| p.name()))
            },
            nation,
        );
        mailed += crate::surveys::publish::queue_to(
            &txn,
            &[o.org.id],
            &format!("【評価結果】{}", s.title),
            &body,
            now,
        )
        .await?;
    }
    crate::audit::record(
        &txn,
        &viewer.actor(),
        "survey.results_sent",
        &format!("survey:{id}"),
        serde_json::json!({ "mailed": mailed }),
    )
    .await?;
    sea_orm::TransactionSession::commit(txn)
        .await
        .map_err(anyhow::Error::from)?;
    Ok(crate::portal::parts::see_other(&format!(
        "/surveys/{id}/results"
    )))
}
