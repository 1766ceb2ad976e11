//! The WhatsApp Business Account and its phone numbers: `GET /{id}` (a phone number, with
//! `?fields=`, or the account), `GET` and `POST /{waba_id}/phone_numbers`.

use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use super::params::Params;
use super::{GraphError, GraphId, GraphToken};
use crate::domain::Error;
use crate::domain::cloud::{
    CloudError, NumberError, NumberStatus, Platform, calling_code, country_code, read_number,
};
use crate::domain::phone::Number;
use crate::http::common::extract::InCluster;
use crate::http::common::{AppState, Reply};
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
    "country_dial_code",
    "official_business_account",
    "health_status",
    "country_code",
    "host_platform",
    "unified_cert_status",
    "messaging_limit_tier",
    "search_visibility",
    "new_name_status",
    "new_display_name",
    "last_onboarded_time",
    "certificate",
    "new_certificate",
    "webhook_configuration",
];

/// Fields the real API has that the emulator does not fill: asked for, they are left out, as
/// Graph leaves out a field with no value (so that clients asking for every field, as pywa
/// does, work).
const NOT_EMULATED: &[&str] = &[
    "conversational_automation",
    "quality_score",
    "whatsapp_business_manager_messaging_limit",
    "eligibility_for_api_business_global_search",
    "username",
    "display_name_status",
    "messaging_limit",
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
        "country_dial_code" => json!(view.cc),
        "country_code" => json!(country_code(&Number::new(&view.cc, &view.phone_number))),
        "host_platform" => json!(view.platform_type),
        "unified_cert_status" => match view.name_status {
            "APPROVED" => json!("APPROVED"),
            _ => json!("NAME_PENDING_REVIEW"),
        },
        // A number on the Cloud API sends to 250 people a day until it scales; one that came
        // from On-Premises keeps the tier it had there (1K, the first scaled one).
        "messaging_limit_tier" => match (view.platform_type, view.name_status) {
            (Platform::CloudApi, "APPROVED") => json!("TIER_1K"),
            (Platform::CloudApi, _) => json!("TIER_250"),
            _ => Value::Null,
        },
        "search_visibility" => match view.status {
            NumberStatus::Connected => json!("VISIBLE"),
            _ => json!("HIDDEN"),
        },
        // Meta's NONE until a display name change is asked with new_display_name.
        "new_name_status" => json!(view.new_name_status),
        "new_display_name" => json!(view.new_display_name),
        "new_certificate" => Value::Null,
        "webhook_configuration" => view.webhook_configuration.clone().unwrap_or(Value::Null),
        "last_onboarded_time" => view
            .registered_at
            .map_or(Value::Null, |at| json!(graph_time(at))),
        "certificate" => json!(view.certificate),
        "official_business_account" => json!({"oba_status": "NOT_STARTED"}),
        // Meta's "Health Status" shape: the number's, with the entities it depends on.
        "health_status" => {
            let can = if view.status == NumberStatus::Connected {
                "AVAILABLE"
            } else {
                "BLOCKED"
            };
            json!({
                "can_send_message": can,
                "entities": [{"entity_type": "PHONE_NUMBER", "id": view.id, "can_send_message": can}],
            })
        }
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
            return Err(CloudError::UnknownField {
                field: name.to_owned(),
                node: node.name,
                fields: node.fields.join(", "),
            }
            .into());
        }
        if !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
        }
    }
    Ok(names)
}

/// The fields `names` of `view`, those without a value left out as Graph leaves them out.
fn object(view: &PhoneView, names: &[String]) -> Value {
    let map: Map<String, Value> = names
        .iter()
        .map(|name| (name.clone(), field(view, name)))
        .filter(|(_, value)| !value.is_null())
        .collect();
    Value::Object(map)
}

/// A time as Graph writes one: `2026-12-07T10:00:00+0000`.
fn graph_time(at: std::time::SystemTime) -> String {
    jiff::Timestamp::try_from(at)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%S%z").to_string())
        .unwrap_or_default()
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
    "audiences",
    "dcc_config",
    "message_templates",
    "phone_numbers",
    "schedules",
    "subscribed_apps",
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

/// `POST /{id}` with `pin` (the two-step verification pin of a registered number),
/// `webhook_configuration {"override_callback_uri", "verify_token"}` (where this number's
/// changes go, verified first; an empty URI removes it) and `new_display_name` (a name change,
/// reviewed), any of them.
pub async fn update_number(
    _: GraphToken,
    State(state): State<AppState>,
    InCluster(cluster): InCluster,
    GraphId(id): GraphId,
    params: Params,
) -> Result<Reply, GraphError> {
    params.only(&["pin", "webhook_configuration", "new_display_name"])?;
    let id = id.as_str();
    if id == cluster.waba_id() {
        return Err(not_the_account(id, "post").into());
    }
    let hook = params.object("webhook_configuration")?;
    let name = params.text("new_display_name")?;
    if (hook.is_none() && name.is_none()) || params.text("pin")?.is_some() {
        let pin = super::registration::pin(&params)?;
        cluster.cloud_set_pin(id, pin).await?;
    }
    if let Some(hook) = hook {
        let text = |key: &str| hook.get(key).and_then(Value::as_str).map(str::to_owned);
        let uri = text("override_callback_uri").ok_or_else(|| {
            Error::from(CloudError::MissingParameter {
                name: "webhook_configuration[override_callback_uri]".into(),
            })
        })?;
        // The number must exist before a URL is verified for it.
        cluster.phone_number(id)?;
        let uri = if uri.is_empty() {
            None
        } else {
            let token = text("verify_token").ok_or_else(|| {
                Error::from(CloudError::MissingParameter {
                    name: "webhook_configuration[verify_token]".into(),
                })
            })?;
            super::subscriptions::verified(&state, &uri, &token).await?;
            Some(uri)
        };
        cluster.set_number_webhook(id, uri).await?;
    }
    if let Some(name) = name {
        let length = name.chars().count();
        if !(2..=75).contains(&length) {
            return Err(Error::from(CloudError::invalid(
                "new_display_name",
                format!("Param new_display_name must be 2 to 75 characters long (got {length})"),
            ))
            .into());
        }
        cluster.ask_name_change(id, name).await?;
    }
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
    params.only(&["limit", "after", "before", "filtering", "sort", "summary"])?;
    let id = id.as_str();
    if id != cluster.waba_id() {
        return Err(not_the_account(id, "get").into());
    }
    let filters = filtering(&params)?;
    let sort = sorting(&params)?;
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
    let mut all: Vec<PhoneView> = cluster
        .phone_numbers(false)
        .into_iter()
        .filter(|view| filters.iter().all(|filter| filter.keeps(view)))
        .collect();
    // The account lists its numbers in the order they were added (creation_time ascending).
    match sort {
        Some(("creation_time", true)) | None => {}
        Some(("creation_time", _)) => all.reverse(),
        // Never onboarded: after every onboarded number, in either direction.
        Some((_, ascending)) => all.sort_by_key(|view| {
            let at = view.registered_at.map(|at| {
                at.duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos())
            });
            (
                at.is_none(),
                at.map(|at| if ascending { at } else { u128::MAX - at }),
            )
        }),
    }
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
            // Every parameter of the call but its paging (the access token and fields
            // included), as Graph's links keep them, then the page's.
            let sent: Vec<(String, String)> =
                serde_urlencoded::from_str(uri.query().unwrap_or("")).unwrap_or_default();
            let mut query: Vec<(String, String)> = sent
                .into_iter()
                .filter(|(name, _)| !matches!(name.as_str(), "limit" | "after" | "before"))
                .collect();
            if !query.iter().any(|(name, _)| name == "fields")
                && let Some(fields) = params.text("fields").ok().flatten()
            {
                query.push(("fields".into(), fields));
            }
            query.push(("limit".into(), limit.to_string()));
            query.push((key.into(), cursor(at)));
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
    let mut answer = json!({"data": data, "paging": paging});
    // `summary=true` (or `summary=total_count`), Graph's edge summary: the count of every
    // number the call's filters keep, across pages (Meta's Python SDK asks for it).
    if params
        .text("summary")?
        .is_some_and(|s| matches!(s.as_str(), "true" | "1" | "total_count"))
    {
        answer["summary"] = json!({"total_count": all.len()});
    }
    Ok(Reply::control(&answer))
}

/// One condition of `filtering` on `GET /{waba_id}/phone_numbers` (Meta, "Filter phone
/// numbers": `[{"field": "account_mode", "operator": "EQUAL", "value": "LIVE"}]`).
struct Filter {
    field: String,
    operator: Operator,
    values: Vec<String>,
}

#[derive(Clone, Copy)]
enum Operator {
    Equal,
    NotEqual,
    In,
    NotIn,
}

impl Filter {
    fn keeps(&self, view: &PhoneView) -> bool {
        let have = match field(view, &self.field) {
            Value::String(text) => text,
            Value::Null => String::new(),
            other => other.to_string(),
        };
        let listed = self.values.contains(&have);
        match self.operator {
            Operator::Equal | Operator::In => listed,
            Operator::NotEqual | Operator::NotIn => !listed,
        }
    }
}

/// `sort` of a phone-number list (Meta's description: `creation_time` or
/// `last_onboarded_time`, `.asc` or `.desc`): the field and whether ascending.
fn sorting(params: &Params) -> Result<Option<(&'static str, bool)>, Error> {
    let Some(sort) = params.text("sort")? else {
        return Ok(None);
    };
    let (field, direction) = sort.split_once('.').unwrap_or((sort.as_str(), "asc"));
    let field = match field {
        "creation_time" => "creation_time",
        "last_onboarded_time" => "last_onboarded_time",
        _ => return Err(sort_error(&sort)),
    };
    match direction {
        "asc" => Ok(Some((field, true))),
        "desc" => Ok(Some((field, false))),
        _ => Err(sort_error(&sort)),
    }
}

fn sort_error(sort: &str) -> Error {
    CloudError::invalid(
        "sort",
        format!(
            "Param sort must be creation_time.asc, creation_time.desc, last_onboarded_time.asc or last_onboarded_time.desc (got {sort:?})"
        ),
    )
    .into()
}

/// The `filtering` of a phone-number list: a JSON list of `{field, operator, value}`, on the
/// phone number's fields, with `EQUAL`, `NOT_EQUAL`, `IN` and `NOT_IN` (a list of values).
fn filtering(params: &Params) -> Result<Vec<Filter>, Error> {
    let Some(value) = params.json("filtering")? else {
        return Ok(Vec::new());
    };
    let refuse = |why: String| -> Error {
        CloudError::invalid(
            "filtering",
            format!(
                "Param filtering must be a list of {{\"field\", \"operator\", \"value\"}} ({why}); operators: EQUAL, NOT_EQUAL, IN, NOT_IN"
            ),
        )
        .into()
    };
    let Value::Array(items) = value else {
        return Err(refuse("not a list".into()));
    };
    items
        .iter()
        .map(|item| {
            let text = |key: &str| item.get(key).and_then(Value::as_str);
            let field =
                text("field").ok_or_else(|| refuse("a condition without its field".into()))?;
            if !FIELDS.contains(&field) {
                return Err(refuse(format!("{field} is no field of a phone number")));
            }
            let operator = match text("operator").unwrap_or_default() {
                "EQUAL" => Operator::Equal,
                "NOT_EQUAL" => Operator::NotEqual,
                "IN" => Operator::In,
                "NOT_IN" => Operator::NotIn,
                other => return Err(refuse(format!("operator {other:?}"))),
            };
            let values = match item.get("value") {
                Some(Value::String(one)) => vec![one.clone()],
                Some(Value::Array(many)) => many
                    .iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                    .collect(),
                Some(other) => vec![other.to_string()],
                None => return Err(refuse(format!("no value for {field}"))),
            };
            Ok(Filter {
                field: field.to_owned(),
                operator,
                values,
            })
        })
        .collect()
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
    // `migrate_phone_number` (a number coming from On-Premises) and `preverified_id` are taken:
    // the number is added the same way.
    params.only(&[
        "cc",
        "country_code",
        "phone_number",
        "verified_name",
        "migrate_phone_number",
        "preverified_id",
    ])?;
    let id = id.as_str();
    if id != cluster.waba_id() {
        return Err(not_the_account(id, "post").into());
    }
    let phone_number = params.required("phone_number")?;
    let cc = match params.text("cc")? {
        Some(cc) => cc,
        None => match params.text("country_code")? {
            Some(cc) => cc,
            // Meta's description: `cc` is optional, `phone_number` then E.164 (`16315551000`).
            None => calling_code(&phone_number).ok_or_else(|| {
                Error::from(CloudError::invalid(
                    "phone_number",
                    format!(
                        "Param phone_number must be an E.164 number with its country code, such as 16315551000, when cc is not sent (got {phone_number:?})"
                    ),
                ))
            })?,
        },
    };
    let number = number(&cc, &phone_number)?;
    let name = params.required("verified_name")?;
    let id = cluster.add_phone_number(number, name).await?;
    Ok(Reply::control(&json!({"id": id})))
}
