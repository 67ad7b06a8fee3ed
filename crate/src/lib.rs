//! RLAIF Playground core: environments with Gymnasium semantics, a PPO agent in burn, and
//! the experiment runner the CLI and the page share. Nothing here knows about the web, so
//! everything is testable with plain `cargo test` and compiles unchanged to wasm32.

pub mod agent;
pub mod backend;
pub mod env;
pub mod experiment;
pub mod feedback;
pub mod input;
pub mod replay;
