//! Teachers: the "AI models" that judge. One file per env family, one registry line each.
//!
//! A teacher sees the env itself (planners read its state) and the raw observation (what a
//! learned teacher reads), and answers three questions:
//! - [`Teacher::value`]: how good is this state (the potential `Phi` of shaping);
//! - [`Teacher::score`]: how good was this step (direct feedback, and what the AI labeler sums);
//! - [`Teacher::policy`]: what would you do here (advice, and the teacher-agreement metric).

pub mod learned;

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

/// One registry line: a teacher, the envs it judges, and how to make it.
pub struct TeacherEntry {
    /// Name as `--teacher` takes it; options follow a colon (e.g. `alpha-beta:6`).
    pub name: &'static str,
    /// One line for pickers and `--help`.
    pub about: &'static str,
    /// Whether it can judge `env_id`.
    pub judges: fn(env_id: &str) -> bool,
    /// Makes it for `env_id`; `option` is the text after the colon, if any.
    pub make: fn(env_id: &str, option: Option<&str>) -> Result<Box<dyn Teacher>, TeacherError>,
}

/// Every built-in teacher. The first entry that judges an env is its default.
pub fn entries() -> Vec<TeacherEntry> {
    Vec::new()
}

/// Names of the teachers that can judge `env_id`, its default first.
pub fn names_for(env_id: &str) -> Vec<&'static str> {
    entries()
        .into_iter()
        .filter(|e| (e.judges)(env_id))
        .map(|e| e.name)
        .collect()
}

/// Makes the teacher `name` (with an optional `:option`) for `env_id`, or the env's default
/// teacher when `name` is `None`. `demo:FILE` teachers are loaded by the caller, from bytes.
pub fn make(name: Option<&str>, env_id: &str) -> Result<Box<dyn Teacher>, TeacherError> {
    let all = entries();
    let Some(name) = name else {
        return match all.iter().find(|e| (e.judges)(env_id)) {
            Some(e) => (e.make)(env_id, None),
            None => Err(TeacherError::NoTeacher {
                env_id: env_id.into(),
            }),
        };
    };
    let (base, option) = match name.split_once(':') {
        Some((b, o)) => (b, Some(o)),
        None => (name, None),
    };
    match all.iter().find(|e| e.name == base && (e.judges)(env_id)) {
        Some(e) => (e.make)(env_id, option),
        None => Err(TeacherError::Unknown {
            name: name.into(),
            env_id: env_id.into(),
            known: names_for(env_id).join(", "),
        }),
    }
}
