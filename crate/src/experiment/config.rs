//! `ExperimentConfig`: everything that defines a run, as JSON.
//!
//! Per-env presets live in `static/presets/<env-id>.json`, the one source of truth for the
//! CLI and the page; the built-in ones are compiled in so the wasm build has them too.

use crate::agent::PpoConfig;
use crate::env::registry::{self, Family};
use crate::feedback::FeedbackConfig;
use serde::{Deserialize, Serialize};

/// A run: which env, how long, how many envs, and the PPO hyperparameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentConfig {
    pub env_id: String,
    /// Any `u64`.
    #[serde(default)]
    pub seed: u64,
    /// Environment steps to train for (all envs together), 1 to [`MAX_TOTAL_STEPS`].
    pub total_steps: u64,
    /// Envs stepped together; every rollout step is one batched forward for all of them.
    /// 1 to [`MAX_N_ENVS`], and `n_envs * ppo.n_steps` at most [`MAX_ROLLOUT_TRANSITIONS`]
    /// (the trainer also keeps the rollout buffer within [`MAX_ROLLOUT_FLOATS`] floats).
    pub n_envs: usize,
    /// Normalise observations with running statistics (control tasks).
    #[serde(default)]
    pub normalize_obs: bool,
    /// Mean return over the last 20 episodes that counts as solved, any finite number;
    /// `None` uses the env's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reward_threshold: Option<f64>,
    #[serde(default)]
    pub ppo: PpoConfig,
    /// AI feedback blended into the env reward; none by default.
    /// Written whenever a knob is set, so that an env's preset keeps the preference knobs
    /// its lesson tuned (the page reads presets as JSON) while training plain PPO.
    #[serde(default, skip_serializing_if = "FeedbackConfig::is_default")]
    pub feedback: FeedbackConfig,
    /// Seeds a live run trains side by side (`seed`, `seed + 1`, ...), 1 to [`MAX_SEEDS`]:
    /// the page draws their mean return with a min-max band, so a lesson shows whether
    /// feedback wins on more than one lucky seed. `rlaif train` trains `seed` alone
    /// (`rlaif sweep --seeds` runs many).
    #[serde(default = "one_seed", skip_serializing_if = "is_one_seed")]
    pub seeds: u32,
    /// A lesson's title: one line, at most [`MAX_TITLE_CHARS`] characters, naming what it
    /// shows (the page's lesson list reads it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Free text: what to watch and try, and where the numbers come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// The most seeds a live run trains side by side.
pub const MAX_SEEDS: u32 = 8;

fn one_seed() -> u32 {
    1
}

fn is_one_seed(n: &u32) -> bool {
    *n == 1
}

/// The longest lesson title, in characters.
pub const MAX_TITLE_CHARS: usize = 120;

/// The longest run, in env steps: 10^12 is far beyond any run this tool can finish, and
/// keeps step counts and their sums well inside `u64`.
pub const MAX_TOTAL_STEPS: u64 = 1_000_000_000_000;

/// The most envs stepped together (the page offers 64; the presets use at most 16).
pub const MAX_N_ENVS: usize = 1024;

/// Transitions in one rollout (`n_envs * ppo.n_steps`) at most: 2^20.
pub const MAX_ROLLOUT_TRANSITIONS: usize = 1 << 20;

/// Floats one rollout buffer may hold (transitions times the values each stores: the
/// observation, the action, its mask and advice): 2^26 `f32`s, 256 MiB, so that a config
/// cannot ask the trainer for more memory than a browser tab has.
pub const MAX_ROLLOUT_FLOATS: usize = 1 << 26;

/// Why a config was rejected.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ConfigError {
    #[error("bad experiment config JSON: {0}")]
    Json(String),
    #[error("bad experiment config: {0}")]
    Invalid(String),
}

/// The built-in presets, by env id.
const PRESETS: &[(&str, &str)] = &[
    (
        "CartPole-v1",
        include_str!("../../../static/presets/CartPole-v1.json"),
    ),
    (
        "Acrobot-v1",
        include_str!("../../../static/presets/Acrobot-v1.json"),
    ),
    (
        "MountainCar-v0",
        include_str!("../../../static/presets/MountainCar-v0.json"),
    ),
    (
        "MountainCarContinuous-v0",
        include_str!("../../../static/presets/MountainCarContinuous-v0.json"),
    ),
    (
        "Pendulum-v1",
        include_str!("../../../static/presets/Pendulum-v1.json"),
    ),
    (
        "Grid-Empty-8x8-v0",
        include_str!("../../../static/presets/Grid-Empty-8x8-v0.json"),
    ),
    (
        "Grid-DoorKey-8x8-v0",
        include_str!("../../../static/presets/Grid-DoorKey-8x8-v0.json"),
    ),
    (
        "MiniGrid-DoorKey-8x8-v0",
        include_str!("../../../static/presets/MiniGrid-DoorKey-8x8-v0.json"),
    ),
    (
        "ConnectFour-v0",
        include_str!("../../../static/presets/ConnectFour-v0.json"),
    ),
    (
        "TicTacToe-v0",
        include_str!("../../../static/presets/TicTacToe-v0.json"),
    ),
];

/// Feedback lessons: presets with a teacher, each showing one thing feedback does
/// (`static/presets/lessons/`), by name.
pub const LESSONS: &[(&str, &str)] = &[
    (
        "empty-your-labels",
        include_str!("../../../static/presets/lessons/empty-your-labels.json"),
    ),
    (
        "doorkey-your-labels",
        include_str!("../../../static/presets/lessons/doorkey-your-labels.json"),
    ),
    (
        "empty-reward-hacking",
        include_str!("../../../static/presets/lessons/empty-reward-hacking.json"),
    ),
    (
        "mountaincar-your-labels",
        include_str!("../../../static/presets/lessons/mountaincar-your-labels.json"),
    ),
    (
        "mountaincar-direct",
        include_str!("../../../static/presets/lessons/mountaincar-direct.json"),
    ),
    (
        "empty-wrong-teacher-shaping",
        include_str!("../../../static/presets/lessons/empty-wrong-teacher-shaping.json"),
    ),
    (
        "empty-wrong-teacher-direct",
        include_str!("../../../static/presets/lessons/empty-wrong-teacher-direct.json"),
    ),
    (
        "doorkey-preference",
        include_str!("../../../static/presets/lessons/doorkey-preference.json"),
    ),
    (
        "lavacrossing-noisy-labeler",
        include_str!("../../../static/presets/lessons/lavacrossing-noisy-labeler.json"),
    ),
    (
        "connectfour-alpha-beta",
        include_str!("../../../static/presets/lessons/connectfour-alpha-beta.json"),
    ),
    (
        "doorkey-your-demonstrations",
        include_str!("../../../static/presets/lessons/doorkey-your-demonstrations.json"),
    ),
];

impl ExperimentConfig {
    /// The lesson `id`'s config (one of [`LESSONS`]); an unknown id is an error naming them.
    pub fn lesson(id: &str) -> Result<Self, ConfigError> {
        match LESSONS.iter().find(|(name, _)| *name == id) {
            Some((_, text)) => Self::from_json(text),
            None => Err(ConfigError::Invalid(format!(
                "unknown lesson {id:?}: expected one of {}",
                LESSONS
                    .iter()
                    .map(|(name, _)| *name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }
}

/// Refuses config-like JSON (`what`: a config, settings) over
/// [`crate::input::MAX_CONFIG_BYTES`] before parsing it.
pub(crate) fn check_size(text: &str, what: &str) -> Result<(), ConfigError> {
    if text.len() as u64 > crate::input::MAX_CONFIG_BYTES {
        return Err(ConfigError::Invalid(format!(
            "the {what} is {} bytes, more than the {} it may be",
            text.len(),
            crate::input::MAX_CONFIG_BYTES
        )));
    }
    Ok(())
}

/// The fallback for envs without a preset of their own.
const DEFAULT_PRESET: &str = include_str!("../../../static/presets/default.json");
/// The preset of MiniGrid ids without one of their own.
const MINIGRID_PRESET: &str = include_str!("../../../static/presets/minigrid.json");

impl ExperimentConfig {
    /// Parses and validates a config.
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        check_size(text, "config")?;
        let config: Self =
            serde_json::from_str(text).map_err(|e| ConfigError::Json(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The built-in preset for `env_id`; else its family's (MiniGrid), or the default preset,
    /// with `env_id` filled in.
    pub fn preset(env_id: &str) -> Result<Self, ConfigError> {
        if let Some((_, text)) = PRESETS.iter().find(|(id, _)| *id == env_id) {
            return Self::from_json(text);
        }
        let family = registry::entry(env_id).map(|e| e.family);
        let text = match family {
            Some(Family::MiniGrid) => MINIGRID_PRESET,
            _ => DEFAULT_PRESET,
        };
        let mut c: Self =
            serde_json::from_str(text).map_err(|e| ConfigError::Json(e.to_string()))?;
        c.env_id = env_id.to_string();
        c.validate()?;
        Ok(c)
    }

    /// Ids with a preset of their own.
    pub fn preset_ids() -> impl Iterator<Item = &'static str> {
        PRESETS.iter().map(|(id, _)| *id)
    }

    /// Range checks that serde cannot express (the ranges are on the fields' docs).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError::Invalid(m));
        if self.env_id.is_empty() {
            return bad("env_id is empty".into());
        }
        if let Some(title) = &self.title
            && (title.chars().count() > MAX_TITLE_CHARS || title.contains('\n'))
        {
            return bad(format!(
                "title must be one line of at most {MAX_TITLE_CHARS} characters, got {} \
                 characters",
                title.chars().count()
            ));
        }
        if !(1..=MAX_SEEDS).contains(&self.seeds) {
            return bad(format!(
                "seeds must be 1 to {MAX_SEEDS}, got {}",
                self.seeds
            ));
        }
        if !(1..=MAX_N_ENVS).contains(&self.n_envs) {
            return bad(format!(
                "n_envs must be 1 to {MAX_N_ENVS}, got {}",
                self.n_envs
            ));
        }
        Self::check_total_steps(self.total_steps)?;
        if let Some(t) = self.reward_threshold
            && !t.is_finite()
        {
            return bad(format!("reward_threshold must be a finite number, got {t}"));
        }
        self.ppo.validate().map_err(ConfigError::Invalid)?;
        match self.n_envs.checked_mul(self.ppo.n_steps) {
            Some(rows) if rows <= MAX_ROLLOUT_TRANSITIONS => {}
            _ => {
                return bad(format!(
                    "n_envs * ppo.n_steps must be at most {MAX_ROLLOUT_TRANSITIONS} transitions \
                     per rollout, got {} * {}",
                    self.n_envs, self.ppo.n_steps
                ));
            }
        }
        self.feedback.validate().map_err(ConfigError::Invalid)
    }

    /// `total_steps` must be 1 to [`MAX_TOTAL_STEPS`] (also when a resumed run is extended).
    pub fn check_total_steps(total_steps: u64) -> Result<(), ConfigError> {
        if (1..=MAX_TOTAL_STEPS).contains(&total_steps) {
            Ok(())
        } else {
            Err(ConfigError::Invalid(format!(
                "total_steps must be 1 to {MAX_TOTAL_STEPS}, got {total_steps}"
            )))
        }
    }

    /// Transitions per rollout (within [`MAX_ROLLOUT_TRANSITIONS`] for a valid config).
    pub fn batch_size(&self) -> usize {
        self.n_envs.saturating_mul(self.ppo.n_steps)
    }

    /// Updates in the whole run (the learning-rate schedule's length).
    pub fn total_updates(&self) -> u64 {
        self.total_steps.div_ceil(self.batch_size() as u64).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_preset_parses_and_names_its_env() {
        for (id, text) in PRESETS {
            let c = ExperimentConfig::from_json(text).unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(&c.env_id, id);
            assert!(crate::env::registry::ids().iter().any(|x| x == id), "{id}");
        }
        let c = ExperimentConfig::preset("Grid-FourRooms-v0").unwrap();
        assert_eq!(c.env_id, "Grid-FourRooms-v0");
    }

    #[test]
    fn minigrid_ids_without_a_preset_take_the_familys_and_others_the_default() {
        let default: ExperimentConfig = serde_json::from_str(DEFAULT_PRESET).unwrap();
        let family: ExperimentConfig = serde_json::from_str(MINIGRID_PRESET).unwrap();
        assert_ne!(family.ppo, default.ppo);
        let c = ExperimentConfig::preset("MiniGrid-FourRooms-v0").unwrap();
        assert_eq!(c.env_id, "MiniGrid-FourRooms-v0");
        assert_eq!((c.ppo, c.total_steps), (family.ppo, family.total_steps));
        assert_eq!(c.reward_threshold, None);
        // An id with a preset of its own keeps it; another family's id gets the default.
        let own = ExperimentConfig::preset("MiniGrid-DoorKey-8x8-v0").unwrap();
        assert_eq!(own.reward_threshold, Some(0.9));
        let other = ExperimentConfig::preset("Grid-FourRooms-v0").unwrap();
        assert_eq!(other.ppo, default.ppo);
    }

    #[test]
    fn every_lesson_parses_and_its_teacher_exists() {
        assert!(LESSONS.len() >= 4);
        for (name, text) in LESSONS {
            let c = ExperimentConfig::from_json(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!c.feedback.is_none(), "{name} has no feedback");
            // The page lists lessons by title and shows their notes.
            assert!(c.title.as_deref().is_some_and(|t| !t.is_empty()), "{name}");
            assert!(c.notes.as_deref().is_some_and(|n| n.len() > 40), "{name}");
            crate::env::make(&c.env_id).unwrap_or_else(|e| panic!("{name}: {e}"));
            // A lesson on your demonstrations has no built-in teacher: the person records it.
            if c.feedback.teacher.as_deref() == Some(crate::feedback::demos::YOUR_DEMONSTRATIONS) {
                continue;
            }
            crate::feedback::teacher::make(c.feedback.teacher.as_deref(), &c.env_id)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn lessons_load_by_id_and_an_unknown_id_names_the_known_ones() {
        let lesson = ExperimentConfig::lesson("empty-reward-hacking").unwrap();
        assert_eq!(lesson.env_id, "Grid-Empty-8x8-v0");
        assert_eq!(lesson.feedback.preference.freeze_after, Some(50));
        let err = ExperimentConfig::lesson("no-such-lesson")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no-such-lesson") && err.contains("doorkey-preference"),
            "{err}"
        );
    }

    #[test]
    fn a_preference_lesson_and_its_envs_preset_share_the_preference_knobs() {
        // The env's preset is what the page and `rlaif train --feedback preference` start
        // from: it carries the lesson's tuned knobs, with the same PPO settings.
        for (name, text) in LESSONS {
            let lesson = ExperimentConfig::from_json(text).unwrap();
            if lesson.feedback.mode != crate::feedback::FeedbackMode::Preference
                || lesson.feedback.preference == Default::default()
                || *name == "doorkey-your-labels"
                || *name == "empty-reward-hacking"
            {
                // DoorKey's preset keeps the AI lesson's knobs; its person lesson, and the
                // reward-hacking lesson's deliberately exploitable model, the page loads as
                // lessons (`lesson=`).
                continue;
            }
            let preset = ExperimentConfig::preset(&lesson.env_id).unwrap();
            // Who labels is the page's choice (`labels=`), not the preset's.
            let mut knobs = lesson.feedback.preference;
            knobs.label_source = preset.feedback.preference.label_source;
            assert_eq!(preset.feedback.preference, knobs, "{name}");
            // The page reads the preset as JSON: the knobs survive it.
            let read = ExperimentConfig::from_json(&preset.to_json()).unwrap();
            assert_eq!(read.feedback.preference, knobs, "{name}");
            assert_eq!(preset.ppo, lesson.ppo, "{name}");
            assert!(
                preset.feedback.is_none(),
                "{name}: the env's preset trains plain PPO"
            );
        }
    }

    #[test]
    fn bad_preset_json_is_rejected_with_a_message() {
        let e = ExperimentConfig::from_json("{\"env_id\": \"CartPole-v1\"").unwrap_err();
        assert!(matches!(e, ConfigError::Json(_)), "{e}");
        let unknown = r#"{"env_id":"CartPole-v1","total_steps":10,"n_envs":1,"lr":3}"#;
        let e = ExperimentConfig::from_json(unknown).unwrap_err();
        assert!(e.to_string().contains("unknown field `lr`"), "{e}");
        let zero = r#"{"env_id":"CartPole-v1","total_steps":10,"n_envs":0}"#;
        let e = ExperimentConfig::from_json(zero).unwrap_err();
        assert!(e.to_string().contains("n_envs"), "{e}");
        let gamma = r#"{"env_id":"CartPole-v1","total_steps":10,"n_envs":1,"ppo":{"gamma":1.5}}"#;
        let e = ExperimentConfig::from_json(gamma).unwrap_err();
        assert!(e.to_string().contains("ppo.gamma"), "{e}");
        let act =
            r#"{"env_id":"CartPole-v1","total_steps":10,"n_envs":1,"ppo":{"activation":"gelu"}}"#;
        let e = ExperimentConfig::from_json(act).unwrap_err();
        assert!(e.to_string().contains("unknown variant `gelu`"), "{e}");
    }

    #[test]
    fn every_numeric_field_has_an_upper_bound_and_the_error_names_field_value_and_range() {
        let base = r#""env_id":"CartPole-v1","total_steps":10,"n_envs":1"#;
        for (fields, expected) in [
            (
                r#""env_id":"CartPole-v1","total_steps":10,"n_envs":100000"#,
                "n_envs must be 1 to 1024, got 100000",
            ),
            (
                r#""env_id":"CartPole-v1","total_steps":18446744073709551615,"n_envs":1"#,
                "total_steps must be 1 to 1000000000000, got 18446744073709551615",
            ),
            (
                r#""env_id":"CartPole-v1","total_steps":0,"n_envs":1"#,
                "total_steps must be 1 to 1000000000000, got 0",
            ),
            (
                &format!(r#"{base},"ppo":{{"n_steps":18446744073709551615}}"#),
                "ppo.n_steps must be 1 to 65536, got 18446744073709551615",
            ),
            (
                &format!(r#"{base},"ppo":{{"n_epochs":1000000}}"#),
                "ppo.n_epochs must be 1 to 100, got 1000000",
            ),
            (
                &format!(r#"{base},"ppo":{{"minibatch_size":0}}"#),
                "ppo.minibatch_size must be 1 to 1048576, got 0",
            ),
            (
                &format!(r#"{base},"ppo":{{"hidden":1099511627776}}"#),
                "ppo.hidden must be 1 to 1024, got 1099511627776",
            ),
            (
                &format!(r#"{base},"ppo":{{"layers":5000}}"#),
                "ppo.layers must be 0 to 8, got 5000",
            ),
            (
                &format!(r#"{base},"ppo":{{"ent_coef":1e30}}"#),
                "ppo.ent_coef must lie in [0, 10], got 1000000000000000000000000000000",
            ),
            (
                &format!(r#"{base},"ppo":{{"max_grad_norm":-1}}"#),
                "ppo.max_grad_norm must lie in [0, 1000], got -1",
            ),
            (
                &format!(r#"{base},"ppo":{{"adam_eps":2}}"#),
                "ppo.adam_eps must lie in [0, 1], got 2",
            ),
            (
                &format!(r#"{base},"ppo":{{"learning_rate":5}}"#),
                "ppo.learning_rate must lie in (0, 1], got 5",
            ),
            (
                &format!(r#"{base},"ppo":{{"init_log_std":700}}"#),
                "ppo.init_log_std must lie in [-20, 2], got 700",
            ),
            (
                r#""env_id":"CartPole-v1","total_steps":10,"n_envs":1024,"ppo":{"n_steps":65536}"#,
                "n_envs * ppo.n_steps must be at most 1048576 transitions per rollout, got 1024 * 65536",
            ),
            (
                &format!(r#"{base},"feedback":{{"preference":{{"hidden":1099511627776}}}}"#),
                "preference.hidden must be 1 to 1024, got 1099511627776",
            ),
            (
                &format!(r#"{base},"feedback":{{"preference":{{"segment_len":4294967296}}}}"#),
                "preference.segment_len must be 1 to 1000, got 4294967296",
            ),
            (
                &format!(r#"{base},"feedback":{{"preference":{{"labels_per_update":1000000}}}}"#),
                "preference.labels_per_update must be 0 to 10000, got 1000000",
            ),
            (
                &format!(r#"{base},"feedback":{{"preference":{{"initial_labels":1000000}}}}"#),
                "preference.initial_labels must be 0 to 10000, got 1000000",
            ),
            (
                &format!(r#"{base},"feedback":{{"preference":{{"label_budget":1000000000}}}}"#),
                "preference.label_budget must be 0 to 100000, got 1000000000",
            ),
            (
                &format!(r#"{base},"feedback":{{"preference":{{"epochs":1000000000}}}}"#),
                "preference.epochs must be 1 to 100, got 1000000000",
            ),
            (
                &format!(
                    r#"{base},"feedback":{{"preference":{{"min_gradient_steps":1000000000}}}}"#
                ),
                "preference.min_gradient_steps must be 0 to 100000, got 1000000000",
            ),
            (
                &format!(r#"{base},"feedback":{{"preference":{{"learning_rate":5}}}}"#),
                "(preference.learning_rate) must lie in (0, 1], got 5",
            ),
            (
                &format!(r#"{base},"feedback":{{"preference":{{"smoothness":1e9}}}}"#),
                "(preference.smoothness) must lie in [0, 1000], got 1000000000",
            ),
        ] {
            let text = format!("{{{fields}}}");
            let e = ExperimentConfig::from_json(&text).unwrap_err().to_string();
            assert!(
                e.starts_with("bad experiment config: ") && e.ends_with(expected),
                "{text}: {e}"
            );
        }
    }

    #[test]
    fn the_trainer_keeps_the_rollout_buffer_within_its_memory_budget() {
        use crate::experiment::Trainer;
        let device = crate::backend::CpuBackend::NdArray.device();
        // 1024 * 1024 transitions are within the config's bound, but of 397-value grid
        // observations they need about 2^28.7 floats.
        let mut c = ExperimentConfig::preset("Grid-Empty-8x8-v0").unwrap();
        c.n_envs = 1024;
        c.ppo.n_steps = 1024;
        c.validate().unwrap();
        let Err(e) = Trainer::new(c, &device) else {
            panic!("a rollout of 2^20 grid transitions was allocated");
        };
        assert_eq!(
            e.to_string(),
            "bad experiment config: n_envs * ppo.n_steps = 1024 * 1024 transitions of 403 values \
             each (Grid-Empty-8x8-v0) is more than the 67108864 floats a rollout buffer may \
             hold; lower n_envs or ppo.n_steps"
        );
    }

    #[test]
    fn a_run_cannot_be_set_to_zero_steps_or_beyond_the_bound() {
        use crate::experiment::Trainer;
        let device = crate::backend::CpuBackend::NdArray.device();
        let mut t =
            Trainer::new(ExperimentConfig::preset("CartPole-v1").unwrap(), &device).unwrap();
        let before = t.config().total_steps;
        for bad in [0, MAX_TOTAL_STEPS + 1] {
            let e = t.set_total_steps(bad).unwrap_err().to_string();
            assert_eq!(
                e,
                format!(
                    "bad experiment config: total_steps must be 1 to {MAX_TOTAL_STEPS}, got {bad}"
                )
            );
            assert_eq!(t.config().total_steps, before, "the run keeps its length");
        }
        t.set_total_steps(7).unwrap();
        assert_eq!(t.config().total_steps, 7);
    }

    #[test]
    fn activation_defaults_to_tanh_and_reads_relu() {
        use crate::agent::nets::Activation;
        let base = r#"{"env_id":"CartPole-v1","total_steps":10,"n_envs":1"#;
        let plain = ExperimentConfig::from_json(&format!("{base}}}")).unwrap();
        assert_eq!(plain.ppo.activation, Activation::Tanh);
        let relu = format!(r#"{base},"ppo":{{"activation":"relu"}}}}"#);
        let relu = ExperimentConfig::from_json(&relu).unwrap();
        assert_eq!(relu.ppo.activation, Activation::Relu);
        assert!(relu.to_json().contains("\"activation\": \"relu\""));
    }
}
