//! The demo's 調査・点検: the shipped mail-server 重点検査 sent to 東京都 and its municipalities
//! and answered by most of them (千代田区 is left to the demo's own users), and the 緊急点検 on
//! outsourcing sent to every local government. Made once per data directory.

use chrono::{Duration, Utc};

use crate::audit::Actor;
use crate::context::AppContext;
use crate::surveys::definition::{Answer, Answers, Definition, ItemType, TEMPLATES};
use crate::surveys::publish::{self, Draft};
use crate::surveys::store;

async fn staff(ctx: &AppContext, email: &str) -> anyhow::Result<crate::auth::User> {
    crate::auth::store::find_by_email(&ctx.db, &crate::domain::EmailAddress::parse(email)?)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo user {email} is missing"))
}

/// A plausible answer for the `n`th organisation (the same every run).
fn answers(def: &Definition, n: u32) -> Answers {
    let mut out = Answers::new();
    for (i, item) in def.items().enumerate() {
        let k = (n * 7 + i as u32 * 3) % 10;
        let a = match item.kind {
            ItemType::Count => {
                let required = 2 + (n + i as u32) % 4;
                Answer::Count {
                    done: required - (k % 3).min(required),
                    required,
                }
            }
            ItemType::Implementation => Answer::Text(
                match k {
                    0..=5 => "implemented",
                    6 => "partial",
                    7 => "insufficient",
                    8 => "not_applicable",
                    _ => "implemented",
                }
                .into(),
            ),
            ItemType::YesNo => Answer::Text(if k < 7 { "yes" } else { "no" }.into()),
            ItemType::Date => Answer::Text("2026-06-01".into()),
            ItemType::Number => Answer::Number(i64::from(k)),
            ItemType::Text => continue,
        };
        out.insert(item.id.clone(), a);
    }
    out
}

/// Publishes and answers the demo surveys; returns a line for the start-up message.
pub async fn publish_demo_surveys(ctx: &AppContext) -> anyhow::Result<Option<String>> {
    if !store::all(&ctx.db).await?.is_empty() {
        return Ok(None);
    }
    let operator = staff(ctx, "operator@soumu.demo.example").await?;
    let approver = staff(ctx, "approver@soumu.demo.example").await?;
    let base = ctx.settings.app.base_url.as_str();
    let mut ids = Vec::new();
    for (template, to, days) in [(TEMPLATES[1].1, "pref:13+", 14), (TEMPLATES[0].1, "all", 7)] {
        let definition = Definition::parse(template).map_err(anyhow::Error::msg)?;
        let id = publish::create(
            &ctx.db,
            &ctx.rules,
            Draft {
                definition,
                audience: vec![to.into()],
                deadline: Utc::now() + Duration::days(days),
                previous: None,
            },
            &operator,
            None,
            Utc::now(),
        )
        .await?;
        publish::submit(&ctx.db, id, &operator).await?;
        publish::approve(&ctx.db, &ctx.rules, base, id, &approver).await?;
        ids.push(id);
    }
    // Most of Tokyo answers the 重点検査; 千代田区 is left for the demo users.
    let s = store::get(&ctx.db, ids[0])
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo survey is gone"))?;
    let tokyo = crate::registry::store::list(
        &ctx.db,
        crate::registry::store::OrgFilter {
            prefecture: crate::registry::Prefecture::from_number(13),
            kind: None,
        },
    )
    .await?;
    let mut n = 0;
    for (i, o) in tokyo.iter().enumerate() {
        if o.code.to_string() == "131016" || i % 5 == 4 {
            continue;
        }
        crate::surveys::act::save_answers(
            &ctx.db,
            &s,
            o.id,
            &answers(&s.definition, i as u32),
            true,
            &Actor::System,
            Utc::now(),
        )
        .await?;
        n += 1;
    }
    let bounced = bounce_one_request(ctx).await?;
    Ok(Some(format!(
        "Demo surveys: /surveys ({} answered by {n} of 東京都's organisations — results at /surveys/{}/results; the 緊急点検 on outsourcing sent to every local government{bounced})",
        s.title, s.id
    )))
}

/// One survey request comes back undeliverable, to its notice's own VERP address, as the site's
/// MTA would return it: the notice is marked and the address counts a bounce.
async fn bounce_one_request(ctx: &AppContext) -> anyhow::Result<String> {
    let notices = crate::notices::store::recent(&ctx.db, 5000).await?;
    let Some(n) = notices.iter().rev().find(|n| n.kind == "survey") else {
        return Ok(String::new());
    };
    let dir = crate::inbound::maildir(&ctx.settings);
    crate::maildir::ensure(&dir)?;
    std::fs::write(
        dir.join("new").join("demo-survey-bounce.eml"),
        format!(
            "From: MAILER-DAEMON@mx.demo.example (Mail Delivery System)\r\nTo: {verp}\r\nDelivered-To: {verp}\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID: <demo-survey-bounce@mx.demo.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nYour message could not be delivered.\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.demo.example\r\n\r\nFinal-Recipient: rfc822; {to}\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 <{to}>: Recipient address rejected:\r\n    User unknown in local recipient table\r\n--B--\r\n",
            verp = ctx.mailer.verp.notice_return_path(n.id),
            to = n.recipient,
        ),
    )?;
    crate::inbound::process_maildir(&ctx.inbox(), &dir, 100).await?;
    Ok(format!(
        "; the request to {} came back undeliverable and counts against that address",
        n.recipient
    ))
}

/// The demo's メールマガジン: an issue of the past week (the demo's cases and whatever alerts
/// went out), composed by the operator, published by the approver. Made once per data directory.
pub async fn publish_demo_magazine(ctx: &AppContext) -> anyhow::Result<Option<String>> {
    use crate::magazine::issue;
    if !issue::list(&ctx.db, true, 1).await?.is_empty() {
        return Ok(None);
    }
    let operator = staff(ctx, "operator@soumu.demo.example").await?;
    let approver = staff(ctx, "approver@soumu.demo.example").await?;
    let now = Utc::now();
    let failed = |e: crate::error::Failure| anyhow::anyhow!("{e}");
    let draft = issue::compose(
        &ctx.db,
        &operator,
        now - Duration::days(7),
        now + Duration::minutes(1),
        now,
    )
    .await
    .map_err(failed)?;
    issue::edit(
        &ctx.db,
        &operator,
        draft.id,
        &draft.title,
        "今週の注意喚起と、新しく公開した事故事例・取組事例をお届けします。各団体の対応状況の報告をお願いします。",
        &[],
        now,
    )
    .await
    .map_err(failed)?;
    issue::submit(&ctx.db, &operator, draft.id, now)
        .await
        .map_err(failed)?;
    let p = issue::approve(&ctx.db, &approver, draft.id, now)
        .await
        .map_err(failed)?;
    Ok(Some(format!(
        "メールマガジン: No. {} with {} items at /magazine/issues/{} (subscribe at /magazine/subscribe)",
        p.issue.number.unwrap_or_default(),
        p.issue.items.len(),
        p.issue.number.unwrap_or_default()
    )))
}
