//! The route table: every route of both surfaces, once. The router is built from it and the
//! OpenAPI document is generated from it, so neither can list a route the other lacks.

use axum::routing::{MethodRouter, delete, get, post, put};

use super::{AppState, account, control, health, settings, testing, users};

/// Where a route is mounted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// The vendor API: at `/v1` and at `/clusters/{cluster}/v1`.
    Vendor,
    /// The control API: at `/_emulator`.
    Control,
}

impl Surface {
    /// The prefixes the surface is mounted at.
    pub fn mounts(self) -> &'static [&'static str] {
        match self {
            Self::Vendor => &["/v1", "/clusters/{cluster}/v1"],
            Self::Control => &["/_emulator"],
        }
    }
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone.
    Open,
    /// HTTP Basic credentials (login).
    Basic,
    /// A Bearer token of any user.
    Token,
    /// A Bearer token of `admin`.
    Admin,
    /// The `--control-token`, when one is configured.
    Control,
}

/// One route.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// Where it is mounted.
    pub surface: Surface,
    /// HTTP method.
    pub method: &'static str,
    /// Path below the mount.
    pub path: &'static str,
    /// What it does.
    pub summary: &'static str,
    /// Who may call it.
    pub access: Access,
    /// An example request body, as JSON.
    pub body: Option<&'static str>,
    /// Statuses it answers, with what each means.
    pub responses: &'static [(u16, &'static str)],
}

const fn vendor(
    method: &'static str,
    path: &'static str,
    access: Access,
    summary: &'static str,
    body: Option<&'static str>,
    responses: &'static [(u16, &'static str)],
) -> Route {
    Route {
        surface: Surface::Vendor,
        method,
        path,
        summary,
        access,
        body,
        responses,
    }
}

const fn ctl(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    body: Option<&'static str>,
) -> Route {
    Route {
        surface: Surface::Control,
        method,
        path,
        summary,
        access: Access::Control,
        body,
        responses: &[
            (200, "Done"),
            (400, "Bad input"),
            (401, "Control token required"),
        ],
    }
}

/// Every route of the emulator.
pub const ROUTES: &[Route] = &[
    vendor(
        "POST",
        "/users/login",
        Access::Basic,
        "Log in; the first admin login must set new_password",
        Some(r#"{"new_password": "N3w!passw0rd"}"#),
        &[
            (200, "A token and its expiry"),
            (400, "1024 Password Change Required, or 1009"),
            (401, "Wrong credentials"),
        ],
    ),
    vendor(
        "POST",
        "/users/logout",
        Access::Token,
        "Revoke the token of this call",
        None,
        &[(200, "Revoked"), (401, "Invalid token")],
    ),
    vendor(
        "POST",
        "/users",
        Access::Admin,
        "Create a user",
        Some(r#"{"username": "operator", "password": "0perator!Pass"}"#),
        &[
            (201, "Created"),
            (400, "Invalid field"),
            (403, "Not admin"),
            (500, "1014 Already exists"),
        ],
    ),
    vendor(
        "GET",
        "/users/{username}",
        Access::Admin,
        "Read a user's role",
        None,
        &[(200, "The user's role"), (404, "No such user")],
    ),
    vendor(
        "PUT",
        "/users/{username}",
        Access::Admin,
        "Change a user's password",
        Some(r#"{"password": "N3w!passw0rd"}"#),
        &[(200, "Changed"), (404, "No such user")],
    ),
    vendor(
        "DELETE",
        "/users/{username}",
        Access::Admin,
        "Delete a user (not admin)",
        None,
        &[
            (200, "Deleted"),
            (403, "admin cannot be deleted"),
            (404, "No such user"),
        ],
    ),
    vendor(
        "POST",
        "/account",
        Access::Admin,
        "Request a registration code",
        Some(
            r#"{"cc": "1", "phone_number": "6315550000", "method": "sms", "cert": "<base64>", "pin": "123456"}"#,
        ),
        &[
            (201, "The number is already registered here"),
            (202, "Code sent; the verified name"),
            (400, "1008/1009/1010 naming the field"),
            (403, "1005 Unknown error: <reason>"),
            (503, "1011 restarting"),
        ],
    ),
    vendor(
        "POST",
        "/account/verify",
        Access::Admin,
        "Verify the registration code",
        Some(r#"{"code": "123-456"}"#),
        &[
            (201, "Registered"),
            (400, "Invalid code"),
            (
                403,
                "1005 no_pending_code, mismatch, stale, too_many_guesses",
            ),
        ],
    ),
    vendor(
        "POST",
        "/settings/account/two-step",
        Access::Admin,
        "Set or change the two-step pin",
        Some(r#"{"pin": "123456"}"#),
        &[(200, "Set"), (404, "No registered number")],
    ),
    vendor(
        "DELETE",
        "/settings/account/two-step",
        Access::Admin,
        "Turn two-step verification off",
        None,
        &[(200, "Off"), (404, "No registered number")],
    ),
    vendor(
        "POST",
        "/settings/backup",
        Access::Admin,
        "Back up the registration, encrypted under a password",
        Some(r#"{"password": "B4ckup!pass"}"#),
        &[
            (200, "{\"settings\": {\"data\": \"<base64>\"}}"),
            (404, "No registered number"),
        ],
    ),
    vendor(
        "POST",
        "/settings/restore",
        Access::Admin,
        "Restore a backup onto an unregistered deployment",
        Some(r#"{"password": "B4ckup!pass", "data": "<base64>"}"#),
        &[
            (200, "Restored"),
            (400, "1009 wrong password or damaged data"),
            (403, "A number is registered here"),
        ],
    ),
    vendor(
        "GET",
        "/health",
        Access::Token,
        "Gateway status",
        None,
        &[(200, "unregistered, connecting or connected")],
    ),
    Route {
        surface: Surface::Control,
        method: "GET",
        path: "/health",
        summary: "Liveness, for container health checks",
        access: Access::Open,
        body: None,
        responses: &[(200, "{\"status\": \"ok\", \"version\"}")],
    },
    ctl("GET", "/openapi.json", "This document", None),
    ctl(
        "POST",
        "/certs",
        "Make a certificate for a verified name",
        Some(
            r#"{"vname": "Yamato", "localized_names": [{"lg": "ja", "lc": "JP", "verified_name": "株式会社ヤマト"}]}"#,
        ),
    ),
    ctl(
        "POST",
        "/reset",
        "Return every cluster to a fresh state",
        None,
    ),
    ctl("GET", "/clusters", "Names of the clusters that exist", None),
    ctl(
        "GET",
        "/clusters/{cluster}/codes",
        "The outbox, oldest first (filters: cc, phone_number, method)",
        None,
    ),
    ctl(
        "DELETE",
        "/clusters/{cluster}/codes",
        "Empty the outbox",
        None,
    ),
    ctl(
        "GET",
        "/clusters/{cluster}/codes/latest",
        "The newest matching code; wait=SECONDS holds until one arrives",
        None,
    ),
    ctl(
        "GET",
        "/clusters/{cluster}/policy",
        "The cluster's policy (and rules)",
        None,
    ),
    ctl(
        "PUT",
        "/clusters/{cluster}/policy",
        "Switch the cluster's policy",
        Some(
            r#"{"policy": "scripted", "rules": [{"prefix": "1631", "outcome": "error", "status": 403, "code": 1005, "details": "Unknown error: too_many"}]}"#,
        ),
    ),
    ctl(
        "POST",
        "/clusters/{cluster}/reset",
        "Return the cluster to a fresh state",
        None,
    ),
    ctl(
        "GET",
        "/clusters/{cluster}/faults",
        "Armed and spent faults, with how often each fired",
        None,
    ),
    ctl(
        "POST",
        "/clusters/{cluster}/faults",
        "Arm faults for the next N matching requests",
        Some(
            r#"[{"route": "/v1/account", "times": 2, "fault": {"type": "error", "status": 500, "code": 1014, "details": "Unknown error: boom"}}]"#,
        ),
    ),
    ctl(
        "DELETE",
        "/clusters/{cluster}/faults",
        "Disarm every fault",
        None,
    ),
    ctl(
        "GET",
        "/clusters/{cluster}/clock",
        "The cluster's current (virtual) time",
        None,
    ),
    ctl(
        "POST",
        "/clusters/{cluster}/clock",
        "Move the cluster's time forward",
        Some(r#"{"advance_seconds": 600}"#),
    ),
    ctl(
        "GET",
        "/clusters/{cluster}/requests",
        "The request journal (filters: path, status)",
        None,
    ),
    ctl(
        "DELETE",
        "/clusters/{cluster}/requests",
        "Empty the journal",
        None,
    ),
    ctl(
        "POST",
        "/clusters/{cluster}/restart",
        "Simulate a Coreapp restart",
        Some(r#"{"duration_seconds": 2}"#),
    ),
];

/// The handler of a route of the table. Every entry has one; a test builds them all.
pub fn handler(route: &Route) -> MethodRouter<AppState> {
    use Surface::{Control, Vendor};
    match (route.surface, route.method, route.path) {
        (Vendor, "POST", "/users/login") => post(users::login),
        (Vendor, "POST", "/users/logout") => post(users::logout),
        (Vendor, "POST", "/users") => post(users::create),
        (Vendor, "GET", "/users/{username}") => get(users::read),
        (Vendor, "PUT", "/users/{username}") => put(users::update),
        (Vendor, "DELETE", "/users/{username}") => delete(users::delete),
        (Vendor, "POST", "/account") => post(account::request_code),
        (Vendor, "POST", "/account/verify") => post(account::verify),
        (Vendor, "POST", "/settings/account/two-step") => post(settings::set_pin),
        (Vendor, "DELETE", "/settings/account/two-step") => delete(settings::remove_pin),
        (Vendor, "POST", "/settings/backup") => post(settings::backup),
        (Vendor, "POST", "/settings/restore") => post(settings::restore),
        (Vendor, "GET", "/health") => get(health::v1),
        (Control, "GET", "/health") => get(health::emulator),
        (Control, "GET", "/openapi.json") => get(super::openapi::serve),
        (Control, "POST", "/certs") => post(control::make_cert),
        (Control, "POST", "/reset") => post(control::reset_all),
        (Control, "GET", "/clusters") => get(control::list_clusters),
        (Control, "GET", "/clusters/{cluster}/codes") => get(control::list_codes),
        (Control, "DELETE", "/clusters/{cluster}/codes") => delete(control::clear_codes),
        (Control, "GET", "/clusters/{cluster}/codes/latest") => get(control::latest_code),
        (Control, "GET", "/clusters/{cluster}/policy") => get(control::get_policy),
        (Control, "PUT", "/clusters/{cluster}/policy") => put(control::put_policy),
        (Control, "POST", "/clusters/{cluster}/reset") => post(control::reset_cluster),
        (Control, "GET", "/clusters/{cluster}/faults") => get(testing::list_faults),
        (Control, "POST", "/clusters/{cluster}/faults") => post(testing::arm_faults),
        (Control, "DELETE", "/clusters/{cluster}/faults") => delete(testing::clear_faults),
        (Control, "GET", "/clusters/{cluster}/clock") => get(testing::get_clock),
        (Control, "POST", "/clusters/{cluster}/clock") => post(testing::advance_clock),
        (Control, "GET", "/clusters/{cluster}/requests") => get(testing::list_requests),
        (Control, "DELETE", "/clusters/{cluster}/requests") => delete(testing::clear_requests),
        (Control, "POST", "/clusters/{cluster}/restart") => post(testing::restart),
        (surface, method, path) => {
            unreachable!("route {surface:?} {method} {path} is in the table without a handler")
        }
    }
}
