//! The demo's 障害・事故等報告: an open report of 千代田区 mid-conversation (the centre's
//! 受理, its request for more answered by a 第2報, an instruction, the 対処方針 waiting for
//! approval, 東京都's note and check), 八王子市's 最終報 with its 連携 to the 個人情報保護委員会
//! recorded and the 確認 still to come (the centre can make a case of it), and 奥多摩町's whose
//! next 報 is overdue (its reminder goes out on the timer worker's first pass). Made once per
//! data directory.

use chrono::{Duration, Utc};

use crate::audit::Actor;
use crate::context::AppContext;
use crate::registry::Caller;
use crate::registry::OrgCode;
use crate::reports::mail::Mailing;
use crate::reports::{ReportInput, store};

fn at(t: chrono::DateTime<Utc>) -> String {
    t.with_timezone(&crate::time::jst_offset())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// Files the demo reports; returns a line for the start-up message.
pub async fn file_demo_reports(ctx: &AppContext) -> anyhow::Result<Option<String>> {
    let central = Caller {
        org_id: crate::registry::OrgId(0),
        org_kind: crate::registry::OrgKind::Central,
        prefecture: None,
        parent: None,
        central: true,
        role: Some(crate::auth::Role::Admin),
    };
    if !store::list(&ctx.db, &central, Default::default())
        .await?
        .is_empty()
    {
        return Ok(None);
    }
    let find = |code: &'static str| async move {
        crate::registry::store::find_by_code(&ctx.db, OrgCode::parse(code)?)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the registry has no {code}"))
    };
    let chiyoda = find("131016").await?;
    let hachioji = find("132012").await?;
    let okutama = find("133086").await?;
    let tokyo = find("130001").await?;
    let soumu = find("990019").await?;
    let desk = Caller::new(&soumu, Some(crate::auth::Role::CentralOperator));
    let operator = Actor::System;
    let desk_name = ctx.settings.reports.desk_name.clone();
    let mailing = Mailing::of(&ctx.settings);
    let step = |id, kind: &str, body: &str, at: chrono::DateTime<Utc>| {
        let input = crate::reports::steps::StepInput {
            kind: kind.into(),
            body: body.into(),
            due: if kind == "request" {
                self::at(at + Duration::hours(12))
            } else {
                String::new()
            },
            ..Default::default()
        };
        let (desk, desk_name, operator, mailing) = (&desk, &desk_name, &operator, &mailing);
        async move {
            crate::reports::act_steps::take_step(
                &ctx.db, mailing, id, desk, desk_name, &input, operator, at,
            )
            .await
        }
    };
    let now = Utc::now();
    let first = ReportInput {
        title: "委託先従業員による住民情報の持ち出し".into(),
        summary: "住民税の入力業務の委託先で、従業員が住民情報を含むデータを私物の USB メモリで持ち出していたことが、委託先からの連絡で判明した。".into(),
        found_at: at(now - Duration::hours(20)),
        systems: "住民税システム（委託先の入力端末）".into(),
        personal_data: "yes".into(),
        data_kinds: vec!["name".into(), "address".into(), "tax".into()],
        leaked: "unknown".into(),
        phase: "investigating".into(),
        situation: "委託先に事実確認と USB メモリの回収を求めている。".into(),
        categories: vec!["data_leak".into()],
        causes: vec!["external_contractor".into()],
        contractor: "yes".into(),
        records: Some(1_200),
        ..Default::default()
    };
    let id = crate::reports::act::file(
        &ctx.db,
        &mailing,
        &chiyoda,
        first.validate(now)?,
        &Actor::System,
        now - Duration::hours(18),
    )
    .await?;
    step(
        id,
        "request",
        "持ち出されたデータの範囲（項目と件数）と、USB メモリの回収状況を報告してください。",
        now - Duration::hours(16),
    )
    .await?;
    let second = ReportInput {
        leaked: "no".into(),
        phase: "planned".into(),
        situation: "USB メモリを回収し、外部への流出がないことを委託先の調査で確認した。".into(),
        response_plan: "委託契約に持ち出し禁止と立入検査を明記し、全委託先に点検を求める。".into(),
        ..first.clone()
    };
    let own = Caller::new(&chiyoda, Some(crate::auth::Role::Member));
    crate::reports::act::add_update(
        &ctx.db,
        &mailing,
        id,
        &own,
        second.validate(now)?,
        &Actor::System,
        now - Duration::hours(2),
    )
    .await?;
    let pref = Caller::new(&tokyo, Some(crate::auth::Role::PrefectureAdmin));
    crate::reports::act::add_note(
        &ctx.db,
        id,
        &pref,
        "都内の他の区市町村にも同じ委託先がないか確認しています。",
        &Actor::System,
        now - Duration::hours(1),
    )
    .await?;
    crate::reports::act::confirm(&ctx.db, id, &pref, &Actor::System, now - Duration::hours(1))
        .await?;
    step(
        id,
        "instruction",
        "同じ委託先に委託している他の業務についても、データの持ち出しがないか点検してください。",
        now - Duration::minutes(30),
    )
    .await?;

    let closed = ReportInput {
        title: "メールの誤送信（BCC と TO の取り違え）".into(),
        summary: "イベント参加者 86 名への案内メールを、宛先を TO に入れたまま送信した。".into(),
        found_at: at(now - Duration::days(12)),
        systems: "庁内メールシステム".into(),
        personal_data: "yes".into(),
        data_kinds: vec!["email".into()],
        leaked: "yes".into(),
        phase: "resolved".into(),
        situation: "受信者全員にお詫びと削除の依頼をし、全員から削除の連絡を受けた。".into(),
        response_result: "86 名全員の削除を確認した。".into(),
        prevention: "外部への一斉送信は配信システムを使い、送信前に宛先を別の職員が確認する。"
            .into(),
        categories: vec!["data_leak".into()],
        causes: vec!["human_error".into()],
        records: Some(86),
        publicised: true,
        publicised_on: Some(
            (now - Duration::days(10))
                .with_timezone(&crate::time::jst_offset())
                .format("%Y-%m-%d")
                .to_string(),
        ),
        final_report: true,
        ..Default::default()
    };
    let final_one = crate::reports::act::file(
        &ctx.db,
        &mailing,
        &hachioji,
        closed.validate(now)?,
        &Actor::System,
        now - Duration::days(11),
    )
    .await?;
    let liaison = crate::reports::steps::StepInput {
        kind: "liaison".into(),
        partner: "ppc".into(),
        stage: "preliminary".into(),
        reference: "PPC-DEMO-0042".into(),
        ..Default::default()
    };
    crate::reports::act_steps::take_step(
        &ctx.db,
        &mailing,
        final_one,
        &desk,
        &desk_name,
        &liaison,
        &operator,
        now - Duration::days(10),
    )
    .await?;

    let quiet = ReportInput {
        title: "庁内サーバーで不審な通信を検知".into(),
        summary: "UTM が庁内のファイルサーバーから海外の IP アドレスへの通信を検知した。".into(),
        found_at: at(now - Duration::days(5)),
        systems: "ファイルサーバー".into(),
        personal_data: "unknown".into(),
        leaked: "unknown".into(),
        phase: "initial".into(),
        situation: "サーバーをネットワークから切り離した。".into(),
        categories: vec!["unauthorized_access".into()],
        ..Default::default()
    };
    crate::reports::act::file(
        &ctx.db,
        &mailing,
        &okutama,
        quiet.validate(now)?,
        &Actor::System,
        now - Duration::days(4),
    )
    .await?;
    // The nation's 年度報告 with its written parts, in the seeds' outline (/stats/report).
    let texts = crate::yearly::store::ReportTexts {
        plan: "全ての都道府県・市区町村で、年 2 回の連絡体制の確認訓練（情報伝達と情報収集）を行う。\n\
               電子メールサーバの重点検査を 9 月に行い、11 月中旬までに評価結果を通知する。"
            .into(),
        parts: [
            (
                "message",
                "（デモ用の架空の文章です。）本年度も、地方公共団体の皆様の協力により、注意喚起の伝達と\
                 報告の受付を途切れなく行うことができました。",
            ),
            (
                "responsible",
                "総務省 自治行政局 地域情報化企画室（自治体CEPTOAR 事務局）",
            ),
            (
                "summary",
                "緊急の注意喚起は全て 24 時間以内に配信し、把握率は目標を上回った。\
                 一方で、再発防止策の実施確認が期限を過ぎた報告が残っている。",
            ),
            (
                "goals",
                "目標: 注意喚起の把握率 95% 以上、訓練の応答率 90% 以上。\n\
                 評価: 下の実績のとおり。訓練の応答率は目標に届かず、次年度は情報収集の訓練を加える。",
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
    };
    crate::yearly::save_report_texts(
        &ctx.db,
        crate::yearly::fiscal_year_now(),
        soumu.id,
        &texts,
        &Actor::System,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Some(format!(
        "Demo incident reports: /reports (千代田区's mid-conversation with the centre — a request answered, an instruction, the 対処方針 waiting — and 東京都's note: /reports/{id}; 八王子市's 最終報 with its 連携 to the 個人情報保護委員会, waiting for the 確認: /reports/{final_one}; 奥多摩町's overdue one); the nation's 年度報告 in the seeds' outline: /stats/report"
    )))
}
