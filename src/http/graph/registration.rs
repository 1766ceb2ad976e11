//! A phone number's registration on the Cloud API: `request_code`, `verify_code`, `register`
//! (with a backup: the migration from On-Premises) and `deregister`.

use axum::http::Uri;
use serde_json::json;

use super::params::Params;
use super::{GraphError, GraphId, GraphToken};
use crate::domain::cloud::{CloudError, version};
use crate::domain::phone::Method;
use crate::domain::{Error, backup};
use crate::http::common::Reply;
use crate::http::common::extract::InCluster;
use crate::store::migration::Registration;

fn success() -> Reply {
    Reply::control(&json!({"success": true}))
}

fn invalid(rule: &'static str, details: impl Into<String>) -> Error {
    CloudError::invalid(rule, details.into()).into()
}

/// The first version whose `request_code` reference lists `IVR`.
const IVR_SINCE: (u16, u16) = (26, 0);

/// The regions of Cloud API local storage, as Meta's page lists them: APAC (Australia,
/// Indonesia, India, Japan, Singapore, South Korea), Europe (Germany, Switzerland, United
/// Kingdom), LATAM (Brazil), MEA (Bahrain, South Africa, United Arab Emirates), NORAM
/// (Canada).
pub const REGIONS: &[&str] = &[
    "AU", "ID", "IN", "JP", "SG", "KR", "DE", "CH", "GB", "BR", "BH", "ZA", "AE", "CA",
];

/// `pin`: 6 digits.
pub fn pin(params: &Params) -> Result<String, Error> {
    let pin = params.required("pin")?;
    if pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(pin)
    } else {
        Err(invalid("pin", "Param pin must be a 6-digit number"))
    }
}

/// `POST /{id}/request_code {"code_method": "SMS"|"VOICE"|"IVR", "language"}`. `IVR` (a call
/// that reads the code out, sent to the outbox as `voice`) from v26.0, the version whose
/// reference lists it; `SMS` and `VOICE` in every version.
pub async fn request_code(
    _: GraphToken,
    InCluster(cluster): InCluster,
    GraphId(id): GraphId,
    uri: Uri,
    params: Params,
) -> Result<Reply, GraphError> {
    params.only(&["code_method", "language"])?;
    let asked = params.required("code_method")?;
    let served = crate::http::common::paths::vendor_path(uri.path())
        .split('/')
        .nth(1)
        .and_then(version::number);
    let ivr = served.is_some_and(|v| v >= IVR_SINCE);
    let method = match Method::parse(&asked) {
        Some(method) => method,
        None if ivr && asked.eq_ignore_ascii_case("ivr") => Method::Voice,
        None => {
            return Err(invalid(
                "code_method",
                if ivr {
                    format!("Param code_method must be one of {{SMS, VOICE, IVR}} (got {asked:?})")
                } else {
                    format!(
                        "Param code_method must be one of {{SMS, VOICE}} (got {asked:?}); IVR is taken from v26.0"
                    )
                },
            )
            .into());
        }
    };
    let language = params.required("language")?;
    let known = language.len() >= 2
        && language.len() <= 6
        && language
            .bytes()
            .all(|b| b.is_ascii_alphabetic() || b == b'_' || b == b'-');
    if !known {
        return Err(invalid(
            "language",
            format!(
                "Param language must be a language code such as en or en_US (got {language:?})"
            ),
        )
        .into());
    }
    cluster.cloud_request_code(&id, method).await?;
    Ok(success())
}

/// `POST /{id}/verify_code {"code"}`.
pub async fn verify_code(
    _: GraphToken,
    InCluster(cluster): InCluster,
    GraphId(id): GraphId,
    params: Params,
) -> Result<Reply, GraphError> {
    params.only(&["code"])?;
    let code = params.required("code")?;
    let digits: String = code.chars().filter(|c| *c != '-').collect();
    if digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            "code",
            "Param code must be the 6 digits sent, as 123456 or 123-456",
        )
        .into());
    }
    cluster.cloud_verify_code(&id, &digits).await?;
    Ok(success())
}

/// `backup: {"data", "password"}` of a migration, opened (the key derivation off the async
/// workers).
async fn open_backup(params: &Params) -> Result<Option<backup::Payload>, Error> {
    let Some(object) = params.object("backup")? else {
        return Ok(None);
    };
    let text = |name: &str| {
        object
            .get(name)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| {
                invalid(
                    "backup",
                    format!("Param backup must have {name}, a non-empty string (backup: {{\"data\": …, \"password\": …}})"),
                )
            })
    };
    let (data, password) = (text("data")?, text("password")?);
    if let Some(other) = object.keys().find(|k| *k != "data" && *k != "password") {
        return Err(invalid(
            "backup",
            format!("Param backup takes data and password only (got {other})"),
        ));
    }
    let opened = tokio::task::spawn_blocking(move || backup::open(&data, &password))
        .await
        .map_err(|e| Error::Storage(format!("backup task: {e}")))?;
    opened.map(Some).map_err(|e| match e {
        backup::OpenError::Format => invalid(
            "backup_unreadable",
            "backup.data is not a backup of an On-Premises deployment (not base64, truncated or of another format): send data as POST /v1/settings/backup answered it",
        ),
        backup::OpenError::Authentication => invalid(
            "backup_password",
            "backup.password does not open backup.data (a wrong password, or the data was changed): send the password the backup was made with",
        ),
    })
}

/// `POST /{id}/register {"messaging_product": "whatsapp", "pin", "data_localization_region"?,
/// "backup"?}`.
pub async fn register(
    _: GraphToken,
    InCluster(cluster): InCluster,
    GraphId(id): GraphId,
    params: Params,
) -> Result<Reply, GraphError> {
    params.only(&[
        "pin",
        "data_localization_region",
        "backup",
        "tier",
        "meta_store_retention_minutes",
    ])?;
    match params.text("messaging_product")?.as_deref() {
        // Meta's description writes `whatsapp`, the register reference's enum `WHATSAPP`.
        Some(product) if product.eq_ignore_ascii_case("whatsapp") => {}
        Some(other) => {
            return Err(invalid(
                "messaging_product",
                format!("Param messaging_product must be whatsapp (got {other:?})"),
            )
            .into());
        }
        None => {
            return Err(Error::from(CloudError::MissingParameter {
                name: "messaging_product".into(),
            })
            .into());
        }
    }
    let pin = pin(&params)?;
    let region = params.text("data_localization_region")?;
    if let Some(region) = &region
        && !REGIONS.contains(&region.as_str())
    {
        return Err(invalid(
            "data_localization_region",
            format!(
                "Param data_localization_region must be one of the regions of Cloud API local storage, {} (got {region:?})",
                REGIONS.join(", ")
            ),
        )
        .into());
    }
    if let Some(tier) = params.text("tier")?
        && !matches!(tier.as_str(), "PROD" | "SANDBOX")
    {
        return Err(invalid(
            "tier",
            format!("Param tier must be one of {{PROD, SANDBOX}} (got {tier:?})"),
        )
        .into());
    }
    if let Some(minutes) = params.text("meta_store_retention_minutes")?
        && minutes != "60"
    {
        return Err(invalid(
            "meta_store_retention_minutes",
            format!("Param meta_store_retention_minutes must be 60 (got {minutes:?})"),
        )
        .into());
    }
    let backup = open_backup(&params).await?;
    cluster
        .cloud_register(
            &id,
            Registration {
                pin,
                region,
                backup,
            },
        )
        .await?;
    Ok(success())
}

/// `POST /{id}/deregister`.
pub async fn deregister(
    _: GraphToken,
    InCluster(cluster): InCluster,
    GraphId(id): GraphId,
    params: Params,
) -> Result<Reply, GraphError> {
    params.only(&[])?;
    cluster.cloud_deregister(&id).await?;
    Ok(success())
}
