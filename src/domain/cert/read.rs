//! Reading a `cert` as clients send it: base64 (white space and padding forgiven), then the
//! protobuf walked where it lies, with no owned messages.

use std::cell::RefCell;
use std::sync::Arc;

use base64::Engine;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use prost::encoding::WireType;

use super::LocalizedName;
use crate::domain::protobuf::{Malformed, RECURSION_LIMIT, Value, nested, text, walk};
use crate::domain::reuse;

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
/// White space anywhere (line breaks of a pasted certificate) is ignored. A [`BizAccountPayload`](super::BizAccountPayload)
/// is tried first, then a bare [`VerifiedNameCertificate`](super::VerifiedNameCertificate).
pub fn decode(text: &str) -> Result<DecodedCert, CertError> {
    // One pass without an early exit, which the compiler vectorizes: is any byte white space or
    // a control character? Only then is the text compacted (and can it be empty).
    let spaced = text.bytes().fold(false, |any, b| any | (b <= b' '));
    if spaced && text.trim_ascii().is_empty() || text.is_empty() {
        return Err(CertError::Empty);
    }
    if spaced {
        let compact: String = text.split_ascii_whitespace().collect();
        return decode_base64(&compact);
    }
    decode_base64(text)
}

fn decode_base64(text: &str) -> Result<DecodedCert, CertError> {
    thread_local! {
        /// The bytes of the last certificate this thread decoded: reused, and zeroed only where
        /// it grows, where a fresh buffer would be zeroed or allocated for every certificate.
        static DECODED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    }
    let room = base64::decoded_len_estimate(text.len());
    reuse::with(&DECODED, |buffer| {
        if buffer.len() < room {
            buffer.resize(room, 0);
        }
        let n = LENIENT
            .decode_slice(text, &mut buffer[..room])
            .map_err(|_| CertError::Base64)?;
        decode_buffer(&buffer[..n])
    })
}

/// Decodes the protobuf bytes of a certificate.
pub fn decode_bytes(bytes: &[u8]) -> Result<DecodedCert, CertError> {
    decode_buffer(bytes)
}

/// Reads the certificate where it lies, field by field (no owned messages): a
/// [`BizAccountPayload`](super::BizAccountPayload) first, else a bare [`VerifiedNameCertificate`](super::VerifiedNameCertificate). It accepts and refuses
/// exactly what decoding the prost messages does (a property test holds the two together).
pub(super) fn decode_buffer(bytes: &[u8]) -> Result<DecodedCert, CertError> {
    let wrapped = payload_details(bytes)
        .ok()
        .flatten()
        .and_then(|details| read_details(details).ok());
    let details = match wrapped {
        Some(details) => details,
        None => certificate_details(bytes, RECURSION_LIMIT)
            .ok()
            .flatten()
            .and_then(|details| read_details(details).ok())
            .ok_or(CertError::Protobuf)?,
    };
    match details.verified_name {
        Some(vname) if !vname.trim().is_empty() => Ok(DecodedCert {
            vname: vname.into(),
            localized_names: details.localized_names,
        }),
        _ => Err(CertError::NoVerifiedName),
    }
}

/// What the emulator reads of a [`Details`](super::Details), borrowed from its bytes. (The
/// issuer is checked to be text, as prost checks it, and not kept: nothing reads it.)
#[derive(Default)]
struct DetailsView<'a> {
    verified_name: Option<&'a str>,
    localized_names: Vec<LocalizedName>,
}

/// The `details` of a [`BizAccountPayload`](super::BizAccountPayload)'s certificate. As prost merges a message field sent
/// twice, the last `details` of any of its `vname_cert`s is the one.
fn payload_details(bytes: &[u8]) -> Result<Option<&[u8]>, Malformed> {
    let mut details = None;
    walk(
        bytes,
        RECURSION_LIMIT,
        |tag| match tag {
            1 | 2 => Some(WireType::LengthDelimited),
            _ => None,
        },
        |tag, value| {
            if let (1, Value::Bytes(cert)) = (tag, value)
                && let Some(found) = certificate_details(cert, nested(RECURSION_LIMIT)?)?
            {
                details = Some(found);
            }
            Ok(())
        },
    )?;
    Ok(details)
}

/// The `details` of a [`VerifiedNameCertificate`](super::VerifiedNameCertificate) (its signatures are read past).
fn certificate_details(bytes: &[u8], depth: u32) -> Result<Option<&[u8]>, Malformed> {
    let mut details = None;
    walk(bytes, depth, fields_1_to_3, |tag, value| {
        if let (1, Value::Bytes(found)) = (tag, value) {
            details = Some(found);
        }
        Ok(())
    })?;
    Ok(details)
}

/// A serialized [`Details`](super::Details), decoded on its own as the certificate's `details` bytes are.
fn read_details(bytes: &[u8]) -> Result<DetailsView<'_>, Malformed> {
    let mut view = DetailsView::default();
    walk(
        bytes,
        RECURSION_LIMIT,
        |tag| match tag {
            1 | 10 => Some(WireType::Varint),
            2 | 4 | 8 => Some(WireType::LengthDelimited),
            _ => None,
        },
        |tag, value| {
            match (tag, value) {
                (2, Value::Bytes(issuer)) => {
                    text(issuer)?;
                }
                (4, Value::Bytes(name)) => view.verified_name = Some(text(name)?),
                (8, Value::Bytes(localized)) => view
                    .localized_names
                    .push(read_localized(localized, nested(RECURSION_LIMIT)?)?),
                _ => {}
            }
            Ok(())
        },
    )?;
    Ok(view)
}

/// The schema of a [`VerifiedNameCertificate`](super::VerifiedNameCertificate) and of a
/// [`LocalizedName`]: fields 1 to 3, each length-delimited (bytes or strings).
fn fields_1_to_3(tag: u32) -> Option<WireType> {
    (1..=3).contains(&tag).then_some(WireType::LengthDelimited)
}

fn read_localized(bytes: &[u8], depth: u32) -> Result<LocalizedName, Malformed> {
    let mut name = LocalizedName::default();
    walk(bytes, depth, fields_1_to_3, |tag, value| {
        if let Value::Bytes(field) = value {
            let field = Some(text(field)?.to_owned());
            match tag {
                1 => name.lg = field,
                2 => name.lc = field,
                _ => name.verified_name = field,
            }
        }
        Ok(())
    })?;
    Ok(name)
}
