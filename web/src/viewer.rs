//! The JS-facing viewer: one environment, a random policy or the agent's replayed episodes,
//! and a canvas to draw on.

use crate::draw::{self, Pen};
use crate::rollout::{EpisodeInfo, Rollout};
use js_sys::{Object, Reflect};
use rlaif::env::registry;
use rlaif::experiment::{EpisodeRecording, ExperimentConfig};
use rlaif::feedback::{FeedbackMode, teacher};
use wasm_bindgen::prelude::*;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

/// Steps one environment with uniformly random legal actions and draws it.
#[wasm_bindgen]
pub struct Viewer {
    rollout: Rollout,
}

#[wasm_bindgen]
impl Viewer {
    /// Makes the environment `env_id`, reset with seed 0. An unknown id is a JS `Error`.
    #[wasm_bindgen(constructor)]
    pub fn new(env_id: &str) -> Result<Viewer, JsError> {
        let rollout = Rollout::new(env_id, 0).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(Viewer { rollout })
    }

    /// Every registered environment id, in display order.
    #[wasm_bindgen(js_name = envIds)]
    pub fn env_ids() -> Vec<String> {
        registry::ids()
    }

    /// The feedback modes, as `ExperimentConfig.feedback.mode` names them.
    #[wasm_bindgen(js_name = feedbackModes)]
    pub fn feedback_modes() -> Vec<String> {
        FeedbackMode::ALL
            .iter()
            .map(|m| m.name().to_string())
            .collect()
    }

    /// The built-in teachers that can judge `env_id`, its default first (may be empty).
    pub fn teachers(env_id: &str) -> Vec<String> {
        teacher::names_for(env_id)
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// The env's training preset as `ExperimentConfig` JSON (the page edits and sends it).
    pub fn preset(env_id: &str) -> Result<String, JsError> {
        ExperimentConfig::preset(env_id)
            .map(|c| c.to_json())
            .map_err(|e| JsError::new(&e.to_string()))
    }

    #[wasm_bindgen(getter, js_name = envId)]
    pub fn env_id(&self) -> String {
        self.rollout.id().to_string()
    }

    /// Reseeds the environment and the policy and starts episode 1.
    pub fn reset(&mut self, seed: u32) {
        self.rollout.reset(u64::from(seed));
    }

    /// Replays the training agent's episode (a worker `metrics` message's `episode`) once the
    /// current agent episode ends, or at once if the random policy is acting.
    pub fn replay(&mut self, seed: u64, actions: Vec<f32>, number: f64, episode_return: f64) {
        self.rollout.replay(EpisodeRecording {
            number: number as u64,
            seed,
            actions,
            episode_return,
        });
    }

    /// Takes one random action (restarting a finished episode first) and returns the episode
    /// info, as `info()` does.
    pub fn step(&mut self) -> Result<Object, JsError> {
        let info = self
            .rollout
            .step()
            .map_err(|e| JsError::new(&e.to_string()))?;
        Ok(info_object(&info))
    }

    /// `{ episode, steps, episodeReturn, reward, terminated, truncated, done, agent }`.
    pub fn info(&self) -> Object {
        info_object(&self.rollout.info())
    }

    /// Draws the current state, scaled to the canvas's pixel size.
    pub fn draw(&self, canvas: &HtmlCanvasElement) -> Result<(), JsValue> {
        let ctx = canvas
            .get_context("2d")?
            .ok_or_else(|| JsError::new("the canvas has no 2D context"))?
            .dyn_into::<CanvasRenderingContext2d>()?;
        let pen = Pen::new(ctx, f64::from(canvas.width()), f64::from(canvas.height()));
        draw::scene(&pen, &self.rollout.scene())
    }
}

/// A plain JS object, so the page needs no `free()` for per-step results.
fn info_object(info: &EpisodeInfo) -> Object {
    let obj = Object::new();
    let fields: [(&str, JsValue); 8] = [
        ("episode", info.episode.into()),
        ("steps", info.steps.into()),
        ("episodeReturn", info.episode_return.into()),
        ("reward", info.last_reward.into()),
        ("terminated", info.terminated.into()),
        ("truncated", info.truncated.into()),
        ("done", info.done().into()),
        ("agent", info.agent.into()),
    ];
    for (key, value) in fields {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&obj, &JsValue::from_str(key), &value);
    }
    obj
}
