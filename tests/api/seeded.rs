//! The book's whole Rust example (docs/src/verifying.md includes this file): an embedded
//! emulator seeded with a registered number, a client call, and assertions on the journal.

use std::time::Duration;

use serde_json::json;
use wa_onprem_emulator::Emulator;
use wa_onprem_emulator::journal::RequestFilter;

#[tokio::test]
async fn a_seeded_number_answers_201_at_once_and_the_journal_says_so() {
    // A seed file, as a test suite would keep it next to its tests.
    let seed = std::env::temp_dir().join(format!("wa-emu-book-seed-{}.json", std::process::id()));
    std::fs::write(
        &seed,
        json!({"clusters": {"default": {
            "admin_password": "Adm1n!pass",
            "registered": {"cc": "1", "phone_number": "6315550000", "vname": "Acme", "pin": "123456"}
        }}})
        .to_string(),
    )
    .unwrap();
    let emulator = Emulator::builder().seed(&seed).start().await;
    let client = reqwest::Client::new();
    let base = emulator.uri();

    // The client under test: logs in and asks for the number already registered.
    let login: serde_json::Value = client
        .post(format!("{base}/v1/users/login"))
        .basic_auth("admin", Some("Adm1n!pass"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["users"][0]["token"].as_str().unwrap();
    let cert: serde_json::Value = client
        .post(format!("{base}/_emulator/certs"))
        .json(&json!({"vname": "Acme"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let answer = client
        .post(format!("{base}/v1/account"))
        .bearer_auth(token)
        .json(
            &json!({"cc": "1", "phone_number": "6315550000", "method": "sms",
                      "cert": cert["cert"], "pin": "123456"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer.status(),
        201,
        "registered already: no code, no verify"
    );

    // What the client sent, asserted on the journal.
    let account = RequestFilter {
        method: Some("POST".into()),
        path: Some("/v1/account".into()),
        body: vec![("phone_number".into(), "6315550000".into())],
        ..RequestFilter::default()
    };
    assert_eq!(emulator.count("default", &account), 1);
    let sent = emulator.requests("default", &account);
    assert_eq!(sent[0].status, 201);
    assert_eq!(sent[0].body.as_ref().unwrap()["cert"], "[redacted]");
    let verify = RequestFilter {
        path: Some("/v1/account/verify".into()),
        ..RequestFilter::default()
    };
    let verified = emulator
        .wait_for_requests("default", &verify, 1, Duration::from_millis(200))
        .await;
    assert_eq!(verified, 0, "no verification was needed");
    assert!(emulator.unmatched("default").is_empty());
    let _ = std::fs::remove_file(&seed);
}
