//! Micro-benchmarks of the hot path without a socket, so regressions show without a server:
//! `cargo bench --bench hot_paths`. Whole requests go through the application in-process
//! ([`App::respond`]); the certificate codec is measured alone.

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};
use wa_onprem_emulator::cert::{self, LocalizedName};
use wa_onprem_emulator::{App, AppState, Config, app};

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

fn request(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> http::Request<Full<Bytes>> {
    let mut req = http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json");
    if let Some(token) = token {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    req.body(Full::new(Bytes::copy_from_slice(body.as_bytes())))
        .unwrap()
}

async fn json(app: &App, req: http::Request<Full<Bytes>>) -> (u16, Value) {
    let res = app.respond(req).await;
    let status = res.status().as_u16();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn requests(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let config = Config::default()
        .admin_password("Adm1n!pass")
        .code_rate_limit(u32::MAX);
    let app = app(AppState::new(&config).unwrap());
    let token = runtime.block_on(async {
        let mut req = request("POST", "/v1/users/login", None, "");
        req.headers_mut().insert(
            "authorization",
            "Basic YWRtaW46QWRtMW4hcGFzcw==".parse().unwrap(),
        );
        let (status, body) = json(&app, req).await;
        assert_eq!(status, 200, "{body}");
        body["users"][0]["token"].as_str().unwrap().to_owned()
    });
    let code_request = json!({"cc": "1", "phone_number": "6315550000", "method": "sms",
                              "cert": cert::make("Acme", &[], 0)})
    .to_string();
    c.bench_function("POST /v1/account (202), in-process", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let req = request("POST", "/v1/account", Some(&token), &code_request);
                let res = app.respond(req).await;
                assert_eq!(res.status(), 202);
            })
        })
    });
    c.bench_function("GET /v1/health, in-process", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let res = app
                    .respond(request("GET", "/v1/health", Some(&token), ""))
                    .await;
                assert_eq!(res.status(), 200);
            })
        })
    });
}

criterion_group!(benches, certificates, requests);
criterion_main!(benches);
