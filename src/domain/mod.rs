//! The registration API's own rules, with no HTTP, command line or database in them: phone
//! numbers, certificates, passwords, backup encryption, time, request validation, registration
//! policies and faults, and the [`Error`] every rule fails with.

pub mod backup;
pub mod cert;
pub mod clock;
pub mod cloud;
pub mod error;
pub mod faults;
pub mod json;
pub mod model;
pub mod password;
pub mod path;
pub mod phone;
pub mod policy;
pub mod redact;
pub mod request;
pub mod surface;
pub mod topology;
pub mod webhooks;

pub use error::{Error, Result, VendorError};
pub use surface::Surface;
