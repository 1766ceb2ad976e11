//! The certificate: made and read.

use proptest::prelude::*;

use base64::Engine;
use base64::engine::general_purpose;
use prost::Message;

use super::*;

/// Certificates as made, then cut, spliced and with bytes changed: near misses of every
/// field, wire type and length.
fn mangled() -> impl Strategy<Value = Vec<u8>> {
    let made =
        (any::<bool>(), "[a-zA-Zà-ÿ株 ]{0,12}", 0u64..3).prop_map(|(wrapped, vname, names)| {
            let localized: Vec<LocalizedName> = (0..names)
                .map(|i| LocalizedName {
                    lg: Some(format!("l{i}")),
                    lc: None,
                    verified_name: Some(vname.clone()),
                })
                .collect();
            let payload = general_purpose::STANDARD
                .decode(make(&vname, &localized, 7))
                .unwrap();
            if wrapped {
                payload
            } else {
                let payload = BizAccountPayload::decode(payload.as_slice()).unwrap();
                payload.vname_cert.unwrap().encode_to_vec()
            }
        });
    // An edit flips bits of one byte: mostly the low three, a key's wire type.
    let edit = (
        any::<prop::sample::Index>(),
        prop_oneof![3 => 1u8..8, 1 => any::<u8>()],
    );
    (
        made,
        prop::collection::vec(edit, 0..3),
        any::<prop::sample::Index>(),
        any::<bool>(),
        prop::collection::vec(any::<u8>(), 0..8),
    )
        .prop_map(|(mut bytes, edits, cut, truncate, tail)| {
            for (at, flip) in edits {
                if !bytes.is_empty() {
                    let i = at.index(bytes.len());
                    bytes[i] ^= flip;
                }
            }
            if truncate && !bytes.is_empty() {
                bytes.truncate(cut.index(bytes.len()));
            }
            bytes.extend(tail);
            bytes
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    /// Whatever arrives, the answer is a certificate with a name or the reason it is none.
    #[test]
    fn mangled_certificates_are_read_or_refused(bytes in prop_oneof![
        mangled(),
        prop::collection::vec(any::<u8>(), 0..64),
    ]) {
        match decode_bytes(&bytes) {
            Ok(cert) => prop_assert!(!cert.vname.trim().is_empty()),
            Err(e) => prop_assert!(matches!(e, CertError::Protobuf | CertError::NoVerifiedName)),
        }
    }
}

#[test]
fn merged_and_repeated_fields_read_as_prost_reads_them() {
    let first = general_purpose::STANDARD
        .decode(make("First", &[], 1))
        .unwrap();
    let second = general_purpose::STANDARD
        .decode(make("Second", &[], 2))
        .unwrap();
    // A message field sent twice is merged: the last details win.
    let mut twice = first.clone();
    twice.extend(&second);
    assert_eq!(&*decode_bytes(&twice).unwrap().vname, "Second");
    // A second, empty certificate: merged, the first one's details stay.
    let mut empty_after = first.clone();
    empty_after.extend([0x0a, 0x00]);
    assert_eq!(&*decode_bytes(&empty_after).unwrap().vname, "First");
    // A group nested past prost's recursion limit is refused.
    let mut deep = first;
    deep.extend(std::iter::repeat_n(0x1b_u8, 101)); // field 3, start group, 101 deep
    assert_eq!(decode_bytes(&deep), Err(CertError::Protobuf));
    assert_eq!(decode_bytes(&[0x0a, 0x00]), Err(CertError::NoVerifiedName));
    assert_eq!(decode_bytes(&[0x08, 0x96, 0x01]), Err(CertError::Protobuf));
}

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
    let made = make("Yamato", &names, 1_700_000_000);
    let decoded = decode(&made).unwrap();
    assert_eq!(&*decoded.vname, "Yamato");
    assert_eq!(decoded.localized_names, names);
    // The issuer is made as the real ones are (the emulator reads none).
    let bytes = general_purpose::STANDARD.decode(&made).unwrap();
    let cert = BizAccountPayload::decode(bytes.as_slice())
        .unwrap()
        .vname_cert;
    let details = Details::decode(cert.unwrap().details.unwrap()).unwrap();
    assert_eq!(details.issuer.as_deref(), Some("ent:wa"));
}

#[test]
fn bare_verified_name_certificate_decodes() {
    assert_eq!(
        &*decode(&bare(Some("Caffè Sport"))).unwrap().vname,
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
    assert_eq!(decode(&pasted).unwrap().vname, "Acme".into());
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

#[test]
fn large_certificates_decode_and_small_ones_after_them() {
    let names: Vec<LocalizedName> = (0..400)
        .map(|i| LocalizedName {
            lg: Some(format!("l{i}")),
            lc: Some("ZZ".into()),
            verified_name: Some(format!("Name number {i} of a long list")),
        })
        .collect();
    let large = make("Big", &names, 1);
    assert!(large.len() > 16 * 1024, "{}", large.len());
    let decoded = decode(&large).unwrap();
    assert_eq!(&*decoded.vname, "Big");
    assert_eq!(decoded.localized_names, names);
    assert_eq!(&*decode(&make("Small", &[], 1)).unwrap().vname, "Small");
    assert_eq!(decode("not base64!"), Err(CertError::Base64));
}
