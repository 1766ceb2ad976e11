//! An emulator of the WhatsApp Business On-Premises API's account registration.
//!
//! Meta retired the On-Premises API in October 2025: the real endpoint refuses every
//! registration, and nobody can get a code or a certificate any more. This crate serves the same
//! contract (login and tokens, `POST /v1/account`, `POST /v1/account/verify`, two-step pins,
//! health) so that clients of the API can still be run and tested, plus a control API under
//! `/_emulator` to read the codes it "sends", make certificates, switch policies and reset state.
//!
//! The binary `wa-onprem-emulator` is a thin user of [`serve`]. Rust tests embed it with
//! [`Emulator`], which starts it on a free port and stops it when dropped:
//!
//! ```
//! use serde_json::{Value, json};
//! use wa_onprem_emulator::Emulator;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = Emulator::builder()
//!     .admin_password("Adm1n!pass")
//!     .fixed_code("123456")
//!     .start()
//!     .await;
//! let client = reqwest::Client::new();
//! let url = |path: &str| format!("{}{path}", emulator.uri());
//!
//! // Log in as admin, make a certificate, request a code.
//! let login: Value = client.post(url("/v1/users/login"))
//!     .basic_auth("admin", Some("Adm1n!pass"))
//!     .send().await?.json().await?;
//! let token = login["users"][0]["token"].as_str().unwrap();
//! let cert = wa_onprem_emulator::cert::make("Caffè Sport", &[], 0);
//! let sent = client.post(url("/v1/account"))
//!     .bearer_auth(token)
//!     .json(&json!({"cc": "39", "phone_number": "0612345678", "method": "sms", "cert": cert}))
//!     .send().await?;
//! assert_eq!(sent.status(), 202);
//!
//! // Read the code from the outbox, typed, and verify it.
//! let code = emulator.latest_code("39", "0612345678").expect("a code was sent");
//! assert_eq!(&*code.vname, "Caffè Sport");
//! let verified = client.post(url("/v1/account/verify"))
//!     .bearer_auth(token)
//!     .json(&json!({"code": code.code}))
//!     .send().await?;
//! assert_eq!(verified.status(), 201);
//! # Ok(()) }
//! ```
//!
//! Or serve on a listener of your own with [`serve`] (the binary does exactly this).

mod client;
pub mod config;
mod courier;
mod domain;
mod embed;
mod http;
pub mod logging;
mod server;
mod startup;
mod store;

pub use client::healthcheck;
pub use config::Config;
pub use domain::{cert, clock};
pub use embed::{Emulator, EmulatorBuilder, JournaledRequest};

/// A cluster's whole state as one document: [`Emulator::snapshot`] and [`Emulator::restore`],
/// `GET` and `PUT /_emulator/clusters/{cluster}/state`.
pub mod state {
    pub use crate::store::snapshot::{
        FORMAT_VERSION, SendsEntry, StateDocument, TokenEntry, TopologyEntry,
    };
}

/// What verifying on a cluster's journal takes: the filter of
/// [`Emulator::requests`], [`Emulator::count`] and [`Emulator::wait_for_requests`].
pub mod journal {
    pub use crate::domain::Surface;
    pub use crate::store::journal::EntryFilter as RequestFilter;
}
pub use http::{App, AppBody, AppState, ControlAccess, app, router};
pub use startup::{Ready, StartupError, TlsError, serve, serve_with, tls};

/// Webhooks as the app receives them: the fields, a delivery with its exact bytes and attempts
/// ([`Emulator::deliveries`], [`Emulator::wait_for_delivery`], [`Emulator::send_event`],
/// [`Emulator::decide_name`]).
pub mod webhooks {
    pub use crate::domain::webhooks::fields::check as check_value;
    pub use crate::domain::webhooks::{DeliveryStatus, Field, SignatureMode};
    pub use crate::store::names::NameReviewOutcome as NameReview;
    pub use crate::store::webhooks::{
        AttemptView as Attempt, DeliveryFilter, DeliveryView as Delivery,
    };
}

/// Registration policies: the trait a policy implements, the built-in kinds and their rules.
pub mod policy {
    pub use crate::domain::policy::{
        Classic, ClassicRules, CodeDecision, NumberState, PendingView, PolicyError, PolicyKind,
        Refusal, RegistrationPolicy, RuleSpec, Scripted, Sunset, VerifyDecision, scripted,
    };
    pub use crate::domain::request::CodeRequest;
    pub use crate::domain::{Error, VendorError};
}

/// The records the emulator keeps of what it "sent": the outbox's codes and their numbers.
pub mod outbox {
    pub use crate::domain::model::{SentBy, SentCode, Text};
    pub use crate::domain::phone::{Method, Number};
}

/// The route table of both surfaces, as the OpenAPI document lists it.
pub mod routes {
    pub use crate::domain::cloud::version::NEWEST as NEWEST_GRAPH_VERSION;
    pub use crate::http::openapi::document as openapi;
    pub use crate::http::route::{Access, Addressing, Reads, Route, Surface, mounts};
    pub use crate::http::table::{ROUTES, all};
}
