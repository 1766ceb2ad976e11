//! The `/_emulator` control API (CONTRACT §6).

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use wa_onprem_emulator::Config;

use crate::helpers::{TestApp, config};

#[tokio::test]
async fn liveness_needs_no_auth() {
    let app = TestApp::spawn(config()).await;
    let answer = app.control(Method::GET, "/health", None).await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.body,
        json!({
            "status": "ok",
            "version": env!("CARGO_PKG_VERSION"),
            "clusters": 0,
            "max_clusters": 100_000,
            "dropped_log_lines": 0,
        })
    );
}

#[tokio::test]
async fn the_outbox_lists_filters_and_clears() {
    let app = TestApp::spawn(config()).await;
    let token = app.admin_token().await;
    let cert = app.cert("Acme").await;
    app.request_code(&token, "6315550000", "sms", &cert).await;
    app.request_code(&token, "6315550000", "voice", &cert).await;
    app.request_code(&token, "6315550001", "sms", &cert).await;

    let all = app
        .control(Method::GET, "/clusters/default/codes", None)
        .await;
    let codes = all.body["codes"].as_array().unwrap();
    assert_eq!(codes.len(), 3);
    let first = &codes[0];
    assert_eq!(first["cluster"], "default");
    assert_eq!(first["cc"], "1");
    assert_eq!(first["phone_number"], "6315550000");
    assert_eq!(first["method"], "sms");
    assert_eq!(first["vname"], "Acme");
    let sent = humantime::parse_rfc3339(first["sent_at"].as_str().unwrap()).unwrap();
    let expires = humantime::parse_rfc3339(first["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!(
        expires.duration_since(sent).unwrap(),
        Duration::from_secs(600)
    );

    let filtered = app
        .control(
            Method::GET,
            "/clusters/default/codes?cc=1&phone_number=6315550000&method=voice",
            None,
        )
        .await;
    let filtered = filtered.body["codes"].as_array().unwrap().clone();
    assert_eq!(filtered.len(), 1);
    assert_eq!(filtered[0]["method"], "voice");

    let latest = app
        .control(
            Method::GET,
            "/clusters/default/codes/latest?phone_number=6315550000",
            None,
        )
        .await;
    assert_eq!(latest.body["method"], "voice");
    assert_eq!(latest.body["code"], codes[1]["code"]);
    // The one display form of a number, Meta's, as the Cloud API and the console show it.
    assert_eq!(latest.body["display_phone_number"], "+1 631-555-0000");

    app.control(Method::GET, "/clusters/default/codes?method=fax", None)
        .await
        .assert_error(400, 1009, "method");

    let cleared = app
        .control(Method::DELETE, "/clusters/default/codes", None)
        .await;
    assert_eq!(cleared.status, 200);
    let empty = app
        .control(Method::GET, "/clusters/default/codes", None)
        .await;
    assert_eq!(empty.body["codes"], json!([]));
    app.control(Method::GET, "/clusters/default/codes/latest", None)
        .await
        .assert_error(404, 1006, "No code");
}

#[tokio::test]
async fn latest_with_wait_wakes_when_the_code_arrives() {
    let app = TestApp::spawn(config()).await;
    let token = app.admin_token().await;
    let cert = app.cert("Acme").await;
    let waiter = {
        let url = format!(
            "{}/_emulator/clusters/default/codes/latest?phone_number=6315550000&wait=10",
            app.base
        );
        let client = app.client.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let res = client.get(url).send().await.unwrap();
            (
                res.status().as_u16(),
                res.json::<serde_json::Value>().await.unwrap(),
                started.elapsed(),
            )
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    // A code for another number does not satisfy the waiter.
    app.request_code(&token, "6315559999", "sms", &cert).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!waiter.is_finished());
    app.request_code(&token, "6315550000", "sms", &cert).await;
    let (status, body, elapsed) = waiter.await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(body["phone_number"], "6315550000");
    assert!(
        elapsed < Duration::from_secs(5),
        "woken on arrival, not at the deadline: {elapsed:?}"
    );
}

#[tokio::test]
async fn latest_with_wait_gives_up_with_404() {
    let app = TestApp::spawn(config()).await;
    let started = Instant::now();
    let answer = app
        .control(Method::GET, "/clusters/default/codes/latest?wait=0.3", None)
        .await;
    answer.assert_error(404, 1006, "No code");
    assert!(started.elapsed() >= Duration::from_millis(300));
    for bad in ["-1", "abc", "301"] {
        app.control(
            Method::GET,
            &format!("/clusters/default/codes/latest?wait={bad}"),
            None,
        )
        .await
        .assert_error(400, 1009, "wait");
    }
}

#[tokio::test]
async fn certificates_are_made_with_localized_names() {
    let app = TestApp::spawn(config()).await;
    let answer = app
        .control(
            Method::POST,
            "/certs",
            Some(json!({"vname": "Yamato", "localized_names": [{"lg": "ja", "lc": "JP", "verified_name": "株式会社ヤマト"}]})),
        )
        .await;
    assert_eq!(answer.status, 200);
    let decoded = wa_onprem_emulator::cert::decode(answer.body["cert"].as_str().unwrap()).unwrap();
    assert_eq!(&*decoded.vname, "Yamato");
    assert_eq!(
        decoded.localized_names[0].verified_name.as_deref(),
        Some("株式会社ヤマト")
    );
    assert_eq!(decoded.localized_names[0].lg.as_deref(), Some("ja"));

    app.control(Method::POST, "/certs", Some(json!({})))
        .await
        .assert_error(400, 1008, "vname");
    app.control(Method::POST, "/certs", Some(json!({"vname": " "})))
        .await
        .assert_error(400, 1009, "vname");
    app.control(
        Method::POST,
        "/certs",
        Some(json!({"vname": "A", "localized_names": [{"lg": 1}]})),
    )
    .await
    .assert_error(400, 1009, "localized_names");
}

#[tokio::test]
async fn the_policy_is_read_and_switched_per_cluster() {
    let app = TestApp::spawn(config()).await;
    let got = app
        .control(Method::GET, "/clusters/default/policy", None)
        .await;
    assert_eq!(got.body["policy"], "classic");
    let put = app
        .control(
            Method::PUT,
            "/clusters/retired/policy",
            Some(json!({"policy": "sunset"})),
        )
        .await;
    assert_eq!(put.status, 200);
    assert_eq!(put.body["policy"], "sunset");
    app.control(
        Method::PUT,
        "/clusters/retired/policy",
        Some(json!({"policy": "lenient"})),
    )
    .await
    .assert_error(400, 1009, "policy");

    let retired = app.in_cluster("retired");
    let token = retired.admin_token().await;
    let cert = app.cert("Acme").await;
    retired
        .request_code(&token, "6315550000", "sms", &cert)
        .await
        .assert_error(403, 1005, "biz_link_on_prem_reg_blocked");
    let default_token = app.admin_token().await;
    assert_eq!(
        app.request_code(&default_token, "6315550000", "sms", &cert)
            .await
            .status,
        202
    );

    // A reset returns the cluster to the configured policy.
    app.control(Method::POST, "/clusters/retired/reset", None)
        .await;
    let got = app
        .control(Method::GET, "/clusters/retired/policy", None)
        .await;
    assert_eq!(got.body["policy"], "classic");
}

#[tokio::test]
async fn reset_returns_a_cluster_or_all_to_fresh() {
    let app = TestApp::spawn(config()).await;
    let token = app.admin_token().await;
    app.register(&token, "6315550000").await;
    let other = app.in_cluster("other");
    let other_token = other.admin_token().await;
    other.register(&other_token, "6315550000").await;

    let reset = app
        .control(Method::POST, "/clusters/default/reset", None)
        .await;
    assert_eq!(reset.status, 200);
    // Tokens, registration and outbox of default are gone; other is untouched.
    app.get("/health", &token)
        .await
        .assert_error(401, 1005, "token");
    let token = app.admin_token().await;
    assert_eq!(
        app.get("/health", &token).await.body["health"]["gateway_status"],
        "unregistered"
    );
    let codes = app
        .control(Method::GET, "/clusters/default/codes", None)
        .await;
    assert_eq!(codes.body["codes"], json!([]));
    assert_eq!(
        other.get("/health", &other_token).await.body["health"]["gateway_status"],
        "connected"
    );

    let all = app.control(Method::POST, "/reset", None).await;
    assert_eq!(all.status, 200);
    other
        .get("/health", &other_token)
        .await
        .assert_error(401, 1005, "token");
}

#[tokio::test]
async fn invalid_cluster_names_are_refused() {
    let app = TestApp::spawn(config()).await;
    let long = "x".repeat(65);
    for name in ["bad%20name", "caf%C3%A9", long.as_str()] {
        app.control(Method::GET, &format!("/clusters/{name}/codes"), None)
            .await
            .assert_error(400, 1025, "Cluster name");
    }
    let answer = app
        .send(
            app.client
                .get(app.url("/health"))
                .header("x-emulator-cluster", "no/slash"),
        )
        .await;
    answer.assert_error(400, 1025, "Cluster name");
}

#[tokio::test]
async fn the_control_api_address_answers_with_an_index_token_or_not() {
    let guarded = TestApp::spawn(config().control_token("ctl-token")).await;
    for path in ["/_emulator", "/_emulator/"] {
        let index = reqwest::get(format!("{}{path}", guarded.base))
            .await
            .unwrap();
        assert_eq!(index.status(), 200, "{path}");
        let body: serde_json::Value = index.json().await.unwrap();
        for (part, link) in [
            ("console", "/_emulator/ui"),
            ("openapi", "/_emulator/openapi.json"),
            ("events", "/_emulator/events"),
            ("clusters", "/_emulator/clusters"),
        ] {
            assert_eq!(body[part], link, "{body}");
        }
        assert!(
            body["token"].as_str().unwrap().starts_with("required"),
            "{body}"
        );
    }
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/_emulator", guarded.base))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(browser.status(), 303);
    assert_eq!(browser.headers()["location"], "/_emulator/ui");

    let off = TestApp::spawn(config().no_control_api(true)).await;
    let index = reqwest::get(format!("{}/_emulator", off.base))
        .await
        .unwrap();
    assert_eq!(index.status(), 404, "no control API, no index");
    let health = reqwest::get(format!("{}/_emulator/health", off.base))
        .await
        .unwrap();
    assert_eq!(health.status(), 200, "its health probe still answers");
}

/// Messages that say what to do next (issue 20, finding 8).
#[tokio::test]
async fn refusals_say_what_to_do_next() {
    let app = TestApp::spawn(config()).await;
    let token = app.admin_token().await;

    // No certificate: where to get one.
    let missing = app
        .post(
            "/account",
            &token,
            json!({"cc": "1", "phone_number": "6315550000", "method": "sms"}),
        )
        .await;
    missing.assert_error(400, 1008, "POST /_emulator/certs");

    // `+1` in a query arrives as " 1": the filters are echoed and the `+` pointed out.
    let latest = app
        .control(
            Method::GET,
            "/clusters/default/codes/latest?cc=+1&phone_number=6315550000",
            None,
        )
        .await;
    let details = latest.error().2.to_owned();
    assert_eq!(latest.status, 404);
    assert!(
        details.contains(r#"cc=" 1""#) && details.contains("'+'"),
        "{details}"
    );
    let none = app
        .control(Method::GET, "/clusters/default/codes/latest", None)
        .await;
    assert!(
        none.error()
            .2
            .contains("No code has been sent in cluster default")
    );

    // A fault without a field its type needs: what each type takes.
    let fault = app
        .control(
            Method::POST,
            "/clusters/default/faults",
            Some(json!([{"route": "/v1/account", "fault": {"type": "error", "code": 1005}}])),
        )
        .await;
    assert_eq!(fault.status, 400);
    let details = fault.error().2;
    assert!(
        details.contains("`status`") && details.contains("error {\"status\": 400-599"),
        "{details}"
    );

    // A token of another cluster: tokens belong to the cluster that issued them.
    let elsewhere = app.in_cluster("other");
    let answer = elsewhere.get("/health", &token).await;
    answer.assert_error(401, 1005, "only in the cluster that issued it");

    // Logging in with "secret" once it was changed.
    let fresh = TestApp::spawn(Config::default()).await;
    let first = fresh
        .login_with(
            "admin",
            "secret",
            Some(json!({"new_password": "N3w!passw0rd"})),
        )
        .await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    let again = fresh.login_with("admin", "secret", None).await;
    again.assert_error(401, 1005, "no longer \"secret\"");
    let wrong = fresh.login_with("admin", "Wr0ng!pass", None).await;
    wrong.assert_error(401, 1005, "Wrong username or password");
    assert!(
        !wrong.error().2.contains("secret"),
        "only for the old default"
    );
}

/// With a control token the console's page opens without it (it holds no data) and the event
/// stream also takes the token in its query, as a browser's EventSource sends no headers; no
/// other route does.
#[tokio::test]
async fn the_console_opens_without_the_token_and_the_stream_takes_it_in_its_query() {
    let app = TestApp::spawn(config().control_token("ctl-s3cret")).await;
    let get = |path: &str| {
        reqwest::Client::new()
            .get(format!("{}/_emulator{path}", app.base))
            .send()
    };
    let page = get("/ui").await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("id=\"token\""));
    assert_eq!(get("/events").await.unwrap().status(), 401);
    assert_eq!(get("/events?token=wrong").await.unwrap().status(), 401);
    let stream = get("/events?token=ctl-s3cret").await.unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    drop(stream);
    assert_eq!(
        get("/clusters?token=ctl-s3cret").await.unwrap().status(),
        401
    );
}

#[tokio::test]
async fn a_query_that_does_not_read_is_refused_with_what_is_wrong() {
    let app = TestApp::spawn(config()).await;
    let refused = app
        .control(Method::GET, "/clusters/default/requests?status=soon", None)
        .await;
    refused.assert_error(400, 1009, "Query 'status' must be an HTTP status");
    assert_eq!(
        refused.headers["x-emulator-reason"],
        "validation.status.format"
    );
    let unread = app
        .control(
            Method::GET,
            "/clusters/default/codes/latest?wait=soon",
            None,
        )
        .await;
    assert_eq!(unread.status, 400, "{:?}", unread.body);
    let read = app
        .control(Method::GET, "/clusters/default/requests?status=404", None)
        .await;
    assert_eq!(read.status, 200, "{:?}", read.body);
    assert_eq!(read.body["requests"], json!([]));
}
