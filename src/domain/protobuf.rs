//! Walking a protobuf message in place, with prost's encoding primitives (`decode_key`,
//! `decode_varint`): each known field's value is handed over borrowed from the bytes, unknown
//! fields are skipped, and what prost's own decoding refuses is refused here too (a bad key or
//! varint, a known field of the wrong wire type, a length past the end, an unmatched group,
//! groups nested past prost's recursion limit).

use prost::encoding::{WireType, decode_key, decode_varint};

/// prost's recursion limit: a message decoded on its own starts at it, and every nested message
/// or group is one level less.
pub const RECURSION_LIMIT: u32 = 100;

/// The message is not well-formed protobuf of its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed;

impl From<prost::DecodeError> for Malformed {
    fn from(_: prost::DecodeError) -> Self {
        Self
    }
}

/// A known field's value, borrowed from the message.
#[derive(Debug, Clone, Copy)]
pub enum Value<'a> {
    /// A varint field (read and checked; no field the emulator uses is one).
    Varint,
    /// A length-delimited field: a string, bytes or a nested message.
    Bytes(&'a [u8]),
}

/// The wire type each known field of a message has; `None` for a field to skip.
pub type Schema = fn(u32) -> Option<WireType>;

/// Hands each known field of the message `buf` to `on`, in order, at recursion level `depth`.
pub fn walk<'a>(
    mut buf: &'a [u8],
    depth: u32,
    schema: Schema,
    mut on: impl FnMut(u32, Value<'a>) -> Result<(), Malformed>,
) -> Result<(), Malformed> {
    while !buf.is_empty() {
        let (tag, wire) = decode_key(&mut buf)?;
        match schema(tag) {
            None => skip(wire, tag, &mut buf, depth)?,
            Some(expected) if expected != wire => return Err(Malformed),
            Some(WireType::Varint) => {
                decode_varint(&mut buf)?;
                on(tag, Value::Varint)?;
            }
            Some(_) => on(tag, Value::Bytes(take(&mut buf)?))?,
        }
    }
    Ok(())
}

/// A string field's text: protobuf strings are UTF-8.
pub fn text(bytes: &[u8]) -> Result<&str, Malformed> {
    std::str::from_utf8(bytes).map_err(|_| Malformed)
}

/// The level below `depth`, for a nested message; refused at the limit.
pub fn nested(depth: u32) -> Result<u32, Malformed> {
    depth.checked_sub(1).ok_or(Malformed)
}

fn take<'a>(buf: &mut &'a [u8]) -> Result<&'a [u8], Malformed> {
    let len = decode_varint(buf)?;
    if len > buf.len() as u64 {
        return Err(Malformed);
    }
    let (value, rest) = buf.split_at(len as usize);
    *buf = rest;
    Ok(value)
}

/// Skips an unknown field as prost's `skip_field` does.
fn skip(wire: WireType, tag: u32, buf: &mut &[u8], depth: u32) -> Result<(), Malformed> {
    if depth == 0 {
        return Err(Malformed);
    }
    let len = match wire {
        WireType::Varint => decode_varint(buf).map(|_| 0)?,
        WireType::ThirtyTwoBit => 4,
        WireType::SixtyFourBit => 8,
        WireType::LengthDelimited => decode_varint(buf)?,
        WireType::StartGroup => loop {
            let (inner_tag, inner_wire) = decode_key(buf)?;
            match inner_wire {
                WireType::EndGroup if inner_tag == tag => break 0,
                WireType::EndGroup => return Err(Malformed),
                _ => skip(inner_wire, inner_tag, buf, depth - 1)?,
            }
        },
        WireType::EndGroup => return Err(Malformed),
    };
    if len > buf.len() as u64 {
        return Err(Malformed);
    }
    *buf = &buf[len as usize..];
    Ok(())
}
