//! The vendor API's handlers: `/v1` (and `/clusters/{cluster}/v1`), answered as the real
//! On-Premises API did.

pub mod account;
pub mod health;
pub mod settings;
pub mod users;

#[cfg(test)]
mod tests;
