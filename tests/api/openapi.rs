//! The OpenAPI document: served, kept in the repository, and listing exactly the router's routes.

use axum::body::Body;
use axum::http::Request;
use reqwest::Method;
use wa_onprem_emulator::routes::openapi as document;

use crate::helpers::{Oneshot, TestApp, config};

#[tokio::test]
async fn the_document_is_served_and_equals_the_committed_file() {
    let app = TestApp::spawn(config()).await;
    let served = app.control(Method::GET, "/openapi.json", None).await;
    assert_eq!(served.status, 200);
    assert_eq!(served.body, document());
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json"))
        .expect("openapi.json is in the repository");
    let committed: serde_json::Value = serde_json::from_str(&committed).unwrap();
    assert_eq!(
        committed,
        document(),
        "openapi.json is stale: regenerate it with `cargo run -- openapi > openapi.json`"
    );
}

#[tokio::test]
async fn every_route_of_the_document_is_served_by_the_router() {
    let app = Oneshot::new(config());
    let doc = document();
    let paths = doc["paths"].as_object().unwrap();
    let mut count = 0;
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            let concrete = path
                .replace("{cluster}", "openapi-check")
                .replace("{username}", "admin")
                .replace("{node}", "coreapp1")
                .replace("{version}", "v23.0")
                .replace("{id}", "100000000000001");
            let req = Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(&concrete)
                .body(Body::empty())
                .unwrap();
            let answer = app.call(req).await;
            assert_ne!(
                answer.reason(),
                "not_found.route",
                "{method} {path} is not routed"
            );
            assert_ne!(
                answer.status, 405,
                "{method} {path} is not routed for {method}"
            );
            count += 1;
        }
    }
    // Vendor and Graph routes are mounted twice (/v1 and /clusters/{cluster}/v1; /{version}
    // and /clusters/{cluster}/{version}).
    let table = &wa_onprem_emulator::routes::ROUTES;
    let expected: usize = table
        .iter()
        .map(|r| wa_onprem_emulator::routes::mounts(r.surface).len())
        .sum();
    assert_eq!(count, expected);
}

#[test]
fn every_control_answer_has_a_schema() {
    let doc = document();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if operation["tags"][0] != "control" {
                continue;
            }
            let (status, answer) = operation["responses"]
                .as_object()
                .unwrap()
                .iter()
                .find(|(status, _)| status.starts_with('2'))
                .unwrap_or_else(|| panic!("{method} {path} has no 2xx answer"));
            let content = answer["content"]
                .as_object()
                .unwrap_or_else(|| panic!("{method} {path} {status} has no content"));
            for (media, described) in content {
                let schema = &described["schema"];
                assert!(schema.is_object(), "{method} {path}: {media} has no schema");
                if let Some(reference) = schema["$ref"].as_str() {
                    let name = reference.trim_start_matches("#/components/schemas/");
                    assert!(
                        doc["components"]["schemas"][name].is_object(),
                        "{method} {path}: {reference} is not in the document"
                    );
                }
            }
            checked += 1;
        }
    }
    let control = wa_onprem_emulator::routes::ROUTES
        .iter()
        .filter(|r| !r.surface.is_vendor())
        .count();
    assert_eq!(checked, control);
}
