//! AI feedback: a **teacher** (the "AI model") judges the agent, and one weight `lambda`
//! blends its judgement into the environment's reward.
//!
//! - [`config`]: the feedback mode, lambda and its schedule, labeler and preference knobs
//! - [`teacher`]: the `Teacher` trait, the built-in teachers and their registry
//! - [`demos`]: demonstrations (the learned teacher's data), their file format, validated on
//!   load, and the recorder
//! - [`labeler`]: the simulated AI labeler that compares segments, with B-Pref's noise knobs
//! - [`reward_model`]: the Bradley-Terry reward model learned from the labels
//! - [`preference`]: the preference mode's round per PPO update: query, label, train, reward
//!
//! How each mode uses lambda (`r` is the env reward, `l` the current lambda):
//!
//! | mode | what PPO sees |
//! |---|---|
//! | `none` | `r` |
//! | `direct` | `(1 - l) * r + l * score(s, a, s')` |
//! | `shaping` | `r + l * (gamma * Phi(s') - Phi(s))`, with `Phi(terminal) = 0` |
//! | `preference` | `(1 - l) * r + l * rhat(s, a)`, the reward model's normalised output, signed by `reward_sign` |
//! | `preference`, `reward_model: potential` | `r + l * (gamma * h(s') - h(s))`, the learned potential `h` scaled to unit std over the labelled states, `h(terminal) = 0` |
//! | `advice` | `r`, and the loss gains `l * CE(teacher(s), policy(s))` |
//!
//! Shaping (and the learned potential) adds to the env reward instead of replacing part of it: that is what keeps the
//! optimal policy unchanged (Ng et al. 1999), even for a wrong teacher.

pub mod config;
pub mod demos;
pub mod labeler;
pub mod labels_file;
pub mod preference;
pub mod reward_model;
pub mod simulated_person;
pub mod teacher;

pub use config::{
    FeedbackConfig, FeedbackMode, LabelSource, LabelerConfig, LambdaSchedule, PreferenceConfig,
    RewardModelKind, RewardSign,
};
pub use labeler::{Label, Labeler};
pub use preference::{
    EpisodeRefs, NextStates, PreferenceError, PreferenceLearner, PreferenceState, PreferenceStats,
    RolloutView,
};
pub use teacher::{Teacher, TeacherError, TeacherView};
