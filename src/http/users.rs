//! `/v1/users`: login, logout and user management.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use super::AppState;
use super::extract::{Admin, Auth, BasicAuth, Cluster, JsonBody, OptionalJsonBody, Username};
use crate::clock::vendor_timestamp;
use crate::envelope::{Empty, Reply};
use crate::error::ApiError;
use crate::request::Fields;

#[derive(Serialize)]
pub struct Users<T: Serialize> {
    users: [T; 1],
}

#[derive(Serialize)]
pub struct TokenItem {
    token: String,
    expires_after: String,
}

#[derive(Serialize)]
pub struct NameItem {
    username: String,
}

#[derive(Serialize)]
pub struct RoleItem {
    #[serde(rename = "ROLES")]
    roles: &'static str,
    username: String,
}

/// `POST /v1/users/login`: Basic credentials, optionally `{"new_password"}`.
pub async fn login(
    State(state): State<AppState>,
    Cluster(cluster): Cluster,
    credentials: BasicAuth,
    OptionalJsonBody(body): OptionalJsonBody,
) -> Result<Reply<Users<TokenItem>>, ApiError> {
    let new_password = match &body {
        Some(body) => Fields::new(body, &["new_password"])?.opt_str("new_password")?,
        None => None,
    };
    let issued = cluster
        .login(&credentials.username, &credentials.password, new_password)
        .await?;
    let item = TokenItem {
        token: issued.token,
        expires_after: vendor_timestamp(issued.expires_at),
    };
    Ok(Reply::new(
        StatusCode::OK,
        Users { users: [item] },
        &state.meta,
    ))
}

/// `POST /v1/users/logout`: revokes the token it is called with.
pub async fn logout(State(state): State<AppState>, auth: Auth) -> Result<Reply<Empty>, ApiError> {
    auth.cluster.logout(&auth.token).await?;
    Ok(Reply::empty(StatusCode::OK, &state.meta))
}

/// `POST /v1/users {"username", "password"}`: admin only.
pub async fn create(
    State(state): State<AppState>,
    Admin(auth): Admin,
    JsonBody(body): JsonBody,
) -> Result<Reply<Users<NameItem>>, ApiError> {
    let fields = Fields::new(&body, &["username", "password"])?;
    fields.require(&["username", "password"])?;
    let username = fields.str("username")?;
    auth.cluster
        .create_user(username, fields.str("password")?)
        .await?;
    let item = NameItem {
        username: username.to_owned(),
    };
    Ok(Reply::new(
        StatusCode::CREATED,
        Users { users: [item] },
        &state.meta,
    ))
}

/// `GET /v1/users/{username}`: admin only.
pub async fn read(
    State(state): State<AppState>,
    Admin(auth): Admin,
    Username(username): Username,
) -> Result<Reply<Users<RoleItem>>, ApiError> {
    let role = auth.cluster.user_role(&username)?;
    let item = RoleItem {
        roles: role.as_str(),
        username,
    };
    Ok(Reply::new(
        StatusCode::OK,
        Users { users: [item] },
        &state.meta,
    ))
}

/// `PUT /v1/users/{username} {"password"}`: admin only.
pub async fn update(
    State(state): State<AppState>,
    Admin(auth): Admin,
    Username(username): Username,
    JsonBody(body): JsonBody,
) -> Result<Reply<Users<NameItem>>, ApiError> {
    let fields = Fields::new(&body, &["password"])?;
    fields.require(&["password"])?;
    auth.cluster
        .set_password(&username, fields.str("password")?)
        .await?;
    Ok(Reply::new(
        StatusCode::OK,
        Users {
            users: [NameItem { username }],
        },
        &state.meta,
    ))
}

/// `DELETE /v1/users/{username}`: admin only; `admin` itself cannot be deleted.
pub async fn delete(
    State(state): State<AppState>,
    Admin(auth): Admin,
    Username(username): Username,
) -> Result<Reply<Users<NameItem>>, ApiError> {
    auth.cluster.delete_user(&username).await?;
    Ok(Reply::new(
        StatusCode::OK,
        Users {
            users: [NameItem { username }],
        },
        &state.meta,
    ))
}
