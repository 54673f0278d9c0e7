//! JSON with errors that name the field: `vulnerabilities[3].cveID: invalid type: integer…`.

use serde::de::DeserializeOwned;

use super::ParseError;

pub fn from_slice<T: DeserializeOwned>(
    bytes: &[u8],
    expected: &'static str,
) -> Result<T, ParseError> {
    if bytes.trim_ascii_start().starts_with(b"<") {
        return Err(ParseError::Unexpected {
            expected,
            found: "markup (an HTML or XML page), not JSON".into(),
        });
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ParseError::Malformed(inner.to_string())
        } else {
            ParseError::field(if path == "." { "document".into() } else { path }, inner)
        }
    })?;
    de.end().map_err(|e| ParseError::Malformed(e.to_string()))?;
    Ok(value)
}
