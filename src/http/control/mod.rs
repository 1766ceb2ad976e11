//! The control API's handlers (`/_emulator`): what tests use to see and steer the emulator. None
//! of it exists on the real API.

pub mod clusters;
pub mod console;
pub mod events;
pub mod front;
pub mod steering;
