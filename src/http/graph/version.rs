//! The version segment of a Graph path (`v23.0`).

/// Whether `segment` is a Graph API version: `v` then `NN.N` (`v23.0`).
pub fn is_version(segment: &str) -> bool {
    let Some(rest) = segment.strip_prefix('v') else {
        return false;
    };
    let Some((major, minor)) = rest.split_once('.') else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit());
    digits(major) && digits(minor)
}

#[cfg(test)]
mod tests {
    #[test]
    fn versions_are_v_major_dot_minor() {
        for good in ["v23.0", "v1.0", "v100.12"] {
            assert!(super::is_version(good), "{good}");
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
            assert!(!super::is_version(bad), "{bad}");
        }
    }
}
