//! 今日の確認事項: what waits for the viewer today, at the top of the inbox (the page every role
//! lands on) — alerts and drills not yet acknowledged (and those past their deadline), surveys
//! to answer or sent back, incident reports waiting for the organisation or (for the desks) for
//! the centre or the prefecture, and 照会 to answer — each a link to where it is done.

use chrono::Utc;

use super::error::PortalError;
use super::viewer::Viewer;
use crate::context::AppContext;
use crate::reports::waiting::Party;

/// One line of the panel: what, how many, where, and whether something is overdue.
pub struct Line {
    pub text: String,
    pub link: &'static str,
    pub urgent: bool,
}

pub async fn lines(
    ctx: &AppContext,
    portal: &super::state::PortalState,
    viewer: &Viewer,
) -> Result<Vec<Line>, PortalError> {
    let lang = viewer.lang;
    let now = Utc::now();
    let mut out = Vec::new();

    // Alerts and drills without any report from the organisation.
    let (open, overdue) = portal
        .inbox
        .unacknowledged(&ctx.db, viewer.org.id, now)
        .await?;
    if open > 0 {
        out.push(Line {
            text: if overdue > 0 {
                lang.tr2(
                    "未確認の注意喚起・訓練 {} 件（うち対応期限を過ぎたもの {} 件）",
                    open,
                    overdue,
                )
            } else {
                lang.tr1("未確認の注意喚起・訓練 {} 件", open)
            },
            link: "/inbox?state=unknown",
            urgent: overdue > 0,
        });
    }

    // Surveys the organisation has yet to submit (or that were sent back).
    let due = crate::surveys::store::due_for(&ctx.db, viewer.org.id).await?;
    if let Some(first) = due.iter().min() {
        out.push(Line {
            text: lang.tr2(
                "回答が必要な調査 {} 件（最も近い回答期限 {}）",
                due.len(),
                viewer.deadline(first),
            ),
            link: "/surveys",
            urgent: *first < now,
        });
    }

    // Incident reports waiting for this organisation, or — for the desks — for them.
    let reader = viewer.caller();
    let reports = crate::reports::store::list(
        &ctx.db,
        &reader,
        crate::reports::store::ListFilter {
            open_only: true,
            ..Default::default()
        },
    )
    .await?;
    let shown: Vec<_> = reports.into_iter().take(500).collect();
    let updates = crate::reports::store::all_updates(&ctx.db, &shown).await?;
    let ids: Vec<_> = shown.iter().map(|r| r.id).collect();
    let steps = crate::reports::store::steps_of(&ctx.db, &ids).await?;
    let desk = viewer.session.user.role.is_central()
        || viewer.org.kind == crate::registry::OrgKind::Prefecture;
    let (mut mine, mut desk_waits, mut late) = (0, 0, false);
    for r in &shown {
        let t = crate::reports::timers::of(r, &ctx.settings.reports, now);
        for w in crate::reports::waiting::waiting(
            r,
            updates.get(&r.id).map(Vec::as_slice).unwrap_or_default(),
            steps.get(&r.id).map(Vec::as_slice).unwrap_or_default(),
            t.next_due,
            now,
        ) {
            match w.on {
                Party::Reporter if r.org_id == viewer.org.id => {
                    mine += 1;
                    late |= w.overdue;
                }
                Party::Desk if desk => desk_waits += 1,
                _ => {}
            }
        }
    }
    if mine > 0 {
        out.push(Line {
            text: lang.tr1(
                "自団体の障害・事故等報告で、対応を待たれているもの {} 件",
                mine,
            ),
            link: "/reports?open=1",
            urgent: late,
        });
    }
    if desk_waits > 0 {
        out.push(Line {
            text: lang.tr1("窓口の対応を待っている障害・事故等報告 {} 件", desk_waits),
            link: "/reports?desk=1",
            urgent: false,
        });
    }

    // 照会 to answer at the viewer's desk.
    let scope = if viewer.session.user.role.is_central() {
        Some(crate::inquiries::store::ListScope::CentreDesk)
    } else if viewer.org.kind == crate::registry::OrgKind::Prefecture {
        Some(crate::inquiries::store::ListScope::PrefectureDesk(
            viewer.org.id,
        ))
    } else {
        None
    };
    if let Some(scope) = scope {
        let open = crate::inquiries::store::list(&ctx.db, scope)
            .await?
            .into_iter()
            .filter(|q| q.status == crate::inquiries::Status::Open)
            .count();
        if open > 0 {
            out.push(Line {
                text: lang.tr1("回答を待っている照会 {} 件", open),
                link: "/inquiries",
                urgent: false,
            });
        }
    }
    Ok(out)
}
