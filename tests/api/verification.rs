//! Verifying on the journal, over real HTTP: every filter on every journal call, counts, a
//! count held until requests arrive, the requests no route took with the route they most likely
//! meant, and faults armed on a route that does not exist refused.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, config};

async fn count(app: &TestApp, query: &str) -> Value {
    let answer = app
        .control(
            Method::GET,
            &format!("/clusters/{}/requests/count?{query}", app.cluster),
            None,
        )
        .await;
    assert_eq!(answer.status, 200, "{query}: {:?}", answer.body);
    answer.body
}

#[tokio::test]
async fn every_filter_on_every_journal_call() {
    let app = TestApp::spawn(config()).await.in_cluster("verify-filters");
    let token = app.admin_token().await;
    app.register(&token, "6315550200").await;
    let cert = app.cert("Acme").await;
    // A second code request, refused: already registered? Not with another number.
    let other = app.request_code(&token, "6315550201", "voice", &cert).await;
    assert_eq!(other.status, 202, "{:?}", other.body);
    let waba = app.cloud().await["waba_id"].as_str().unwrap().to_owned();
    let graph = app
        .graph(
            Method::GET,
            &format!("/{waba}/phone_numbers"),
            Some("t"),
            None,
        )
        .await;
    assert_eq!(graph.status, 200);

    for (query, expected) in [
        ("", 5),
        ("method=post", 4),
        ("path=/v1/account", 2),
        ("path=/v1/users/login", 1),
        ("path=/v23.0/*/phone_numbers", 1),
        ("path=/v23.0/*", 0),
        ("status=202", 2),
        ("status=202&body.phone_number=6315550201", 1),
        ("body.cc=1&body.method=voice", 1),
        ("body.cert=[redacted]", 2),
        ("surface=cloud", 1),
        ("surface=on_premises", 4),
        ("since=2000-01-01T00:00:00Z", 5),
        ("since=2999-01-01T00:00:00Z", 0),
    ] {
        assert_eq!(count(&app, query).await["count"], expected, "{query}");
        let listed = app
            .control(
                Method::GET,
                &format!("/clusters/verify-filters/requests?{query}"),
                None,
            )
            .await;
        assert_eq!(
            listed.body["requests"].as_array().unwrap().len(),
            expected,
            "{query}"
        );
    }
    let reasoned = app
        .control(
            Method::GET,
            "/clusters/verify-filters/requests?path=/v1/account/verify",
            None,
        )
        .await;
    let reason = reasoned.body["requests"][0]["reason"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(count(&app, &format!("reason={reason}")).await["count"], 1);
    // A filter that is not one is named, with the filters there are.
    let typo = app
        .control(
            Method::GET,
            "/clusters/verify-filters/requests/count?stauts=202",
            None,
        )
        .await;
    typo.assert_error(400, 1009, "\"stauts\" is not a filter of the journal");
    let bad = app
        .control(
            Method::GET,
            "/clusters/verify-filters/requests?surface=graph",
            None,
        )
        .await;
    bad.assert_error(400, 1009, "on_premises or cloud");
}

#[tokio::test]
async fn a_count_is_held_until_the_requests_arrive() {
    let app = TestApp::spawn(config()).await.in_cluster("verify-wait");
    let token = app.admin_token().await;
    let cert = app.cert("Acme").await;
    let held = {
        let app = app.in_cluster("verify-wait");
        tokio::spawn(
            async move { count(&app, "path=/v1/account&status=202&at_least=2&wait=60").await },
        )
    };
    // The count is held (nothing arrived yet: an answer now would be {"count": 0, "reached":
    // false}), then woken by each request.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!held.is_finished(), "the count waits for the requests");
    for phone in ["6315550210", "6315550211"] {
        assert_eq!(
            app.request_code(&token, phone, "sms", &cert).await.status,
            202
        );
    }
    assert_eq!(held.await.unwrap(), json!({"count": 2, "reached": true}));
    // Not reached when the wait ends.
    assert_eq!(
        count(&app, "path=/v1/account&at_least=3&wait=0.2").await,
        json!({"count": 2, "reached": false})
    );
    app.control(
        Method::GET,
        "/clusters/verify-wait/requests/count?at_least=1&wait=301",
        None,
    )
    .await
    .assert_error(400, 1009, "from 0 to 300");
}

/// A reset of every cluster replaces each cluster with a fresh one: a count held meanwhile
/// follows the cluster to its new self, as a held `codes/latest` does.
#[tokio::test]
async fn a_held_count_follows_its_cluster_through_a_reset_of_every_cluster() {
    let app = TestApp::spawn(config()).await.in_cluster("verify-reset");
    let made = app
        .control(Method::POST, "/clusters/verify-reset/reset", None)
        .await;
    assert_eq!(made.status, 200, "{:?}", made.body);
    let held = {
        let app = app.in_cluster("verify-reset");
        tokio::spawn(async move { count(&app, "path=/v1/users/login&at_least=1&wait=10").await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let reset = app.control(Method::POST, "/reset", None).await;
    assert_eq!(reset.status, 200, "{:?}", reset.body);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(!held.is_finished(), "the count still waits after the reset");
    let _ = app.admin_token().await;
    // Counted in the cluster the login reached (the one waited on before the reset counts 0).
    assert_eq!(held.await.unwrap(), json!({"count": 1, "reached": true}));
}

#[tokio::test]
async fn requests_no_route_took_are_listed_with_their_near_miss() {
    let app = TestApp::spawn(config())
        .await
        .in_cluster("verify-unmatched");
    let token = app.admin_token().await;
    let typo = app
        .post(
            "/acount",
            &token,
            json!({"cc": "1", "phone_number": "6315550220"}),
        )
        .await;
    assert_eq!(typo.status, 404);
    let not_json = app
        .send(
            app.client
                .post(app.url("/account"))
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body("{cc: 1"),
        )
        .await;
    assert_eq!(not_json.status, 400);
    let unknown_field = app
        .post(
            "/account",
            &token,
            json!({"cc": "1", "phone_number": "6315550220", "method": "sms", "cert": "x", "colour": "red"}),
        )
        .await;
    assert_eq!(unknown_field.status, 400);
    let edge = app
        .graph(Method::POST, "/123456789012345/regster", Some("t"), None)
        .await;
    assert_eq!(edge.status, 400);
    // A request that was answered is not listed.
    assert_eq!(app.get("/health", &token).await.status, 200);

    let unmatched = app
        .control(
            Method::GET,
            "/clusters/verify-unmatched/requests/unmatched",
            None,
        )
        .await;
    let listed: Vec<(String, String, String)> = unmatched.body["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                format!(
                    "{} {}",
                    r["method"].as_str().unwrap(),
                    r["path"].as_str().unwrap()
                ),
                r["reason"].as_str().unwrap().to_owned(),
                r["near_miss"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (
                "POST /v1/acount".to_owned(),
                "not_found.route".to_owned(),
                "POST /v1/account".to_owned()
            ),
            (
                "POST /v1/account".to_owned(),
                "request.not_json".to_owned(),
                "POST /v1/account".to_owned()
            ),
            (
                "POST /v1/account".to_owned(),
                "validation.unexpected_parameter".to_owned(),
                "POST /v1/account".to_owned()
            ),
            (
                "POST /v23.0/123456789012345/regster".to_owned(),
                "not_found.route".to_owned(),
                "POST /{version}/{id}/register".to_owned()
            ),
        ],
        "{:?}",
        unmatched.body
    );
    // The filters apply; DELETE empties it with the journal.
    let cloud = app
        .control(
            Method::GET,
            "/clusters/verify-unmatched/requests/unmatched?surface=cloud",
            None,
        )
        .await;
    assert_eq!(cloud.body["requests"].as_array().unwrap().len(), 1);
    let cleared = app
        .control(
            Method::DELETE,
            "/clusters/verify-unmatched/requests/unmatched",
            None,
        )
        .await;
    assert_eq!(cleared.status, 200);
    assert_eq!(count(&app, "").await["count"], 0);
}

#[tokio::test]
async fn a_fault_on_a_route_that_does_not_exist_is_refused_with_the_closest() {
    let app = TestApp::spawn(config()).await;
    let refused = app
        .control(
            Method::POST,
            "/clusters/default/faults",
            Some(json!({"route": "/v1/acount", "fault": {"type": "drop"}})),
        )
        .await;
    refused.assert_error(400, 1009, "/v1/acount is not a route of the emulator");
    assert!(
        refused.error().2.contains("POST /v1/account"),
        "{:?}",
        refused.body
    );
    // Routes with their {param} segments, or the values, are taken; a {param} fires for any.
    let token = app.admin_token().await;
    for (route, method) in [
        ("/v1/users/{username}", "delete"),
        ("/v23.0/{id}/register", "post"),
        ("/v1/account", "post"),
    ] {
        let armed = app
            .control(
                Method::POST,
                "/clusters/default/faults",
                Some(json!({"route": route, "method": method, "fault": {"type": "not_ready"}})),
            )
            .await;
        assert_eq!(armed.status, 200, "{route}: {:?}", armed.body);
    }
    let waba = app.cloud().await["waba_id"].as_str().unwrap().to_owned();
    let added = app
        .graph(
            Method::POST,
            &format!("/{waba}/phone_numbers"),
            Some("t"),
            Some(json!({"cc": "1", "phone_number": "6315550230", "verified_name": "A"})),
        )
        .await;
    let id = added.body["id"].as_str().unwrap().to_owned();
    let fired = app
        .graph(
            Method::POST,
            &format!("/{id}/register"),
            Some("t"),
            Some(json!({"messaging_product": "whatsapp", "pin": "123456"})),
        )
        .await;
    assert_eq!(fired.status, 503, "{:?}", fired.body);
    let user = app.delete("/users/nobody", &token).await;
    assert_eq!(user.status, 503, "{:?}", user.body);
}

#[tokio::test]
async fn the_embedded_emulator_verifies_the_same_way() {
    use std::time::Duration;
    use wa_onprem_emulator::Emulator;
    use wa_onprem_emulator::journal::{RequestFilter, Surface};

    let emulator = Emulator::builder()
        .admin_password("Adm1n!pass")
        .start()
        .await;
    let client = reqwest::Client::new();
    let login = client
        .post(format!(
            "{}/clusters/embedded/v1/users/login",
            emulator.uri()
        ))
        .basic_auth("admin", Some("Adm1n!pass"))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let waiting = {
        let filter = RequestFilter {
            path: Some("/v1/acount".into()),
            ..RequestFilter::default()
        };
        let emulator = &emulator;
        async move {
            emulator
                .wait_for_requests("embedded", &filter, 1, Duration::from_secs(30))
                .await
        }
    };
    let typo = async {
        client
            .post(format!("{}/clusters/embedded/v1/acount", emulator.uri()))
            .send()
            .await
            .unwrap()
            .status()
    };
    let (count, status) = tokio::join!(waiting, typo);
    assert_eq!((count, status.as_u16()), (1, 404));
    let on_premises = RequestFilter {
        surface: Some(Surface::OnPremises),
        ..RequestFilter::default()
    };
    assert_eq!(emulator.count("embedded", &on_premises), 2);
    let logins = emulator.requests(
        "embedded",
        &RequestFilter {
            method: Some("post".into()),
            status: Some(200),
            ..RequestFilter::default()
        },
    );
    assert_eq!(logins.len(), 1);
    assert_eq!(logins[0].path, "/v1/users/login");
    let [unmatched] = emulator.unmatched("embedded").try_into().unwrap();
    assert_eq!(unmatched.path, "/v1/acount");
    assert_eq!(unmatched.near_miss.as_deref(), Some("POST /v1/account"));
    // The cluster's whole state, copied into another.
    let document = emulator.snapshot("embedded").unwrap();
    assert!(emulator.snapshot("nowhere").is_none());
    emulator
        .restore("embedded-copy", document.clone())
        .await
        .unwrap();
    let copy = emulator.snapshot("embedded-copy").unwrap();
    assert_eq!(
        serde_json::to_value(&copy.users).unwrap(),
        serde_json::to_value(&document.users).unwrap()
    );
    assert_eq!(copy.tokens.len(), 1, "the login's token came along");
}

#[tokio::test]
async fn a_read_of_a_cluster_that_does_not_exist_is_404_and_makes_none() {
    let app = TestApp::spawn(config()).await;
    let token = app.admin_token().await;
    app.in_cluster("checkout-7").get("/health", &token).await;
    let before = app.clusters().await;
    for read in [
        "/clusters/defualt/codes/latest",
        "/clusters/defualt/codes",
        "/clusters/defualt/requests?path=/v1/account",
        "/clusters/defualt/requests/count",
        "/clusters/defualt/cloud",
        "/clusters/defualt/policy",
        "/clusters/defualt/faults",
        "/clusters/defualt/clock",
        "/clusters/defualt/topology",
    ] {
        let answer = app.control(Method::GET, read, None).await;
        answer.assert_error(404, 1006, "No cluster named defualt exists");
        assert!(
            answer.error().2.contains("did you mean default?")
                && answer.error().2.contains("checkout-7"),
            "{read}: {:?}",
            answer.body
        );
    }
    app.control(Method::GET, "/clusters/checkout-8/cloud", None)
        .await
        .assert_error(404, 1006, "did you mean checkout-7?");
    assert_eq!(app.clusters().await, before, "no read made a cluster");
    // `default` always exists for a read; a write makes any cluster.
    let fresh = TestApp::spawn(config()).await;
    let read = fresh
        .control(Method::GET, "/clusters/default/codes", None)
        .await;
    assert_eq!(read.status, 200, "{:?}", read.body);
    let made = fresh
        .control(
            Method::PUT,
            "/clusters/new-one/policy",
            Some(json!({"policy": "sunset"})),
        )
        .await;
    assert_eq!(made.status, 200, "{:?}", made.body);
    let read = fresh
        .control(Method::GET, "/clusters/new-one/policy", None)
        .await;
    assert_eq!(read.body["policy"], "sunset");
}

#[tokio::test]
async fn metrics_count_what_was_served_in_prometheus_text() {
    let app = TestApp::spawn(config().control_token("ctl-m3trics")).await;
    let token = app.admin_token().await;
    let cert = reqwest::Client::new()
        .post(format!("{}/_emulator/certs", app.base))
        .bearer_auth("ctl-m3trics")
        .json(&json!({"vname": "Acme"}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["cert"]
        .as_str()
        .unwrap()
        .to_owned();
    for phone in ["6315550240", "6315550241"] {
        assert_eq!(
            app.request_code(&token, phone, "sms", &cert).await.status,
            202
        );
    }
    assert_eq!(app.post("/acount", &token, json!({})).await.status, 404);
    let get = |token: Option<&'static str>| {
        let mut request = reqwest::Client::new().get(format!("{}/_emulator/metrics", app.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    assert_eq!(
        get(None).await.unwrap().status(),
        401,
        "guarded like the rest"
    );
    let answer = get(Some("ctl-m3trics")).await.unwrap();
    assert_eq!(
        answer.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = answer.text().await.unwrap();
    for line in [
        "wa_emulator_requests_total{surface=\"on_premises\",route=\"POST /v1/account\",status=\"202\"} 2",
        "wa_emulator_requests_total{surface=\"on_premises\",route=\"POST /v1/users/login\",status=\"200\"} 1",
        "wa_emulator_requests_total{surface=\"none\",route=\"unmatched\",status=\"404\"} 1",
        "wa_emulator_codes_sent_total{surface=\"on_premises\",method=\"sms\"} 2",
        "wa_emulator_codes_sent_total{surface=\"cloud\",method=\"voice\"} 0",
        "wa_emulator_clusters 1",
        "wa_emulator_request_duration_seconds_count{surface=\"on_premises\"} 3",
        &format!(
            "wa_emulator_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        ),
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "{line} missing from:\n{text}"
        );
    }
    // Every sample line is `name{labels} value`, the histogram cumulative.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (_, value) = line.rsplit_once(' ').unwrap();
        assert!(value.parse::<f64>().is_ok(), "{line}");
    }
}

#[tokio::test]
async fn a_cluster_s_state_reads_and_writes_as_one_document() {
    let app = TestApp::spawn(config()).await;
    let from = app.in_cluster("state-from");
    let token = from.admin_token().await;
    from.register(&token, "6315550250").await;
    from.set_pin(&token, "246810").await;
    let waba = from.cloud().await["waba_id"].as_str().unwrap().to_owned();
    let added = from
        .graph(
            Method::POST,
            &format!("/{waba}/phone_numbers"),
            Some("t"),
            Some(json!({"cc": "44", "phone_number": "7700900123", "verified_name": "Acme UK"})),
        )
        .await;
    assert_eq!(added.status, 200);
    from.control(
        Method::PUT,
        "/clusters/state-from/policy",
        Some(json!({"policy": "sunset"})),
    )
    .await;
    from.control(
        Method::POST,
        "/clusters/state-from/faults",
        Some(json!({"route": "/v1/health", "times": 2, "fault": {"type": "not_ready"}})),
    )
    .await;
    from.control(
        Method::POST,
        "/clusters/state-from/clock",
        Some(json!({"advance_seconds": 90})),
    )
    .await;

    let read = |cluster: &'static str| {
        let app = &app;
        async move {
            let answer = app
                .control(Method::GET, &format!("/clusters/{cluster}/state"), None)
                .await;
            assert_eq!(answer.status, 200, "{:?}", answer.body);
            answer.body
        }
    };
    let document = read("state-from").await;
    assert_eq!(document["version"], 1);
    assert_eq!(
        document["registration"]["registered"]["number"]["phone_number"],
        "6315550250"
    );
    assert_eq!(document["meta"]["policy"], "sunset");
    assert_eq!(document["faults"][0]["times"], 2);
    assert!(document["users"]["admin"]["password_hash"].is_string());
    let put = app
        .control(
            Method::PUT,
            "/clusters/state-to/state",
            Some(document.clone()),
        )
        .await;
    assert_eq!(put.status, 200, "{:?}", put.body);
    let mut copied = read("state-to").await;
    copied["cluster"] = document["cluster"].clone();
    assert_eq!(copied, document, "the same document but for the name");

    // The copy serves as the original: the token, the registered number, the pin, the faults.
    let to = app.in_cluster("state-to");
    let health = to.get("/health", &token).await;
    assert_eq!(
        health.status, 503,
        "the armed fault came along: {:?}",
        health.body
    );
    // A newer document is refused, naming why; nothing changes.
    let mut newer = document.clone();
    newer["version"] = json!(2);
    app.control(Method::PUT, "/clusters/state-to/state", Some(newer))
        .await
        .assert_error(400, 1009, "newer than this emulator");
    let mut unknown = document;
    unknown["colour"] = json!("red");
    app.control(Method::PUT, "/clusters/state-to/state", Some(unknown))
        .await
        .assert_error(400, 1009, "unknown field `colour`");
    let mut after = read("state-to").await;
    after["cluster"] = json!("state-from");
    assert_eq!(after["meta"]["policy"], "sunset");
}
