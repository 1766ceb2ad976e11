use serde_json::{Value, json};
use wa_onprem_emulator::Emulator;

#[tokio::test]
async fn registers_a_number() {
    // A fresh emulator on a free port, stopped when `emulator` is dropped.
    let emulator = Emulator::builder()
        .admin_password("Adm1n!pass") // no first-login password change
        .fixed_code("123456") // or read random codes from the outbox
        .start()
        .await;
    let base = emulator.uri(); // http://127.0.0.1:PORT: point your client here

    // What your client does (here with reqwest): log in, request a code.
    let client = reqwest::Client::new();
    let login: Value = client
        .post(format!("{base}/v1/users/login"))
        .basic_auth("admin", Some("Adm1n!pass"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["users"][0]["token"].as_str().unwrap();
    let cert = wa_onprem_emulator::cert::make("Caffè Sport", &[], 0);
    let sent = client
        .post(format!("{base}/v1/account"))
        .bearer_auth(token)
        .json(&json!({"cc": "39", "phone_number": "0612345678", "method": "sms", "cert": cert}))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 202);

    // The code the emulator "sent", typed, then the verify your client would do.
    let code = emulator
        .latest_code("39", "0612345678")
        .expect("a code was sent");
    assert_eq!(code.code, "123456");
    assert_eq!(code.vname, "Caffè Sport");
    let verified = client
        .post(format!("{base}/v1/account/verify"))
        .bearer_auth(token)
        .json(&json!({"code": "123-456"}))
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), 201);
}
