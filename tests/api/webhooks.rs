//! Webhooks over real HTTP with a real receiver: the app's endpoint is an axum server of the
//! test's own on a real socket, which answers Meta's verification request and records every
//! delivery (headers and exact bytes). The signatures are checked here with ring, from the
//! bytes received, independently of the emulator. Sources: `docs/src/webhooks.md`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, config};

const TOKEN: &str = "EAAG-webhooks-token";
const SECRET: &str = "app-secret-0123456789";
const VERIFY: &str = "my-verify-token";

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: HeaderMap,
    body: Bytes,
}

/// What the receiver's handlers share: the requests got, the statuses to answer.
type Shared = (Arc<Mutex<Vec<Received>>>, Arc<Mutex<Vec<u16>>>);

/// The app's webhook endpoint: answers the verification request when the verify token is
/// `VERIFY`, and each delivery with the next of `statuses` (the last one repeated).
#[derive(Clone)]
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
    statuses: Arc<Mutex<Vec<u16>>>,
}

impl Receiver {
    async fn start(statuses: &[u16]) -> Self {
        let got = Arc::new(Mutex::new(Vec::new()));
        let statuses = Arc::new(Mutex::new(statuses.to_vec()));
        let state = (got.clone(), statuses.clone());
        let app = axum::Router::new()
            .route(
                "/webhook",
                get(|uri: axum::http::Uri| async move {
                    let q: std::collections::HashMap<String, String> =
                        serde_urlencoded::from_str(uri.query().unwrap_or_default()).unwrap();
                    if q.get("hub.mode").map(String::as_str) == Some("subscribe")
                        && q.get("hub.verify_token").map(String::as_str) == Some(VERIFY)
                    {
                        (StatusCode::OK, q["hub.challenge"].clone())
                    } else {
                        (StatusCode::FORBIDDEN, "wrong verify token".to_owned())
                    }
                })
                .post(
                    |State((got, statuses)): State<Shared>,
                     headers: HeaderMap,
                     body: Bytes| async move {
                        got.lock().unwrap().push(Received { headers, body });
                        let mut statuses = statuses.lock().unwrap();
                        let status = if statuses.len() > 1 {
                            statuses.remove(0)
                        } else {
                            statuses[0]
                        };
                        StatusCode::from_u16(status).unwrap()
                    },
                ),
            )
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/webhook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, got, statuses }
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    fn answer_with(&self, status: u16) {
        *self.statuses.lock().unwrap() = vec![status];
    }
}

/// The hex HMAC of `body` keyed with `key`, as an app computes it from the bytes it received.
fn hmac_hex(algorithm: ring::hmac::Algorithm, key: &str, body: &[u8]) -> String {
    let key = ring::hmac::Key::new(algorithm, key.as_bytes());
    ring::hmac::sign(&key, body)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn put_webhook(app: &TestApp, body: Value) -> crate::helpers::Answer {
    app.control(
        Method::PUT,
        &format!("/clusters/{}/webhooks", app.cluster),
        Some(body),
    )
    .await
}

async fn deliveries(app: &TestApp, query: &str) -> Value {
    let answer = app
        .control(
            Method::GET,
            &format!("/clusters/{}/webhooks/deliveries?{query}", app.cluster),
            None,
        )
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    answer.body
}

async fn waba(app: &TestApp) -> String {
    app.waba_id().await
}

async fn add_number(app: &TestApp, phone: &str) -> String {
    app.add_cloud_number(TOKEN, phone).await
}

/// `POST …/webhooks/events` of `app`'s cluster with `body`.
async fn send_event(app: &TestApp, body: Value) -> crate::helpers::Answer {
    app.control(
        Method::POST,
        &format!("/clusters/{}/webhooks/events", app.cluster),
        Some(body),
    )
    .await
}

/// `GET /{id}?fields=…` with the test's token.
async fn read_fields(app: &TestApp, id: &str, fields: &str) -> crate::helpers::Answer {
    app.graph(
        Method::GET,
        &format!("/{id}?fields={fields}"),
        Some(TOKEN),
        None,
    )
    .await
}

/// Meta's reviewers decide number `id`'s display name in `app`'s cluster.
async fn review(app: &TestApp, id: &str, body: Value) -> crate::helpers::Answer {
    app.control(
        Method::POST,
        &format!("/clusters/{}/cloud/numbers/{id}/name-review", app.cluster),
        Some(body),
    )
    .await
}

/// `METHOD /{waba}/subscribed_apps` with the test's token, answered with Graph's success.
async fn subscribed_apps(app: &TestApp, method: Method, waba: &str) {
    app.graph(
        method,
        &format!("/{waba}/subscribed_apps"),
        Some(TOKEN),
        None,
    )
    .await
    .assert_graph_success();
}

/// Sets the app's webhook to `receiver` (with `more` keys: fields, signature) and subscribes the
/// app to the account; the account's id.
async fn hooked(app: &TestApp, receiver: &Receiver, more: Value) -> String {
    let mut body =
        json!({"callback_url": receiver.url, "verify_token": VERIFY, "app_secret": SECRET});
    body.as_object_mut()
        .unwrap()
        .extend(more.as_object().cloned().unwrap_or_default());
    let kept = put_webhook(app, body).await;
    assert_eq!(kept.status, 200, "{:?}", kept.body);
    let waba = waba(app).await;
    subscribed_apps(app, Method::POST, &waba).await;
    waba
}

async fn register(app: &TestApp, id: &str, phone: &str) {
    for (path, body) in [
        (
            "request_code",
            json!({"code_method": "SMS", "language": "en_US"}),
        ),
        ("verify_code", json!({"code": "654321"})),
    ] {
        let body = if path == "verify_code" {
            json!({"code": app.latest_code(phone).await})
        } else {
            body
        };
        app.graph(
            Method::POST,
            &format!("/{id}/{path}"),
            Some(TOKEN),
            Some(body),
        )
        .await
        .assert_graph_success();
    }
    app.graph(
        Method::POST,
        &format!("/{id}/register"),
        Some(TOKEN),
        Some(json!({"messaging_product": "whatsapp", "pin": "123456"})),
    )
    .await
    .assert_graph_success();
}

#[tokio::test]
async fn the_verification_request_decides_whether_the_webhook_is_kept() {
    let app = TestApp::spawn(config()).await.in_cluster("handshake");
    let receiver = Receiver::start(&[200]).await;
    let kept = put_webhook(
        &app,
        json!({"callback_url": receiver.url, "verify_token": VERIFY, "app_secret": SECRET}),
    )
    .await;
    assert_eq!(kept.status, 200, "{:?}", kept.body);
    assert_eq!(kept.body["callback_url"], receiver.url.as_str());
    assert_eq!(kept.body["app_secret"], "<redacted>");
    assert_eq!(kept.body["subscribed"], false);
    assert_eq!(kept.body["fields"].as_array().unwrap().len(), 6);

    // A wrong token: the endpoint answers 403; 400 with what came back, nothing changes.
    let refused = put_webhook(
        &app,
        json!({"callback_url": format!("{}?x=1", receiver.url), "verify_token": "nope", "app_secret": "other"}),
    )
    .await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    let text = refused.body.to_string();
    assert!(text.contains("HTTP Status Code = 403"), "{text}");
    assert!(text.contains("wrong verify token"), "{text}");
    let shown = app
        .control(Method::GET, "/clusters/handshake/webhooks", None)
        .await;
    assert_eq!(shown.body["callback_url"], receiver.url.as_str());

    // Nobody listening, an https URL, an unknown field: 400 saying what to fix.
    let port = crate::helpers::free_port();
    let closed = put_webhook(
        &app,
        json!({"callback_url": format!("http://127.0.0.1:{port}/hook"), "verify_token": VERIFY, "app_secret": SECRET}),
    )
    .await;
    assert_eq!(closed.status, 400);
    assert!(
        closed.body.to_string().contains("could not connect"),
        "{:?}",
        closed.body
    );
    let https = put_webhook(
        &app,
        json!({"callback_url": "https://example.com/hook", "verify_token": VERIFY, "app_secret": SECRET}),
    )
    .await;
    assert_eq!(https.status, 400);
    assert!(
        https.body.to_string().contains("plain http"),
        "{:?}",
        https.body
    );
    let unknown = put_webhook(
        &app,
        json!({"callback_url": receiver.url, "verify_token": VERIFY, "app_secret": SECRET, "fields": ["messages"]}),
    )
    .await;
    assert_eq!(unknown.status, 400);
    assert!(
        unknown
            .body
            .to_string()
            .contains("phone_number_name_update"),
        "{:?}",
        unknown.body
    );

    // DELETE removes it.
    let deleted = app
        .control(Method::DELETE, "/clusters/handshake/webhooks", None)
        .await;
    assert_eq!(deleted.body["deleted"], true);
    let gone = app
        .control(Method::GET, "/clusters/handshake/webhooks", None)
        .await;
    assert_eq!(gone.status, 404);
}

#[tokio::test]
async fn a_registration_and_a_name_review_arrive_signed_once_the_app_subscribes() {
    let app = TestApp::spawn(config().fixed_code("654321"))
        .await
        .in_cluster("onboarding");
    let receiver = Receiver::start(&[200]).await;
    put_webhook(
        &app,
        json!({"callback_url": receiver.url, "verify_token": VERIFY, "app_secret": SECRET}),
    )
    .await;
    let waba = waba(&app).await;
    let first = add_number(&app, "6315550101").await;

    // Not subscribed yet: journaled with why, nothing sent.
    register(&app, &first, "6315550101").await;
    let journal = deliveries(&app, "").await;
    let not_sent = &journal["deliveries"][0];
    assert_eq!(not_sent["status"], "not_subscribed", "{journal}");
    assert!(
        not_sent["reason"]
            .as_str()
            .unwrap()
            .contains("subscribed_apps"),
        "{not_sent}"
    );
    assert!(receiver.received().is_empty());

    // Graph's subscription edge.
    let none = app
        .graph(
            Method::GET,
            &format!("/{waba}/subscribed_apps"),
            Some(TOKEN),
            None,
        )
        .await;
    assert_eq!(none.body, json!({"data": []}));
    subscribed_apps(&app, Method::POST, &waba).await;
    let listed = app
        .graph(
            Method::GET,
            &format!("/{waba}/subscribed_apps"),
            Some(TOKEN),
            None,
        )
        .await;
    let data = &listed.body["data"][0]["whatsapp_business_api_data"];
    assert!(data["id"].is_string() && data["link"].is_string() && data["name"].is_string());

    // A name change with non-ASCII, reviewed and approved.
    let second = add_number(&app, "6315550102").await;
    app.graph(
        Method::POST,
        &format!("/{second}"),
        Some(TOKEN),
        Some(json!({"new_display_name": "Caffè Acme"})),
    )
    .await
    .assert_graph_success();
    let pending = read_fields(
        &app,
        &second,
        "new_display_name,new_name_status,verified_name",
    )
    .await;
    assert_eq!(pending.body["new_name_status"], "PENDING_REVIEW");
    assert_eq!(pending.body["new_display_name"], "Caffè Acme");
    let decided = review(&app, &second, json!({"decision": "APPROVED"})).await;
    assert_eq!(decided.status, 200, "{:?}", decided.body);
    assert_eq!(decided.body["applies_at_next_registration"], true);
    let held = deliveries(
        &app,
        "field=phone_number_name_update&status=delivered&at_least=1&wait=10",
    )
    .await;
    assert_eq!(held["reached"], true, "{held}");
    let delivery = &held["deliveries"][0];

    // What the app received: the exact bytes journaled, signed with the app secret.
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    let received = &got[0];
    assert_eq!(received.body, delivery["body"].as_str().unwrap().as_bytes());
    assert_eq!(received.headers["content-type"], "application/json");
    assert_eq!(
        received.headers["x-hub-signature-256"],
        format!(
            "sha256={}",
            hmac_hex(ring::hmac::HMAC_SHA256, SECRET, &received.body)
        )
        .as_str()
    );
    assert_eq!(
        received.headers["x-hub-signature"],
        format!(
            "sha1={}",
            hmac_hex(
                ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
                SECRET,
                &received.body
            )
        )
        .as_str()
    );
    let text = std::str::from_utf8(&received.body).unwrap();
    assert!(
        text.contains(r#""requested_verified_name":"Caff\u00e8 Acme""#),
        "{text}"
    );
    let body: Value = serde_json::from_slice(&received.body).unwrap();
    assert_eq!(body["object"], "whatsapp_business_account");
    assert_eq!(body["entry"][0]["id"], waba.as_str());
    assert!(body["entry"][0]["time"].is_u64());
    let change = &body["entry"][0]["changes"][0];
    assert_eq!(change["field"], "phone_number_name_update");
    assert_eq!(
        change["value"],
        json!({"display_phone_number": "16315550102", "decision": "APPROVED", "requested_verified_name": "Caffè Acme", "rejection_reason": null})
    );

    // Approved: the name is the number's once it registers, with ONBOARDING sent.
    register(&app, &second, "6315550102").await;
    let renamed = read_fields(&app, &second, "verified_name,new_name_status,name_status").await;
    assert_eq!(renamed.body["verified_name"], "Caffè Acme");
    assert_eq!(renamed.body["new_name_status"], "NONE");
    assert_eq!(renamed.body["name_status"], "APPROVED");
    let onboarding = deliveries(
        &app,
        "field=phone_number_quality_update&status=delivered&at_least=1&wait=10",
    )
    .await;
    let value: Value =
        serde_json::from_str(onboarding["deliveries"][0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        value["entry"][0]["changes"][0]["value"]["event"],
        "ONBOARDING"
    );

    // A rejection names its reason; an undocumented decision is refused.
    let rejected = review(
        &app,
        &first,
        json!({"decision": "REJECTED", "rejection_reason": "NAME_FORMAT_UNACCEPTABLE"}),
    )
    .await;
    assert_eq!(rejected.status, 200, "{:?}", rejected.body);
    let status = read_fields(&app, &first, "name_status").await;
    assert_eq!(status.body["name_status"], "DECLINED");
    let wrong = review(&app, &first, json!({"decision": "MAYBE"})).await;
    assert_eq!(wrong.status, 400);
    assert!(
        wrong.body.to_string().contains("DEFERRED"),
        "{:?}",
        wrong.body
    );

    // Unsubscribed: nothing more is sent.
    subscribed_apps(&app, Method::DELETE, &waba).await;
    let after = app
        .graph(
            Method::GET,
            &format!("/{waba}/subscribed_apps"),
            Some(TOKEN),
            None,
        )
        .await;
    assert_eq!(after.body, json!({"data": []}));
}

#[tokio::test]
async fn retries_follow_the_clusters_clock_and_stop_after_seven_days() {
    let app = TestApp::spawn(config().webhook_timeout(Duration::from_millis(500)))
        .await
        .in_cluster("retries");
    let receiver = Receiver::start(&[500]).await;
    hooked(
        &app,
        &receiver,
        json!({"fields": ["security", "account_update"]}),
    )
    .await;
    let event = |event: &str| json!({"field": "security", "value": {"display_phone_number": "16315550101", "event": event}});
    let sent = send_event(&app, event("PIN_CHANGED")).await;
    assert_eq!(sent.status, 200, "{:?}", sent.body);
    let id = sent.body["delivery"]["id"].as_u64().unwrap();
    let retrying = deliveries(&app, "status=retrying&at_least=1&wait=10").await;
    let d = &retrying["deliveries"][0];
    assert_eq!(d["attempts"][0]["status"], 500, "{d}");
    assert!(d["next_attempt_at"].is_string());

    // The endpoint recovers; advancing the clock past the pause drives the retry.
    receiver.answer_with(200);
    app.advance_clock(15).await;
    let delivered = deliveries(&app, "status=delivered&at_least=1&wait=10").await;
    let d = &delivered["deliveries"][0];
    assert_eq!(d["id"], id);
    assert_eq!(d["attempts"].as_array().unwrap().len(), 2, "{d}");
    assert_eq!(receiver.received().len(), 2);
    assert_eq!(receiver.received()[0].body, receiver.received()[1].body);

    // A dead endpoint: retried until seven days have passed since the first attempt.
    receiver.answer_with(503);
    send_event(&app, event("PIN_RESET_REQUEST")).await;
    deliveries(&app, "status=retrying&at_least=1&wait=10").await;
    app.advance_clock(8 * 24 * 3600).await;
    let failed = deliveries(&app, "status=failed&at_least=1&wait=10").await;
    assert_eq!(failed["reached"], true, "{failed}");
    assert!(
        failed["deliveries"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("7 days")
    );

    // Redelivered by hand, the same bytes; a field the app did not take is not sent.
    receiver.answer_with(200);
    let failed_id = failed["deliveries"][0]["id"].as_u64().unwrap();
    let again = app
        .control(
            Method::POST,
            &format!("/clusters/retries/webhooks/deliveries/{failed_id}/redeliver"),
            None,
        )
        .await;
    assert_eq!(again.status, 200, "{:?}", again.body);
    let redelivered = deliveries(&app, "status=delivered&at_least=2&wait=10").await;
    assert_eq!(redelivered["reached"], true);
    let skipped = send_event(
        &app,
        json!({"field": "account_review_update", "value": {"decision": "APPROVED"}}),
    )
    .await;
    assert_eq!(skipped.body["delivery"]["status"], "not_subscribed");
    assert!(
        skipped.body["delivery"]["reason"]
            .as_str()
            .unwrap()
            .contains("do not include account_review_update")
    );
}

#[tokio::test]
async fn bad_events_are_refused_naming_what_is_known() {
    let app = TestApp::spawn(config()).await.in_cluster("events");
    let unknown = send_event(&app, json!({"field": "messages", "value": {}})).await;
    assert_eq!(unknown.status, 400);
    assert!(
        unknown.body.to_string().contains("account_update"),
        "{:?}",
        unknown.body
    );
    let shape = send_event(
        &app,
        json!({"field": "account_update", "value": {"event": "ACCOUNT_VIOLATION"}}),
    )
    .await;
    assert_eq!(shape.status, 400);
    assert!(
        shape.body.to_string().contains("violation_info"),
        "{:?}",
        shape.body
    );
    // A cluster without webhooks builds nothing.
    let off = send_event(
        &app,
        json!({"field": "account_update", "value": {"event": "ACCOUNT_DELETED"}}),
    )
    .await;
    assert_eq!(off.status, 200);
    assert_eq!(off.body["delivery"], Value::Null);
    assert_eq!(deliveries(&app, "").await["deliveries"], json!([]));
}

#[tokio::test]
async fn signature_modes_send_what_an_app_must_refuse() {
    let app = TestApp::spawn(config()).await.in_cluster("signatures");
    let receiver = Receiver::start(&[200]).await;
    let waba = waba(&app).await;
    subscribed_apps(&app, Method::POST, &waba).await;
    for (i, mode) in ["missing", "wrong_secret", "tampered"]
        .into_iter()
        .enumerate()
    {
        put_webhook(
            &app,
            json!({"callback_url": receiver.url, "verify_token": VERIFY, "app_secret": SECRET, "signature": mode}),
        )
        .await;
        send_event(
            &app,
            json!({"field": "account_update", "value": {"event": "ACCOUNT_DELETED"}}),
        )
        .await;
        deliveries(
            &app,
            &format!("status=delivered&at_least={}&wait=10", i + 1),
        )
        .await;
        let got = receiver.received();
        let last = got.last().unwrap();
        let good = format!(
            "sha256={}",
            hmac_hex(ring::hmac::HMAC_SHA256, SECRET, &last.body)
        );
        match mode {
            "missing" => assert!(!last.headers.contains_key("x-hub-signature-256")),
            _ => assert_ne!(last.headers["x-hub-signature-256"], good.as_str(), "{mode}"),
        }
    }
}

#[tokio::test]
async fn a_numbers_override_gets_its_changes() {
    let app = TestApp::spawn(config().fixed_code("654321"))
        .await
        .in_cluster("override");
    let app_hook = Receiver::start(&[200]).await;
    let number_hook = Receiver::start(&[200]).await;
    put_webhook(
        &app,
        json!({"callback_url": app_hook.url, "verify_token": VERIFY, "app_secret": SECRET}),
    )
    .await;
    let waba = waba(&app).await;
    let id = add_number(&app, "6315550111").await;
    // An override that fails verification: Graph's 2200, nothing kept.
    let refused = app
        .graph(
            Method::POST,
            &format!("/{id}"),
            Some(TOKEN),
            Some(json!({"webhook_configuration": {"override_callback_uri": number_hook.url, "verify_token": "wrong"}})),
        )
        .await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    assert_eq!(refused.body["error"]["code"], 2200);
    assert_eq!(refused.body["error"]["type"], "OAuthException");
    assert!(
        refused.body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("(#2200) Callback verification failed with the following errors: HTTP Status Code = 403"),
        "{:?}",
        refused.body
    );
    app.graph(
        Method::POST,
        &format!("/{id}"),
        Some(TOKEN),
        Some(json!({"webhook_configuration": {"override_callback_uri": number_hook.url, "verify_token": VERIFY}})),
    )
    .await
    .assert_graph_success();
    let config = read_fields(&app, &id, "webhook_configuration").await;
    assert_eq!(
        config.body["webhook_configuration"]["phone_number"],
        number_hook.url.as_str()
    );
    subscribed_apps(&app, Method::POST, &waba).await;
    register(&app, &id, "6315550111").await;
    deliveries(&app, "status=delivered&at_least=1&wait=10").await;
    assert_eq!(number_hook.received().len(), 1);
    assert!(app_hook.received().is_empty());
}

#[tokio::test]
async fn the_webhook_and_its_journal_last_across_a_restart_with_a_data_dir() {
    let dir = std::env::temp_dir().join(format!("wa-emu-webhooks-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let receiver = Receiver::start(&[200]).await;
    let start = || {
        let mut command = std::process::Command::new(crate::helpers::BIN);
        command
            .args(["--listen", "127.0.0.1:0", "--log-format", "json"])
            .arg("--data-dir")
            .arg(&dir);
        crate::helpers::spawn_listening(command)
    };
    let (mut child, base) = start();
    let app = TestApp::external(&base);
    hooked(&app, &receiver, json!({})).await;
    send_event(
        &app,
        json!({"field": "account_update", "value": {"event": "ACCOUNT_DELETED"}}),
    )
    .await;
    deliveries(&app, "status=delivered&at_least=1&wait=10").await;
    child.kill().ok();
    child.wait().ok();

    let (mut child, base) = start();
    let app = TestApp::external(&base);
    let shown = app
        .control(Method::GET, "/clusters/default/webhooks", None)
        .await;
    let journal = deliveries(&app, "").await;
    // Reset drops them.
    app.control(Method::POST, "/reset", None).await;
    let after_reset = deliveries(&app, "").await;
    child.kill().ok();
    child.wait().ok();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(shown.status, 200, "{:?}", shown.body);
    assert_eq!(shown.body["subscribed"], true);
    assert_eq!(journal["deliveries"][0]["status"], "delivered", "{journal}");
    assert_eq!(after_reset["deliveries"], json!([]));
}

#[tokio::test]
async fn the_rust_helpers_configure_send_and_wait() {
    use wa_onprem_emulator::Emulator;
    use wa_onprem_emulator::webhooks::{DeliveryStatus, Field};
    let emulator = Emulator::builder().start().await;
    let receiver = Receiver::start(&[200]).await;
    emulator
        .set_webhooks("rusty", &receiver.url, VERIFY, SECRET)
        .await
        .unwrap();
    let refused = emulator
        .set_webhooks("rusty", &receiver.url, "wrong", SECRET)
        .await
        .unwrap_err();
    assert!(refused.details().contains("403"), "{}", refused.details());
    let app = TestApp::external(emulator.uri()).in_cluster("rusty");
    let waba = waba(&app).await;
    subscribed_apps(&app, Method::POST, &waba).await;
    let made = emulator
        .send_event(
            "rusty",
            Field::AccountReviewUpdate,
            json!({"decision": "APPROVED"}),
        )
        .await
        .unwrap()
        .unwrap();
    let delivered = emulator
        .wait_for_delivery("rusty", Field::AccountReviewUpdate, Duration::from_secs(10))
        .await
        .expect("delivered");
    assert_eq!(delivered.id, made.id);
    assert_eq!(delivered.status, DeliveryStatus::Delivered);
    assert_eq!(receiver.received()[0].body, delivered.body.as_bytes());
    let bad = emulator
        .send_event("rusty", Field::Security, json!({"event": "PIN_CHANGED"}))
        .await
        .unwrap_err();
    assert!(bad.details().contains("display_phone_number"));
    let id = add_number(&app, "6315550199").await;
    let review = emulator
        .decide_name("rusty", &id, "DEFERRED", None)
        .await
        .unwrap();
    assert_eq!(review.decision, "DEFERRED");
    assert_eq!(
        emulator
            .deliveries("rusty", Some(Field::PhoneNumberNameUpdate))
            .len(),
        1
    );
}

#[tokio::test]
async fn a_reset_or_a_deleted_cluster_sends_nothing_more() {
    let app = TestApp::spawn(config()).await.in_cluster("stops");
    let receiver = Receiver::start(&[500]).await;
    for round in ["reset", "reset everything", "delete"] {
        hooked(&app, &receiver, json!({})).await;
        send_event(
            &app,
            json!({"field": "account_update", "value": {"event": "ACCOUNT_DELETED"}}),
        )
        .await;
        deliveries(&app, "status=retrying&at_least=1&wait=10").await;
        let before = receiver.received().len();
        match round {
            "reset" => {
                app.control(Method::POST, "/clusters/stops/reset", None)
                    .await
            }
            "reset everything" => app.control(Method::POST, "/reset", None).await,
            _ => app.control(Method::DELETE, "/clusters/stops", None).await,
        };
        // The retry would be due now: nothing is sent for a cluster that is gone or new.
        app.advance_clock(60).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(receiver.received().len(), before, "{round}");
        assert_eq!(
            deliveries(&app, "").await["deliveries"],
            json!([]),
            "{round}"
        );
    }
}

#[tokio::test]
async fn a_state_document_carries_the_webhooks_and_refuses_bad_ones() {
    let app = TestApp::spawn(config()).await.in_cluster("doc");
    let receiver = Receiver::start(&[200]).await;
    put_webhook(
        &app,
        json!({"callback_url": receiver.url, "verify_token": VERIFY, "app_secret": SECRET, "fields": ["security"]}),
    )
    .await;
    let state = app
        .control(Method::GET, "/clusters/doc/state", None)
        .await
        .body;
    let hooks = &state["cloud"]["webhooks"];
    assert_eq!(hooks["app"]["callback_url"], receiver.url.as_str());
    assert_eq!(hooks["app"]["fields"], json!(["security"]));

    // Moved whole to another cluster.
    let copied = app
        .control(Method::PUT, "/clusters/doc-copy/state", Some(state.clone()))
        .await;
    assert_eq!(copied.status, 200, "{:?}", copied.body);
    let shown = app
        .control(Method::GET, "/clusters/doc-copy/webhooks", None)
        .await;
    assert_eq!(shown.body["callback_url"], receiver.url.as_str());

    // A URL the emulator cannot send to, or a delivery id past last_id: refused, nothing made.
    let mut bad_url = state.clone();
    bad_url["cloud"]["webhooks"]["app"]["callback_url"] = json!("ftp://example.com/hook");
    let mut bad_id = state.clone();
    bad_id["cloud"]["webhooks"]["deliveries"] = json!([{
        "id": 7, "field": "security", "url": null, "body": "{}", "signature": null,
        "signature_sha1": null, "status": "delivered", "attempts": [],
        "created_at": {"secs_since_epoch": 1, "nanos_since_epoch": 0}
    }]);
    for (what, document) in [("url", bad_url), ("id", bad_id)] {
        let refused = app
            .control(Method::PUT, "/clusters/doc-bad/state", Some(document))
            .await;
        assert_eq!(refused.status, 400, "{what}: {:?}", refused.body);
        assert!(
            refused.body.to_string().contains("cloud.webhooks"),
            "{what}: {:?}",
            refused.body
        );
    }
    assert!(!app.clusters().await.contains(&"doc-bad".to_owned()));
}
