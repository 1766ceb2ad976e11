//! Conformance to Meta's description of the Cloud API (`facebook/openapi`,
//! `business-messaging-api_v23.0.yaml`) for the registration operations: each request its
//! schemas accept is answered with success on a number in the state the operation needs (never
//! refused for its form), and each answer has the shape of its response schema. The facts below
//! are taken from the description (its enums, patterns and required keys), not the file itself;
//! where the description disagrees with what Graph really answers, `docs/src/cloud.md` says so.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Answer, TestApp, config};

const TOKEN: Option<&str> = Some("EAAG-conformance-token");

/// `WhatsAppBusinessPhoneNumberRegistrationRequest`: `tier` (`V2TierName`).
const TIERS: &[&str] = &["PROD", "SANDBOX"];
/// `WhatsAppDataLocalizationRegion`.
const REGIONS: &[&str] = &[
    "AE", "AU", "BH", "BR", "CA", "CH", "DE", "GB", "ID", "IN", "JP", "KR", "SG", "ZA",
];
/// `RequestCodeRequest`: `code_method`, and `language` (`^[a-z]{2}_[A-Z]{2}$`).
const CODE_METHODS: &[&str] = &["SMS", "VOICE"];
const LANGUAGES: &[&str] = &["en_US", "pt_BR", "es_ES", "id_ID"];
/// `GET /{WABA-ID}/phone_numbers`: the fields it names, its `filtering` fields and `sort`.
const LIST_FIELDS: &[&str] = &[
    "id",
    "display_phone_number",
    "verified_name",
    "status",
    "quality_rating",
    "country_code",
    "country_dial_code",
    "code_verification_status",
    "unified_cert_status",
    "account_mode",
    "host_platform",
    "messaging_limit_tier",
    "is_official_business_account",
    "username",
];
const FILTER_FIELDS: &[(&str, &str)] = &[
    ("account_mode", "LIVE"),
    ("messaging_limit_tier", "TIER_250"),
    ("is_official_business_account", "false"),
];
const SORTS: &[&str] = &[
    "creation_time.asc",
    "creation_time.desc",
    "last_onboarded_time.asc",
    "last_onboarded_time.desc",
];
/// `WhatsAppBusinessAccount`'s properties.
const WABA_FIELDS: &[&str] = &[
    "id",
    "name",
    "account_review_status",
    "purchase_order_number",
    "audiences",
    "ownership_type",
    "subscribed_apps",
    "business_verification_status",
    "country",
    "currency",
    "timezone_id",
    "on_behalf_of_business_info",
    "schedules",
    "is_enabled_for_insights",
    "dcc_config",
    "message_templates",
    "phone_numbers",
];
/// `WhatsAppAccountNumber`'s properties (a phone number's node).
const PHONE_FIELDS: &[&str] = &[
    "id",
    "display_phone_number",
    "verified_name",
    "status",
    "quality_rating",
    "country_code",
    "country_dial_code",
    "code_verification_status",
    "name_status",
    "messaging_limit_tier",
    "account_mode",
    "certificate",
    "is_official_business_account",
    "search_visibility",
    "new_display_name",
    "webhook_configuration",
];

struct World {
    app: TestApp,
    waba: String,
    next: u32,
}

impl World {
    async fn new(cluster: &str) -> Self {
        let app = TestApp::spawn(config()).await.in_cluster(cluster);
        let waba = app.cloud().await["waba_id"].as_str().unwrap().to_owned();
        World { app, waba, next: 0 }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.app.graph(method, path, TOKEN, body).await
    }

    /// A number added with `PhoneNumberCreateRequest`'s E.164 `phone_number` and no `cc`: its
    /// id and national number.
    async fn add(&mut self) -> (String, String) {
        self.next += 1;
        let national = format!("63155{:05}", self.next);
        let added = self
            .call(
                Method::POST,
                &format!("/{}/phone_numbers", self.waba),
                Some(
                    json!({"phone_number": format!("1{national}"), "verified_name": "Conformance"}),
                ),
            )
            .await;
        assert_eq!(added.status, 200, "{:?}", added.body);
        // PhoneNumberCreateResponse: {id: string}.
        let id = added.body["id"]
            .as_str()
            .expect("id is a string")
            .to_owned();
        assert!(id.bytes().all(|b| b.is_ascii_digit()), "{id}");
        (id, national)
    }

    /// A number added, with a code asked by `method` in `language` and verified.
    async fn verified(&mut self, method: &str, language: &str) -> String {
        let (id, national) = self.add().await;
        let asked = self
            .call(
                Method::POST,
                &format!("/{id}/request_code"),
                Some(json!({"code_method": method, "language": language})),
            )
            .await;
        asked.assert_graph_success();
        let code = self.app.latest_code(&national).await;
        assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()));
        let verified = self
            .call(
                Method::POST,
                &format!("/{id}/verify_code"),
                Some(json!({"code": code})),
            )
            .await;
        verified.assert_graph_success();
        id
    }
}

/// `PhoneNumberInfo` (`GET /{Phone-Number-ID}`): 200, with `id`, `display_phone_number`,
/// `verified_name` and `quality_rating` as strings.
#[track_caller]
fn assert_phone_number_info(answer: &Answer) {
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    for key in [
        "id",
        "display_phone_number",
        "verified_name",
        "quality_rating",
    ] {
        assert!(answer.body[key].is_string(), "{key}: {:?}", answer.body);
    }
}

/// `GraphAPIError`: `error` with `message`, `type` and an integer `code` (and `fbtrace_id`,
/// `error_subcode` typed when present).
#[track_caller]
fn assert_graph_api_error(answer: &Answer) {
    let e = &answer.body["error"];
    assert!(e["message"].is_string(), "{:?}", answer.body);
    assert!(e["type"].is_string(), "{:?}", answer.body);
    assert!(e["code"].is_u64(), "{:?}", answer.body);
    assert!(e["fbtrace_id"].is_string(), "{:?}", answer.body);
    assert!(
        e.get("error_subcode").is_none_or(Value::is_u64),
        "{:?}",
        answer.body
    );
}

#[tokio::test]
async fn every_register_request_the_description_accepts_registers() {
    let mut world = World::new("conform-register").await;
    let mut cases = vec![json!({"messaging_product": "whatsapp", "pin": "123456"})];
    for tier in TIERS {
        cases.push(json!({"messaging_product": "whatsapp", "pin": "654321", "tier": tier}));
    }
    for region in REGIONS {
        cases.push(json!({
            "messaging_product": "whatsapp", "pin": "000000",
            "data_localization_region": region, "meta_store_retention_minutes": 60
        }));
    }
    for body in cases {
        let id = world.verified("SMS", "en_US").await;
        let answer = world
            .call(Method::POST, &format!("/{id}/register"), Some(body.clone()))
            .await;
        assert_eq!(
            answer.body,
            json!({"success": true}),
            "{body}: {:?}",
            answer.body
        );
        let read = world
            .call(Method::GET, &format!("/{id}?fields=status"), None)
            .await;
        assert_eq!(read.body["status"], "CONNECTED", "{body}");
        // And deregistered: the description's other operation on the same number.
        let gone = world
            .call(Method::POST, &format!("/{id}/deregister"), None)
            .await;
        gone.assert_graph_success();
    }
}

#[tokio::test]
async fn every_code_method_and_language_the_description_accepts_sends_a_code() {
    let mut world = World::new("conform-codes").await;
    for method in CODE_METHODS {
        for language in LANGUAGES {
            world.verified(method, language).await;
        }
    }
}

#[tokio::test]
async fn reads_answer_with_their_response_schemas() {
    let mut world = World::new("conform-reads").await;
    let registered = world.verified("SMS", "en_US").await;
    let body = json!({"messaging_product": "whatsapp", "pin": "123456"});
    world
        .call(Method::POST, &format!("/{registered}/register"), Some(body))
        .await
        .assert_graph_success();
    world.add().await;
    let waba = world.waba.clone();
    // The list, with each field the description names, each filter and each sort.
    let mut queries = vec![
        format!("fields={}", LIST_FIELDS.join(",")),
        "limit=1".to_owned(),
        "limit=100".to_owned(),
    ];
    queries.extend(SORTS.iter().map(|s| format!("sort={s}")));
    for (field, value) in FILTER_FIELDS {
        let filter = json!([{"field": field, "operator": "EQUAL", "value": value}]).to_string();
        queries.push(serde_urlencoded::to_string([("filtering", filter)]).unwrap());
    }
    for query in queries {
        let list = world
            .call(Method::GET, &format!("/{waba}/phone_numbers?{query}"), None)
            .await;
        assert_eq!(list.status, 200, "{query}: {:?}", list.body);
        // WhatsAppBusinessAccountPhoneNumbersConnection: data (required), each number with
        // its required id, display_phone_number and status.
        let data = list.body["data"].as_array().expect("data is a list");
        assert!(!data.is_empty(), "{query}");
        for number in data {
            for key in ["id", "display_phone_number"] {
                assert!(number[key].is_string(), "{query}: {number}");
            }
            if query.starts_with("fields") {
                assert!(number["status"].is_string(), "{query}: {number}");
                assert!(number["country_dial_code"].is_string(), "{query}: {number}");
                assert!(number["is_official_business_account"].is_boolean());
            }
        }
        if let Some(after) = list.body["paging"]["cursors"]["after"].as_str() {
            let next = world
                .call(
                    Method::GET,
                    &format!("/{waba}/phone_numbers?limit=1&after={after}"),
                    None,
                )
                .await;
            assert_eq!(next.status, 200, "{:?}", next.body);
        }
    }
    // One phone number, with every field of its node.
    let one = world
        .call(
            Method::GET,
            &format!("/{registered}?fields={}", PHONE_FIELDS.join(",")),
            None,
        )
        .await;
    assert_phone_number_info(&one);
    // The default read: PhoneNumberInfo's id, display_phone_number, verified_name,
    // quality_rating.
    let default = world
        .call(Method::GET, &format!("/{registered}"), None)
        .await;
    assert_phone_number_info(&default);
    // The account, with every field of its node.
    let account = world
        .call(
            Method::GET,
            &format!("/{waba}?fields={}", WABA_FIELDS.join(",")),
            None,
        )
        .await;
    assert_eq!(account.status, 200, "{:?}", account.body);
    assert_eq!(account.body["id"], waba);
    assert!(account.body["name"].is_string());
}

#[tokio::test]
async fn refusals_answer_with_graph_api_error() {
    let mut world = World::new("conform-errors").await;
    let (id, _) = world.add().await;
    let waba = world.waba.clone();
    // One request outside each schema the description gives, and one refused for the state.
    let refused = [
        (
            Method::POST,
            format!("/{id}/register"),
            Some(json!({"messaging_product": "whatsapp", "pin": "12"})),
        ),
        (
            Method::POST,
            format!("/{id}/register"),
            Some(json!({"messaging_product": "whatsapp", "pin": "123456"})),
        ),
        (
            Method::POST,
            format!("/{id}/request_code"),
            Some(json!({"code_method": "FAX", "language": "en_US"})),
        ),
        (
            Method::POST,
            format!("/{id}/verify_code"),
            Some(json!({"code": "12345"})),
        ),
        (
            Method::POST,
            format!("/{waba}/phone_numbers"),
            Some(json!({"phone_number": "1", "verified_name": "X"})),
        ),
        (
            Method::GET,
            format!("/{waba}/phone_numbers?sort=name.asc"),
            None,
        ),
        (Method::GET, format!("/{id}?fields=colour"), None),
        (Method::GET, "/1234567890".to_owned(), None),
    ];
    for (method, path, body) in refused {
        let answer = world.call(method, &path, body).await;
        // Each a client error, 400 as Graph answers these (never a 5xx).
        assert_eq!(answer.status, 400, "{path}: {:?}", answer.body);
        assert_graph_api_error(&answer);
    }
}
