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

/// The latest time the emulator can show, 9999-12-31T23:59:59Z: RFC 3339 and the vendor's
/// timestamps have four-digit years. Every time it computes saturates here.
pub const LATEST_SECS: u64 = 253_402_300_799;

/// [`LATEST_SECS`] as a time.
pub fn latest() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(LATEST_SECS)
}

/// `t + by`, but never past [`latest`] (and never a panic on overflow).
pub fn later(t: SystemTime, by: Duration) -> SystemTime {
    t.checked_add(by).map_or_else(latest, |t| t.min(latest()))
}

/// `t` within what can be shown: not before the epoch, not after [`latest`].
fn showable(t: SystemTime) -> SystemTime {
    t.clamp(UNIX_EPOCH, latest())
}

/// Formats a time as the vendor does in `expires_after`: `2026-11-29 15:29:26+00:00`.
///
/// Clients parse this strictly, so the space separator and the `+00:00` offset matter.
pub fn vendor_timestamp(t: SystemTime) -> String {
    // humantime writes `2026-11-29T15:29:26Z`; the vendor's shape differs only in two places.
    let rfc = humantime::format_rfc3339_seconds(showable(t)).to_string();
    let mut out = rfc.replacen('T', " ", 1);
    out.pop(); // the trailing `Z`
    out.push_str("+00:00");
    out
}

/// Formats a time as RFC 3339 with milliseconds (`2026-11-29T15:29:26.123Z`), for the control API.
pub fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(showable(t)).to_string()
}

/// Formats a time as Graph writes it in its token errors, in Pacific time: `Sunday, 06-Dec-26
/// 02:00:00 PST` (`PDT` in summer), by `America/Los_Angeles` of the time zone database that
/// `jiff` bundles in the binary (a container without `/usr/share/zoneinfo` has it too).
pub fn pacific(t: SystemTime) -> String {
    static PACIFIC: std::sync::LazyLock<Option<jiff::tz::TimeZone>> =
        std::sync::LazyLock::new(|| jiff::tz::TimeZone::get("America/Los_Angeles").ok());
    let seconds = i64::try_from(unix_seconds(showable(t))).unwrap_or(i64::MAX);
    let at = jiff::Timestamp::from_second(seconds).unwrap_or(jiff::Timestamp::MAX);
    match PACIFIC.as_ref() {
        Some(zone) => at
            .to_zoned_datetime(zone.clone())
            .strftime("%A, %d-%b-%y %H:%M:%S %Z")
            .to_string(),
        // The zone is bundled in the binary: it is always found.
        None => at.strftime("%A, %d-%b-%y %H:%M:%S UTC").to_string(),
    }
}

/// Seconds since the Unix epoch, saturating at zero for times before it.
pub fn unix_seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
}

/// Milliseconds since the Unix epoch, saturating at zero for times before it.
pub fn unix_millis(t: SystemTime) -> u64 {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pacific_time_as_graph_writes_it() {
        let at = |rfc: &str| humantime::parse_rfc3339(rfc).unwrap();
        // The answers people pasted: `Monday, 19-Jun-23 06:29:46 PDT`.
        assert_eq!(
            pacific(at("2023-06-19T13:29:46Z")),
            "Monday, 19-Jun-23 06:29:46 PDT"
        );
        assert_eq!(
            pacific(at("2026-12-06T10:00:00Z")),
            "Sunday, 06-Dec-26 02:00:00 PST"
        );
        // 2026: summer time from 8 March 10:00 UTC to 1 November 09:00 UTC.
        assert!(pacific(at("2026-03-08T09:59:59Z")).ends_with("01:59:59 PST"));
        assert!(pacific(at("2026-03-08T10:00:00Z")).ends_with("03:00:00 PDT"));
        assert!(pacific(at("2026-11-01T08:59:59Z")).ends_with("01:59:59 PDT"));
        assert!(pacific(at("2026-11-01T09:00:00Z")).ends_with("01:00:00 PST"));
    }

    #[test]
    fn vendor_timestamp_has_space_and_offset() {
        let t = UNIX_EPOCH + Duration::from_secs(1_795_966_166); // 2026-11-29 15:29:26 UTC
        assert_eq!(vendor_timestamp(t), "2026-11-29 15:29:26+00:00");
    }

    #[test]
    fn times_saturate_at_the_last_showable_second() {
        let end = later(latest(), Duration::from_secs(10));
        assert_eq!(end, latest());
        assert_eq!(later(UNIX_EPOCH, Duration::MAX), latest());
        assert_eq!(rfc3339(end), "9999-12-31T23:59:59.000Z");
        assert_eq!(vendor_timestamp(end), "9999-12-31 23:59:59+00:00");
        assert_eq!(
            rfc3339(UNIX_EPOCH - Duration::from_secs(5)),
            "1970-01-01T00:00:00.000Z"
        );
    }

    #[test]
    fn vendor_timestamp_drops_subseconds() {
        let t = UNIX_EPOCH + Duration::from_millis(1_795_966_166_999);
        assert_eq!(vendor_timestamp(t), "2026-11-29 15:29:26+00:00");
    }
}
