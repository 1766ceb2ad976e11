//! Thousands of mixed requests at once, then the state must be one that a sequential run could
//! have produced: exact rate counters, one registered number at most, no code accepted twice.

use std::collections::HashMap;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, config};

/// Requests in flight at once: many, but under the emulator's connection limit.
static IN_FLIGHT: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(128);

async fn status_and_details(req: reqwest::RequestBuilder) -> (u16, String) {
    let _permit = IN_FLIGHT.acquire().await.unwrap();
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    let details = body["errors"][0]["details"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    (status, details)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mixed_concurrent_load_keeps_every_invariant() {
    let app = TestApp::spawn(config()).await;
    let clusters: Vec<String> = (0..16).map(|i| format!("inv-{i}")).collect();
    let mut tokens = HashMap::new();
    for c in &clusters {
        tokens.insert(c.clone(), app.in_cluster(c).admin_token().await);
    }
    let cert = app.cert("Invariant").await;

    // Phase 1: 8 requests per (cluster, number, method), all at once, with logins and resets of
    // other clusters in between.
    let mut tasks = Vec::new();
    for c in &clusters {
        for n in 0..4 {
            for method in ["sms", "voice"] {
                for _ in 0..8 {
                    let (client, url, token) = (
                        app.client.clone(),
                        format!("{}/clusters/{c}/v1/account", app.base),
                        tokens[c].clone(),
                    );
                    let body = json!({"cc": "1", "phone_number": format!("631555000{n}"), "method": method, "cert": cert});
                    let key = format!("{c}/{n}/{method}");
                    tasks.push(tokio::spawn(async move {
                        (
                            key,
                            status_and_details(client.post(url).bearer_auth(token).json(&body))
                                .await,
                        )
                    }));
                }
            }
        }
    }
    let mut side = Vec::new();
    for i in 0..200 {
        let client = app.client.clone();
        let base = app.base.clone();
        side.push(tokio::spawn(async move {
            let _permit = IN_FLIGHT.acquire().await.unwrap();
            if i % 3 == 0 {
                let _ = client
                    .post(format!("{base}/_emulator/clusters/scratch-{i}/reset"))
                    .send()
                    .await;
            } else {
                let res = client
                    .post(format!("{base}/clusters/scratch-{i}/v1/users/login"))
                    .basic_auth("admin", Some(crate::helpers::PASSWORD))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 200);
            }
        }));
    }
    let mut outcomes: HashMap<String, (u32, u32)> = HashMap::new();
    for task in tasks {
        let (key, (status, details)) = task.await.unwrap();
        let entry = outcomes.entry(key).or_default();
        match status {
            202 => entry.0 += 1,
            403 if details == "Unknown error: too_many" => entry.1 += 1,
            other => panic!("unexpected {other} {details}"),
        }
    }
    for task in side {
        task.await.unwrap();
    }
    assert_eq!(outcomes.len(), clusters.len() * 8);
    for (key, (sent, refused)) in &outcomes {
        assert_eq!((*sent, *refused), (5, 3), "{key}: the rate limit is exact");
    }
    for c in &clusters {
        let codes = app
            .control(Method::GET, &format!("/clusters/{c}/codes"), None)
            .await;
        assert_eq!(
            codes.body["codes"].as_array().unwrap().len(),
            40,
            "{c}: one outbox entry per 202"
        );
    }

    // Phase 2: per cluster, a fresh code and 30 verifies at once, 10 right and 20 wrong.
    let mut tasks = Vec::new();
    for c in &clusters {
        let cluster = app.in_cluster(c);
        let token = tokens[c].clone();
        let body = json!({"cc": "1", "phone_number": "6315559999", "method": "sms", "cert": cert});
        assert_eq!(cluster.post("/account", &token, body).await.status, 202);
        let code = cluster.latest_code("6315559999").await;
        let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
        for i in 0..30 {
            let guess = if i % 3 == 0 {
                code.clone()
            } else {
                wrong.clone()
            };
            let (client, url, token, c) = (
                app.client.clone(),
                format!("{}/clusters/{c}/v1/account/verify", app.base),
                token.clone(),
                c.clone(),
            );
            tasks.push(tokio::spawn(async move {
                (
                    c,
                    status_and_details(
                        client
                            .post(url)
                            .bearer_auth(token)
                            .json(&json!({"code": guess})),
                    )
                    .await,
                )
            }));
        }
    }
    let mut verdicts: HashMap<String, HashMap<String, u32>> = HashMap::new();
    for task in tasks {
        let (c, (status, details)) = task.await.unwrap();
        let key = if status == 201 {
            "registered".to_owned()
        } else {
            details
        };
        *verdicts.entry(c).or_default().entry(key).or_default() += 1;
    }
    for c in &clusters {
        let v = &verdicts[c];
        let count = |k: &str| v.get(k).copied().unwrap_or(0);
        let (s, m) = (count("registered"), count("Unknown error: mismatch"));
        let (t, p) = (
            count("Unknown error: too_many_guesses"),
            count("Unknown error: no_pending_code"),
        );
        assert_eq!(
            s + m + t + p,
            30,
            "{c}: only these answers are possible: {v:?}"
        );
        assert!(s <= 1, "{c}: a code was accepted twice: {v:?}");
        assert!(m <= 5, "{c}: more than five wrong guesses counted: {v:?}");
        assert!(
            t == 0 || (m == 5 && s == 0),
            "{c}: void before five wrong guesses: {v:?}"
        );
        assert!(
            p == 0 || s == 1,
            "{c}: no_pending_code without a registration: {v:?}"
        );
        let token = &tokens[c];
        let health = app.in_cluster(c).get("/health", token).await;
        let expected = if s == 1 { "connected" } else { "unregistered" };
        assert_eq!(
            health.body["health"]["gateway_status"], expected,
            "{c}: {v:?}"
        );
    }
}
