//! What a checkpoint keeps of a [`PreferenceLearner`], and restoring it.

use super::queue::{LabelRecord, Query};
use super::{PreferenceError, PreferenceLearner};
use crate::agent::normalize::RunningNorm;
use crate::agent::rng::AgentRng;
use crate::feedback::reward_model::{LabelledPair, RewardModelState};
use serde::{Deserialize, Serialize};

/// The most any of a restored state's label counts may be: far beyond any run, exact in an
/// `f64` (shares are computed in one), and a sum of a few never overflows.
const MAX_COUNT: u64 = 1 << 53;

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
    /// The labels' log and the person's queue; `None` in checkpoints written before they
    /// existed (an AI-labelled run, whose log is then empty).
    pub labels: Option<LabelsState>,
}

/// The labels' side of a [`PreferenceState`]: who gave what, and what waits for a person.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelsState {
    pub log: Vec<LabelRecord>,
    pub queue: Vec<Query>,
    pub dropped: u64,
    pub asked: bool,
    pub last_due: usize,
    pub untrained: usize,
    pub trained: bool,
    pub labels_you: u64,
    pub first_round: Option<u64>,
    pub you_vs_ai: (u64, u64),
    pub you_vs_model: (u64, u64),
    /// Absent in checkpoints written before it existed.
    #[serde(default)]
    pub ai_vs_model: (u64, u64),
    #[serde(default)]
    pub frozen: bool,
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
            labels: Some(LabelsState {
                log: self.log.clone(),
                queue: self.queue.iter().cloned().collect(),
                dropped: self.queue.dropped(),
                asked: self.asked,
                last_due: self.last_due,
                untrained: self.untrained,
                trained: self.trained,
                labels_you: self.labels_you,
                first_round: self.first_round,
                you_vs_ai: self.you_vs_ai,
                you_vs_model: self.you_vs_model,
                ai_vs_model: self.ai_vs_model,
                frozen: self.frozen,
            }),
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
        let queued = state
            .labels
            .iter()
            .flat_map(|l| l.queue.iter().map(|q| &q.pair));
        for pair in state.pairs.iter().chain(queued) {
            // The length is read from the file: its product with the input size may overflow.
            let size = pair.len.checked_mul(d);
            if pair.len == 0
                || pair.len != rows
                || Some(pair.a.len()) != size
                || Some(pair.b.len()) != size
                || ![0.0, 0.5, 1.0].contains(&pair.target)
                || pair.a.iter().chain(&pair.b).any(|x| !x.is_finite())
            {
                return Err(bad(&format!(
                    "a labelled pair of {} rows of {d} inputs has {} + {} floats (the run's \
                     pairs have {rows} rows)",
                    pair.len,
                    pair.a.len(),
                    pair.b.len()
                )));
            }
        }
        // Counts go on counting (and are added up), so each must be far from overflowing.
        let count_ok = |n: u64| n <= MAX_COUNT;
        let pair_ok = |(a, b): (u64, u64)| a <= b && count_ok(b);
        if !count_ok(state.labels_used) || !pair_ok(state.labeler) {
            return Err(bad(&format!(
                "label counts do not add up or exceed {MAX_COUNT}"
            )));
        }
        if let Some(labels) = &state.labels {
            let counts_fit = pair_ok(labels.you_vs_ai)
                && pair_ok(labels.you_vs_model)
                && pair_ok(labels.ai_vs_model)
                && count_ok(labels.dropped)
                && count_ok(labels.labels_you)
                && labels.first_round.is_none_or(count_ok)
                && (!labels.frozen || labels.queue.is_empty())
                && labels.untrained <= state.pairs.len();
            if !counts_fit {
                return Err(bad(&format!(
                    "label counts do not add up or exceed {MAX_COUNT}"
                )));
            }
            // New query ids follow the largest restored one.
            if let Some(q) = labels.queue.iter().find(|q| q.id == u64::MAX) {
                return Err(bad(&format!("query id {} leaves no id after it", q.id)));
            }
            let segments = labels.log.iter().flat_map(|l| [&l.left, &l.right]);
            let queued = labels.queue.iter().flat_map(|q| [&q.left, &q.right]);
            if segments
                .chain(queued)
                .any(|s| s.len == 0 || s.start.checked_add(s.len).is_none())
            {
                return Err(bad(
                    "a label's segment is empty or ends past the largest step",
                ));
            }
        }
        // `normalize` clamps to `[-clip, clip]`, which panics unless `clip >= 0`.
        let norm = &state.reward_norm;
        if norm.mean.len() != 1
            || norm.var.len() != 1
            || !norm.mean[0].is_finite()
            || !(norm.var[0].is_finite() && norm.var[0] >= 0.0)
            || !(norm.count.is_finite() && norm.count > 0.0)
            || !(norm.clip.is_finite() && norm.clip > 0.0)
            || !state.potential_scale.is_finite()
            || state.potential_scale <= 0.0
        {
            return Err(bad(&format!(
                "reward statistics (mean {:?}, variance {:?}, count {}, clip {}, potential \
                 scale {}) are out of range",
                norm.mean, norm.var, norm.count, norm.clip, state.potential_scale
            )));
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
        let labels = state.labels.unwrap_or_else(|| LabelsState {
            log: Vec::new(),
            queue: Vec::new(),
            dropped: 0,
            asked: false,
            last_due: 0,
            untrained: 0,
            // An AI-labelled round trains as soon as it labels.
            trained: !state.pairs.is_empty(),
            labels_you: 0,
            first_round: None,
            you_vs_ai: (0, 0),
            you_vs_model: (0, 0),
            ai_vs_model: (0, 0),
            frozen: false,
        });
        self.pairs = state.pairs;
        self.queue.restore(labels.queue, labels.dropped);
        self.log = labels.log;
        self.asked = labels.asked;
        self.last_due = labels.last_due;
        self.untrained = labels.untrained;
        self.trained = labels.trained;
        self.labels_you = labels.labels_you;
        self.first_round = labels.first_round;
        self.you_vs_ai = labels.you_vs_ai;
        self.you_vs_model = labels.you_vs_model;
        self.ai_vs_model = labels.ai_vs_model;
        self.frozen = labels.frozen;
        Ok(())
    }
}
