//! Micro-benchmarks of the pure functions on the hot path, so regressions show without a
//! server: `cargo bench --bench hot_paths`.

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use wa_onprem_emulator::cert::{self, LocalizedName};
use wa_onprem_emulator::journal::redacted_text;
use wa_onprem_emulator::request;

fn certificates(c: &mut Criterion) {
    let names = [LocalizedName {
        lg: Some("ja".into()),
        lc: Some("JP".into()),
        verified_name: Some("株式会社ヤマト".into()),
    }];
    let made = cert::make("Yamato Transport", &names, 1_700_000_000);
    c.bench_function("cert::decode (BizAccountPayload, base64)", |b| {
        b.iter(|| cert::decode(std::hint::black_box(&made)).unwrap())
    });
    c.bench_function("cert::make", |b| {
        b.iter(|| cert::make(std::hint::black_box("Yamato Transport"), &names, 0))
    });
}

fn bodies(c: &mut Criterion) {
    let made = cert::make("Acme", &[], 0);
    let text =
        json!({"cc": "1", "phone_number": "6315550000", "method": "sms", "cert": made}).to_string();
    c.bench_function("parse + validate POST /v1/account", |b| {
        b.iter(|| {
            let Value::Object(body) = serde_json::from_str(std::hint::black_box(&text)).unwrap()
            else {
                unreachable!()
            };
            request::code_request(&body).unwrap()
        })
    });
    let verify = json!({"code": "123-456"}).as_object().unwrap().clone();
    c.bench_function("validate POST /v1/account/verify", |b| {
        b.iter(|| request::verify_request(std::hint::black_box(&verify)).unwrap())
    });
    let value: Value = serde_json::from_str(&text).unwrap();
    c.bench_function("journal redaction of a code request", |b| {
        b.iter(|| redacted_text(std::hint::black_box(&value)))
    });
}

criterion_group!(benches, certificates, bodies);
criterion_main!(benches);
