//! The emulator as a newcomer meets it: what startup says, what each mistake in flags and
//! variables answers (one message naming what to fix, exit code 2), logs on stderr, `GET /`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{BIN, PASSWORD, Running, TestApp, spawn_listening};

const EXAMPLE_RULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/rules.example.toml");

/// Runs the binary with `args` and `env`, expecting it to refuse to start.
fn refused(args: &[&str], env: &[(&str, &str)]) -> (Output, String) {
    let mut command = Command::new(BIN);
    command.args(["--listen", "127.0.0.1:0"]).args(args);
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if child.try_wait().unwrap().is_none() {
        child.kill().ok();
        panic!("{args:?} {env:?} started instead of refusing");
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stderr)
}

#[track_caller]
fn assert_one_error(out: &Output, stderr: &str, needles: &[&str]) {
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let errors = stderr.lines().filter(|l| l.starts_with("error:")).count();
    assert_eq!(errors, 1, "one message per failure: {stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "{needle:?} missing from {stderr}");
    }
}

#[test]
fn every_setting_is_checked_with_a_message_that_says_what_is_allowed() {
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["--admin-password", "weak"],
            &["--admin-password", "8 to 64"],
        ),
        (
            &["--admin-password", "alllowercase1"],
            &["--admin-password", "an upper-case letter"],
        ),
        (
            &["--max-connections", "0"],
            &["--max-connections", "at least 1"],
        ),
        (
            &["--code-rate-limit", "-1"],
            &["--code-rate-limit", "at least 1"],
        ),
        (&["--code-rate-limit", "0"], &["at least 1"]),
        (
            &["--api-version", ""],
            &["--api-version", "must not be empty"],
        ),
        (
            &["--policy", "sunset", "--rules", EXAMPLE_RULES],
            &["--rules", "--policy sunset"],
        ),
        (
            &["--policy", "classic", "--rules", EXAMPLE_RULES],
            &["--rules", "--policy classic"],
        ),
    ];
    for (args, needles) in cases {
        let (out, stderr) = refused(args, &[]);
        assert_one_error(&out, &stderr, needles);
    }
    let file = std::env::temp_dir().join(format!("wa-emu-not-a-dir-{}", std::process::id()));
    std::fs::write(&file, "x").unwrap();
    let (out, stderr) = refused(&["--data-dir", file.to_str().unwrap()], &[]);
    assert_one_error(&out, &stderr, &["--data-dir", "is a file; give a folder"]);
    std::fs::remove_file(&file).ok();
}

#[test]
fn an_address_in_use_is_one_message_and_exit_code_2() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = Command::new(BIN)
        .args(["--listen", &addr])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_one_error(&out, &stderr, &["cannot listen on", &addr, "--listen"]);
    // It names the port taken and how to get a free one.
    assert_one_error(
        &out,
        &stderr,
        &["already listens on", &addr, "--listen 127.0.0.1:0"],
    );
    assert!(out.stdout.is_empty(), "logs go to stderr");
}

#[test]
fn variables_get_the_help_flags_get_and_the_address_says_its_form() {
    // A variable's bad value lists what to write, and suggests one, as the flag's does.
    let (out, stderr) = refused(&[], &[("WA_EMU_POLICY", "SUNSET")]);
    assert_one_error(
        &out,
        &stderr,
        &[
            "WA_EMU_POLICY",
            "classic, sunset, scripted",
            "similar value exists: 'sunset'",
        ],
    );
    let (out, stderr) = refused(&[], &[("WA_EMU_LOG_FORMAT", "yaml")]);
    assert_one_error(
        &out,
        &stderr,
        &["WA_EMU_LOG_FORMAT", "write one of text, json"],
    );
    let (out, stderr) = refused(&[], &[("WA_EMU_CODE_TTL", "ten")]);
    assert_one_error(&out, &stderr, &["WA_EMU_CODE_TTL", "as 30s, 10m"]);
    assert!(!stderr.contains("expected number"), "{stderr}");

    // People try --port; the address is --listen HOST:PORT, with the port they gave.
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut command = Command::new(BIN);
        command.args(args).env_remove("WA_EMU_LISTEN");
        for (key, value) in env {
            command.env(key, value);
        }
        let out = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out, stderr)
    };
    let (out, stderr) = run(&["--port", "8080"], &[]);
    assert_one_error(&out, &stderr, &["--listen HOST:PORT", "127.0.0.1:8080"]);
    let (out, stderr) = run(&["--listen", "9091"], &[]);
    assert_one_error(&out, &stderr, &["HOST:PORT", "127.0.0.1:9091"]);
    let (out, stderr) = run(&[], &[("WA_EMU_LISTEN", "9092")]);
    assert_one_error(&out, &stderr, &["WA_EMU_LISTEN", "127.0.0.1:9092"]);
    // A URL where the address goes: the scheme is dropped, not looked up as a host name.
    let (out, stderr) = run(&["--listen", "http://127.0.0.1:9092"], &[]);
    assert_one_error(
        &out,
        &stderr,
        &["without the scheme", "--listen 127.0.0.1:9092"],
    );
    assert!(!stderr.contains("lookup"), "{stderr}");
    let help = String::from_utf8(run(&["--help"], &[]).0.stdout).unwrap();
    assert!(help.contains("--listen <HOST:PORT>"), "{help}");
}

#[test]
fn yes_no_variables_read_as_people_write_them_and_bad_ones_name_the_variable() {
    let (out, stderr) = refused(&[], &[("WA_EMU_TLS", "maybe")]);
    assert_one_error(&out, &stderr, &["WA_EMU_TLS", "'maybe'", "--tls"]);
    let (out, stderr) = refused(&[], &[("WA_EMU_CODE_RATE_LIMIT", "0")]);
    assert_one_error(&out, &stderr, &["WA_EMU_CODE_RATE_LIMIT", "at least 1"]);
    // 1 and yes are yes.
    let mut command = Command::new(BIN);
    command
        .args(["--listen", "127.0.0.1:0", "--log-format", "json"])
        .env("WA_EMU_TLS", "1")
        .env("WA_EMU_NO_CONTROL_API", "yes");
    let (mut child, base) = spawn_listening(command);
    let probe = Command::new(BIN)
        .args([
            "healthcheck",
            "--url",
            &format!("{}/_emulator/health", base.replace("http://", "https://")),
        ])
        .status()
        .unwrap();
    child.kill().ok();
    child.wait().ok();
    assert!(probe.success(), "WA_EMU_TLS=1 serves HTTPS");
}

#[tokio::test]
async fn startup_says_who_the_admin_is_where_state_lives_and_where_the_apis_are() {
    let mut child = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "--log-format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let mut fields = json!({});
    let mut messages = Vec::new();
    while fields.get("openapi").is_none() {
        let line = lines.next().expect("startup ended early").unwrap();
        let entry: Value = serde_json::from_str(&line).unwrap();
        messages.push(entry["fields"]["message"].as_str().unwrap_or("").to_owned());
        for (k, v) in entry["fields"].as_object().unwrap() {
            fields[k] = v.clone();
        }
    }
    let url = fields["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{fields}");
    assert_eq!(fields["policy"], "classic");
    assert_eq!(fields["admin_user"], "admin");
    assert_eq!(fields["must_change_password"], true);
    assert_eq!(fields["state"], "memory");
    assert_eq!(fields["control_api"], format!("{url}/_emulator"));
    assert_eq!(fields["openapi"], format!("{url}/_emulator/openapi.json"));
    assert_eq!(fields["console"], format!("{url}/_emulator/ui"));
    let text = messages.join("\n");
    assert!(
        text.contains("\"secret\"") && text.contains("new_password"),
        "{text}"
    );

    // GET / says where things are; each request is one log line, with its cluster and reason.
    let root: Value = reqwest::get(format!("{url}/"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(root["openapi"], "/_emulator/openapi.json");
    assert_eq!(root["name"], "wa-onprem-emulator");
    // The control API's address, as printed, answers with its index.
    let index: Value = reqwest::get(fields["control_api"].as_str().unwrap())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(index["console"], "/_emulator/ui");
    let refused = reqwest::Client::new()
        .get(format!("{url}/clusters/logged/v1/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let access = loop {
        let line = lines.next().expect("no request line").unwrap();
        let entry: Value = serde_json::from_str(&line).unwrap();
        if entry["fields"]["path"] == "/clusters/logged/v1/health" {
            break entry;
        }
    };
    child.kill().ok();
    child.wait().ok();
    assert_eq!(access["level"], "INFO");
    assert_eq!(access["target"], "wa_onprem_emulator::access");
    assert_eq!(access["fields"]["cluster"], "logged");
    assert_eq!(access["fields"]["status"], 401);
    assert_eq!(access["fields"]["reason"], "auth.missing_token");
    assert!(access["fields"]["micros"].is_u64());
}

#[tokio::test]
async fn rules_alone_select_the_scripted_policy() {
    let mut command = Command::new(BIN);
    command.args([
        "--listen",
        "127.0.0.1:0",
        "--log-format",
        "json",
        "--admin-password",
        PASSWORD,
        "--rules",
        EXAMPLE_RULES,
    ]);
    let (mut child, base) = spawn_listening(command);
    let app = TestApp::external(&base);
    let token = app.admin_token().await;
    let cert = wa_onprem_emulator::cert::make("Acme", &[], 0);
    let retired = app.request_code(&token, "6315550100", "sms", &cert).await;
    child.kill().ok();
    child.wait().ok();
    assert_eq!(
        retired.status, 403,
        "the retired number of the example rules"
    );
    assert_eq!(retired.reason(), "scripted.retired");
}

#[test]
fn logs_have_no_colour_when_they_are_not_a_terminal() {
    let mut child = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let first = BufReader::new(stderr).lines().next().unwrap().unwrap();
    child.kill().ok();
    child.wait().ok();
    assert!(first.contains("listening on http://127.0.0.1:"), "{first}");
    assert!(!first.contains('\u{1b}'), "no ANSI escapes: {first:?}");
}

/// The text log is what the README shows: the startup lines word for word (but the time and the
/// port), and one compact line per request with only what has a value.
#[tokio::test]
async fn text_logs_are_the_readme_s_compact_lines() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let sample: Vec<String> = readme
        .split("```text\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| !l.starts_with("```"))
        .map(|l| l.split_once(' ').unwrap().1.trim_start().to_owned())
        .collect();
    // Killed when dropped, also when an assertion below fails: a child left running would hold
    // the test binary's stdout open (`cargo test | grep` would wait for it).
    let mut running = Running {
        child: Command::new(BIN)
            .args(["--listen", "127.0.0.1:0"])
            .env_remove("RUST_LOG")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
        base: String::new(),
    };
    let mut lines = BufReader::new(running.child.stderr.take().unwrap()).lines();
    let mut startup = Vec::new();
    for _ in 0..sample.len() {
        let line = lines.next().unwrap().unwrap();
        startup.push(line.split_once(' ').unwrap().1.trim_start().to_owned());
    }
    let port = startup[0]
        .split("http://127.0.0.1:")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_owned();
    let expected: Vec<String> = sample
        .iter()
        .map(|l| l.replace("127.0.0.1:9090", &format!("127.0.0.1:{port}")))
        .collect();
    assert_eq!(startup, expected);

    let base = format!("http://127.0.0.1:{port}");
    reqwest::get(format!("{base}/clusters/t1/v1/health"))
        .await
        .unwrap();
    reqwest::get(format!("{base}/_emulator/health"))
        .await
        .unwrap();
    let mut access = Vec::new();
    while access.len() < 2 {
        access.push(lines.next().unwrap().unwrap());
    }
    drop(running);
    assert!(
        access[0].ends_with(" µs")
            && access[0].contains(" INFO GET /clusters/t1/v1/health 401 auth.missing_token, "),
        "{access:?}"
    );
    assert!(
        access[1].contains(" INFO GET /_emulator/health 200, "),
        "{access:?}"
    );
    for line in &access {
        assert!(
            !line.contains("=\"\"") && !line.contains("method="),
            "{line}"
        );
        assert!(line.len() < 100, "compact: {line}");
    }
}

/// The access lines the configuration chapter shows are the ones the emulator writes: each
/// request of the sample made for real, and its line compared but for the time and the µs.
#[tokio::test]
async fn the_configuration_chapter_s_sample_log_lines_are_real() {
    let chapter = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/src/configuration.md"
    ))
    .unwrap();
    let shape = |line: &str| -> String {
        // `TIME  LEVEL message, N µs[ (forced)]` without the time and the number.
        let rest = line.split_once(' ').unwrap().1.trim_start();
        let (head, tail) = rest.rsplit_once(", ").unwrap();
        let tail = tail.split_once(" µs").unwrap().1;
        format!("{head}, N µs{tail}")
    };
    let sample: Vec<String> = chapter
        .split("```text\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| !l.starts_with("```"))
        .map(shape)
        .collect();
    assert_eq!(sample.len(), 3, "{sample:?}");

    let mut child = Command::new(BIN)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--admin-password",
            crate::helpers::PASSWORD,
        ])
        .env_remove("RUST_LOG")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let base = loop {
        let line = lines.next().unwrap().unwrap();
        if let Some(rest) = line.split_once("listening on ") {
            break rest.1.split(' ').next().unwrap().to_owned();
        }
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let app = crate::helpers::TestApp::external(&base);
    let token = app.admin_token().await;
    let cert = app.cert("Sample").await;
    app.request_code(&token, "6315550000", "sms", &cert).await;
    app.control(
        reqwest::Method::POST,
        "/clusters/t1/faults",
        Some(serde_json::json!([{"route": "/v1/account",
            "fault": {"type": "error", "status": 500, "code": 1014, "details": "Unknown error: boom"}}])),
    )
    .await;
    reqwest::Client::new()
        .post(format!("{base}/clusters/t1/v1/account"))
        .send()
        .await
        .unwrap();
    reqwest::Client::new()
        .get(format!("{base}/v1/health"))
        .header("X-Emulator-Cluster", "t2")
        .send()
        .await
        .unwrap();
    let mut written = Vec::new();
    while written.len() < 7 {
        let Ok(line) = rx.recv_timeout(std::time::Duration::from_secs(10)) else {
            break;
        };
        if line.contains(" /v1/account ")
            || line.contains(" /clusters/t1/v1/account ")
            || line.contains(" /v1/health ")
        {
            written.push(shape(&line));
        }
        if written.len() == 3 {
            break;
        }
    }
    child.kill().ok();
    child.wait().ok();
    assert_eq!(
        written, sample,
        "docs/src/configuration.md shows lines the emulator does not write"
    );
}

#[test]
fn on_every_interface_the_startup_lines_name_addresses_that_answer() {
    let mut child = Command::new(BIN)
        .args(["--listen", "0.0.0.0:0", "--log-format", "json"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut running = Running {
        base: String::new(),
        child: {
            let stderr = child.stderr.take().unwrap();
            let lines: Vec<Value> = BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
                .filter_map(|line| serde_json::from_str(&line).ok())
                .take_while(|entry: &Value| {
                    !entry["fields"]["message"]
                        .as_str()
                        .unwrap_or("")
                        .starts_with("Cloud API")
                })
                .collect();
            let message = |start: &str| -> String {
                lines
                    .iter()
                    .filter_map(|e| e["fields"]["message"].as_str())
                    .find(|m| m.starts_with(start))
                    .unwrap_or_else(|| panic!("no line {start:?}: {lines:?}"))
                    .to_owned()
            };
            let first = message("wa-onprem-emulator");
            let port = first
                .split("http://0.0.0.0:")
                .nth(1)
                .and_then(|rest| rest.split(' ').next())
                .unwrap_or_else(|| panic!("{first}"))
                .to_owned();
            assert!(
                first.contains(&format!(
                    "every interface: http://127.0.0.1:{port} from this machine, http://SERVICE:{port} from another container"
                )),
                "{first}"
            );
            let control = message("control API");
            assert!(
                control.contains(&format!("console: http://127.0.0.1:{port}/_emulator/ui")),
                "{control}"
            );
            assert!(!control.contains("0.0.0.0"), "{control}");
            child
        },
    };
    assert!(running.stop().success());
}
