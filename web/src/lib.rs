//! Browser front end: a thin wasm-bindgen layer over the rlaif core. [`Viewer`] steps one
//! environment with a random policy and draws its [`Scene`](rlaif::env::Scene) on a canvas;
//! [`Labeling`] shows pairs of segments for a person to compare with the AI labeler.

pub mod chart;
pub mod controls;
pub mod draw;
pub mod labeling;
pub mod random_policy;
pub mod rollout;
mod viewer;

pub use chart::Chart;
pub use labeling::Labeling;
pub use viewer::Viewer;

use wasm_bindgen::prelude::*;

/// Runs once when the module loads: Rust panics show up in the console with their message.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}
