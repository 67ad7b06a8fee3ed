//! The preference mode's loop, run once per PPO update: pick pairs of segments from the
//! rollout, have the AI labeler compare them, train the reward model on every label so far,
//! and hand PPO the reward model's normalised reward (Christiano et al. 2017; with an AI
//! labeler, Lee et al. 2023).
//!
//! With `reward_model: potential` the model is a potential `h(s)` and PPO's extra reward is
//! `gamma * h(s') - h(s)`, computed once the rollout is complete (a step's reward needs the
//! state after it), by [`PreferenceLearner::potential_rewards`].
//!
//! Budget accounting: every query asked counts against `label_budget`, including those the
//! labeler skips. A skip is an answer the labeler gave ("can't tell"), and counting it keeps
//! the cost of a skip threshold visible, as in B-Pref.

use super::config::{
    DISAGREEMENT_CANDIDATES, LabelerConfig, PreferenceConfig, QuerySchedule, QuerySelection,
    RewardModelKind,
};
use super::labeler::{Label, Labeler};
use super::reward_model::{
    Head, LabelledPair, MINIBATCH_PAIRS, NonFiniteRewardLoss, RewardModelConfig, RewardModelState,
    RewardModelTrainer, feature_dim, push_features,
};
use crate::agent::ActionSpec;
use crate::agent::normalize::RunningNorm;
use crate::agent::rng::{AgentRng, mix_seed};

/// Held-out pairs per rollout on which the reward model's accuracy is measured.
pub const HELD_OUT_PAIRS: usize = 64;

/// Unlabelled transitions kept per rollout for the smoothness penalty.
pub const TRANSITIONS_PER_ROLLOUT: usize = 256;
/// Unlabelled transitions kept in all (the most recent).
pub const TRANSITIONS_KEPT: usize = 4096;

/// Normalised rewards are clipped to `[-CLIP, CLIP]`.
const REWARD_CLIP: f32 = 10.0;

/// One rollout, as the preference loop reads it. Time-major like the rollout buffer: row
/// `t * n_envs + env` is env `env` at step `t`.
#[derive(Clone, Copy, Debug)]
pub struct RolloutView<'a> {
    pub n_envs: usize,
    pub n_steps: usize,
    pub obs_dim: usize,
    /// Floats per stored action (1 for a discrete action: its index).
    pub act_dim: usize,
    /// The observations the policy saw, `[rows, obs_dim]`.
    pub obs: &'a [f32],
    /// `[rows, act_dim]`.
    pub actions: &'a [f32],
    /// The env's own reward (only for the labeler-accuracy metric), `[rows]`.
    pub env_rewards: &'a [f32],
    /// The teacher's score of each step, what the labeler compares, `[rows]`.
    pub teacher_scores: &'a [f32],
    /// The episode ended at this step, `[rows]`.
    pub dones: &'a [bool],
    /// The states after the steps, which the potential model needs (the step model does not).
    pub next: Option<NextStates<'a>>,
}

/// Where the state after each row of a [`RolloutView`] is: the next row of its env, or, at
/// an episode's end or the rollout's end, what these hold.
#[derive(Clone, Copy, Debug)]
pub struct NextStates<'a> {
    /// The episode ended at this row in a terminal state (its potential is 0), `[rows]`.
    pub terminated: &'a [bool],
    /// Rows where the episode was cut off by a time limit (done, not terminated), ascending.
    pub truncated_rows: &'a [usize],
    /// The last observation of each truncated episode, `[truncated_rows.len(), obs_dim]`.
    pub truncated_obs: &'a [f32],
    /// The observation after each env's last stored step, `[n_envs, obs_dim]`.
    pub last_obs: &'a [f32],
}

impl RolloutView<'_> {
    pub fn rows(&self) -> usize {
        self.n_envs * self.n_steps
    }

    fn row(&self, env: usize, t: usize) -> usize {
        t * self.n_envs + env
    }

    fn check(&self, obs_dim: usize, act_dim: usize) -> Result<(), PreferenceError> {
        let bad = |msg: String| Err(PreferenceError::BadInput(msg));
        if self.obs_dim != obs_dim || self.act_dim != act_dim {
            return bad(format!(
                "rollout has {} observation and {} action floats per step, the reward model \
                 expects {obs_dim} and {act_dim}",
                self.obs_dim, self.act_dim
            ));
        }
        let rows = self.rows();
        for (name, len, want) in [
            ("obs", self.obs.len(), rows * obs_dim),
            ("actions", self.actions.len(), rows * act_dim),
            ("env_rewards", self.env_rewards.len(), rows),
            ("teacher_scores", self.teacher_scores.len(), rows),
            ("dones", self.dones.len(), rows),
        ] {
            if len != want {
                return bad(format!(
                    "rollout {name} has {len} values, expected {want} ({} envs x {} steps)",
                    self.n_envs, self.n_steps
                ));
            }
        }
        Ok(())
    }

    /// Checks [`RolloutView::next`], which the potential model needs.
    fn check_next(&self) -> Result<NextStates<'_>, PreferenceError> {
        let bad = |msg: String| Err(PreferenceError::BadInput(msg));
        let Some(next) = self.next else {
            return bad("the potential reward model needs the states after each step".into());
        };
        let rows = self.rows();
        if next.terminated.len() != rows {
            return bad(format!(
                "rollout terminated has {} values, expected {rows}",
                next.terminated.len()
            ));
        }
        if next.last_obs.len() != self.n_envs * self.obs_dim {
            return bad(format!(
                "rollout last_obs has {} values, expected {}",
                next.last_obs.len(),
                self.n_envs * self.obs_dim
            ));
        }
        if next.truncated_obs.len() != next.truncated_rows.len() * self.obs_dim {
            return bad(format!(
                "{} truncated rows but {} final observation values",
                next.truncated_rows.len(),
                next.truncated_obs.len()
            ));
        }
        if !next.truncated_rows.is_sorted() {
            return bad("truncated rows must be ascending".into());
        }
        for row in 0..rows {
            let truncated = next.truncated_rows.binary_search(&row).is_ok();
            let terminated = next.terminated[row];
            if self.dones[row] != (terminated || truncated) || (terminated && truncated) {
                return bad(format!(
                    "row {row}: done {}, terminated {terminated}, truncated {truncated}",
                    self.dones[row]
                ));
            }
        }
        Ok(next)
    }

    /// Where the state after `row` is. Expects a view that passed
    /// [`RolloutView::check_next`].
    fn after(&self, next: &NextStates<'_>, row: usize) -> After {
        if next.terminated[row] {
            After::Terminal
        } else if let Ok(k) = next.truncated_rows.binary_search(&row) {
            After::Truncated(k)
        } else if row + self.n_envs < self.rows() {
            After::Row(row + self.n_envs)
        } else {
            After::Last(row % self.n_envs)
        }
    }

    /// The observation after `row`, `None` when the row ended in a terminal state. Expects a
    /// view that passed [`RolloutView::check_next`].
    fn next_obs<'s>(&'s self, next: &NextStates<'s>, row: usize) -> Option<&'s [f32]> {
        let d = self.obs_dim;
        match self.after(next, row) {
            After::Terminal => None,
            After::Truncated(k) => Some(&next.truncated_obs[k * d..(k + 1) * d]),
            After::Row(r) => Some(&self.obs[r * d..(r + 1) * d]),
            After::Last(env) => Some(&next.last_obs[env * d..(env + 1) * d]),
        }
    }
}

/// Where the state after a rollout row is (see [`RolloutView::after`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum After {
    /// A terminal state (potential 0).
    Terminal,
    /// The `k`-th truncated episode's last observation.
    Truncated(usize),
    /// The given row: the same env's next step.
    Row(usize),
    /// The env's observation after the rollout.
    Last(usize),
}

/// Why a preference round failed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PreferenceError {
    #[error("preference learning: {0}")]
    BadInput(String),
    #[error(
        "the teacher gave a non-finite score ({score}) at rollout row {row}; preference labels \
         need finite scores"
    )]
    NonFiniteScore { row: usize, score: f32 },
    #[error(transparent)]
    NonFiniteLoss(#[from] NonFiniteRewardLoss),
    #[error(
        "the reward model gave a non-finite reward at rollout row {row}; check the observations"
    )]
    NonFiniteReward { row: usize },
}

/// What one preference round did, for the metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PreferenceStats {
    /// Queries asked over the run (skipped ones included).
    pub labels_used: u64,
    /// Queries asked this round (skipped ones included).
    pub new_labels: usize,
    /// Share of the labeler's answers so far that prefer the segment with the higher env
    /// return, over pairs whose env returns differ ("equal" counts as wrong, skips are left
    /// out); `None` before any such pair.
    pub labeler_accuracy: Option<f64>,
    /// Share of held-out pairs from this rollout, labelled by a noiseless teacher (ties left
    /// out), that the reward model orders the same way. These pairs are neither trained on
    /// nor charged to the budget. `None` before the model has been trained.
    pub reward_model_accuracy: Option<f64>,
    /// Mean Bradley-Terry loss of the last training pass, when the model trained this round.
    pub reward_model_loss: Option<f32>,
}

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

/// The preference mode's state over a run: labeler, labels, reward model, reward statistics.
pub struct PreferenceLearner {
    config: PreferenceConfig,
    obs_dim: usize,
    action: ActionSpec,
    labeler: Labeler,
    /// The labeler without noise, for the held-out accuracy.
    oracle: Labeler,
    model: RewardModelTrainer,
    pairs: Vec<LabelledPair>,
    labels_used: u64,
    /// Picks the queried segments.
    query_rng: AgentRng,
    /// Picks the held-out segments (its own stream, so measuring never changes training).
    held_out_rng: AgentRng,
    /// Picks the unlabelled transitions of the smoothness penalty.
    transition_rng: AgentRng,
    labeler_agreed: u64,
    labeler_judged: u64,
    reward_norm: RunningNorm,
    features: Vec<f32>,
    /// Potential model: the std of `h` over the labelled segments' states, which the
    /// potential is divided by so that lambda weighs it on a known scale.
    potential_scale: f32,
}

impl PreferenceLearner {
    /// A fresh learner; fails on knobs outside their ranges or an empty input.
    pub fn new(
        pref: &PreferenceConfig,
        labeler: &LabelerConfig,
        obs_dim: usize,
        action: ActionSpec,
        seed: u64,
    ) -> Result<Self, PreferenceError> {
        pref.validate().map_err(PreferenceError::BadInput)?;
        labeler.validate().map_err(PreferenceError::BadInput)?;
        let potential = pref.reward_model == RewardModelKind::Potential;
        // The potential judges states: the action does not enter it.
        let d_input = if potential {
            obs_dim
        } else {
            feature_dim(obs_dim, action)
        };
        if d_input == 0 {
            return Err(PreferenceError::BadInput(
                "the reward model needs at least one observation or action input (the potential \
                 model: an observation)"
                    .into(),
            ));
        }
        let model_config = RewardModelConfig::new(d_input)
            .with_hidden(pref.hidden)
            .with_ensemble(pref.ensemble);
        let head = if potential {
            Head::Potential(pref.reward_sign)
        } else {
            Head::Step
        };
        Ok(Self {
            config: *pref,
            obs_dim,
            action,
            labeler: Labeler::new(*labeler, mix_seed(seed, 1)),
            oracle: Labeler::new(LabelerConfig::default(), mix_seed(seed, 2)),
            model: RewardModelTrainer::new(&model_config, pref.learning_rate, mix_seed(seed, 3))
                .with_head(head)
                .with_label_noise(pref.label_noise)
                .with_smoothness(pref.smoothness),
            pairs: Vec::new(),
            labels_used: 0,
            query_rng: AgentRng::new(mix_seed(seed, 4)),
            held_out_rng: AgentRng::new(mix_seed(seed, 5)),
            transition_rng: AgentRng::new(mix_seed(seed, 6)),
            labeler_agreed: 0,
            labeler_judged: 0,
            reward_norm: RunningNorm::new(1, REWARD_CLIP),
            features: Vec::new(),
            potential_scale: 1.0,
        })
    }

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

    pub fn labels_used(&self) -> u64 {
        self.labels_used
    }

    /// Whether the model is a potential (rewards from [`PreferenceLearner::potential_rewards`]).
    pub fn is_potential(&self) -> bool {
        matches!(self.model.head(), Head::Potential(_))
    }

    /// Labelled pairs the reward model trains on (skips excluded).
    pub fn labelled_pairs(&self) -> usize {
        self.pairs.len()
    }

    /// Queries to ask this round, `progress` being the share of the run done, in `[0, 1]`.
    pub fn queries_due(&self, progress: f64) -> usize {
        let per_update = match self.config.initial_labels {
            Some(first) if self.labels_used == 0 => first,
            _ => self.config.labels_per_update,
        };
        let due = match self.config.query_schedule {
            QuerySchedule::Uniform => per_update,
            QuerySchedule::Decaying if per_update == 0 => 0,
            QuerySchedule::Decaying => {
                ((per_update as f64 * (1.0 - progress)).round() as usize).max(1)
            }
        };
        let left = self.config.label_budget.saturating_sub(self.labels_used);
        due.min(usize::try_from(left).unwrap_or(usize::MAX))
    }

    /// Asks this round's queries on `rollout` (pairs of equally long segments within one
    /// env's column, never crossing an episode's end), then trains the reward model for
    /// `epochs` passes over every label so far. With no new label the model stays as it is,
    /// so once the budget is spent PPO sees a fixed reward.
    pub fn after_rollout(
        &mut self,
        rollout: &RolloutView,
        progress: f64,
    ) -> Result<PreferenceStats, PreferenceError> {
        rollout.check(self.obs_dim, self.action.stored_dim())?;
        if self.is_potential() {
            rollout.check_next()?;
        }
        if !(0.0..=1.0).contains(&progress) {
            return Err(PreferenceError::BadInput(format!(
                "run progress must be in [0, 1], got {progress}"
            )));
        }
        if let Some((row, &score)) = rollout
            .teacher_scores
            .iter()
            .enumerate()
            .find(|(_, s)| !s.is_finite())
        {
            return Err(PreferenceError::NonFiniteScore { row, score });
        }
        let segments = Segments::find(rollout.dones, rollout.n_envs, self.config.segment_len);
        let due = if segments.starts.len() >= 2 {
            self.queries_due(progress)
        } else {
            0
        };
        let mut learned = 0;
        for (a, b) in self.choose_pairs(rollout, &segments, due) {
            let label = self.labeler.label(
                &segments.teacher_scores(rollout, a),
                &segments.teacher_scores(rollout, b),
            );
            self.labels_used += 1;
            let Some(target) = label.target() else {
                continue;
            };
            let env_a = segments.env_return(rollout, a);
            let env_b = segments.env_return(rollout, b);
            if env_a != env_b {
                self.labeler_judged += 1;
                let agrees = (label == Label::First && env_a > env_b)
                    || (label == Label::Second && env_b > env_a);
                self.labeler_agreed += u64::from(agrees);
            }
            let (fa, ta) = self.segment_features(rollout, &segments, a);
            let (fb, tb) = self.segment_features(rollout, &segments, b);
            let pair = LabelledPair {
                len: self.rows_per_segment(&segments),
                a: fa,
                b: fb,
                target,
                terminal: [ta, tb],
            };
            self.pairs.push(pair);
            learned += 1;
        }
        if learned > 0 && self.is_potential() && self.config.smoothness > 0.0 {
            self.keep_transitions(rollout);
        }
        let reward_model_loss = if learned > 0 {
            let loss = self.model.train(&self.pairs, self.training_epochs())?;
            if self.is_potential() {
                self.potential_scale = self.labelled_state_std();
            }
            Some(loss)
        } else {
            None
        };
        let reward_model_accuracy = if self.pairs.is_empty() || segments.starts.len() < 2 {
            None
        } else {
            self.held_out_accuracy(rollout, &segments)
        };
        Ok(PreferenceStats {
            labels_used: self.labels_used,
            new_labels: due,
            labeler_accuracy: (self.labeler_judged > 0)
                .then(|| self.labeler_agreed as f64 / self.labeler_judged as f64),
            reward_model_accuracy,
            reward_model_loss,
        })
    }

    /// Writes the reward model's reward for every row of `rollout` into `out`, normalised by
    /// the running mean and std of its outputs (Christiano et al. normalise the same way), so
    /// that lambda blends it with the env reward on a known scale, then given the configured
    /// [`RewardSign`](super::config::RewardSign). Before the first label the model knows nothing, and the reward is 0.
    pub fn rewards(
        &mut self,
        rollout: &RolloutView,
        out: &mut [f32],
    ) -> Result<(), PreferenceError> {
        rollout.check(self.obs_dim, self.action.stored_dim())?;
        if self.is_potential() {
            return Err(PreferenceError::BadInput(
                "a potential reward model's rewards come from potential_rewards".into(),
            ));
        }
        if out.len() != rollout.rows() {
            return Err(PreferenceError::BadInput(format!(
                "reward output has {} slots for {} rollout rows",
                out.len(),
                rollout.rows()
            )));
        }
        if self.pairs.is_empty() {
            out.fill(0.0);
            return Ok(());
        }
        let mut features = std::mem::take(&mut self.features);
        features.clear();
        let act_dim = rollout.act_dim;
        for row in 0..rollout.rows() {
            push_features(
                &rollout.obs[row * self.obs_dim..(row + 1) * self.obs_dim],
                &rollout.actions[row * act_dim..(row + 1) * act_dim],
                self.action,
                &mut features,
            );
        }
        let raw = self.model.predict(&features);
        self.features = features;
        if let Some(row) = raw.iter().position(|r| !r.is_finite()) {
            return Err(PreferenceError::NonFiniteReward { row });
        }
        self.reward_norm.update(&raw);
        self.reward_norm.normalize(&raw, out);
        let sign = self.config.reward_sign;
        out.iter_mut().for_each(|r| *r = sign.apply(*r));
        Ok(())
    }

    /// Writes the potential model's shaping term `gamma * h(s') - h(s)` for every row of
    /// `rollout` into `out`, `h` divided by its std over the labelled states and
    /// `h(terminal) = 0`. Before the first label the model knows nothing, and the terms are 0.
    pub fn potential_rewards(
        &mut self,
        rollout: &RolloutView,
        gamma: f64,
        out: &mut [f32],
    ) -> Result<(), PreferenceError> {
        rollout.check(self.obs_dim, self.action.stored_dim())?;
        if !self.is_potential() {
            return Err(PreferenceError::BadInput(
                "potential_rewards needs the potential reward model".into(),
            ));
        }
        let next = rollout.check_next()?;
        let rows = rollout.rows();
        if out.len() != rows {
            return Err(PreferenceError::BadInput(format!(
                "reward output has {} slots for {rows} rollout rows",
                out.len()
            )));
        }
        if self.pairs.is_empty() {
            out.fill(0.0);
            return Ok(());
        }
        // One batch: every stored state, then the states after truncations and the rollout.
        let d = self.obs_dim;
        let mut features = std::mem::take(&mut self.features);
        features.clear();
        features.extend_from_slice(&rollout.obs[..rows * d]);
        features.extend_from_slice(next.truncated_obs);
        features.extend_from_slice(next.last_obs);
        let h = self.model.predict(&features);
        self.features = features;
        if let Some(row) = h.iter().position(|r| !r.is_finite()) {
            return Err(PreferenceError::NonFiniteReward {
                row: row.min(rows.saturating_sub(1)),
            });
        }
        let truncated = &h[rows..rows + next.truncated_rows.len()];
        let last = &h[rows + next.truncated_rows.len()..];
        let scale = f64::from(self.potential_scale);
        for (row, o) in out.iter_mut().enumerate() {
            let after = match rollout.after(&next, row) {
                After::Terminal => 0.0,
                After::Truncated(k) => truncated[k],
                After::Row(r) => h[r],
                After::Last(env) => last[env],
            };
            *o = ((gamma * f64::from(after) - f64::from(h[row])) / scale) as f32;
        }
        Ok(())
    }

    /// This round's `due` queries: uniform pairs, or with disagreement selection the `due`
    /// of [`DISAGREEMENT_CANDIDATES`] times as many uniform pairs on which the ensemble's
    /// predicted return differences vary most (uniform until the model has been trained).
    fn choose_pairs(
        &mut self,
        rollout: &RolloutView,
        segments: &Segments,
        due: usize,
    ) -> Vec<(Start, Start)> {
        let select = self.config.query_selection == QuerySelection::Disagreement
            && !self.pairs.is_empty()
            && due > 0;
        if !select {
            return (0..due)
                .map(|_| segments.pick_pair(&mut self.query_rng))
                .collect();
        }
        let candidates: Vec<(Start, Start)> = (0..due * DISAGREEMENT_CANDIDATES)
            .map(|_| segments.pick_pair(&mut self.query_rng))
            .collect();
        let mut features = Vec::new();
        let mut terminal = Vec::new();
        for &(a, b) in &candidates {
            for start in [a, b] {
                let (f, t) = self.segment_features(rollout, segments, start);
                features.extend(f);
                terminal.push(t);
            }
        }
        let members = self.model.member_segment_returns(
            &features,
            self.rows_per_segment(segments),
            &terminal,
        );
        let spread = disagreement(&members);
        let mut order: Vec<usize> = (0..candidates.len()).collect();
        // Most disagreement first; ties (and NaN) keep the draw order.
        order.sort_by(|&i, &j| spread[j].total_cmp(&spread[i]).then(i.cmp(&j)));
        order.truncate(due);
        order.into_iter().map(|i| candidates[i]).collect()
    }

    /// Adds [`TRANSITIONS_PER_ROLLOUT`] random non-terminal transitions of `rollout` to the
    /// model's smoothness-penalty set (which keeps the [`TRANSITIONS_KEPT`] latest). Expects a
    /// view that passed [`RolloutView::check_next`].
    fn keep_transitions(&mut self, rollout: &RolloutView) {
        let Some(next) = rollout.next else { return };
        let d = self.obs_dim;
        let rows = rollout.rows();
        let mut new = Vec::with_capacity(TRANSITIONS_PER_ROLLOUT.min(rows) * 2 * d);
        for _ in 0..TRANSITIONS_PER_ROLLOUT.min(rows) {
            let row = self.transition_rng.below(rows);
            if let Some(after) = rollout.next_obs(&next, row) {
                new.extend_from_slice(&rollout.obs[row * d..(row + 1) * d]);
                new.extend_from_slice(after);
            }
        }
        self.model.add_transitions(&new, TRANSITIONS_KEPT);
    }

    /// Passes over the labels this round: `epochs`, or more to take at least
    /// `min_gradient_steps` minibatch steps.
    fn training_epochs(&self) -> usize {
        let batches = self.pairs.len().div_ceil(MINIBATCH_PAIRS).max(1);
        self.config
            .epochs
            .max(self.config.min_gradient_steps.div_ceil(batches))
    }

    /// Rows of reward-model input per segment.
    fn rows_per_segment(&self, segments: &Segments) -> usize {
        if self.is_potential() { 2 } else { segments.len }
    }

    /// The model's input for a segment, and whether it ended in a terminal state: its steps'
    /// features (step model), or its first state and the state after its last step
    /// (potential model; zeros for a terminal state, whose potential is 0 anyway).
    fn segment_features(
        &self,
        rollout: &RolloutView,
        segments: &Segments,
        start: Start,
    ) -> (Vec<f32>, bool) {
        let d = self.obs_dim;
        if let (Head::Potential(_), Some(next)) = (self.model.head(), rollout.next) {
            let first = rollout.row(start.0, start.1);
            let last = rollout.row(start.0, start.1 + segments.len - 1);
            let mut v = Vec::with_capacity(2 * d);
            v.extend_from_slice(&rollout.obs[first * d..(first + 1) * d]);
            return match rollout.next_obs(&next, last) {
                Some(obs) => {
                    v.extend_from_slice(obs);
                    (v, false)
                }
                None => {
                    v.resize(2 * d, 0.0);
                    (v, true)
                }
            };
        }
        let mut v = Vec::with_capacity(segments.len * self.model.d_input());
        let act_dim = rollout.act_dim;
        for row in segments.rows(rollout, start) {
            push_features(
                &rollout.obs[row * d..(row + 1) * d],
                &rollout.actions[row * act_dim..(row + 1) * act_dim],
                self.action,
                &mut v,
            );
        }
        (v, false)
    }

    /// Std of the potential over the labelled segments' states (terminal ends left out), at
    /// least a small floor so that a flat model does not blow the rewards up.
    fn labelled_state_std(&self) -> f32 {
        let d = self.obs_dim;
        let mut features = Vec::new();
        for pair in &self.pairs {
            for (seg, terminal) in [(&pair.a, pair.terminal[0]), (&pair.b, pair.terminal[1])] {
                let keep = if terminal { d } else { 2 * d };
                features.extend_from_slice(&seg[..keep.min(seg.len())]);
            }
        }
        let h = self.model.predict(&features);
        let n = h.len().max(1) as f64;
        let mean = h.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
        let var = h
            .iter()
            .map(|&x| (f64::from(x) - mean).powi(2))
            .sum::<f64>()
            / n;
        (var.sqrt() as f32).max(1e-3)
    }

    /// The reward model's agreement with the noiseless teacher on fresh pairs of this
    /// rollout; `None` if every pair tied.
    fn held_out_accuracy(&mut self, rollout: &RolloutView, segments: &Segments) -> Option<f64> {
        let mut labels = Vec::with_capacity(HELD_OUT_PAIRS);
        let mut features = Vec::new();
        let mut terminal = Vec::new();
        for _ in 0..HELD_OUT_PAIRS {
            let (a, b) = segments.pick_pair(&mut self.held_out_rng);
            let label = self.oracle.label(
                &segments.teacher_scores(rollout, a),
                &segments.teacher_scores(rollout, b),
            );
            if matches!(label, Label::First | Label::Second) {
                labels.push(label);
                for start in [a, b] {
                    let (f, t) = self.segment_features(rollout, segments, start);
                    features.extend(f);
                    terminal.push(t);
                }
            }
        }
        if labels.is_empty() {
            return None;
        }
        let sums =
            self.model
                .segment_returns(&features, self.rows_per_segment(segments), &terminal);
        let agreed = labels
            .iter()
            .zip(sums.chunks(2))
            .filter(|(label, s)| match label {
                Label::First => s[0] > s[1],
                _ => s[1] > s[0],
            })
            .count();
        Some(agreed as f64 / labels.len() as f64)
    }
}

/// Per pair, the std over members of the predicted return difference `R_a - R_b`;
/// `members[k]` holds member k's returns of the segments a0, b0, a1, b1, ...
fn disagreement(members: &[Vec<f64>]) -> Vec<f64> {
    let pairs = members.first().map_or(0, |m| m.len() / 2);
    let k = members.len().max(1) as f64;
    (0..pairs)
        .map(|p| {
            let diffs: Vec<f64> = members.iter().map(|m| m[2 * p] - m[2 * p + 1]).collect();
            let mean = diffs.iter().sum::<f64>() / k;
            (diffs.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / k).sqrt()
        })
        .collect()
}

/// Where a segment starts: env column and step.
type Start = (usize, usize);

/// The segments a rollout offers: every start of `len` steps inside one episode piece.
#[derive(Debug, PartialEq)]
struct Segments {
    len: usize,
    starts: Vec<Start>,
}

impl Segments {
    /// Segments of `segment_len` steps, or, if no episode piece is that long, of the longest
    /// piece's length. A segment may end with a `done` but never contains one earlier.
    fn find(dones: &[bool], n_envs: usize, segment_len: usize) -> Self {
        let n_steps = dones.len().checked_div(n_envs).unwrap_or(0);
        // run[env][t]: steps from t to the end of its episode piece, inclusive.
        let mut runs = vec![vec![0usize; n_steps]; n_envs];
        let mut longest = 0;
        for (env, run) in runs.iter_mut().enumerate() {
            for t in (0..n_steps).rev() {
                let ends = dones[t * n_envs + env] || t + 1 == n_steps;
                run[t] = if ends { 1 } else { run[t + 1] + 1 };
                longest = longest.max(run[t]);
            }
        }
        let len = segment_len.min(longest);
        let mut starts = Vec::new();
        if len > 0 {
            for t in 0..n_steps {
                for (env, run) in runs.iter().enumerate() {
                    if run[t] >= len {
                        starts.push((env, t));
                    }
                }
            }
        }
        Self { len, starts }
    }

    /// Two different starts, uniformly. Needs at least two starts.
    fn pick_pair(&self, rng: &mut AgentRng) -> (Start, Start) {
        let n = self.starts.len();
        let i = rng.below(n);
        let mut j = rng.below(n - 1);
        if j >= i {
            j += 1;
        }
        (self.starts[i], self.starts[j])
    }

    fn rows<'a>(
        &self,
        rollout: &'a RolloutView,
        (env, t0): Start,
    ) -> impl Iterator<Item = usize> + 'a {
        (t0..t0 + self.len).map(move |t| rollout.row(env, t))
    }

    fn teacher_scores(&self, rollout: &RolloutView, start: Start) -> Vec<f64> {
        self.rows(rollout, start)
            .map(|r| rollout.teacher_scores[r] as f64)
            .collect()
    }

    fn env_return(&self, rollout: &RolloutView, start: Start) -> f64 {
        self.rows(rollout, start)
            .map(|r| rollout.env_rewards[r] as f64)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A synthetic rollout: 2-dim observations uniform in [-1, 1], two discrete actions,
    /// episodes ending at random, and reward = teacher score = `obs[0]` (or `reward_of`).
    struct Synthetic {
        n_envs: usize,
        n_steps: usize,
        obs: Vec<f32>,
        actions: Vec<f32>,
        env_rewards: Vec<f32>,
        teacher_scores: Vec<f32>,
        dones: Vec<bool>,
    }

    impl Synthetic {
        fn new(n_envs: usize, n_steps: usize, seed: u64) -> Self {
            let mut rng = AgentRng::new(seed);
            let rows = n_envs * n_steps;
            let obs: Vec<f32> = (0..rows * 2)
                .map(|_| (rng.uniform() * 2.0 - 1.0) as f32)
                .collect();
            let actions = (0..rows).map(|_| rng.below(2) as f32).collect();
            let dones = (0..rows).map(|_| rng.uniform() < 0.03).collect();
            let env_rewards: Vec<f32> = (0..rows).map(|r| obs[r * 2]).collect();
            Self {
                n_envs,
                n_steps,
                obs,
                actions,
                teacher_scores: env_rewards.clone(),
                env_rewards,
                dones,
            }
        }

        fn view(&self) -> RolloutView<'_> {
            RolloutView {
                n_envs: self.n_envs,
                n_steps: self.n_steps,
                obs_dim: 2,
                act_dim: 1,
                obs: &self.obs,
                actions: &self.actions,
                env_rewards: &self.env_rewards,
                teacher_scores: &self.teacher_scores,
                dones: &self.dones,
                next: None,
            }
        }
    }

    const ACTION: ActionSpec = ActionSpec::Discrete {
        n: 2,
        masked: false,
    };

    fn pref() -> PreferenceConfig {
        PreferenceConfig {
            label_budget: 200,
            segment_len: 5,
            labels_per_update: 25,
            hidden: 32,
            learning_rate: 1e-3,
            epochs: 8,
            ..PreferenceConfig::default()
        }
    }

    /// Runs `updates` rounds on fresh rollouts; returns the learner and every round's stats.
    fn run(
        pref: &PreferenceConfig,
        labeler: &LabelerConfig,
        updates: usize,
        seed: u64,
    ) -> (PreferenceLearner, Vec<PreferenceStats>) {
        let mut learner = PreferenceLearner::new(pref, labeler, 2, ACTION, seed).unwrap();
        let stats = (0..updates)
            .map(|u| {
                let data = Synthetic::new(4, 64, 1000 + u as u64);
                learner
                    .after_rollout(&data.view(), u as f64 / updates as f64)
                    .unwrap()
            })
            .collect();
        (learner, stats)
    }

    /// Mean held-out accuracy of the rounds after the budget ran out (the model is fixed
    /// then, so this averages its accuracy over several rollouts' held-out pairs).
    fn final_accuracy(stats: &[PreferenceStats]) -> f64 {
        let done: Vec<f64> = stats
            .iter()
            .filter(|s| s.new_labels == 0)
            .filter_map(|s| s.reward_model_accuracy)
            .collect();
        assert!(done.len() >= 3, "{stats:?}");
        done.iter().sum::<f64>() / done.len() as f64
    }

    #[test]
    fn segments_stay_inside_episode_pieces() {
        // Two envs, six steps; env 0 ends an episode at t = 2, env 1 runs through.
        let mut dones = vec![false; 12];
        dones[2 * 2] = true;
        let s = Segments::find(&dones, 2, 4);
        assert_eq!(s.len, 4);
        assert_eq!(s.starts, vec![(1, 0), (1, 1), (1, 2)]);
        let s = Segments::find(&dones, 2, 3);
        assert_eq!(
            s.starts,
            vec![(0, 0), (1, 0), (1, 1), (1, 2), (0, 3), (1, 3)]
        );
        // Longer than any piece: the longest piece's length, here one start only.
        let s = Segments::find(&dones, 2, 10);
        assert_eq!((s.len, s.starts.clone()), (6, vec![(1, 0)]));
        // Every step ends an episode: one-step segments.
        let s = Segments::find(&[true; 6], 2, 5);
        assert_eq!((s.len, s.starts.len()), (1, 6));
    }

    #[test]
    fn a_perfect_labeler_teaches_the_reward_model_to_rank_held_out_pairs() {
        // 200 labels in 8 rounds of 25, then 4 rounds with the model fixed.
        let (mut learner, perfect) = run(&pref(), &LabelerConfig::default(), 12, 7);
        let last = perfect[11];
        assert_eq!(last.labels_used, 200);
        assert_eq!(last.labeler_accuracy, Some(1.0));
        let first = perfect[0].reward_model_accuracy.unwrap();
        let acc = final_accuracy(&perfect);
        assert!(acc >= 0.9, "perfect labels: held-out accuracy {acc}");
        assert!(acc > first, "no progress from {first} to {acc}");

        // Its normalised reward orders the rows of a new rollout like obs[0] does.
        let data = Synthetic::new(4, 64, 5);
        let mut r = vec![0.0; 256];
        learner.rewards(&data.view(), &mut r).unwrap();
        let (mut agree, mut total) = (0, 0);
        for i in 0..256 {
            for j in i + 1..256 {
                let truth = data.obs[i * 2] - data.obs[j * 2];
                if truth.abs() > 0.1 {
                    total += 1;
                    agree += usize::from((r[i] - r[j]) * truth > 0.0);
                }
            }
        }
        let rank = agree as f64 / total as f64;
        assert!(rank > 0.9, "row ranking {rank}");
        let mean = r.iter().map(|&x| x as f64).sum::<f64>() / 256.0;
        assert!(mean.abs() < 0.5, "normalised mean {mean}");

        // Coin-flip labels teach next to nothing.
        let coin = LabelerConfig {
            mistake: 0.5,
            ..LabelerConfig::default()
        };
        let (_, noisy) = run(&pref(), &coin, 12, 7);
        let noisy_acc = final_accuracy(&noisy);
        let labeler_acc = noisy[11].labeler_accuracy.unwrap();
        assert!(
            (labeler_acc - 0.5).abs() < 0.15,
            "coin labeler {labeler_acc}"
        );
        assert!(
            acc - noisy_acc > 0.2,
            "perfect {acc} vs coin-flip {noisy_acc}"
        );
    }

    #[test]
    fn same_seed_same_labels_model_and_rewards() {
        let labeler = LabelerConfig {
            beta: Some(2.0),
            mistake: 0.1,
            ..LabelerConfig::default()
        };
        let small = PreferenceConfig {
            label_budget: 30,
            epochs: 2,
            ..pref()
        };
        let data = Synthetic::new(4, 64, 3);
        let rewards = |seed| {
            let (mut learner, stats) = run(&small, &labeler, 2, seed);
            let stats = stats[1];
            let mut r = vec![0.0; 256];
            learner.rewards(&data.view(), &mut r).unwrap();
            (stats, r)
        };
        let (s1, r1) = rewards(11);
        let (s2, r2) = rewards(11);
        assert_eq!(s1, s2);
        assert_eq!(r1, r2);
        let (_, r3) = rewards(12);
        assert_ne!(r1, r3);
    }

    #[test]
    fn the_budget_and_schedule_bound_the_queries_and_skips_are_charged() {
        let data = Synthetic::new(2, 32, 1);
        let config = PreferenceConfig {
            label_budget: 10,
            labels_per_update: 4,
            epochs: 1,
            ..pref()
        };
        // Every query skipped (no segment reaches a return of 100): charged, never trained.
        let skipper = LabelerConfig {
            skip: Some(100.0),
            ..LabelerConfig::default()
        };
        let mut l = PreferenceLearner::new(&config, &skipper, 2, ACTION, 0).unwrap();
        let used: Vec<(usize, u64)> = (0..4)
            .map(|_| {
                let s = l.after_rollout(&data.view(), 0.0).unwrap();
                assert_eq!(s.reward_model_loss, None);
                assert_eq!(s.reward_model_accuracy, None);
                (s.new_labels, s.labels_used)
            })
            .collect();
        assert_eq!(used, vec![(4, 4), (4, 8), (2, 10), (0, 10)]);
        assert_eq!(l.labelled_pairs(), 0);
        let mut r = vec![1.0; 64];
        l.rewards(&data.view(), &mut r).unwrap();
        assert!(r.iter().all(|&x| x == 0.0), "no labels, no reward");

        let decaying = PreferenceConfig {
            labels_per_update: 20,
            query_schedule: QuerySchedule::Decaying,
            label_budget: 1000,
            ..config
        };
        let l = PreferenceLearner::new(&decaying, &skipper, 2, ACTION, 0).unwrap();
        assert_eq!(l.queries_due(0.0), 20);
        assert_eq!(l.queries_due(0.25), 15);
        assert_eq!(l.queries_due(1.0), 1);
    }

    #[test]
    fn initial_labels_front_load_the_budget_and_min_steps_raise_the_epochs() {
        let data = Synthetic::new(2, 32, 1);
        let config = PreferenceConfig {
            label_budget: 30,
            labels_per_update: 4,
            initial_labels: Some(20),
            epochs: 2,
            min_gradient_steps: 10,
            ..pref()
        };
        let mut l =
            PreferenceLearner::new(&config, &LabelerConfig::default(), 2, ACTION, 0).unwrap();
        // No labels yet: one minibatch, so 10 steps take 10 passes.
        assert_eq!(l.training_epochs(), 10);
        let used: Vec<(usize, u64)> = (0..5)
            .map(|_| {
                let s = l.after_rollout(&data.view(), 0.0).unwrap();
                (s.new_labels, s.labels_used)
            })
            .collect();
        assert_eq!(used, vec![(20, 20), (4, 24), (4, 28), (2, 30), (0, 30)]);
        // 30 labels fit one minibatch of 64: still 10 passes; with 100 labels (2 minibatches)
        // 5 passes, and the configured epochs once they take more steps.
        assert_eq!(l.training_epochs(), 10);
        let many = l.pairs[0].clone();
        l.pairs.resize(100, many);
        assert_eq!(l.training_epochs(), 5);
        l.pairs.resize(700, l.pairs[0].clone());
        assert_eq!(l.training_epochs(), 2);
        // Without initial_labels the first round asks labels_per_update, as before.
        let plain = PreferenceConfig {
            initial_labels: None,
            ..config
        };
        let l = PreferenceLearner::new(&plain, &LabelerConfig::default(), 2, ACTION, 0).unwrap();
        assert_eq!(l.queries_due(0.0), 4);
    }

    #[test]
    fn disagreement_is_the_std_of_the_members_return_differences() {
        // Two members, two pairs: differences (1, 3) and (2, 2).
        let members = vec![vec![1.0, 0.0, 2.0, 0.0], vec![3.0, 0.0, 1.0, -1.0]];
        assert_eq!(disagreement(&members), vec![1.0, 0.0]);
        assert!(disagreement(&[]).is_empty());
    }

    #[test]
    fn disagreement_selection_asks_the_pairs_the_ensemble_is_unsure_of() {
        let config = PreferenceConfig {
            ensemble: 3,
            query_selection: QuerySelection::Disagreement,
            ..pref()
        };
        let mut l =
            PreferenceLearner::new(&config, &LabelerConfig::default(), 2, ACTION, 3).unwrap();
        let data = Synthetic::new(4, 64, 1);
        let view = data.view();
        let segments = Segments::find(view.dones, view.n_envs, config.segment_len);
        // Before any label: uniform, the same draws as uniform selection would make.
        let mut uniform_rng = l.query_rng.clone();
        let first = l.choose_pairs(&view, &segments, 5);
        let expected: Vec<_> = (0..5)
            .map(|_| segments.pick_pair(&mut uniform_rng))
            .collect();
        assert_eq!(first, expected);
        l.after_rollout(&view, 0.0).unwrap();
        // Trained: the chosen pairs are the most disputed of ten times as many candidates.
        let mut probe = l.query_rng.clone();
        let chosen = l.choose_pairs(&view, &segments, 5);
        assert_eq!(chosen.len(), 5);
        let candidates: Vec<_> = (0..5 * DISAGREEMENT_CANDIDATES)
            .map(|_| segments.pick_pair(&mut probe))
            .collect();
        let spread_of = |pairs: &[(Start, Start)]| {
            let mut features = Vec::new();
            let mut terminal = Vec::new();
            for &(a, b) in pairs {
                for start in [a, b] {
                    let (f, t) = l.segment_features(&view, &segments, start);
                    features.extend(f);
                    terminal.push(t);
                }
            }
            disagreement(
                &l.model
                    .member_segment_returns(&features, segments.len, &terminal),
            )
        };
        let all = spread_of(&candidates);
        let picked = spread_of(&chosen);
        let mut sorted = all.clone();
        sorted.sort_by(|x, y| y.total_cmp(x));
        assert!(
            picked.iter().all(|p| *p >= sorted[4] - 1e-12),
            "{picked:?} {sorted:?}"
        );
        assert!(picked.iter().sum::<f64>() > 5.0 * all.iter().sum::<f64>() / all.len() as f64);
        let stats = l.after_rollout(&view, 0.1).unwrap();
        assert_eq!(stats.new_labels, 25);
        assert_eq!(stats.labels_used, 50);
    }

    #[test]
    fn a_labeler_that_always_errs_scores_zero_accuracy() {
        let wrong = LabelerConfig {
            mistake: 1.0,
            ..LabelerConfig::default()
        };
        let config = PreferenceConfig {
            epochs: 1,
            ..pref()
        };
        let (_, stats) = run(&config, &wrong, 1, 3);
        let stats = stats[0];
        assert_eq!(stats.new_labels, 25);
        assert_eq!(stats.labeler_accuracy, Some(0.0));
        assert!(stats.reward_model_loss.is_some_and(|l| l.is_finite()));
    }

    #[test]
    fn malformed_rollouts_and_knobs_are_errors() {
        let config = pref();
        let labeler = LabelerConfig::default();
        let mut l = PreferenceLearner::new(&config, &labeler, 2, ACTION, 0).unwrap();
        let mut data = Synthetic::new(2, 16, 1);
        let mut short = data.view();
        short.dones = &data.dones[..5];
        assert!(matches!(
            l.after_rollout(&short, 0.0),
            Err(PreferenceError::BadInput(m)) if m.contains("dones")
        ));
        let mut wide = data.view();
        wide.act_dim = 2;
        assert!(l.after_rollout(&wide, 0.0).is_err());
        assert!(l.after_rollout(&data.view(), f64::NAN).is_err());
        assert!(l.rewards(&data.view(), &mut [0.0; 3]).is_err());
        data.teacher_scores[7] = f32::INFINITY;
        assert_eq!(
            l.after_rollout(&data.view(), 0.0),
            Err(PreferenceError::NonFiniteScore {
                row: 7,
                score: f32::INFINITY
            })
        );
        assert_eq!(l.labels_used(), 0);

        let bad = PreferenceConfig {
            ensemble: 0,
            ..config
        };
        assert!(PreferenceLearner::new(&bad, &labeler, 2, ACTION, 0).is_err());
        let noisy = LabelerConfig {
            mistake: 2.0,
            ..labeler
        };
        assert!(PreferenceLearner::new(&config, &noisy, 2, ACTION, 0).is_err());
        let nothing = ActionSpec::Discrete {
            n: 0,
            masked: false,
        };
        assert!(PreferenceLearner::new(&config, &labeler, 0, nothing, 0).is_err());
    }

    /// A rollout whose teacher scores progress along `obs[0]`: each env walks a random walk
    /// `x` in [-1, 1], obs `[x, noise]`, score `x' - x` (a potential difference), no episode
    /// ends; `last_obs` holds the state after the last step.
    struct Walk {
        data: Synthetic,
        last_obs: Vec<f32>,
    }

    impl Walk {
        fn new(n_envs: usize, n_steps: usize, seed: u64) -> Self {
            let mut rng = AgentRng::new(seed);
            let mut data = Synthetic::new(n_envs, n_steps, seed);
            data.dones.fill(false);
            let mut x: Vec<f32> = (0..n_envs)
                .map(|_| (rng.uniform() * 2.0 - 1.0) as f32)
                .collect();
            for t in 0..=n_steps {
                for (env, x) in x.iter_mut().enumerate() {
                    let before = *x;
                    *x = (*x + (rng.uniform() as f32 - 0.5) * 0.4).clamp(-1.0, 1.0);
                    if t < n_steps {
                        let row = t * n_envs + env;
                        data.obs[row * 2] = before;
                        data.obs[row * 2 + 1] = (rng.uniform() * 2.0 - 1.0) as f32;
                    }
                }
            }
            // The state after row (t, env) is row (t + 1, env); after the last step, last_obs.
            let last_obs: Vec<f32> = (0..n_envs).flat_map(|env| [x[env], 0.0]).collect();
            let rows = n_envs * n_steps;
            for row in 0..rows {
                let after = if row + n_envs < rows {
                    data.obs[(row + n_envs) * 2]
                } else {
                    last_obs[(row % n_envs) * 2]
                };
                data.teacher_scores[row] = after - data.obs[row * 2];
                data.env_rewards[row] = data.teacher_scores[row];
            }
            Self { data, last_obs }
        }

        fn view<'a>(&'a self, terminated: &'a [bool]) -> RolloutView<'a> {
            let mut v = self.data.view();
            v.next = Some(NextStates {
                terminated,
                truncated_rows: &[],
                truncated_obs: &[],
                last_obs: &self.last_obs,
            });
            v
        }
    }

    fn potential_pref() -> PreferenceConfig {
        PreferenceConfig {
            reward_model: RewardModelKind::Potential,
            ..pref()
        }
    }

    #[test]
    fn the_potential_model_learns_a_progress_labeler_from_few_labels() {
        let config = potential_pref();
        let mut learner =
            PreferenceLearner::new(&config, &LabelerConfig::default(), 2, ACTION, 7).unwrap();
        assert!(learner.is_potential());
        let no_end = vec![false; 4 * 64];
        let mut accuracy = Vec::new();
        for u in 0..12 {
            let walk = Walk::new(4, 64, 100 + u);
            let stats = learner
                .after_rollout(&walk.view(&no_end), u as f64 / 12.0)
                .unwrap();
            if stats.new_labels == 0 {
                accuracy.extend(stats.reward_model_accuracy);
            }
        }
        assert_eq!(learner.labels_used(), 200);
        assert!(accuracy.len() >= 3);
        let acc = accuracy.iter().sum::<f64>() / accuracy.len() as f64;
        assert!(acc >= 0.9, "held-out accuracy {acc}");
        // h rises with x: moving right is rewarded, moving left costs.
        let walk = Walk::new(4, 64, 1);
        let mut out = vec![0.0; 256];
        learner
            .potential_rewards(&walk.view(&no_end), 1.0, &mut out)
            .unwrap();
        let agree = out
            .iter()
            .zip(&walk.data.teacher_scores)
            .filter(|(_, s)| s.abs() > 0.05)
            .map(|(f, s)| usize::from(f * s > 0.0))
            .collect::<Vec<_>>();
        let share = agree.iter().sum::<usize>() as f64 / agree.len() as f64;
        assert!(share > 0.9, "sign agreement {share}");
    }

    #[test]
    fn potential_rewards_cancel_over_a_cycle_and_end_episodes_correctly() {
        let mut learner =
            PreferenceLearner::new(&potential_pref(), &LabelerConfig::default(), 2, ACTION, 3)
                .unwrap();
        let walk = Walk::new(4, 64, 9);
        learner
            .after_rollout(&walk.view(&[false; 256]), 0.0)
            .unwrap();
        assert!(learner.labelled_pairs() > 0);
        // Two envs, six steps. Env 0 goes round A -> B -> C -> A twice (the state after its
        // last step is A again). Env 1 terminates at t = 1 and is truncated at t = 4 with
        // final state X.
        let (a, b, c, x) = ([0.9, 0.1], [-0.3, 0.5], [0.2, -0.8], [-0.7, -0.2]);
        let mut data = Synthetic::new(2, 6, 1);
        let cycle = [a, b, c, a, b, c];
        let other = [b, c, a, b, c, a];
        for t in 0..6 {
            data.obs[(t * 2) * 2..(t * 2) * 2 + 2].copy_from_slice(&cycle[t]);
            data.obs[(t * 2 + 1) * 2..(t * 2 + 1) * 2 + 2].copy_from_slice(&other[t]);
        }
        data.dones.fill(false);
        data.dones[2 + 1] = true;
        data.dones[8 + 1] = true;
        let mut terminated = vec![false; 12];
        terminated[2 + 1] = true;
        let last_obs = [a, b].concat();
        let mut view = data.view();
        view.next = Some(NextStates {
            terminated: &terminated,
            truncated_rows: &[9],
            truncated_obs: &x,
            last_obs: &last_obs,
        });
        let [ha, hb, hc, hx] = [a, b, c, x].map(|s| f64::from(learner.model.predict(&s)[0]));
        let scale = f64::from(learner.potential_scale);
        let mut out = vec![0.0; 12];
        learner.potential_rewards(&view, 1.0, &mut out).unwrap();
        let env0: Vec<f64> = (0..6).map(|t| f64::from(out[t * 2])).collect();
        assert!(
            env0.iter().any(|f| f.abs() > 1e-3),
            "a flat potential: {env0:?}"
        );
        // With gamma = 1 a closed cycle earns nothing, so it cannot be farmed.
        let cycle_sum: f64 = env0.iter().sum();
        assert!(cycle_sum.abs() < 1e-5, "cycle sum {cycle_sum}");
        // A terminal state is worth 0; a truncated step reads its final state.
        let close = |got: f32, want: f64| (f64::from(got) - want).abs() < 1e-5;
        assert!(close(out[3], -hc / scale), "{} vs {}", out[3], -hc / scale);
        assert!(close(out[9], (hx - hc) / scale));
        assert!(
            close(out[11], (hb - ha) / scale),
            "last step reads last_obs"
        );
        // gamma discounts the state after the step.
        learner.potential_rewards(&view, 0.9, &mut out).unwrap();
        assert!(close(out[0], (0.9 * hb - ha) / scale));
        assert!(close(out[3], -hc / scale));

        // Malformed views are errors: no next states, a done row that is neither terminated
        // nor truncated, and the step model's entry point.
        let mut bare = view;
        bare.next = None;
        assert!(learner.potential_rewards(&bare, 1.0, &mut out).is_err());
        assert!(learner.after_rollout(&bare, 0.0).is_err());
        let mut lost = view;
        lost.next = Some(NextStates {
            truncated_rows: &[],
            truncated_obs: &[],
            ..view.next.unwrap()
        });
        assert!(matches!(
            learner.potential_rewards(&lost, 1.0, &mut out),
            Err(PreferenceError::BadInput(m)) if m.contains("row 9")
        ));
        assert!(learner.rewards(&view, &mut out).is_err());
    }

    #[test]
    fn non_finite_observations_stop_training_with_an_error() {
        let mut data = Synthetic::new(2, 16, 1);
        data.obs.iter_mut().for_each(|x| *x = f32::NAN);
        let mut l =
            PreferenceLearner::new(&pref(), &LabelerConfig::default(), 2, ACTION, 0).unwrap();
        assert!(matches!(
            l.after_rollout(&data.view(), 0.0),
            Err(PreferenceError::NonFiniteLoss(_))
        ));
        // A model trained on good data still refuses to reward a NaN observation.
        let good = Synthetic::new(2, 16, 1);
        let mut l =
            PreferenceLearner::new(&pref(), &LabelerConfig::default(), 2, ACTION, 0).unwrap();
        l.after_rollout(&good.view(), 0.0).unwrap();
        let mut out = vec![0.0; 32];
        l.rewards(&data.view(), &mut out).unwrap_err();
        assert!(matches!(
            l.rewards(&data.view(), &mut out),
            Err(PreferenceError::NonFiniteReward { row: 0 })
        ));
        l.rewards(&good.view(), &mut out).unwrap();
        assert!(out.iter().all(|r| r.is_finite()), "statistics stay clean");
    }
}
