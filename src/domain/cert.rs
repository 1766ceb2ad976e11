//! The verified-name certificate: the real protobuf format, decoded and made.
//!
//! Certificates issued in WhatsApp Manager are a base64 [`BizAccountPayload`] wrapping a
//! [`VerifiedNameCertificate`] whose `details` field holds a serialized [`Details`]. Field numbers
//! follow the schemas public WhatsApp clients use. Signatures are carried but never checked.

use base64::Engine;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose};
use bytes::Bytes;
use prost::Message;
use rand::RngCore;

/// One name in another language.
#[derive(Clone, PartialEq, Message)]
pub struct LocalizedName {
    /// Language, such as `ja`.
    #[prost(string, optional, tag = "1")]
    pub lg: Option<String>,
    /// Locale (country), such as `JP`.
    #[prost(string, optional, tag = "2")]
    pub lc: Option<String>,
    /// The name in that language.
    #[prost(string, optional, tag = "3")]
    pub verified_name: Option<String>,
}

/// What the certificate certifies.
#[derive(Clone, PartialEq, Message)]
pub struct Details {
    /// Serial number.
    #[prost(uint64, optional, tag = "1")]
    pub serial: Option<u64>,
    /// Issuer, `ent:wa` for WhatsApp Manager certificates.
    #[prost(string, optional, tag = "2")]
    pub issuer: Option<String>,
    /// The business's verified name.
    #[prost(string, optional, tag = "4")]
    pub verified_name: Option<String>,
    /// The name in other languages.
    #[prost(message, repeated, tag = "8")]
    pub localized_names: Vec<LocalizedName>,
    /// Unix seconds of issue.
    #[prost(uint64, optional, tag = "10")]
    pub issue_time: Option<u64>,
}

/// A signed [`Details`]. Byte fields are [`Bytes`]: decoding from a `Bytes` buffer slices it
/// instead of copying.
#[derive(Clone, PartialEq, Message)]
pub struct VerifiedNameCertificate {
    /// A serialized [`Details`].
    #[prost(bytes = "bytes", optional, tag = "1")]
    pub details: Option<Bytes>,
    /// The issuer's signature over `details` (not checked).
    #[prost(bytes = "bytes", optional, tag = "2")]
    pub signature: Option<Bytes>,
    /// WhatsApp's server signature (not checked).
    #[prost(bytes = "bytes", optional, tag = "3")]
    pub server_signature: Option<Bytes>,
}

/// What WhatsApp Manager hands out.
#[derive(Clone, PartialEq, Message)]
pub struct BizAccountPayload {
    /// The certificate.
    #[prost(message, optional, tag = "1")]
    pub vname_cert: Option<VerifiedNameCertificate>,
    /// Opaque link information.
    #[prost(bytes = "bytes", optional, tag = "2")]
    pub biz_acct_link_info: Option<Bytes>,
}

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
    /// `Details.verified_name`.
    pub vname: String,
    /// The localized names, in order.
    pub localized_names: Vec<LocalizedName>,
    /// `Details.issuer`, if any.
    pub issuer: Option<String>,
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
    // One pass without an early exit, which the compiler vectorizes: is any byte white space or
    // a control character? Only then is the text compacted (and can it be empty).
    let spaced = text.bytes().fold(false, |any, b| any | (b <= b' '));
    if spaced && text.trim_ascii().is_empty() || text.is_empty() {
        return Err(CertError::Empty);
    }
    let bytes = if spaced {
        let compact: String = text.split_ascii_whitespace().collect();
        LENIENT.decode(compact)
    } else {
        LENIENT.decode(text)
    };
    let bytes = bytes.map_err(|_| CertError::Base64)?;
    decode_buffer(Bytes::from(bytes))
}

/// Decodes the protobuf bytes of a certificate.
pub fn decode_bytes(bytes: &[u8]) -> Result<DecodedCert, CertError> {
    decode_buffer(Bytes::copy_from_slice(bytes))
}

fn decode_buffer(bytes: Bytes) -> Result<DecodedCert, CertError> {
    let wrapped = BizAccountPayload::decode(bytes.clone())
        .ok()
        .and_then(|payload| payload.vname_cert)
        .and_then(|cert| details_of(&cert));
    let details = match wrapped {
        Some(details) => details,
        None => {
            let cert = VerifiedNameCertificate::decode(bytes).map_err(|_| CertError::Protobuf)?;
            details_of(&cert).ok_or(CertError::Protobuf)?
        }
    };
    match details.verified_name {
        Some(vname) if !vname.trim().is_empty() => Ok(DecodedCert {
            vname,
            localized_names: details.localized_names,
            issuer: details.issuer,
        }),
        _ => Err(CertError::NoVerifiedName),
    }
}

fn details_of(cert: &VerifiedNameCertificate) -> Option<Details> {
    Details::decode(cert.details.clone()?).ok()
}

/// Makes a certificate for `vname`, in the shape WhatsApp Manager issued (`BizAccountPayload`,
/// issuer `ent:wa`), as standard padded base64. The signatures are random bytes of the real
/// length: the emulator never checks them, and neither can anyone else any more.
pub fn make(vname: &str, localized_names: &[LocalizedName], issue_time: u64) -> String {
    let mut rng = rand::rng();
    let mut signature = vec![0u8; 64];
    rng.fill_bytes(&mut signature);
    let mut server_signature = vec![0u8; 64];
    rng.fill_bytes(&mut server_signature);
    let details = Details {
        serial: Some(rng.next_u64()),
        issuer: Some("ent:wa".into()),
        verified_name: Some(vname.into()),
        localized_names: localized_names.to_vec(),
        issue_time: Some(issue_time),
    };
    let payload = BizAccountPayload {
        vname_cert: Some(VerifiedNameCertificate {
            details: Some(details.encode_to_vec().into()),
            signature: Some(signature.into()),
            server_signature: Some(server_signature.into()),
        }),
        biz_acct_link_info: None,
    };
    general_purpose::STANDARD.encode(payload.encode_to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bare(vname: Option<&str>) -> String {
        let details = Details {
            serial: Some(7),
            issuer: Some("smb:wa".into()),
            verified_name: vname.map(Into::into),
            ..Default::default()
        };
        let cert = VerifiedNameCertificate {
            details: Some(details.encode_to_vec().into()),
            signature: Some(vec![1; 64].into()),
            server_signature: None,
        };
        general_purpose::STANDARD.encode(cert.encode_to_vec())
    }

    #[test]
    fn made_certificate_round_trips_with_localized_names() {
        let names = vec![LocalizedName {
            lg: Some("ja".into()),
            lc: Some("JP".into()),
            verified_name: Some("株式会社ヤマト".into()),
        }];
        let decoded = decode(&make("Yamato", &names, 1_700_000_000)).unwrap();
        assert_eq!(decoded.vname, "Yamato");
        assert_eq!(decoded.localized_names, names);
        assert_eq!(decoded.issuer.as_deref(), Some("ent:wa"));
    }

    #[test]
    fn bare_verified_name_certificate_decodes() {
        assert_eq!(
            decode(&bare(Some("Caffè Sport"))).unwrap().vname,
            "Caffè Sport"
        );
    }

    #[test]
    fn white_space_and_missing_padding_are_ignored() {
        let cert = make("Acme", &[], 1);
        let pasted = format!(
            "  {}\n{}\r\n",
            &cert[..10],
            cert[10..].trim_end_matches('=')
        );
        assert_eq!(decode(&pasted).unwrap().vname, "Acme");
    }

    #[test]
    fn bad_certificates_are_told_apart() {
        assert_eq!(decode(""), Err(CertError::Empty));
        assert_eq!(decode(" \n "), Err(CertError::Empty));
        assert_eq!(decode("not base64!!"), Err(CertError::Base64));
        assert_eq!(
            decode(&general_purpose::STANDARD.encode(b"\xff\xff\xff garbage")),
            Err(CertError::Protobuf)
        );
        assert_eq!(decode(&bare(None)), Err(CertError::NoVerifiedName));
        assert_eq!(decode(&bare(Some("  "))), Err(CertError::NoVerifiedName));
    }
}
