//! The On-Premises API's rows of the route table: each route with its handler, who may call it
//! and what body it takes.

use super::{account, health, settings, users};
use crate::http::common::route::{Access, Reads, Route, handler};

/// The On-Premises API's routes, below `/v1` and `/clusters/{cluster}/v1`.
pub const ROUTES: &[Route] = &[
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
        ..Route::vendor("POST", "/users/login", handler!(users::login))
    },
    Route {
        access: Access::Token,
        summary: "Revoke the token of this call",
        responses: &[(200, "Revoked"), (401, "Invalid token")],
        ..Route::vendor("POST", "/users/logout", handler!(users::logout))
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
        ..Route::vendor("POST", "/users", handler!(users::create))
    },
    Route {
        access: Access::Admin,
        summary: "Read a user's role",
        responses: &[(200, "The user's role"), (404, "No such user")],
        ..Route::vendor("GET", "/users/{username}", handler!(users::read))
    },
    Route {
        access: Access::Admin,
        summary: "Change a user's password",
        body: Some(r#"{"password": "N3w!passw0rd"}"#),
        responses: &[(200, "Changed"), (404, "No such user")],
        reads: Reads::Json,
        ..Route::vendor("PUT", "/users/{username}", handler!(users::update))
    },
    Route {
        access: Access::Admin,
        summary: "Delete a user (not admin)",
        responses: &[
            (200, "Deleted"),
            (403, "admin cannot be deleted"),
            (404, "No such user"),
        ],
        ..Route::vendor("DELETE", "/users/{username}", handler!(users::delete))
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
        ..Route::vendor("POST", "/account", handler!(account::request_code))
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
        ..Route::vendor("POST", "/account/shards", handler!(account::set_shards))
    },
    Route {
        access: Access::Admin,
        summary: "The number of multiconnect shards",
        responses: &[(200, "{\"account\": {\"shards\": N}}")],
        ..Route::vendor("GET", "/account/shards", handler!(account::get_shards))
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
        ..Route::vendor("POST", "/account/verify", handler!(account::verify))
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
            handler!(settings::set_pin),
        )
    },
    Route {
        access: Access::Admin,
        summary: "Turn two-step verification off",
        responses: &[(200, "Off"), (404, "No registered number")],
        ..Route::vendor(
            "DELETE",
            "/settings/account/two-step",
            handler!(settings::remove_pin),
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
        ..Route::vendor("POST", "/settings/backup", handler!(settings::backup))
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
        ..Route::vendor("POST", "/settings/restore", handler!(settings::restore))
    },
    Route {
        access: Access::Token,
        summary: "Gateway status",
        responses: &[(200, "unregistered, connecting or connected")],
        // Health reports a restart, or no Coreapp serving, rather than being refused for it.
        while_restarting: true,
        ..Route::vendor("GET", "/health", handler!(health::v1))
    },
];
