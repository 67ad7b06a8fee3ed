//! What `make` takes besides the id, and why it can fail. Kept apart from the registry so that
//! env families can use them without depending on the list that names them.

use super::games::{Opponent, Side};

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
