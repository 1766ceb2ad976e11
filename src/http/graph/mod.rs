//! The Graph surface: the Cloud API's phone-number registration at `/{version}/…` (any
//! `vNN.N`) and `/clusters/{cluster}/{version}/…`, and the migration of a cluster's
//! On-Premises number to it. Answers are Graph's: `{"success": true}`, objects as they are, and
//! errors in the `{"error": {…}}` envelope ([`wire`]).

pub mod numbers;
pub mod params;
pub mod registration;
mod version;
pub mod wire;

pub use version::{NEWEST as NEWEST_VERSION, is_known as is_known_version, is_version};
