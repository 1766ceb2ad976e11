//! The certificate: made and read.

use proptest::prelude::*;

use base64::Engine;
use base64::engine::general_purpose;
use prost::Message;

use super::*;

proptest! {
    /// Any certificate as made, wrapped as WhatsApp Manager issued it or bare, reads back with its
    /// verified name and localized names. (Mangled bytes are the fuzz target's.)
    #[test]
    fn made_certificates_read_back(
        vname in "[a-zA-Zà-ÿ株0-9][a-zA-Zà-ÿ株0-9 ]{0,30}",
        names in prop::collection::vec(("[a-z]{2}", "[A-Z]{2}", "[a-zA-Z ]{1,12}"), 0..3),
        wrapped in any::<bool>(),
    ) {
        let localized: Vec<LocalizedName> = names
            .into_iter()
            .map(|(lg, lc, name)| LocalizedName {
                lg: Some(lg),
                lc: Some(lc),
                verified_name: Some(name),
            })
            .collect();
        let payload = general_purpose::STANDARD
            .decode(make(&vname, &localized, 7))
            .unwrap();
        let bytes = if wrapped {
            payload
        } else {
            let payload = BizAccountPayload::decode(payload.as_slice()).unwrap();
            payload.vname_cert.unwrap().encode_to_vec()
        };
        let read = decode_bytes(&bytes).unwrap();
        prop_assert_eq!(&*read.vname, vname.as_str());
        prop_assert_eq!(read.localized_names, localized);
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
