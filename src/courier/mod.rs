//! The sending side of webhooks: Meta's verification request ([`verify`]) and the courier that
//! sends deliveries, retries them on the cluster's clock and records what each attempt came to
//! ([`Courier`]). Every send runs on a task of its own, holding no lock: a slow or dead
//! endpoint never slows the API.

pub mod client;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use bytes::Bytes;
use http::Method;
use tokio::sync::Semaphore;

use crate::store::Cluster;
use crate::store::webhooks::{self, Next};

/// Deliveries in hand at once (sending or waiting for a retry); one more is given up (failed,
/// with why) rather than queued without bound.
pub const QUEUE_LIMIT: usize = 4096;
/// Sends under way at once.
pub const SENDING_LIMIT: usize = 64;

/// Sends deliveries on tasks of its own.
#[derive(Debug)]
pub struct Courier {
    timeout: Duration,
    in_hand: Arc<AtomicUsize>,
    sending: Arc<Semaphore>,
}

impl Courier {
    /// A courier whose attempts give up after `timeout`.
    pub fn new(timeout: Duration) -> Self {
        Self {
            timeout,
            in_hand: Arc::default(),
            sending: Arc::new(Semaphore::new(SENDING_LIMIT)),
        }
    }
}

impl webhooks::Courier for Courier {
    fn send(&self, cluster: Weak<Cluster>, id: u64) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self.in_hand.fetch_add(1, Ordering::Relaxed) >= QUEUE_LIMIT {
            self.in_hand.fetch_sub(1, Ordering::Relaxed);
            if let Some(cluster) = cluster.upgrade() {
                runtime.spawn(async move {
                    cluster
                        .give_up_delivery(
                            id,
                            format!(
                                "not attempted: the emulator already had {QUEUE_LIMIT} deliveries in hand (sending or waiting for a retry); redeliver it once they are done"
                            ),
                        )
                        .await;
                });
            }
            return;
        }
        let job = Job {
            cluster,
            id,
            timeout: self.timeout,
            sending: self.sending.clone(),
            in_hand: self.in_hand.clone(),
        };
        runtime.spawn(job.run());
    }
}

/// One delivery in hand, until it is delivered, fails or its cluster goes.
struct Job {
    cluster: Weak<Cluster>,
    id: u64,
    timeout: Duration,
    sending: Arc<Semaphore>,
    in_hand: Arc<AtomicUsize>,
}

impl Drop for Job {
    fn drop(&mut self) {
        self.in_hand.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Job {
    async fn run(self) {
        loop {
            let Some(cluster) = self.cluster.upgrade() else {
                return;
            };
            match cluster.next_attempt(self.id) {
                Next::Done => return,
                Next::Send(out) => {
                    let Ok(_permit) = self.sending.acquire().await else {
                        return;
                    };
                    let mut headers = vec![("content-type", "application/json")];
                    if let Some(sig) = &out.signature {
                        headers.push(("x-hub-signature-256", sig));
                    }
                    if let Some(sig) = &out.signature_sha1 {
                        headers.push(("x-hub-signature", sig));
                    }
                    let answer = client::request(
                        Method::POST,
                        &out.url,
                        &headers,
                        Bytes::from(out.body),
                        self.timeout,
                    )
                    .await;
                    let (status, error) = match answer {
                        Ok(answer) => (Some(answer.status), None),
                        Err(error) => (None, Some(error)),
                    };
                    cluster.record_attempt(self.id, status, error).await;
                }
                Next::WaitUntil(at) => {
                    // Due when the cluster's clock reads `at`: real time passing, or the
                    // clock advanced (which wakes this), whichever comes first.
                    let moved = cluster.clock_moved();
                    tokio::pin!(moved);
                    moved.as_mut().enable();
                    let wait = at.duration_since(cluster.now()).unwrap_or(Duration::ZERO);
                    if wait.is_zero() {
                        continue;
                    }
                    tokio::select! {
                        () = &mut moved => {}
                        () = tokio::time::sleep(wait) => {}
                    }
                }
            }
        }
    }
}

/// Why a callback URL was not verified, for the caller to fix.
#[derive(Debug)]
pub struct Unverified {
    /// What came back, or why nothing did.
    pub message: String,
}

/// Meta's verification request: `GET url?hub.mode=subscribe&hub.challenge=N&hub.verify_token=T`,
/// which the endpoint must answer 200 with exactly the challenge as its body.
pub async fn verify(url: &str, verify_token: &str, timeout: Duration) -> Result<(), Unverified> {
    let challenge = rand::random_range(1_000_000_000u64..10_000_000_000).to_string();
    let query = serde_urlencoded::to_string([
        ("hub.mode", "subscribe"),
        ("hub.challenge", challenge.as_str()),
        ("hub.verify_token", verify_token),
    ])
    .unwrap_or_default();
    let separator = if url.contains('?') { '&' } else { '?' };
    let target = format!("{url}{separator}{query}");
    let answer = client::request(Method::GET, &target, &[], Bytes::new(), timeout)
        .await
        .map_err(|error| Unverified {
            message: format!("The verification request GET {target} got no answer: {error}"),
        })?;
    let body = String::from_utf8_lossy(&answer.body);
    if answer.status != 200 {
        return Err(Unverified {
            message: format!(
                "Callback verification failed with the following errors: HTTP Status Code = {}; the verification request GET {target} must be answered 200 with the hub.challenge as the whole body (got body {:?})",
                answer.status,
                shorten(&body)
            ),
        });
    }
    if body != challenge {
        return Err(Unverified {
            message: format!(
                "The URL couldn't be validated. Response does not match challenge, expected value=\"{challenge}\", received=\"{}\" (answer GET {url}?hub.mode=subscribe&hub.challenge=…&hub.verify_token=… with the hub.challenge alone, when hub.verify_token is yours)",
                shorten(&body)
            ),
        });
    }
    Ok(())
}

fn shorten(text: &str) -> String {
    let mut out: String = text.chars().take(200).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}
