//! The version segment of a Graph path (`v26.0`), and which versions the emulator serves.
//!
//! Graph's versions, from Meta's changelog
//! (<https://developers.facebook.com/docs/graph-api/changelog/versions>): v2.0 to v2.12, v3.0 to
//! v3.3, then v4.0, v5.0, … to [`NEWEST`]. A call to a version past its end is served by Graph as
//! the oldest one still available, so every version up to the newest is served here; a version
//! Graph never had (`v27.0` today, `v23.5`) is answered as Graph answers one, 400 / 2500
//! "Unknown path components".

/// The newest version the emulator knows: v26.0, released on 29 July 2026.
pub const NEWEST: &str = "v26.0";

/// Whether `segment` has the form of a Graph API version: `v` then `NN.N` (`v23.0`).
pub fn is_version(segment: &str) -> bool {
    parse(segment).is_some()
}

/// `(major, minor)` of a segment of the form `vNN.N`.
fn parse(segment: &str) -> Option<(u16, u16)> {
    let (major, minor) = segment.strip_prefix('v')?.split_once('.')?;
    let number = |s: &str| {
        let digits = !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit());
        digits.then(|| s.parse().ok()).flatten()
    };
    Some((number(major)?, number(minor)?))
}

/// `(major, minor)` of a version segment (`v26.0` → `(26, 0)`).
pub fn number(segment: &str) -> Option<(u16, u16)> {
    parse(segment)
}

/// Whether Graph has (or had) the version `segment`, up to [`NEWEST`].
pub fn is_known(segment: &str) -> bool {
    let newest = parse(NEWEST).map_or(0, |(major, _)| major);
    match parse(segment) {
        Some((2, minor)) => minor <= 12,
        Some((3, minor)) => minor <= 3,
        Some((major, 0)) => (4..=newest).contains(&major),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_v_major_dot_minor() {
        for good in ["v23.0", "v1.0", "v100.12"] {
            assert!(is_version(good), "{good}");
        }
        for bad in [
            "v1",
            "23.0",
            "v23.",
            "v.0",
            "va.b",
            "_emulator",
            "v1.0.1",
            "",
        ] {
            assert!(!is_version(bad), "{bad}");
        }
    }

    #[test]
    fn known_versions_are_graphs_own_up_to_the_newest() {
        for known in ["v2.0", "v2.12", "v3.3", "v4.0", "v19.0", "v23.0", NEWEST] {
            assert!(is_known(known), "{known}");
        }
        for unknown in ["v1.0", "v2.13", "v3.4", "v23.5", "v27.0", "v100.0", "v99.9"] {
            assert!(!is_known(unknown), "{unknown}");
        }
    }
}
