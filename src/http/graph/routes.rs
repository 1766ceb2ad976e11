//! The Cloud API's rows of the route table: each route with its handler and what it answers.

use super::{numbers, registration, subscriptions};
use crate::http::common::route::{Route, handler};

/// The Cloud API's routes, below `/{version}` and `/clusters/{cluster}/{version}`.
pub const ROUTES: &[Route] = &[
    Route {
        summary: "A phone number (fields: ?fields=id,display_phone_number,…) or the WhatsApp Business Account",
        responses: &[
            (200, "The phone number's fields"),
            (400, "100: no such id, or an unknown field"),
        ],
        ..Route::graph("GET", "/{id}", handler!(numbers::get_object))
    },
    Route {
        summary: "Update a phone number: its two-step verification pin (registered numbers), its webhook override (webhook_configuration, verified first; an empty URI removes it) or a new display name (new_display_name, reviewed: new_name_status PENDING_REVIEW)",
        body: Some(
            r#"{"pin": "123456", "new_display_name": "Acme Shop", "webhook_configuration": {"override_callback_uri": "http://127.0.0.1:8000/number-webhook", "verify_token": "my-token"}}"#,
        ),
        responses: &[
            (200, "{\"success\": true}"),
            (
                400,
                "100: a pin that is not 6 digits, a name not 2 to 75 characters, or no such id (subcode 33); 133010: the number is not registered; 2200: the override did not pass the verification request; 104: no token",
            ),
        ],
        ..Route::graph("POST", "/{id}", handler!(numbers::update_number))
    },
    Route {
        summary: "The apps subscribed to the account's webhooks (the emulated app, once subscribed)",
        responses: &[
            (
                200,
                "{\"data\": [{\"whatsapp_business_api_data\": {\"id\", \"link\", \"name\"}, \"override_callback_uri\"?}]}",
            ),
            (400, "100: not the account's id (subcode 33)"),
        ],
        ..Route::graph(
            "GET",
            "/{id}/subscribed_apps",
            handler!(subscriptions::list),
        )
    },
    Route {
        summary: "Subscribe the app to the account's webhooks (override_callback_uri with verify_token: that URL, verified first)",
        body: Some(
            r#"{"override_callback_uri": "http://127.0.0.1:8000/waba-webhook", "verify_token": "my-token"}"#,
        ),
        responses: &[
            (200, "{\"success\": true}"),
            (
                400,
                "100: not the account's id, a URL the emulator cannot send to; 2200: the override did not pass the verification request",
            ),
        ],
        ..Route::graph(
            "POST",
            "/{id}/subscribed_apps",
            handler!(subscriptions::subscribe),
        )
    },
    Route {
        summary: "Unsubscribe the app from the account's webhooks",
        responses: &[
            (200, "{\"success\": true}"),
            (400, "100: not the account's id (subcode 33)"),
        ],
        ..Route::graph(
            "DELETE",
            "/{id}/subscribed_apps",
            handler!(subscriptions::unsubscribe),
        )
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
];
