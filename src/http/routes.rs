//! The route table: every route of both surfaces, once, each with its handler, who may call it
//! and what body it takes. The application routes from it and the OpenAPI document is generated
//! from it, so there is no other list of routes to keep in step.

use super::call::Handler;
use super::control::{clusters, console, events, front, steering};
use super::graph::{numbers, registration};
use super::near::{RouteName, RouteNames};
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
pub enum Reads {
    /// None: a body sent is ignored (but journaled).
    Nothing,
    /// A JSON object, `Content-Type` JSON or absent.
    Json,
    /// Like [`Reads::Json`], or nothing.
    OptionalJson,
    /// A JSON object whatever its `Content-Type` (the control API: `curl -d` sends a form type).
    Object,
    /// Like [`Reads::Object`], or nothing.
    OptionalObject,
    /// The bytes, which the handler reads itself.
    Raw,
    /// Graph parameters: in the query string, a JSON body or a form body, read by the handler.
    Graph,
}

/// What a request to a cluster that does not exist does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addressing {
    /// Creates it, fresh: vendor and Graph traffic, and the control API's writes.
    Creates,
    /// Is answered 404, naming the clusters that exist: deleting one creates nothing.
    ExistingOnly,
    /// A read of the control API: answered 404 like [`Addressing::ExistingOnly`] (with the
    /// closest name), so that a typo of a name is not read as an empty cluster; `default`, the
    /// cluster every request without a name addresses, always exists.
    Reads,
    /// Found or made by the handler once it knows it should, from the name alone: a state
    /// document is checked before its cluster is made (a refused one makes nothing), and a held
    /// wait waits for its cluster to be made.
    Named,
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
    pub reads: Reads,
    /// Whether it also answers while Coreapp restarts or no Coreapp runs (health, which
    /// reports exactly that); every other vendor route answers 503 / 1011 then.
    pub while_restarting: bool,
    /// Whether a request naming a new cluster creates it.
    pub addressing: Addressing,
    /// What answers it.
    pub(crate) handler: Handler,
}

impl Route {
    /// A vendor route (`/v1/...`) for admins that reads no body: the rest of a row says how it
    /// differs.
    pub const fn vendor(method: &'static str, path: &'static str, handler: Handler) -> Self {
        Self {
            surface: Surface::Vendor,
            method,
            path,
            summary: "",
            access: Access::Admin,
            body: None,
            responses: &[],
            reads: Reads::Nothing,
            while_restarting: false,
            addressing: Addressing::Creates,
            handler,
        }
    }

    /// A Graph route (`/{version}/...`), its parameters read by its handler.
    pub const fn graph(method: &'static str, path: &'static str, handler: Handler) -> Self {
        Self {
            surface: Surface::Graph,
            access: Access::Graph,
            reads: Reads::Graph,
            ..Self::vendor(method, path, handler)
        }
    }

    /// A control route (`/_emulator/...`) behind the control token that reads no body.
    pub const fn control(method: &'static str, path: &'static str, handler: Handler) -> Self {
        Self {
            surface: Surface::Control,
            access: Access::Control,
            responses: &[
                (200, "Done"),
                (400, "Bad input"),
                (401, "Control token required"),
            ],
            ..Self::vendor(method, path, handler)
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

/// A handler of the table: the axum handler `f`, called with the request and the state.
macro_rules! handler {
    ($f:path) => {
        |request, state| axum::handler::Handler::call($f, request, state)
    };
}

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
        reads: Reads::Nothing,
        while_restarting: false,
        addressing: Addressing::Creates,
        handler: handler!(front::front_door),
    },
    Route {
        access: Access::Basic,
        summary: "Log in; the first admin login must set new_password",
        body: Some(r#"{"new_password": "N3w!passw0rd"}"#),
        responses: &[
            (200, "A token and its expiry"),
            (400, "1024 Password Change Required, or 1009"),
            (401, "Wrong credentials"),
        ],
        reads: Reads::OptionalJson,
        ..Route::vendor("POST", "/users/login", handler!(onprem::users::login))
    },
    Route {
        access: Access::Token,
        summary: "Revoke the token of this call",
        responses: &[(200, "Revoked"), (401, "Invalid token")],
        ..Route::vendor("POST", "/users/logout", handler!(onprem::users::logout))
    },
    Route {
        access: Access::Admin,
        summary: "Create a user",
        body: Some(r#"{"username": "operator", "password": "0perator!Pass"}"#),
        responses: &[
            (201, "Created"),
            (400, "Invalid field"),
            (403, "Not admin"),
            (500, "1014 Already exists"),
        ],
        reads: Reads::Json,
        ..Route::vendor("POST", "/users", handler!(onprem::users::create))
    },
    Route {
        access: Access::Admin,
        summary: "Read a user's role",
        responses: &[(200, "The user's role"), (404, "No such user")],
        ..Route::vendor("GET", "/users/{username}", handler!(onprem::users::read))
    },
    Route {
        access: Access::Admin,
        summary: "Change a user's password",
        body: Some(r#"{"password": "N3w!passw0rd"}"#),
        responses: &[(200, "Changed"), (404, "No such user")],
        reads: Reads::Json,
        ..Route::vendor("PUT", "/users/{username}", handler!(onprem::users::update))
    },
    Route {
        access: Access::Admin,
        summary: "Delete a user (not admin)",
        responses: &[
            (200, "Deleted"),
            (403, "admin cannot be deleted"),
            (404, "No such user"),
        ],
        ..Route::vendor(
            "DELETE",
            "/users/{username}",
            handler!(onprem::users::delete),
        )
    },
    Route {
        access: Access::Admin,
        summary: "Request a registration code",
        body: Some(
            r#"{"cc": "1", "phone_number": "6315550000", "method": "sms", "cert": "<base64>", "pin": "123456"}"#,
        ),
        responses: &[
            (201, "The number is already registered here"),
            (202, "Code sent; the verified name"),
            (400, "1008/1009/1010 naming the field"),
            (403, "1005 Unknown error: <reason>"),
            (503, "1011 restarting"),
        ],
        reads: Reads::Json,
        ..Route::vendor("POST", "/account", handler!(onprem::account::request_code))
    },
    Route {
        access: Access::Admin,
        summary: "Set the number of multiconnect shards of the registered number",
        body: Some(
            r#"{"cc": "1", "phone_number": "6315550000", "shards": 2, "pin": "123456", "cert": "<base64>"}"#,
        ),
        responses: &[
            (201, "Shards set"),
            (400, "1008/1009/1010 naming the field"),
            (
                403,
                "1005 number_mismatch, cert_mismatch, pin_mismatch, not_enough_coreapps",
            ),
            (404, "No registered number"),
        ],
        reads: Reads::Json,
        ..Route::vendor(
            "POST",
            "/account/shards",
            handler!(onprem::account::set_shards),
        )
    },
    Route {
        access: Access::Admin,
        summary: "The number of multiconnect shards",
        responses: &[(200, "{\"account\": {\"shards\": N}}")],
        ..Route::vendor(
            "GET",
            "/account/shards",
            handler!(onprem::account::get_shards),
        )
    },
    Route {
        access: Access::Admin,
        summary: "Verify the registration code",
        body: Some(r#"{"code": "123-456"}"#),
        responses: &[
            (201, "Registered"),
            (400, "Invalid code"),
            (
                403,
                "1005 no_pending_code, mismatch, stale, too_many_guesses",
            ),
        ],
        reads: Reads::Json,
        ..Route::vendor("POST", "/account/verify", handler!(onprem::account::verify))
    },
    Route {
        access: Access::Admin,
        summary: "Set or change the two-step pin",
        body: Some(r#"{"pin": "123456"}"#),
        responses: &[(200, "Set"), (404, "No registered number")],
        reads: Reads::Json,
        ..Route::vendor(
            "POST",
            "/settings/account/two-step",
            handler!(onprem::settings::set_pin),
        )
    },
    Route {
        access: Access::Admin,
        summary: "Turn two-step verification off",
        responses: &[(200, "Off"), (404, "No registered number")],
        ..Route::vendor(
            "DELETE",
            "/settings/account/two-step",
            handler!(onprem::settings::remove_pin),
        )
    },
    Route {
        access: Access::Admin,
        summary: "Back up the registration, encrypted under a password",
        body: Some(r#"{"password": "B4ckup!pass"}"#),
        responses: &[
            (200, "{\"settings\": {\"data\": \"<base64>\"}}"),
            (404, "No registered number"),
        ],
        reads: Reads::Json,
        ..Route::vendor(
            "POST",
            "/settings/backup",
            handler!(onprem::settings::backup),
        )
    },
    Route {
        access: Access::Admin,
        summary: "Restore a backup onto an unregistered deployment",
        body: Some(r#"{"password": "B4ckup!pass", "data": "<base64>"}"#),
        responses: &[
            (200, "Restored"),
            (400, "1009 wrong password or damaged data"),
            (403, "A number is registered here"),
        ],
        reads: Reads::Json,
        ..Route::vendor(
            "POST",
            "/settings/restore",
            handler!(onprem::settings::restore),
        )
    },
    Route {
        access: Access::Token,
        summary: "Gateway status",
        responses: &[(200, "unregistered, connecting or connected")],
        // Health reports a restart, or no Coreapp serving, rather than being refused for it.
        while_restarting: true,
        ..Route::vendor("GET", "/health", handler!(onprem::health::v1))
    },
    Route {
        summary: "A phone number (fields: ?fields=id,display_phone_number,…) or the WhatsApp Business Account",
        responses: &[
            (200, "The phone number's fields"),
            (400, "100: no such id, or an unknown field"),
        ],
        ..Route::graph("GET", "/{id}", handler!(numbers::get_object))
    },
    Route {
        summary: "Set the two-step verification pin of a registered phone number",
        body: Some(r#"{"pin": "123456"}"#),
        responses: &[
            (200, "{\"success\": true}"),
            (
                400,
                "100: a pin that is not 6 digits, or no such id (subcode 33); 133010: the number is not registered; 104: no token",
            ),
        ],
        ..Route::graph("POST", "/{id}", handler!(numbers::set_pin))
    },
    Route {
        summary: "The phone numbers of the WhatsApp Business Account (the On-Premises number included)",
        responses: &[
            (
                200,
                "{\"data\": […], \"paging\": {\"cursors\": {\"before\", \"after\"}, \"next\"?, \"previous\"?}}",
            ),
            (
                400,
                "100: not the account's id (subcode 33), a limit or cursor not valid, an unknown field",
            ),
        ],
        ..Route::graph("GET", "/{id}/phone_numbers", handler!(numbers::list))
    },
    Route {
        summary: "Add a phone number to the WhatsApp Business Account",
        body: Some(r#"{"cc": "1", "phone_number": "6315550000", "verified_name": "Acme"}"#),
        responses: &[
            (200, "{\"id\": …}"),
            (
                400,
                "100: a parameter missing (\"The parameter cc is required.\") or not valid, a number that is no phone number of its country",
            ),
        ],
        ..Route::graph("POST", "/{id}/phone_numbers", handler!(numbers::add))
    },
    Route {
        summary: "Send a verification code to the phone number (the outbox, as On-Premises codes); code_method SMS or VOICE, IVR from v26.0",
        body: Some(r#"{"code_method": "SMS", "language": "en"}"#),
        responses: &[
            (200, "{\"success\": true}"),
            (400, "100, or 136024: the number is registered"),
        ],
        ..Route::graph(
            "POST",
            "/{id}/request_code",
            handler!(registration::request_code),
        )
    },
    Route {
        summary: "Verify the code sent",
        body: Some(r#"{"code": "123456"}"#),
        responses: &[
            (200, "{\"success\": true}"),
            (400, "100, or 136025: no code, expired, or wrong"),
        ],
        ..Route::graph(
            "POST",
            "/{id}/verify_code",
            handler!(registration::verify_code),
        )
    },
    Route {
        summary: "Register the phone number on the Cloud API; with backup, migrate it from the cluster's On-Premises deployment",
        body: Some(r#"{"messaging_product": "whatsapp", "pin": "123456"}"#),
        responses: &[
            (200, "{\"success\": true}"),
            (
                400,
                "100 (parameters, backup, a region not in Meta's list or changed while registered), 133005 (pin mismatch), 133006 (not verified), 133008 (too many wrong pins), 133009 (pin too fast), 133015 (deregistered a moment ago), 133016 (rate limit)",
            ),
        ],
        ..Route::graph("POST", "/{id}/register", handler!(registration::register))
    },
    Route {
        summary: "Deregister the phone number from the Cloud API",
        responses: &[
            (200, "{\"success\": true}"),
            (
                400,
                "133010: the number is not registered; 133016: rate limit",
            ),
        ],
        ..Route::graph(
            "POST",
            "/{id}/deregister",
            handler!(registration::deregister),
        )
    },
    Route {
        surface: Surface::Control,
        method: "GET",
        path: "",
        summary: "The control API's index: where the console, the OpenAPI document, the events and the clusters are",
        access: Access::Open,
        body: None,
        responses: &[(200, "Links to the control API's parts")],
        reads: Reads::Nothing,
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
        reads: Reads::Nothing,
        while_restarting: false,
        addressing: Addressing::Creates,
        handler: handler!(front::health),
    },
    Route {
        summary: "What the emulator served, in Prometheus' text format: wa_emulator_requests_total{surface,route,status}, wa_emulator_codes_sent_total{surface,method}, wa_emulator_clusters, wa_emulator_request_duration_seconds{surface}, wa_emulator_build_info{version}",
        responses: &[(200, "text/plain; version=0.0.4")],
        ..Route::control("GET", "/metrics", handler!(front::metrics))
    },
    Route {
        summary: "This document",
        ..Route::control("GET", "/openapi.json", handler!(front::openapi))
    },
    Route {
        summary: "Make a certificate for a verified name",
        body: Some(
            r#"{"vname": "Yamato", "localized_names": [{"lg": "ja", "lc": "JP", "verified_name": "株式会社ヤマト"}]}"#,
        ),
        reads: Reads::Object,
        ..Route::control("POST", "/certs", handler!(clusters::make_cert))
    },
    Route {
        summary: "Return every cluster to a fresh state",
        ..Route::control("POST", "/reset", handler!(clusters::reset_all))
    },
    // The page holds no data: it opens without the token and asks for it.
    Route {
        access: Access::Open,
        responses: &[(200, "The page")],
        summary: "The web console: codes as an inbox, the journal, the cluster's state and actions",
        ..Route::control("GET", "/ui", handler!(console::page))
    },
    Route {
        access: Access::ControlStream,
        summary: "Server-sent events: codes sent, requests, state changes, resets (filter: cluster; with a control token, ?token= as EventSource sends no headers)",
        ..Route::control("GET", "/events", handler!(events::stream))
    },
    Route {
        summary: "Names of the clusters that exist",
        ..Route::control("GET", "/clusters", handler!(clusters::list_clusters))
    },
    Route {
        responses: &[
            (200, "{\"deleted\": [\"NAME\"]}"),
            (401, "Control token required"),
            (404, "No such cluster"),
        ],
        addressing: Addressing::ExistingOnly,
        summary: "Remove the cluster and all it holds (memory and data directory); the next request naming it starts it fresh",
        ..Route::control(
            "DELETE",
            "/clusters/{cluster}",
            handler!(clusters::delete_cluster),
        )
    },
    Route {
        summary: "The outbox, oldest first (filters: cc, phone_number, method)",
        addressing: Addressing::Reads,
        ..Route::control(
            "GET",
            "/clusters/{cluster}/codes",
            handler!(clusters::list_codes),
        )
    },
    Route {
        summary: "Empty the outbox",
        ..Route::control(
            "DELETE",
            "/clusters/{cluster}/codes",
            handler!(clusters::clear_codes),
        )
    },
    Route {
        summary: "The newest matching code; wait=SECONDS holds until one arrives (and until the cluster is made, if it is not yet)",
        addressing: Addressing::Named,
        ..Route::control(
            "GET",
            "/clusters/{cluster}/codes/latest",
            handler!(clusters::latest_code),
        )
    },
    Route {
        summary: "The cluster's policy (and rules)",
        addressing: Addressing::Reads,
        ..Route::control(
            "GET",
            "/clusters/{cluster}/policy",
            handler!(clusters::get_policy),
        )
    },
    Route {
        summary: "Switch the cluster's policy",
        body: Some(
            r#"{"policy": "scripted", "rules": [{"prefix": "1631", "outcome": "error", "status": 403, "code": 1005, "details": "Unknown error: too_many"}]}"#,
        ),
        reads: Reads::Object,
        ..Route::control(
            "PUT",
            "/clusters/{cluster}/policy",
            handler!(clusters::put_policy),
        )
    },
    Route {
        summary: "Make a Graph access token that expires on the cluster's clock, then answers 190 / 463 \"Session has expired\"",
        body: Some(r#"{"token": "EAAG-expiring", "expires_in_seconds": 3600}"#),
        responses: &[
            (200, "{\"token\", \"expires_at\", \"expires_in_seconds\"}"),
            (400, "A field is missing or not valid"),
        ],
        reads: Reads::Object,
        ..Route::control(
            "POST",
            "/clusters/{cluster}/graph/tokens",
            handler!(clusters::make_graph_token),
        )
    },
    Route {
        summary: "Everything the cluster holds, as one document (users and password hashes, tokens by digest, the registration, pins, pending code, outbox, rate counters, policy and rules, clock, topology, faults, the Cloud account)",
        responses: &[(
            200,
            "{\"version\", \"users\", \"tokens\", \"registration\", \"sends\", \"outbox\", \"meta\", \"topology\", \"faults\", \"cloud\"}",
        )],
        addressing: Addressing::Reads,
        ..Route::control(
            "GET",
            "/clusters/{cluster}/state",
            handler!(clusters::get_state),
        )
    },
    Route {
        summary: "Make the cluster exactly a state document (as GET answered it, of any cluster)",
        body: Some(
            r#"{"version": 1, "users": {}, "registration": {"registered": null, "pins": {}, "pending": null, "restarting_until": null, "shards": 1}, "meta": {"policy": "classic", "rules": null, "offset_ms": 0}, "topology": {"coreapps": 1, "failover_delay_seconds": 0}}"#,
        ),
        responses: &[
            (200, "The cluster's state, as GET answers it"),
            (
                400,
                "Not a state document, a newer format, or a part that cannot be used (nothing changes)",
            ),
        ],
        reads: Reads::Raw,
        addressing: Addressing::Named,
        ..Route::control(
            "PUT",
            "/clusters/{cluster}/state",
            handler!(clusters::put_state),
        )
    },
    Route {
        summary: "The cluster's WhatsApp Business Account: its id and phone numbers (status, platform type, pending code)",
        addressing: Addressing::Reads,
        ..Route::control(
            "GET",
            "/clusters/{cluster}/cloud",
            handler!(clusters::get_cloud),
        )
    },
    Route {
        summary: "Return the cluster to a fresh state",
        ..Route::control(
            "POST",
            "/clusters/{cluster}/reset",
            handler!(clusters::reset_cluster),
        )
    },
    Route {
        summary: "Armed and spent faults, with how often each fired",
        addressing: Addressing::Reads,
        ..Route::control(
            "GET",
            "/clusters/{cluster}/faults",
            handler!(steering::list_faults),
        )
    },
    Route {
        summary: "Arm faults for the next N matching requests",
        body: Some(
            r#"[{"route": "/v1/account", "times": 2, "fault": {"type": "error", "status": 500, "code": 1014, "details": "Unknown error: boom"}}]"#,
        ),
        reads: Reads::Raw,
        ..Route::control(
            "POST",
            "/clusters/{cluster}/faults",
            handler!(steering::arm_faults),
        )
    },
    Route {
        summary: "Disarm every fault",
        ..Route::control(
            "DELETE",
            "/clusters/{cluster}/faults",
            handler!(steering::clear_faults),
        )
    },
    Route {
        summary: "The cluster's current (virtual) time",
        addressing: Addressing::Reads,
        ..Route::control(
            "GET",
            "/clusters/{cluster}/clock",
            handler!(steering::get_clock),
        )
    },
    Route {
        summary: "Move the cluster's time forward",
        body: Some(r#"{"advance_seconds": 600}"#),
        reads: Reads::Object,
        ..Route::control(
            "POST",
            "/clusters/{cluster}/clock",
            handler!(steering::advance_clock),
        )
    },
    Route {
        summary: "The request journal, oldest first (filters: method, path with * for one segment, status, reason, surface, since, body.FIELD)",
        responses: &[
            (
                200,
                "{\"requests\": [{\"time\", \"method\", \"path\", \"status\", \"reason\", \"body\"}]}",
            ),
            (400, "A filter that is not valid, or not a filter"),
        ],
        addressing: Addressing::Reads,
        ..Route::control(
            "GET",
            "/clusters/{cluster}/requests",
            handler!(steering::list_requests),
        )
    },
    Route {
        summary: "How many journaled requests match the filters; with at_least=N&wait=SECONDS, held until N match (woken by each request, at most 300 s)",
        responses: &[
            (
                200,
                "{\"count\"}, or with at_least {\"count\", \"reached\"}",
            ),
            (400, "A filter that is not valid, or not a filter"),
        ],
        addressing: Addressing::Named,
        ..Route::control(
            "GET",
            "/clusters/{cluster}/requests/count",
            handler!(steering::count_requests),
        )
    },
    Route {
        summary: "The requests no route took or that were refused as unreadable (wrong path or method, not JSON, an unknown field), each with the route it most likely meant (near_miss)",
        responses: &[(
            200,
            "{\"requests\": [{…, \"near_miss\": \"POST /v1/account\"}]}",
        )],
        addressing: Addressing::Reads,
        ..Route::control(
            "GET",
            "/clusters/{cluster}/requests/unmatched",
            handler!(steering::unmatched_requests),
        )
    },
    Route {
        summary: "Empty the journal, unmatched requests with it",
        ..Route::control(
            "DELETE",
            "/clusters/{cluster}/requests/unmatched",
            handler!(steering::clear_requests),
        )
    },
    Route {
        summary: "Empty the journal",
        ..Route::control(
            "DELETE",
            "/clusters/{cluster}/requests",
            handler!(steering::clear_requests),
        )
    },
    Route {
        summary: "The deployment: Coreapps, shards, failover delay, every node with its status",
        addressing: Addressing::Reads,
        ..Route::control(
            "GET",
            "/clusters/{cluster}/topology",
            handler!(steering::get_topology),
        )
    },
    Route {
        summary: "Set the number of Coreapps, of shards (to restore a multiconnect backup onto a deployment with no number) and the failover delay",
        body: Some(r#"{"coreapps": 3, "shards": 2, "failover_delay_seconds": 2}"#),
        reads: Reads::Object,
        ..Route::control(
            "PUT",
            "/clusters/{cluster}/topology",
            handler!(steering::put_topology),
        )
    },
    Route {
        summary: "Stop a Coreapp (coreapp1…): its shards fail over after the delay",
        ..Route::control(
            "POST",
            "/clusters/{cluster}/nodes/{node}/stop",
            handler!(steering::stop_node),
        )
    },
    Route {
        summary: "Start a stopped Coreapp",
        ..Route::control(
            "POST",
            "/clusters/{cluster}/nodes/{node}/start",
            handler!(steering::start_node),
        )
    },
    Route {
        summary: "Simulate a Coreapp restart",
        body: Some(r#"{"duration_seconds": 2}"#),
        reads: Reads::OptionalObject,
        ..Route::control(
            "POST",
            "/clusters/{cluster}/restart",
            handler!(steering::restart),
        )
    },
];

/// Every route of the table as a request names it without a cluster (`POST /v1/account`,
/// `POST /{version}/{id}/register`), in the table's order.
pub fn names() -> RouteNames {
    RouteNames(
        ROUTES
            .iter()
            .map(|route| {
                let (surface, mount) = match route.surface {
                    Surface::Vendor => ("on_premises", "/v1"),
                    Surface::Control => ("control", "/_emulator"),
                    Surface::Root => ("root", ""),
                    Surface::Graph => ("cloud", "/{version}"),
                };
                RouteName {
                    surface,
                    method: route.method,
                    pattern: format!("{mount}{}", route.path),
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_name_the_route_meant() {
        let closest = |method, path, n| names().closest(method, path, n);
        assert_eq!(closest("POST", "/v1/acount", 1), ["POST /v1/account"]);
        assert_eq!(
            closest("post", "/v1/account/verfy", 1),
            ["POST /v1/account/verify"]
        );
        assert_eq!(
            closest("POST", "/v23.0/123/regster", 1),
            ["POST /{version}/{id}/register"]
        );
        assert_eq!(closest("GET", "/v1/helth", 3)[0], "GET /v1/health");
    }

    #[test]
    fn fault_paths_are_routes_of_the_table() {
        let is_vendor_or_graph_path = |path| names().is_vendor_or_graph_path(path);
        for good in [
            "/v1/account",
            "/v1/users/admin",
            "/v1/users/{username}",
            "/v23.0/{id}/register",
            "/v23.0/123/register",
            "/{version}/{id}/deregister",
        ] {
            assert!(is_vendor_or_graph_path(good), "{good}");
        }
        for bad in [
            "/v1/acount",
            "/v23.0/{id}/regster",
            "/v1",
            "/_emulator/health",
            "/v1/account/x",
        ] {
            assert!(!is_vendor_or_graph_path(bad), "{bad}");
        }
    }
}
