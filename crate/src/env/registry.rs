//! Environments by id, as Gymnasium's `make`. Each family lists its own entries (one line per
//! environment in its module), so adding an environment touches only its family.

use super::games::{Opponent, Side};
use super::{Action, Env, EnvError, EnvSpec, Scene, Step, TimeLimit};

/// Options that some families read; the others ignore them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EnvOptions {
    /// Games: who the learner plays against (each game has a default).
    pub opponent: Option<Opponent>,
    /// Games: whether the learner moves first or second (default: first).
    pub learner_side: Option<Side>,
    /// Games and stochastic envs: seed for the opponent's or env's own randomness before the
    /// first `reset(Some(seed))`.
    pub seed: Option<u64>,
}

/// Why an environment could not be made.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum MakeError {
    #[error("unknown environment id '{0}' (run `rlaif envs` for the list)")]
    UnknownId(String),
    #[error("{0}")]
    BadOptions(String),
    #[error("{0}")]
    BadMap(String),
}

/// Which family an environment belongs to (for grouping in pickers and listings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Family {
    ClassicControl,
    GridWorld,
    Game,
}

type Constructor = Box<dyn Fn(&EnvOptions) -> Result<Box<dyn Env>, MakeError> + Send + Sync>;

/// One registered environment.
pub struct Entry {
    pub id: String,
    pub family: Family,
    pub make: Constructor,
}

impl Entry {
    /// Registers a constructor. The env it makes is wrapped in [`TimeLimit`] here, around the
    /// concrete type, so stepping costs one dynamic call rather than two.
    pub fn new<E: Env + 'static>(
        id: impl Into<String>,
        family: Family,
        make: impl Fn(&EnvOptions) -> Result<E, MakeError> + Send + Sync + 'static,
    ) -> Self {
        Self {
            id: id.into(),
            family,
            make: Box::new(move |options| {
                let env = make(options)?;
                Ok(match env.spec().max_episode_steps {
                    Some(limit) => Box::new(TimeLimit::new(env, limit)) as Box<dyn Env>,
                    None => Box::new(env),
                })
            }),
        }
    }
}

/// Every registered environment, in display order.
pub fn entries() -> Vec<Entry> {
    let mut all = super::classic::entries();
    all.extend(super::grid::entries());
    all.extend(super::games::entries());
    all
}

/// Every registered id, in display order.
pub fn ids() -> Vec<String> {
    entries().into_iter().map(|e| e.id).collect()
}

/// Makes an environment by id with default options, wrapped in its time limit.
pub fn make(id: &str) -> Result<Box<dyn Env>, MakeError> {
    make_with(id, &EnvOptions::default())
}

/// Makes an environment by id, wrapped in [`TimeLimit`] when its spec has a step limit.
pub fn make_with(id: &str, options: &EnvOptions) -> Result<Box<dyn Env>, MakeError> {
    let entry = entries()
        .into_iter()
        .find(|e| e.id == id)
        .ok_or_else(|| MakeError::UnknownId(id.to_string()))?;
    (entry.make)(options)
}

impl Env for Box<dyn Env> {
    fn spec(&self) -> &EnvSpec {
        (**self).spec()
    }
    fn reset(&mut self, seed: Option<u64>, obs: &mut [f32]) {
        (**self).reset(seed, obs)
    }
    fn step(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Step, EnvError> {
        (**self).step(action, obs)
    }
    fn action_mask(&self, mask: &mut [bool]) {
        (**self).action_mask(mask)
    }
    fn observe(&self, obs: &mut [f32]) {
        (**self).observe(obs)
    }
    fn state(&self) -> Option<Vec<f64>> {
        (**self).state()
    }
    fn set_state(&mut self, state: &[f64]) -> Result<(), EnvError> {
        (**self).set_state(state)
    }
    fn scene(&self) -> Scene {
        (**self).scene()
    }
}
