//! One-shot faults: armed per cluster through the control API, each fires for the next N
//! requests that match it, then disarms itself.

use serde::{Deserialize, Serialize};

use super::json::Object;

/// What a fault does to the request it fires on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultAction {
    /// Answer with this vendor error.
    Error {
        /// HTTP status, 400–599.
        status: u16,
        /// Vendor error code.
        code: u32,
        /// Vendor title; the code's own title when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
        /// Vendor details.
        details: String,
    },
    /// Hold the request, then serve it normally.
    Delay {
        /// How long, in milliseconds (at most 300,000).
        ms: u64,
    },
    /// Close the connection without answering.
    Drop,
    /// Answer 503 / 1011 "Service not ready".
    NotReady,
    /// Answer with a body that is not valid JSON.
    Malformed {
        /// HTTP status of that answer (default 200).
        #[serde(default = "ok_status")]
        status: u16,
    },
}

fn ok_status() -> u16 {
    200
}

fn one() -> u32 {
    1
}

/// The requests of which vendor route a fault applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "String", into = "String")]
pub enum FaultRoute {
    /// `*`: every vendor route.
    Any,
    /// One vendor path, as `/v1/account` (the cluster prefix left out).
    Path(String),
    /// One Graph path, as `/v23.0/{id}/register`, whatever version a request names: `tail` is
    /// the path after the version.
    Graph {
        /// As given.
        text: String,
        /// After the version (`/{id}/register`).
        tail: String,
    },
}

/// Whether a request's `path` is on the fault's `route`, where a `{param}` segment of the
/// route stands for any one segment (`/v1/users/{username}`, `/{id}/register`).
fn segments_match(route: &str, path: &str) -> bool {
    if !route.contains('{') {
        return route == path;
    }
    super::path::segment_wise(route, path, |want, have| {
        want.starts_with('{') || want == have
    })
}

/// The path after a leading Graph version (`/v23.0/x` → `/x`).
pub fn graph_tail(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/v")?;
    let end = rest.find('/').unwrap_or(rest.len());
    let (major, minor) = rest[..end].split_once('.')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(major) && digits(minor)).then_some(&rest[end..])
}

impl TryFrom<String> for FaultRoute {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        if text == "*" {
            Ok(Self::Any)
        } else if text.starts_with("/v1/") {
            Ok(Self::Path(text))
        } else if let Some(tail) = graph_tail(&text).filter(|t| t.len() > 1) {
            Ok(Self::Graph {
                tail: tail.to_owned(),
                text,
            })
        } else {
            Err(format!(
                "`route` must be a vendor path such as /v1/account, a Graph path such as /v23.0/{{id}}/register, or * (got {text:?})"
            ))
        }
    }
}

impl From<FaultRoute> for String {
    fn from(route: FaultRoute) -> Self {
        match route {
            FaultRoute::Any => "*".into(),
            FaultRoute::Path(path) => path,
            FaultRoute::Graph { text, .. } => text,
        }
    }
}

/// The method of a request, as a fault filters on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "String", into = "&'static str")]
pub enum Verb {
    /// GET (and HEAD, which is served as GET).
    Get,
    /// POST.
    Post,
    /// PUT.
    Put,
    /// DELETE.
    Delete,
    /// PATCH.
    Patch,
}

impl Verb {
    /// Every verb, as the route table spells them.
    const ALL: [Self; 5] = [Self::Get, Self::Post, Self::Put, Self::Delete, Self::Patch];

    /// The verb named `text`, in any case.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|verb| verb.as_str().eq_ignore_ascii_case(text))
    }

    /// Its name in upper case.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Delete => "DELETE",
            Self::Patch => "PATCH",
        }
    }
}

impl TryFrom<String> for Verb {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        Self::parse(&text).ok_or_else(|| {
            format!("`method` must be GET, POST, PUT, DELETE or PATCH (got {text:?})")
        })
    }
}

impl From<Verb> for &'static str {
    fn from(verb: Verb) -> Self {
        verb.as_str()
    }
}

/// A fault as the control API takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// The vendor path it applies to, as `/v1/account` (the cluster prefix is left out), or `*`.
    pub route: FaultRoute,
    /// HTTP method it applies to; any when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<Verb>,
    /// Only requests whose body has this `cc`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cc: Option<String>,
    /// Only requests whose body has this `phone_number`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// How many matching requests it fires on (default 1).
    #[serde(default = "one")]
    pub times: u32,
    /// What it does.
    pub fault: FaultAction,
}

impl FaultSpec {
    /// Checks the values serde cannot.
    pub fn check(&self) -> Result<(), String> {
        if self.times == 0 {
            return Err("`times` must be at least 1".into());
        }
        match &self.fault {
            FaultAction::Error { status, .. } | FaultAction::Malformed { status }
                if !(100..=599).contains(status) =>
            {
                Err(format!("`status` {status} is not an HTTP status"))
            }
            FaultAction::Error { status, .. } if *status < 400 => Err(format!(
                "an error fault needs a status of 400-599 (got {status})"
            )),
            FaultAction::Delay { ms } if *ms > 300_000 => Err("`ms` must be at most 300000".into()),
            _ => Ok(()),
        }
    }

    /// Whether the fault applies to this request.
    pub fn matches(&self, method: Verb, route: &str, body: Option<&Object<'_>>) -> bool {
        let field = |name: &str| body.and_then(|b| b.str(name));
        let on_route = match &self.route {
            FaultRoute::Any => true,
            FaultRoute::Path(path) => segments_match(path, route),
            FaultRoute::Graph { tail, .. } => {
                graph_tail(route).is_some_and(|asked| segments_match(tail, asked))
            }
        };
        on_route
            && self.method.is_none_or(|m| m == method)
            && self.cc.as_deref().is_none_or(|cc| field("cc") == Some(cc))
            && self
                .phone_number
                .as_deref()
                .is_none_or(|p| field("phone_number") == Some(p))
    }
}

/// A fault armed on a cluster, with its counters.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ArmedFault {
    /// Identifies it in listings.
    pub id: u64,
    /// What was asked for.
    #[serde(flatten)]
    pub spec: FaultSpec,
    /// Matching requests it will still fire on.
    pub remaining: u32,
    /// Requests it fired on so far.
    pub fired: u32,
}

/// The faults of one cluster, in the order they were armed. Spent ones stay listed (with
/// `remaining: 0`) so a test can assert how often each fired.
#[derive(Debug, Default, Clone)]
pub struct Faults {
    armed: Vec<ArmedFault>,
    next_id: u64,
}

impl Faults {
    /// Arms `specs`, returning them as armed.
    pub fn arm(&mut self, specs: Vec<FaultSpec>) -> Vec<ArmedFault> {
        specs
            .into_iter()
            .map(|spec| {
                self.next_id += 1;
                let fault = ArmedFault {
                    id: self.next_id,
                    remaining: spec.times,
                    fired: 0,
                    spec,
                };
                self.armed.push(fault.clone());
                fault
            })
            .collect()
    }

    /// Whether any fault can still fire.
    pub fn any_live(&self) -> bool {
        self.armed.iter().any(|f| f.remaining > 0)
    }

    /// Fires the first live fault matching the request, if any.
    pub fn fire(
        &mut self,
        method: Verb,
        route: &str,
        body: Option<&Object<'_>>,
    ) -> Option<FaultAction> {
        let fault = self
            .armed
            .iter_mut()
            .find(|f| f.remaining > 0 && f.spec.matches(method, route, body))?;
        fault.remaining -= 1;
        fault.fired += 1;
        Some(fault.spec.fault.clone())
    }

    /// Every fault, armed or spent.
    pub fn list(&self) -> &[ArmedFault] {
        &self.armed
    }

    /// Disarms and forgets every fault.
    pub fn clear(&mut self) {
        self.armed.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: serde_json::Value) -> FaultSpec {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_fault_fires_exactly_times_then_stays_listed() {
        let mut faults = Faults::default();
        faults.arm(vec![spec(serde_json::json!({
            "route": "/v1/account", "times": 2, "fault": {"type": "not_ready"}
        }))]);
        assert!(
            faults
                .fire(Verb::Post, "/v1/account/verify", None)
                .is_none()
        );
        assert!(faults.fire(Verb::Post, "/v1/account", None).is_some());
        assert!(faults.fire(Verb::Post, "/v1/account", None).is_some());
        assert!(faults.fire(Verb::Post, "/v1/account", None).is_none());
        assert_eq!(faults.list()[0].fired, 2);
        assert!(!faults.any_live());
    }

    #[test]
    fn number_filters_read_the_body() {
        let f = spec(serde_json::json!({
            "route": "*", "method": "post", "cc": "1", "phone_number": "555", "fault": {"type": "drop"}
        }));
        let bytes = br#"{"cc": "1", "phone_number": "555"}"#;
        let body = Object::parse(bytes).unwrap().unwrap();
        assert!(f.matches(Verb::Post, "/v1/account", Some(&body)));
        assert!(!f.matches(Verb::Get, "/v1/account", Some(&body)));
        assert!(!f.matches(Verb::Post, "/v1/account", None));
        assert!(f.check().is_ok());
        assert_eq!(serde_json::to_value(&f).unwrap()["method"], "POST");
        assert_eq!(serde_json::to_value(&f).unwrap()["route"], "*");
        let bad = serde_json::from_value::<FaultSpec>(
            serde_json::json!({"route": "account", "fault": {"type": "drop"}}),
        );
        assert!(bad.unwrap_err().to_string().contains("vendor path"));
        let verb = serde_json::from_value::<FaultSpec>(
            serde_json::json!({"route": "*", "method": "fetch", "fault": {"type": "drop"}}),
        );
        assert!(verb.unwrap_err().to_string().contains("GET, POST"));
    }
}
