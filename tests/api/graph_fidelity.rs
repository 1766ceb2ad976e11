//! Graph as Meta describes it and as Graph SDKs call it, over real HTTP: the common parameters
//! (`appsecret_proof` with `--app-secret`, `suppress_http_code`, `debug`, `pretty`, extra keys),
//! `filtering`, fields as Graph reads them, `messaging_product` and `tier` as Meta's description
//! reads them, titles of forced codes, Graph's headers and ids, form and multipart bodies, and
//! Graph-looking paths answered in Graph's envelope. Sources: `docs/src/cloud.md`.

use reqwest::Method;
use reqwest::multipart::Form;
use serde_json::{Value, json};

use crate::helpers::{Answer, TestApp, config};

const TOKEN: &str = "EAAG-fidelity-token";
const SECRET: &str = "0123456789abcdef0123456789abcdef";

/// `/clusters/{cluster}/v23.0{path}` of `app`'s server.
fn url(app: &TestApp, path: &str) -> String {
    format!("{}/clusters/{}/v23.0{path}", app.base, app.cluster)
}

/// `method path` on `app`'s cluster's Graph surface, with the test's token as Bearer.
fn call(app: &TestApp, method: Method, path: &str) -> reqwest::RequestBuilder {
    app.client
        .request(method, url(app, path))
        .bearer_auth(TOKEN)
}

/// The hex HMAC-SHA256 of `message` keyed with `key` (what php-graph-sdk's
/// `hash_hmac('sha256', …)` writes), computed here with ring, independently of the server.
fn hmac_hex(key: &str, message: &str) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key.as_bytes());
    ring::hmac::sign(&key, message.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn add_number(app: &TestApp, phone: &str) -> String {
    app.add_cloud_number(TOKEN, phone).await
}

async fn waba(app: &TestApp) -> String {
    app.waba_id().await
}

/// Asks for a code, verifies it and registers the number with pin 123456.
async fn register(app: &TestApp, id: &str, phone: &str) {
    let asked = app
        .graph(
            Method::POST,
            &format!("/{id}/request_code"),
            Some(TOKEN),
            Some(json!({"code_method": "SMS", "language": "en_US"})),
        )
        .await;
    asked.assert_graph_success();
    let code = app.latest_code(phone).await;
    let verified = app
        .graph(
            Method::POST,
            &format!("/{id}/verify_code"),
            Some(TOKEN),
            Some(json!({"code": code})),
        )
        .await;
    verified.assert_graph_success();
    let registered = app
        .graph(
            Method::POST,
            &format!("/{id}/register"),
            Some(TOKEN),
            Some(json!({"messaging_product": "whatsapp", "pin": "123456"})),
        )
        .await;
    registered.assert_graph_success();
}

/// The keys of the answer's error object, in the order they were written.
async fn error_keys(req: reqwest::RequestBuilder) -> (Answer, Vec<String>) {
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap();
    let body: Value = serde_json::from_str(&text).unwrap();
    // serde_json's map sorts keys: read the order from the text itself.
    let object = text.split_once("\"error\":{").unwrap().1;
    let mut keys = Vec::new();
    let mut depth = 0;
    let mut rest = object;
    while let Some(i) = rest.find(['"', '{', '}']) {
        match rest.as_bytes()[i] {
            b'{' => {
                depth += 1;
                rest = &rest[i + 1..];
            }
            b'}' if depth == 0 => break,
            b'}' => {
                depth -= 1;
                rest = &rest[i + 1..];
            }
            _ => {
                let after = &rest[i + 1..];
                let end = after.find('"').unwrap();
                let word = &after[..end];
                let tail = &after[end + 1..];
                if depth == 0 && tail.starts_with(':') {
                    keys.push(word.to_owned());
                }
                rest = tail;
            }
        }
    }
    (
        Answer {
            status,
            headers,
            body,
        },
        keys,
    )
}

#[tokio::test]
async fn common_parameters_are_taken_on_every_call_and_extra_keys_ignored() {
    let app = TestApp::spawn(config()).await.in_cluster("common-params");
    let id = add_number(&app, "6315551100").await;
    // Graph's common parameters and a cache buster, in the query of a read and of a write.
    let read = app
        .send(call(
            &app,
            Method::GET,
            &format!(
                "/{id}?fields=status&debug=all&pretty=0&locale=en_US&_=1733560000&cache_buster=9"
            ),
        ))
        .await;
    assert_eq!(read.status, 200, "{:?}", read.body);
    assert_eq!(read.body["status"], "PENDING");
    let asked = app
        .send(
            call(
                &app,
                Method::POST,
                &format!("/{id}/request_code?pretty=1&debug=info"),
            )
            .json(&json!({"code_method": "SMS", "language": "en_US", "client_ref": "abc"})),
        )
        .await;
    asked.assert_graph_success();
}

#[tokio::test]
async fn suppress_http_code_answers_200_with_the_error_body() {
    let app = TestApp::spawn(config()).await.in_cluster("suppress");
    let id = add_number(&app, "6315551101").await;
    let plain = app
        .send(
            call(&app, Method::POST, &format!("/{id}/register"))
                .json(&json!({"messaging_product": "whatsapp", "pin": "12"})),
        )
        .await;
    assert_eq!(plain.status, 400, "{:?}", plain.body);
    let suppressed = app
        .send(
            call(
                &app,
                Method::POST,
                &format!("/{id}/register?suppress_http_code=1"),
            )
            .json(&json!({"messaging_product": "whatsapp", "pin": "12"})),
        )
        .await;
    assert_eq!(suppressed.status, 200, "{:?}", suppressed.body);
    assert_eq!(
        suppressed.body["error"]["code"],
        plain.body["error"]["code"]
    );
    assert_eq!(
        suppressed.body["error"]["message"],
        plain.body["error"]["message"]
    );
    // Without a token too: 200, Graph's 190 in the body.
    let untokened = app
        .send(
            app.client
                .get(url(&app, &format!("/{id}?suppress_http_code=1"))),
        )
        .await;
    assert_eq!(untokened.status, 200);
    assert_eq!(untokened.body["error"]["code"], 104);
}

#[tokio::test]
async fn an_app_secret_proof_is_checked_as_graph_checks_it() {
    let app = TestApp::spawn(config().app_secret(SECRET))
        .await
        .in_cluster("proof");
    let id = add_number(&app, "6315551102").await; // no proof: taken without the requirement
    let read = |query: String| {
        app.send(call(
            &app,
            Method::GET,
            &format!("/{id}?fields=status&{query}"),
        ))
    };
    let proof = hmac_hex(SECRET, TOKEN);
    let ok = read(format!("appsecret_proof={proof}")).await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    // Upper-case hex is the same proof.
    let upper = read(format!("appsecret_proof={}", proof.to_uppercase())).await;
    assert_eq!(upper.status, 200, "{:?}", upper.body);
    // With appsecret_time, the proof is of TOKEN|time.
    let timed = hmac_hex(SECRET, &format!("{TOKEN}|1733560000"));
    let ok = read(format!("appsecret_proof={timed}&appsecret_time=1733560000")).await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    let bad = read(format!("appsecret_proof={timed}")).await;
    bad.assert_core_graph_error(
        400,
        100,
        None,
        "GraphMethodException",
        "Invalid appsecret_proof provided in the API argument",
        "HMAC-SHA256",
    );
    assert_eq!(bad.reason(), "cloud.appsecret_proof.invalid");
    let wrong_secret = read(format!("appsecret_proof={}", hmac_hex("other", TOKEN))).await;
    assert_eq!(wrong_secret.status, 400);
    assert_eq!(
        wrong_secret.body["error"]["message"],
        "Invalid appsecret_proof provided in the API argument"
    );
    // The token and its proof in a form body, as Meta's curl sample sends them.
    let form = app
        .send(
            app.client
                .post(url(&app, &format!("/{id}/request_code")))
                .form(&[
                    ("access_token", TOKEN),
                    ("appsecret_proof", proof.as_str()),
                    ("code_method", "SMS"),
                    ("language", "en_US"),
                ]),
        )
        .await;
    form.assert_graph_success();
    // And in a JSON body.
    let json_body = app
        .send(app.client.post(url(&app, &format!("/{id}/request_code"))).json(&json!({
            "access_token": TOKEN, "appsecret_proof": proof, "code_method": "VOICE", "language": "en_US"
        })))
        .await;
    assert_eq!(json_body.status, 200, "{:?}", json_body.body);
    // The proof is of the token the call carries.
    let other = app
        .send(
            app.client
                .get(url(&app, &format!("/{id}?appsecret_proof={proof}")))
                .bearer_auth("EAAG-another-token"),
        )
        .await;
    assert_eq!(other.status, 400, "{:?}", other.body);
}

#[tokio::test]
async fn a_required_proof_refuses_a_call_without_one() {
    let app = TestApp::spawn(config().app_secret(SECRET).require_appsecret_proof(true))
        .await
        .in_cluster("proof-required");
    let waba = waba(&app).await;
    let missing = app
        .send(call(&app, Method::GET, &format!("/{waba}/phone_numbers")))
        .await;
    missing.assert_core_graph_error(
        400,
        100,
        None,
        "GraphMethodException",
        "API calls from the server require an appsecret_proof argument",
        "--require-appsecret-proof",
    );
    assert_eq!(missing.reason(), "cloud.appsecret_proof.missing");
    let proof = hmac_hex(SECRET, TOKEN);
    let listed = app
        .send(call(
            &app,
            Method::GET,
            &format!("/{waba}/phone_numbers?appsecret_proof={proof}"),
        ))
        .await;
    assert_eq!(listed.status, 200, "{:?}", listed.body);
    // The token is checked before its proof: no token is still 104.
    let no_token = app
        .send(app.client.get(url(&app, &format!("/{waba}/phone_numbers"))))
        .await;
    assert_eq!(no_token.body["error"]["code"], 104, "{:?}", no_token.body);
}

#[tokio::test]
async fn a_graph_answer_carries_graph_s_headers_and_trace_id() {
    let app = TestApp::spawn(config()).await.in_cluster("headers");
    let id = add_number(&app, "6315551103").await;
    let read = app.send(call(&app, Method::GET, &format!("/{id}"))).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.headers["facebook-api-version"], "v23.0");
    let trace = read.headers["x-fb-trace-id"].to_str().unwrap();
    assert_eq!(trace.len(), 23, "{trace}");
    // An error: the trace id is the body's fbtrace_id, 23 characters of base64url.
    let (refused, keys) = error_keys(
        call(&app, Method::POST, &format!("/{id}/register"))
            .json(&json!({"messaging_product": "whatsapp", "pin": "1"})),
    )
    .await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    let fbtrace = refused.body["error"]["fbtrace_id"].as_str().unwrap();
    assert_eq!(fbtrace.len(), 23);
    assert!(
        fbtrace
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{fbtrace}"
    );
    assert_eq!(refused.headers["x-fb-trace-id"], fbtrace);
    assert_eq!(refused.headers["facebook-api-version"], "v23.0");
    // Graph's order: message, type, code, (error_subcode), error_data, fbtrace_id.
    assert_eq!(
        keys,
        ["message", "type", "code", "error_data", "fbtrace_id"],
        "{:?}",
        refused.body
    );
    // An OAuth error: WWW-Authenticate with its message, whatever the status.
    let expired = app.send(app.client.get(url(&app, &format!("/{id}")))).await;
    assert_eq!(expired.status, 400);
    let challenge = expired.headers["www-authenticate"].to_str().unwrap();
    assert_eq!(
        challenge,
        format!(
            "OAuth \"Facebook Platform\" \"invalid_request\" \"{}\"",
            expired.body["error"]["message"].as_str().unwrap()
        )
    );
    // Graph's own errors keep their order with a subcode.
    let (_, keys) = error_keys(call(&app, Method::GET, "/999999999999999")).await;
    assert_eq!(
        keys,
        ["message", "type", "code", "error_subcode", "fbtrace_id"]
    );
    // The version a call named: the same header for an older one Graph still serves.
    let older = app
        .send(
            app.client
                .get(format!("{}/clusters/headers/v21.0/{id}", app.base))
                .bearer_auth(TOKEN),
        )
        .await;
    assert_eq!(older.status, 200, "{:?}", older.body);
    assert_eq!(older.headers["facebook-api-version"], "v21.0");
}

#[tokio::test]
async fn an_invalid_token_s_challenge_is_invalid_token() {
    let app = TestApp::spawn(config().graph_token("the-only-token"))
        .await
        .in_cluster("challenge");
    let waba = waba(&app).await;
    let refused = app
        .send(
            app.client
                .get(url(&app, &format!("/{waba}")))
                .bearer_auth("not-it"),
        )
        .await;
    assert_eq!(refused.status, 401, "{:?}", refused.body);
    assert_eq!(refused.body["error"]["code"], 190);
    assert_eq!(
        refused.headers["www-authenticate"],
        format!(
            "OAuth \"Facebook Platform\" \"invalid_token\" \"{}\"",
            refused.body["error"]["message"].as_str().unwrap()
        )
        .as_str()
    );
}

#[tokio::test]
async fn paging_links_keep_every_parameter_of_the_call() {
    let app = TestApp::spawn(config()).await.in_cluster("paging");
    for phone in ["6315551110", "6315551111", "6315551112"] {
        add_number(&app, phone).await;
    }
    let waba = waba(&app).await;
    // The token in the query, as a browser or `curl` sends it.
    let first = app
        .send(app.client.get(url(
            &app,
            &format!(
                "/{waba}/phone_numbers?access_token={TOKEN}&limit=1&fields=display_phone_number"
            ),
        )))
        .await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    assert_eq!(first.body["data"].as_array().unwrap().len(), 1);
    let next = first.body["paging"]["next"].as_str().unwrap();
    assert!(next.contains(&format!("access_token={TOKEN}")), "{next}");
    // Followed verbatim, with nothing added.
    let second = app.send(app.client.get(next)).await;
    assert_eq!(second.status, 200, "{:?}", second.body);
    assert_eq!(second.body["data"].as_array().unwrap().len(), 1);
    assert_ne!(second.body["data"][0]["id"], first.body["data"][0]["id"]);
    assert!(second.body["data"][0]["display_phone_number"].is_string());
    // Graph's edge summary, when asked: the count across pages.
    let summary = app
        .send(app.client.get(url(
            &app,
            &format!("/{waba}/phone_numbers?access_token={TOKEN}&limit=1&summary=true"),
        )))
        .await;
    assert_eq!(summary.body["summary"], json!({"total_count": 3}));
    assert!(first.body.get("summary").is_none());
    let previous = second.body["paging"]["previous"].as_str().unwrap();
    let back = app.send(app.client.get(previous)).await;
    assert_eq!(back.body["data"][0]["id"], first.body["data"][0]["id"]);
}

#[tokio::test]
async fn filtering_phone_numbers_with_meta_s_operators() {
    let app = TestApp::spawn(config()).await.in_cluster("filtering");
    let pending = add_number(&app, "6315551120").await;
    let registered = add_number(&app, "6315551121").await;
    register(&app, &registered, "6315551121").await;
    let waba = waba(&app).await;
    let list = |filtering: Value| {
        let query = serde_urlencoded::to_string([("filtering", filtering.to_string())]).unwrap();
        app.send(call(
            &app,
            Method::GET,
            &format!("/{waba}/phone_numbers?{query}"),
        ))
    };
    let ids = |answer: &Answer| -> Vec<String> {
        answer.body["data"]
            .as_array()
            .unwrap_or_else(|| panic!("{:?}", answer.body))
            .iter()
            .map(|n| n["id"].as_str().unwrap().to_owned())
            .collect()
    };
    // Meta's example: every number here is LIVE.
    let live = list(json!([{"field": "account_mode", "operator": "EQUAL", "value": "LIVE"}])).await;
    assert_eq!(ids(&live), [pending.clone(), registered.clone()]);
    let connected =
        list(json!([{"field": "status", "operator": "EQUAL", "value": "CONNECTED"}])).await;
    assert_eq!(ids(&connected), vec![registered.clone()]);
    let not_connected =
        list(json!([{"field": "status", "operator": "NOT_EQUAL", "value": "CONNECTED"}])).await;
    assert_eq!(ids(&not_connected), vec![pending.clone()]);
    let any =
        list(json!([{"field": "status", "operator": "IN", "value": ["PENDING", "CONNECTED"]}]))
            .await;
    assert_eq!(ids(&any).len(), 2);
    let none = list(json!([
        {"field": "status", "operator": "NOT_IN", "value": ["PENDING", "CONNECTED"]}
    ]))
    .await;
    assert!(ids(&none).is_empty());
    // Two conditions: both must hold.
    let both = list(json!([
        {"field": "account_mode", "operator": "EQUAL", "value": "LIVE"},
        {"field": "status", "operator": "EQUAL", "value": "PENDING"}
    ]))
    .await;
    assert_eq!(ids(&both), vec![pending.clone()]);
    // Sorted as Meta's description lets a client sort them.
    let sorted = |sort: &str| {
        app.send(call(
            &app,
            Method::GET,
            &format!("/{waba}/phone_numbers?sort={sort}"),
        ))
    };
    assert_eq!(
        ids(&sorted("creation_time.desc").await),
        [registered.clone(), pending.clone()]
    );
    // Never onboarded comes after every onboarded number.
    assert_eq!(
        ids(&sorted("last_onboarded_time.asc").await),
        [registered.clone(), pending.clone()]
    );
    sorted("colour.asc").await.assert_graph_error(
        400,
        100,
        "(#100) Invalid parameter",
        "last_onboarded_time.desc",
    );
    // An operator Graph does not have: its (#100) with what to fix.
    let bad = list(json!([{"field": "status", "operator": "LIKE", "value": "C"}])).await;
    bad.assert_graph_error(
        400,
        100,
        "(#100) Invalid parameter",
        "EQUAL, NOT_EQUAL, IN, NOT_IN",
    );
}

#[tokio::test]
async fn fields_as_graph_reads_them() {
    let app = TestApp::spawn(config()).await.in_cluster("fields");
    let id = add_number(&app, "6315551130").await;
    let read = |fields: &str| app.send(call(&app, Method::GET, &format!("/{id}?fields={fields}")));
    // One unknown field refuses the whole read, with Graph's text and no error_data.
    let unknown = read("status,colour").await;
    unknown.assert_core_graph_error(
        400,
        100,
        None,
        "OAuthException",
        "(#100) Tried accessing nonexisting field (colour) on node type (WhatsAppBusinessPhoneNumber)",
        "account_mode",
    );
    // Real fields are taken; filled where the emulator has a value, left out where not.
    let real = read(
        "official_business_account,new_display_name,new_name_status,search_visibility,country_dial_code,health_status,account_mode,last_onboarded_time,messaging_limit_tier,certificate",
    )
    .await;
    assert_eq!(real.status, 200, "{:?}", real.body);
    assert_eq!(
        real.body["official_business_account"],
        json!({"oba_status": "NOT_STARTED"})
    );
    assert_eq!(real.body["country_dial_code"], "1");
    assert_eq!(real.body["account_mode"], "LIVE");
    assert_eq!(real.body["new_name_status"], "NONE");
    assert_eq!(real.body["search_visibility"], "HIDDEN");
    assert_eq!(real.body["health_status"]["can_send_message"], "BLOCKED");
    assert_eq!(
        real.body["health_status"]["entities"][0],
        json!({"entity_type": "PHONE_NUMBER", "id": id, "can_send_message": "BLOCKED"})
    );
    for absent in [
        "new_display_name",
        "last_onboarded_time",
        "messaging_limit_tier",
        "certificate",
    ] {
        assert!(real.body.get(absent).is_none(), "{absent}: {:?}", real.body);
    }
    // Registered: onboarded at the cluster's clock, available, a messaging tier.
    register(&app, &id, "6315551130").await;
    let now =
        read("last_onboarded_time,health_status,messaging_limit_tier,search_visibility").await;
    assert_eq!(now.status, 200, "{:?}", now.body);
    let onboarded = now.body["last_onboarded_time"].as_str().unwrap();
    // Graph's datetime form: 2026-12-07T10:00:00+0000.
    assert_eq!(onboarded.len(), 24, "{onboarded}");
    assert!(onboarded.ends_with("+0000"), "{onboarded}");
    assert_eq!(now.body["health_status"]["can_send_message"], "AVAILABLE");
    assert_eq!(now.body["messaging_limit_tier"], "TIER_250");
    assert_eq!(now.body["search_visibility"], "VISIBLE");
    // The account's node names itself.
    let waba = waba(&app).await;
    let account = app
        .send(call(
            &app,
            Method::GET,
            &format!("/{waba}?fields=name,colour"),
        ))
        .await;
    assert_eq!(
        account.body["error"]["message"],
        "(#100) Tried accessing nonexisting field (colour) on node type (WhatsAppBusinessAccount)"
    );
}

#[tokio::test]
async fn register_parameters_as_meta_s_description_reads_them() {
    let app = TestApp::spawn(config()).await.in_cluster("register-params");
    let id = add_number(&app, "6315551140").await;
    let post =
        |body: Value| app.send(call(&app, Method::POST, &format!("/{id}/register")).json(&body));
    // Upper case, as the reference's enum reads: taken (the number is not verified yet, so the
    // answer is the state's, never "not taken here").
    let upper = post(json!({"messaging_product": "WHATSAPP", "pin": "123456", "tier": "PROD", "meta_store_retention_minutes": 60})).await;
    assert_eq!(upper.status, 400, "{:?}", upper.body);
    assert_eq!(upper.body["error"]["code"], 133006, "{:?}", upper.body);
    let tier =
        post(json!({"messaging_product": "whatsapp", "pin": "123456", "tier": "GOLD"})).await;
    tier.assert_graph_error(400, 100, "(#100) Invalid parameter", "PROD");
    let product = post(json!({"messaging_product": "telegram", "pin": "123456"})).await;
    assert_eq!(product.body["error"]["code"], 100);
}

#[tokio::test]
async fn forced_codes_answer_with_meta_s_titles() {
    let app = TestApp::spawn(config()).await.in_cluster("titles");
    let id = add_number(&app, "6315551150").await;
    let rules = json!({"policy": "scripted", "rules": [
        {"surface": "cloud", "operation": "register", "outcome": "error", "status": 400, "code": 131031, "details": "locked by a rule"},
        {"surface": "cloud", "operation": "request_code", "outcome": "error", "status": 400, "code": 131009, "details": "refused by a rule"},
        {"surface": "cloud", "operation": "verify_code", "outcome": "error", "status": 429, "code": 80007, "details": "limited by a rule"}
    ]});
    let put = app
        .control(Method::PUT, "/clusters/titles/policy", Some(rules))
        .await;
    assert_eq!(put.status, 200, "{:?}", put.body);
    let call = |op: &str, body: Value| {
        app.send(call(&app, Method::POST, &format!("/{id}/{op}")).json(&body))
    };
    let locked = call(
        "register",
        json!({"messaging_product": "whatsapp", "pin": "123456"}),
    )
    .await;
    assert_eq!(locked.status, 400);
    assert_eq!(
        locked.body["error"]["message"],
        "(#131031) Business Account locked"
    );
    let invalid = call(
        "request_code",
        json!({"code_method": "SMS", "language": "en_US"}),
    )
    .await;
    assert_eq!(
        invalid.body["error"]["message"],
        "(#131009) Parameter value is not valid"
    );
    let limited = call("verify_code", json!({"code": "123456"})).await;
    assert_eq!(limited.status, 429);
    assert_eq!(
        limited.body["error"]["message"],
        "(#80007) Rate limit issues"
    );
}

#[tokio::test]
async fn form_and_multipart_bodies_are_read_as_graph_reads_them() {
    let app = TestApp::spawn(config()).await.in_cluster("bodies");
    let waba = waba(&app).await;
    // `curl -F cc=1 -F phone_number=… -F verified_name=…`, as Meta's samples send it.
    let form = Form::new()
        .text("cc", "1")
        .text("phone_number", "6315551160")
        .text("verified_name", "Acme");
    let added = app
        .send(call(&app, Method::POST, &format!("/{waba}/phone_numbers")).multipart(form))
        .await;
    assert_eq!(added.status, 200, "{:?}", added.body);
    let id = added.body["id"].as_str().unwrap().to_owned();
    // A urlencoded form.
    let asked = app
        .send(
            call(&app, Method::POST, &format!("/{id}/request_code"))
                .form(&[("code_method", "SMS"), ("language", "en_US")]),
        )
        .await;
    asked.assert_graph_success();
    let code = app.latest_code("6315551160").await;
    let verified = app
        .send(
            call(&app, Method::POST, &format!("/{id}/verify_code"))
                .multipart(Form::new().text("code", code)),
        )
        .await;
    verified.assert_graph_success();
    let registered = app
        .send(
            call(&app, Method::POST, &format!("/{id}/register")).multipart(
                Form::new()
                    .text("messaging_product", "whatsapp")
                    .text("pin", "123456"),
            ),
        )
        .await;
    registered.assert_graph_success();
    // A multipart body that is not one: Graph's (#100), never a 5xx.
    let broken = app
        .send(
            call(&app, Method::POST, &format!("/{id}/register"))
                .header("content-type", "multipart/form-data; boundary=XYZ")
                .body("--XYZ\r\nContent-Disposition: form-data; name=\"pin\"\r\n\r\n12"),
        )
        .await;
    assert_eq!(broken.status, 400, "{:?}", broken.body);
    assert_eq!(broken.body["error"]["code"], 100);
}

#[tokio::test]
async fn graph_looking_paths_answer_in_graph_s_envelope() {
    let app = TestApp::spawn(config()).await.in_cluster("graph-paths");
    let id = add_number(&app, "6315551170").await;
    for prefix in ["v23", "V23.0", "v23.0.1", "v1000.0"] {
        let answer = app
            .send(
                app.client
                    .get(format!("{}/clusters/graph-paths/{prefix}/{id}", app.base))
                    .bearer_auth(TOKEN),
            )
            .await;
        assert_eq!(answer.status, 400, "{prefix}: {:?}", answer.body);
        assert!(
            answer.body["error"]["code"].is_u64(),
            "{prefix}: {:?}",
            answer.body
        );
        assert!(
            answer.body.get("meta").is_none(),
            "{prefix}: {:?}",
            answer.body
        );
        assert!(answer.headers.contains_key("x-fb-trace-id"), "{prefix}");
    }
    let unknown = app
        .send(
            app.client
                .get(format!("{}/clusters/graph-paths/v23/{id}", app.base))
                .bearer_auth(TOKEN),
        )
        .await;
    assert_eq!(unknown.body["error"]["code"], 2500, "{:?}", unknown.body);
    // The On-Premises API keeps its own envelope next to them.
    let vendor = app
        .send(
            app.client
                .get(format!("{}/clusters/graph-paths/v1/acount", app.base)),
        )
        .await;
    assert_eq!(vendor.status, 404);
    assert!(vendor.body["errors"].is_array(), "{:?}", vendor.body);
}
