//! The verified-name certificate: the real protobuf format, decoded and made.
//!
//! Certificates issued in WhatsApp Manager are a base64 [`BizAccountPayload`] wrapping a
//! [`VerifiedNameCertificate`] whose `details` field holds a serialized [`Details`]. Field numbers
//! follow the schemas public WhatsApp clients use. Signatures are carried but never checked.

mod messages;
mod read;
#[cfg(test)]
mod tests;

pub use messages::{BizAccountPayload, Details, LocalizedName, VerifiedNameCertificate, make};
pub use read::{CertError, DecodedCert, decode, decode_bytes};
