//! Messages between the page and the worker (plain JS objects).
//!
//! Page to worker: `{ type: "train", envId, seed, maxUpdates }` and `{ type: "stop" }`.
//! Worker to page: `ready`, `device` (backend and device name), `status` (text to show),
//! `metrics` (totals, means and the returns of episodes that just ended), `done`
//! (`reason`: finished or stopped) and `error` (`stage`: request, device or train).

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::DedicatedWorkerGlobalScope;

pub struct TrainRequest {
    pub env_id: String,
    pub seed: u64,
    /// The run stops after this many PPO updates (or at the preset's total steps).
    pub max_updates: u64,
}

pub enum Request {
    Train(TrainRequest),
    Stop,
}

impl Request {
    /// Reads a message from the page; anything malformed is an error message, not a panic.
    pub fn parse(data: &JsValue) -> Result<Request, String> {
        let field = |name: &str| Reflect::get(data, &JsValue::from_str(name)).ok();
        let kind = field("type").and_then(|v| v.as_string());
        match kind.as_deref() {
            Some("stop") => Ok(Request::Stop),
            Some("train") => {
                let env_id = field("envId")
                    .and_then(|v| v.as_string())
                    .ok_or("train: envId must be a string")?;
                let number = |name: &str, default: f64| {
                    field(name)
                        .and_then(|v| v.as_f64())
                        .filter(|x| x.is_finite() && *x >= 0.0)
                        .unwrap_or(default)
                };
                Ok(Request::Train(TrainRequest {
                    env_id,
                    seed: number("seed", 1.0) as u64,
                    max_updates: number("maxUpdates", f64::from(u32::MAX)) as u64,
                }))
            }
            _ => Err("unknown message: expected type 'train' or 'stop'".into()),
        }
    }
}

/// Posts `{ key: value, ... }` to the page.
pub fn post(fields: &[(&str, JsValue)]) {
    let message = Object::new();
    for (key, value) in fields {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&message, &JsValue::from_str(key), value);
    }
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    // Posting plain objects cannot fail to clone.
    let _ = scope.post_message(&message);
}
