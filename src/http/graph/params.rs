//! The parameters of a Graph request, wherever the client put them: the query string (pywa),
//! a JSON body (Meta's Node.js SDK) or a form body. A body's value wins over the query's.

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
        Ok(Self::read(query, &parts.headers, parsed)?)
    }
}

impl Params {
    /// Reads the query string and the body of a request with `headers`.
    fn read(query: &str, headers: &HeaderMap, body: ParsedBody) -> Result<Self, Error> {
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
            if is_form(headers) && !json {
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
        // The token is no parameter of the operation.
        map.remove("access_token");
        Ok(Self(map))
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

    /// Refuses any parameter but `allowed` (Graph ignores some; this emulator names them so a
    /// typo does not pass unseen).
    pub fn only(&self, allowed: &[&str]) -> Result<(), Error> {
        const ALWAYS: &[&str] = &["fields", "messaging_product"];
        match self
            .0
            .keys()
            .find(|k| !allowed.contains(&k.as_str()) && !ALWAYS.contains(&k.as_str()))
        {
            Some(unknown) => Err(invalid(
                "unexpected",
                format!(
                    "The parameter {unknown} is not taken here; this call takes {}",
                    if allowed.is_empty() {
                        "none".to_owned()
                    } else {
                        allowed.join(", ")
                    }
                ),
            )),
            None => Ok(()),
        }
    }
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
