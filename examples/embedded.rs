//! A test-style example: the emulator embedded in a Rust test suite, one cluster per test.
//!
//! Run it with `cargo run --example embedded`; in your own crate, the body of `main` is what a
//! `#[tokio::test]` would contain.

use std::time::Duration;

use serde_json::{Value, json};
use wa_onprem_emulator::Emulator;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Arrange: an emulator on a free port; it stops when `emulator` is dropped.
    let emulator = Emulator::builder()
        .admin_password("Adm1n!pass")
        .rules(
            r#"
            [[rule]]
            name = "retired"
            cc = "1"
            phone_number = "6315550100"
            outcome = "error"
            status = 403
            code = 1005
            details = "Unknown error: biz_link_on_prem_reg_blocked"
            "#,
        )
        .start()
        .await;
    let client = reqwest::Client::new();
    // Each test uses its own cluster, so tests can run in parallel against one emulator.
    let base = format!("{}/clusters/example-test/v1", emulator.uri());

    let login: Value = client
        .post(format!("{base}/users/login"))
        .basic_auth("admin", Some("Adm1n!pass"))
        .send()
        .await?
        .json()
        .await?;
    let token = login["users"][0]["token"].as_str().ok_or("no token")?;
    let cert = wa_onprem_emulator::cert::make("Example Ltd", &[], 0);

    // Act: the happy path...
    let sent = client
        .post(format!("{base}/account"))
        .bearer_auth(token)
        .json(&json!({"cc": "1", "phone_number": "6315550000", "method": "sms", "cert": cert}))
        .send()
        .await?;
    assert_eq!(sent.status(), 202);
    let code = emulator
        .wait_for_code("example-test", "1", "6315550000", Duration::from_secs(5))
        .await
        .ok_or("no code arrived")?;
    let verified = client
        .post(format!("{base}/account/verify"))
        .bearer_auth(token)
        .json(&json!({ "code": code.code }))
        .send()
        .await?;

    // ...and an unhappy one from the rules.
    let retired = client
        .post(format!("{base}/account"))
        .bearer_auth(token)
        .json(&json!({"cc": "1", "phone_number": "6315550100", "method": "sms", "cert": cert}))
        .send()
        .await?;

    // Assert.
    assert_eq!(verified.status(), 201);
    assert_eq!(retired.status(), 403);
    assert_eq!(
        retired.headers()["x-emulator-reason"],
        "scripted.retired",
        "the rule that fired"
    );
    assert_eq!(emulator.policy("default").name(), "scripted");
    println!("embedded example: registered +1 6315550000 and saw the retired number refused");
    Ok(())
}
