//! The shipped survey templates against the seed documents they were written from
//! (`../shared/seeds/`): every scored item cites a seed line (`source = "003:147"`), the line
//! holds the seed's item, the template's question carries the seed's words, its category is the
//! seed's category, and no seed item is missing — so a template cannot drift from the seed.

use noroshi::surveys::Definition;
use noroshi::surveys::definition::TEMPLATES;

/// (template, item id, the seed's item as written on the cited line, words the question must
/// carry). The seed's words are kept here, in the test, not in the product.
const CITED: &[(&str, &str, &str, &[&str])] = &[
    (
        "outsourcing-emergency.toml",
        "no_subcontract",
        "無許可での再委託の有無",
        &["許可", "再委託"],
    ),
    (
        "outsourcing-emergency.toml",
        "no_takeout",
        "データの無断持ち出しの有無",
        &["無断", "持ち出"],
    ),
    (
        "outsourcing-emergency.toml",
        "return_disposal",
        "業務終了後のデータの返還・廃棄の確認",
        &["返還", "廃棄"],
    ),
    (
        "mail-server-inspection.toml",
        "os_patch",
        "OSのセキュリティパッチ適用状況",
        &["OS", "セキュリティパッチ"],
    ),
    (
        "mail-server-inspection.toml",
        "mail_software_patch",
        "電子メールサービス提供ソフトウェアのセキュリティパッチ適用状況",
        &["電子メールサービス", "ソフトウェア", "セキュリティパッチ"],
    ),
    (
        "mail-server-inspection.toml",
        "content_malware",
        "電子メールコンテンツに対する不正プログラム対策の状況",
        &["電子メール", "不正プログラム対策"],
    ),
    (
        "mail-server-inspection.toml",
        "admin_auth",
        "電子メールサーバの管理者に対する認証等の実施状況",
        &["管理者", "認証"],
    ),
    (
        "mail-server-inspection.toml",
        "recovery",
        "電子メールサーバの障害等の発生時における復旧対策の状況",
        &["障害", "復旧対策"],
    ),
    (
        "mail-server-inspection.toml",
        "time_sync",
        "時刻同期機能の動作",
        &["時刻同期", "動作"],
    ),
    (
        "mail-server-inspection.toml",
        "relay",
        "不正中継対策の状況",
        &["中継"],
    ),
    (
        "mail-server-inspection.toml",
        "user_auth",
        "電子メールの受信に係わる利用者に対する認証等の実施状況",
        &["受信", "利用者", "認証"],
    ),
    (
        "web-server-self-check.toml",
        "os_patch",
        "OSのパッチ等の適用状況",
        &["OS", "パッチ"],
    ),
    (
        "web-server-self-check.toml",
        "web_software_patch",
        "ウェブサーバアプリケーションのパッチ等の適用状況",
        &["ウェブサーバ", "アプリケーション", "パッチ"],
    ),
    (
        "web-server-self-check.toml",
        "sslv2_disabled",
        "SSLバージョン2の無効化状況",
        &["SSL", "バージョン 2", "無効"],
    ),
    (
        "web-server-self-check.toml",
        "weak_ciphers_disabled",
        "SSL通信で弱い暗号方式の無効化状況",
        &["弱い暗号方式", "無効"],
    ),
    (
        "web-server-self-check.toml",
        "dos_features",
        "電子計算機及び通信回線が装備している機能を使用したサービス不能攻撃への対応状況",
        &["通信回線", "機能", "サービス不能攻撃"],
    ),
    (
        "web-server-self-check.toml",
        "dos_minimise",
        "サービス不能攻撃を受けた場合、影響最小化への対応状況",
        &["サービス不能攻撃", "影響", "最小"],
    ),
    (
        "web-server-self-check.toml",
        "dos_monitoring",
        "サービス不能攻撃に関する監視対象の特定、監視方法及び監視記録の保存期間策定への対応状況",
        &["監視する対象", "監視の方法", "保存期間"],
    ),
    (
        "web-server-self-check.toml",
        "dos_procedures",
        "サービス不能攻撃発生時の対処手順や連絡体制整備の対応状況",
        &["対処手順", "連絡体制"],
    ),
];

/// The lines of seed `nnn` (`../shared/seeds/nnn_*.txt`).
fn seed(number: &str) -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/seeds");
    let file = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the seed documents in {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("{number}_")))
        })
        .unwrap_or_else(|| panic!("no seed {number} in {}", dir.display()));
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Spaces and case do not count (the seed writes DOS, the template DoS).
fn plain(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

#[test]
fn every_shipped_template_item_is_the_seed_item_it_cites() {
    let mut problems = Vec::new();
    for (name, text) in TEMPLATES {
        let def = Definition::parse(text).unwrap();
        for c in &def.categories {
            for item in &c.items {
                let cited = CITED
                    .iter()
                    .find(|(t, id, ..)| *t == name && *id == item.id);
                if item.kind.scored() && (item.source.is_empty() || cited.is_none()) {
                    problems.push(format!(
                        "{name} {}: a scored item without a seed line, or one this test does not know",
                        item.id
                    ));
                    continue;
                }
                let Some((_, _, seed_item, words)) = cited else {
                    continue;
                };
                let (doc, line) = item.source.split_once(':').expect("source is NNN:LINE");
                let lines = seed(doc);
                let n: usize = line.parse().expect("a line number");
                let at = lines.get(n - 1).map(String::as_str).unwrap_or_default();
                if !plain(at).contains(&plain(seed_item)) {
                    problems.push(format!(
                        "{name} {}: {doc}:{n} does not hold 「{seed_item}」: {at}",
                        item.id
                    ));
                }
                // The seed's tables start a row with the category ("サーバ管理\t・…"); the
                // 緊急点検's list has none.
                if doc != "002" && !plain(at).starts_with(&plain(&c.title)) {
                    problems.push(format!(
                        "{name} {}: category 「{}」 is not the seed's at {doc}:{n}: {at}",
                        item.id, c.title
                    ));
                }
                for w in *words {
                    if !plain(&item.text).contains(&plain(w)) {
                        problems.push(format!(
                            "{name} {}: the question does not say 「{w}」: {}",
                            item.id, item.text
                        ));
                    }
                }
            }
        }
    }
    // No seed item is left out.
    for (name, id, ..) in CITED {
        let (_, text) = TEMPLATES.iter().find(|(t, _)| t == name).unwrap();
        if Definition::parse(text).unwrap().item(id).is_none() {
            problems.push(format!("{name}: the seed item {id} is missing"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
