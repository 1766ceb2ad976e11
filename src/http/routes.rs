//! The route table: every route of both surfaces, once, each with its handler, who may call it
//! and what body it takes. The application routes from it and the OpenAPI document is generated
//! from it, so there is no other list of routes to keep in step.

use super::call::Handler;
use super::control::{clusters, console, events, front, steering};
use super::graph::{numbers, registration};
use super::onprem;

/// Where a route is mounted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// The vendor API: at `/v1` and at `/clusters/{cluster}/v1`.
    Vendor,
    /// The control API: at `/_emulator`.
    Control,
    /// The emulator's front door, `GET /`.
    Root,
    /// The Cloud API (Graph): at `/{version}` (any `vNN.N`) and at
    /// `/clusters/{cluster}/{version}`.
    Graph,
}

impl Surface {
    /// The prefixes the surface is mounted at.
    pub fn mounts(self) -> &'static [&'static str] {
        match self {
            Self::Vendor => &["/v1", "/clusters/{cluster}/v1"],
            Self::Control => &["/_emulator"],
            Self::Root => &[""],
            Self::Graph => &["/{version}", "/clusters/{cluster}/{version}"],
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
    /// Like [`Access::Control`], the token also taken from `?token=`: a browser's EventSource
    /// cannot send headers.
    ControlStream,
    /// A Graph access token (`Authorization: Bearer` or `?access_token=`): any non-empty one,
    /// or the `--graph-token`.
    Graph,
}

/// What body a route reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Takes {
    /// None: a body sent is ignored (but journaled).
    Nothing,
    /// A JSON object, `Content-Type` JSON or absent.
    Json,
    /// Like [`Takes::Json`], or nothing.
    OptionalJson,
    /// A JSON object whatever its `Content-Type` (the control API: `curl -d` sends a form type).
    Object,
    /// Like [`Takes::Object`], or nothing.
    OptionalObject,
    /// The bytes, which the handler reads itself.
    Raw,
    /// Graph parameters: in the query string, a JSON body or a form body, read by the handler.
    Graph,
}

/// What a request to a cluster that does not exist does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addressing {
    /// Creates it, fresh: vendor and Graph traffic, and every control route but the delete.
    Creates,
    /// Is answered 404, naming the clusters that exist: deleting one creates nothing.
    ExistingOnly,
}

/// One route.
#[derive(Clone, Copy)]
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
    /// What body it reads.
    pub takes: Takes,
    /// Whether it also answers while Coreapp restarts or no Coreapp runs (health, which
    /// reports exactly that); every other vendor route answers 503 / 1011 then.
    pub while_restarting: bool,
    /// Whether a request naming a new cluster creates it.
    pub addressing: Addressing,
    /// What answers it.
    pub(crate) handler: Handler,
}

impl Route {
    /// The route, answering also while Coreapp restarts.
    const fn while_restarting(self) -> Self {
        Self {
            while_restarting: true,
            ..self
        }
    }
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}{}",
            self.method,
            self.surface.mounts()[0],
            self.path
        )
    }
}

#[allow(clippy::too_many_arguments)]
const fn vendor(
    method: &'static str,
    path: &'static str,
    access: Access,
    summary: &'static str,
    body: Option<&'static str>,
    responses: &'static [(u16, &'static str)],
    takes: Takes,
    handler: Handler,
) -> Route {
    Route {
        surface: Surface::Vendor,
        method,
        path,
        summary,
        access,
        body,
        responses,
        takes,
        while_restarting: false,
        addressing: Addressing::Creates,
        handler,
    }
}

#[allow(clippy::too_many_arguments)]
const fn graph(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    body: Option<&'static str>,
    responses: &'static [(u16, &'static str)],
    handler: Handler,
) -> Route {
    Route {
        surface: Surface::Graph,
        method,
        path,
        summary,
        access: Access::Graph,
        body,
        responses,
        takes: Takes::Graph,
        while_restarting: false,
        addressing: Addressing::Creates,
        handler,
    }
}

const fn ctl(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    body: Option<&'static str>,
    takes: Takes,
    handler: Handler,
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
        takes,
        while_restarting: false,
        addressing: Addressing::Creates,
        handler,
    }
}

/// A handler of the table: the axum handler `f` (any function of extractors) called with the
/// request and the state, as a plain function pointer.
macro_rules! handler {
    ($f:path) => {
        |request, state| axum::handler::Handler::call($f, request, state)
    };
}

/// Every route of the emulator.
pub const ROUTES: &[Route] = &[
    Route {
        surface: Surface::Root,
        method: "GET",
        path: "/",
        summary: "What this is, and where its APIs and documentation are",
        access: Access::Open,
        body: None,
        responses: &[(
            200,
            "Links to the vendor API, the control API and the OpenAPI document",
        )],
        takes: Takes::Nothing,
        while_restarting: false,
        addressing: Addressing::Creates,
        handler: handler!(front::front_door),
    },
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
        Takes::OptionalJson,
        handler!(onprem::users::login),
    ),
    vendor(
        "POST",
        "/users/logout",
        Access::Token,
        "Revoke the token of this call",
        None,
        &[(200, "Revoked"), (401, "Invalid token")],
        Takes::Nothing,
        handler!(onprem::users::logout),
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
        Takes::Json,
        handler!(onprem::users::create),
    ),
    vendor(
        "GET",
        "/users/{username}",
        Access::Admin,
        "Read a user's role",
        None,
        &[(200, "The user's role"), (404, "No such user")],
        Takes::Nothing,
        handler!(onprem::users::read),
    ),
    vendor(
        "PUT",
        "/users/{username}",
        Access::Admin,
        "Change a user's password",
        Some(r#"{"password": "N3w!passw0rd"}"#),
        &[(200, "Changed"), (404, "No such user")],
        Takes::Json,
        handler!(onprem::users::update),
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
        Takes::Nothing,
        handler!(onprem::users::delete),
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
        Takes::Json,
        handler!(onprem::account::request_code),
    ),
    vendor(
        "POST",
        "/account/shards",
        Access::Admin,
        "Set the number of multiconnect shards of the registered number",
        Some(
            r#"{"cc": "1", "phone_number": "6315550000", "shards": 2, "pin": "123456", "cert": "<base64>"}"#,
        ),
        &[
            (201, "Shards set"),
            (400, "1008/1009/1010 naming the field"),
            (
                403,
                "1005 number_mismatch, cert_mismatch, pin_mismatch, not_enough_coreapps",
            ),
            (404, "No registered number"),
        ],
        Takes::Json,
        handler!(onprem::account::set_shards),
    ),
    vendor(
        "GET",
        "/account/shards",
        Access::Admin,
        "The number of multiconnect shards",
        None,
        &[(200, "{\"account\": {\"shards\": N}}")],
        Takes::Nothing,
        handler!(onprem::account::get_shards),
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
        Takes::Json,
        handler!(onprem::account::verify),
    ),
    vendor(
        "POST",
        "/settings/account/two-step",
        Access::Admin,
        "Set or change the two-step pin",
        Some(r#"{"pin": "123456"}"#),
        &[(200, "Set"), (404, "No registered number")],
        Takes::Json,
        handler!(onprem::settings::set_pin),
    ),
    vendor(
        "DELETE",
        "/settings/account/two-step",
        Access::Admin,
        "Turn two-step verification off",
        None,
        &[(200, "Off"), (404, "No registered number")],
        Takes::Nothing,
        handler!(onprem::settings::remove_pin),
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
        Takes::Json,
        handler!(onprem::settings::backup),
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
        Takes::Json,
        handler!(onprem::settings::restore),
    ),
    vendor(
        "GET",
        "/health",
        Access::Token,
        "Gateway status",
        None,
        &[(200, "unregistered, connecting or connected")],
        Takes::Nothing,
        handler!(onprem::health::v1),
    )
    .while_restarting(),
    graph(
        "GET",
        "/{id}",
        "A phone number (fields: ?fields=id,display_phone_number,…) or the WhatsApp Business Account",
        None,
        &[
            (200, "The phone number's fields"),
            (400, "100: no such id, or an unknown field"),
        ],
        handler!(numbers::get_object),
    ),
    graph(
        "POST",
        "/{id}",
        "Set the two-step verification pin of a registered phone number",
        Some(r#"{"pin": "123456"}"#),
        &[
            (200, "{\"success\": true}"),
            (400, "100: a pin that is not 6 digits, or no such id"),
            (404, "133010: the number is not registered"),
        ],
        handler!(numbers::set_pin),
    ),
    graph(
        "GET",
        "/{id}/phone_numbers",
        "The phone numbers of the WhatsApp Business Account (the On-Premises number included)",
        None,
        &[
            (200, "{\"data\": […], \"paging\": …}"),
            (400, "100: not the account's id"),
        ],
        handler!(numbers::list),
    ),
    graph(
        "POST",
        "/{id}/phone_numbers",
        "Add a phone number to the WhatsApp Business Account",
        Some(r#"{"cc": "1", "phone_number": "6315550000", "verified_name": "Acme"}"#),
        &[
            (200, "{\"id\": …}"),
            (400, "100: a parameter is missing or not valid"),
        ],
        handler!(numbers::add),
    ),
    graph(
        "POST",
        "/{id}/request_code",
        "Send a verification code to the phone number (the outbox, as On-Premises codes)",
        Some(r#"{"code_method": "SMS", "language": "en"}"#),
        &[
            (200, "{\"success\": true}"),
            (400, "100, or 136024: the number is registered"),
        ],
        handler!(registration::request_code),
    ),
    graph(
        "POST",
        "/{id}/verify_code",
        "Verify the code sent",
        Some(r#"{"code": "123456"}"#),
        &[
            (200, "{\"success\": true}"),
            (400, "100, or 136025: no code, expired, or wrong"),
        ],
        handler!(registration::verify_code),
    ),
    graph(
        "POST",
        "/{id}/register",
        "Register the phone number on the Cloud API; with backup, migrate it from the cluster's On-Premises deployment",
        Some(r#"{"messaging_product": "whatsapp", "pin": "123456"}"#),
        &[
            (200, "{\"success\": true}"),
            (
                400,
                "100 (parameters, backup), 133005 (pin mismatch), 133006 (not verified), 133009 (pin too fast), 133015 (deregistered a moment ago), 133016 (rate limit)",
            ),
        ],
        handler!(registration::register),
    ),
    graph(
        "POST",
        "/{id}/deregister",
        "Deregister the phone number from the Cloud API",
        None,
        &[
            (200, "{\"success\": true}"),
            (400, "133016: rate limit"),
            (404, "133010: the number is not registered"),
        ],
        handler!(registration::deregister),
    ),
    Route {
        surface: Surface::Control,
        method: "GET",
        path: "",
        summary: "The control API's index: where the console, the OpenAPI document, the events and the clusters are",
        access: Access::Open,
        body: None,
        responses: &[(200, "Links to the control API's parts")],
        takes: Takes::Nothing,
        while_restarting: false,
        addressing: Addressing::Creates,
        handler: handler!(front::control_index),
    },
    Route {
        surface: Surface::Control,
        method: "GET",
        path: "/health",
        summary: "Liveness, for container health checks",
        access: Access::Open,
        body: None,
        responses: &[(200, "{\"status\": \"ok\", \"version\"}")],
        takes: Takes::Nothing,
        while_restarting: false,
        addressing: Addressing::Creates,
        handler: handler!(front::health),
    },
    ctl(
        "GET",
        "/openapi.json",
        "This document",
        None,
        Takes::Nothing,
        handler!(front::openapi),
    ),
    ctl(
        "POST",
        "/certs",
        "Make a certificate for a verified name",
        Some(
            r#"{"vname": "Yamato", "localized_names": [{"lg": "ja", "lc": "JP", "verified_name": "株式会社ヤマト"}]}"#,
        ),
        Takes::Object,
        handler!(clusters::make_cert),
    ),
    ctl(
        "POST",
        "/reset",
        "Return every cluster to a fresh state",
        None,
        Takes::Nothing,
        handler!(clusters::reset_all),
    ),
    // The page holds no data: it opens without the token and asks for it.
    Route {
        access: Access::Open,
        responses: &[(200, "The page")],
        ..ctl(
            "GET",
            "/ui",
            "The web console: codes as an inbox, the journal, the cluster's state and actions",
            None,
            Takes::Nothing,
            handler!(console::page),
        )
    },
    Route {
        access: Access::ControlStream,
        ..ctl(
            "GET",
            "/events",
            "Server-sent events: codes sent, requests, state changes, resets (filter: cluster; with a control token, ?token= as EventSource sends no headers)",
            None,
            Takes::Nothing,
            handler!(events::stream),
        )
    },
    ctl(
        "GET",
        "/clusters",
        "Names of the clusters that exist",
        None,
        Takes::Nothing,
        handler!(clusters::list_clusters),
    ),
    Route {
        responses: &[
            (200, "{\"deleted\": [\"NAME\"]}"),
            (401, "Control token required"),
            (404, "No such cluster"),
        ],
        addressing: Addressing::ExistingOnly,
        ..ctl(
            "DELETE",
            "/clusters/{cluster}",
            "Remove the cluster and all it holds (memory and data directory); the next request naming it starts it fresh",
            None,
            Takes::Nothing,
            handler!(clusters::delete_cluster),
        )
    },
    ctl(
        "GET",
        "/clusters/{cluster}/codes",
        "The outbox, oldest first (filters: cc, phone_number, method)",
        None,
        Takes::Nothing,
        handler!(clusters::list_codes),
    ),
    ctl(
        "DELETE",
        "/clusters/{cluster}/codes",
        "Empty the outbox",
        None,
        Takes::Nothing,
        handler!(clusters::clear_codes),
    ),
    ctl(
        "GET",
        "/clusters/{cluster}/codes/latest",
        "The newest matching code; wait=SECONDS holds until one arrives",
        None,
        Takes::Nothing,
        handler!(clusters::latest_code),
    ),
    ctl(
        "GET",
        "/clusters/{cluster}/policy",
        "The cluster's policy (and rules)",
        None,
        Takes::Nothing,
        handler!(clusters::get_policy),
    ),
    ctl(
        "PUT",
        "/clusters/{cluster}/policy",
        "Switch the cluster's policy",
        Some(
            r#"{"policy": "scripted", "rules": [{"prefix": "1631", "outcome": "error", "status": 403, "code": 1005, "details": "Unknown error: too_many"}]}"#,
        ),
        Takes::Object,
        handler!(clusters::put_policy),
    ),
    ctl(
        "GET",
        "/clusters/{cluster}/cloud",
        "The cluster's WhatsApp Business Account: its id and phone numbers (status, platform type, pending code)",
        None,
        Takes::Nothing,
        handler!(clusters::get_cloud),
    ),
    ctl(
        "POST",
        "/clusters/{cluster}/reset",
        "Return the cluster to a fresh state",
        None,
        Takes::Nothing,
        handler!(clusters::reset_cluster),
    ),
    ctl(
        "GET",
        "/clusters/{cluster}/faults",
        "Armed and spent faults, with how often each fired",
        None,
        Takes::Nothing,
        handler!(steering::list_faults),
    ),
    ctl(
        "POST",
        "/clusters/{cluster}/faults",
        "Arm faults for the next N matching requests",
        Some(
            r#"[{"route": "/v1/account", "times": 2, "fault": {"type": "error", "status": 500, "code": 1014, "details": "Unknown error: boom"}}]"#,
        ),
        Takes::Raw,
        handler!(steering::arm_faults),
    ),
    ctl(
        "DELETE",
        "/clusters/{cluster}/faults",
        "Disarm every fault",
        None,
        Takes::Nothing,
        handler!(steering::clear_faults),
    ),
    ctl(
        "GET",
        "/clusters/{cluster}/clock",
        "The cluster's current (virtual) time",
        None,
        Takes::Nothing,
        handler!(steering::get_clock),
    ),
    ctl(
        "POST",
        "/clusters/{cluster}/clock",
        "Move the cluster's time forward",
        Some(r#"{"advance_seconds": 600}"#),
        Takes::Object,
        handler!(steering::advance_clock),
    ),
    ctl(
        "GET",
        "/clusters/{cluster}/requests",
        "The request journal (filters: path, status)",
        None,
        Takes::Nothing,
        handler!(steering::list_requests),
    ),
    ctl(
        "DELETE",
        "/clusters/{cluster}/requests",
        "Empty the journal",
        None,
        Takes::Nothing,
        handler!(steering::clear_requests),
    ),
    ctl(
        "GET",
        "/clusters/{cluster}/topology",
        "The deployment: Coreapps, shards, failover delay, every node with its status",
        None,
        Takes::Nothing,
        handler!(steering::get_topology),
    ),
    ctl(
        "PUT",
        "/clusters/{cluster}/topology",
        "Set the number of Coreapps and the failover delay",
        Some(r#"{"coreapps": 3, "failover_delay_seconds": 2}"#),
        Takes::Object,
        handler!(steering::put_topology),
    ),
    ctl(
        "POST",
        "/clusters/{cluster}/nodes/{node}/stop",
        "Stop a Coreapp (coreapp1…): its shards fail over after the delay",
        None,
        Takes::Nothing,
        handler!(steering::stop_node),
    ),
    ctl(
        "POST",
        "/clusters/{cluster}/nodes/{node}/start",
        "Start a stopped Coreapp",
        None,
        Takes::Nothing,
        handler!(steering::start_node),
    ),
    ctl(
        "POST",
        "/clusters/{cluster}/restart",
        "Simulate a Coreapp restart",
        Some(r#"{"duration_seconds": 2}"#),
        Takes::OptionalObject,
        handler!(steering::restart),
    ),
];
