//! Fuzzes what clients control: the certificate decoder (as base64 text and as raw protobuf)
//! and the request-body validation of every vendor body. None may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wa_onprem_emulator::{cert, request};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    match selector % 4 {
        0 => {
            let _ = cert::decode_bytes(rest);
        }
        1 => {
            if let Ok(text) = std::str::from_utf8(rest) {
                let _ = cert::decode(text);
            }
        }
        _ => {
            if let Ok(serde_json::Value::Object(body)) = serde_json::from_slice(rest) {
                let _ = request::code_request(&body);
                let _ = request::verify_request(&body);
                let _ = request::pin_request(&body);
            }
        }
    }
});
