//! The answers an armed fault forces on a vendor route, instead of the route's own.

use axum::body::Body;
use bytes::Bytes;
use http::StatusCode;
use http::header::HeaderValue;

use super::Response;
use super::error::REASON_HEADER;
use super::respond::{Outcome, json_response};
use crate::domain::faults::FaultAction;
use crate::domain::{Error, VendorError};

/// The rule name of every answer a fault forces.
pub const FAULT_RULE: &str = "fault.armed";

/// Marker a response carries when its connection must be closed without an answer (the `drop`
/// fault).
#[derive(Debug, Clone, Copy)]
pub struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an armed fault")
    }
}

impl std::error::Error for DropConnection {}

fn vendor_error(status: u16, code: u32, title: Option<String>, details: String) -> Outcome {
    Outcome::Error(
        Error::Vendor(Box::new(VendorError {
            status,
            code,
            title,
            details,
            rule: FAULT_RULE.into(),
        }))
        .into(),
    )
}

/// The answer an armed fault forces; `None` for a delay, after which the route answers.
pub fn forced_outcome(action: FaultAction) -> Option<Outcome> {
    let reason = HeaderValue::from_static(FAULT_RULE);
    Some(match action {
        FaultAction::Error {
            status,
            code,
            title,
            details,
        } => vendor_error(status, code, title, details),
        FaultAction::NotReady => vendor_error(503, 1011, None, "Service not ready".into()),
        FaultAction::Drop => {
            let mut response = Response::new(Body::empty());
            response.extensions_mut().insert(DropConnection);
            response.headers_mut().insert(REASON_HEADER, reason);
            Outcome::Raw(response)
        }
        FaultAction::Malformed { status } => {
            let body = Bytes::from_static(b"{\"meta\": {\"api_status\": \"stable\", \"vers");
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut response = json_response(status, body);
            response.headers_mut().insert(REASON_HEADER, reason);
            Outcome::Raw(response)
        }
        FaultAction::Delay { .. } => return None,
    })
}
