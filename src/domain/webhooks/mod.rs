//! The webhooks of the Cloud API, as Meta sends them to the app under test: the app's
//! configuration and the account's subscription ([`config`]), the fields Meta documents and the
//! shape of each ([`fields`]), the exact bytes sent and their signatures ([`payload`]), and the
//! journal of deliveries with their attempts and retries ([`delivery`]). No network here: the
//! sending is `crate::webhooks`'.

pub mod config;
pub mod delivery;
pub mod fields;
pub mod payload;

pub use config::{AppWebhook, SignatureMode, Subscription, Webhooks};
pub use delivery::{Delivery, DeliveryStatus};
pub use fields::Field;
