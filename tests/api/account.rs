//! `POST /v1/account` (CONTRACT §3.1, §3.3).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use prost::Message;
use serde_json::{Value, json};
use wa_onprem_emulator::cert::{Details, VerifiedNameCertificate};
use wa_onprem_emulator::policy::PolicyKind;

use crate::helpers::{Oneshot, TestApp, config};

fn valid(cert: &str) -> Value {
    json!({"cc": "1", "phone_number": "6315550000", "method": "sms", "cert": cert})
}

#[tokio::test]
async fn every_validation_failure_is_400_and_names_its_field() {
    let app = Oneshot::new(config());
    let token = app.admin_token().await;
    let cert = wa_onprem_emulator::cert::make("Acme", &[], 1);
    let with = |field: &str, value: Value| {
        let mut body = valid(&cert);
        if value.is_null() {
            body.as_object_mut().unwrap().remove(field);
        } else {
            body[field] = value;
        }
        body
    };
    let cases = [
        (with("cc", Value::Null), 1008, "cc", "validation.cc.missing"),
        (
            with("phone_number", Value::Null),
            1008,
            "phone_number",
            "validation.phone_number.missing",
        ),
        (
            with("method", Value::Null),
            1008,
            "method",
            "validation.method.missing",
        ),
        (
            with("cert", Value::Null),
            1008,
            "cert",
            "validation.cert.missing",
        ),
        (with("cc", json!(1)), 1009, "cc", "validation.cc.not_string"),
        (with("cc", json!("+1")), 1009, "cc", "validation.cc.format"),
        (
            with("cc", json!("1234")),
            1009,
            "cc",
            "validation.cc.format",
        ),
        (
            with("cc", json!("0")),
            1009,
            "cc",
            "validation.cc.unknown_country",
        ),
        (
            with("cc", json!("999")),
            1009,
            "cc",
            "validation.cc.unknown_country",
        ),
        (
            with("phone_number", json!(6315550000u64)),
            1009,
            "phone_number",
            "validation.phone_number.not_string",
        ),
        (
            with("phone_number", json!("+16315550000")),
            1009,
            "phone_number",
            "validation.phone_number.not_digits",
        ),
        (
            with("phone_number", json!("631 555 0000")),
            1009,
            "phone_number",
            "validation.phone_number.not_digits",
        ),
        (
            with("phone_number", json!("631-555-0000")),
            1009,
            "phone_number",
            "validation.phone_number.not_digits",
        ),
        (
            with("phone_number", json!("")),
            1009,
            "phone_number",
            "validation.phone_number.not_digits",
        ),
        (
            with("phone_number", json!("631555000012345")),
            1009,
            "phone_number",
            "validation.phone_number.too_long",
        ),
        (
            with("method", json!("fax")),
            1009,
            "method",
            "validation.method.unknown",
        ),
        (
            with("method", json!(true)),
            1009,
            "method",
            "validation.method.not_string",
        ),
        (
            with("cert", json!("")),
            1009,
            "cert",
            "validation.cert.empty",
        ),
        (
            with("cert", json!("this is not base64!")),
            1009,
            "cert",
            "validation.cert.not_base64",
        ),
        (
            with("cert", json!(STANDARD.encode(b"\xff\xfe garbage bytes"))),
            1009,
            "cert",
            "validation.cert.not_protobuf",
        ),
        (
            with("cert", json!(["a"])),
            1009,
            "cert",
            "validation.cert.not_string",
        ),
        (
            with("pin", json!("12345")),
            1009,
            "pin",
            "validation.pin.not_six_digits",
        ),
        (
            with("pin", json!(123456)),
            1009,
            "pin",
            "validation.pin.not_string",
        ),
        (
            with("extra", json!("x")),
            1010,
            "extra",
            "validation.unexpected_parameter",
        ),
    ];
    for (body, code, field, reason) in cases {
        let answer = app
            .json("POST", "/v1/account", Some(&token), body.clone())
            .await;
        answer.assert_error(400, code, field);
        assert_eq!(answer.reason(), reason, "{body}");
        let title = match code {
            1008 => "Required parameter is missing",
            1009 => "Parameter value is not valid",
            _ => "Parameter is not required",
        };
        assert_eq!(answer.error().1, title);
    }
}

#[tokio::test]
async fn nanp_areas_share_cc_1_and_e164_allows_15_digits() {
    let app = TestApp::spawn(config()).await;
    let token = app.admin_token().await;
    let cert = app.cert("Antigua Rum").await;
    // Antigua (+1 268) is a NANP area: cc "1".
    let answer = app.request_code(&token, "2684601234", "SMS", &cert).await;
    assert_eq!(answer.status, 202, "{:?}", answer.body);
    let body =
        json!({"cc": "44", "phone_number": "7911123456789", "method": "VOICE", "cert": cert});
    assert_eq!(app.post("/account", &token, body).await.status, 202);
}

#[tokio::test]
async fn a_code_is_sent_with_the_verified_name_byte_exact() {
    let app = TestApp::spawn(config()).await;
    let token = app.admin_token().await;
    for (phone, vname) in [
        ("6315550001", "株式会社ヤマト"),
        ("6315550002", "Caffè Sport"),
    ] {
        let cert = app.cert(vname).await;
        let answer = app.request_code(&token, phone, "sms", &cert).await;
        assert_eq!(answer.status, 202, "{:?}", answer.body);
        assert_eq!(answer.body["account"], json!([{"vname": vname}]));
        assert_eq!(answer.body["meta"]["version"], "v2.45.1");
        let code = app.latest_code(phone).await;
        assert_eq!(code.len(), 6);
        assert!(code.bytes().all(|b| b.is_ascii_digit()));
    }
}

#[tokio::test]
async fn a_bare_certificate_and_a_pasted_one_are_accepted() {
    let app = TestApp::spawn(config()).await;
    let token = app.admin_token().await;
    let details = Details {
        verified_name: Some("Bare Name".into()),
        issuer: Some("smb:wa".into()),
        ..Default::default()
    };
    let bare = VerifiedNameCertificate {
        details: Some(details.encode_to_vec().into()),
        signature: Some(vec![0; 64].into()),
        server_signature: None,
    };
    let cert = STANDARD.encode(bare.encode_to_vec());
    let answer = app.request_code(&token, "6315550003", "sms", &cert).await;
    assert_eq!(answer.body["account"][0]["vname"], "Bare Name");

    let made = app.cert("Pasted").await;
    let pasted = format!("\n  {}\r\n{}  \n", &made[..20], &made[20..]);
    let answer = app
        .request_code(&token, "6315550004", "voice", &pasted)
        .await;
    assert_eq!(answer.status, 202, "{:?}", answer.body);
    assert_eq!(answer.body["account"][0]["vname"], "Pasted");

    let no_name = VerifiedNameCertificate {
        details: Some(Details::default().encode_to_vec().into()),
        ..Default::default()
    };
    app.request_code(
        &token,
        "6315550005",
        "sms",
        &STANDARD.encode(no_name.encode_to_vec()),
    )
    .await
    .assert_error(400, 1009, "verified name");
}

#[tokio::test]
async fn sms_limit_reached_while_voice_still_works() {
    let app = TestApp::spawn(config()).await;
    let token = app.admin_token().await;
    let cert = app.cert("Acme").await;
    for _ in 0..5 {
        assert_eq!(
            app.request_code(&token, "6315550000", "sms", &cert)
                .await
                .status,
            202
        );
    }
    let refused = app.request_code(&token, "6315550000", "sms", &cert).await;
    refused.assert_error(403, 1005, "Unknown error: too_many");
    assert_eq!(refused.error().2, "Unknown error: too_many");
    assert_eq!(refused.reason(), "refusal.too_many");
    // Voice has its own budget, and other numbers are not affected.
    assert_eq!(
        app.request_code(&token, "6315550000", "voice", &cert)
            .await
            .status,
        202
    );
    assert_eq!(
        app.request_code(&token, "6315559999", "sms", &cert)
            .await
            .status,
        202
    );
}

#[tokio::test]
async fn the_rate_window_rolls_over() {
    let app = Oneshot::new(config().code_rate_limit(2));
    let token = app.admin_token().await;
    let body = valid(&wa_onprem_emulator::cert::make("Acme", &[], 1));
    for _ in 0..2 {
        assert_eq!(
            app.json("POST", "/v1/account", Some(&token), body.clone())
                .await
                .status,
            202
        );
    }
    let refused = app
        .json("POST", "/v1/account", Some(&token), body.clone())
        .await;
    refused.assert_error(403, 1005, "too_many");
    app.clock.advance(std::time::Duration::from_secs(3601));
    // The token lasts 7 days, the window one hour.
    assert_eq!(
        app.json("POST", "/v1/account", Some(&token), body)
            .await
            .status,
        202
    );
}

#[tokio::test]
async fn sunset_refuses_every_registration_as_the_real_api_does_today() {
    let app = TestApp::spawn(config().policy(PolicyKind::Sunset)).await;
    let token = app.admin_token().await;
    let cert = app.cert("Acme").await;
    let answer = app.request_code(&token, "6315550000", "sms", &cert).await;
    assert_eq!(answer.status, 403);
    assert_eq!(
        answer.body,
        json!({
            "meta": {"api_status": "stable", "version": "v2.45.1"},
            "errors": [{"code": 1005, "title": "Access denied",
                        "details": "Unknown error: biz_link_on_prem_reg_blocked"}]
        })
    );
    assert_eq!(answer.reason(), "policy.sunset");
    app.verify(&token, "123456")
        .await
        .assert_error(403, 1005, "biz_link_on_prem_reg_blocked");
    // Validation still comes first.
    app.request_code(&token, "6315550000", "fax", &cert)
        .await
        .assert_error(400, 1009, "method");
}
