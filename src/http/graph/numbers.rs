//! The WhatsApp Business Account and its phone numbers: `GET /{id}` (a phone number, with
//! `?fields=`, or the account), `GET` and `POST /{waba_id}/phone_numbers`.

use axum::http::{HeaderMap, Uri};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use super::params::Params;
use super::{GraphError, GraphId, GraphToken};
use crate::domain::Error;
use crate::domain::cloud::{CloudError, NumberError, read_number};
use crate::domain::phone::Number;
use crate::http::common::Reply;
use crate::http::common::extract::InCluster;
use crate::store::Cluster;
use crate::store::cloud::PhoneView;

/// The fields a phone number has, as Graph names them.
const FIELDS: &[&str] = &[
    "id",
    "display_phone_number",
    "verified_name",
    "code_verification_status",
    "platform_type",
    "status",
    "quality_rating",
    "name_status",
    "throughput",
    "is_pin_enabled",
    "account_mode",
    "is_official_business_account",
    "is_on_biz_app",
    "is_preverified_number",
];

/// Fields the real API has that the emulator does not fill: asked for, they are left out, as
/// Graph leaves out a field with no value (so that clients asking for every field, as pywa
/// does, work).
const NOT_EMULATED: &[&str] = &[
    "conversational_automation",
    "quality_score",
    "webhook_configuration",
    "new_name_status",
    "whatsapp_business_manager_messaging_limit",
    "messaging_limit_tier",
    "search_visibility",
    "eligibility_for_api_business_global_search",
    "health_status",
    "certificate",
    "new_certificate",
    "last_onboarded_time",
    "country_code",
    "country_dial_code",
];

/// The fields answered when `fields` is not given, as Meta's examples show them.
const DEFAULT_FIELDS: &[&str] = &[
    "verified_name",
    "code_verification_status",
    "display_phone_number",
    "quality_rating",
    "platform_type",
    "throughput",
    "id",
];

fn field(view: &PhoneView, name: &str) -> Value {
    match name {
        "id" => json!(view.id),
        "display_phone_number" => json!(view.display_phone_number),
        "verified_name" => json!(view.verified_name),
        "code_verification_status" => json!(view.code_verification_status),
        "platform_type" => json!(view.platform_type),
        "status" => json!(view.status),
        "quality_rating" => json!(view.quality_rating),
        "name_status" => json!(view.name_status),
        "throughput" => json!({"level": view.throughput}),
        "is_pin_enabled" => json!(view.is_pin_enabled),
        "account_mode" => json!("LIVE"),
        "is_official_business_account" | "is_on_biz_app" | "is_preverified_number" => json!(false),
        _ => Value::Null,
    }
}

/// A kind of Graph node: its name and fields.
struct Node {
    /// As Graph names it in errors.
    name: &'static str,
    fields: &'static [&'static str],
    not_emulated: &'static [&'static str],
    defaults: &'static [&'static str],
}

const PHONE: Node = Node {
    name: "WhatsAppBusinessPhoneNumber",
    fields: FIELDS,
    not_emulated: NOT_EMULATED,
    defaults: DEFAULT_FIELDS,
};

const ACCOUNT: Node = Node {
    name: "WhatsAppBusinessAccount",
    fields: WABA_FIELDS,
    not_emulated: WABA_NOT_EMULATED,
    defaults: WABA_DEFAULT_FIELDS,
};

/// The names `fields` asks for (the node's defaults when absent), `id` first as Graph answers
/// it; an unknown one is refused as Graph refuses it.
fn selected(params: &Params, node: &Node) -> Result<Vec<String>, Error> {
    let Some(fields) = params.text("fields")? else {
        return Ok(node.defaults.iter().map(|f| (*f).to_owned()).collect());
    };
    let mut names = vec!["id".to_owned()];
    for asked in fields.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        // `health_status.phone_number(…)`: a field with modifiers.
        let name = asked.split(['.', '{', '(']).next().unwrap_or(asked);
        if node.not_emulated.contains(&name) {
            continue;
        }
        if !node.fields.contains(&name) {
            return Err(CloudError::invalid(
                "fields",
                format!(
                    "Tried accessing nonexisting field ({name}) on node type ({}); the fields are {}",
                    node.name,
                    node.fields.join(", ")
                ),
            )
            .into());
        }
        if !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
        }
    }
    Ok(names)
}

fn object(view: &PhoneView, names: &[String]) -> Value {
    let map: Map<String, Value> = names
        .iter()
        .map(|name| (name.clone(), field(view, name)))
        .collect();
    Value::Object(map)
}

fn success() -> Reply {
    Reply::control(&json!({"success": true}))
}

fn not_the_account(id: &str, method: &'static str) -> Error {
    CloudError::UnknownObject {
        id: id.to_owned(),
        method,
    }
    .into()
}

/// The fields of a WhatsApp Business Account the emulator fills.
const WABA_FIELDS: &[&str] = &[
    "id",
    "name",
    "timezone_id",
    "message_template_namespace",
    "currency",
    "account_review_status",
    "business_verification_status",
    "ownership_type",
];

/// Fields of a WhatsApp Business Account the emulator does not fill: left out when asked for.
const WABA_NOT_EMULATED: &[&str] = &[
    "analytics",
    "auth_international_rate_eligibility",
    "conversation_analytics",
    "country",
    "health_status",
    "is_enabled_for_insights",
    "marketing_messages_lite_api_status",
    "on_behalf_of_business_info",
    "owner_business_info",
    "primary_business_location",
    "primary_funding_id",
    "purchase_order_number",
    "status",
];

/// The account's fields Graph answers without `fields`, as Meta's reference shows them.
const WABA_DEFAULT_FIELDS: &[&str] = &["id", "name", "timezone_id", "message_template_namespace"];

fn waba_field(cluster: &Cluster, name: &str) -> Value {
    match name {
        "id" => json!(cluster.waba_id()),
        "name" => json!(format!(
            "Emulated WhatsApp Business Account ({})",
            cluster.name()
        )),
        "timezone_id" => json!("1"),
        "message_template_namespace" => json!(format!("emulated_{}", cluster.name())),
        "currency" => json!("USD"),
        "account_review_status" => json!("APPROVED"),
        "business_verification_status" => json!("verified"),
        "ownership_type" => json!("SELF"),
        _ => Value::Null,
    }
}

/// `GET /{id}`: a phone number (`?fields=`), or the business account (`?fields=` too).
pub async fn get_object(
    _: GraphToken,
    InCluster(cluster): InCluster,
    GraphId(id): GraphId,
    params: Params,
) -> Result<Reply, GraphError> {
    params.only(&[])?;
    let id = id.as_str();
    if id == cluster.waba_id() {
        let names = selected(&params, &ACCOUNT)?;
        let map: Map<String, Value> = names
            .iter()
            .map(|name| (name.clone(), waba_field(&cluster, name)))
            .collect();
        return Ok(Reply::control(&Value::Object(map)));
    }
    let names = selected(&params, &PHONE)?;
    let view = cluster.phone_number(id)?;
    Ok(Reply::control(&object(&view, &names)))
}

/// `POST /{id} {"pin"}`: sets the two-step verification pin of a registered phone number.
pub async fn set_pin(
    _: GraphToken,
    InCluster(cluster): InCluster,
    GraphId(id): GraphId,
    params: Params,
) -> Result<Reply, GraphError> {
    params.only(&["pin"])?;
    let id = id.as_str();
    if id == cluster.waba_id() {
        return Err(not_the_account(id, "post").into());
    }
    let pin = super::registration::pin(&params)?;
    cluster.cloud_set_pin(id, pin).await?;
    Ok(success())
}

/// How many numbers a page of `GET /{waba_id}/phone_numbers` has without `limit`, as Graph's
/// edges page.
const PAGE: usize = 25;
/// The largest `limit` taken.
const MAX_PAGE: usize = 100;

/// A cursor of the list: the id of a number, base64url, opaque to the client as Graph's are.
fn cursor(id: &str) -> String {
    URL_SAFE_NO_PAD.encode(id)
}

/// `GET /{waba_id}/phone_numbers` (`limit`, `after`, `before`, `fields`): a page of the
/// account's numbers in the order they were added, with `paging.cursors` and, when there are
/// more, `paging.next` (and `paging.previous` when there are some before), as Graph pages an
/// edge.
pub async fn list(
    _: GraphToken,
    InCluster(cluster): InCluster,
    GraphId(id): GraphId,
    uri: Uri,
    headers: HeaderMap,
    params: Params,
) -> Result<Reply, GraphError> {
    params.only(&["limit", "after", "before"])?;
    let id = id.as_str();
    if id != cluster.waba_id() {
        return Err(not_the_account(id, "get").into());
    }
    let names = selected(&params, &PHONE)?;
    let limit = match params.text("limit")? {
        None => PAGE,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| {
                Error::from(CloudError::invalid(
                    "limit",
                    format!("Param limit must be a number from 1 to {MAX_PAGE} (got {text:?})"),
                ))
            })?,
    };
    let all = cluster.phone_numbers(false);
    let position = |name: &str| -> Result<Option<usize>, Error> {
        let Some(given) = params.text(name)? else {
            return Ok(None);
        };
        URL_SAFE_NO_PAD
            .decode(given.as_bytes())
            .ok()
            .and_then(|id| all.iter().position(|n| n.id.as_bytes() == id.as_slice()))
            .map(Some)
            .ok_or_else(|| {
                CloudError::invalid(
                    "cursor",
                    format!(
                        "Param {name} is not a cursor of this list (got {given:?}): send paging.cursors.{name} of an earlier page"
                    ),
                )
                .into()
            })
    };
    let (start, end) = match (position("after")?, position("before")?) {
        (Some(after), _) => (after + 1, (after + 1 + limit).min(all.len())),
        (None, Some(before)) => (before.saturating_sub(limit), before),
        (None, None) => (0, limit.min(all.len())),
    };
    let page = &all[start.min(end)..end];
    let data: Vec<Value> = page.iter().map(|view| object(view, &names)).collect();
    let mut paging = json!({});
    if let (Some(first), Some(last)) = (page.first(), page.last()) {
        paging["cursors"] = json!({"before": cursor(&first.id), "after": cursor(&last.id)});
        let link = |key: &str, at: &str| {
            let host = headers
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("127.0.0.1");
            let mut query = vec![("limit", limit.to_string()), (key, cursor(at))];
            if let Some(fields) = params.text("fields").ok().flatten() {
                query.push(("fields", fields));
            }
            let query = serde_urlencoded::to_string(&query).unwrap_or_default();
            format!("http://{host}{}?{query}", uri.path())
        };
        if end < all.len() {
            paging["next"] = json!(link("after", &last.id));
        }
        if start > 0 {
            paging["previous"] = json!(link("before", &first.id));
        }
    }
    Ok(Reply::control(&json!({"data": data, "paging": paging})))
}

/// The number of `cc` and `phone_number`, read with libphonenumber's metadata.
fn number(cc: &str, phone_number: &str) -> Result<Number, Error> {
    read_number(cc, phone_number).map_err(|e| {
        let rule = match e {
            NumberError::CallingCode(_) => "cc",
            _ => "phone_number",
        };
        CloudError::invalid(rule, e.to_string()).into()
    })
}

/// `POST /{waba_id}/phone_numbers {"cc" (or "country_code"), "phone_number", "verified_name"}`
/// → `{"id"}`.
pub async fn add(
    _: GraphToken,
    InCluster(cluster): InCluster,
    GraphId(id): GraphId,
    params: Params,
) -> Result<Reply, GraphError> {
    params.only(&["cc", "country_code", "phone_number", "verified_name"])?;
    let id = id.as_str();
    if id != cluster.waba_id() {
        return Err(not_the_account(id, "post").into());
    }
    let cc = match params.text("cc")? {
        Some(cc) => cc,
        None => params
            .required("country_code")
            .map_err(|_| Error::from(CloudError::MissingParameter { name: "cc".into() }))?,
    };
    let number = number(&cc, &params.required("phone_number")?)?;
    let name = params.required("verified_name")?;
    let id = cluster.add_phone_number(number, name).await?;
    Ok(Reply::control(&json!({"id": id})))
}
