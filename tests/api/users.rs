//! User management (CONTRACT §2).

use serde_json::json;

use crate::helpers::{TestApp, config};

#[tokio::test]
async fn admin_creates_reads_updates_and_deletes_a_user() {
    let app = TestApp::spawn(config()).await;
    let admin = app.admin_token().await;

    let created = app
        .post(
            "/users",
            &admin,
            json!({"username": "alice", "password": "Al1ce!pass"}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["users"], json!([{"username": "alice"}]));

    let duplicate = app
        .post(
            "/users",
            &admin,
            json!({"username": "alice", "password": "Al1ce!pass"}),
        )
        .await;
    duplicate.assert_error(500, 1014, "Unable to create user. Already exist?");
    assert_eq!(duplicate.error().1, "Internal error");

    let read = app.get("/users/alice", &admin).await;
    assert_eq!(read.status, 200);
    assert_eq!(
        read.body["users"],
        json!([{"ROLES": "ROLE_USER", "username": "alice"}])
    );
    let admin_role = app.get("/users/admin", &admin).await;
    assert_eq!(admin_role.body["users"][0]["ROLES"], "ROLE_ADMIN");

    let alice = app.login_with("alice", "Al1ce!pass", None).await;
    let alice_token = alice.body["users"][0]["token"].as_str().unwrap().to_owned();

    let updated = app
        .send(
            app.client
                .put(app.url("/users/alice"))
                .bearer_auth(&admin)
                .json(&json!({"password": "N3w!alice"})),
        )
        .await;
    assert_eq!(updated.status, 200, "{:?}", updated.body);
    app.login_with("alice", "Al1ce!pass", None)
        .await
        .assert_error(401, 1005, "password");
    assert_eq!(app.login_with("alice", "N3w!alice", None).await.status, 200);

    let deleted = app.delete("/users/alice", &admin).await;
    assert_eq!(deleted.status, 200);
    // The deleted user's tokens stop working and the user is gone.
    app.get("/health", &alice_token)
        .await
        .assert_error(401, 1005, "token");
    app.get("/users/alice", &admin)
        .await
        .assert_error(404, 1006, "alice");
    app.login_with("alice", "N3w!alice", None)
        .await
        .assert_error(401, 1005, "password");
}

#[tokio::test]
async fn user_validation_names_the_field() {
    let app = TestApp::spawn(config()).await;
    let admin = app.admin_token().await;
    let cases = [
        (json!({"password": "Al1ce!pass"}), 1008, "username"),
        (json!({"username": "alice"}), 1008, "password"),
        (
            json!({"username": "abc", "password": "Al1ce!pass"}),
            1009,
            "username",
        ),
        (
            json!({"username": "a".repeat(33), "password": "Al1ce!pass"}),
            1009,
            "username",
        ),
        (
            json!({"username": "alice", "password": "short"}),
            1009,
            "password",
        ),
        (
            json!({"username": "alice", "password": "nodigits!A"}),
            1009,
            "password",
        ),
        (
            json!({"username": 42, "password": "Al1ce!pass"}),
            1009,
            "username",
        ),
        (
            json!({"username": "alice", "password": "Al1ce!pass", "role": "admin"}),
            1010,
            "role",
        ),
    ];
    for (body, code, field) in cases {
        app.post("/users", &admin, body)
            .await
            .assert_error(400, code, field);
    }
}

#[tokio::test]
async fn admin_cannot_be_deleted_and_unknown_users_are_404() {
    let app = TestApp::spawn(config()).await;
    let admin = app.admin_token().await;
    let answer = app.delete("/users/admin", &admin).await;
    answer.assert_error(403, 1005, "admin");
    assert_eq!(app.get("/health", &admin).await.status, 200);
    app.delete("/users/ghost", &admin)
        .await
        .assert_error(404, 1006, "ghost");
    app.send(
        app.client
            .put(app.url("/users/ghost"))
            .bearer_auth(&admin)
            .json(&json!({"password": "Gh0st!pass"})),
    )
    .await
    .assert_error(404, 1006, "ghost");
}
