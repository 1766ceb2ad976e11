//! No input from a client causes a panic or a 5xx: arbitrary JSON, strings and bytes thrown at
//! every route of both surfaces, through the router.

use axum::body::Body;
use axum::http::Request;
use proptest::prelude::*;
use serde_json::Value;
use wa_onprem_emulator::routes::{ROUTES, Surface};

use crate::helpers::{Oneshot, config};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,40}".prop_map(Value::String),
        // Values that look like what the fields want.
        prop_oneof![
            Just("1"),
            Just("6315550000"),
            Just("sms"),
            Just("123456"),
            Just("123-456"),
            Just("whatsapp"),
            Just("SMS"),
            Just("en")
        ]
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("cc".to_owned()),
                    Just("phone_number".to_owned()),
                    Just("method".to_owned()),
                    Just("cert".to_owned()),
                    Just("pin".to_owned()),
                    Just("code".to_owned()),
                    Just("password".to_owned()),
                    Just("new_password".to_owned()),
                    Just("username".to_owned()),
                    Just("policy".to_owned()),
                    Just("rules".to_owned()),
                    Just("data".to_owned()),
                    Just("vname".to_owned()),
                    Just("route".to_owned()),
                    Just("fault".to_owned()),
                    Just("advance_seconds".to_owned()),
                    Just("messaging_product".to_owned()),
                    Just("code_method".to_owned()),
                    Just("language".to_owned()),
                    Just("backup".to_owned()),
                    Just("verified_name".to_owned()),
                    Just("country_code".to_owned()),
                    Just("fields".to_owned()),
                    "[a-z_]{1,12}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        json_value().prop_map(|v| v.to_string().into_bytes()),
        "\\PC{0,80}".prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..200),
    ]
}

/// The route's path with its parameters filled: `{id}` is `ids[0]` (a phone number), `ids[1]`
/// (the account) or `segment`, by `pick`.
fn path_of(route: usize, segment: &str, ids: &[String; 2], pick: u8) -> (String, String) {
    let route = &ROUTES[route];
    let mount = wa_onprem_emulator::routes::mounts(route.surface)[0].replace("{version}", "v23.0");
    let id = match pick % 3 {
        0 => ids[0].as_str(),
        1 => ids[1].as_str(),
        _ => segment,
    };
    let path = route
        .path
        .replace("{cluster}", "prop")
        .replace("{username}", segment)
        .replace("{node}", segment)
        .replace("{id}", id);
    (route.method.to_owned(), format!("{mount}{path}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 768, ..ProptestConfig::default() })]

    #[test]
    fn no_input_panics_or_answers_5xx(
        route in 0..ROUTES.len(),
        payload in body(),
        segment in "[A-Za-z0-9%._-]{1,12}",
        with_token in any::<bool>(),
        pick in any::<u8>(),
        content_type in prop_oneof![Just(None), Just(Some("application/json")), Just(Some("text/plain"))],
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let app = Oneshot::new(config());
            let token = app.admin_token().await;
            // A Cloud number of the default cluster, which the Graph routes' first mount reaches.
            let cloud = app.json("GET", "/_emulator/clusters/default/cloud", None, Value::Null).await;
            let waba = cloud.body["waba_id"].as_str().unwrap().to_owned();
            let added = app.json("POST", &format!("/v23.0/{waba}/phone_numbers"), Some("any"),
                serde_json::json!({"cc": "1", "phone_number": "6315550000", "verified_name": "Prop"})).await;
            let ids = [added.body["id"].as_str().unwrap().to_owned(), waba];
            let (method, path) = path_of(route, &segment, &ids, pick);
            let mut req = Request::builder().method(method.as_str()).uri(&path);
            if with_token {
                req = req.header("authorization", format!("Bearer {token}"));
            }
            if let Some(ct) = content_type {
                req = req.header("content-type", ct);
            }
            let answer = app.call(req.body(Body::from(payload.clone())).unwrap()).await;
            let documented_500 = answer.status == 500
                && answer.body["errors"][0]["code"] == 1014
                && answer.body["errors"][0]["details"] == "Unable to create user. Already exist?";
            prop_assert!(answer.status < 500 || documented_500,
                "{method} {path} answered {}: {:?}", answer.status, answer.body);
            let graph = ROUTES[route].surface == Surface::Cloud;
            if answer.status >= 400 {
                // A Graph path answers Graph's envelope; a path parameter that is no Graph id
                // may leave the surface (the On-Premises envelope of an unrouted path).
                let code = if graph && answer.body["error"].is_object() {
                    &answer.body["error"]["code"]
                } else {
                    &answer.body["errors"][0]["code"]
                };
                prop_assert!(code.is_u64(), "{method} {path}: {:?}", answer.body);
                prop_assert!(!answer.reason().is_empty());
            }
            let vendor = ROUTES[route].surface == Surface::OnPremises;
            if vendor {
                prop_assert_eq!(&answer.body["meta"]["api_status"], "stable");
            }
            Ok(())
        })?;
    }
}
