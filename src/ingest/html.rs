//! Untrusted upstream HTML: sanitised for display, flattened to text for mail and search.

use std::collections::HashSet;
use std::sync::LazyLock;

static SANITISER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.tags(HashSet::from([
        "p",
        "br",
        "ul",
        "ol",
        "li",
        "a",
        "strong",
        "b",
        "em",
        "i",
        "code",
        "pre",
        "blockquote",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "h3",
        "h4",
        "h5",
        "dl",
        "dt",
        "dd",
    ]))
    .url_schemes(HashSet::from(["http", "https"]))
    .link_rel(Some("noopener noreferrer nofollow"))
    .generic_attributes(HashSet::new())
    .tag_attributes(std::collections::HashMap::from([(
        "a",
        HashSet::from(["href"]),
    )]))
    .strip_comments(true)
    .clean_content_tags(HashSet::from([
        "script", "style", "iframe", "object", "embed", "template",
    ]));
    b
});

static TEXT_ONLY: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::empty();
    b.clean_content_tags(HashSet::from([
        "script", "style", "iframe", "object", "embed", "template",
    ]));
    b
});

/// Safe HTML: no scripts, event attributes, styles or non-http links; broken markup repaired.
pub fn sanitise(html: &str) -> String {
    SANITISER.clean(html).to_string()
}

/// Text for mail and search: tags removed, block boundaries become line breaks, entities decoded.
pub fn to_text(html: &str) -> String {
    let with_breaks = html
        .replace("<br>", "\n")
        .replace("<br/>", "\n")
        .replace("<br />", "\n")
        .replace("</p>", "</p>\n")
        .replace("</li>", "</li>\n")
        .replace("<li>", "<li>・");
    let stripped = TEXT_ONLY.clean(&with_breaks).to_string();
    let decoded = decode_entities(&stripped);
    collapse_blank_lines(&decoded)
}

fn decode_entities(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

fn collapse_blank_lines(s: &str) -> String {
    let mut out = Vec::new();
    let mut blank = false;
    for line in s.lines().map(str::trim_end) {
        if line.trim().is_empty() {
            if !blank && !out.is_empty() {
                out.push(String::new());
            }
            blank = true;
        } else {
            out.push(line.trim_start().to_owned());
            blank = false;
        }
    }
    while out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_event_handlers_and_javascript_links_are_removed() {
        let hostile = r#"<p onclick="steal()">注意<script>alert(1)</script></p><a href="javascript:alert(2)">x</a><img src=x onerror=alert(3)><a href="https://jvn.jp/">JVN</a><style>p{}</style><p>broken <b>markup"#;
        let clean = sanitise(hostile);
        for bad in [
            "script",
            "onclick",
            "javascript",
            "onerror",
            "<img",
            "style",
            "alert",
        ] {
            assert!(!clean.contains(bad), "{bad} survived: {clean}");
        }
        assert!(
            clean.contains(
                r#"<a href="https://jvn.jp/" rel="noopener noreferrer nofollow">JVN</a>"#
            ),
            "{clean}"
        );
        assert!(
            clean.contains("<b>markup</b></p>"),
            "broken markup is closed: {clean}"
        );
    }

    #[test]
    fn html_flattens_to_readable_text() {
        let html = "<p>次の脆弱性が存在します。</p><ul><li>XSS - CVE-2022-41993</li><li>オープンリダイレクト &amp; その他</li></ul>";
        assert_eq!(
            to_text(html),
            "次の脆弱性が存在します。\n・XSS - CVE-2022-41993\n・オープンリダイレクト & その他"
        );
    }
}
