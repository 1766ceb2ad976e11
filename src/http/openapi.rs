//! The OpenAPI document of both surfaces, generated from the route table (so it cannot drift
//! from the router) and served at `GET /_emulator/openapi.json`. `openapi.json` at the root of
//! the repository is this document; a test keeps the two equal.

use serde_json::{Map, Value, json};

use super::common::route::{Access, Answer, Reads, Route, Surface, mounts};
use super::table;

/// The document as served, made once a process from the route tables (it depends on nothing
/// else), when it is first asked for: every `AppState` of the process, and each of the property
/// tests' hundreds, shares it.
pub fn served() -> bytes::Bytes {
    static SERVED: std::sync::LazyLock<bytes::Bytes> =
        std::sync::LazyLock::new(|| document().to_string().into());
    SERVED.clone()
}

/// The whole document.
pub fn document() -> Value {
    // The answers' schemas, each named once under `components/schemas` and referred to there.
    let mut schemas = schemars::generate::SchemaSettings::draft2020_12()
        .with(|settings| settings.definitions_path = "/components/schemas".into())
        .into_generator();
    let mut paths = Map::new();
    for route in table::all() {
        for mount in mounts(route.surface) {
            let path = format!("{mount}{}", route.path);
            let item = paths
                .entry(path.clone())
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("path items are objects");
            let operation = operation(route, &path, &mut schemas);
            item.insert(route.method.to_ascii_lowercase(), operation);
        }
    }
    let mut document = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "wa-onprem-emulator",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Emulator of the WhatsApp Business On-Premises API's account registration. \
                Vendor routes are served at /v1 (cluster `default`) and at /clusters/{cluster}/v1 \
                (or with the X-Emulator-Cluster header); the Cloud API's phone-number registration (Graph) \
                at /{version} and /clusters/{cluster}/{version}; /_emulator is the emulator's own control API. \
                Every 4xx and 5xx carries X-Emulator-Reason naming the rule that fired."
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "basic": {"type": "http", "scheme": "basic"},
                "token": {"type": "http", "scheme": "bearer", "description": "A token from POST /v1/users/login"},
                "control": {"type": "http", "scheme": "bearer", "description": "The --control-token, when one is configured"},
                "graph": {"type": "http", "scheme": "bearer", "description": "A Graph access token: any non-empty one, or the --graph-token"},
                "graph_query": {"type": "apiKey", "in": "query", "name": "access_token", "description": "The Graph access token as a query parameter"}
            },
            "schemas": {
                "GraphError": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {
                        "type": "object",
                        "required": ["message", "type", "code", "fbtrace_id"],
                        "properties": {
                            "message": {"type": "string"},
                            "type": {"type": "string"},
                            "code": {"type": "integer"},
                            "error_subcode": {"type": "integer"},
                            "error_data": {"type": "object", "properties": {
                                "messaging_product": {"type": "string"},
                                "details": {"type": "string"}
                            }},
                            "fbtrace_id": {"type": "string"}
                        }
                    }}
                },
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
    });
    if let Some(components) = document["components"]["schemas"].as_object_mut() {
        components.extend(schemas.take_definitions(true));
    }
    document
}

fn operation(route: &Route, path: &str, schemas: &mut schemars::SchemaGenerator) -> Value {
    let mut op = Map::new();
    op.insert("summary".into(), json!(route.summary));
    let tag = match route.surface {
        Surface::OnPremises => "vendor",
        Surface::Control | Surface::Root => "control",
        Surface::Cloud => "graph",
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
        Access::Token | Access::Admin => Some(json!([{"token": []}])),
        Access::Control | Access::ControlStream => Some(json!([{}, {"control": []}])),
        Access::Graph => Some(json!([{"graph": []}, {"graph_query": []}])),
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
        .map(|name| {
            json!({"name": name, "in": "path", "required": true, "schema": parameter_schema(name)})
        })
        .collect();
    if !params.is_empty() {
        op.insert("parameters".into(), json!(params));
    }
    if let Some(body) = route.body {
        let example: Value = serde_json::from_str(body).expect("route examples are JSON");
        // Graph parameters may come in the query string instead.
        let required = !matches!(
            route.reads,
            Reads::OptionalJson | Reads::OptionalObject | Reads::Graph
        );
        let schema = body_schema(&example);
        op.insert(
            "requestBody".into(),
            json!({"required": required, "content": {"application/json": {"schema": schema, "example": example}}}),
        );
    }
    let mut responses = Map::new();
    for (status, what) in route
        .responses
        .iter()
        .copied()
        .chain(common_responses(route))
    {
        if responses.contains_key(&status.to_string()) {
            continue;
        }
        let mut response = json!({"description": what});
        if (200..300).contains(&status) {
            match route.answer {
                Answer::Described => {}
                Answer::Json(schema) => {
                    response["content"] =
                        json!({"application/json": {"schema": schema(schemas).to_value()}});
                }
                Answer::Media(media) => {
                    response["content"] = json!({media: {"schema": {"type": "string"}}});
                }
            }
        }
        if status >= 400 {
            let graph = json!({"$ref": "#/components/schemas/GraphError"});
            let vendor = json!({"$ref": "#/components/schemas/Error"});
            let schema = match (route.surface, status) {
                // A version segment that is not `vNN.N` is no Graph path: it is answered as
                // any path no route has, in the On-Premises envelope.
                (Surface::Cloud, 404) => json!({"anyOf": [graph, vendor]}),
                (Surface::Cloud, _) => graph,
                _ => vendor,
            };
            response["content"] = json!({"application/json": {"schema": schema}});
        }
        if status == 405 {
            response["headers"] = json!({"Allow": {"description": "The methods the path takes", "schema": {"type": "string"}}});
        }
        responses.insert(status.to_string(), response);
    }
    op.insert("responses".into(), Value::Object(responses));
    Value::Object(op)
}

/// The statuses every route of its kind can answer besides its own: a bad cluster name or body
/// (400), credentials (401), rights (403), a path that does not exist (404), another method
/// (405), a stalled body (408), a large body (413), the cluster limit (429), a Coreapp restart or
/// no Coreapp running (503).
fn common_responses(route: &Route) -> Vec<(u16, &'static str)> {
    let mut statuses = vec![
        (
            400,
            "The request cannot be read: a cluster name, a body or a query that is not valid",
        ),
        (404, "No such resource"),
        (405, "The path does not take this method"),
        (408, "The request body did not arrive within --body-timeout"),
        (413, "The request body is larger than 64 KiB"),
        (429, "A new cluster beyond --max-clusters"),
    ];
    match route.access {
        Access::Open => {}
        Access::Basic | Access::Control | Access::ControlStream => {
            statuses.push((401, "Missing or wrong credentials"));
        }
        Access::Token if route.while_restarting => {
            statuses.push((401, "Missing, unknown, expired or revoked token"));
        }
        Access::Token => {
            statuses.push((401, "Missing, unknown, expired or revoked token"));
            statuses.push((503, "1011: Coreapp restarting, or no Coreapp running"));
        }
        Access::Admin => {
            statuses.push((401, "Missing, unknown, expired or revoked token"));
            statuses.push((403, "1005: not an admin token, or refused"));
            statuses.push((503, "1011: Coreapp restarting, or no Coreapp running"));
        }
        Access::Graph => {
            statuses.push((
                401,
                "190: not the --graph-token; 190 / 463: a token made to expire, expired",
            ));
        }
    }
    statuses
}

/// The schema of a path parameter.
fn parameter_schema(name: &str) -> Value {
    match name {
        "cluster" => json!({
            "type": "string",
            "pattern": "^(?!\\.+$)[A-Za-z0-9._-]{1,64}$",
            "description": "1 to 64 of A-Z a-z 0-9 . _ -, not only dots"
        }),
        "node" => json!({"type": "string", "pattern": "^coreapp[1-9][0-9]?$"}),
        "version" => json!({"type": "string", "pattern": "^v[0-9]{1,3}\\.[0-9]{1,3}$",
            "description": "A Graph API version, v2.0 to v26.0 (another is 400 / 2500); paths without one are served as --graph-version"}),
        "id" => json!({"type": "string", "pattern": "^[0-9]{1,20}$",
            "description": "A phone number id, or the WhatsApp Business Account id (GET /_emulator/clusters/{cluster}/cloud lists them)"}),
        _ => json!({"type": "string", "minLength": 1}),
    }
}

/// Body fields that may be left out.
const OPTIONAL_FIELDS: &[&str] = &[
    "pin",
    "new_password",
    "localized_names",
    "rules",
    "duration_seconds",
    "coreapps",
    "failover_delay_seconds",
    "new_display_name",
    "webhook_configuration",
    "override_callback_uri",
    "verify_token",
    "fields",
    "signature",
    "rejection_reason",
];

/// The schema of one body field, as exact as the emulator's own checks where JSON Schema can
/// say them (calling codes, digits, pins, codes, methods, shard counts, password lengths).
fn field_schema(name: &str, example: &Value) -> Value {
    match name {
        "cc" => {
            json!({"type": "string", "enum": crate::domain::phone::calling_codes().collect::<Vec<_>>()})
        }
        "phone_number" => json!({"type": "string", "pattern": "^[0-9]{1,14}$",
            "description": "digits only; with cc at most 15 digits (E.164)"}),
        "method" | "code_method" => {
            json!({"type": "string", "pattern": "^([sS][mM][sS]|[vV][oO][iI][cC][eE])$"})
        }
        "language" => json!({"type": "string", "pattern": "^[A-Za-z_-]{2,6}$"}),
        "messaging_product" => json!({"type": "string", "enum": ["whatsapp"]}),
        "verified_name" => json!({"type": "string", "minLength": 1}),
        "pin" => json!({"type": "string", "pattern": "^[0-9]{6}$"}),
        "code" => json!({"type": "string", "pattern": "^([0-9]{6}|[0-9]{3}-[0-9]{3})$"}),
        "cert" => json!({"type": "string", "minLength": 1,
            "description": "base64 of a verified-name certificate (POST /_emulator/certs makes one)"}),
        "shards" => json!({"type": "integer", "enum": crate::domain::topology::SHARD_OPTIONS}),
        "password" | "new_password" => json!({"type": "string", "minLength": 1,
            "description": "8 to 64 characters with a digit, an upper-case and a lower-case letter and a special character (a backup password: any non-empty text)"}),
        "username" => json!({"type": "string", "minLength": 4, "maxLength": 32}),
        "policy" => json!({"type": "string", "enum": ["classic", "sunset", "scripted"]}),
        "new_display_name" => json!({"type": "string", "minLength": 2, "maxLength": 75}),
        "webhook_configuration" => json!({"type": "object",
            "properties": {"override_callback_uri": {"type": "string"}, "verify_token": {"type": "string"}},
            "required": ["override_callback_uri"]}),
        "callback_url" | "override_callback_uri" => json!({"type": "string",
            "description": "an http:// URL the emulator can reach; Meta's verification request is sent to it first"}),
        "app_secret" => json!({"type": "string", "minLength": 1}),
        "fields" => json!({"type": "array", "minItems": 1,
            "items": {"type": "string", "enum": crate::domain::webhooks::Field::ALL.map(|f| f.as_str())}}),
        "field" => {
            json!({"type": "string", "enum": crate::domain::webhooks::Field::ALL.map(|f| f.as_str())})
        }
        "signature" => {
            json!({"type": "string", "enum": ["valid", "missing", "wrong_secret", "tampered"]})
        }
        "decision" => {
            json!({"type": "string", "enum": crate::domain::webhooks::fields::NAME_DECISIONS})
        }
        "rejection_reason" => {
            json!({"type": "string", "enum": crate::domain::webhooks::fields::REJECTION_REASONS})
        }
        _ => match example {
            Value::String(_) => json!({"type": "string"}),
            Value::Number(n) if n.is_u64() => json!({"type": "integer"}),
            Value::Number(_) => json!({"type": "number"}),
            Value::Array(_) => json!({"type": "array"}),
            Value::Object(_) => json!({"type": "object"}),
            Value::Bool(_) => json!({"type": "boolean"}),
            Value::Null => json!({}),
        },
    }
}

/// The schema of a JSON object body, from its example: every field typed, the optional ones
/// not required, no other field (1010).
fn body_schema(example: &Value) -> Value {
    let Value::Object(fields) = example else {
        return json!({});
    };
    let properties: Map<String, Value> = fields
        .iter()
        .map(|(name, value)| (name.clone(), field_schema(name, value)))
        .collect();
    let required: Vec<&String> = fields
        .keys()
        .filter(|name| !OPTIONAL_FIELDS.contains(&name.as_str()))
        .collect();
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}
