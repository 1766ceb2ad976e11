//! The benchmark's driver: starts the emulator and the reference server pinned to one core,
//! drives both from this process pinned to the other, with the same method for both, and prints
//! one table (also written as JSON).
//!
//! Why not `oha`: the 202 path needs a fresh phone number in every request body (the rate limit
//! is per number), and `/verify` needs a code requested just before it; oha sends one fixed body.
//! This driver is a plain hyper HTTP/1.1 client: keep-alive connections, a warm-up, then a fixed
//! duration in slices alternating between the reference and the emulator, latencies of every
//! request.
//!
//! Usage: `load bench --emulator PATH --reference PATH [--duration 10] [--out bench/results.json]`
//! (bench/run.sh builds everything and runs this).

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

const PASSWORD: &str = "B3nch!pass";
const CODE: &str = "123456";

#[derive(Clone, Copy, Debug, PartialEq)]
enum Scenario {
    Account202,
    Account201,
    Verify,
    Login,
    Health,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Self::Account202 => "POST /v1/account (202)",
            Self::Account201 => "POST /v1/account (201)",
            Self::Verify => "POST /v1/account/verify",
            Self::Login => "POST /v1/users/login",
            Self::Health => "GET /_emulator/health",
        }
    }
}

struct Target {
    addr: String,
    token: String,
    cert: String,
}

fn account_body(cert: &str, phone: u64) -> String {
    format!(r#"{{"cc":"1","phone_number":"{phone}","method":"sms","cert":"{cert}"}}"#)
}

fn request(t: &Target, method: &str, path: &str, body: String, auth: &str) -> Request<Full<Bytes>> {
    Request::builder()
        .method(method)
        .uri(path)
        .header("host", &t.addr)
        .header("content-type", "application/json")
        .header("authorization", auth)
        .body(Full::new(Bytes::from(body)))
        .expect("valid request")
}

async fn send(
    sender: &mut http1::SendRequest<Full<Bytes>>,
    req: Request<Full<Bytes>>,
) -> Option<u16> {
    sender.ready().await.ok()?;
    let res = sender.send_request(req).await.ok()?;
    let status = res.status().as_u16();
    res.into_body().collect().await.ok()?;
    Some(status)
}

struct Run {
    latencies_us: Vec<u32>,
    statuses: BTreeMap<u16, u64>,
    errors: u64,
    elapsed: Duration,
}

async fn connection(
    t: Arc<Target>,
    scenario: Scenario,
    numbers: Arc<AtomicU64>,
    measuring: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
) -> Run {
    let mut run = Run::empty();
    let stream = tokio::net::TcpStream::connect(&t.addr)
        .await
        .expect("connect");
    stream.set_nodelay(true).ok();
    let (mut sender, conn) = http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let bearer = format!("Bearer {}", t.token);
    let basic = format!("Basic {}", base64_admin());
    while !stop.load(Ordering::Relaxed) {
        let req = match scenario {
            Scenario::Account202 | Scenario::Verify => {
                let phone = numbers.fetch_add(1, Ordering::Relaxed);
                request(
                    &t,
                    "POST",
                    "/v1/account",
                    account_body(&t.cert, phone),
                    &bearer,
                )
            }
            Scenario::Account201 => request(
                &t,
                "POST",
                "/v1/account",
                account_body(&t.cert, 2_000_000_000),
                &bearer,
            ),
            Scenario::Login => request(&t, "POST", "/v1/users/login", String::new(), &basic),
            Scenario::Health => Request::builder()
                .uri("/_emulator/health")
                .header("host", &t.addr)
                .body(Full::new(Bytes::new()))
                .expect("valid request"),
        };
        let req = if scenario == Scenario::Verify {
            // The code request that makes a verify possible is not timed.
            if send(&mut sender, req).await.is_none() {
                run.errors += 1;
                continue;
            }
            request(
                &t,
                "POST",
                "/v1/account/verify",
                format!(r#"{{"code":"{CODE}"}}"#),
                &bearer,
            )
        } else {
            req
        };
        let started = Instant::now();
        let status = send(&mut sender, req).await;
        if measuring.load(Ordering::Relaxed) {
            match status {
                Some(s) => {
                    *run.statuses.entry(s).or_default() += 1;
                    run.latencies_us
                        .push(started.elapsed().as_micros().min(u32::MAX as u128) as u32);
                }
                None => run.errors += 1,
            }
        }
        if status.is_none() {
            break;
        }
    }
    run
}

fn base64_admin() -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("admin:{PASSWORD}"))
}

/// Load on `t` for `duration` after `warmup`: the raw measurements.
async fn drive_run(
    t: Arc<Target>,
    scenario: Scenario,
    connections: usize,
    warmup: Duration,
    duration: Duration,
    numbers: Arc<AtomicU64>,
) -> Run {
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            tokio::spawn(connection(
                t.clone(),
                scenario,
                numbers.clone(),
                measuring.clone(),
                stop.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(warmup).await;
    measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(duration).await;
    measuring.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut all = Run {
        latencies_us: Vec::new(),
        statuses: BTreeMap::new(),
        errors: 0,
        elapsed,
    };
    for task in tasks {
        let run = task.await.expect("connection task");
        all.add(run);
    }
    all
}

impl Run {
    fn empty() -> Self {
        Self {
            latencies_us: Vec::new(),
            statuses: BTreeMap::new(),
            errors: 0,
            elapsed: Duration::ZERO,
        }
    }

    /// Adds the requests of `other` (its time is added by the caller where it is another slice).
    fn add(&mut self, other: Run) {
        self.latencies_us.extend(other.latencies_us);
        for (s, n) in other.statuses {
            *self.statuses.entry(s).or_default() += n;
        }
        self.errors += other.errors;
    }

    /// Requests per second over the measured time, p50 and p99.
    fn summary(mut self) -> Value {
        self.latencies_us.sort_unstable();
        let pct = |p: f64| -> f64 {
            if self.latencies_us.is_empty() {
                return 0.0;
            }
            let i = ((self.latencies_us.len() as f64 * p).ceil() as usize)
                .clamp(1, self.latencies_us.len())
                - 1;
            self.latencies_us[i] as f64 / 1000.0
        };
        let n = self.latencies_us.len() as f64;
        json!({
            "requests": self.latencies_us.len(),
            "rps": n / self.elapsed.as_secs_f64(),
            "p50_ms": pct(0.50),
            "p99_ms": pct(0.99),
            "statuses": self.statuses.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
            "errors": self.errors,
        })
    }
}

/// Slices of a scenario's measured time, alternating between the reference and the emulator:
/// on a shared machine the speed of the core drifts by tens of percent within a minute, and
/// alternating gives both servers the same drift.
const SLICES: u32 = 5;

/// The reference and the emulator under `scenario`, in alternating slices adding up to
/// `duration` each; the first slice of each warms up for `warmup`, later ones for half a second.
async fn drive_pair(
    reference: &Arc<Target>,
    emulator: &Arc<Target>,
    scenario: Scenario,
    connections: usize,
    warmup: Duration,
    duration: Duration,
    numbers: &Arc<AtomicU64>,
) -> (Value, Value) {
    let (mut r, mut e) = (Run::empty(), Run::empty());
    let slice = duration / SLICES;
    for i in 0..SLICES {
        let warm = if i == 0 {
            warmup
        } else {
            Duration::from_millis(500)
        };
        for (target, total) in [(reference, &mut r), (emulator, &mut e)] {
            let run = drive_run(
                target.clone(),
                scenario,
                connections,
                warm,
                slice,
                numbers.clone(),
            )
            .await;
            total.elapsed += run.elapsed;
            total.add(run);
        }
    }
    (r.summary(), e.summary())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn_pinned(core: usize, program: &str, args: &[String]) -> Child {
    Command::new("taskset")
        .arg("-c")
        .arg(core.to_string())
        .arg(program)
        .args(args)
        // The request path is measured, not the writing of one log line per request.
        .env("RUST_LOG", "info,wa_onprem_emulator::access=off")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("taskset and the server binary")
}

async fn wait_ready(addr: &str) -> Duration {
    let started = Instant::now();
    loop {
        if let Ok(stream) = tokio::net::TcpStream::connect(addr).await
            && let Ok((mut sender, conn)) = http1::handshake(TokioIo::new(stream)).await
        {
            {
                tokio::spawn(conn);
                let req = Request::builder()
                    .uri("/_emulator/health")
                    .header("host", addr)
                    .body(Full::new(Bytes::new()))
                    .unwrap();
                if let Some(200 | 202) = send(&mut sender, req).await {
                    return started.elapsed();
                }
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{addr} did not come up"
        );
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn emulator_args(port: u16, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--admin-password",
        PASSWORD,
        "--fixed-code",
        CODE,
        "--log-format",
        "json",
        // Every number of the 202 path is fresh, but a fast run reuses the counter's numbers
        // across scenarios: no answer of the benchmark may be a rate-limit 403.
        "--code-rate-limit",
        "1000000",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// Logs in, registers the 201 number; the token.
async fn prepare(addr: &str, cert: &str) -> String {
    let client = reqwest::Client::new();
    let login: Value = client
        .post(format!("http://{addr}/v1/users/login"))
        .basic_auth("admin", Some(PASSWORD))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["users"][0]["token"]
        .as_str()
        .unwrap_or("reference")
        .to_owned();
    let body: Value = serde_json::from_str(&account_body(cert, 2_000_000_000)).unwrap();
    client
        .post(format!("http://{addr}/v1/account"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    client
        .post(format!("http://{addr}/v1/account/verify"))
        .bearer_auth(&token)
        .json(&json!({"code": CODE}))
        .send()
        .await
        .unwrap();
    token
}

/// Startup: process start to first successful answer, `runs` times; the median in ms.
async fn startup(program: &str, args: impl Fn(u16) -> Vec<String>, runs: usize) -> f64 {
    let mut times = Vec::new();
    for _ in 0..runs {
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let started = Instant::now();
        let mut child = spawn_pinned(0, program, &args(port));
        wait_ready(&addr).await;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        child.kill().ok();
        child.wait().ok();
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// RSS growth per cluster with one registered number, in bytes.
async fn memory_per_cluster(emulator: &str, clusters: u64, cert: &str) -> (u64, u64, f64) {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = spawn_pinned(0, emulator, &emulator_args(port, &[]));
    wait_ready(&addr).await;
    let pid = child.id();
    let before = rss_kib(pid, "VmRSS:");
    let next = Arc::new(AtomicU64::new(0));
    let basic = format!("Basic {}", base64_admin());
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let (addr, next, basic, cert) =
                (addr.clone(), next.clone(), basic.clone(), cert.to_owned());
            tokio::spawn(async move {
                let stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
                let (mut sender, conn) = http1::handshake(TokioIo::new(stream)).await.unwrap();
                tokio::spawn(conn);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= clusters {
                        break;
                    }
                    let t = Target {
                        addr: addr.clone(),
                        token: String::new(),
                        cert: cert.clone(),
                    };
                    let prefix = format!("/clusters/m{i}/v1");
                    let res = {
                        sender.ready().await.unwrap();
                        let req = request(
                            &t,
                            "POST",
                            &format!("{prefix}/users/login"),
                            String::new(),
                            &basic,
                        );
                        let res = sender.send_request(req).await.unwrap();
                        res.into_body().collect().await.unwrap().to_bytes()
                    };
                    let login: Value = serde_json::from_slice(&res).unwrap();
                    let bearer = format!("Bearer {}", login["users"][0]["token"].as_str().unwrap());
                    let req = request(
                        &t,
                        "POST",
                        &format!("{prefix}/account"),
                        account_body(&cert, 3_000_000_000),
                        &bearer,
                    );
                    assert_eq!(send(&mut sender, req).await, Some(202));
                    let req = request(
                        &t,
                        "POST",
                        &format!("{prefix}/account/verify"),
                        format!(r#"{{"code":"{CODE}"}}"#),
                        &bearer,
                    );
                    assert_eq!(send(&mut sender, req).await, Some(201));
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let after = rss_kib(pid, "VmRSS:");
    child.kill().ok();
    child.wait().ok();
    let per = (after.saturating_sub(before) * 1024) as f64 / clusters as f64;
    (before, after, per)
}

/// The median of `values`.
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Interleaved rounds: in each, the reference, then the emulator's 202 path, then its 201 path,
/// so that all three see the same drift of a shared machine; prints each round's requests per
/// second and ratios, then the median ratios.
async fn rounds_table(
    emulator: &str,
    reference: &str,
    cert: &str,
    rounds: usize,
    seconds: Duration,
    connections: usize,
) {
    let (ref_port, emu_port) = (free_port(), free_port());
    let ref_addr = format!("127.0.0.1:{ref_port}");
    let emu_addr = format!("127.0.0.1:{emu_port}");
    let mut reference_child = spawn_pinned(0, reference, std::slice::from_ref(&ref_addr));
    let mut emulator_child = spawn_pinned(0, emulator, &emulator_args(emu_port, &[]));
    wait_ready(&ref_addr).await;
    wait_ready(&emu_addr).await;
    let emu = Arc::new(Target {
        addr: emu_addr.clone(),
        token: prepare(&emu_addr, cert).await,
        cert: cert.to_owned(),
    });
    let refr = Arc::new(Target {
        addr: ref_addr,
        token: "reference".into(),
        cert: cert.to_owned(),
    });
    let numbers = Arc::new(AtomicU64::new(2_300_000_000));
    let runs = [
        ("reference", &refr, Scenario::Account202),
        ("202", &emu, Scenario::Account202),
        ("201", &emu, Scenario::Account201),
    ];
    // Warm-ups: each target once, not counted.
    for (_, target, scenario) in runs {
        drive_run(
            target.clone(),
            scenario,
            connections,
            Duration::from_secs(1),
            Duration::from_secs(1),
            numbers.clone(),
        )
        .await;
    }
    let (mut r202, mut r201) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        let mut rps = [0.0; 3];
        for (i, (_, target, scenario)) in runs.iter().enumerate() {
            let run = drive_run(
                (*target).clone(),
                *scenario,
                connections,
                Duration::from_millis(500),
                seconds,
                numbers.clone(),
            )
            .await
            .summary();
            rps[i] = run["rps"].as_f64().unwrap_or(0.0);
        }
        let (a, b) = (rps[1] / rps[0], rps[2] / rps[0]);
        println!(
            "round {round}: reference {:.0} req/s, 202 {:.0} req/s ({:.0} %), 201 {:.0} req/s ({:.0} %)",
            rps[0],
            rps[1],
            a * 100.0,
            rps[2],
            b * 100.0
        );
        r202.push(a);
        r201.push(b);
    }
    println!(
        "median of {rounds} rounds: 202 path {:.0} % of the reference, 201 path {:.0} %",
        median(r202) * 100.0,
        median(r201) * 100.0
    );
    emulator_child.kill().ok();
    emulator_child.wait().ok();
    reference_child.kill().ok();
    reference_child.wait().ok();
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let emulator = arg("--emulator").unwrap_or_else(|| "target/release/wa-onprem-emulator".into());
    let reference =
        arg("--reference").unwrap_or_else(|| "target/release/examples/reference".into());
    let duration =
        Duration::from_secs(arg("--duration").and_then(|d| d.parse().ok()).unwrap_or(10));
    let warmup = Duration::from_secs(2);
    let connections = 64;
    let clusters: u64 = arg("--clusters")
        .and_then(|c| c.parse().ok())
        .unwrap_or(100_000);
    let out = arg("--out").unwrap_or_else(|| "bench/results.json".into());
    let cert = wa_onprem_emulator::cert::make("Acme", &[], 0);

    // `load memory --emulator PATH --clusters N`: only the memory-per-cluster figure.
    if args.get(1).map(String::as_str) == Some("memory") {
        let (before, after, per) = memory_per_cluster(&emulator, clusters, &cert).await;
        println!(
            "{}",
            json!({"rss_before_kib": before, "rss_after_kib": after, "bytes_per_cluster": per})
        );
        return;
    }

    // `load drive --addr HOST:PORT --scenario 202|201|verify|login|health [--reference]`: load on
    // a server started by hand (for a profiler), no table.
    if args.get(1).map(String::as_str) == Some("drive") {
        let addr = arg("--addr").expect("--addr HOST:PORT");
        let scenario = match arg("--scenario").as_deref() {
            Some("201") => Scenario::Account201,
            Some("verify") => Scenario::Verify,
            Some("login") => Scenario::Login,
            Some("health") => Scenario::Health,
            _ => Scenario::Account202,
        };
        // `--reference`: the target is the reference server, which has nothing to prepare.
        let token = if args.iter().any(|a| a == "--reference") {
            "reference".to_string()
        } else {
            prepare(&addr, &cert).await
        };
        let target = Arc::new(Target { token, addr, cert });
        let numbers = Arc::new(AtomicU64::new(2_100_000_000));
        let result = drive_run(target, scenario, connections, warmup, duration, numbers)
            .await
            .summary();
        println!("{result}");
        return;
    }

    // `load rounds [--rounds N] [--duration S]`: the reference, the 202 path and the 201 path in
    // turn, N rounds of S seconds each after warm-ups; the median ratio to the reference.
    if args.get(1).map(String::as_str) == Some("rounds") {
        let rounds: usize = arg("--rounds").and_then(|r| r.parse().ok()).unwrap_or(3);
        let seconds =
            Duration::from_secs(arg("--duration").and_then(|d| d.parse().ok()).unwrap_or(3));
        rounds_table(&emulator, &reference, &cert, rounds, seconds, connections).await;
        return;
    }

    let (ref_port, emu_port) = (free_port(), free_port());
    let ref_addr = format!("127.0.0.1:{ref_port}");
    let emu_addr = format!("127.0.0.1:{emu_port}");
    let mut reference_child = spawn_pinned(0, &reference, std::slice::from_ref(&ref_addr));
    let mut emulator_child = spawn_pinned(0, &emulator, &emulator_args(emu_port, &[]));
    wait_ready(&ref_addr).await;
    wait_ready(&emu_addr).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let idle_rss = rss_kib(emulator_child.id(), "VmRSS:");
    let idle_rss_reference = rss_kib(reference_child.id(), "VmRSS:");
    let emu = Arc::new(Target {
        addr: emu_addr.clone(),
        token: prepare(&emu_addr, &cert).await,
        cert: cert.clone(),
    });
    let refr = Arc::new(Target {
        addr: ref_addr.clone(),
        token: "reference".into(),
        cert: cert.clone(),
    });

    let numbers = Arc::new(AtomicU64::new(2_010_000_000));
    let mut rows = Vec::new();
    for scenario in [
        Scenario::Account202,
        Scenario::Account201,
        Scenario::Verify,
        Scenario::Login,
        Scenario::Health,
    ] {
        let (r, e) = drive_pair(
            &refr,
            &emu,
            scenario,
            connections,
            warmup,
            duration,
            &numbers,
        )
        .await;
        eprintln!(
            "{:<28} emulator {:>9.0} req/s  reference {:>9.0} req/s",
            scenario.name(),
            e["rps"].as_f64().unwrap(),
            r["rps"].as_f64().unwrap()
        );
        rows.push(json!({"scenario": scenario.name(), "emulator": e, "reference": r}));
    }
    let peak_rss = rss_kib(emulator_child.id(), "VmHWM:");
    emulator_child.kill().ok();
    emulator_child.wait().ok();
    reference_child.kill().ok();
    reference_child.wait().ok();

    // With --data-dir, the 202 path again (every answer durable).
    let dir = std::env::temp_dir().join(format!("wa-emu-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut durable_child = spawn_pinned(
        0,
        &emulator,
        &emulator_args(port, &["--data-dir", dir.to_str().unwrap()]),
    );
    wait_ready(&addr).await;
    let durable = Arc::new(Target {
        addr: addr.clone(),
        token: prepare(&addr, &cert).await,
        cert: cert.clone(),
    });
    let durable_202 = drive_run(
        durable,
        Scenario::Account202,
        connections,
        warmup,
        duration,
        numbers.clone(),
    )
    .await
    .summary();
    durable_child.kill().ok();
    durable_child.wait().ok();
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "{:<28} emulator {:>9.0} req/s",
        "202 with --data-dir",
        durable_202["rps"].as_f64().unwrap()
    );

    let startup_ms = startup(&emulator, |port| emulator_args(port, &[]), 21).await;
    let startup_reference_ms =
        startup(&reference, |port| vec![format!("127.0.0.1:{port}")], 21).await;
    let (before, after, per_cluster) = memory_per_cluster(&emulator, clusters, &cert).await;

    let result = json!({
        "machine": machine(),
        "connections": connections,
        "duration_s": duration.as_secs(),
        "scenarios": rows,
        "durable_202": durable_202,
        "startup_ms": {"emulator": startup_ms, "reference": startup_reference_ms},
        "idle_rss_kib": {"emulator": idle_rss, "reference": idle_rss_reference},
        "peak_rss_kib": peak_rss,
        "memory_per_cluster": {"clusters": clusters, "rss_before_kib": before, "rss_after_kib": after, "bytes_per_cluster": per_cluster},
    });
    std::fs::write(&out, serde_json::to_string_pretty(&result).unwrap()).unwrap();
    println!("{}", table(&result));
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    // Not available_parallelism(): the driver is pinned to one core.
    let cores = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("processor"))
        .count();
    format!("{cpu}, {cores} cores")
}

fn table(r: &Value) -> String {
    let mut out = String::new();
    out.push_str(&format!("Machine: {}; {} connections, {} s per scenario and server, in 5 slices alternating between the two (2 s warm-up, then 0.5 s per slice); server on core 0, driver on core 1.\n\n", r["machine"].as_str().unwrap_or(""), r["connections"], r["duration_s"]));
    out.push_str("| scenario | emulator req/s | reference req/s | ratio | emulator p50 / p99 ms | reference p50 / p99 ms |\n|---|---:|---:|---:|---:|---:|\n");
    for row in r["scenarios"].as_array().unwrap() {
        let (e, f) = (&row["emulator"], &row["reference"]);
        let ratio = e["rps"].as_f64().unwrap() / f["rps"].as_f64().unwrap().max(1.0);
        out.push_str(&format!(
            "| {} | {:.0} | {:.0} | {:.0} % | {:.2} / {:.2} | {:.2} / {:.2} |\n",
            row["scenario"].as_str().unwrap(),
            e["rps"].as_f64().unwrap(),
            f["rps"].as_f64().unwrap(),
            ratio * 100.0,
            e["p50_ms"].as_f64().unwrap(),
            e["p99_ms"].as_f64().unwrap(),
            f["p50_ms"].as_f64().unwrap(),
            f["p99_ms"].as_f64().unwrap()
        ));
    }
    let ref202 = r["scenarios"][0]["emulator"]["rps"].as_f64().unwrap();
    let d = r["durable_202"]["rps"].as_f64().unwrap();
    out.push_str(&format!("| POST /v1/account (202), --data-dir | {:.0} | | {:.0} % of in-memory | {:.2} / {:.2} | |\n\n", d, d / ref202 * 100.0, r["durable_202"]["p50_ms"].as_f64().unwrap(), r["durable_202"]["p99_ms"].as_f64().unwrap()));
    out.push_str("| figure | emulator | reference |\n|---|---:|---:|\n");
    out.push_str(&format!(
        "| startup to first answer (median of 21) | {:.1} ms | {:.1} ms |\n",
        r["startup_ms"]["emulator"].as_f64().unwrap(),
        r["startup_ms"]["reference"].as_f64().unwrap()
    ));
    out.push_str(&format!(
        "| idle RSS | {:.1} MiB | {:.1} MiB |\n",
        r["idle_rss_kib"]["emulator"].as_f64().unwrap() / 1024.0,
        r["idle_rss_kib"]["reference"].as_f64().unwrap() / 1024.0
    ));
    out.push_str(&format!(
        "| peak RSS under load | {:.1} MiB | |\n",
        r["peak_rss_kib"].as_f64().unwrap() / 1024.0
    ));
    out.push_str(&format!(
        "| memory per cluster with one registered number ({} clusters) | {:.0} bytes | |\n",
        r["memory_per_cluster"]["clusters"],
        r["memory_per_cluster"]["bytes_per_cluster"]
            .as_f64()
            .unwrap()
    ));
    out
}
