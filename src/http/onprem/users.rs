//! `/v1/users`: login, logout and user management.

use http::StatusCode;
use serde::Serialize;

use crate::domain::Error;
use crate::domain::clock::vendor_timestamp;
use crate::domain::request::Fields;
use crate::http::call::{Answer, Call};
use crate::http::envelope::Reply;

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
pub fn login<'c>(call: &'c Call<'c>) -> Answer<'c> {
    Box::pin(async move {
        let fields = Fields::new(call.object(), &["new_password"])?;
        let new_password = fields.opt_str("new_password")?;
        // The route takes Basic credentials: the application read them before calling.
        let Some(credentials) = call.credentials.as_ref() else {
            return Err(Error::Unauthenticated {
                rule: "missing_credentials",
                message: "Authorization: Basic base64(username:password) is required",
            }
            .into());
        };
        let issued = call
            .cluster
            .login(credentials.username(), credentials.password(), new_password)
            .await?;
        let item = TokenItem {
            token: issued.token,
            expires_after: vendor_timestamp(issued.expires_at),
        };
        Ok(users(StatusCode::OK, item))
    })
}

/// `POST /v1/users/logout`: revokes the token it is called with.
pub fn logout<'c>(call: &'c Call<'c>) -> Answer<'c> {
    Box::pin(async move {
        call.cluster.logout(call.token.unwrap_or_default()).await?;
        Ok(Reply::empty(StatusCode::OK))
    })
}

/// `POST /v1/users {"username", "password"}`: admin only.
pub fn create<'c>(call: &'c Call<'c>) -> Answer<'c> {
    Box::pin(async move {
        let fields = Fields::new(call.object(), &["username", "password"])?;
        fields.require(&["username", "password"])?;
        let username = fields.str("username")?;
        call.cluster
            .create_user(username, fields.str("password")?)
            .await?;
        Ok(users(StatusCode::CREATED, NameItem { username }))
    })
}

/// `GET /v1/users/{username}`: admin only.
pub fn read<'c>(call: &'c Call<'c>) -> Answer<'c> {
    Box::pin(async move {
        let username = call.username();
        let role = call.cluster.user_role(username)?;
        let item = RoleItem {
            roles: role.as_str(),
            username,
        };
        Ok(users(StatusCode::OK, item))
    })
}

/// `PUT /v1/users/{username} {"password"}`: admin only.
pub fn update<'c>(call: &'c Call<'c>) -> Answer<'c> {
    Box::pin(async move {
        let fields = Fields::new(call.object(), &["password"])?;
        fields.require(&["password"])?;
        let username = call.username();
        call.cluster
            .set_password(username, fields.str("password")?)
            .await?;
        Ok(users(StatusCode::OK, NameItem { username }))
    })
}

/// `DELETE /v1/users/{username}`: admin only; `admin` itself cannot be deleted.
pub fn delete<'c>(call: &'c Call<'c>) -> Answer<'c> {
    Box::pin(async move {
        let username = call.username();
        call.cluster.delete_user(username).await?;
        Ok(users(StatusCode::OK, NameItem { username }))
    })
}
