//! The emulator inside a Rust test, in the spirit of `wiremock`'s `MockServer`: start it on a
//! random port with a builder, point the client under test at [`Emulator::uri`], read the codes
//! it "sent" with typed methods, and let it shut down when dropped.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::config::Config;
use crate::domain::clock::SystemClock;
use crate::domain::model::SentCode;
use crate::domain::policy::{PolicyKind, RegistrationPolicy, scripted};
use crate::http::AppState;
use crate::startup::{StartupError, serve_with, tls};
use crate::store::journal::EntryFilter as RequestFilter;
use crate::store::{CodeFilter, DEFAULT_CLUSTER};

/// A running emulator, stopped when dropped.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use wa_onprem_emulator::Emulator;
///
/// let emulator = Emulator::builder().admin_password("Adm1n!pass").start().await;
/// assert!(emulator.uri().starts_with("http://127.0.0.1:"));
/// assert!(emulator.codes("default").is_empty());
/// # }
/// ```
#[derive(Debug)]
pub struct Emulator {
    address: SocketAddr,
    uri: String,
    state: AppState,
    stop: Option<oneshot::Sender<()>>,
}

/// How to start an [`Emulator`]; every setting of the binary is here too.
#[derive(Debug, Clone, Default)]
pub struct EmulatorBuilder {
    config: Config,
    rules: Option<String>,
}

impl EmulatorBuilder {
    /// The registration policy of every cluster.
    pub fn policy(mut self, policy: PolicyKind) -> Self {
        self.config = self.config.policy(policy);
        self
    }

    /// Scripted rules as TOML (the format of `--rules`); rules select the scripted policy
    /// (another policy named with them is refused at start).
    pub fn rules(mut self, toml: &str) -> Self {
        self.rules = Some(toml.to_owned());
        self
    }

    /// Every code sent is this one.
    pub fn fixed_code(mut self, code: &str) -> Self {
        self.config = self.config.fixed_code(code);
        self
    }

    /// The admin starts with this password, and no first-login change is required.
    pub fn admin_password(mut self, password: &str) -> Self {
        self.config = self.config.admin_password(password);
        self
    }

    /// Any other setting, as the binary's flags set it.
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Starts the emulator on `127.0.0.1` and a free port.
    ///
    /// # Panics
    ///
    /// When the configuration cannot start (bad rules, TLS files); see [`Self::try_start`].
    pub async fn start(self) -> Emulator {
        match self.try_start().await {
            Ok(emulator) => emulator,
            Err(e) => panic!("the emulator cannot start: {e}"),
        }
    }

    /// Starts clusters in the state a seed file declares (`--seed`: JSON or TOML, state
    /// documents or their short form), before the emulator answers.
    pub fn seed(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.config = self.config.seed(path.into());
        self
    }

    /// Starts the emulator, or says why it cannot.
    pub async fn try_start(mut self) -> Result<Emulator, StartupError> {
        let rules = self
            .rules
            .as_deref()
            .map(scripted::parse_toml)
            .transpose()
            .map_err(|e| StartupError::Rules(format!("rules: {e}")))?;
        let state = AppState::build(&self.config, Arc::new(SystemClock), rules)?;
        // Seeded before anything is served; not again by the server.
        crate::startup::apply_seed(&state, &self.config).await?;
        self.config.seed = None;
        let tls = tls(&self.config)?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|source| StartupError::Bind {
                address: "127.0.0.1:0".into(),
                source,
            })?;
        let address = listener.local_addr().map_err(|source| StartupError::Bind {
            address: "127.0.0.1:0".into(),
            source,
        })?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        self.config.listen = address.to_string();
        let (stop, stopped) = oneshot::channel::<()>();
        let config = self.config.clone();
        let served = state.clone();
        tokio::spawn(async move {
            let shutdown = async {
                stopped.await.ok();
            };
            if let Err(e) = serve_with(listener, served, &config, tls, shutdown).await {
                tracing::error!("embedded emulator stopped: {e}");
            }
        });
        Ok(Emulator {
            address,
            uri: format!("{scheme}://{address}"),
            state,
            stop: Some(stop),
        })
    }
}

impl Emulator {
    /// A builder with the defaults of the binary.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// Starts an emulator with the defaults of the binary.
    pub async fn start() -> Self {
        Self::builder().start().await
    }

    /// The base URL, such as `http://127.0.0.1:41234`.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Every code in `cluster`'s outbox, oldest first.
    pub fn codes(&self, cluster: &str) -> Vec<SentCode> {
        self.state
            .store
            .find(cluster)
            .map(|c| c.codes(CodeFilter::default()))
            .unwrap_or_default()
    }

    /// The newest code sent to `cc` + `phone_number` in the `default` cluster.
    pub fn latest_code(&self, cc: &str, phone_number: &str) -> Option<SentCode> {
        self.latest_code_in(DEFAULT_CLUSTER, cc, phone_number)
    }

    /// The newest code sent to `cc` + `phone_number` in `cluster`.
    pub fn latest_code_in(&self, cluster: &str, cc: &str, phone_number: &str) -> Option<SentCode> {
        self.state.store.find(cluster)?.latest_code(CodeFilter {
            cc: Some(cc),
            phone_number: Some(phone_number),
            method: None,
        })
    }

    /// Waits up to `timeout` for a code to `cc` + `phone_number` in `cluster`.
    pub async fn wait_for_code(
        &self,
        cluster: &str,
        cc: &str,
        phone_number: &str,
        timeout: Duration,
    ) -> Option<SentCode> {
        let filter = CodeFilter {
            cc: Some(cc),
            phone_number: Some(phone_number),
            method: None,
        };
        let deadline = tokio::time::Instant::now() + timeout;
        self.state
            .store
            .wait_for_code(cluster, filter, deadline)
            .await
    }

    /// The requests `cluster` journaled that match `filter`, oldest first (bodies redacted).
    pub fn requests(&self, cluster: &str, filter: &RequestFilter) -> Vec<JournaledRequest> {
        self.state
            .store
            .find(cluster)
            .map(|c| {
                c.requests(filter)
                    .iter()
                    .map(JournaledRequest::from)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// How many requests `cluster` journaled that match `filter`.
    pub fn count(&self, cluster: &str, filter: &RequestFilter) -> usize {
        self.state
            .store
            .find(cluster)
            .map_or(0, |c| c.count_requests(filter))
    }

    /// Waits up to `timeout` (woken by each request, no polling) until at least `at_least`
    /// requests of `cluster` match `filter`; how many match then.
    pub async fn wait_for_requests(
        &self,
        cluster: &str,
        filter: &RequestFilter,
        at_least: usize,
        timeout: Duration,
    ) -> usize {
        let deadline = tokio::time::Instant::now() + timeout;
        self.state
            .store
            .wait_for_requests(cluster, filter, at_least, deadline)
            .await
    }

    /// The requests of `cluster` that no route took or that were refused as unreadable, each
    /// with the route it most likely meant (`near_miss`).
    pub fn unmatched(&self, cluster: &str) -> Vec<JournaledRequest> {
        let filter = RequestFilter {
            unmatched: true,
            ..RequestFilter::default()
        };
        self.requests(cluster, &filter)
            .into_iter()
            .map(|mut request| {
                request.near_miss = self.state.routes.near_miss(&request.method, &request.path);
                request
            })
            .collect()
    }

    /// Everything `cluster` holds, as `GET /_emulator/clusters/{cluster}/state` answers it;
    /// `None` when it does not exist.
    pub fn snapshot(&self, cluster: &str) -> Option<crate::state::StateDocument> {
        self.state.store.find(cluster).map(|c| c.snapshot())
    }

    /// Makes `cluster` (made when it does not exist) exactly `document`, as `PUT
    /// /_emulator/clusters/{cluster}/state` does: a document that cannot be used changes and
    /// makes nothing.
    pub async fn restore(
        &self,
        cluster: &str,
        document: crate::state::StateDocument,
    ) -> Result<(), crate::policy::Error> {
        self.state.store.restore(cluster, document).await.map(drop)
    }

    /// The names of the clusters that exist, sorted.
    pub fn clusters(&self) -> Vec<String> {
        self.state.store.names()
    }

    /// Removes `cluster` and all it holds, as `DELETE /_emulator/clusters/{cluster}` does (for
    /// tests that share one `Emulator` and are done with their cluster); `Ok(false)` when it
    /// does not exist. An error only when the data directory could not store the removal.
    pub async fn delete_cluster(&self, cluster: &str) -> Result<bool, crate::policy::Error> {
        self.state.store.delete(cluster).await
    }

    /// Sets the app's webhook of `cluster`, as `PUT /_emulator/clusters/{c}/webhooks` does:
    /// Meta's verification request is sent to `callback_url` first, and the webhook is kept only
    /// when it is answered 200 with the challenge (else the error says what came back). Every
    /// field the emulator sends, signed validly.
    pub async fn set_webhooks(
        &self,
        cluster: &str,
        callback_url: &str,
        verify_token: &str,
        app_secret: &str,
    ) -> Result<(), crate::policy::Error> {
        use crate::domain::webhooks::{AppWebhook, Field, config::check_url};
        check_url(callback_url)
            .map_err(|m| crate::policy::Error::invalid("callback_url", "url", m))?;
        crate::courier::verify(callback_url, verify_token, self.state.webhook_timeout)
            .await
            .map_err(|e| {
                crate::policy::Error::invalid("callback_url", "verification", e.message)
            })?;
        self.state
            .store
            .cluster(cluster)?
            .set_app_webhook(AppWebhook {
                callback_url: callback_url.to_owned(),
                verify_token: verify_token.to_owned(),
                app_secret: app_secret.to_owned(),
                fields: Field::ALL.to_vec(),
                signature: Default::default(),
            })
            .await
    }

    /// The webhook deliveries of `cluster` of `field` (every field: `None`), oldest first.
    pub fn deliveries(
        &self,
        cluster: &str,
        field: Option<crate::webhooks::Field>,
    ) -> Vec<crate::webhooks::Delivery> {
        let filter = crate::webhooks::DeliveryFilter {
            field,
            status: None,
        };
        self.state
            .store
            .find(cluster)
            .map_or_else(Vec::new, |c| c.deliveries(filter))
    }

    /// Waits up to `timeout` (woken by each delivery, no polling) until a delivery of `field`
    /// of `cluster` is delivered; the newest such, if one was.
    pub async fn wait_for_delivery(
        &self,
        cluster: &str,
        field: crate::webhooks::Field,
        timeout: Duration,
    ) -> Option<crate::webhooks::Delivery> {
        let filter = crate::webhooks::DeliveryFilter {
            field: Some(field),
            status: Some(crate::webhooks::DeliveryStatus::Delivered),
        };
        let deadline = tokio::time::Instant::now() + timeout;
        self.state
            .store
            .wait_for_deliveries(cluster, filter, 1, deadline)
            .await;
        self.state.store.find(cluster)?.deliveries(filter).pop()
    }

    /// Sends a documented change of `field` as if it happened in `cluster`, `value` checked
    /// against the field's shape; its delivery (`None` when the cluster has no webhooks).
    pub async fn send_event(
        &self,
        cluster: &str,
        field: crate::webhooks::Field,
        value: serde_json::Value,
    ) -> Result<Option<crate::webhooks::Delivery>, crate::policy::Error> {
        self.state
            .store
            .cluster(cluster)?
            .send_event(field, value)
            .await
    }

    /// Decides the review of phone number `id`'s display name in `cluster` (`APPROVED`,
    /// `REJECTED`, `DEFERRED`, `PENDING`), which sends `phone_number_name_update`.
    pub async fn decide_name(
        &self,
        cluster: &str,
        id: &str,
        decision: &str,
        rejection_reason: Option<&str>,
    ) -> Result<crate::webhooks::NameReview, crate::policy::Error> {
        self.state
            .store
            .cluster(cluster)?
            .decide_name(id, decision, rejection_reason.map(str::to_owned))
            .await
    }

    /// The registration policy `cluster` runs with now.
    pub fn policy(&self, cluster: &str) -> Arc<dyn RegistrationPolicy> {
        match self.state.store.find(cluster) {
            Some(cluster) => cluster.policy(),
            None => self.state.store.settings().default_policy.clone(),
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A request as a cluster's journal keeps it (`GET /_emulator/clusters/{c}/requests`).
#[derive(Debug, Clone, PartialEq)]
pub struct JournaledRequest {
    /// When it arrived, on the cluster's clock.
    pub time: std::time::SystemTime,
    /// HTTP method.
    pub method: String,
    /// Path, without the `/clusters/{cluster}` prefix.
    pub path: String,
    /// HTTP status answered (0: the connection was dropped by a fault).
    pub status: u16,
    /// The `X-Emulator-Reason` of the answer.
    pub reason: Option<String>,
    /// The JSON body with secrets redacted.
    pub body: Option<serde_json::Value>,
    /// For an unmatched request, the route of the table it most likely meant.
    pub near_miss: Option<String>,
}

impl From<&crate::store::journal::Entry> for JournaledRequest {
    fn from(entry: &crate::store::journal::Entry) -> Self {
        Self {
            time: entry.at,
            method: entry.method.to_string(),
            path: entry.path.to_string(),
            status: entry.status,
            reason: entry.reason.as_deref().map(str::to_owned),
            body: entry.body.as_deref().and_then(|b| {
                if entry.truncated {
                    Some(serde_json::Value::String(b.to_owned()))
                } else {
                    serde_json::from_str(b).ok()
                }
            }),
            near_miss: None,
        }
    }
}
