//! Clusters keep parallel tests apart (CONTRACT §6).

use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, config};

#[tokio::test]
async fn clusters_do_not_see_each_others_state() {
    let app = TestApp::spawn(config()).await;
    let a = app.in_cluster("suite-a");
    let b = app.in_cluster("suite-b");
    let token_a = a.admin_token().await;
    let token_b = b.admin_token().await;

    // Tokens belong to their cluster.
    a.get("/health", &token_b)
        .await
        .assert_error(401, 1005, "token");
    app.get("/health", &token_a)
        .await
        .assert_error(401, 1005, "token");

    a.register(&token_a, "6315550000").await;
    assert_eq!(
        a.get("/health", &token_a).await.body["health"]["gateway_status"],
        "connected"
    );
    assert_eq!(
        b.get("/health", &token_b).await.body["health"]["gateway_status"],
        "unregistered"
    );

    // The same number can be registered in both; outboxes are separate.
    b.register(&token_b, "6315550000").await;
    let codes_a = app
        .control(Method::GET, "/clusters/suite-a/codes", None)
        .await;
    let codes_b = app
        .control(Method::GET, "/clusters/suite-b/codes", None)
        .await;
    assert_eq!(codes_a.body["codes"].as_array().unwrap().len(), 1);
    assert_eq!(codes_b.body["codes"].as_array().unwrap().len(), 1);
    assert_eq!(codes_a.body["codes"][0]["cluster"], "suite-a");
    let default_codes = app
        .control(Method::GET, "/clusters/default/codes", None)
        .await;
    assert_eq!(default_codes.body["codes"], json!([]));

    let listed = app.control(Method::GET, "/clusters", None).await;
    let names = listed.body["clusters"].as_array().unwrap();
    assert!(names.contains(&json!("suite-a")) && names.contains(&json!("suite-b")));
}

#[tokio::test]
async fn the_cluster_header_addresses_the_same_cluster_as_the_path() {
    let app = TestApp::spawn(config()).await;
    let by_path = app.in_cluster("header-test");
    let token = by_path.admin_token().await;
    let answer = app
        .send(
            app.client
                .get(format!("{}/v1/health", app.base))
                .bearer_auth(&token)
                .header("X-Emulator-Cluster", "header-test"),
        )
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    // Without the header the token is unknown in default.
    app.get("/health", &token)
        .await
        .assert_error(401, 1005, "token");
}

#[tokio::test]
async fn parallel_clusters_register_independently() {
    let app = TestApp::spawn(config()).await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let cluster = app.in_cluster(&format!("parallel-{i}"));
        tasks.push(tokio::spawn(async move {
            let token = cluster.admin_token().await;
            let phone = format!("63155500{i:02}");
            cluster.register(&token, &phone).await;
            let codes = cluster
                .control(Method::GET, &format!("/clusters/parallel-{i}/codes"), None)
                .await;
            let codes = codes.body["codes"].as_array().unwrap().clone();
            assert_eq!(codes.len(), 1, "only this cluster's code");
            assert_eq!(codes[0]["phone_number"], phone);
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
}
