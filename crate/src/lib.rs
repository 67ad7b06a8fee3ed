//! RLAIF Playground core: environments with Gymnasium semantics, and (in later modules)
//! agents, AI feedback and experiments. Nothing here knows about the web, so everything is
//! testable with plain `cargo test` and compiles unchanged to wasm32.

pub mod env;
pub mod replay;
