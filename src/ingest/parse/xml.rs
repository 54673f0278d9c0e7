//! The safe way in for XML: decode to UTF-8 using the BOM, the HTTP charset or the XML prolog
//! (in that order), refuse any DOCTYPE (billion laughs, external entities), recognise an HTML
//! page served in place of a feed, and parse strictly with a node limit.

use std::borrow::Cow;
use std::sync::LazyLock;

use encoding_rs::Encoding;
use regex::Regex;
use roxmltree::{Document, Node, ParsingOptions};

use super::ParseError;

/// Most nodes a document may have: feeds of 50,000 items fit easily.
const NODES_LIMIT: u32 = 20_000_000;

#[allow(clippy::expect_used)] // constant patterns
static PROLOG_ENCODING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']"#)
        .expect("the prolog pattern compiles")
});
#[allow(clippy::expect_used)]
static CHARSET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)charset\s*=\s*"?([A-Za-z0-9._:-]+)"?"#).expect("the charset pattern compiles")
});

/// The document as UTF-8 text with any BOM removed and the prolog's encoding rewritten to
/// UTF-8 (so a later parser does not decode it twice).
pub fn decode<'a>(bytes: &'a [u8], content_type: Option<&str>) -> Result<Cow<'a, str>, ParseError> {
    let (encoding, skip) = if let Some((enc, bom)) = Encoding::for_bom(bytes) {
        (enc, bom)
    } else if let Some(enc) = content_type
        .and_then(|ct| CHARSET.captures(ct))
        .and_then(|c| Encoding::for_label(c[1].as_bytes()))
    {
        (enc, 0)
    } else {
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(256)]).into_owned();
        match PROLOG_ENCODING.captures(&head) {
            Some(c) => (
                Encoding::for_label(c[1].as_bytes()).ok_or_else(|| {
                    ParseError::Encoding(format!(
                        "the prolog declares an unknown encoding `{}`",
                        &c[1]
                    ))
                })?,
                0,
            ),
            None => (encoding_rs::UTF_8, 0),
        }
    };
    let text = encoding
        .decode_without_bom_handling_and_without_replacement(&bytes[skip..])
        .ok_or_else(|| {
            if encoding == encoding_rs::UTF_8 {
                ParseError::Encoding(
                    "it is not valid UTF-8 and declares no other charset (in the HTTP Content-Type or the XML prolog)".into(),
                )
            } else {
                ParseError::Encoding(format!("it is not valid {}", encoding.name()))
            }
        })?;
    Ok(rewrite_prolog_encoding(text))
}

fn rewrite_prolog_encoding(text: Cow<'_, str>) -> Cow<'_, str> {
    match PROLOG_ENCODING.captures(&text).and_then(|c| c.get(1)) {
        Some(m) if !m.as_str().eq_ignore_ascii_case("utf-8") => {
            let mut out = text.clone().into_owned();
            out.replace_range(m.range(), "UTF-8");
            Cow::Owned(out)
        }
        _ => text,
    }
}

/// Refuses what no feed needs: a DOCTYPE (entity expansion, external entities) and HTML pages.
pub fn check_shape(text: &str, expected: &'static str) -> Result<(), ParseError> {
    let head: String = text
        .chars()
        .take(2048)
        .collect::<String>()
        .to_ascii_lowercase();
    if head.contains("<!doctype html") || root_name(&head) == Some("html") {
        return Err(ParseError::Unexpected {
            expected,
            found: "an HTML page (an error or login page served in place of the feed?)".into(),
        });
    }
    // A DOCTYPE (and so any ENTITY) can only stand before the root element.
    let prolog = &text[..root_start(text).unwrap_or(text.len())];
    if prolog.contains("<!DOCTYPE") || prolog.contains("<!doctype") || prolog.contains("<!ENTITY") {
        return Err(ParseError::Doctype);
    }
    Ok(())
}

/// Byte offset of the root element's `<`, skipping the prolog, comments, PIs and any DOCTYPE
/// (whose internal subset may contain `>`).
fn root_start(text: &str) -> Option<usize> {
    let mut at = 0;
    loop {
        let rest = &text[at..];
        let start = at + rest.find('<')?;
        let rest = &text[start..];
        if rest.starts_with("<?") {
            at = start + rest.find("?>")? + 2;
        } else if rest.starts_with("<!--") {
            at = start + rest.find("-->")? + 3;
        } else if rest.starts_with("<!") {
            // A DOCTYPE with an internal subset ends at "]>".
            let end = match (rest.find('['), rest.find('>')) {
                (Some(b), Some(g)) if b < g => rest.find("]>").map(|e| e + 2)?,
                (_, Some(g)) => g + 1,
                _ => return None,
            };
            at = start + end;
        } else {
            return Some(start);
        }
    }
}

/// The first element name after any prolog, comments and processing instructions.
fn root_name(head: &str) -> Option<&str> {
    let mut rest = head;
    loop {
        let start = rest.find('<')?;
        rest = &rest[start..];
        if rest.starts_with("<?") {
            rest = &rest[rest.find("?>")? + 2..];
        } else if rest.starts_with("<!--") {
            rest = &rest[rest.find("-->")? + 3..];
        } else if rest.starts_with("<!") {
            rest = &rest[rest.find('>')? + 1..];
        } else {
            let name_end = rest[1..].find(|c: char| c.is_whitespace() || c == '>' || c == '/')? + 1;
            return Some(&rest[1..name_end]);
        }
    }
}

/// Decodes, checks and parses strictly.
pub fn parse<'a>(text: &'a str, expected: &'static str) -> Result<Document<'a>, ParseError> {
    check_shape(text, expected)?;
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: NODES_LIMIT,
        ..ParsingOptions::default()
    };
    Document::parse_with_options(text, options).map_err(|e| match &e {
        roxmltree::Error::DtdDetected => ParseError::Doctype,
        roxmltree::Error::UnexpectedEndOfStream | roxmltree::Error::NoRootNode => {
            ParseError::Malformed(format!(
                "{e}: the document ends early (a truncated download?)"
            ))
        }
        other => {
            let message = other.to_string();
            if message.contains("never closed") {
                ParseError::Malformed(format!(
                    "{message}: the document ends early (a truncated download?)"
                ))
            } else {
                ParseError::Malformed(message)
            }
        }
    })
}

/// The `sec:` namespaces in circulation (mod_sec 3.0 and the older URI, either scheme).
pub fn is_sec_ns(ns: Option<&str>) -> bool {
    ns.is_some_and(|n| {
        let n = n
            .trim_start_matches("https://")
            .trim_start_matches("http://");
        n == "jvn.jp/rss/mod_sec/" || n == "jvn.jp/rss/mod_sec/3.0/" || n == "jvn.jp/rss/mod_sec"
    })
}

pub const RSS1_NS: &str = "http://purl.org/rss/1.0/";
pub const RDF_NS: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
pub const DC_NS: &str = "http://purl.org/dc/elements/1.1/";
pub const DCTERMS_NS: &str = "http://purl.org/dc/terms/";
pub const CONTENT_NS: &str = "http://purl.org/rss/1.0/modules/content/";
pub const ATOM_NS: &str = "http://www.w3.org/2005/Atom";
pub const STATUS_NS: &str = "http://jvndb.jvn.jp/myjvn/Status";

/// Element children of `node` named `local` in namespace `ns`.
pub fn children<'a, 'input: 'a>(
    node: Node<'a, 'input>,
    ns: &'a str,
    local: &'a str,
) -> impl Iterator<Item = Node<'a, 'input>> + 'a {
    node.children().filter(move |c| {
        c.is_element() && c.tag_name().name() == local && c.tag_name().namespace() == Some(ns)
    })
}

/// Text of the first child `ns:local`, trimmed; `None` if absent or empty.
pub fn child_text(node: Node<'_, '_>, ns: &str, local: &str) -> Option<String> {
    children(node, ns, local)
        .next()
        .map(|c| text_of(c))
        .filter(|t| !t.is_empty())
}

/// All text inside `node`, trimmed.
pub fn text_of(node: Node<'_, '_>) -> String {
    node.descendants()
        .filter(|d| d.is_text())
        .filter_map(|d| d.text())
        .collect::<String>()
        .trim()
        .to_owned()
}

/// A description of the root, for "expected … but found …".
pub fn describe_root(doc: &Document<'_>) -> String {
    let root = doc.root_element();
    match root.tag_name().namespace() {
        Some(ns) => format!("a <{}> document (namespace {ns})", root.tag_name().name()),
        None => format!("a <{}> document", root.tag_name().name()),
    }
}

/// MyJVN's `status:Status`: `retCd` 1 means the request failed; the document carries no data.
pub fn check_myjvn_status(doc: &Document<'_>) -> Result<(), ParseError> {
    // The status node is a child of the root (or the root itself, in a zero-hit `Result`).
    let root = doc.root_element();
    let Some(status) = std::iter::once(root)
        .chain(root.children())
        .find(|n| n.tag_name().name() == "Status" && n.tag_name().namespace() == Some(STATUS_NS))
    else {
        return Ok(());
    };
    match status.attribute("retCd").map(str::trim) {
        Some("0") | None => Ok(()),
        Some(code) => Err(ParseError::Upstream(format!(
            "MyJVN status retCd={code} errCd={} errMsg={}",
            status.attribute("errCd").unwrap_or(""),
            status.attribute("errMsg").unwrap_or("")
        ))),
    }
}

/// The TLP colour of a `sec:handling` marking below `node`, if any.
pub fn handling_tlp(node: Node<'_, '_>) -> Option<crate::domain::Tlp> {
    node.descendants()
        .filter(|n| n.tag_name().name() == "Marking_Structure")
        .find_map(|n| n.attribute("color"))
        .and_then(|c| crate::domain::Tlp::parse(c).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_jis_declared_only_in_content_type_is_decoded() {
        let (sjis, _, _) =
            encoding_rs::SHIFT_JIS.encode("<rdf:RDF><title>注意喚起</title></rdf:RDF>");
        let text = decode(&sjis, Some("application/rdf+xml; charset=Shift_JIS"));
        assert_eq!(
            text.as_deref().ok(),
            Some("<rdf:RDF><title>注意喚起</title></rdf:RDF>")
        );
        let undeclared = decode(&sjis, None)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            undeclared.contains("not valid UTF-8 and declares no other charset"),
            "{undeclared}"
        );
    }

    #[test]
    fn a_prolog_encoding_is_honoured_and_rewritten() {
        let (bytes, _, _) =
            encoding_rs::EUC_JP.encode("<?xml version=\"1.0\" encoding=\"EUC-JP\"?><a>脆弱性</a>");
        assert_eq!(
            decode(&bytes, None).ok().as_deref(),
            Some("<?xml version=\"1.0\" encoding=\"UTF-8\"?><a>脆弱性</a>")
        );
    }

    #[test]
    fn doctypes_and_html_pages_are_refused() {
        let laughs = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><rss>&lol2;</rss>"#;
        assert_eq!(parse(laughs, "a feed").err(), Some(ParseError::Doctype));
        let xxe = r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>"#;
        assert_eq!(parse(xxe, "a feed").err(), Some(ParseError::Doctype));
        let html = "<!DOCTYPE html><html><body>503 Service Unavailable</body></html>";
        assert!(matches!(
            parse(html, "a feed"),
            Err(ParseError::Unexpected { .. })
        ));
        let html2 = "\n<html lang=ja><head><title>メンテナンス中</title></head></html>";
        assert!(matches!(
            parse(html2, "a feed"),
            Err(ParseError::Unexpected { .. })
        ));
    }

    #[test]
    fn a_doctype_is_found_however_the_prolog_looks() {
        let doc = "<?xml version=\"1.0\"?>\n<!-- a comment with <tags> -->\n<!DOCTYPE r [<!ENTITY a \"x\">]><r>&a;</r>";
        assert_eq!(check_shape(doc, "x").err(), Some(ParseError::Doctype));
        let no_dtd = "<?xml version=\"1.0\"?><r><![CDATA[<!DOCTYPE is only text here]]></r>";
        assert_eq!(check_shape(no_dtd, "x"), Ok(()));
    }

    #[test]
    fn truncated_xml_is_malformed_with_a_position() {
        let err = parse("<rdf:RDF xmlns:rdf=\"x\"><item><title>途中", "a feed").err();
        assert!(
            matches!(&err, Some(ParseError::Malformed(m)) if m.contains("truncated")),
            "{err:?}"
        );
        let err = parse("<a><b></a>", "a feed").err();
        assert!(
            matches!(&err, Some(ParseError::Malformed(m)) if m.contains("1:")),
            "{err:?}"
        );
    }
}
