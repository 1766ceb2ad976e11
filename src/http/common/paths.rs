//! Paths as the router sees them: repeated slashes collapsed (tower-http's `NormalizePath` trims
//! the trailing ones), the vendor path of a cluster's request, and the paths of the real
//! On-Premises API that are not emulated, which answer "not emulated here" rather than "no such
//! endpoint" so that a user sees at once why a client stopped.

use std::borrow::Cow;

use http::Method;

/// Paths of the real On-Premises API that the emulator does not emulate.
const NOT_EMULATED: &[&str] = &[
    "/v1/messages",
    "/v1/contacts",
    "/v1/media",
    "/v1/groups",
    "/v1/settings/application",
    "/v1/settings/business/profile",
    "/v1/settings/profile",
    "/v1/certificates",
    "/v1/stats",
    "/v1/metrics",
    "/v1/support",
    "/v1/services",
    "/v1/profile",
    "/metrics",
];

/// Whether `path` (a vendor path) is one of [`NOT_EMULATED`] or below one.
pub fn not_emulated(path: &str) -> bool {
    NOT_EMULATED.iter().any(|known| {
        path.strip_prefix(known)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// `path` with repeated slashes collapsed, as a web server in front of the real API would serve
/// `//v1/users/login` or `/clusters/t1//v1/health`; `None` when it has none (the usual case).
pub fn collapse_slashes(path: &str) -> Option<String> {
    // Byte by byte: a path is short, and `str::contains` would first build a substring
    // searcher for the two slashes.
    let bytes = path.as_bytes();
    if !bytes.windows(2).any(|pair| pair == b"//") {
        return None;
    }
    let mut clean = String::with_capacity(path.len());
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        clean.push('/');
        clean.push_str(segment);
    }
    if path.ends_with('/') || clean.is_empty() {
        clean.push('/');
    }
    Some(clean)
}

/// The vendor path of a request: `/clusters/{name}/v1/x` → `/v1/x`.
pub fn vendor_path(path: &str) -> &str {
    path.strip_prefix("/clusters/")
        .and_then(|rest| rest.find('/').map(|i| &rest[i..]))
        .unwrap_or(path)
}

/// The method as the journal keeps it, without a copy for the usual ones.
pub fn method_name(method: &Method) -> Cow<'static, str> {
    Cow::Borrowed(match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => return Cow::Owned(method.as_str().to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_slashes_collapse_and_known_paths_are_not_emulated() {
        for (given, routed) in [
            ("//v1/users/login", Some("/v1/users/login")),
            ("/clusters/t1//v1/health", Some("/clusters/t1/v1/health")),
            ("//", Some("/")),
            ("/v1//account/", Some("/v1/account/")),
            ("/v1/account", None),
            ("/", None),
        ] {
            assert_eq!(collapse_slashes(given).as_deref(), routed, "{given}");
        }
        assert!(not_emulated("/v1/messages"));
        assert!(not_emulated("/v1/media/abc"));
        assert!(not_emulated("/v1/settings/application"));
        assert!(!not_emulated("/v1/messagesx"));
        assert!(!not_emulated("/v1/account"));
        assert!(!not_emulated("/nope"));
    }

    #[test]
    fn the_cluster_prefix_is_left_out() {
        assert_eq!(vendor_path("/clusters/a-b/v1/account"), "/v1/account");
        assert_eq!(vendor_path("/v1/account"), "/v1/account");
    }

    #[test]
    fn usual_methods_are_not_copied() {
        assert!(matches!(method_name(&Method::POST), Cow::Borrowed("POST")));
        assert_eq!(method_name(&Method::from_bytes(b"PURGE").unwrap()), "PURGE");
    }
}
