//! The parameters of a Graph request, wherever the client put them: the query string (pywa),
//! a JSON body (Meta's Node.js SDK), a form body (Meta's Python SDK) or a multipart form (`curl
//! -F`, Meta's own samples). A body's value wins over the query's.
//!
//! Graph's common parameters ([`COMMON`]: the token and its proof, debugging and output options,
//! field selection, paging) are taken on every call; a parameter no call takes is ignored, as
//! Graph ignores it.

use axum::extract::{FromRequest, Request};
use http::{HeaderMap, header};
use serde_json::{Map, Value};

use super::GraphError;
use crate::domain::Error;
use crate::domain::cloud::CloudError;
use crate::domain::json::{Object, ParseError};
use crate::http::common::error::ApiError;
use crate::http::common::extract::LeftBody;
use crate::http::common::read::ParsedBody;

/// Parameters Graph takes on every call besides the operation's own: the access token and its
/// proof (Meta, "Securing Graph API Requests"), debugging (`debug`), the answer's form
/// (`pretty`, `format`, `suppress_http_code`, `locale`, `date_format`, `method`), field selection
/// and paging ("Using the Graph API", "Paginated Results").
pub const COMMON: &[&str] = &[
    "access_token",
    "appsecret_proof",
    "appsecret_time",
    "debug",
    "pretty",
    "format",
    "suppress_http_code",
    "locale",
    "date_format",
    "method",
    "fields",
    "messaging_product",
    "limit",
    "after",
    "before",
    "offset",
    "since",
    "until",
];

/// The parameters of one Graph request.
#[derive(Debug, Default)]
pub struct Params(Map<String, Value>);

fn invalid(rule: &'static str, details: impl Into<String>) -> Error {
    CloudError::invalid(rule, details.into()).into()
}

/// The parameters of the request, from its query string and its body.
impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = GraphError;

    async fn from_request(request: Request, _: &S) -> Result<Self, GraphError> {
        let (mut parts, _) = request.into_parts();
        let Some(LeftBody { parsed, .. }) = parts.extensions.remove::<LeftBody>() else {
            return Err(ApiError::Unlayered("The request body").into());
        };
        let query = parts.uri.query().unwrap_or("");
        Ok(Self::read(query, &parts.headers, parsed).await?)
    }
}

impl Params {
    /// Reads the query string and the body of a request with `headers`.
    pub async fn read(query: &str, headers: &HeaderMap, body: ParsedBody) -> Result<Self, Error> {
        let raw = body.raw();
        let mut map = Map::new();
        let query: Vec<(String, String)> = serde_urlencoded::from_str(query)
            .map_err(|e| invalid("query", format!("The query string cannot be read: {e}")))?;
        for (name, value) in query {
            map.insert(name, Value::String(value));
        }
        if !raw.iter().all(u8::is_ascii_whitespace) {
            // `curl -d '{…}'` sends JSON as a form: a body that opens with `{` is JSON.
            let json = raw.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
            if let Some(boundary) = multipart_boundary(headers) {
                for (name, value) in multipart_fields(raw.clone(), boundary).await? {
                    map.insert(name, Value::String(value));
                }
            } else if is_form(headers) && !json {
                let form: Vec<(String, String)> = serde_urlencoded::from_bytes(raw)
                    .map_err(|e| invalid("body", format!("The form body cannot be read: {e}")))?;
                for (name, value) in form {
                    map.insert(name, Value::String(value));
                }
            } else {
                match body.object() {
                    Ok(object) => {
                        map.extend(object.as_ref().map(Object::to_map).unwrap_or_default())
                    }
                    Err(ParseError::NotObject) => {
                        return Err(invalid("body", "The request body must be a JSON object"));
                    }
                    Err(ParseError::NotJson(e)) => {
                        return Err(invalid(
                            "body",
                            format!(
                                "The request body is not valid JSON: {e}; send a JSON object or put the parameters in the query string"
                            ),
                        ));
                    }
                }
            }
        }
        Ok(Self(map))
    }

    /// The access token sent as a parameter (`access_token`, in the query or the body).
    pub fn access_token(&self) -> Option<String> {
        self.text("access_token")
            .ok()
            .flatten()
            .filter(|t| !t.is_empty())
    }

    /// The text of `name` (a string, or a number written as digits), if sent.
    pub fn text(&self, name: &str) -> Result<Option<String>, Error> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => Err(invalid(
                "type",
                format!(
                    "Param {name} must be a string (got {})",
                    match other {
                        Value::Bool(_) => "a boolean",
                        Value::Array(_) => "an array",
                        _ => "an object",
                    }
                ),
            )),
        }
    }

    /// The text of `name`, which must be sent.
    pub fn required(&self, name: &str) -> Result<String, Error> {
        self.text(name)?.filter(|t| !t.is_empty()).ok_or_else(|| {
            CloudError::MissingParameter {
                name: name.to_owned(),
            }
            .into()
        })
    }

    /// The value of `name` as JSON: a JSON body's value as it is, the text of a query or form
    /// read as JSON (`filtering=[{…}]`).
    pub fn json(&self, name: &str) -> Result<Option<Value>, Error> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => serde_json::from_str(text)
                .map(Some)
                .map_err(|e| invalid("type", format!("Param {name} must be JSON: {e}"))),
            Some(value) => Ok(Some(value.clone())),
        }
    }

    /// The object of `name`: a JSON object, or its JSON text (in a query or form).
    pub fn object(&self, name: &str) -> Result<Option<Map<String, Value>>, Error> {
        let value = match self.0.get(name) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::String(text)) => serde_json::from_str(text).map_err(|_| {
                invalid(
                    "type",
                    format!("Param {name} must be a JSON object such as {{\"data\": …, \"password\": …}}"),
                )
            })?,
            Some(value) => value.clone(),
        };
        match value {
            Value::Object(map) => Ok(Some(map)),
            _ => Err(invalid(
                "type",
                format!(
                    "Param {name} must be a JSON object such as {{\"data\": …, \"password\": …}}"
                ),
            )),
        }
    }

    /// Takes `allowed` and Graph's common parameters; any other parameter is ignored, as Graph
    /// ignores a parameter the call does not take (its name is logged, so that a typo is seen).
    pub fn only(&self, allowed: &[&str]) -> Result<(), Error> {
        let ignored: Vec<&str> = self
            .0
            .keys()
            .map(String::as_str)
            .filter(|k| !allowed.contains(k) && !COMMON.contains(k))
            .collect();
        if !ignored.is_empty() {
            tracing::info!(
                ignored = ?ignored,
                "Graph parameters no call takes, ignored as Graph ignores them (this call takes {})",
                if allowed.is_empty() { "none of its own".to_owned() } else { allowed.join(", ") }
            );
        }
        Ok(())
    }
}

/// The boundary of a `multipart/form-data` body of `headers`.
fn multipart_boundary(headers: &HeaderMap) -> Option<String> {
    let content_type = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    multer::parse_boundary(content_type).ok()
}

/// The text fields of a `multipart/form-data` body (`curl -F pin=123456`), as Graph reads them:
/// each field's text is its value (JSON inside a field, such as `backup`, is read by the
/// parameter that takes it).
async fn multipart_fields(
    raw: bytes::Bytes,
    boundary: String,
) -> Result<Vec<(String, String)>, Error> {
    let unreadable = |e: multer::Error| {
        invalid(
            "body",
            format!("The multipart form body cannot be read: {e}"),
        )
    };
    let chunks = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(raw) });
    let mut form = multer::Multipart::new(chunks, boundary);
    let mut fields = Vec::new();
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_owned();
        let value = field.text().await.map_err(unreadable)?;
        fields.push((name, value));
    }
    Ok(fields)
}

/// Whether a body of `headers` is a form.
pub fn is_form(headers: &http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}
