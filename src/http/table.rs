//! Every row of every surface's route table, in one list: what the OpenAPI document, the near
//! misses of unrouted requests and the metrics are made from, so that there is no other list of
//! routes to keep in step.

use super::common::near::{RouteName, RouteNames};
use super::route::{Route, mount};
use super::{control, graph, on_premises};

/// Every row: the control API's (the front door first), the vendor API's, then Graph's.
pub fn all() -> impl Iterator<Item = &'static Route> {
    control::ROUTES
        .iter()
        .chain(on_premises::ROUTES)
        .chain(graph::ROUTES)
}

/// Every row, in the order of [`all`], as one list.
pub static ROUTES: std::sync::LazyLock<Vec<&'static Route>> =
    std::sync::LazyLock::new(|| all().collect());

/// Every row as a request names it without a cluster (`POST /v1/account`,
/// `POST /{version}/{id}/register`), in the order of [`all`].
pub fn names() -> RouteNames {
    RouteNames(
        all()
            .map(|route| RouteName {
                surface: route.surface,
                method: route.method,
                pattern: format!("{}{}", mount(route.surface), route.path),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_name_the_route_meant() {
        let closest = |method, path, n| names().closest(method, path, n);
        assert_eq!(closest("POST", "/v1/acount", 1), ["POST /v1/account"]);
        assert_eq!(
            closest("post", "/v1/account/verfy", 1),
            ["POST /v1/account/verify"]
        );
        assert_eq!(
            closest("POST", "/v23.0/123/regster", 1),
            ["POST /{version}/{id}/register"]
        );
        assert_eq!(closest("GET", "/v1/helth", 3)[0], "GET /v1/health");
    }

    #[test]
    fn fault_paths_are_routes_of_the_table() {
        let is_vendor_or_graph_path = |path| names().is_vendor_or_graph_path(path);
        for good in [
            "/v1/account",
            "/v1/users/admin",
            "/v1/users/{username}",
            "/v23.0/{id}/register",
            "/v23.0/123/register",
            "/{version}/{id}/deregister",
        ] {
            assert!(is_vendor_or_graph_path(good), "{good}");
        }
        for bad in [
            "/v1/acount",
            "/v23.0/{id}/regster",
            "/v1",
            "/_emulator/health",
            "/v1/account/x",
        ] {
            assert!(!is_vendor_or_graph_path(bad), "{bad}");
        }
    }
}
