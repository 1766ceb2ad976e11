//! The Cloud API's phone-number registration (the Graph surface), over real HTTP: the whole
//! flow, every documented error with its code, message and status, the limits over the virtual
//! 72 hours, tokens, and the same steering (rules, faults, clock) as the On-Premises surface.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, config};

const TOKEN: Option<&str> = Some("EAAG-system-user-token");

/// Adds +1 `phone` to the cluster's account; its id.
async fn add_number(app: &TestApp, phone: &str) -> String {
    let waba = app.cloud().await["waba_id"].as_str().unwrap().to_owned();
    // pywa sends `country_code`; Meta's reference writes `cc`: both are taken.
    let answer = app
        .graph(
            Method::POST,
            &format!("/{waba}/phone_numbers"),
            TOKEN,
            Some(json!({"country_code": "1", "phone_number": phone, "verified_name": "Acme"})),
        )
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    answer.body["id"].as_str().unwrap().to_owned()
}

async fn post(app: &TestApp, path: &str, body: Value) -> crate::helpers::Answer {
    app.graph(Method::POST, path, TOKEN, Some(body)).await
}

async fn fields(app: &TestApp, id: &str) -> Value {
    let answer = app
        .graph(
            Method::GET,
            &format!("/{id}?fields=status,platform_type,code_verification_status,is_pin_enabled"),
            TOKEN,
            None,
        )
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    answer.body
}

/// Requests a code by query string (as pywa does) and verifies it; the code is read from the
/// outbox.
async fn verify_number(app: &TestApp, id: &str, phone: &str) {
    let asked = app
        .graph(
            Method::POST,
            &format!("/{id}/request_code?code_method=SMS&language=en_US"),
            TOKEN,
            None,
        )
        .await;
    assert_eq!(asked.body, json!({"success": true}));
    let code = app.latest_code(phone).await;
    let verified = post(app, &format!("/{id}/verify_code"), json!({"code": code})).await;
    assert_eq!(
        verified.body,
        json!({"success": true}),
        "{:?}",
        verified.body
    );
}

fn register_body(pin: &str) -> Value {
    json!({"messaging_product": "whatsapp", "pin": pin})
}

#[tokio::test]
async fn the_whole_cloud_flow_and_its_errors() {
    let app = TestApp::spawn(config()).await.in_cluster("cloud-flow");
    let id = add_number(&app, "6315550000").await;
    let listed = app
        .graph(
            Method::GET,
            &format!(
                "/{}/phone_numbers",
                app.cloud().await["waba_id"].as_str().unwrap()
            ),
            TOKEN,
            None,
        )
        .await;
    assert_eq!(listed.body["data"][0]["id"], id.as_str());
    assert_eq!(
        listed.body["data"][0]["display_phone_number"],
        "+1 631-555-0000"
    );
    assert_eq!(listed.body["data"][0]["platform_type"], "NOT_APPLICABLE");
    assert!(listed.body["paging"]["cursors"]["after"].is_string());
    assert_eq!(
        fields(&app, &id).await,
        json!({"id": id, "status": "PENDING", "platform_type": "NOT_APPLICABLE",
               "code_verification_status": "NOT_VERIFIED", "is_pin_enabled": false})
    );

    // Registering before the number is verified.
    post(&app, &format!("/{id}/register"), register_body("123456"))
        .await
        .assert_graph_error(
            400,
            133006,
            "(#133006) Phone number re-verification needed",
            "request_code",
        );
    // verify_code before any code.
    post(
        &app,
        &format!("/{id}/verify_code"),
        json!({"code": "123456"}),
    )
    .await
    .assert_graph_error(
        400,
        136025,
        "(#136025) Verify code error",
        "No code was requested",
    );

    let asked = post(
        &app,
        &format!("/{id}/request_code"),
        json!({"code_method": "VOICE", "language": "en"}),
    )
    .await;
    assert_eq!(asked.body, json!({"success": true}));
    // The code is in the same outbox as On-Premises codes, and says which API sent it.
    let sent = app
        .control(
            Method::GET,
            "/clusters/cloud-flow/codes/latest?phone_number=6315550000",
            None,
        )
        .await;
    assert_eq!(sent.body["surface"], "cloud");
    assert_eq!(sent.body["method"], "voice");
    assert_eq!(sent.body["vname"], "Acme");
    let pending = app.cloud().await;
    assert_eq!(
        pending["phone_numbers"][0]["pending_code"]["code"],
        sent.body["code"]
    );
    let code = sent.body["code"].as_str().unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    post(&app, &format!("/{id}/verify_code"), json!({"code": wrong}))
        .await
        .assert_graph_error(400, 136025, "(#136025) Verify code error", "does not match");
    let verified = post(&app, &format!("/{id}/verify_code"), json!({"code": code})).await;
    assert_eq!(verified.body, json!({"success": true}));
    assert_eq!(
        fields(&app, &id).await["code_verification_status"],
        "VERIFIED"
    );

    let registered = post(&app, &format!("/{id}/register"), register_body("123456")).await;
    assert_eq!(
        registered.body,
        json!({"success": true}),
        "{:?}",
        registered.body
    );
    assert_eq!(
        fields(&app, &id).await,
        json!({"id": id, "status": "CONNECTED", "platform_type": "CLOUD_API",
               "code_verification_status": "VERIFIED", "is_pin_enabled": true})
    );
    // No new code for a registered number.
    post(
        &app,
        &format!("/{id}/request_code"),
        json!({"code_method": "SMS", "language": "en"}),
    )
    .await
    .assert_graph_error(400, 136024, "(#136024) Request code error", "deregister");

    // Two-step verification: POST /{id} {"pin"} changes the pin.
    let set = post(&app, &format!("/{id}"), json!({"pin": "654321"})).await;
    assert_eq!(set.body, json!({"success": true}));
    post(&app, &format!("/{id}/register"), register_body("123456"))
        .await
        .assert_graph_error(
            400,
            133005,
            "(#133005) Two step verification PIN Mismatch",
            "pin",
        );
    // Right after a wrong pin, even the right one is refused as guessed too fast.
    post(&app, &format!("/{id}/register"), register_body("654321"))
        .await
        .assert_graph_error(
            400,
            133009,
            "(#133009) Two step verification PIN Guessed Too Fast",
            "10 seconds",
        );
    app.advance_clock(10).await;
    assert_eq!(
        post(&app, &format!("/{id}/register"), register_body("654321"))
            .await
            .body,
        json!({"success": true})
    );

    let gone = post(&app, &format!("/{id}/deregister"), json!({})).await;
    assert_eq!(gone.body, json!({"success": true}));
    assert_eq!(fields(&app, &id).await["status"], "DISCONNECTED");
    post(&app, &format!("/{id}/deregister"), json!({}))
        .await
        .assert_graph_error(
            400,
            133010,
            "(#133010) Account not registered",
            "not registered",
        );
    post(&app, &format!("/{id}"), json!({"pin": "111111"}))
        .await
        .assert_graph_error(
            400,
            133010,
            "(#133010) Account not registered",
            "register it first",
        );
    post(&app, &format!("/{id}/register"), register_body("654321"))
        .await
        .assert_graph_error(
            400,
            133015,
            "(#133015) Please wait a few minutes before attempting to register this phone number",
            "5 minutes",
        );
    app.advance_clock(5 * 60).await;
    assert_eq!(
        post(&app, &format!("/{id}/register"), register_body("654321"))
            .await
            .body,
        json!({"success": true})
    );
}

#[tokio::test]
async fn register_and_deregister_are_limited_to_10_in_72_hours_then_blocked_for_72() {
    let app = TestApp::spawn(config()).await.in_cluster("cloud-limits");
    let id = add_number(&app, "6315550001").await;
    verify_number(&app, &id, "6315550001").await;
    for i in 0..10 {
        let answer = post(&app, &format!("/{id}/register"), register_body("123456")).await;
        assert_eq!(answer.status, 200, "register {i}: {:?}", answer.body);
        app.advance_clock(3600).await;
    }
    let blocked = post(&app, &format!("/{id}/register"), register_body("123456")).await;
    blocked.assert_graph_error(
        400,
        133016,
        "(#133016) Account register deregister rate limit exceeded",
        "blocked",
    );
    assert_eq!(blocked.reason(), "cloud.rate_limit.register");
    // The block covers deregistering too, and shows in the control API.
    post(&app, &format!("/{id}/deregister"), json!({}))
        .await
        .assert_graph_error(
            400,
            133016,
            "(#133016) Account register deregister rate limit exceeded",
            "blocked",
        );
    assert!(app.cloud().await["phone_numbers"][0]["blocked_until"].is_string());
    app.advance_clock(72 * 3600).await;
    assert_eq!(
        post(&app, &format!("/{id}/register"), register_body("123456"))
            .await
            .status,
        200
    );

    // Deregister requests are counted apart: ten, then the eleventh blocks.
    let other = app.in_cluster("cloud-limits-deregister");
    let id = add_number(&other, "6315550002").await;
    for _ in 0..10 {
        post(&other, &format!("/{id}/deregister"), json!({}))
            .await
            .assert_graph_error(400, 133010, "(#133010) Account not registered", "register");
    }
    let blocked = post(&other, &format!("/{id}/deregister"), json!({})).await;
    blocked.assert_graph_error(
        400,
        133016,
        "(#133016) Account register deregister rate limit exceeded",
        "deregister",
    );
    assert_eq!(blocked.reason(), "cloud.rate_limit.deregister");
}

#[tokio::test]
async fn an_expired_code_is_refused_and_shown_expired() {
    let app = TestApp::spawn(config()).await.in_cluster("cloud-expiry");
    let id = add_number(&app, "6315550003").await;
    post(
        &app,
        &format!("/{id}/request_code"),
        json!({"code_method": "SMS", "language": "en"}),
    )
    .await;
    let code = app.latest_code("6315550003").await;
    app.advance_clock(11 * 60).await;
    assert_eq!(
        fields(&app, &id).await["code_verification_status"],
        "EXPIRED"
    );
    post(&app, &format!("/{id}/verify_code"), json!({"code": code}))
        .await
        .assert_graph_error(400, 136025, "(#136025) Verify code error", "expired");
}

#[tokio::test]
async fn parameters_ids_and_fields_that_are_not_valid_are_100() {
    let app = TestApp::spawn(config()).await.in_cluster("cloud-params");
    let id = add_number(&app, "6315550004").await;
    let unknown = post(&app, "/123456789012345/register", register_body("123456")).await;
    unknown.assert_core_graph_error(
        400,
        100,
        Some(33),
        "GraphMethodException",
        "Unsupported post request. Object with ID '123456789012345' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api",
        "No phone number",
    );
    // A parameter missing, in Meta's words; one that is not valid, with what to send.
    let invalid = "(#100) Invalid parameter";
    let required = |name: &str| format!("(#100) The parameter {name} is required.");
    for (body, message, needle) in [
        (
            json!({"pin": "123456"}),
            required("messaging_product"),
            "messaging_product",
        ),
        (
            json!({"messaging_product": "sms", "pin": "123456"}),
            invalid.to_owned(),
            "whatsapp",
        ),
        (
            json!({"messaging_product": "whatsapp", "pin": "12345"}),
            invalid.to_owned(),
            "6-digit",
        ),
        (
            json!({"messaging_product": "whatsapp"}),
            required("pin"),
            "pin",
        ),
        (
            json!({"messaging_product": "whatsapp", "pin": "123456", "data_localization_region": "india"}),
            invalid.to_owned(),
            "AU, ID, IN",
        ),
        (
            json!({"messaging_product": "whatsapp", "pin": "123456", "backup": {"data": "x"}}),
            invalid.to_owned(),
            "password",
        ),
    ] {
        post(&app, &format!("/{id}/register"), body)
            .await
            .assert_graph_error(400, 100, &message, needle);
    }
    post(
        &app,
        &format!("/{id}/request_code"),
        json!({"code_method": "FAX", "language": "en"}),
    )
    .await
    .assert_graph_error(400, 100, "(#100) Invalid parameter", "SMS, VOICE");
    post(
        &app,
        &format!("/{id}/request_code"),
        json!({"code_method": "SMS"}),
    )
    .await
    .assert_graph_error(400, 100, &required("language"), "language");
    post(&app, &format!("/{id}/verify_code"), json!({"code": "12"}))
        .await
        .assert_graph_error(400, 100, "(#100) Invalid parameter", "6 digits");
    // Graph refuses the whole read for one unknown field, in its own words, no error_data.
    app.graph(Method::GET, &format!("/{id}?fields=id,colour"), TOKEN, None)
        .await
        .assert_core_graph_error(
            400,
            100,
            None,
            "OAuthException",
            "(#100) Tried accessing nonexisting field (colour) on node type (WhatsAppBusinessPhoneNumber)",
            "verified_name",
        );
    let waba = app.cloud().await["waba_id"].as_str().unwrap().to_owned();
    post(
        &app,
        &format!("/{waba}/phone_numbers"),
        json!({"cc": "999", "phone_number": "1", "verified_name": "x"}),
    )
    .await
    .assert_graph_error(400, 100, "(#100) Invalid parameter", "country calling code");
    post(
        &app,
        &format!("/{waba}/phone_numbers"),
        json!({"cc": "1", "phone_number": "6315550004"}),
    )
    .await
    .assert_graph_error(400, 100, &required("verified_name"), "verified_name");
    // A body that is not JSON.
    let broken = app
        .send(
            app.client
                .post(format!(
                    "{}/clusters/cloud-params/v23.0/{id}/register",
                    app.base
                ))
                .bearer_auth("t")
                .header("content-type", "application/json")
                .body("{not json"),
        )
        .await;
    broken.assert_graph_error(400, 100, "(#100) Invalid parameter", "not valid JSON");
    // A path below a Graph version that no route has.
    let nowhere = app
        .graph(Method::GET, &format!("/{id}/messages/x"), TOKEN, None)
        .await;
    assert_eq!(nowhere.status, 400);
    assert_eq!(nowhere.body["error"]["code"], 2500);
    // The same number added again keeps its id; GET of the account answers it.
    assert_eq!(add_number(&app, "6315550004").await, id);
    let account = app
        .graph(Method::GET, &format!("/{waba}"), TOKEN, None)
        .await;
    assert_eq!(account.body["id"], waba.as_str());
}

#[tokio::test]
async fn tokens_any_by_default_or_only_the_graph_token() {
    let app = TestApp::spawn(config()).await.in_cluster("cloud-tokens");
    let id = add_number(&app, "6315550005").await;
    let none = app.graph(Method::GET, &format!("/{id}"), None, None).await;
    none.assert_core_graph_error(
        400,
        104,
        None,
        "OAuthException",
        "An access token is required to request this resource.",
        "Bearer",
    );
    // The token in the query string, as Graph also takes it.
    let queried = app
        .graph(
            Method::GET,
            &format!("/{id}?access_token=anything"),
            None,
            None,
        )
        .await;
    assert_eq!(queried.status, 200, "{:?}", queried.body);

    let strict = TestApp::spawn(config().graph_token("s3cret-graph-token")).await;
    let waba = strict.cloud().await["waba_id"].as_str().unwrap().to_owned();
    strict
        .graph(
            Method::GET,
            &format!("/{waba}/phone_numbers"),
            Some("another"),
            None,
        )
        .await
        .assert_core_graph_error(
            401,
            190,
            None,
            "OAuthException",
            "Invalid OAuth access token - Cannot parse access token",
            "--graph-token",
        );
    let right = strict
        .graph(
            Method::GET,
            &format!("/{waba}/phone_numbers"),
            Some("s3cret-graph-token"),
            None,
        )
        .await;
    assert_eq!(right.status, 200, "{:?}", right.body);
}

#[tokio::test]
async fn cloud_rules_and_graph_faults_force_outcomes_for_a_number() {
    let app = TestApp::spawn(config()).await.in_cluster("cloud-steer");
    let id = add_number(&app, "6315550006").await;
    let rules = json!({"policy": "scripted", "rules": [
        {"name": "cloud-blocked", "surface": "cloud", "operation": "register", "cc": "1",
         "phone_number": "6315550006", "outcome": "error", "status": 400, "code": 133016,
         "details": "forced by a rule"},
        {"surface": "cloud", "operation": "verify_code", "prefix": "1631", "outcome": "error",
         "status": 400, "code": 136025, "details": "no verification today"}
    ]});
    let put = app
        .control(Method::PUT, "/clusters/cloud-steer/policy", Some(rules))
        .await;
    assert_eq!(put.status, 200, "{:?}", put.body);
    let forced = post(&app, &format!("/{id}/register"), register_body("123456")).await;
    forced.assert_graph_error(
        400,
        133016,
        "(#133016) Account register deregister rate limit exceeded",
        "forced by a rule",
    );
    assert_eq!(forced.reason(), "scripted.cloud-blocked");
    post(
        &app,
        &format!("/{id}/verify_code"),
        json!({"code": "123456"}),
    )
    .await
    .assert_graph_error(
        400,
        136025,
        "(#136025) Verify code error",
        "no verification today",
    );
    // Cloud rules leave the On-Premises API alone, and a bad one is refused with its reason.
    let bad = app
        .control(
            Method::PUT,
            "/clusters/cloud-steer/policy",
            Some(json!({"policy": "scripted", "rules": [{"surface": "cloud", "operation": "fly", "outcome": "classic"}]})),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.body.to_string().contains("request_code"),
        "{:?}",
        bad.body
    );

    // A fault armed on a Graph path, whatever version the client uses.
    let armed = app
        .control(
            Method::POST,
            "/clusters/cloud-steer/faults",
            Some(json!([{"route": format!("/v19.0/{id}/request_code"), "fault": {"type": "error", "status": 400, "code": 136024, "details": "carrier down"}}])),
        )
        .await;
    assert_eq!(armed.status, 200, "{:?}", armed.body);
    let faulted = post(
        &app,
        &format!("/{id}/request_code"),
        json!({"code_method": "SMS", "language": "en"}),
    )
    .await;
    faulted.assert_graph_error(400, 136024, "(#136024) Request code error", "carrier down");
    assert_eq!(faulted.reason(), "fault.armed");
    // Fired once: the next request is the route's own, and the journal has both.
    let again = post(
        &app,
        &format!("/{id}/request_code"),
        json!({"code_method": "SMS", "language": "en"}),
    )
    .await;
    assert_eq!(again.status, 200, "{:?}", again.body);
    let journal = app
        .control(Method::GET, "/clusters/cloud-steer/requests", None)
        .await;
    let paths: Vec<&str> = journal.body["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert!(
        paths.contains(&format!("/v23.0/{id}/request_code").as_str()),
        "{paths:?}"
    );
}

#[tokio::test]
async fn clusters_have_their_own_account_and_numbers() {
    let app = TestApp::spawn(config()).await;
    let a = app.in_cluster("cloud-a");
    let b = app.in_cluster("cloud-b");
    let id = add_number(&a, "6315550007").await;
    assert_ne!(a.cloud().await["waba_id"], b.cloud().await["waba_id"]);
    assert_eq!(b.cloud().await["phone_numbers"], json!([]));
    b.graph(Method::GET, &format!("/{id}"), TOKEN, None)
        .await
        .assert_core_graph_error(400, 100, Some(33), "GraphMethodException", &format!("Unsupported get request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"), "cluster");
    // A reset empties the account.
    let reset = a
        .control(Method::POST, "/clusters/cloud-a/reset", None)
        .await;
    assert_eq!(reset.status, 200);
    assert_eq!(a.cloud().await["phone_numbers"], json!([]));
}

#[tokio::test]
async fn the_example_rules_file_forces_a_cloud_outcome_and_leaves_on_premises_alone() {
    let rules = concat!(env!("CARGO_MANIFEST_DIR"), "/rules.example.toml");
    let app = TestApp::spawn(
        config()
            .policy(wa_onprem_emulator::policy::PolicyKind::Scripted)
            .rules(rules),
    )
    .await
    .in_cluster("cloud-example-rules");
    let id = add_number(&app, "6315550190").await;
    let forced = post(&app, &format!("/{id}/register"), register_body("123456")).await;
    forced.assert_graph_error(
        400,
        133016,
        "(#133016) Account register deregister rate limit exceeded",
        "rules.example.toml",
    );
    assert_eq!(forced.reason(), "scripted.cloud-blocked");
    // The same number on the On-Premises API: the classic flow.
    let token = app.admin_token().await;
    let cert = app.cert("Acme").await;
    assert_eq!(
        app.request_code(&token, "6315550190", "sms", &cert)
            .await
            .status,
        202
    );
}

/// The Graph routes answer behind the other surfaces' (they are asked only for paths those do
/// not have): a Graph path asked with a method it does not take is Graph's "Unsupported put
/// request" (400, 100 / 33), a path below a Graph version that no route has is Graph's "Unknown
/// path components" (400, 2500), at `/{version}` and below a cluster, and `/v1/...` paths the
/// vendor API does not have stay its 404.
#[tokio::test]
async fn graph_paths_are_routed_after_the_others() {
    let app = TestApp::spawn(config()).await;
    let id = add_number(&app, "6315551234").await;
    let wrong_method = app
        .graph(Method::PUT, &format!("/{id}/register"), TOKEN, None)
        .await;
    wrong_method.assert_core_graph_error(
        400,
        100,
        Some(33),
        "GraphMethodException",
        &format!("Unsupported put request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"),
        id.as_str(),
    );
    for base in [String::new(), format!("/clusters/{}", app.cluster)] {
        let unknown = app
            .send(
                app.client
                    .get(format!("{}{base}/v23.0/{id}/nothing/here", app.base))
                    .bearer_auth(TOKEN.unwrap()),
            )
            .await;
        assert_eq!(unknown.status, 400, "{:?}", unknown.body);
        assert_eq!(unknown.body["error"]["code"], 2500, "{:?}", unknown.body);
    }
    let token = app.admin_token().await;
    app.get("/nowhere/at/all", &token)
        .await
        .assert_error(404, 1006, "/v1/nowhere/at/all");
}
