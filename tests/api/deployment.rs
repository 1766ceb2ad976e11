//! The account node beyond registration: multiconnect shards, and high-availability deployments
//! with several Coreapps whose health lists every node and which fail over.

use std::process::Command;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use wa_onprem_emulator::Config;

use crate::helpers::{BIN, PASSWORD, TestApp, config, spawn_listening};

fn deployment(coreapps: u16) -> Config {
    config()
        .coreapps(coreapps)
        .failover_delay(Duration::from_secs(2))
}

/// Registers +1 6315550000 (verified name Acme); the admin token and the certificate.
async fn registered(app: &TestApp) -> (String, String) {
    let token = app.admin_token().await;
    app.register(&token, "6315550000").await;
    let cert = app.cert("Acme").await;
    (token, cert)
}

fn shards_body(shards: Value, cert: &str) -> Value {
    json!({"cc": "1", "phone_number": "6315550000", "shards": shards, "cert": cert})
}

/// `/v1/health` as `hostname → (gateway_status, role)`.
fn nodes(health: &Value) -> Vec<(String, String, String)> {
    let mut nodes: Vec<_> = health["health"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(key, node)| {
            let hostname = key.split(':').next().unwrap().to_owned();
            assert_eq!(
                key.split(':').nth(1).unwrap().len(),
                12,
                "hostname:container-id"
            );
            (
                hostname,
                node["gateway_status"].as_str().unwrap().to_owned(),
                node["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    nodes.sort();
    nodes
}

fn node(list: &[(String, String, String)], hostname: &str) -> (String, String) {
    let (_, status, role) = list.iter().find(|(h, _, _)| h == hostname).unwrap();
    (status.clone(), role.clone())
}

#[tokio::test]
async fn shards_are_set_for_the_registered_number_with_enough_coreapps() {
    let app = TestApp::spawn(deployment(3)).await;
    let (token, cert) = registered(&app).await;
    let before = app.get("/account/shards", &token).await;
    assert_eq!(before.status, 200);
    assert_eq!(
        before.body["account"],
        json!({"shards": 1}),
        "an object, not a list"
    );

    let set = app
        .post("/account/shards", &token, shards_body(json!(2), &cert))
        .await;
    assert_eq!(set.status, 201, "{:?}", set.body);
    assert_eq!(set.body["meta"]["api_status"], "stable");
    let after = app.get("/account/shards", &token).await;
    assert_eq!(after.body["account"]["shards"], 2);

    // Multiconnect with 2 shards: 2 Coreapps and the primary Master are connected.
    let health = app.get("/health", &token).await;
    let list = nodes(&health.body);
    assert_eq!(list.len(), 5, "{list:?}");
    assert_eq!(
        node(&list, "master1"),
        ("connected".into(), "primary_master".into())
    );
    assert_eq!(
        node(&list, "master2"),
        ("disconnected".into(), "secondary_master".into())
    );
    assert_eq!(
        node(&list, "coreapp1"),
        ("connected".into(), "coreapp".into())
    );
    assert_eq!(
        node(&list, "coreapp2"),
        ("connected".into(), "coreapp".into())
    );
    assert_eq!(
        node(&list, "coreapp3"),
        ("disconnected".into(), "coreapp".into())
    );

    let too_many = app
        .post("/account/shards", &token, shards_body(json!(4), &cert))
        .await;
    too_many.assert_error(403, 1005, "Unknown error: not_enough_coreapps");
    assert_eq!(too_many.reason(), "refusal.not_enough_coreapps");
}

#[tokio::test]
async fn a_single_instance_keeps_the_plain_health_shape_and_one_shard() {
    let app = TestApp::spawn(config()).await;
    let (token, cert) = registered(&app).await;
    let health = app.get("/health", &token).await;
    assert_eq!(
        health.body["health"],
        json!({"gateway_status": "connected"})
    );
    let two = app
        .post("/account/shards", &token, shards_body(json!(2), &cert))
        .await;
    two.assert_error(403, 1005, "not_enough_coreapps");
    let one = app
        .post("/account/shards", &token, shards_body(json!(1), &cert))
        .await;
    assert_eq!(one.status, 201, "{:?}", one.body);
}

#[tokio::test]
async fn shards_requests_are_validated_field_by_field_like_the_account_node() {
    let app = TestApp::spawn(deployment(2)).await;
    let token = app.admin_token().await;
    let cert = app.cert("Acme").await;
    app.post("/account/shards", &token, shards_body(json!(2), &cert))
        .await
        .assert_error(404, 1006, "No number is registered");
    app.register(&token, "6315550000").await;

    let mut without_cert = shards_body(json!(2), &cert);
    without_cert.as_object_mut().unwrap().remove("cert");
    app.post("/account/shards", &token, without_cert)
        .await
        .assert_error(400, 1008, "cert");
    for (shards, rule) in [
        (json!(3), "not_allowed"),
        (json!(64), "not_allowed"),
        (json!("2"), "not_integer"),
    ] {
        let answer = app
            .post("/account/shards", &token, shards_body(shards, &cert))
            .await;
        answer.assert_error(400, 1009, "shards");
        assert_eq!(answer.reason(), format!("validation.shards.{rule}"));
    }
    let mut extra = shards_body(json!(2), &cert);
    extra["colour"] = json!("blue");
    app.post("/account/shards", &token, extra)
        .await
        .assert_error(400, 1010, "colour");
    let mut other = shards_body(json!(2), &cert);
    other["phone_number"] = json!("6315550001");
    app.post("/account/shards", &token, other)
        .await
        .assert_error(403, 1005, "Unknown error: number_mismatch");
    let stranger = app.cert("Someone Else").await;
    app.post("/account/shards", &token, shards_body(json!(2), &stranger))
        .await
        .assert_error(403, 1005, "Unknown error: cert_mismatch");

    // With two-step on, the pin is needed and checked.
    app.set_pin(&token, "864209").await;
    app.post("/account/shards", &token, shards_body(json!(2), &cert))
        .await
        .assert_error(400, 1008, "pin");
    let mut wrong = shards_body(json!(2), &cert);
    wrong["pin"] = json!("000000");
    app.post("/account/shards", &token, wrong)
        .await
        .assert_error(403, 1005, "pin_mismatch");
    let mut right = shards_body(json!(2), &cert);
    right["pin"] = json!("864209");
    assert_eq!(app.post("/account/shards", &token, right).await.status, 201);

    // Only an admin sets shards.
    let user = app.user_token(&token, "operator", "0perator!Pass").await;
    app.post("/account/shards", &user, shards_body(json!(1), &cert))
        .await
        .assert_error(403, 1005, "admin");
}

#[tokio::test]
async fn before_v2_45_the_certificate_is_optional() {
    let app = TestApp::spawn(deployment(2).api_version("v2.41.3")).await;
    let (token, _) = registered(&app).await;
    let answer = app
        .post(
            "/account/shards",
            &token,
            json!({"cc": "1", "phone_number": "6315550000", "shards": 2}),
        )
        .await;
    assert_eq!(answer.status, 201, "{:?}", answer.body);
}

#[tokio::test]
async fn a_stopped_coreapp_fails_over_after_the_delay_and_none_left_is_503() {
    let app = TestApp::spawn(deployment(2)).await;
    let (token, _) = registered(&app).await;
    // High availability: one Coreapp connected, the others and both Masters disconnected.
    let list = nodes(&app.get("/health", &token).await.body);
    assert_eq!(node(&list, "coreapp1").0, "connected");
    assert_eq!(node(&list, "coreapp2").0, "disconnected");
    assert_eq!(node(&list, "master1").0, "disconnected");

    let stopped = app
        .control(Method::POST, "/clusters/default/nodes/coreapp1/stop", None)
        .await;
    assert_eq!(stopped.status, 200, "{:?}", stopped.body);
    let list = nodes(&app.get("/health", &token).await.body);
    assert_eq!(node(&list, "coreapp1").0, "disconnected");
    assert_eq!(
        node(&list, "coreapp2").0,
        "disconnected",
        "not yet taken over"
    );
    let topology = app
        .control(Method::GET, "/clusters/default/topology", None)
        .await;
    assert_eq!(topology.body["gateway_status"], "disconnected");
    let down = app.get("/account/shards", &token).await;
    down.assert_error(503, 1011, "No Coreapp");
    assert_eq!(down.reason(), "topology.no_coreapp");

    // After the failover delay (here on the virtual clock), coreapp2 serves.
    app.control(
        Method::POST,
        "/clusters/default/clock",
        Some(json!({"advance_seconds": 2.5})),
    )
    .await;
    let list = nodes(&app.get("/health", &token).await.body);
    assert_eq!(node(&list, "coreapp2").0, "connected");
    assert_eq!(app.get("/account/shards", &token).await.status, 200);

    // No Coreapp left: vendor calls answer 503 / 1011, login and health still answer.
    app.control(Method::POST, "/clusters/default/nodes/coreapp2/stop", None)
        .await;
    app.control(
        Method::POST,
        "/clusters/default/clock",
        Some(json!({"advance_seconds": 60})),
    )
    .await;
    app.get("/account/shards", &token)
        .await
        .assert_error(503, 1011, "No Coreapp");
    assert_eq!(app.login_with("admin", PASSWORD, None).await.status, 200);
    let list = nodes(&app.get("/health", &token).await.body);
    assert!(
        list.iter().all(|(_, status, _)| status == "disconnected"),
        "{list:?}"
    );

    // Starting one serves again; an unknown node is 404.
    app.control(Method::POST, "/clusters/default/nodes/coreapp1/start", None)
        .await;
    assert_eq!(app.get("/account/shards", &token).await.status, 200);
    app.control(Method::POST, "/clusters/default/nodes/coreapp9/stop", None)
        .await
        .assert_error(404, 1006, "coreapp9");
}

#[tokio::test]
async fn the_deployment_is_set_per_cluster_at_run_time() {
    let app = TestApp::spawn(config()).await;
    let put = app
        .control(
            Method::PUT,
            "/clusters/ha/topology",
            Some(json!({"coreapps": 3, "failover_delay_seconds": 0})),
        )
        .await;
    assert_eq!(put.status, 200, "{:?}", put.body);
    assert_eq!(put.body["coreapps"], 3);
    assert_eq!(put.body["gateway_status"], "unregistered");
    assert_eq!(put.body["nodes"].as_array().unwrap().len(), 5);
    let ha = app.in_cluster("ha");
    let token = ha.admin_token().await;
    let health = ha.get("/health", &token).await;
    assert_eq!(
        nodes(&health.body).len(),
        5,
        "HA shape in this cluster only"
    );
    let plain = app.admin_token().await;
    assert_eq!(
        app.get("/health", &plain).await.body["health"],
        json!({"gateway_status": "unregistered"})
    );
    app.control(
        Method::PUT,
        "/clusters/ha/topology",
        Some(json!({"coreapps": 0})),
    )
    .await
    .assert_error(400, 1009, "coreapps");
}

#[tokio::test]
async fn shards_survive_a_restart_with_a_data_dir() {
    let dir = std::env::temp_dir().join(format!("wa-emu-shards-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let start = || {
        let mut command = Command::new(BIN);
        command
            .args(["--listen", "127.0.0.1:0", "--log-format", "json"])
            .args(["--admin-password", PASSWORD, "--coreapps", "2"])
            .arg("--data-dir")
            .arg(&dir);
        spawn_listening(command)
    };
    let (mut child, base) = start();
    let app = TestApp::external(&base);
    let (token, cert) = registered(&app).await;
    let set = app
        .post("/account/shards", &token, shards_body(json!(2), &cert))
        .await;
    assert_eq!(set.status, 201, "{:?}", set.body);
    child.kill().ok();
    child.wait().ok();
    let (mut child, base) = start();
    let app = TestApp::external(&base);
    let token = app.admin_token().await;
    let shards = app.get("/account/shards", &token).await;
    child.kill().ok();
    child.wait().ok();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(shards.body["account"]["shards"], 2);
}

#[tokio::test]
async fn delays_out_of_range_are_refused_and_nothing_changes() {
    let app = TestApp::spawn(config()).await;
    for (method, path, body, field) in [
        (
            Method::PUT,
            "/clusters/default/topology",
            json!({"coreapps": 3, "failover_delay_seconds": -1}),
            "failover_delay_seconds",
        ),
        (
            Method::POST,
            "/clusters/default/restart",
            json!({"duration_seconds": "soon"}),
            "duration_seconds",
        ),
        (
            Method::POST,
            "/clusters/default/restart",
            json!({"duration_seconds": 3601}),
            "duration_seconds",
        ),
    ] {
        app.control(method, path, Some(body)).await.assert_error(
            400,
            1009,
            &format!("Parameter '{field}' must be a number of seconds from 0 to 3600"),
        );
    }
    let topology = app
        .control(Method::GET, "/clusters/default/topology", None)
        .await;
    assert_eq!(topology.body["coreapps"], 1, "{:?}", topology.body);
    let token = app.admin_token().await;
    let health = app.get("/health", &token).await;
    assert_eq!(
        health.body["health"],
        json!({"gateway_status": "unregistered"}),
        "no restart began"
    );
}
