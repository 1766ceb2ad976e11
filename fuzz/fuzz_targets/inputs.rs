//! Fuzzes what clients control: the certificate decoder (as base64 text and as raw protobuf),
//! and any body sent to any route of the table through the whole application, with and without
//! an admin token. Nothing may panic, and no answer may be a 5xx but one the input asked for.
#![no_main]

use std::sync::OnceLock;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use libfuzzer_sys::fuzz_target;
use wa_onprem_emulator::routes::{ROUTES, mounts};
use wa_onprem_emulator::{App, AppState, Config, app, cert};

struct Harness {
    runtime: tokio::runtime::Runtime,
    app: App,
    token: String,
    /// Graph ids: the account's and a number's, of the `default` and `fuzz` clusters.
    ids: Vec<String>,
}

/// Sends `req`; the answer's JSON body.
async fn json(app: &App, req: http::Request<Full<Bytes>>) -> serde_json::Value {
    let body = app.respond(req).await.into_body().collect().await.unwrap();
    serde_json::from_slice(&body.to_bytes()).unwrap()
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let config = Config::default().admin_password("Adm1n!pass");
        let app = app(AppState::new(&config).unwrap());
        let (token, ids) = runtime.block_on(async {
            let req = http::Request::post("/v1/users/login")
                .header("authorization", "Basic YWRtaW46QWRtMW4hcGFzcw==")
                .body(Full::new(Bytes::new()))
                .unwrap();
            let value = json(&app, req).await;
            let token = value["users"][0]["token"].as_str().unwrap().to_owned();
            // A Cloud number in each cluster the Graph mounts reach.
            let mut ids = Vec::new();
            for (cluster, prefix) in [("default", ""), ("fuzz", "/clusters/fuzz")] {
                // Made first (a read of a cluster that does not exist is 404; `default` always
                // exists, and its admin token is kept).
                if cluster != "default" {
                    let req = http::Request::post(format!("/_emulator/clusters/{cluster}/reset"))
                        .body(Full::new(Bytes::new()))
                        .unwrap();
                    app.respond(req).await;
                }
                let req = http::Request::get(format!("/_emulator/clusters/{cluster}/cloud"))
                    .body(Full::new(Bytes::new()))
                    .unwrap();
                let waba = json(&app, req).await["waba_id"].as_str().unwrap().to_owned();
                let body = r#"{"cc": "1", "phone_number": "6315550000", "verified_name": "Fuzz"}"#;
                let req = http::Request::post(format!("{prefix}/v23.0/{waba}/phone_numbers"))
                    .header("authorization", "Bearer fuzz")
                    .body(Full::new(Bytes::from_static(body.as_bytes())))
                    .unwrap();
                let id = json(&app, req).await["id"].as_str().unwrap().to_owned();
                ids.extend([waba, id]);
            }
            (token, ids)
        });
        Harness {
            runtime,
            app,
            token,
            ids,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    match selector % 4 {
        0 => {
            let _ = cert::decode_bytes(rest);
        }
        1 => {
            if let Ok(text) = std::str::from_utf8(rest) {
                let _ = cert::decode(text);
            }
        }
        _ => {
            let h = harness();
            let route = &ROUTES[usize::from(selector / 4) % ROUTES.len()];
            let mounts = mounts(route.surface);
            let mount = mounts[usize::from(selector) % mounts.len()];
            let path = format!("{mount}{}", route.path)
                .replace("{cluster}", "fuzz")
                .replace("{username}", "operator")
                .replace("{version}", "v23.0")
                .replace("{id}", &h.ids[usize::from(selector / 8) % h.ids.len()]);
            let mut req = http::Request::builder().method(route.method).uri(path);
            if selector % 2 == 0 {
                req = req.header("authorization", format!("Bearer {}", h.token));
            }
            let req = req.body(Full::new(Bytes::copy_from_slice(rest))).unwrap();
            let res = h.runtime.block_on(h.app.respond(req));
            let status = res.status().as_u16();
            let reason = res
                .headers()
                .get("x-emulator-reason")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            // A 5xx only where the input asked for one: an armed fault, a restart, a duplicate user.
            let asked = ["fault.armed", "restart.in_progress", "users.duplicate"].contains(&reason);
            assert!(status < 500 || asked, "{status} {reason}");
        }
    }
});
