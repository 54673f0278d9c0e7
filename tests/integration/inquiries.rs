//! 照会: a municipality's reply to a drill that asks a question (not an acknowledgement) becomes
//! a 照会 for the desk that sent the drill; the drill's author sees it in the queue and answers
//! in the portal; the answer reaches the address that asked through the real SMTP sink; the
//! question published as よくある質問 names no organisation (a text that does is refused);
//! nobody else reads the thread; a question left unanswered is escalated once.

use noroshi::auth::Role;
use noroshi::contacts::MailEncoding;
use noroshi::delivery::store as ledger;
use noroshi::delivery::worker::Lane;
use noroshi::inbound::{self, Outcome};
use reqwest::StatusCode;

use crate::helpers::browser::Browser;
use crate::helpers::mail::{Draft, add_contacts, central_users, drain, publish_alert, tokyo, user};
use crate::helpers::{TestApp, spawn_app};

const PW: &str = "correct horse battery staple";
const QUESTION: &str = "訓練の報告は、庁内の連絡が終わってからでよいでしょうか。";

fn drop_in(app: &TestApp, name: &str, raw: &str) {
    let dir = inbound::maildir(&app.ctx.settings);
    noroshi::maildir::ensure(&dir).unwrap();
    std::fs::write(
        dir.join("new").join(name),
        crate::helpers::mail::vouched(raw.as_bytes()),
    )
    .unwrap();
}

async fn run(app: &TestApp) -> Vec<inbound::Processed> {
    inbound::process_maildir(&app.ctx.inbox(), &inbound::maildir(&app.ctx.settings), 100)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_question_by_reply_reaches_the_drills_author_and_its_answer_the_asker() {
    let app = spawn_app().await;
    let central = central_users(&app.ctx).await;
    let orgs = tokyo(&app.ctx).await;
    add_contacts(&app.ctx, &orgs, 1, |_| MailEncoding::Utf8).await;
    let (drill, _) = publish_alert(
        &app.ctx,
        &central,
        Draft {
            drill: true,
            title: "連絡体制の確認訓練",
            ..Draft::default()
        },
    )
    .await;
    drain(&app.ctx, Lane::All).await;
    let rows = ledger::for_alert(&app.ctx.db, drill).await.unwrap();
    let row = rows
        .iter()
        .find(|r| {
            orgs.iter()
                .any(|o| o.id == r.organisation_id && o.name == "港区")
        })
        .expect("港区 got the drill");
    let asker = orgs.iter().find(|o| o.id == row.organisation_id).unwrap();
    let code = app.ctx.mailer.verp.reply_code(drill, asker.id);

    // 港区 replies with a question, the drill's mail quoted below it.
    let raw = format!(
        "To: noreply@noroshi.example\r\nFrom: {}\r\nSubject: Re: 【訓練】連絡体制の確認訓練\r\n\
         Message-ID: <question-1@city.minato.lg.jp>\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n\
         {QUESTION}\r\n港区 情報政策課\r\n\r\n> 返信用コード: {code}\r\n",
        row.email
    );
    drop_in(&app, "1.question", &raw);
    let done = run(&app).await;
    assert_eq!(done[0].outcome, Outcome::Recorded, "{:?}", done[0]);
    assert!(done[0].detail.contains("照会 #"), "{}", done[0].detail);
    let id: i64 = done[0]
        .detail
        .rsplit('#')
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let path = format!("/inquiries/{id}");

    // The drill's author (the centre's desk) has it in the queue, with the words and not the
    // quoted mail, and answers it.
    let mut operator = Browser::new(&app.address);
    operator.log_in("operator@soumu.go.jp", PW).await;
    let queue = operator.get("/inquiries").await;
    assert!(
        queue.body.contains(&format!("href=\"{path}\"")),
        "in the queue"
    );
    let thread = operator.get(&path).await;
    assert_eq!(thread.status, StatusCode::OK);
    assert!(thread.body.contains(QUESTION));
    assert!(
        thread.body.contains("連絡体制の確認訓練"),
        "it names the drill"
    );
    assert!(
        !thread.body.contains(&code),
        "the quoted mail is not the question"
    );
    let csrf = thread.hidden("csrf");
    let before = app.smtp.received().len();
    let answer = "はい、庁内の連絡が終わってから報告してください。期限は訓練の案内のとおりです。";
    let r = operator
        .post(
            &format!("{path}/messages"),
            &[("csrf", csrf.as_str()), ("body", answer)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // The answer reaches the address that asked, signed by the desk.
    crate::helpers::mail::send_notices(&app.ctx).await;
    let mails = &app.smtp.received()[before..];
    assert_eq!(mails.len(), 1, "one answer");
    assert_eq!(mails[0].rcpt_to, std::slice::from_ref(&row.email));
    let parsed = mail_parser::MessageParser::default()
        .parse(mails[0].data.as_slice())
        .unwrap();
    assert!(parsed.subject().unwrap().contains("【照会への回答】"));
    let text = parsed.body_text(0).unwrap();
    assert!(text.contains(answer), "{text}");
    assert!(text.contains("発信: 自治体CEPTOAR 受付"), "{text}");

    // Nobody else reads the thread: another municipality, the prefecture (not this desk),
    // anonymous callers.
    user(
        &app.ctx,
        "131016",
        Role::Member,
        "member@city.chiyoda.lg.jp",
    )
    .await;
    user(
        &app.ctx,
        "130001",
        Role::PrefectureAdmin,
        "sec@metro.tokyo.lg.jp",
    )
    .await;
    for who in ["member@city.chiyoda.lg.jp", "sec@metro.tokyo.lg.jp"] {
        let mut b = Browser::new(&app.address);
        b.log_in(who, PW).await;
        assert_eq!(b.get(&path).await.status, StatusCode::NOT_FOUND, "{who}");
    }
    let anon = app.client.get(app.url(&path)).send().await.unwrap();
    assert_ne!(anon.status(), StatusCode::OK);

    // Published as よくある質問: a text naming the town is refused, the anonymised one (the
    // form starts from it) is published and carries no organisation's name.
    let thread = operator.get(&path).await;
    let refused = operator
        .post(
            &format!("{path}/faq"),
            &[
                ("csrf", csrf.as_str()),
                ("question", "港区からの質問: 訓練の報告の時期"),
                ("answer", answer),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.body.contains("団体名「港区」が残っています"),
        "{}",
        refused.body
    );
    let prefilled = thread
        .body
        .split("id=\"faq-q\"")
        .nth(1)
        .and_then(|s| s.split('>').nth(1))
        .and_then(|s| s.split("</textarea").next())
        .unwrap()
        .to_owned();
    assert!(
        prefilled.contains("（団体名）") && !prefilled.contains("港区"),
        "{prefilled}"
    );
    let published = operator
        .post(
            &format!("{path}/faq"),
            &[
                ("csrf", csrf.as_str()),
                ("question", &html_unescape(&prefilled)),
                ("answer", answer),
            ],
        )
        .await;
    assert_eq!(
        published.status,
        StatusCode::SEE_OTHER,
        "{}",
        published.body
    );
    let mut reader = Browser::new(&app.address);
    reader.log_in("member@city.chiyoda.lg.jp", PW).await;
    let faq = reader.get("/faq").await;
    assert!(faq.body.contains(QUESTION) && faq.body.contains(answer));
    let main = faq.body.split("<main>").nth(1).unwrap();
    for name in [asker.name.clone(), asker.full_name()] {
        assert!(!main.contains(&name), "{name} in the FAQ");
    }
    app.stop().await;
}

fn html_unescape(s: &str) -> String {
    s.replace("&#10;", "\n")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[tokio::test]
async fn a_question_left_unanswered_is_escalated_once_to_its_desk() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.reports.desk = vec!["incident-desk@soumu.go.jp".into()];
    })
    .await;
    central_users(&app.ctx).await;
    let orgs = tokyo(&app.ctx).await;
    add_contacts(&app.ctx, &orgs, 1, |_| MailEncoding::Utf8).await;
    let minato = orgs.iter().find(|o| o.name == "港区").unwrap();
    let asked_at = chrono::Utc::now() - chrono::Duration::hours(49);
    let id = noroshi::inquiries::act::ask(
        &app.ctx.db,
        &noroshi::reports::mail::Mailing::of(&app.ctx.settings),
        &noroshi::registry::Caller::new(minato, Some(Role::Member)),
        minato,
        &noroshi::inquiries::act::Question {
            about: noroshi::inquiries::About::General,
            title: "報告の様式",
            body: "第2報の様式はありますか",
            asker_email: "member@city.minato.lg.jp",
            via: "portal",
            sender_vouched: true,
        },
        &noroshi::audit::Actor::System,
        asked_at,
    )
    .await
    .unwrap();
    let escalate = || noroshi::jobs::inquiry_timers(&app.ctx);
    assert_eq!(escalate().await.unwrap(), noroshi::workers::Outcome::Worked);
    assert_eq!(
        escalate().await.unwrap(),
        noroshi::workers::Outcome::Idle,
        "once"
    );
    let mails = noroshi::notices::store::for_inquiry(&app.ctx.db, id)
        .await
        .unwrap();
    assert!(
        mails
            .iter()
            .any(|m| m.subject.contains("【照会・未回答 48 時間】")),
        "{:?}",
        mails.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    let audited = noroshi::audit::recent(&app.ctx.db, Some(&format!("inquiry:{id}")), 10)
        .await
        .unwrap();
    assert!(audited.iter().any(|e| e.action == "inquiry.escalate"));
    app.stop().await;
}

#[tokio::test]
async fn a_question_about_a_prefectures_own_alert_goes_to_that_prefecture_not_the_centre() {
    let app = spawn_app().await;
    central_users(&app.ctx).await;
    let orgs = tokyo(&app.ctx).await;
    add_contacts(&app.ctx, &orgs, 1, |_| MailEncoding::Utf8).await;
    let staff = user(&app.ctx, "130001", Role::Member, "staff@metro.tokyo.lg.jp").await;
    let admin = user(
        &app.ctx,
        "130001",
        Role::PrefectureAdmin,
        "sec@metro.tokyo.lg.jp",
    )
    .await;
    user(
        &app.ctx,
        "131016",
        Role::Member,
        "member@city.chiyoda.lg.jp",
    )
    .await;
    let tokyo_org = orgs
        .iter()
        .find(|o| o.code.to_string() == "130001")
        .unwrap();
    let alert = noroshi::alerts::own::OwnAlert::parse(
        "都内で確認された不審メール",
        "件名「請求書」の不審なメールに注意してください。",
        "high",
        "GREEN",
        "muni:13",
        "48",
    )
    .unwrap();
    let draft = noroshi::alerts::own::create(
        &app.ctx.db,
        &app.ctx.policy,
        &app.ctx.rules,
        alert,
        &noroshi::audit::Actor::of(&staff),
        tokyo_org,
    )
    .await
    .unwrap();
    noroshi::alerts::publish::submit(&app.ctx.db, draft.id, &staff)
        .await
        .unwrap();
    noroshi::alerts::publish::approve(&app.ctx.db, &app.ctx.rules, draft.id, &admin, None)
        .await
        .unwrap();

    // 千代田区 asks about it in the portal: the question is 東京都's to answer.
    let mut member = Browser::new(&app.address);
    member.log_in("member@city.chiyoda.lg.jp", PW).await;
    let about = format!("alert:{}", draft.id);
    let form = member.get(&format!("/inquiries/new?about={about}")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body.contains("都内で確認された不審メール"),
        "it names the alert"
    );
    let csrf = form.hidden("csrf");
    let asked = member
        .post(
            "/inquiries/new",
            &[
                ("csrf", csrf.as_str()),
                ("about", about.as_str()),
                ("title", "対象の範囲"),
                ("body", "委託先のメールアドレスに届いたものも対象ですか。"),
            ],
        )
        .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.body);
    let path = asked.location.unwrap();
    let mut pref = Browser::new(&app.address);
    pref.log_in("sec@metro.tokyo.lg.jp", PW).await;
    assert!(
        pref.get("/inquiries")
            .await
            .body
            .contains(&format!("href=\"{path}\""))
    );
    let mut centre = Browser::new(&app.address);
    centre.log_in("operator@soumu.go.jp", PW).await;
    assert_eq!(
        centre.get(&path).await.status,
        StatusCode::NOT_FOUND,
        "not the centre's"
    );
    assert!(
        !centre
            .get("/inquiries")
            .await
            .body
            .contains(&format!("href=\"{path}\""))
    );

    // A question about an alert the asker was never sent is refused and stores nothing.
    let mut kanagawa_member = Browser::new(&app.address);
    user(
        &app.ctx,
        "141003",
        Role::Member,
        "member@city.yokohama.lg.jp",
    )
    .await;
    kanagawa_member
        .log_in("member@city.yokohama.lg.jp", PW)
        .await;
    let csrf = kanagawa_member.get("/inquiries").await.hidden("csrf");
    let refused = kanagawa_member
        .post(
            "/inquiries/new",
            &[
                ("csrf", csrf.as_str()),
                ("about", about.as_str()),
                ("title", "質問"),
                ("body", "これは何ですか"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.body.contains("照会の対象が見つかりません"),
        "{}",
        refused.body
    );

    // 東京都 answers, signed with its own name.
    let csrf = pref.get(&path).await.hidden("csrf");
    let r = pref
        .post(
            &format!("{path}/messages"),
            &[
                ("csrf", csrf.as_str()),
                ("body", "はい、委託先に届いたものも対象です。"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id: noroshi::inquiries::InquiryId = path.trim_start_matches("/inquiries/").parse().unwrap();
    let mails = noroshi::notices::store::for_inquiry(&app.ctx.db, id)
        .await
        .unwrap();
    let answer = mails
        .iter()
        .find(|m| m.recipient == "member@city.chiyoda.lg.jp")
        .expect("the answer goes to the member who asked");
    assert!(answer.body.contains("発信: 東京都"), "{}", answer.body);
    app.stop().await;
}
