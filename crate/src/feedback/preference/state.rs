//! What a checkpoint keeps of a [`PreferenceLearner`], and restoring it.

use super::{PreferenceError, PreferenceLearner};
use crate::agent::normalize::RunningNorm;
use crate::agent::rng::AgentRng;
use crate::feedback::reward_model::{LabelledPair, RewardModelState};

/// What a checkpoint keeps of a [`PreferenceLearner`]: the labels, the reward model and
/// every generator, so that a resumed run asks and learns exactly what the uninterrupted one
/// would have.
#[derive(Clone, Debug, PartialEq)]
pub struct PreferenceState {
    pub labels_used: u64,
    /// Labels that agreed with the env's reward, and labels judged against it.
    pub labeler: (u64, u64),
    /// The labeler's, the noiseless labeler's, and the query, held-out and transition
    /// generators' states.
    pub rngs: [[u64; 4]; 5],
    pub reward_norm: RunningNorm,
    pub potential_scale: f32,
    pub pairs: Vec<LabelledPair>,
    pub model: RewardModelState,
}

impl PreferenceLearner {
    /// What a checkpoint keeps of the learner (its knobs come from the run's config).
    pub fn state(&self) -> Result<PreferenceState, PreferenceError> {
        Ok(PreferenceState {
            labels_used: self.labels_used,
            labeler: (self.labeler_agreed, self.labeler_judged),
            rngs: [
                self.labeler.rng_state(),
                self.oracle.rng_state(),
                self.query_rng.state(),
                self.held_out_rng.state(),
                self.transition_rng.state(),
            ],
            reward_norm: self.reward_norm.clone(),
            potential_scale: self.potential_scale,
            pairs: self.pairs.clone(),
            model: self.model.state().map_err(PreferenceError::BadInput)?,
        })
    }

    /// Restores a [`PreferenceLearner::state`] into a learner built from the same config;
    /// a state that does not fit it is refused and leaves the learner as it was.
    pub fn restore(&mut self, state: PreferenceState) -> Result<(), PreferenceError> {
        let bad = |what: &str| PreferenceError::BadInput(format!("preference state: {what}"));
        // Every pair has the same rows per segment: 2 for a potential, the segment's steps
        // for the step model.
        let rows = match state.pairs.first() {
            _ if self.is_potential() => 2,
            Some(first) => first.len,
            None => 0,
        };
        let d = self.model.d_input();
        for pair in &state.pairs {
            let size = pair.len * d;
            if pair.len == 0
                || pair.len != rows
                || pair.a.len() != size
                || pair.b.len() != size
                || ![0.0, 0.5, 1.0].contains(&pair.target)
            {
                return Err(bad("a labelled pair does not fit the reward model"));
            }
        }
        if state.reward_norm.mean.len() != 1
            || state.reward_norm.var.len() != 1
            || !state.potential_scale.is_finite()
            || state.potential_scale <= 0.0
        {
            return Err(bad("reward statistics"));
        }
        // Every generator state is checked before anything changes.
        let rng = |s| AgentRng::from_state(s).ok_or_else(|| bad("generator state"));
        let [labeler, oracle, query, held_out, transition] = state.rngs;
        let (_, _) = (rng(labeler)?, rng(oracle)?);
        let (query, held_out, transition) = (rng(query)?, rng(held_out)?, rng(transition)?);
        self.model.restore(state.model).map_err(|e| bad(&e))?;
        self.labeler.set_rng_state(labeler).map_err(|e| bad(&e))?;
        self.oracle.set_rng_state(oracle).map_err(|e| bad(&e))?;
        self.query_rng = query;
        self.held_out_rng = held_out;
        self.transition_rng = transition;
        self.labels_used = state.labels_used;
        (self.labeler_agreed, self.labeler_judged) = state.labeler;
        self.reward_norm = state.reward_norm;
        self.potential_scale = state.potential_scale;
        self.pairs = state.pairs;
        Ok(())
    }
}
