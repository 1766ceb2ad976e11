//! The WhatsApp Business Account and its phone numbers: `GET /{id}` (a phone number, with
//! `?fields=`, or the account), `GET` and `POST /{waba_id}/phone_numbers`.

use serde_json::{Map, Value, json};

use super::params::Params;
use crate::domain::Error;
use crate::domain::cloud::CloudError;
use crate::domain::phone::{self, Number};
use crate::http::call::{GraphId, InCluster};
use crate::http::envelope::Reply;
use crate::http::error::ApiError;
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
        "quality_rating" => json!("GREEN"),
        "name_status" => json!("APPROVED"),
        "throughput" => json!({"level": view.throughput}),
        "is_pin_enabled" => json!(view.is_pin_enabled),
        "account_mode" => json!("LIVE"),
        "is_official_business_account" | "is_on_biz_app" | "is_preverified_number" => json!(false),
        _ => Value::Null,
    }
}

/// The names `fields` asks for (the defaults when absent); an unknown one is refused as Graph
/// does.
fn selected(params: &Params) -> Result<Vec<String>, Error> {
    let Some(fields) = params.text("fields")? else {
        return Ok(DEFAULT_FIELDS.iter().map(|f| (*f).to_owned()).collect());
    };
    let mut names = vec!["id".to_owned()];
    for asked in fields.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        // `health_status.phone_number(…)`: a field with modifiers.
        let name = asked.split(['.', '{', '(']).next().unwrap_or(asked);
        if NOT_EMULATED.contains(&name) {
            continue;
        }
        if !FIELDS.contains(&name) {
            return Err(CloudError::invalid(
                "fields",
                format!(
                    "Tried accessing nonexisting field ({name}) on node type (WhatsAppBusinessPhoneNumber); the fields are {}",
                    FIELDS.join(", ")
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

/// `GET /{id}`: a phone number (`?fields=`), or the business account.
pub async fn get_object(
    InCluster(cluster): InCluster,
    GraphId(id): GraphId,
    params: Params,
) -> Result<Reply, ApiError> {
    params.only(&[])?;
    let id = id.as_str();
    if id == cluster.waba_id() {
        return Ok(Reply::control(&json!({
            "id": id,
            "name": format!("Emulated WhatsApp Business Account ({})", cluster.name()),
            "timezone_id": "1",
            "message_template_namespace": format!("emulated_{}", cluster.name()),
        })));
    }
    let names = selected(&params)?;
    let view = cluster.phone_number(id)?;
    Ok(Reply::control(&object(&view, &names)))
}

/// `POST /{id} {"pin"}`: sets the two-step verification pin of a registered phone number.
pub async fn set_pin(
    InCluster(cluster): InCluster,
    GraphId(id): GraphId,
    params: Params,
) -> Result<Reply, ApiError> {
    params.only(&["pin"])?;
    let id = id.as_str();
    if id == cluster.waba_id() {
        return Err(not_the_account(id, "post").into());
    }
    let pin = super::registration::pin(&params)?;
    cluster.cloud_set_pin(id, pin).await?;
    Ok(success())
}

/// `GET /{waba_id}/phone_numbers`.
pub async fn list(
    InCluster(cluster): InCluster,
    GraphId(id): GraphId,
    params: Params,
) -> Result<Reply, ApiError> {
    params.only(&["limit", "after", "before"])?;
    let id = id.as_str();
    if id != cluster.waba_id() {
        return Err(not_the_account(id, "get").into());
    }
    let names = selected(&params)?;
    let data: Vec<Value> = cluster
        .phone_numbers(false)
        .iter()
        .map(|view| object(view, &names))
        .collect();
    let cursor = |v: Option<&Value>| {
        use base64::Engine;
        let id = v.and_then(|v| v["id"].as_str()).unwrap_or_default();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id)
    };
    let paging = json!({"cursors": {"before": cursor(data.first()), "after": cursor(data.last())}});
    Ok(Reply::control(&json!({"data": data, "paging": paging})))
}

/// The number of `cc` and `phone_number` (formatting characters dropped): a real calling code
/// and at most 15 digits.
fn number(cc: &str, phone_number: &str) -> Result<Number, Error> {
    let cc = cc.trim_start_matches('+');
    if !phone::is_calling_code(cc) {
        return Err(CloudError::invalid(
            "cc",
            format!("Param cc must be an ITU country calling code, such as 1 or 44 (got {cc:?})"),
        )
        .into());
    }
    let national: String = phone_number
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
        .collect();
    if national.is_empty() || !national.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CloudError::invalid(
            "phone_number",
            format!("Param phone_number must be digits (got {phone_number:?})"),
        )
        .into());
    }
    if cc.len() + national.len() > 15 {
        return Err(CloudError::invalid(
            "phone_number",
            "Params cc and phone_number together have more than the 15 digits of E.164",
        )
        .into());
    }
    Ok(Number::new(cc, &national))
}

/// `POST /{waba_id}/phone_numbers {"cc" (or "country_code"), "phone_number", "verified_name"}`
/// → `{"id"}`.
pub async fn add(
    InCluster(cluster): InCluster,
    GraphId(id): GraphId,
    params: Params,
) -> Result<Reply, ApiError> {
    params.only(&["cc", "country_code", "phone_number", "verified_name"])?;
    let id = id.as_str();
    if id != cluster.waba_id() {
        return Err(not_the_account(id, "post").into());
    }
    let cc = match params.text("cc")? {
        Some(cc) => cc,
        None => params.required("country_code").map_err(|_| {
            Error::from(CloudError::invalid(
                "missing",
                "The parameter cc (or country_code) is required",
            ))
        })?,
    };
    let number = number(&cc, &params.required("phone_number")?)?;
    let name = params.required("verified_name")?;
    let id = cluster.add_phone_number(number, name).await?;
    Ok(Reply::control(&json!({"id": id})))
}
