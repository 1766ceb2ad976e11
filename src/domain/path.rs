//! Paths read segment by segment: a route's pattern against a request's path, where some
//! segments of the pattern stand for any one segment (`{id}` in a route, `*` in a journal
//! filter).

/// Whether `path` has as many `/` segments as `pattern` and each fits its segment of the
/// pattern (`fits(wanted, had)`).
pub fn segment_wise(pattern: &str, path: &str, fits: impl Fn(&str, &str) -> bool) -> bool {
    let (mut want, mut have) = (pattern.split('/'), path.split('/'));
    loop {
        match (want.next(), have.next()) {
            (None, None) => return true,
            (Some(w), Some(h)) if fits(w, h) => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::segment_wise;

    #[test]
    fn one_segment_for_one_segment() {
        let star = |w: &str, h: &str| w == "*" || w == h;
        assert!(segment_wise(
            "/v23.0/*/register",
            "/v23.0/123/register",
            star
        ));
        assert!(!segment_wise("/v23.0/*", "/v23.0/123/register", star));
        assert!(!segment_wise("/v23.0/*/register", "/v23.0/register", star));
        assert!(segment_wise("/v1/account", "/v1/account", star));
        assert!(!segment_wise("/v1/account", "/v1/account/verify", star));
    }
}
