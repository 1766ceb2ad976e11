//! Reading a `cert` as clients send it: base64 (white space and padding forgiven), then the
//! protobuf decoded with prost's messages.

use std::sync::Arc;

use base64::Engine;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use bytes::Bytes;
use prost::Message;

use super::{BizAccountPayload, Details, LocalizedName, VerifiedNameCertificate};

/// Why a `cert` could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    /// Nothing but white space.
    #[error("cert is empty")]
    Empty,
    /// Not standard base64.
    #[error("cert is not valid base64")]
    Base64,
    /// Base64, but not a certificate protobuf.
    #[error("cert is not a verified-name certificate protobuf")]
    Protobuf,
    /// A certificate without a verified name.
    #[error("cert has no verified name")]
    NoVerifiedName,
}

impl CertError {
    /// Short rule name, for `X-Emulator-Reason`.
    pub fn rule(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::Base64 => "not_base64",
            Self::Protobuf => "not_protobuf",
            Self::NoVerifiedName => "no_verified_name",
        }
    }
}

/// What the emulator needs from a certificate.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedCert {
    /// `Details.verified_name`, shared with the records that keep it (the pending code, the
    /// outbox, the registration) rather than copied into each.
    pub vname: Arc<str>,
    /// The localized names, in order.
    pub localized_names: Vec<LocalizedName>,
}

/// Standard alphabet; padding optional, since users paste both.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decodes a `cert` string as a client sends it.
///
/// White space anywhere (line breaks of a pasted certificate) is ignored. A [`BizAccountPayload`]
/// is tried first, then a bare [`VerifiedNameCertificate`].
pub fn decode(text: &str) -> Result<DecodedCert, CertError> {
    let bytes = match LENIENT.decode(text) {
        Ok(bytes) => bytes,
        // A certificate pasted with line breaks: decoded again without its white space.
        Err(_) => {
            let compact: String = text.split_ascii_whitespace().collect();
            if compact.is_empty() {
                return Err(CertError::Empty);
            }
            LENIENT.decode(compact).map_err(|_| CertError::Base64)?
        }
    };
    if bytes.is_empty() {
        return Err(CertError::Empty);
    }
    read(Bytes::from(bytes))
}

/// Decodes the protobuf bytes of a certificate: a [`BizAccountPayload`] first, else a bare
/// [`VerifiedNameCertificate`]. (As prost merges a message field sent twice, the last `details`
/// is the one.)
pub fn decode_bytes(bytes: &[u8]) -> Result<DecodedCert, CertError> {
    read(Bytes::copy_from_slice(bytes))
}

/// The certificate of `bytes`, whose fields (the details, the signatures) prost decodes as
/// slices of them rather than copies.
fn read(bytes: Bytes) -> Result<DecodedCert, CertError> {
    let details_of = |cert: VerifiedNameCertificate| Details::decode(cert.details?).ok();
    let wrapped = BizAccountPayload::decode(bytes.clone())
        .ok()
        .and_then(|payload| payload.vname_cert)
        .and_then(details_of);
    let details = match wrapped {
        Some(details) => details,
        None => {
            let cert = VerifiedNameCertificate::decode(bytes).map_err(|_| CertError::Protobuf)?;
            details_of(cert).ok_or(CertError::Protobuf)?
        }
    };
    match details.verified_name {
        Some(vname) if !vname.trim().is_empty() => Ok(DecodedCert {
            vname: vname.into(),
            localized_names: details.localized_names,
        }),
        _ => Err(CertError::NoVerifiedName),
    }
}
