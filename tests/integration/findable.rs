//! Everything findable: for each role, a crawl from its home page over the links a person can
//! click (GET links, no typing of URLs) reaches every portal page the role's rule admits in at
//! most three clicks. The pages come from the one route table (`noroshi::web::access::ROUTES`)
//! and the access matrix's sample resources, so a new page that no menu or list links to fails
//! here.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use noroshi::web::access::{ROUTES, Who};
use reqwest::StatusCode;

use crate::access_matrix::{P, admitted, caller, fixture, sample};
use crate::helpers::spawn_app;

/// The most clicks from the home page a page of the role may take.
const MAX_CLICKS: usize = 3;

/// Pages of the same route expanded per role: enough to find every link a kind of page offers
/// without walking every alert of the inbox.
const EXPANDED_PER_ROUTE: usize = 3;

/// Portal GET routes that are not places a person navigates to, and why.
const NOT_NAVIGATED: [(&str, &str); 3] = [
    (
        "/login/totp",
        "a step of signing in, reached from the login form",
    ),
    (
        "/settings/totp",
        "reached by the form that starts the second factor's set-up",
    ),
    (
        "/preferences/dates",
        "a switch (links on every page), answered with a redirect back",
    ),
];

/// Pages linked only once the organisation has done something the matrix's cast has not, and
/// where the link then is.
const LINKED_LATER: [(&str, &str); 2] = [
    (
        "/surveys/{id}/result",
        "the organisation's 評価結果: linked from the survey once it submitted a scored survey",
    ),
    (
        "/drafts/{id}",
        "a draft: listed on the drafts page while it is one (the matrix's alert is published, \
         and a published alert's draft URL leads to the alert)",
    ),
];

/// Whether a route is a portal page a person may look for (not the API, feeds, health, a secret
/// link from a mail, or the public pages everyone reaches before signing in).
fn is_findable_page(method: &str, path: &str, who: Who) -> bool {
    method == "GET"
        && !path.starts_with("/api/")
        && !path.starts_with("/feeds")
        && !matches!(who, Who::Anyone | Who::SecretUrl | Who::Scraper)
        && !NOT_NAVIGATED.iter().any(|(p, _)| *p == path)
        && !LINKED_LATER.iter().any(|(p, _)| *p == path)
}

/// Whether one segment of a URL fits one segment of a route: literally, or around its
/// placeholder (`{public_id}.cap.xml` takes `NRS-2026-0001.cap.xml`).
fn fits(template: &str, segment: &str) -> bool {
    match (template.find('{'), template.find('}')) {
        (Some(open), Some(close)) => {
            let (before, after) = (&template[..open], &template[close + 1..]);
            segment.len() > before.len() + after.len()
                && segment.starts_with(before)
                && segment.ends_with(after)
        }
        _ => template == segment,
    }
}

/// The route a URL path is a page of: among the templates it fits, the one with the most
/// literal characters (`/alerts/new` before `/alerts/{public_id}`, `{public_id}.cap.xml` before
/// `{public_id}`).
fn route_of<'a>(templates: &[&'a str], path: &str) -> Option<&'a str> {
    let segs: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let literal = |t: &str| {
        t.split('/')
            .map(|s| match (s.find('{'), s.find('}')) {
                (Some(o), Some(c)) => o + s.len() - c - 1,
                _ => s.len() + 1000,
            })
            .sum::<usize>()
    };
    if let Some(exact) = templates.iter().find(|t| **t == path) {
        return Some(exact);
    }
    templates
        .iter()
        .filter(|t| {
            let ts: Vec<&str> = t.trim_end_matches('/').split('/').collect();
            ts.len() == segs.len() && ts.iter().zip(&segs).all(|(t, s)| fits(t, s))
        })
        .max_by_key(|t| literal(t))
        .copied()
}

/// The same-origin links of a page, and the images it shows: `href="/…"` and `src="/…"`,
/// entities decoded, fragments dropped.
fn links(body: &str) -> Vec<String> {
    let re = regex::Regex::new(r##"(?:href|src)="(/[^"#]*)"##).unwrap();
    re.captures_iter(body)
        .map(|c| c[1].replace("&amp;", "&"))
        .filter(|l| !l.starts_with("/preferences/") && !l.starts_with("/static/"))
        .collect()
}

/// The roles crawled: every kind of signed-in user of the matrix's cast.
const ROLES: [P; 6] = [
    P::Member,
    P::OrgAdmin,
    P::Prefecture,
    P::Operator,
    P::Approver,
    P::Admin,
];

/// Every route a crawl from the home page reached within [`MAX_CLICKS`], with the fewest clicks
/// and the first URL that reached it.
async fn crawl(
    browser: &mut crate::helpers::browser::Browser,
    templates: &[&'static str],
) -> BTreeMap<&'static str, (usize, String)> {
    let mut reached: BTreeMap<&'static str, (usize, String)> = BTreeMap::new();
    let mut expanded: BTreeMap<&str, usize> = BTreeMap::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    // Breadth first from the home page, where signing in lands (`/inbox`, with the day's work
    // on top); a redirect is not a click.
    let mut queue = VecDeque::from([("/inbox".to_owned(), 0usize)]);
    while let Some((url, depth)) = queue.pop_front() {
        if !seen.insert(url.clone()) {
            continue;
        }
        let path = url.split('?').next().unwrap_or_default().to_owned();
        let route = route_of(templates, &path);
        let page = browser.get(&url).await;
        if page.status.is_redirection() {
            // The route answered the click by sending the browser on (a drill's page to its
            // report once it ran): the link is there and works.
            if let Some(r) = route {
                reached.entry(r).or_insert((depth, url.clone()));
            }
            if let Some(to) = page.location.filter(|l| l.starts_with('/')) {
                queue.push_front((to, depth));
            }
            continue;
        }
        if page.status != StatusCode::OK {
            continue;
        }
        if let Some(r) = route {
            reached.entry(r).or_insert((depth, url.clone()));
            let n = expanded.entry(r).or_default();
            if *n >= EXPANDED_PER_ROUTE {
                continue;
            }
            *n += 1;
        }
        if depth == MAX_CLICKS {
            continue;
        }
        for l in links(&page.body) {
            if !seen.contains(&l) {
                queue.push_back((l, depth + 1));
            }
        }
    }
    reached
}

fn get_templates() -> Vec<&'static str> {
    ROUTES
        .iter()
        .filter(|r| r.method == "GET")
        .map(|r| r.path)
        .collect()
}

#[tokio::test]
async fn every_page_a_role_may_use_is_at_most_three_clicks_from_its_home() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let templates = get_templates();
    let mut failures = Vec::new();
    for p in ROLES {
        let mut c = caller(&app, p, &f).await;
        let reached = crawl(&mut c.browser, &templates).await;
        if std::env::var("NOROSHI_CRAWL_DEBUG").is_ok() {
            for (r, (d, u)) in &reached {
                eprintln!("{p:?} {d} {r} {u}");
            }
        }
        for rule in ROUTES {
            if !is_findable_page(rule.method, rule.path, rule.who) {
                continue;
            }
            let Some(s) = sample(rule.method, rule.path, &f) else {
                continue;
            };
            if !admitted(rule.who, p, &s) {
                continue;
            }
            if !reached.contains_key(rule.path) {
                failures.push(format!(
                    "{p:?}: {} is not reached in {MAX_CLICKS} clicks",
                    rule.path
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} pages are hard to find:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// axe-core's browser build, installed from npm (`.ci/run` does; the README's test section says
/// how): `NOROSHI_AXE_JS`, or the place `.ci/run` puts it.
fn axe_source() -> Option<String> {
    let path = std::env::var("NOROSHI_AXE_JS")
        .unwrap_or_else(|_| "/opt/noroshi-axe/node_modules/axe-core/axe.min.js".to_owned());
    match std::fs::read_to_string(&path) {
        Ok(s) => Some(s),
        Err(e) => {
            assert!(
                std::env::var("NOROSHI_REQUIRE_BROWSER").is_err(),
                "NOROSHI_REQUIRE_BROWSER is set but axe-core is missing at {path}: {e} \
                 (npm install --prefix /opt/noroshi-axe axe-core@4.11.1)"
            );
            eprintln!("SKIPPED: no axe-core at {path} ({e})");
            None
        }
    }
}

/// WCAG 2.1 A and AA, the rules JIS X 8341-3 asks for.
const AXE_RUN: &str = "const done = arguments[arguments.length - 1];\
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })\
      .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,\
        nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || '').split('\\n').slice(0, 2).join(' ')) }))))\
      .catch(e => done([{ id: 'axe-error', help: String(e), nodes: [] }]));";

#[tokio::test]
async fn every_page_each_role_reaches_has_no_accessibility_violation() {
    let Some(axe) = axe_source() else {
        return;
    };
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let templates = get_templates();
    let base = app.address.trim_end_matches('/').to_owned();
    let mut checked: BTreeSet<&str> = BTreeSet::new();
    let mut failures = Vec::new();
    let mut pages = 0;
    let mut planted = false;
    for p in ROLES {
        let Some(browser) = crate::helpers::webdriver::Chromium::start(true).await else {
            return;
        };
        let mut c = caller(&app, p, &f).await;
        let reached = crawl(&mut c.browser, &templates).await;
        // Each kind of page once, as the first role that reaches it.
        let todo: Vec<(&str, String)> = reached
            .into_iter()
            .filter(|(r, _)| checked.insert(r))
            .map(|(r, (_, url))| (r, url))
            .collect();
        if todo.is_empty() {
            continue;
        }
        let email = p.email().unwrap_or_default();
        browser.goto(&format!("{base}/login")).await;
        browser.type_into("#email", email).await;
        browser
            .type_into("#password", crate::access_matrix::PASSWORD)
            .await;
        browser.click_and_wait("button[type=submit]").await;
        for (route, url) in todo {
            // Pages, not the files they offer (CSV, Excel, calendars, CAP and Atom XML, images).
            let file = route.rsplit('/').next().unwrap_or_default();
            if [".csv", ".xlsx", ".ics", ".xml", ".atom", ".svg"]
                .iter()
                .any(|x| file.ends_with(x))
            {
                continue;
            }
            browser.goto(&format!("{base}{url}")).await;
            let kind = browser.execute("return document.contentType").await;
            if kind.as_str() != Some("text/html") {
                continue;
            }
            browser.execute(&axe).await;
            let violations = browser.execute_async(AXE_RUN).await;
            pages += 1;
            if !planted {
                // The check can fail: an image without a text alternative is a violation.
                browser
                    .execute(
                        "document.body.insertAdjacentHTML('beforeend', '<img src=\"/x.png\">')",
                    )
                    .await;
                let v = browser.execute_async(AXE_RUN).await;
                assert!(
                    v.to_string().contains("image-alt"),
                    "axe-core finds a planted image without alt: {v}"
                );
                planted = true;
            }
            for v in violations.as_array().cloned().unwrap_or_default() {
                failures.push(format!(
                    "{route} ({url}, as {p:?}): {} [{}] {}: {}",
                    v["id"].as_str().unwrap_or_default(),
                    v["impact"].as_str().unwrap_or_default(),
                    v["help"].as_str().unwrap_or_default(),
                    v["nodes"]
                ));
            }
        }
        browser.quit().await;
    }
    eprintln!("axe-core checked {pages} kinds of page");
    assert!(planted, "the planted violation was checked");
    assert!(pages > 40, "the crawl found the pages: {pages}");
    assert!(
        failures.is_empty(),
        "{} accessibility violations:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn a_url_is_a_page_of_its_most_specific_route() {
    let t = [
        "/alerts/{public_id}.cap.xml",
        "/alerts/{public_id}",
        "/alerts/new",
        "/alerts/{public_id}/board",
    ];
    assert_eq!(route_of(&t, "/alerts/new"), Some("/alerts/new"));
    assert_eq!(
        route_of(&t, "/alerts/NRS-2026-0001"),
        Some("/alerts/{public_id}")
    );
    assert_eq!(
        route_of(&t, "/alerts/NRS-2026-0001/board"),
        Some("/alerts/{public_id}/board")
    );
    assert_eq!(
        route_of(&t, "/alerts/NRS-2026-0001.cap.xml"),
        Some("/alerts/{public_id}.cap.xml")
    );
    assert_eq!(route_of(&t, "/cases"), None);
    assert_eq!(
        links(r#"<a href="/inbox?q=a&amp;b=1#x">x</a><a href="https://e">e</a>"#),
        ["/inbox?q=a&b=1"]
    );
}

/// Whether a text has Japanese (kana or kanji) in it.
fn has_japanese(s: &str) -> bool {
    s.chars()
        .any(|c| matches!(c, '\u{3041}'..='\u{30FA}' | '\u{4E00}'..='\u{9FFF}'))
}

/// The refusal a page shows: the text of its `class="error"` blocks, tags dropped.
fn refusal(body: &str) -> String {
    let block = regex::Regex::new(r#"(?s)class="error"[^>]*>(.*?)</(?:p|div|ul)>"#).unwrap();
    let tags = regex::Regex::new(r"<[^>]*>").unwrap();
    block
        .captures_iter(body)
        .map(|c| tags.replace_all(&c[1], " ").replace("&amp;", "&"))
        .collect::<Vec<_>>()
        .join(" / ")
}

/// What may not appear in a Japanese refusal: a field's id before a colon (`title:`), or the
/// English of a hint. Names that are words in both (TLP, CVE, CSV, Excel, URL) are fine.
fn english_in_japanese(text: &str) -> Option<String> {
    let id = regex::Regex::new(r"\b[a-z][a-z_]{2,}\s*:").unwrap();
    if let Some(m) = id.find(text) {
        return Some(m.as_str().to_owned());
    }
    let words = regex::Regex::new(
        r"\b(?:required|characters|choose|must|invalid|expected|between|is not|cannot|not found)\b",
    )
    .unwrap();
    words.find(text).map(|m| m.as_str().to_owned())
}

/// Proper names a refusal quotes as they are registered (organisations, the メールマガジン's
/// title), Japanese in either language.
const PROPER_NAMES: [&str; 4] = [
    "東京都千代田区",
    "東京都",
    "地方公共団体情報システム機構",
    "自治体CEPTOARメールマガジン",
];

/// Forms whose refusals are left in one language for now, and why.
const ONE_LANGUAGE_FORMS: [(&str, &str); 1] = [(
    "/surveys/new",
    "a survey's definition is TOML its author writes; its checker names the TOML's own keys \
     (`title`, `reference_date`) and speaks English",
)];

#[tokio::test]
async fn every_refused_form_speaks_the_readers_language() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let mut refused = 0;
    let mut failures = Vec::new();
    for english in [false, true] {
        for p in ROLES {
            let mut c = caller(&app, p, &f).await;
            if english {
                c.browser.get("/preferences/lang?lang=en&next=%2F").await;
            }
            let csrf = c.browser.get("/settings/password").await.hidden("csrf");
            for rule in ROUTES {
                let page_form = rule.method == "POST"
                    && !rule.path.starts_with("/api/")
                    && !matches!(rule.who, Who::Anyone | Who::SecretUrl | Who::Scraper)
                    && rule.path != "/logout"
                    && !ONE_LANGUAGE_FORMS.iter().any(|(p, _)| *p == rule.path);
                if !page_form {
                    continue;
                }
                let Some(s) = sample(rule.method, rule.path, &f) else {
                    continue;
                };
                if s.form.is_empty() || !admitted(rule.who, p, &s) {
                    continue;
                }
                let mut form: Vec<(&str, &str)> =
                    s.form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                form.push(("csrf", &csrf));
                let page = c.browser.post(&s.path, &form).await;
                let mut text = refusal(&page.body);
                for name in PROPER_NAMES {
                    text = text.replace(name, "");
                }
                if text.trim().is_empty() {
                    continue;
                }
                refused += 1;
                let wrong = if english {
                    has_japanese(&text).then(|| "Japanese".to_owned())
                } else {
                    english_in_japanese(&text)
                };
                if let Some(w) = wrong {
                    failures.push(format!(
                        "POST {} as {p:?} ({}): `{w}` in {text}",
                        rule.path,
                        if english {
                            "English page"
                        } else {
                            "Japanese page"
                        }
                    ));
                }
            }
        }
    }
    eprintln!("{refused} refusals read");
    assert!(refused > 20, "the samples were refused: {refused}");
    assert!(
        failures.is_empty(),
        "{} refusals in the wrong language:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn a_field_id_or_an_english_hint_is_found_in_a_japanese_refusal() {
    assert_eq!(
        english_in_japanese("件名: 入力してください / title: required").as_deref(),
        Some("title:")
    );
    assert_eq!(
        english_in_japanese("宛先は必須です (required)").as_deref(),
        Some("required")
    );
    assert_eq!(
        english_in_japanese("TLP: CLEAR か GREEN を選んでください"),
        None
    );
    assert_eq!(
        refusal(r#"<p class="error">件名: <b>必須</b></p>"#),
        "件名:  必須 "
    );
}
