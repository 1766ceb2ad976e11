//! What a request most likely meant: the routes of the table by name (`POST /v1/account`,
//! `POST /{version}/{id}/register`), made once at start from the table, and the ones closest to a
//! request that no route took. Kept apart from the table itself, which names the handlers that
//! use it.

use crate::domain::Surface;
use crate::domain::path::segment_wise;

/// One route of the table, as a request names it without a cluster.
#[derive(Debug, Clone)]
pub struct RouteName {
    /// The surface it belongs to.
    pub surface: Surface,
    /// HTTP method.
    pub method: &'static str,
    /// The path pattern: `/v1/account`, `/{version}/{id}/register`, `/_emulator/health`.
    pub pattern: String,
}

/// Every route of the table, in its order.
#[derive(Debug, Clone, Default)]
pub struct RouteNames(pub Vec<RouteName>);

/// `pattern` with its `{param}` segments filled from `path`'s when both have as many segments
/// and the segment fits (a Graph version and id are read as Graph reads them).
fn filled(pattern: &str, path: &str) -> String {
    if pattern.split('/').count() != path.split('/').count() {
        return pattern.to_owned();
    }
    pattern
        .split('/')
        .zip(path.split('/'))
        .map(|(want, have)| {
            let fits = match want {
                "{version}" => crate::domain::cloud::version::is_version(have),
                "{id}" => !have.is_empty() && have.bytes().all(|b| b.is_ascii_digit()),
                _ => want.starts_with('{'),
            };
            if fits { have } else { want }
        })
        .collect::<Vec<_>>()
        .join("/")
}

impl RouteNames {
    /// The routes closest to `method path` (a path without its cluster prefix), the closest
    /// first, at most `n`: what a request that no route took probably meant (`POST
    /// /v1/account` for `POST /v1/acount`).
    pub fn closest(&self, method: &str, path: &str, n: usize) -> Vec<String> {
        let asked = format!("{} {path}", method.to_ascii_uppercase());
        let mut scored: Vec<(usize, String)> = self
            .0
            .iter()
            .map(|route| {
                let distance = strsim::levenshtein(
                    &asked,
                    &format!("{} {}", route.method, filled(&route.pattern, path)),
                );
                (distance, format!("{} {}", route.method, route.pattern))
            })
            .collect();
        scored.sort();
        scored.dedup_by(|a, b| a.1 == b.1);
        scored.into_iter().take(n).map(|(_, route)| route).collect()
    }

    /// The route a request that no route took most likely meant (`near_miss`).
    pub fn near_miss(&self, method: &str, path: &str) -> Option<String> {
        self.closest(method, path, 1).into_iter().next()
    }

    /// Whether `path` (without a cluster prefix; `{param}` segments allowed) names a vendor or
    /// Graph route: what a fault may be armed on.
    pub fn is_vendor_or_graph_path(&self, path: &str) -> bool {
        self.0
            .iter()
            .filter(|route| route.surface.is_vendor())
            .any(|route| {
                segment_wise(&route.pattern, path, |want, have| match want {
                    "{version}" => have == want || crate::domain::cloud::version::is_version(have),
                    _ if want.starts_with('{') => !have.is_empty(),
                    _ => want == have,
                })
            })
    }
}
