//! The OpenAPI document of both surfaces, generated from the route table (so it cannot drift
//! from the router) and served at `GET /_emulator/openapi.json`. `openapi.json` at the root of
//! the repository is this document; a test keeps the two equal.

use serde_json::{Map, Value, json};

use super::call::{Answer, Call};
use super::envelope::Reply;
use super::routes::{Access, ROUTES, Route, Surface};

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for route in ROUTES {
        for mount in route.surface.mounts() {
            let path = format!("{mount}{}", route.path);
            let item = paths
                .entry(path.clone())
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("path items are objects");
            item.insert(route.method.to_ascii_lowercase(), operation(route, &path));
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "wa-onprem-emulator",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Emulator of the WhatsApp Business On-Premises API's account registration. \
                Vendor routes are served at /v1 (cluster `default`) and at /clusters/{cluster}/v1 \
                (or with the X-Emulator-Cluster header); /_emulator is the emulator's own control API. \
                Every 4xx and 5xx carries X-Emulator-Reason naming the rule that fired."
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "basic": {"type": "http", "scheme": "basic"},
                "token": {"type": "http", "scheme": "bearer", "description": "A token from POST /v1/users/login"},
                "control": {"type": "http", "scheme": "bearer", "description": "The --control-token, when one is configured"}
            },
            "schemas": {
                "Meta": {
                    "type": "object",
                    "properties": {"api_status": {"type": "string"}, "version": {"type": "string"}}
                },
                "Error": {
                    "type": "object",
                    "properties": {
                        "meta": {"$ref": "#/components/schemas/Meta"},
                        "errors": {"type": "array", "items": {
                            "type": "object",
                            "properties": {
                                "code": {"type": "integer"},
                                "title": {"type": "string"},
                                "details": {"type": "string"}
                            }
                        }}
                    }
                }
            }
        }
    })
}

fn operation(route: &Route, path: &str) -> Value {
    let mut op = Map::new();
    op.insert("summary".into(), json!(route.summary));
    let tag = match route.surface {
        Surface::Vendor => "vendor",
        Surface::Control | Surface::Root => "control",
    };
    op.insert("tags".into(), json!([tag]));
    op.insert(
        "operationId".into(),
        json!(format!(
            "{}{}",
            route.method.to_ascii_lowercase(),
            path.replace(['/', '{', '}', '.', '-'], "_")
        )),
    );
    let security = match route.access {
        Access::Open => None,
        Access::Basic => Some(json!([{"basic": []}])),
        Access::Token | Access::Health | Access::Admin => Some(json!([{"token": []}])),
        Access::Control => Some(json!([{}, {"control": []}])),
    };
    if let Some(security) = security {
        op.insert("security".into(), security);
    }
    if route.access == Access::Admin {
        op.insert(
            "description".into(),
            json!("Needs an admin token; other users get 403 / 1005."),
        );
    }
    let params: Vec<Value> = path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect();
    if !params.is_empty() {
        op.insert("parameters".into(), json!(params));
    }
    if let Some(body) = route.body {
        let example: Value = serde_json::from_str(body).expect("route examples are JSON");
        op.insert(
            "requestBody".into(),
            json!({"required": true, "content": {"application/json": {"example": example}}}),
        );
    }
    let mut responses = Map::new();
    for (status, what) in route.responses {
        let mut response = json!({"description": what});
        if *status >= 400 && route.surface == Surface::Vendor {
            response["content"] =
                json!({"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}});
        }
        responses.insert(status.to_string(), response);
    }
    op.insert("responses".into(), Value::Object(responses));
    Value::Object(op)
}

/// `GET /_emulator/openapi.json`.
pub fn serve<'c>(_: &'c Call<'c>) -> Answer<'c> {
    Box::pin(async move { Ok(Reply::control(&document())) })
}
