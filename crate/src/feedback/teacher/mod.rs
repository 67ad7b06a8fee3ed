//! Teachers: the "AI models" that judge. One file per env family, one registry line each.
//!
//! A teacher sees the env itself (planners read its state) and the raw observation (what a
//! learned teacher reads), and answers three questions:
//! - [`Teacher::value`]: how good is this state (the potential `Phi` of shaping);
//! - [`Teacher::score`]: how good was this step (direct feedback, and what the AI labeler sums);
//! - [`Teacher::policy`]: what would you do here (advice, and the teacher-agreement metric).

use crate::env::{Action, Env, Step};

/// What a teacher may look at: the env (before any auto-reset) and its raw observation.
#[derive(Clone, Copy)]
pub struct TeacherView<'a> {
    pub env: &'a dyn Env,
    /// The observation as the env wrote it (not normalised).
    pub obs: &'a [f32],
}

/// Why a teacher could not be made.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TeacherError {
    #[error("unknown teacher {name:?} for {env_id}; teachers for it: {known}")]
    Unknown {
        name: String,
        env_id: String,
        known: String,
    },
    #[error(
        "{env_id} has no built-in teacher; use a teacher learned from demonstrations (demo:FILE)"
    )]
    NoTeacher { env_id: String },
    #[error("bad teacher option: {0}")]
    BadOption(String),
    #[error("bad demonstrations: {0}")]
    Demos(String),
}

/// The AI that judges the agent. Values and scores are on the env's reward scale: a score is
/// comparable to one step's env reward, a value to a return.
pub trait Teacher: Send {
    /// The name this teacher was made from (as `--teacher` takes it).
    fn name(&self) -> String;

    /// `Phi(s)`: how good the current state is, higher is better.
    fn value(&mut self, state: TeacherView<'_>) -> f64;

    /// How good the step that led to `after` was; `value_before` is `Phi` of the state it
    /// started from. The default is the progress `Phi(s') - Phi(s)`.
    fn score(
        &mut self,
        value_before: f64,
        _action: Action<'_>,
        after: TeacherView<'_>,
        _step: &Step,
    ) -> f64 {
        self.value(after) - value_before
    }

    /// Writes the suggested action at the current state: for `Discrete(n)`, `n` probabilities
    /// summing to 1 (zero on illegal moves); for a `Box` space, the suggested action itself.
    fn policy(&mut self, state: TeacherView<'_>, out: &mut [f32]);
}
