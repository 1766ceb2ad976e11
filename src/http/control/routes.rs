//! The control API's rows of the route table (and the front door's): each route with its
//! handler, who may call it and what body it takes.

use super::{clusters, console, events, front, steering, webhooks};
use serde_json::Value;

use super::answers;
use crate::domain::model::SentView;
use crate::http::common::route::{
    Access, Addressing, Answer, Reads, Route, Surface, handler, schema,
};

/// The control API's routes, the front door first.
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
        answer: Answer::Json(schema::<answers::FrontDoor>),
        handler: handler!(front::front_door),
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
        answer: Answer::Json(schema::<answers::ControlIndex>),
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
        answer: Answer::Json(schema::<answers::Health>),
        handler: handler!(front::health),
    },
    Route {
        summary: "What the emulator served, in Prometheus' text format: wa_emulator_requests_total{surface,route,status}, wa_emulator_codes_sent_total{surface,method}, wa_emulator_clusters, wa_emulator_request_duration_seconds{surface}, wa_emulator_build_info{version}, wa_emulator_webhook_deliveries_total{field,status}",
        responses: &[(200, "text/plain; version=0.0.4")],
        answer: Answer::Media("text/plain; version=0.0.4"),
        ..Route::control("GET", "/metrics", handler!(front::metrics))
    },
    Route {
        summary: "This document",
        answer: Answer::Json(schema::<serde_json::Map<String, serde_json::Value>>),
        ..Route::control("GET", "/openapi.json", handler!(front::openapi))
    },
    Route {
        summary: "Make a certificate for a verified name",
        body: Some(
            r#"{"vname": "Yamato", "localized_names": [{"lg": "ja", "lc": "JP", "verified_name": "株式会社ヤマト"}]}"#,
        ),
        reads: Reads::Object,
        answer: Answer::Json(schema::<answers::Cert>),
        ..Route::control("POST", "/certs", handler!(clusters::make_cert))
    },
    Route {
        summary: "Return every cluster to a fresh state",
        answer: Answer::Json(schema::<answers::Reset>),
        ..Route::control("POST", "/reset", handler!(clusters::reset_all))
    },
    // The page holds no data: it opens without the token and asks for it.
    Route {
        access: Access::Open,
        responses: &[(200, "The page")],
        summary: "The web console: codes as an inbox, the journal, the cluster's state and actions",
        answer: Answer::Media("text/html; charset=utf-8"),
        ..Route::control("GET", "/ui", handler!(console::page))
    },
    Route {
        access: Access::ControlStream,
        summary: "Server-sent events: codes sent, requests, state changes, resets, webhook deliveries (filter: cluster; with a control token, ?token= as EventSource sends no headers)",
        answer: Answer::Media("text/event-stream"),
        ..Route::control("GET", "/events", handler!(events::stream))
    },
    Route {
        summary: "Names of the clusters that exist",
        answer: Answer::Json(schema::<answers::Clusters>),
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
        answer: Answer::Json(schema::<answers::Deleted>),
        ..Route::control(
            "DELETE",
            "/clusters/{cluster}",
            handler!(clusters::delete_cluster),
        )
    },
    Route {
        summary: "The outbox, oldest first (filters: cc, phone_number, method)",
        addressing: Addressing::Reads,
        answer: Answer::Json(schema::<answers::Codes<'static>>),
        ..Route::control(
            "GET",
            "/clusters/{cluster}/codes",
            handler!(clusters::list_codes),
        )
    },
    Route {
        summary: "Empty the outbox",
        answer: Answer::Json(schema::<answers::Codes<'static>>),
        ..Route::control(
            "DELETE",
            "/clusters/{cluster}/codes",
            handler!(clusters::clear_codes),
        )
    },
    Route {
        summary: "The newest matching code; wait=SECONDS holds until one arrives (and until the cluster is made, if it is not yet)",
        addressing: Addressing::Named,
        answer: Answer::Json(schema::<SentView<'static>>),
        ..Route::control(
            "GET",
            "/clusters/{cluster}/codes/latest",
            handler!(clusters::latest_code),
        )
    },
    Route {
        summary: "The cluster's policy (and rules)",
        addressing: Addressing::Reads,
        answer: Answer::Json(schema::<answers::Policy<'static>>),
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
        answer: Answer::Json(schema::<answers::Policy<'static>>),
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
        answer: Answer::Json(schema::<answers::GraphToken>),
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
        answer: Answer::Json(schema::<answers::StateDocument>),
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
        answer: Answer::Json(schema::<answers::StateDocument>),
        ..Route::control(
            "PUT",
            "/clusters/{cluster}/state",
            handler!(clusters::put_state),
        )
    },
    Route {
        summary: "The cluster's WhatsApp Business Account: its id and phone numbers (status, platform type, pending code)",
        addressing: Addressing::Reads,
        answer: Answer::Json(schema::<answers::Cloud<'static>>),
        ..Route::control(
            "GET",
            "/clusters/{cluster}/cloud",
            handler!(clusters::get_cloud),
        )
    },
    Route {
        summary: "Return the cluster to a fresh state",
        answer: Answer::Json(schema::<answers::Reset>),
        ..Route::control(
            "POST",
            "/clusters/{cluster}/reset",
            handler!(clusters::reset_cluster),
        )
    },
    Route {
        summary: "Armed and spent faults, with how often each fired",
        addressing: Addressing::Reads,
        answer: Answer::Json(schema::<answers::Faults>),
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
        answer: Answer::Json(schema::<answers::Faults>),
        ..Route::control(
            "POST",
            "/clusters/{cluster}/faults",
            handler!(steering::arm_faults),
        )
    },
    Route {
        summary: "Disarm every fault",
        answer: Answer::Json(schema::<answers::Faults>),
        ..Route::control(
            "DELETE",
            "/clusters/{cluster}/faults",
            handler!(steering::clear_faults),
        )
    },
    Route {
        summary: "The cluster's current (virtual) time",
        addressing: Addressing::Reads,
        answer: Answer::Json(schema::<answers::Clock<'static>>),
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
        answer: Answer::Json(schema::<answers::Clock<'static>>),
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
        answer: Answer::Json(schema::<answers::Requests<Value>>),
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
        answer: Answer::Json(schema::<answers::Count>),
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
        answer: Answer::Json(schema::<answers::Requests<Value>>),
        ..Route::control(
            "GET",
            "/clusters/{cluster}/requests/unmatched",
            handler!(steering::unmatched_requests),
        )
    },
    Route {
        summary: "Empty the journal, unmatched requests with it",
        answer: Answer::Json(schema::<answers::Requests<Value>>),
        ..Route::control(
            "DELETE",
            "/clusters/{cluster}/requests/unmatched",
            handler!(steering::clear_requests),
        )
    },
    Route {
        summary: "Empty the journal",
        answer: Answer::Json(schema::<answers::Requests<Value>>),
        ..Route::control(
            "DELETE",
            "/clusters/{cluster}/requests",
            handler!(steering::clear_requests),
        )
    },
    Route {
        summary: "The deployment: Coreapps, shards, failover delay, every node with its status",
        addressing: Addressing::Reads,
        answer: Answer::Json(schema::<answers::Topology<'static>>),
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
        answer: Answer::Json(schema::<answers::Topology<'static>>),
        ..Route::control(
            "PUT",
            "/clusters/{cluster}/topology",
            handler!(steering::put_topology),
        )
    },
    Route {
        summary: "Stop a Coreapp (coreapp1…): its shards fail over after the delay",
        answer: Answer::Json(schema::<answers::Topology<'static>>),
        ..Route::control(
            "POST",
            "/clusters/{cluster}/nodes/{node}/stop",
            handler!(steering::stop_node),
        )
    },
    Route {
        summary: "Start a stopped Coreapp",
        answer: Answer::Json(schema::<answers::Topology<'static>>),
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
        answer: Answer::Json(schema::<answers::Restart<'static>>),
        ..Route::control(
            "POST",
            "/clusters/{cluster}/restart",
            handler!(steering::restart),
        )
    },
    Route {
        summary: "The app's webhook (callback URL, verify token, fields, signature mode, whether the app subscribed to the account), the secret redacted",
        responses: &[
            (200, "The webhook"),
            (401, "Control token required"),
            (404, "The cluster has no app webhook, or no such cluster"),
        ],
        addressing: Addressing::Reads,
        answer: Answer::Json(schema::<crate::store::webhooks::AppWebhookView>),
        ..Route::control(
            "GET",
            "/clusters/{cluster}/webhooks",
            handler!(webhooks::get_webhooks),
        )
    },
    Route {
        summary: "Set the app's webhook: Meta's verification request (GET callback_url?hub.mode=subscribe&hub.challenge=…&hub.verify_token=…) first, kept only when answered 200 with the challenge; fields default to every field the emulator sends; signature valid, missing, wrong_secret or tampered",
        body: Some(
            r#"{"callback_url": "http://127.0.0.1:8000/webhook", "verify_token": "my-token", "app_secret": "my-secret", "fields": ["phone_number_name_update", "phone_number_quality_update"], "signature": "valid"}"#,
        ),
        responses: &[
            (200, "The webhook, verified"),
            (
                400,
                "A URL the emulator cannot send to, an unknown field, or the verification request failed (its status, body and the challenge expected)",
            ),
            (401, "Control token required"),
        ],
        reads: Reads::Object,
        answer: Answer::Json(schema::<crate::store::webhooks::AppWebhookView>),
        ..Route::control(
            "PUT",
            "/clusters/{cluster}/webhooks",
            handler!(webhooks::put_webhooks),
        )
    },
    Route {
        summary: "Remove the app's webhook",
        answer: Answer::Json(schema::<answers::WebhooksDeleted>),
        ..Route::control(
            "DELETE",
            "/clusters/{cluster}/webhooks",
            handler!(webhooks::delete_webhooks),
        )
    },
    Route {
        summary: "The webhook deliveries, oldest first (filters: field, status); at_least=N&wait=SECONDS holds until that many match",
        responses: &[
            (
                200,
                "{\"deliveries\": [{\"id\", \"field\", \"url\", \"body\", \"signature\", \"status\", \"attempts\": [{\"time\", \"status\"|\"error\"}]}], \"reached\"?}",
            ),
            (
                400,
                "An unknown field or status, a wait or at_least out of range",
            ),
            (401, "Control token required"),
            (
                404,
                "No such cluster (held until it is made, with at_least)",
            ),
        ],
        addressing: Addressing::Named,
        answer: Answer::Json(schema::<answers::Deliveries>),
        ..Route::control(
            "GET",
            "/clusters/{cluster}/webhooks/deliveries",
            handler!(webhooks::list_deliveries),
        )
    },
    Route {
        summary: "Send a delivery again now, the same bytes",
        responses: &[
            (200, "The delivery"),
            (400, "It was never sent (not subscribed)"),
            (401, "Control token required"),
            (404, "No such delivery"),
        ],
        answer: Answer::Json(schema::<crate::store::webhooks::DeliveryView>),
        ..Route::control(
            "POST",
            "/clusters/{cluster}/webhooks/deliveries/{id}/redeliver",
            handler!(webhooks::redeliver),
        )
    },
    Route {
        summary: "Send a documented change as if it happened (account_update, account_review_update, business_capability_update, phone_number_name_update, phone_number_quality_update, security), its value checked against the field's documented shape",
        body: Some(
            r#"{"field": "account_update", "value": {"event": "ACCOUNT_VIOLATION", "violation_info": {"violation_type": "ADULT"}}}"#,
        ),
        responses: &[
            (200, "{\"delivery\": {…} | null}"),
            (400, "An unknown field, or a value not of its field's shape"),
            (401, "Control token required"),
        ],
        reads: Reads::Object,
        answer: Answer::Json(schema::<answers::EventSent>),
        ..Route::control(
            "POST",
            "/clusters/{cluster}/webhooks/events",
            handler!(webhooks::send_event),
        )
    },
    Route {
        summary: "Decide the review of a number's display name (the change asked with new_display_name, else its current name): APPROVED, REJECTED (with rejection_reason), DEFERRED or PENDING; sends phone_number_name_update",
        body: Some(r#"{"decision": "REJECTED", "rejection_reason": "NAME_FORMAT_UNACCEPTABLE"}"#),
        responses: &[
            (200, "What was decided, and the number's display name now"),
            (
                400,
                "A decision or reason Meta does not document, or no such number",
            ),
            (401, "Control token required"),
        ],
        reads: Reads::Object,
        answer: Answer::Json(schema::<crate::store::names::NameReviewOutcome>),
        ..Route::control(
            "POST",
            "/clusters/{cluster}/cloud/numbers/{id}/name-review",
            handler!(webhooks::name_review),
        )
    },
];
