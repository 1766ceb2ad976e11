//! Where the emulator's time comes from.
//!
//! Every expiry (tokens, codes, rate windows, restarts) is computed from a [`Clock`], never from
//! `SystemTime::now()` directly, so a virtual clock can later move one cluster's time without
//! sleeping.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of wall-clock time.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// Formats a time as the vendor does in `expires_after`: `2026-11-29 15:29:26+00:00`.
///
/// Clients parse this strictly, so the space separator and the `+00:00` offset matter.
pub fn vendor_timestamp(t: SystemTime) -> String {
    // humantime writes `2026-11-29T15:29:26Z`; the vendor's shape differs only in two places.
    let rfc = humantime::format_rfc3339_seconds(t).to_string();
    let mut out = rfc.replacen('T', " ", 1);
    out.pop(); // the trailing `Z`
    out.push_str("+00:00");
    out
}

/// Formats a time as RFC 3339 with milliseconds (`2026-11-29T15:29:26.123Z`), for the control API.
pub fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

/// Seconds since the Unix epoch, saturating at zero for times before it.
pub fn unix_seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_timestamp_has_space_and_offset() {
        let t = UNIX_EPOCH + Duration::from_secs(1_795_966_166); // 2026-11-29 15:29:26 UTC
        assert_eq!(vendor_timestamp(t), "2026-11-29 15:29:26+00:00");
    }

    #[test]
    fn vendor_timestamp_drops_subseconds() {
        let t = UNIX_EPOCH + Duration::from_millis(1_795_966_166_999);
        assert_eq!(vendor_timestamp(t), "2026-11-29 15:29:26+00:00");
    }
}
