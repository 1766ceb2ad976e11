//! The answers an armed fault forces on a route of the On-Premises or Cloud API, instead of the
//! route's own: an error in the surface's envelope, or a broken answer.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::header::{self, HeaderValue};

use super::error::{ApiError, REASON_HEADER, Severity};
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

fn vendor_error(status: u16, code: u32, title: Option<String>, details: String) -> ApiError {
    ApiError::from(Error::Vendor(Box::new(VendorError {
        status,
        code,
        title,
        details,
        rule: FAULT_RULE.into(),
    })))
}

/// An answer a fault forces as it is, marked forced for the access log.
fn forced(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(REASON_HEADER, HeaderValue::from_static(FAULT_RULE));
    response.extensions_mut().insert(Severity::Forced);
    response
}

/// The answer an armed fault forces, its errors written by `write` (the surface's envelope);
/// `None` for a delay, after which the route answers.
pub fn forced_answer(action: FaultAction, write: fn(ApiError) -> Response) -> Option<Response> {
    Some(match action {
        FaultAction::Error {
            status,
            code,
            title,
            details,
        } => write(vendor_error(status, code, title, details)),
        FaultAction::NotReady => write(vendor_error(503, 1011, None, "Service not ready".into())),
        FaultAction::Drop => {
            let mut response = Response::new(Body::empty());
            response.extensions_mut().insert(DropConnection);
            forced(response)
        }
        FaultAction::Malformed { status } => {
            let body = "{\"meta\": {\"api_status\": \"stable\", \"vers";
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut response = (status, body).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            forced(response)
        }
        FaultAction::Delay { .. } => return None,
    })
}
