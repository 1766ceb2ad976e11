//! `GET /_emulator/ui`: the web console, one page embedded in the binary (no build step, no
//! third-party code), live through `GET /_emulator/events`; every action it offers is a call of
//! the control API.

use crate::http::common::Reply;

/// The page.
const PAGE: &str = include_str!("console.html");

/// `GET /_emulator/ui`.
pub async fn page() -> Reply {
    Reply::html(PAGE)
}
