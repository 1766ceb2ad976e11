//! What talks to an emulator rather than serving one: the health probe of the binary's
//! `healthcheck` subcommand (for container health checks in images with no shell or curl).

pub mod healthcheck;
