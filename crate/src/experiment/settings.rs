//! `Settings`: the knobs a person turns over a preset or a lesson, in one serde schema that
//! the page's controls and link, and the CLI's flags, both go through.
//!
//! A setting left out (`None`) keeps the base config's value, so a lesson's tuned knobs stay
//! unless a control or flag says otherwise. [`Settings::apply`] lays settings onto a config
//! and validates the result; [`Settings::of`] reads every setting back from a config (what
//! the page shows when it opens a lesson or imports a run).

use super::config::{ConfigError, ExperimentConfig};
use crate::feedback::config::{
    LabelSource, QuerySchedule, QuerySelection, RewardModelKind, RewardSign,
};
use crate::feedback::{FeedbackConfig, FeedbackMode, LambdaSchedule};
use serde::{Deserialize, Serialize};

/// Settings laid over an [`ExperimentConfig`]; every field is optional.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub env_id: Option<String>,
    pub seed: Option<u64>,
    /// Seeds trained side by side on the page.
    pub seeds: Option<u32>,
    pub total_steps: Option<u64>,
    pub n_envs: Option<usize>,
    /// PPO's learning rate.
    pub learning_rate: Option<f64>,
    /// The feedback mode. With `none` the other feedback settings are not applied (the base
    /// config's knobs stay, unused).
    pub feedback: Option<FeedbackMode>,
    /// A teacher name, `demo:FILE`, or `""` for the env's own teacher.
    pub teacher: Option<String>,
    pub lambda: Option<f64>,
    pub schedule: Option<Schedule>,
    pub labeler: LabelerSettings,
    pub preference: PreferenceSettings,
}

/// Lambda over the run, as a person sets it: a linear decay lasts the whole run unless its
/// `steps` say otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum Schedule {
    Constant,
    Linear {
        floor: f64,
        /// Env steps of the decay; `None`: the run's total steps.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        steps: Option<u64>,
    },
}

impl Schedule {
    /// Parses the CLI form: `constant`, `linear:FLOOR` (over the whole run) or
    /// `linear:FLOOR:STEPS`.
    pub fn parse(text: &str) -> Result<Self, String> {
        if let Some(floor) = text.strip_prefix("linear:")
            && !floor.contains(':')
        {
            let floor: f64 = floor.parse().map_err(|_| {
                format!("bad lambda schedule {text:?}: the floor {floor:?} is not a number")
            })?;
            return Ok(Schedule::Linear { floor, steps: None });
        }
        Ok(match LambdaSchedule::parse(text)? {
            LambdaSchedule::Constant => Schedule::Constant,
            LambdaSchedule::Linear { floor, steps } => Schedule::Linear {
                floor,
                steps: Some(steps),
            },
        })
    }

    /// The config's schedule for a run of `total_steps`.
    fn for_run(self, total_steps: u64) -> LambdaSchedule {
        match self {
            Schedule::Constant => LambdaSchedule::Constant,
            Schedule::Linear { floor, steps } => LambdaSchedule::Linear {
                floor,
                steps: steps.unwrap_or(total_steps),
            },
        }
    }
}

/// The AI labeler's knobs (B-Pref's simulated teacher).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LabelerSettings {
    /// Rationality; 0 is a rational labeler (always the better segment).
    pub beta: Option<f64>,
    pub mistake: Option<f64>,
    pub gamma: Option<f64>,
    /// Set only: a config's "never skip" has no setting.
    pub skip: Option<f64>,
    pub equal: Option<f64>,
}

/// The preference mode's knobs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PreferenceSettings {
    pub label_source: Option<LabelSource>,
    pub label_budget: Option<u64>,
    pub segment_len: Option<usize>,
    pub labels_per_update: Option<usize>,
    pub query_schedule: Option<QuerySchedule>,
    pub query_selection: Option<QuerySelection>,
    pub ensemble: Option<usize>,
    pub reward_sign: Option<RewardSign>,
    pub reward_model: Option<RewardModelKind>,
    /// Set only: a config's "as many as per update" has no setting.
    pub initial_labels: Option<usize>,
    pub min_gradient_steps: Option<usize>,
    pub label_noise: Option<f64>,
    pub smoothness: Option<f64>,
    /// Reward-model passes over the labels after each query round.
    pub epochs: Option<usize>,
    /// Freeze the reward model after this many labels; 0 never freezes.
    pub freeze_after: Option<u64>,
    /// The reward model's learning rate.
    pub learning_rate: Option<f64>,
}

/// Sets `target` to `value` when the setting is given.
fn set<T: Clone>(target: &mut T, value: &Option<T>) {
    if let Some(v) = value {
        *target = v.clone();
    }
}

impl Settings {
    /// Parses settings JSON (unknown keys are errors, naming the key).
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        super::config::check_size(text, "settings JSON")?;
        serde_json::from_str(text).map_err(|e| ConfigError::Json(e.to_string()))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// `base` with these settings on top, validated.
    pub fn applied_to(&self, base: &ExperimentConfig) -> Result<ExperimentConfig, ConfigError> {
        let mut config = base.clone();
        self.apply(&mut config)?;
        Ok(config)
    }

    /// Lays the given settings onto `config`, then validates it (an error names the field,
    /// the value and its range, as the config's own checks do).
    pub fn apply(&self, config: &mut ExperimentConfig) -> Result<(), ConfigError> {
        set(&mut config.env_id, &self.env_id);
        set(&mut config.seed, &self.seed);
        set(&mut config.seeds, &self.seeds);
        set(&mut config.total_steps, &self.total_steps);
        set(&mut config.n_envs, &self.n_envs);
        set(&mut config.ppo.learning_rate, &self.learning_rate);
        set(&mut config.feedback.mode, &self.feedback);
        if config.feedback.mode != FeedbackMode::None {
            self.apply_feedback(&mut config.feedback, config.total_steps);
        }
        config.validate()
    }

    fn apply_feedback(&self, fb: &mut FeedbackConfig, total_steps: u64) {
        if let Some(t) = &self.teacher {
            fb.teacher = (!t.is_empty()).then(|| t.clone());
        }
        set(&mut fb.lambda, &self.lambda);
        if let Some(s) = self.schedule {
            fb.schedule = s.for_run(total_steps);
        }
        let l = &self.labeler;
        if let Some(beta) = l.beta {
            fb.labeler.beta = (beta != 0.0).then_some(beta);
        }
        set(&mut fb.labeler.mistake, &l.mistake);
        set(&mut fb.labeler.gamma, &l.gamma);
        if let Some(skip) = l.skip {
            fb.labeler.skip = Some(skip);
        }
        set(&mut fb.labeler.equal, &l.equal);
        let (p, q) = (&self.preference, &mut fb.preference);
        set(&mut q.label_source, &p.label_source);
        set(&mut q.label_budget, &p.label_budget);
        set(&mut q.segment_len, &p.segment_len);
        set(&mut q.labels_per_update, &p.labels_per_update);
        set(&mut q.query_schedule, &p.query_schedule);
        set(&mut q.query_selection, &p.query_selection);
        set(&mut q.ensemble, &p.ensemble);
        set(&mut q.reward_sign, &p.reward_sign);
        set(&mut q.reward_model, &p.reward_model);
        if let Some(n) = p.initial_labels {
            q.initial_labels = Some(n);
        }
        set(&mut q.min_gradient_steps, &p.min_gradient_steps);
        set(&mut q.label_noise, &p.label_noise);
        set(&mut q.smoothness, &p.smoothness);
        set(&mut q.epochs, &p.epochs);
        if let Some(n) = p.freeze_after {
            q.freeze_after = (n != 0).then_some(n);
        }
        set(&mut q.learning_rate, &p.learning_rate);
    }

    /// Every setting as `config` has it: applying the result to any config of the same env
    /// gives `config`'s run (its title and notes aside).
    pub fn of(config: &ExperimentConfig) -> Self {
        let fb = &config.feedback;
        let (l, q) = (&fb.labeler, &fb.preference);
        Settings {
            env_id: Some(config.env_id.clone()),
            seed: Some(config.seed),
            seeds: Some(config.seeds),
            total_steps: Some(config.total_steps),
            n_envs: Some(config.n_envs),
            learning_rate: Some(config.ppo.learning_rate),
            feedback: Some(fb.mode),
            teacher: Some(fb.teacher.clone().unwrap_or_default()),
            lambda: Some(fb.lambda),
            schedule: Some(match fb.schedule {
                LambdaSchedule::Constant => Schedule::Constant,
                LambdaSchedule::Linear { floor, steps } => Schedule::Linear {
                    floor,
                    steps: Some(steps),
                },
            }),
            labeler: LabelerSettings {
                beta: Some(l.beta.unwrap_or(0.0)),
                mistake: Some(l.mistake),
                gamma: Some(l.gamma),
                skip: l.skip,
                equal: Some(l.equal),
            },
            preference: PreferenceSettings {
                label_source: Some(q.label_source),
                label_budget: Some(q.label_budget),
                segment_len: Some(q.segment_len),
                labels_per_update: Some(q.labels_per_update),
                query_schedule: Some(q.query_schedule),
                query_selection: Some(q.query_selection),
                ensemble: Some(q.ensemble),
                reward_sign: Some(q.reward_sign),
                reward_model: Some(q.reward_model),
                initial_labels: q.initial_labels,
                min_gradient_steps: Some(q.min_gradient_steps),
                label_noise: Some(q.label_noise),
                smoothness: Some(q.smoothness),
                epochs: Some(q.epochs),
                freeze_after: Some(q.freeze_after.unwrap_or(0)),
                learning_rate: Some(q.learning_rate),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doorkey() -> ExperimentConfig {
        ExperimentConfig::lesson("doorkey-preference").expect("lesson")
    }

    #[test]
    fn unset_settings_keep_the_base_config() {
        let base = doorkey();
        assert_eq!(Settings::default().applied_to(&base), Ok(base));
    }

    #[test]
    fn the_pages_settings_land_where_the_trainer_reads_them() {
        let base = doorkey();
        let settings = Settings::from_json(
            r#"{"seed": 7, "n_envs": 4, "learning_rate": 0.001, "feedback": "preference",
                "teacher": "demo:x", "lambda": 0.3,
                "schedule": {"kind": "linear", "floor": 0.1},
                "labeler": {"beta": 2, "mistake": 0.1},
                "preference": {"label_source": "both", "freeze_after": 30}}"#,
        )
        .expect("settings");
        let c = settings.applied_to(&base).expect("valid");
        assert_eq!((c.seed, c.n_envs, c.ppo.learning_rate), (7, 4, 0.001));
        let fb = &c.feedback;
        assert_eq!(fb.mode, FeedbackMode::Preference);
        assert_eq!(fb.teacher.as_deref(), Some("demo:x"));
        assert_eq!(fb.lambda, 0.3);
        // A linear decay without steps lasts the run.
        assert_eq!(
            fb.schedule,
            LambdaSchedule::Linear {
                floor: 0.1,
                steps: base.total_steps
            }
        );
        assert_eq!((fb.labeler.beta, fb.labeler.mistake), (Some(2.0), 0.1));
        assert_eq!(fb.preference.label_source, LabelSource::Both);
        assert_eq!(fb.preference.freeze_after, Some(30));
        // Knobs the settings leave out are the lesson's.
        assert_eq!(
            fb.preference.label_budget,
            base.feedback.preference.label_budget
        );
        assert_eq!(
            fb.preference.reward_model,
            base.feedback.preference.reward_model
        );
    }

    #[test]
    fn zero_means_off_for_beta_and_freezing_and_empty_is_the_default_teacher() {
        let mut base = doorkey();
        base.feedback.labeler.beta = Some(5.0);
        base.feedback.preference.freeze_after = Some(50);
        base.feedback.teacher = Some("inverted".into());
        let s = Settings {
            teacher: Some(String::new()),
            labeler: LabelerSettings {
                beta: Some(0.0),
                ..Default::default()
            },
            preference: PreferenceSettings {
                freeze_after: Some(0),
                ..Default::default()
            },
            ..Default::default()
        };
        let c = s.applied_to(&base).expect("valid");
        assert_eq!(c.feedback.teacher, None);
        assert_eq!(c.feedback.labeler.beta, None);
        assert_eq!(c.feedback.preference.freeze_after, None);
    }

    #[test]
    fn without_feedback_the_feedback_settings_are_not_applied() {
        let base = doorkey();
        let s = Settings {
            feedback: Some(FeedbackMode::None),
            teacher: Some("nonsense".into()),
            lambda: Some(7.0),
            ..Default::default()
        };
        let c = s
            .applied_to(&base)
            .expect("valid: the feedback knobs are ignored");
        assert_eq!(c.feedback.mode, FeedbackMode::None);
        assert_eq!(c.feedback.lambda, base.feedback.lambda);
        assert_eq!(c.feedback.teacher, base.feedback.teacher);
    }

    #[test]
    fn out_of_range_settings_are_refused_with_the_fields_name() {
        let base = doorkey();
        let bad = |json: &str| {
            let s = Settings::from_json(json).expect("parses");
            s.applied_to(&base).expect_err(json).to_string()
        };
        assert!(bad(r#"{"lambda": 1.5}"#).contains("lambda"));
        assert!(bad(r#"{"n_envs": 0}"#).contains("n_envs"));
        assert!(bad(r#"{"seeds": 0}"#).contains("seeds"));
        assert!(bad(r#"{"seeds": 9}"#).contains("seeds must be 1 to 8"));
        assert!(bad(r#"{"labeler": {"mistake": 2}}"#).contains("mistake"));
        assert!(bad(r#"{"schedule": {"kind": "linear", "floor": -1}}"#).contains("floor"));
        let unknown = Settings::from_json(r#"{"lamda": 0.5}"#).expect_err("typo");
        assert!(unknown.to_string().contains("lamda"), "{unknown}");
        assert!(Settings::from_json(r#"{"feedback": "loud"}"#).is_err());
    }

    #[test]
    fn a_configs_settings_carry_every_setting_to_another_base() {
        for (id, _) in crate::experiment::config::LESSONS {
            let lesson = ExperimentConfig::lesson(id).expect("lesson");
            let settings = Settings::from_json(&Settings::of(&lesson).to_json()).expect("JSON");
            // Read back onto itself: nothing changes.
            assert_eq!(settings.applied_to(&lesson).as_ref(), Ok(&lesson), "{id}");
            // Onto the env's preset: every setting is the lesson's.
            let preset = ExperimentConfig::preset(&lesson.env_id).expect("preset");
            let moved = settings.applied_to(&preset).expect("valid");
            if lesson.feedback.mode == FeedbackMode::None {
                assert_eq!(moved.feedback.mode, FeedbackMode::None, "{id}");
            } else {
                // The two knobs whose config value "unset" has no setting come from the base.
                let mut expected = settings.clone();
                expected.preference.initial_labels = moved.feedback.preference.initial_labels;
                expected.labeler.skip = moved.feedback.labeler.skip;
                assert_eq!(Settings::of(&moved), expected, "{id}");
            }
        }
    }

    #[test]
    fn schedules_parse_from_the_command_line_form() {
        assert_eq!(Schedule::parse("constant"), Ok(Schedule::Constant));
        assert_eq!(
            Schedule::parse("linear:0.2"),
            Ok(Schedule::Linear {
                floor: 0.2,
                steps: None
            })
        );
        assert_eq!(
            Schedule::parse("linear:0.2:500"),
            Ok(Schedule::Linear {
                floor: 0.2,
                steps: Some(500)
            })
        );
        assert!(Schedule::parse("linear:x").is_err());
        assert!(Schedule::parse("cosine").is_err());
    }
}
