//! The demo's 照会: two questions the centre has answered (one published as よくある質問) and,
//! from the drill's returned mail, one waiting in the centre's queue (`demo::return_demo_mail`).
//! Made once per data directory.

use chrono::{Duration, Utc};

use crate::audit::Actor;
use crate::context::AppContext;
use crate::inquiries::act::{self, Question};
use crate::inquiries::{About, store};
use crate::registry::Caller;
use crate::registry::OrgCode;
use crate::reports::mail::Mailing;

/// Asks and answers the demo questions; returns a line for the start-up message.
pub async fn ask_demo_questions(ctx: &AppContext) -> anyhow::Result<Option<String>> {
    if !store::list(&ctx.db, store::ListScope::CentreDesk)
        .await?
        .iter()
        .all(|q| q.via == "mail")
    {
        return Ok(None);
    }
    let find = |code: &'static str| async move {
        crate::registry::store::find_by_code(&ctx.db, OrgCode::parse(code)?)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the registry has no {code}"))
    };
    let chiyoda = find("131016").await?;
    let setagaya = find("131121").await?;
    let soumu = find("990019").await?;
    let desk = Caller::new(&soumu, Some(crate::auth::Role::CentralOperator));
    let mailing = Mailing::of(&ctx.settings);
    let now = Utc::now();
    let mut ids = Vec::new();
    for (org, title, question, answer, days) in [
        (
            &chiyoda,
            "情報セキュリティポリシーの改定",
            "千代田区では今年度、情報セキュリティポリシーを改定します。ガイドラインの改定点をまとめた資料はありますか。",
            "ガイドラインの改定履歴と新旧対照表が公開されています。事例ライブラリの「取組事例」にも、改定の進め方の事例があります。",
            6,
        ),
        (
            &setagaya,
            "訓練の報告の時期",
            "連絡体制の確認訓練の報告は、庁内の連絡が終わってからでよいでしょうか。",
            "はい。庁内の連絡が終わってから、訓練の案内にある期限までに報告してください。",
            3,
        ),
    ] {
        let asked_at = now - Duration::days(days);
        let id = act::ask(
            &ctx.db,
            &mailing,
            &Caller::new(org, Some(crate::auth::Role::Member)),
            org,
            &Question {
                about: About::General,
                title,
                body: question,
                asker_email: if org.code == chiyoda.code {
                    "joho@city.chiyoda.demo.example"
                } else {
                    "security@city.setagaya.demo.example"
                },
                via: "portal",
                sender_vouched: true,
            },
            &Actor::System,
            asked_at,
        )
        .await?;
        act::write(
            &ctx.db,
            &mailing,
            id,
            &desk,
            answer,
            &Actor::System,
            asked_at + Duration::hours(5),
        )
        .await?;
        ids.push((id, org, question, answer, asked_at));
    }
    if let Some((id, org, question, answer, at)) = ids.last() {
        act::publish_faq(
            &ctx.db,
            *id,
            &desk,
            &act::anonymised(question, org),
            answer,
            &Actor::System,
            *at + Duration::hours(6),
        )
        .await?;
    }
    Ok(Some(format!(
        "Demo 照会: /inquiries (two answered, {} — one published at /faq — and the drill's question by reply, waiting in the centre's queue)",
        ids.iter()
            .map(|(id, ..)| format!("/inquiries/{id}"))
            .collect::<Vec<_>>()
            .join(", ")
    )))
}
