//! Black-box and router-level tests of the emulator, one binary (see `helpers`).
//! Set `TEST_LOG=1` to see the emulator's logs.

mod account;
mod auth;
mod backup;
mod binary;
mod cloud;
mod clusters;
mod console;
mod control;
mod deployment;
mod durability;
mod envelope;
mod events;
mod graph;
mod helpers;
mod hostile;
mod invariants;
mod lifetime;
mod migration;
mod newcomer;
mod openapi;
mod panics;
mod paths;
mod properties;
mod readme;
mod readme_snippet;
mod robust;
mod scripted;
mod seeded;
mod stderr;
mod tls;
mod two_step;
mod unhappy;
mod users;
mod verification;
mod verify;
