//! Environments with Gymnasium semantics.
//!
//! Every environment implements [`Env`]: `reset(seed)` writes the first observation,
//! `step(action)` writes the next one and returns the reward with the `terminated` and
//! `truncated` flags (both may be true). Observations are written into a caller-owned
//! `&mut [f32]` so that stepping allocates nothing. Environments are created by id through
//! [`registry::make`]; [`VecEnv`] runs N copies with auto-reset.

pub mod classic;
pub mod games;
pub mod grid;
pub mod minigrid;
pub mod np_random;
mod options;
pub mod registry;
pub mod render;
pub mod space;
pub mod time_limit;
pub mod vec_env;

pub use options::{EnvOptions, MakeError};
pub use registry::{make, make_with};
pub use render::Scene;
pub use space::Space;
pub use time_limit::TimeLimit;
pub use vec_env::VecEnv;

use serde::Serialize;

/// Static description of an environment, as Gymnasium's `EnvSpec` plus its spaces.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EnvSpec {
    /// Registry id, e.g. `CartPole-v1`.
    pub id: String,
    pub observation_space: Space,
    pub action_space: Space,
    /// Time limit applied by [`TimeLimit`]; `None` means the episode only ends by termination.
    pub max_episode_steps: Option<u32>,
    /// Mean return at which the task counts as solved (Gymnasium's `reward_threshold`).
    pub reward_threshold: Option<f64>,
    /// Whether only some actions are legal at a time (games): the learner then takes the
    /// env's `action_mask` with every observation.
    pub masked_actions: bool,
}

/// An action, borrowed so that stepping a continuous env allocates nothing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Action<'a> {
    Discrete(usize),
    Continuous(&'a [f32]),
}

/// What one `step` returns besides the observation (written into the caller's buffer).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Step {
    pub reward: f64,
    /// The episode ended inside the MDP (goal, failure, game over).
    pub terminated: bool,
    /// The episode was cut by the time limit; may be true together with `terminated`.
    pub truncated: bool,
}

/// Errors an environment reports instead of panicking. Carries no heap data so that
/// returning it from `step` stays allocation-free.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum EnvError {
    #[error("action {action} is outside Discrete({n})")]
    ActionOutOfRange { action: usize, n: usize },
    #[error("action {action} is not legal in this position")]
    IllegalAction { action: usize },
    #[error("expected a {expected} action")]
    WrongActionKind { expected: &'static str },
    #[error("continuous action has {got} values, the action space has {expected}")]
    WrongActionLength { got: usize, expected: usize },
    #[error("continuous action contains a non-finite value")]
    NonFiniteAction,
    #[error("observation buffer has {got} values, the observation space has {expected}")]
    WrongObservationLength { got: usize, expected: usize },
    #[error("state has {got} values, expected {expected}")]
    WrongStateLength { got: usize, expected: usize },
    #[error("this environment has no settable physical state")]
    StateNotSupported,
    #[error("step called before reset")]
    NotReset,
}

/// A single environment with Gymnasium semantics.
///
/// Implementations do not apply the time limit themselves: [`registry::make`] wraps them in
/// [`TimeLimit`], as Gymnasium's `make` does.
pub trait Env: Send {
    fn spec(&self) -> &EnvSpec;

    /// Starts a new episode and writes its first observation. `Some(seed)` reseeds the env's
    /// random generator (Gymnasium's `reset(seed=...)`); `None` continues the current stream.
    fn reset(&mut self, seed: Option<u64>, obs: &mut [f32]);

    /// Applies `action` and writes the next observation. Invalid actions are errors, and leave
    /// the environment unchanged.
    fn step(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Step, EnvError>;

    /// Writes which discrete actions are legal now (all, unless the env is a game).
    fn action_mask(&self, mask: &mut [bool]) {
        mask.fill(true);
    }

    /// Writes the observation of the current state without stepping.
    fn observe(&self, obs: &mut [f32]);

    /// The internal state in Gymnasium's layout (physics envs only), for replay and tests.
    fn state(&self) -> Option<Vec<f64>> {
        None
    }

    /// Overwrites the internal state, as `env.unwrapped.state = np.array(state)` would.
    fn set_state(&mut self, _state: &[f64]) -> Result<(), EnvError> {
        Err(EnvError::StateNotSupported)
    }

    /// A description of the current state for drawing. Not on the stepping hot path.
    fn scene(&self) -> Scene;

    /// The layout and agent of a grid world, for teachers and planners (`None` elsewhere).
    fn grid_view(&self) -> Option<grid::GridView> {
        None
    }

    /// The board of a two-player game, for teachers (`None` elsewhere).
    fn board_view(&self) -> Option<games::BoardView> {
        None
    }

    /// A MiniGrid env's image, agent and layout in MiniGrid's own encoding, as `rlaif replay`
    /// records them (`None` elsewhere).
    fn minigrid(&self) -> Option<minigrid::Snapshot> {
        None
    }
}

/// Checks the caller's observation buffer before a step changes anything; shared by every env.
pub fn check_obs_len(obs: &[f32], expected: usize) -> Result<(), EnvError> {
    if obs.len() == expected {
        Ok(())
    } else {
        Err(EnvError::WrongObservationLength {
            got: obs.len(),
            expected,
        })
    }
}

/// Checks a discrete action against `Discrete(n)`; shared by every discrete env.
pub fn discrete_action(action: Action<'_>, n: usize) -> Result<usize, EnvError> {
    match action {
        Action::Discrete(a) if a < n => Ok(a),
        Action::Discrete(a) => Err(EnvError::ActionOutOfRange { action: a, n }),
        Action::Continuous(_) => Err(EnvError::WrongActionKind {
            expected: "discrete",
        }),
    }
}

/// Checks a continuous action's kind, length and finiteness; shared by every Box-action env.
pub fn continuous_action<'a>(action: Action<'a>, len: usize) -> Result<&'a [f32], EnvError> {
    match action {
        Action::Continuous(a) if a.len() != len => Err(EnvError::WrongActionLength {
            got: a.len(),
            expected: len,
        }),
        Action::Continuous(a) if a.iter().any(|v| !v.is_finite()) => Err(EnvError::NonFiniteAction),
        Action::Continuous(a) => Ok(a),
        Action::Discrete(_) => Err(EnvError::WrongActionKind {
            expected: "continuous",
        }),
    }
}
