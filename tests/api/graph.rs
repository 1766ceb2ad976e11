//! The Graph surface as faithful as the On-Premises one, over real HTTP: Graph's own envelope
//! for every answer under a Graph path (methods an object does not take, unknown edges, unknown
//! versions, paths without a version), Graph's core errors (104, 190, 190 / 463 for a token
//! made to expire), WhatsApp's codes with Meta's statuses (133008, 133010, `(#100) The parameter
//! X is required.`), phone numbers read and shown with libphonenumber's metadata, the documented
//! parameters with their rules (`data_localization_region`, paging, `fields`), and the restore
//! of a multiconnect backup. `docs/src/cloud.md` cites the source of each.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, config};

const TOKEN: Option<&str> = Some("EAAG-system-user-token");

/// Graph's text for an object that does not take `method` (or does not exist).
fn unsupported(method: &str, id: &str) -> String {
    format!(
        "Unsupported {method} request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"
    )
}

async fn waba(app: &TestApp) -> String {
    app.cloud().await["waba_id"].as_str().unwrap().to_owned()
}

/// Adds `cc` `phone` to the cluster's account; the answer.
async fn add(app: &TestApp, cc: &str, phone: &str) -> crate::helpers::Answer {
    let waba = waba(app).await;
    app.graph(
        Method::POST,
        &format!("/{waba}/phone_numbers"),
        TOKEN,
        Some(json!({"cc": cc, "phone_number": phone, "verified_name": "Acme"})),
    )
    .await
}

async fn add_number(app: &TestApp, phone: &str) -> String {
    let answer = add(app, "1", phone).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    answer.body["id"].as_str().unwrap().to_owned()
}

async fn post(app: &TestApp, path: &str, body: Value) -> crate::helpers::Answer {
    app.graph(Method::POST, path, TOKEN, Some(body)).await
}

/// A request to `path` as it is (no version put in front), with the Graph token.
async fn raw(app: &TestApp, method: Method, path: &str) -> crate::helpers::Answer {
    app.send(
        app.client
            .request(method, format!("{}{path}", app.base))
            .bearer_auth(TOKEN.unwrap()),
    )
    .await
}

/// Verifies +1 `phone` with a code and registers it with `pin`.
async fn registered(app: &TestApp, phone: &str, pin: &str) -> String {
    let id = add_number(app, phone).await;
    let asked = post(
        app,
        &format!("/{id}/request_code"),
        json!({"code_method": "SMS", "language": "en_US"}),
    )
    .await;
    assert_eq!(asked.body, json!({"success": true}), "{:?}", asked.body);
    let code = app.latest_code(phone).await;
    let verified = post(app, &format!("/{id}/verify_code"), json!({"code": code})).await;
    assert_eq!(verified.body, json!({"success": true}));
    let done = post(
        app,
        &format!("/{id}/register"),
        json!({"messaging_product": "whatsapp", "pin": pin}),
    )
    .await;
    assert_eq!(done.body, json!({"success": true}), "{:?}", done.body);
    id
}

#[tokio::test]
async fn methods_an_object_does_not_take_and_unknown_edges_are_graph_errors() {
    let app = TestApp::spawn(config()).await.in_cluster("graph-envelope");
    let id = add_number(&app, "6315550100").await;
    for (method, path, verb) in [
        (Method::DELETE, format!("/{id}"), "delete"),
        (Method::GET, format!("/{id}/register"), "get"),
        (Method::PUT, format!("/{id}/phone_numbers"), "put"),
    ] {
        let answer = app.graph(method, &path, TOKEN, None).await;
        answer.assert_core_graph_error(
            400,
            100,
            Some(33),
            "GraphMethodException",
            &unsupported(verb, &id),
            &id,
        );
    }
    // The same text as for an id that exists nowhere.
    app.graph(Method::GET, "/999999999999999", TOKEN, None)
        .await
        .assert_core_graph_error(
            400,
            100,
            Some(33),
            "GraphMethodException",
            &unsupported("get", "999999999999999"),
            "999999999999999",
        );
    // An unknown edge: only the components Graph cannot read.
    for (path, unread) in [
        (format!("/{id}/foo"), "/foo"),
        (format!("/{id}/foo/bar"), "/foo/bar"),
        (format!("/{id}/register/again"), "/again"),
    ] {
        app.graph(Method::GET, &path, TOKEN, None)
            .await
            .assert_core_graph_error(
                400,
                2500,
                None,
                "OAuthException",
                &format!("Unknown path components: {unread}"),
                "phone_numbers",
            );
    }
    // A version newer than the newest Graph has (v26.0), or one it never had.
    for version in ["v27.0", "v23.5"] {
        raw(
            &app,
            Method::POST,
            &format!("/clusters/graph-envelope/{version}/{id}/register"),
        )
        .await
        .assert_core_graph_error(
            400,
            2500,
            None,
            "OAuthException",
            &format!("Unknown path components: /{id}/register"),
            "v26.0",
        );
    }
    // Nothing under a Graph path answers in the On-Premises envelope.
    for (method, path) in [
        (Method::PATCH, format!("/v23.0/{id}")),
        (Method::DELETE, format!("/v23.0/{id}/register")),
        (Method::GET, "/v23.0".to_owned()),
        (Method::GET, "/v23.0/".to_owned()),
        (Method::POST, format!("/{id}/nothing")),
        (Method::HEAD, format!("/v23.0/{id}/verify_code")),
    ] {
        let answer = raw(&app, method.clone(), &path).await;
        assert!(answer.status >= 400, "{method} {path}: {}", answer.status);
        if method != Method::HEAD {
            assert!(
                answer.body["error"]["fbtrace_id"].is_string()
                    && answer.body.get("errors").is_none()
                    && answer.body.get("meta").is_none(),
                "{method} {path}: {:?}",
                answer.body
            );
        }
    }
}

#[tokio::test]
async fn paths_without_a_version_are_served_as_the_default_version() {
    let app = TestApp::spawn(config()).await;
    let waba = waba(&app).await;
    let added = raw(&app, Method::POST, &format!("/{waba}/phone_numbers")).await;
    // The parameters are required (phone_number first: Meta's description makes cc optional,
    // phone_number then E.164): Graph's own 100, in Graph's envelope.
    assert_eq!(
        added.body["error"]["message"],
        "(#100) The parameter phone_number is required."
    );
    let id = add_number(&app, "6315550101").await;
    let listed = raw(&app, Method::GET, &format!("/{waba}/phone_numbers")).await;
    assert_eq!(listed.status, 200, "{:?}", listed.body);
    assert_eq!(listed.body["data"][0]["id"], id.as_str());
    let asked = app
        .send(
            app.client
                .post(format!(
                    "{}/clusters/default/{id}/request_code?code_method=SMS&language=en",
                    app.base
                ))
                .bearer_auth("t"),
        )
        .await;
    assert_eq!(asked.body, json!({"success": true}), "{:?}", asked.body);
    // Journaled as the version it was served as: the newest the emulator knows.
    let journal = app
        .control(Method::GET, "/clusters/default/requests", None)
        .await;
    assert!(
        journal.body["requests"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["path"] == format!("/v26.0/{id}/request_code")),
        "{:?}",
        journal.body
    );

    // --graph-version picks the default.
    let older = TestApp::spawn(config().graph_version("v23.0")).await;
    let waba = crate::graph::waba(&older).await;
    assert_eq!(
        raw(&older, Method::GET, &format!("/{waba}")).await.body["id"],
        waba.as_str()
    );
    let journal = older
        .control(Method::GET, "/clusters/default/requests", None)
        .await;
    assert_eq!(
        journal.body["requests"][0]["path"],
        format!("/v23.0/{waba}")
    );
}

#[test]
fn a_graph_version_the_emulator_does_not_serve_stops_the_start() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wa-onprem-emulator"))
        .args(["--listen", "127.0.0.1:0", "--graph-version", "v27.0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--graph-version") && stderr.contains("v2.0 to v26.0"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_token_made_to_expire_is_refused_with_190_463_once_the_cluster_s_clock_passes_it() {
    let app = TestApp::spawn(config().graph_token("the-only-token"))
        .await
        .in_cluster("graph-expiry");
    let made = app
        .control(
            Method::POST,
            "/clusters/graph-expiry/graph/tokens",
            Some(json!({"token": "EAAG-short-lived", "expires_in_seconds": 3600})),
        )
        .await;
    assert_eq!(made.status, 200, "{:?}", made.body);
    assert_eq!(made.body["token"], "EAAG-short-lived");
    let waba = waba(&app).await;
    // Taken although --graph-token names another, until it expires.
    let path = format!("/{waba}/phone_numbers");
    let before = app
        .graph(Method::GET, &path, Some("EAAG-short-lived"), None)
        .await;
    assert_eq!(before.status, 200, "{:?}", before.body);
    app.advance_clock(3600).await;
    let after = app
        .graph(Method::GET, &path, Some("EAAG-short-lived"), None)
        .await;
    assert_eq!(after.status, 401, "{:?}", after.body);
    let message = after.body["error"]["message"].as_str().unwrap();
    after.assert_core_graph_error(401, 190, Some(463), "OAuthException", message, "expire");
    // `Error validating access token: Session has expired on Sunday, 06-Dec-26 10:00:00 PST.
    // The current time is Sunday, 06-Dec-26 10:00:00 PST.`
    let (expired, now) = message
        .strip_prefix("Error validating access token: Session has expired on ")
        .and_then(|rest| rest.strip_suffix('.'))
        .and_then(|rest| rest.split_once(". The current time is "))
        .unwrap_or_else(|| panic!("{message}"));
    assert_eq!(expired, now, "expired the moment the clock reached its end");
    assert!(
        expired.ends_with(" PST") || expired.ends_with(" PDT"),
        "{expired}"
    );
    assert!(expired.contains(", ") && expired.matches('-').count() == 2);
    // A token of another cluster is not this one's.
    let other = app.in_cluster("graph-expiry-other");
    other
        .graph(Method::GET, "/1", Some("EAAG-short-lived"), None)
        .await
        .assert_core_graph_error(
            401,
            190,
            None,
            "OAuthException",
            "Invalid OAuth access token - Cannot parse access token",
            "--graph-token",
        );
    // The control API checks what it is given.
    let bad = app
        .control(
            Method::POST,
            "/clusters/graph-expiry/graph/tokens",
            Some(json!({"expires_in_seconds": -1})),
        )
        .await;
    bad.assert_error(400, 1009, "expires_in_seconds");
    let made = app
        .control(
            Method::POST,
            "/clusters/graph-expiry/graph/tokens",
            Some(json!({"expires_in_seconds": 60})),
        )
        .await;
    assert!(made.body["token"].as_str().unwrap().starts_with("EAAG"));
    assert_eq!(made.body["expires_in_seconds"], 60.0);
    assert!(made.body["expires_at"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn too_many_wrong_pins_lock_the_number_with_133008() {
    let app = TestApp::spawn(config()).await.in_cluster("graph-pins");
    let id = registered(&app, "6315550102", "123456").await;
    let wrong = json!({"messaging_product": "whatsapp", "pin": "000000"});
    for _ in 0..5 {
        post(&app, &format!("/{id}/register"), wrong.clone())
            .await
            .assert_graph_error(
                400,
                133005,
                "(#133005) Two step verification PIN Mismatch",
                "pin",
            );
        app.advance_clock(10).await;
    }
    let right = json!({"messaging_product": "whatsapp", "pin": "123456"});
    let locked = post(&app, &format!("/{id}/register"), right.clone()).await;
    locked.assert_graph_error(
        400,
        133008,
        "(#133008) Too many two step verification PIN guesses",
        "refused until",
    );
    assert_eq!(locked.reason(), "cloud.pin_locked");
    app.advance_clock(12 * 3600).await;
    assert_eq!(
        post(&app, &format!("/{id}/register"), right).await.body,
        json!({"success": true})
    );
}

#[tokio::test]
async fn numbers_are_read_and_shown_as_meta_does() {
    let app = TestApp::spawn(config()).await.in_cluster("graph-numbers");
    let us = add_number(&app, "6315550000").await;
    // The country code inside phone_number, formatting, a leading +: the same number.
    for phone in ["16315550000", "+1 (631) 555-0000", "631.555.0000"] {
        let again = add(&app, "1", phone).await;
        assert_eq!(again.body["id"], us.as_str(), "{phone}: {:?}", again.body);
    }
    let uk = add(&app, "44", "07700 900123").await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let br = add(&app, "55", "11912345678").await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (id, shown) in [
        (&us, "+1 631-555-0000"),
        (&uk, "+44 7700 900123"),
        (&br, "+55 11 91234-5678"),
    ] {
        let got = app
            .graph(
                Method::GET,
                &format!("/{id}?fields=display_phone_number"),
                TOKEN,
                None,
            )
            .await;
        assert_eq!(got.body["display_phone_number"], shown);
    }
    // One entry per number, in the API and the control API.
    let cloud = app.cloud().await;
    let shown: Vec<&str> = cloud["phone_numbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["display_phone_number"].as_str().unwrap())
        .collect();
    assert_eq!(
        shown,
        ["+1 631-555-0000", "+44 7700 900123", "+55 11 91234-5678"]
    );
    // Numbers that are not numbers of their country.
    for (cc, phone, needle) in [
        ("1", "555", "no number there has 3 digits"),
        ("44", "+16315550000", "country code 1"),
        ("1", "call me", "must be a phone number"),
        ("0", "6315550000", "country calling code"),
    ] {
        add(&app, cc, phone)
            .await
            .assert_graph_error(400, 100, "(#100) Invalid parameter", needle);
    }
}

#[tokio::test]
async fn fields_of_new_and_on_premises_numbers_are_meta_s() {
    let app = TestApp::spawn(config()).await.in_cluster("graph-fields");
    let token = app.admin_token().await;
    app.register(&token, "6315550103").await;
    let added = add_number(&app, "6315550104").await;
    let waba = waba(&app).await;
    let list = app
        .graph(
            Method::GET,
            &format!(
                "/{waba}/phone_numbers?fields=quality_rating,name_status,code_verification_status,platform_type"
            ),
            TOKEN,
            None,
        )
        .await;
    let data = list.body["data"].as_array().unwrap();
    let of = |id: &str| data.iter().find(|n| n["id"] == id).unwrap().clone();
    let fresh = of(&added);
    assert_eq!(fresh["quality_rating"], "UNKNOWN");
    assert_eq!(fresh["name_status"], "AVAILABLE_WITHOUT_REVIEW");
    assert_eq!(fresh["code_verification_status"], "NOT_VERIFIED");
    let on_prem = data
        .iter()
        .find(|n| n["platform_type"] == "ON_PREMISE")
        .unwrap();
    assert_eq!(on_prem["quality_rating"], "GREEN");
    assert_eq!(on_prem["name_status"], "APPROVED");
    // The account honours fields too.
    let account = app
        .graph(
            Method::GET,
            &format!("/{waba}?fields=currency,name"),
            TOKEN,
            None,
        )
        .await;
    let keys: Vec<&String> = account.body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["currency", "id", "name"], "{:?}", account.body);
    assert_eq!(account.body["currency"], "USD");
    app.graph(Method::GET, &format!("/{waba}?fields=colour"), TOKEN, None)
        .await
        .assert_core_graph_error(
            400,
            100,
            None,
            "OAuthException",
            "(#100) Tried accessing nonexisting field (colour) on node type (WhatsAppBusinessAccount)",
            "currency",
        );
}

#[tokio::test]
async fn the_phone_numbers_edge_pages_with_cursors() {
    let app = TestApp::spawn(config()).await.in_cluster("graph-paging");
    let ids: Vec<String> = {
        let mut ids = Vec::new();
        for phone in ["6315550105", "6315550106", "6315550107"] {
            ids.push(add_number(&app, phone).await);
        }
        ids
    };
    let waba = waba(&app).await;
    let page = |query: String| {
        let app = &app;
        let waba = waba.clone();
        async move {
            let answer = app
                .graph(
                    Method::GET,
                    &format!("/{waba}/phone_numbers?{query}"),
                    TOKEN,
                    None,
                )
                .await;
            assert_eq!(answer.status, 200, "{query}: {:?}", answer.body);
            answer.body
        }
    };
    let first = page("limit=2&fields=id".into()).await;
    let got: Vec<&str> = first["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, [ids[0].as_str(), ids[1].as_str()]);
    assert_eq!(first["data"][0], json!({"id": ids[0]}), "fields honoured");
    let next = first["paging"]["next"].as_str().unwrap();
    assert!(
        next.contains("after=") && next.contains("limit=2"),
        "{next}"
    );
    assert!(first["paging"].get("previous").is_none());
    let after = first["paging"]["cursors"]["after"].as_str().unwrap();
    let second = page(format!("limit=2&after={after}")).await;
    assert_eq!(second["data"].as_array().unwrap().len(), 1);
    assert_eq!(second["data"][0]["id"], ids[2].as_str());
    assert!(second["paging"].get("next").is_none(), "no more: no next");
    assert!(second["paging"]["previous"].is_string());
    let before = second["paging"]["cursors"]["before"].as_str().unwrap();
    let back = page(format!("limit=2&before={before}")).await;
    let back_ids: Vec<&str> = back["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(back_ids, [ids[0].as_str(), ids[1].as_str()]);
    for query in ["limit=0", "limit=101", "limit=x", "after=not-a-cursor"] {
        app.graph(
            Method::GET,
            &format!("/{waba}/phone_numbers?{query}"),
            TOKEN,
            None,
        )
        .await
        .assert_graph_error(400, 100, "(#100) Invalid parameter", "Param");
    }
}

/// The region the control API shows for the cluster's first number.
async fn region(app: &TestApp) -> Value {
    app.cloud().await["phone_numbers"][0]["data_localization_region"].clone()
}

#[tokio::test]
async fn the_data_localization_region_is_meta_s_list_fixed_while_registered() {
    let app = TestApp::spawn(config()).await.in_cluster("graph-region");
    let id = add_number(&app, "6315550108").await;
    let asked = post(
        &app,
        &format!("/{id}/request_code"),
        json!({"code_method": "SMS", "language": "en"}),
    )
    .await;
    assert_eq!(asked.body, json!({"success": true}));
    let code = app.latest_code("6315550108").await;
    post(&app, &format!("/{id}/verify_code"), json!({"code": code})).await;
    let register = |region: &str| json!({"messaging_product": "whatsapp", "pin": "123456", "data_localization_region": region});
    post(&app, &format!("/{id}/register"), register("US"))
        .await
        .assert_graph_error(400, 100, "(#100) Invalid parameter", "AU, ID, IN");
    assert_eq!(
        post(&app, &format!("/{id}/register"), register("IN"))
            .await
            .body,
        json!({"success": true})
    );
    assert_eq!(region(&app).await, "IN");
    // Registered again with the same region: fine; with another: deregister first.
    assert_eq!(
        post(&app, &format!("/{id}/register"), register("IN"))
            .await
            .body,
        json!({"success": true})
    );
    post(&app, &format!("/{id}/register"), register("DE"))
        .await
        .assert_graph_error(400, 100, "(#100) Invalid parameter", "deregister it");
    assert_eq!(
        post(&app, &format!("/{id}/deregister"), json!({}))
            .await
            .body,
        json!({"success": true})
    );
    assert_eq!(region(&app).await, Value::Null, "cleared by deregister");
    app.advance_clock(5 * 60).await;
    assert_eq!(
        post(&app, &format!("/{id}/register"), register("DE"))
            .await
            .body,
        json!({"success": true})
    );
    assert_eq!(region(&app).await, "DE");
}

#[tokio::test]
async fn a_multiconnect_backup_restores_only_onto_as_many_shards() {
    let app = TestApp::spawn(config().coreapps(2)).await;
    let made = app.in_cluster("graph-shards-made");
    let token = made.admin_token().await;
    made.register(&token, "6315550109").await;
    let cert = made.cert("Acme").await;
    let set = made
        .post(
            "/account/shards",
            &token,
            json!({"cc": "1", "phone_number": "6315550109", "shards": 2, "cert": cert}),
        )
        .await;
    assert_eq!(set.status, 201, "{:?}", set.body);
    let backup = made.backup(&token, "B4ckup!pass").await;
    let data = backup.body["settings"]["data"].as_str().unwrap().to_owned();

    let onto = app.in_cluster("graph-shards-onto");
    let token = onto.admin_token().await;
    let body = json!({"password": "B4ckup!pass", "data": data});
    let refused = onto.post("/settings/restore", &token, body.clone()).await;
    refused.assert_error(400, 1009, "running 2 shards; this one runs 1");
    let health = onto.get("/health", &token).await.body;
    assert!(
        health.to_string().contains("unregistered")
            && !health.to_string().contains("\"connected\""),
        "nothing restored: {health}"
    );
    let topology = onto
        .control(
            Method::PUT,
            "/clusters/graph-shards-onto/topology",
            Some(json!({"shards": 2})),
        )
        .await;
    assert_eq!(topology.status, 200, "{:?}", topology.body);
    let restored = onto.post("/settings/restore", &token, body).await;
    assert_eq!(restored.status, 200, "{:?}", restored.body);
    let shards = onto.get("/account/shards", &token).await;
    assert_eq!(shards.body["account"]["shards"], 2, "{:?}", shards.body);
}

#[tokio::test]
async fn ivr_codes_from_the_version_whose_reference_lists_it() {
    let app = TestApp::spawn(config()).await.in_cluster("graph-ivr");
    let id = add_number(&app, "6315550110").await;
    let ask = |version: &str| {
        let url = format!(
            "{}/clusters/graph-ivr/{version}/{id}/request_code?code_method=IVR&language=en_US",
            app.base
        );
        app.send(app.client.post(url).bearer_auth(TOKEN.unwrap()))
    };
    ask("v23.0").await.assert_graph_error(
        400,
        100,
        "(#100) Invalid parameter",
        "IVR is taken from v26.0",
    );
    assert_eq!(ask("v26.0").await.body, json!({"success": true}));
    let sent = app
        .control(
            Method::GET,
            "/clusters/graph-ivr/codes/latest?phone_number=6315550110",
            None,
        )
        .await;
    assert_eq!(sent.body["method"], "voice", "a call reads the code out");
    assert_eq!(sent.body["surface"], "cloud");
}
