//! The certificate's protobuf messages (field numbers as public WhatsApp clients' schemas have
//! them), and making a certificate of them.

use base64::Engine;
use base64::engine::general_purpose;
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

/// A signed [`Details`].
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
