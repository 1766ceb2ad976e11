//! The web console in a real browser: headless Chromium driven through chromedriver (Debian's
//! `chromium` and `chromium-driver`, which `.ci/run` installs) with fantoccini. A plain
//! `cargo test` lists it as ignored; `.ci/run` runs it with `--ignored`.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::helpers::{TestApp, config};

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

/// chromedriver on a free port, and a headless Chromium session through it.
async fn browser() -> (Driver, Client) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let driver = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(Driver)
        .expect("chromedriver (Debian package chromium-driver) is needed");
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({"args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1100,850"]}),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match ClientBuilder::new(connector.clone())
            .capabilities(capabilities.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => return (driver, client),
            Err(e) if Instant::now() > deadline => panic!("no browser session: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// Waits until `check` holds for the text of `css`, or fails after `limit`.
async fn until(
    client: &Client,
    css: &str,
    limit: Duration,
    check: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + limit;
    loop {
        let text = match client.find(Locator::Css(css)).await {
            Ok(element) => element.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if check(&text) {
            return text;
        }
        assert!(Instant::now() < deadline, "{css} shows {text:?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver: `cargo test -- --ignored`, as .ci/run does"]
async fn the_console_shows_codes_live_and_steers_the_cluster() {
    let app = TestApp::spawn(config()).await;
    let ui = app.in_cluster("ui");
    let token = ui.admin_token().await;
    let cert = ui.cert("Caffè Sport").await;
    let (_driver, client) = browser().await;
    client
        .goto(&format!("{}/_emulator/ui?cluster=ui", app.base))
        .await
        .unwrap();
    until(&client, "#live", Duration::from_secs(10), |t| t == "live").await;

    // A code sent through the vendor API appears in the inbox within a second, no reload.
    let sent_at = Instant::now();
    assert_eq!(
        ui.request_code(&token, "6315550000", "sms", &cert)
            .await
            .status,
        202
    );
    let code = ui.latest_code("6315550000").await;
    let shown = until(&client, "#inbox li .code", Duration::from_secs(1), |t| {
        !t.is_empty()
    })
    .await;
    assert!(
        sent_at.elapsed() < Duration::from_secs(1),
        "{:?}",
        sent_at.elapsed()
    );
    assert_eq!(shown.replace('-', ""), code);
    // Shown as the Cloud API shows numbers (the event first, then the page's refresh).
    let details = until(&client, "#inbox li", Duration::from_secs(1), |t| {
        t.contains("Caffè Sport") && t.contains("+1 631-555-0000")
    })
    .await;
    until(&client, "#state", Duration::from_secs(2), |t| {
        t.contains("code pending for +1 631-555-0000")
    })
    .await;
    assert!(details.contains("+1 631-555-0000"), "{details}");
    if let Ok(path) = std::env::var("WA_EMU_SCREENSHOT") {
        // Tall enough for every panel, the journal below the first three included.
        client.set_window_size(1100, 1250).await.unwrap();
        std::fs::write(path, client.screenshot().await.unwrap()).unwrap();
    }

    // Switching the policy to sunset with a click refuses the next code request.
    let policy = client.find(Locator::Css("#policy")).await.unwrap();
    policy.select_by_value("sunset").await.unwrap();
    client
        .find(Locator::Id("set-policy"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(&client, "#policy-name", Duration::from_secs(2), |t| {
        t == "sunset"
    })
    .await;
    ui.request_code(&token, "6315550001", "sms", &cert)
        .await
        .assert_error(403, 1005, "biz_link_on_prem_reg_blocked");

    // Resetting the cluster with a click empties the inbox.
    client
        .find(Locator::Id("reset"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(2);
    while !client
        .find_all(Locator::Css("#inbox li"))
        .await
        .unwrap()
        .is_empty()
    {
        assert!(Instant::now() < deadline, "the inbox was not emptied");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let policy = app
        .control(reqwest::Method::GET, "/clusters/ui/policy", None)
        .await;
    assert_eq!(policy.body["policy"], "classic", "the reset took");
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_browser_opening_the_root_is_sent_to_the_console_and_the_page_is_served() {
    let app = TestApp::spawn(config()).await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let root = no_redirects
        .get(format!("{}/", app.base))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(root.status(), 303);
    assert_eq!(root.headers()["location"], "/_emulator/ui");
    let page = reqwest::get(format!("{}/_emulator/ui", app.base))
        .await
        .unwrap();
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let html = page.text().await.unwrap();
    assert!(html.contains("/_emulator/events") && html.contains("id=\"inbox\""));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "nothing from a CDN"
    );
}

/// With `--control-token` the page opens in a browser, asks for the token, keeps it for the
/// session and goes live with it (the event stream takes it in its query).
#[tokio::test]
#[ignore = "needs chromium and chromedriver: `cargo test -- --ignored`, as .ci/run does"]
async fn with_a_control_token_the_console_asks_for_it_and_goes_live() {
    let app = TestApp::spawn(config().control_token("ctl-s3cret")).await;
    let ui = app.in_cluster("ui");
    let token = ui.admin_token().await;
    let cert = reqwest::Client::new()
        .post(format!("{}/_emulator/certs", app.base))
        .bearer_auth("ctl-s3cret")
        .json(&json!({"vname": "Acme"}))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()["cert"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_driver, client) = browser().await;
    client
        .goto(&format!("{}/_emulator/ui?cluster=ui", app.base))
        .await
        .unwrap();
    until(&client, "#live", Duration::from_secs(10), |t| {
        t == "control token needed"
    })
    .await;
    // Every panel says it could not read the cluster, never that it is empty.
    for panel in ["#inbox-empty", "#journal-empty", "#cloud-empty", "#state"] {
        until(&client, panel, Duration::from_secs(5), |t| {
            t.contains("Cannot read cluster ui: the control API needs its token")
        })
        .await;
    }
    let field = client.find(Locator::Id("token")).await.unwrap();
    assert!(
        field.is_displayed().await.unwrap(),
        "the page asks for the token"
    );
    field.send_keys("ctl-s3cret").await.unwrap();
    client
        .execute(
            "document.getElementById('token').dispatchEvent(new Event('change'))",
            vec![],
        )
        .await
        .unwrap();
    until(&client, "#live", Duration::from_secs(10), |t| t == "live").await;

    // Live with the token: a code appears without reload.
    assert_eq!(
        ui.request_code(&token, "6315550000", "sms", &cert)
            .await
            .status,
        202
    );
    until(&client, "#inbox li .code", Duration::from_secs(2), |t| {
        !t.is_empty()
    })
    .await;

    // The token is kept for the browser session: a reload goes live at once.
    client.refresh().await.unwrap();
    until(&client, "#live", Duration::from_secs(10), |t| t == "live").await;
    client.close().await.unwrap();
}

/// The class and badge of the inbox's `n`th code (newest first), read in one go: the inbox is
/// redrawn as events arrive.
async fn code_state(client: &Client, n: usize) -> (String, String) {
    let read = client
        .execute(
            "const li = document.querySelectorAll('#inbox li')[arguments[0]];
             return li ? [li.className, li.querySelector('.badge').textContent] : ['', ''];",
            vec![json!(n)],
        )
        .await
        .unwrap();
    let text = |i: usize| read[i].as_str().unwrap_or_default().to_owned();
    (text(0), text(1))
}

/// Waits until the inbox's `n`th code is in `state`.
async fn until_code(client: &Client, n: usize, state: &str) {
    // Generous: ten browsers share two cores when CI runs the ignored tests together.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (class, badge) = code_state(client, n).await;
        if class == format!("code-{state}") && badge == state {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "code {n} is {class:?} / {badge:?}, not {state}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Codes are marked live, used, replaced or expired by the cluster's clock; warnings stand out;
/// empty panes say what to do; journal lines carry their status class; resetting everything asks
/// first; `?live=0` loads once without a stream, and says when it has.
#[tokio::test]
#[ignore = "needs chromium and chromedriver: `cargo test -- --ignored`, as .ci/run does"]
async fn codes_are_marked_by_the_cluster_s_clock_and_resetting_everything_asks_first() {
    let app = TestApp::spawn(config()).await;
    let ui = app.in_cluster("marks");
    let token = ui.admin_token().await;
    let cert = ui.cert("Acme").await;
    let (_driver, client) = browser().await;
    client
        .goto(&format!("{}/_emulator/ui?cluster=marks", app.base))
        .await
        .unwrap();
    until(&client, "#live", Duration::from_secs(10), |t| t == "live").await;
    until(&client, "#inbox-empty", Duration::from_secs(2), |t| {
        t.contains("No code sent in cluster marks") && t.contains("curl -s -X POST")
    })
    .await;

    // A code sent is live; once verified it is used.
    ui.request_code(&token, "6315550000", "sms", &cert).await;
    until_code(&client, 0, "live").await;
    let code = ui.latest_code("6315550000").await;
    assert_eq!(ui.verify(&token, &code).await.status, 201);
    until_code(&client, 0, "used").await;

    // A new code, then the cluster's clock past its life: expired, and the state says so.
    ui.request_code(&token, "6315550001", "sms", &cert).await;
    until_code(&client, 0, "live").await;
    ui.control(
        reqwest::Method::POST,
        "/clusters/marks/clock",
        Some(json!({"advance_seconds": 601})),
    )
    .await;
    until_code(&client, 0, "expired").await;
    until_code(&client, 1, "used").await;
    let state = until(&client, "#state", Duration::from_secs(2), |t| {
        t.contains("expired")
    })
    .await;
    assert!(state.contains("+601 s virtual"), "{state}");
    let warnings = client.find_all(Locator::Css("#state .warn")).await.unwrap();
    assert_eq!(
        warnings.len(),
        2,
        "the expired code and the virtual clock stand out"
    );
    let journal = client
        .find_all(Locator::Css("#journal li.s2"))
        .await
        .unwrap();
    assert!(!journal.is_empty(), "2xx lines are marked");

    // Resetting everything asks first: dismissed, nothing is reset; accepted, all is.
    let reset_all = client.find(Locator::Id("reset-all")).await.unwrap();
    reset_all.click().await.unwrap();
    let question = client.get_alert_text().await.unwrap();
    assert!(question.contains("every cluster"), "{question}");
    client.dismiss_alert().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        ui.control(reqwest::Method::GET, "/clusters/marks/codes", None)
            .await
            .body["codes"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    reset_all.click().await.unwrap();
    client.accept_alert().await.unwrap();
    until(&client, "#inbox-empty", Duration::from_secs(2), |t| {
        t.contains("No code sent")
    })
    .await;

    // ?live=0: loaded once, no stream, and the page says it has loaded.
    client
        .goto(&format!("{}/_emulator/ui?cluster=marks&live=0", app.base))
        .await
        .unwrap();
    until(&client, "#live", Duration::from_secs(5), |t| {
        t == "not live (?live=0)"
    })
    .await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while client
        .execute(
            "return document.documentElement.dataset.loaded || ''",
            vec![],
        )
        .await
        .unwrap()
        != json!("true")
    {
        assert!(
            Instant::now() < deadline,
            "the page never said it had loaded"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    client.close().await.unwrap();
}

/// Headless Chromium with a virtual time budget finishes on `?live=0` (an open stream keeps
/// virtual time from ever running out) and sees the loaded page.
#[tokio::test]
#[ignore = "needs chromium: `cargo test -- --ignored`, as .ci/run does"]
async fn a_virtual_time_budget_finishes_on_the_page_without_a_stream() {
    let app = TestApp::spawn(config()).await;
    let url = format!("{}/_emulator/ui?live=0", app.base);
    let profile = std::env::temp_dir().join(format!("wa-emu-chromium-{}", std::process::id()));
    let run = tokio::process::Command::new("chromium")
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            &format!("--user-data-dir={}", profile.display()),
            "--virtual-time-budget=5000",
            "--dump-dom",
            &url,
        ])
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("chromium finished within its virtual time budget")
        .unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("data-loaded=\"true\""),
        "{}",
        &dom[..dom.len().min(400)]
    );
    assert!(dom.contains("not live (?live=0)"));
}

/// The console's layout holds from a narrow window to a wide screen: nothing runs off the side.
#[tokio::test]
#[ignore = "needs chromium and chromedriver: `cargo test -- --ignored`, as .ci/run does"]
async fn the_layout_holds_from_narrow_to_wide() {
    let app = TestApp::spawn(config()).await;
    let (_driver, client) = browser().await;
    for width in [400u32, 1024, 1440, 1920] {
        client.set_window_size(width, 900).await.unwrap();
        client
            .goto(&format!("{}/_emulator/ui?live=0", app.base))
            .await
            .unwrap();
        until(&client, "#live", Duration::from_secs(5), |t| {
            t.starts_with("not live")
        })
        .await;
        let overflow = client
            .execute(
                "const d = document.documentElement; return d.scrollWidth - d.clientWidth;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            overflow,
            json!(0),
            "at {width} px the page runs off the side"
        );
    }
    client.close().await.unwrap();
}

/// The Cloud API's side of the cluster: its account and numbers, a code sent by `request_code`
/// in the inbox (marked as the Cloud API's) and in the number's line, and a registration seen
/// live.
#[tokio::test]
#[ignore = "needs chromium and chromedriver: `cargo test -- --ignored`, as .ci/run does"]
async fn the_console_shows_the_cloud_account_live() {
    let app = TestApp::spawn(config()).await;
    let ui = app.in_cluster("ui-cloud");
    let (_driver, client) = browser().await;
    client
        .goto(&format!("{}/_emulator/ui?cluster=ui-cloud", app.base))
        .await
        .unwrap();
    until(&client, "#live", Duration::from_secs(10), |t| t == "live").await;
    let waba = ui.cloud().await["waba_id"].as_str().unwrap().to_owned();
    until(&client, "#waba", Duration::from_secs(2), |t| t == waba).await;
    until(&client, "#cloud-empty", Duration::from_secs(2), |t| {
        t.contains("phone_numbers")
    })
    .await;

    let added = ui
        .graph(
            reqwest::Method::POST,
            &format!("/{waba}/phone_numbers"),
            Some("t"),
            Some(serde_json::json!({"cc": "1", "phone_number": "6315550000", "verified_name": "Cloud Café"})),
        )
        .await;
    let id = added.body["id"].as_str().unwrap().to_owned();
    until(&client, "#cloud li", Duration::from_secs(2), |t| {
        t.contains("+1 631-555-0000") && t.contains("NOT_APPLICABLE")
    })
    .await;
    ui.graph(
        reqwest::Method::POST,
        &format!("/{id}/request_code?code_method=SMS&language=en"),
        Some("t"),
        None,
    )
    .await;
    let code = ui.latest_code("6315550000").await;
    until(&client, "#inbox li", Duration::from_secs(2), |t| {
        t.contains("Cloud API") && t.contains("Cloud Café")
    })
    .await;
    until(&client, "#cloud li", Duration::from_secs(2), |t| {
        t.contains(&code)
    })
    .await;
    ui.graph(
        reqwest::Method::POST,
        &format!("/{id}/verify_code"),
        Some("t"),
        Some(serde_json::json!({"code": code})),
    )
    .await;
    ui.graph(
        reqwest::Method::POST,
        &format!("/{id}/register"),
        Some("t"),
        Some(serde_json::json!({"messaging_product": "whatsapp", "pin": "123456"})),
    )
    .await;
    until(&client, "#cloud li", Duration::from_secs(2), |t| {
        t.contains("CLOUD_API · CONNECTED") && t.contains("pin set")
    })
    .await;
    // The code that registered it on the Cloud API is used, not replaced: no On-Premises
    // registration is needed for that (after a migration, neither is there one).
    until_code(&client, 0, "used").await;
    client.close().await.unwrap();
}
