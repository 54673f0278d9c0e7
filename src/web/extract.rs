//! Reading a request the same way on every edge that answers JSON (the API, the feeds): the
//! query string into a type, with a 400 that names the bad parameter.

use actix_web::HttpRequest;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, Code};

/// The query string as `T`, or a 400 naming what was wrong.
pub fn query<T: DeserializeOwned>(req: &HttpRequest) -> Result<T, ApiError> {
    let raw = req.query_string();
    let de = serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(raw.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.inner().to_string();
        let code = if inner.starts_with("unknown field") {
            Code::UnknownParameter
        } else {
            Code::InvalidParameter
        };
        match path.as_str() {
            "." | "?" | "" => ApiError::bad_request(code, format!("query string: {inner}")),
            field => ApiError::bad_request(code, format!("{field}: {inner}")),
        }
    })
}
