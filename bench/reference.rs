//! The reference server of the benchmark: the ceiling. A minimal axum program that answers
//! every request (the benchmark sends it `POST /v1/account`) with a fixed 202 body, on tokio's
//! multi-thread runtime like the emulator (pinned to one core, both get one worker).
//! Usage: `reference ADDR`.

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

const BODY: &str =
    r#"{"account":[{"vname":"Acme"}],"meta":{"api_status":"stable","version":"v2.45.1"}}"#;

async fn fixed() -> impl IntoResponse {
    (
        StatusCode::ACCEPTED,
        [(header::CONTENT_TYPE, "application/json")],
        BODY,
    )
}

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9099".into());
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let listener = tokio::net::TcpListener::bind(&addr).await?;
            println!("listening on {}", listener.local_addr()?);
            axum::serve(listener, Router::new().fallback(fixed)).await
        })
}
