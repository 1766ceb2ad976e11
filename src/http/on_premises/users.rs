//! `/v1/users`: login, logout and user management.

use http::StatusCode;
use serde::Serialize;

use crate::domain::clock::vendor_timestamp;
use crate::domain::request::Fields;
use crate::http::common::Reply;
use crate::http::common::error::ApiError;
use crate::http::common::extract::{BearerToken, Credentials, InCluster, JsonBody, Username};

#[derive(Serialize)]
struct Users<T: Serialize> {
    users: [T; 1],
}

#[derive(Serialize)]
struct TokenItem {
    token: String,
    expires_after: String,
}

#[derive(Serialize)]
struct NameItem<'a> {
    username: &'a str,
}

#[derive(Serialize)]
struct RoleItem<'a> {
    #[serde(rename = "ROLES")]
    roles: &'static str,
    username: &'a str,
}

fn users<T: Serialize>(status: StatusCode, item: T) -> Reply {
    Reply::vendor(status, &Users { users: [item] })
}

/// `POST /v1/users/login`: Basic credentials, optionally `{"new_password"}`.
pub async fn login(
    InCluster(cluster): InCluster,
    credentials: Credentials,
    body: JsonBody,
) -> Result<Reply, ApiError> {
    let fields = Fields::new(body.object(), &["new_password"])?;
    let new_password = fields.opt_str("new_password")?;
    let issued = cluster
        .login(credentials.username(), credentials.password(), new_password)
        .await?;
    let item = TokenItem {
        token: issued.token,
        expires_after: vendor_timestamp(issued.expires_at),
    };
    Ok(users(StatusCode::OK, item))
}

/// `POST /v1/users/logout`: revokes the token it is called with.
pub async fn logout(
    InCluster(cluster): InCluster,
    BearerToken(token): BearerToken,
) -> Result<Reply, ApiError> {
    cluster.logout(&token).await?;
    Ok(Reply::empty(StatusCode::OK))
}

/// `POST /v1/users {"username", "password"}`: admin only.
pub async fn create(InCluster(cluster): InCluster, body: JsonBody) -> Result<Reply, ApiError> {
    let fields = Fields::new(body.object(), &["username", "password"])?;
    fields.require(&["username", "password"])?;
    let username = fields.str("username")?;
    cluster
        .create_user(username, fields.str("password")?)
        .await?;
    Ok(users(StatusCode::CREATED, NameItem { username }))
}

/// `GET /v1/users/{username}`: admin only.
pub async fn read(
    InCluster(cluster): InCluster,
    Username(username): Username,
) -> Result<Reply, ApiError> {
    let role = cluster.user_role(&username)?;
    let item = RoleItem {
        roles: role.as_str(),
        username: &username,
    };
    Ok(users(StatusCode::OK, item))
}

/// `PUT /v1/users/{username} {"password"}`: admin only.
pub async fn update(
    InCluster(cluster): InCluster,
    Username(username): Username,
    body: JsonBody,
) -> Result<Reply, ApiError> {
    let fields = Fields::new(body.object(), &["password"])?;
    fields.require(&["password"])?;
    cluster
        .set_password(&username, fields.str("password")?)
        .await?;
    Ok(users(
        StatusCode::OK,
        NameItem {
            username: &username,
        },
    ))
}

/// `DELETE /v1/users/{username}`: admin only; `admin` itself cannot be deleted.
pub async fn delete(
    InCluster(cluster): InCluster,
    Username(username): Username,
) -> Result<Reply, ApiError> {
    cluster.delete_user(&username).await?;
    Ok(users(
        StatusCode::OK,
        NameItem {
            username: &username,
        },
    ))
}
