//! The JS-facing viewer: one environment, a random policy, the agent's replayed episodes or a
//! person at the keyboard, a teacher's view of it, and a canvas to draw on.

use crate::controls;
use crate::draw::{self, Pen};
use crate::rollout::{EpisodeInfo, Rollout, TeacherReadout};
use js_sys::{Object, Reflect};
use rlaif::env::registry;
use rlaif::experiment::config::LESSONS;
use rlaif::experiment::{EpisodeRecording, ExperimentConfig, Settings};
use rlaif::feedback::demos::Demos;
use rlaif::feedback::{FeedbackMode, teacher};
use wasm_bindgen::prelude::*;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

/// Steps one environment with uniformly random legal actions and draws it.
#[wasm_bindgen]
pub struct Viewer {
    rollout: Rollout,
    /// What the teacher made of the state last drawn (when a teacher is set).
    readout: Option<TeacherReadout>,
}

#[wasm_bindgen]
impl Viewer {
    /// Makes the environment `env_id`, reset with seed 0. An unknown id is a JS `Error`.
    #[wasm_bindgen(constructor)]
    pub fn new(env_id: &str) -> Result<Viewer, JsError> {
        let rollout = Rollout::new(env_id, 0).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(Viewer {
            rollout,
            readout: None,
        })
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

    /// The lessons' ids (`static/presets/lessons/`), in the order the CLI lists them.
    pub fn lessons() -> Vec<String> {
        LESSONS.iter().map(|(id, _)| (*id).to_string()).collect()
    }

    /// Lesson `id`'s `ExperimentConfig` JSON (its `notes` say what it shows); an unknown id
    /// is an error.
    pub fn lesson(id: &str) -> Result<String, JsError> {
        ExperimentConfig::lesson(id)
            .map(|c| c.to_json())
            .map_err(|e| JsError::new(&e.to_string()))
    }

    /// The config a run starts from: `base` (`ExperimentConfig` JSON, a preset or a lesson)
    /// with `settings` (`Settings` JSON: the page's controls) on top, validated. An error
    /// names the setting and its range.
    #[wasm_bindgen(js_name = configWith)]
    pub fn config_with(base: &str, settings: &str) -> Result<String, JsError> {
        let base = ExperimentConfig::from_json(base).map_err(|e| JsError::new(&e.to_string()))?;
        Settings::from_json(settings)
            .and_then(|s| s.applied_to(&base))
            .map(|c| c.to_json())
            .map_err(|e| JsError::new(&e.to_string()))
    }

    /// Every setting of `config` (`ExperimentConfig` JSON) as `Settings` JSON: what the
    /// controls show when a lesson opens or a run is imported.
    #[wasm_bindgen(js_name = settingsOf)]
    pub fn settings_of(config: &str) -> Result<String, JsError> {
        ExperimentConfig::from_json(config)
            .map(|c| Settings::of(&c).to_json())
            .map_err(|e| JsError::new(&e.to_string()))
    }

    /// The largest files the page reads, in bytes (`rlaif::input`): `{ checkpoint, demos,
    /// labels }`. The page refuses a larger file before reading it.
    #[wasm_bindgen(js_name = fileLimits)]
    pub fn file_limits() -> Object {
        let limits = Object::new();
        for (key, bytes) in [
            ("checkpoint", rlaif::input::MAX_CHECKPOINT_BYTES),
            ("demos", rlaif::input::MAX_DEMOS_BYTES),
            ("labels", rlaif::input::MAX_LABELS_BYTES),
        ] {
            // Setting a property on a fresh plain object cannot fail.
            let _ = Reflect::set(&limits, &key.into(), &(bytes as f64).into());
        }
        limits
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

    /// Shows the newest agent episode now if one waits behind the agent episode playing.
    #[wasm_bindgen(js_name = skipAhead)]
    pub fn skip_ahead(&mut self) {
        self.rollout.skip_ahead();
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

    /// Draws the current state, scaled to the canvas's pixel size, with the teacher's value
    /// map on grid worlds when a teacher is set. The canvas is taken by value: a borrowed JS
    /// argument makes wasm-bindgen emit `table.fill`, which binaryen 116's wasm-opt cannot read.
    pub fn draw(&mut self, canvas: HtmlCanvasElement) -> Result<(), JsValue> {
        let ctx = canvas
            .get_context("2d")?
            .ok_or_else(|| JsError::new("the canvas has no 2D context"))?
            .dyn_into::<CanvasRenderingContext2d>()?;
        let pen = Pen::new(ctx, f64::from(canvas.width()), f64::from(canvas.height()));
        self.readout = self.rollout.teacher_readout();
        let values = self.readout.as_ref().and_then(|r| r.cell_values.as_deref());
        draw::scene_with_values(&pen, &self.rollout.scene(), values)
    }

    /// Lets a teacher judge what is drawn: a registry name, or `""` for the env's default.
    /// An unknown name, or an env without a teacher, is an error naming what exists.
    #[wasm_bindgen(js_name = setTeacher)]
    pub fn set_teacher(&mut self, name: &str) -> Result<(), JsError> {
        let name = (!name.is_empty()).then_some(name);
        self.rollout
            .set_teacher(name)
            .map_err(|e| JsError::new(&e.to_string()))
    }

    #[wasm_bindgen(js_name = clearTeacher)]
    pub fn clear_teacher(&mut self) {
        self.rollout.clear_teacher();
        self.readout = None;
    }

    /// What the teacher made of the state last drawn: `{ value, suggestion }` (the suggestion
    /// in words), or `undefined` without a teacher.
    pub fn teacher(&self) -> Option<Object> {
        let r = self.readout.as_ref()?;
        let discrete = !self.rollout.is_continuous();
        let text = suggestion(self.rollout.id(), &r.policy, discrete);
        Some(plain_object(&[
            ("value", r.value.into()),
            ("suggestion", text.into()),
            ("heatmap", r.cell_values.is_some().into()),
        ]))
    }

    /// The keys that play this env, as help lines like `"← turn left"`.
    pub fn keys(&self) -> Vec<String> {
        controls::bindings(self.rollout.id())
            .iter()
            .map(|b| format!("{} {}", b.shown, b.label))
            .collect()
    }

    /// Hands the env to a person from episode seed `seed` (see `humanKey`).
    #[wasm_bindgen(js_name = startHuman)]
    pub fn start_human(&mut self, seed: u32) {
        self.rollout.start_human(u64::from(seed));
    }

    /// Whether a person is playing.
    #[wasm_bindgen(getter)]
    pub fn human(&self) -> bool {
        self.rollout.is_human()
    }

    /// A person's key (`KeyboardEvent.key`): the step's info as `info()` gives it, or
    /// `undefined` for a key that does nothing in this env. A move the env does not allow
    /// (a full column) is an error saying so.
    #[wasm_bindgen(js_name = humanKey)]
    pub fn human_key(&mut self, key: &str) -> Result<Option<Object>, JsError> {
        let Some(binding) = controls::binding(self.rollout.id(), key) else {
            return Ok(None);
        };
        let info = self
            .rollout
            .human_step(binding.action)
            .map_err(|e| JsError::new(&format!("{}: {e}", binding.label)))?;
        Ok(Some(info_object(&info)))
    }

    /// The person's finished episodes as a demonstrations file (`static/demos/README.md`).
    #[wasm_bindgen(js_name = demosJson)]
    pub fn demos_json(&self) -> String {
        self.rollout.demos().to_json()
    }

    /// Adds the episodes of a demonstrations file (checked against the env); returns how many.
    /// A bad file is an error saying what is wrong with it.
    #[wasm_bindgen(js_name = addDemos)]
    pub fn add_demos(&mut self, json: &str) -> Result<u32, JsError> {
        let demos = Demos::from_json(json).map_err(|e| JsError::new(&e.to_string()))?;
        let added = self
            .rollout
            .add_demos(demos)
            .map_err(|e| JsError::new(&e.to_string()))?;
        Ok(u32::try_from(added).unwrap_or(u32::MAX))
    }

    #[wasm_bindgen(js_name = demoEpisodes)]
    pub fn demo_episodes(&self) -> u32 {
        u32::try_from(self.rollout.demos().episodes.len()).unwrap_or(u32::MAX)
    }

    #[wasm_bindgen(js_name = demoSteps)]
    pub fn demo_steps(&self) -> u32 {
        u32::try_from(self.rollout.demos().steps()).unwrap_or(u32::MAX)
    }

    #[wasm_bindgen(js_name = clearDemos)]
    pub fn clear_demos(&mut self) {
        self.rollout.clear_demos();
    }
}

/// The teacher's suggestion in words: the most likely discrete actions (`"forward"`, or
/// `"turn left or turn right (50% each)"`), or a continuous action's value.
pub fn suggestion(env_id: &str, policy: &[f32], discrete: bool) -> String {
    if !discrete {
        let values: Vec<String> = policy.iter().map(|a| format!("{a:+.2}")).collect();
        return format!("action {}", values.join(", "));
    }
    let best = policy.iter().copied().fold(0.0f32, f32::max);
    if best <= 0.0 {
        return "no move".into();
    }
    let top: Vec<String> = policy
        .iter()
        .enumerate()
        .filter(|(_, p)| **p >= best - 1e-6)
        .map(|(a, _)| match controls::action_label(env_id, a) {
            Some(label) => label.to_string(),
            None => format!("action {a}"),
        })
        .collect();
    let share = (best * 100.0).round();
    match top.len() {
        1 => format!("{} ({share}%)", top[0]),
        _ => format!("{} ({share}% each)", top.join(" or ")),
    }
}

/// A plain JS object with these fields.
fn plain_object(fields: &[(&str, JsValue)]) -> Object {
    let obj = Object::new();
    for (key, value) in fields {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&obj, &JsValue::from_str(key), value);
    }
    obj
}

/// A plain JS object, so the page needs no `free()` for per-step results.
fn info_object(info: &EpisodeInfo) -> Object {
    let obj = Object::new();
    let fields: [(&str, JsValue); 9] = [
        ("episode", info.episode.into()),
        ("steps", info.steps.into()),
        ("episodeReturn", info.episode_return.into()),
        ("reward", info.last_reward.into()),
        ("terminated", info.terminated.into()),
        ("truncated", info.truncated.into()),
        ("done", info.done().into()),
        ("agent", info.agent.into()),
        ("human", info.human.into()),
    ];
    for (key, value) in fields {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&obj, &JsValue::from_str(key), &value);
    }
    obj
}

#[cfg(test)]
mod tests {
    use super::suggestion;

    #[test]
    fn suggestions_name_the_best_actions() {
        let grid = "Grid-DoorKey-8x8-v0";
        assert_eq!(
            suggestion(grid, &[0.0, 0.0, 1.0, 0.0, 0.0], true),
            "forward (100%)"
        );
        assert_eq!(
            suggestion(grid, &[0.5, 0.5, 0.0, 0.0, 0.0], true),
            "turn left or turn right (50% each)"
        );
        assert_eq!(suggestion(grid, &[0.0; 5], true), "no move");
        assert_eq!(suggestion("Nope-v0", &[0.2, 0.8], true), "action 1 (80%)");
        assert_eq!(suggestion("Pendulum-v1", &[-1.234], false), "action -1.23");
    }
}
