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
    DISAGREEMENT_CANDIDATES, LabelSource, LabelerConfig, PreferenceConfig, QuerySchedule,
    QuerySelection, RewardModelKind,
};
use super::labeler::{Label, Labeler};
use super::reward_model::{
    Head, LabelledPair, MINIBATCH_PAIRS, NonFiniteRewardLoss, RewardModelConfig,
    RewardModelTrainer, feature_dim, push_features,
};
use crate::agent::ActionSpec;
use crate::agent::normalize::RunningNorm;
use crate::agent::rng::{AgentRng, mix_seed};

mod queue;
mod rollout_view;
mod segments;
mod state;

pub use queue::{Answer, LabelOrigin, LabelRecord, QUEUE_CAPACITY, Query, QueryQueue, SegmentRef};
use rollout_view::After;
pub use rollout_view::{EpisodeRefs, NextStates, RolloutView};
use segments::{Segments, Start};
pub use state::{LabelsState, PreferenceState};

/// Held-out pairs per rollout on which the reward model's accuracy is measured.
pub const HELD_OUT_PAIRS: usize = 64;

/// Unlabelled transitions kept per rollout for the smoothness penalty.
pub const TRANSITIONS_PER_ROLLOUT: usize = 256;
/// Unlabelled transitions kept in all (the most recent).
pub const TRANSITIONS_KEPT: usize = 4096;

/// Normalised rewards are clipped to `[-CLIP, CLIP]`.
const REWARD_CLIP: f32 = 10.0;

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
    /// A person's answers over the run (skips included).
    pub labels_you: u64,
    /// Queries waiting for a person.
    pub queue: usize,
    /// Share of the person's labels that the AI labeler gave too, over pairs both judged
    /// (skips left out); `None` before any.
    pub you_vs_ai: Option<f64>,
    /// Share of the person's labels (left or right) that the reward model, as it was when
    /// the pair was asked, ordered the same way; `None` before any.
    pub you_vs_model: Option<f64>,
    /// The same for the AI labeler's labels: the share the reward model ordered the same
    /// way before it trained on them (held-out accuracy on the AI's labels); `None` before any.
    pub ai_vs_model: Option<f64>,
    /// The reward model is frozen (see `freeze_after`).
    pub frozen: bool,
}

impl ReplayedSegment {
    /// Steps in the segment, for observations of `obs_dim` floats.
    pub fn len(&self, obs_dim: usize) -> usize {
        self.obs.len().checked_div(obs_dim).unwrap_or(0)
    }
}

/// What answering a query returns: what the AI and the reward model said of the same pair.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AnswerReport {
    pub ai: Answer,
    /// The reward model's `P(left > right)` when the pair was asked.
    pub model: Option<f64>,
}

/// A person's labels held against the AI labeler's verdicts and the reward model's
/// predictions on the same pairs, as `(agreed, compared)` counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LabelAgreement {
    pub you_vs_ai: (u64, u64),
    pub you_vs_model: (u64, u64),
    /// The AI labeler's labels against the reward model's prediction before it trained on
    /// them (the model's held-out accuracy on the AI's labels).
    pub ai_vs_model: (u64, u64),
}

impl LabelAgreement {
    /// `agreed / compared`, `None` before any comparison.
    pub fn share((agreed, compared): (u64, u64)) -> Option<f64> {
        (compared > 0).then(|| agreed as f64 / compared as f64)
    }
}

/// A segment replayed from its [`SegmentRef`], as the reward model reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplayedSegment {
    /// The network's observation before each step, `[len, obs_dim]`.
    pub obs: Vec<f32>,
    /// The actions as stored for the policy, `[len, act_dim]`.
    pub actions: Vec<f32>,
    /// The network's observation after the last step; `None` when it was terminal.
    pub next_obs: Option<Vec<f32>>,
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
    /// Queries waiting for a person.
    queue: QueryQueue,
    /// Every label given, with its segments and source, for a labels file.
    log: Vec<LabelRecord>,
    /// This rollout's queries are asked (see [`PreferenceLearner::ask`]).
    asked: bool,
    /// Queries asked in the last round.
    last_due: usize,
    /// Labels added since the model last trained.
    untrained: usize,
    /// The model has trained at least once.
    trained: bool,
    /// A person's answers so far (skips included).
    labels_you: u64,
    /// Labels from a person: the first round's queries, which the run waits for.
    first_round: Option<u64>,
    /// The person against the AI labeler and against the reward model: (agreed, compared).
    you_vs_ai: (u64, u64),
    you_vs_model: (u64, u64),
    /// The AI labeler against the reward model before it trained on the label.
    ai_vs_model: (u64, u64),
    /// The reward model trains no more (see `freeze_after`).
    frozen: bool,
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
            queue: QueryQueue::new(
                QUEUE_CAPACITY.max(pref.initial_labels.unwrap_or(0).max(pref.labels_per_update)),
            ),
            log: Vec::new(),
            asked: false,
            last_due: 0,
            untrained: 0,
            trained: false,
            labels_you: 0,
            first_round: None,
            you_vs_ai: (0, 0),
            you_vs_model: (0, 0),
            ai_vs_model: (0, 0),
            frozen: false,
        })
    }

    /// Queries waiting for a person, oldest first.
    pub fn queue(&self) -> &QueryQueue {
        &self.queue
    }

    /// Every label so far, in the order given.
    pub fn label_log(&self) -> &[LabelRecord] {
        &self.log
    }

    /// A person's answers so far (skips included).
    pub fn labels_you(&self) -> u64 {
        self.labels_you
    }

    /// How often the person's labels matched the AI labeler's and the reward model's, as
    /// `(agreed, compared)` counts (see [`PreferenceStats::you_vs_ai`] and `you_vs_model`).
    pub fn agreement(&self) -> LabelAgreement {
        LabelAgreement {
            you_vs_ai: self.you_vs_ai,
            you_vs_model: self.you_vs_model,
            ai_vs_model: self.ai_vs_model,
        }
    }

    /// Whether the reward model is frozen: it asks and trains no more (see `freeze_after`).
    pub fn is_frozen(&self) -> bool {
        self.frozen
    }

    /// Labels given so far, every source's (skips included).
    fn labels_given(&self) -> u64 {
        self.labels_used + self.labels_you
    }

    /// With labels from a person only: `(given, needed)` while the run waits for the first
    /// round's answers (or labels from a file) before PPO may train on the reward model.
    pub fn waiting_for_labels(&self) -> Option<(u64, u64)> {
        if self.config.label_source != LabelSource::You {
            return None;
        }
        // Labels brought from a file count as much as answers.
        let given = self.log.len() as u64;
        let needed = self.first_round?;
        (given < needed).then_some((given, needed))
    }

    /// Queries asked of the budget: the AI's, or with a person only, theirs answered and
    /// waiting.
    fn spent(&self) -> u64 {
        match self.config.label_source {
            LabelSource::You => self.labels_you + self.queue.len() as u64,
            _ => self.labels_used,
        }
    }

    /// The person's answer to the waiting query `id`, at the run's `at_step`: it enters the
    /// reward model's training set at once (the model trains on its next round). An id
    /// that is not waiting (answered, dropped, or of another run) is refused and changes
    /// nothing.
    pub fn answer(
        &mut self,
        id: u64,
        answer: Answer,
        at_step: u64,
    ) -> Result<AnswerReport, PreferenceError> {
        if self.frozen {
            return Err(PreferenceError::BadInput(
                "the reward model is frozen: it takes no more labels".into(),
            ));
        }
        let Some(query) = self.queue.take(id) else {
            return Err(PreferenceError::BadInput(format!(
                "query {id} is not waiting: it was answered already, dropped from a full queue, \
                 or asked by another run"
            )));
        };
        self.labels_you += 1;
        if answer != Answer::Skip && query.ai != Answer::Skip {
            self.you_vs_ai.1 += 1;
            self.you_vs_ai.0 += u64::from(answer == query.ai);
        }
        if let (Some(p), Answer::Left | Answer::Right) = (query.model, answer) {
            self.you_vs_model.1 += 1;
            self.you_vs_model.0 += u64::from((p > 0.5) == (answer == Answer::Left));
        }
        let report = AnswerReport {
            ai: query.ai,
            model: query.model,
        };
        if let Some(target) = answer.label().target() {
            let mut pair = query.pair;
            pair.target = target;
            self.pairs.push(pair);
            self.untrained += 1;
        }
        self.log.push(LabelRecord {
            left: query.left,
            right: query.right,
            answer,
            source: LabelOrigin::You,
            at_step,
        });
        Ok(report)
    }

    /// Adds a label given elsewhere (a labels file), its segments replayed; counted as its
    /// source's. The model trains on it at its next round.
    pub fn add_label(
        &mut self,
        record: LabelRecord,
        left: &ReplayedSegment,
        right: &ReplayedSegment,
    ) -> Result<(), PreferenceError> {
        let rows = if self.is_potential() {
            2
        } else {
            left.len(self.obs_dim)
        };
        let (fa, ta) = self.replayed_features(left)?;
        let (fb, tb) = self.replayed_features(right)?;
        if let Some(first) = self.pairs.first()
            && first.len != rows
        {
            return Err(PreferenceError::BadInput(format!(
                "a label's segments have {rows} steps, the run's labels {}",
                first.len
            )));
        }
        match record.source {
            LabelOrigin::Ai => self.labels_used += 1,
            LabelOrigin::You => self.labels_you += 1,
        }
        if let Some(target) = record.answer.label().target() {
            self.pairs.push(LabelledPair {
                len: rows,
                a: fa,
                b: fb,
                target,
                terminal: [ta, tb],
            });
            self.untrained += 1;
        }
        self.log.push(record);
        Ok(())
    }

    /// The model's input for a replayed segment (see [`PreferenceLearner::segment_features`]).
    fn replayed_features(
        &self,
        segment: &ReplayedSegment,
    ) -> Result<(Vec<f32>, bool), PreferenceError> {
        let d = self.obs_dim;
        let a = self.action.stored_dim();
        let len = segment.len(d);
        let next_ok = segment.next_obs.as_ref().is_none_or(|o| o.len() == d);
        if len == 0 || segment.obs.len() != len * d || segment.actions.len() != len * a || !next_ok
        {
            return Err(PreferenceError::BadInput(format!(
                "a replayed segment has {} observation and {} action floats, which is no whole \
                 number of steps of {d} and {a}",
                segment.obs.len(),
                segment.actions.len()
            )));
        }
        if self.is_potential() {
            return Ok(potential_features(
                &segment.obs[..d],
                segment.next_obs.as_deref(),
            ));
        }
        let mut v = Vec::with_capacity(len * self.model.d_input());
        for (obs, act) in segment
            .obs
            .chunks_exact(d)
            .zip(segment.actions.chunks_exact(a))
        {
            push_features(obs, act, self.action, &mut v);
        }
        Ok((v, false))
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
            Some(first) if self.spent() == 0 => first,
            _ => self.config.labels_per_update,
        };
        let due = match self.config.query_schedule {
            QuerySchedule::Uniform => per_update,
            QuerySchedule::Decaying if per_update == 0 => 0,
            QuerySchedule::Decaying => {
                ((per_update as f64 * (1.0 - progress)).round() as usize).max(1)
            }
        };
        if self.frozen {
            return 0;
        }
        let mut left = self.config.label_budget.saturating_sub(self.spent());
        if let Some(freeze) = self.config.freeze_after {
            let asked = self.labels_given() + self.queue.len() as u64;
            left = left.min(freeze.saturating_sub(asked));
        }
        due.min(usize::try_from(left).unwrap_or(usize::MAX))
    }

    /// Asks this round's queries on `rollout` and trains the reward model on every label so
    /// far ([`PreferenceLearner::ask`], then [`PreferenceLearner::learn`]).
    pub fn after_rollout(
        &mut self,
        rollout: &RolloutView,
        progress: f64,
    ) -> Result<PreferenceStats, PreferenceError> {
        self.ask(rollout, progress, 0)?;
        self.learn(rollout)
    }

    /// Asks this round's queries on `rollout`, once per rollout (pairs of equally long
    /// segments within one env's column, never crossing an episode's end): the AI labeler
    /// answers at once, and with labels from a person the pairs wait in the queue, asked at
    /// the run's `at_step`. `progress` is the share of the run done, in `[0, 1]`.
    pub fn ask(
        &mut self,
        rollout: &RolloutView,
        progress: f64,
        at_step: u64,
    ) -> Result<(), PreferenceError> {
        rollout.check(self.obs_dim, self.action.stored_dim())?;
        if self.is_potential() {
            rollout.check_next()?;
        }
        if !(0.0..=1.0).contains(&progress) {
            return Err(PreferenceError::BadInput(format!(
                "run progress must be in [0, 1], got {progress}"
            )));
        }
        if self.asked {
            return Ok(());
        }
        if let Some((row, &score)) = rollout
            .teacher_scores
            .iter()
            .enumerate()
            .find(|(_, s)| !s.is_finite())
        {
            return Err(PreferenceError::NonFiniteScore { row, score });
        }
        let source = self.config.label_source;
        if source.asks_person() && rollout.episodes.is_none() {
            return Err(PreferenceError::BadInput(
                "a person's queries need the rollout's episodes, to show their segments".into(),
            ));
        }
        let segments = Segments::find(rollout.dones, rollout.n_envs, self.config.segment_len);
        let due = if segments.starts.len() >= 2 {
            self.queries_due(progress)
        } else {
            0
        };
        let rows = self.rows_per_segment(&segments);
        let chosen = self.choose_pairs(rollout, &segments, due);
        let mut round = Vec::with_capacity(chosen.len());
        for (a, b) in chosen {
            let label = self.labeler.label(
                &segments.teacher_scores(rollout, a),
                &segments.teacher_scores(rollout, b),
            );
            let (fa, ta) = self.segment_features(rollout, &segments, a);
            let (fb, tb) = self.segment_features(rollout, &segments, b);
            let pair = LabelledPair {
                len: rows,
                a: fa,
                b: fb,
                target: 0.5,
                terminal: [ta, tb],
            };
            round.push((a, b, label, pair));
        }
        // What the model made of each pair before its label, in one forward pass.
        let predicted = self.model_preferences(&round, rows);
        for ((a, b, label, pair), model) in round.into_iter().zip(predicted) {
            let refs = rollout
                .segment_ref(a.0, a.1, segments.len)
                .zip(rollout.segment_ref(b.0, b.1, segments.len));
            if source.asks_person() {
                let Some((left, right)) = refs.clone() else {
                    return Err(PreferenceError::BadInput(
                        "a queried segment's episode is not in the rollout's records".into(),
                    ));
                };
                self.queue.push(Query {
                    id: 0,
                    left,
                    right,
                    ai: Answer::from_label(label),
                    model,
                    asked_at: at_step,
                    pair: pair.clone(),
                });
            }
            if !source.asks_ai() {
                continue;
            }
            self.labels_used += 1;
            if let (Some(p), Label::First | Label::Second) = (model, label) {
                self.ai_vs_model.1 += 1;
                self.ai_vs_model.0 += u64::from((p > 0.5) == (label == Label::First));
            }
            if let Some((left, right)) = refs {
                self.log.push(LabelRecord {
                    left,
                    right,
                    answer: Answer::from_label(label),
                    source: LabelOrigin::Ai,
                    at_step,
                });
            }
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
            self.pairs.push(LabelledPair { target, ..pair });
            self.untrained += 1;
        }
        if source == LabelSource::You && self.first_round.is_none() && due > 0 {
            self.first_round = Some(due as u64);
        }
        self.last_due = due;
        self.asked = true;
        Ok(())
    }

    /// Trains the reward model on every label so far when labels came since it last
    /// trained (`epochs` passes; with none it stays as it is, so once the budget is spent
    /// PPO sees a fixed reward), measures it on held-out pairs of `rollout`, and ends the
    /// round: the next rollout's queries may be asked.
    pub fn learn(&mut self, rollout: &RolloutView) -> Result<PreferenceStats, PreferenceError> {
        rollout.check(self.obs_dim, self.action.stored_dim())?;
        if self.is_potential() {
            rollout.check_next()?;
        }
        let segments = Segments::find(rollout.dones, rollout.n_envs, self.config.segment_len);
        let train = self.untrained > 0;
        if train && self.is_potential() && self.config.smoothness > 0.0 {
            self.keep_transitions(rollout);
        }
        let reward_model_loss = if train {
            let loss = self.model.train(&self.pairs, self.training_epochs())?;
            if self.is_potential() {
                self.potential_scale = self.labelled_state_std();
            }
            self.untrained = 0;
            self.trained = true;
            Some(loss)
        } else {
            None
        };
        if let Some(freeze) = self.config.freeze_after
            && !self.frozen
            && self.untrained == 0
            && self.labels_given() >= freeze
        {
            // Whatever still waits for a person is dropped: the model takes no more labels.
            self.frozen = true;
            self.queue.clear();
        }
        let reward_model_accuracy = if self.pairs.is_empty() || segments.starts.len() < 2 {
            None
        } else {
            self.held_out_accuracy(rollout, &segments)
        };
        self.asked = false;
        let share = LabelAgreement::share;
        Ok(PreferenceStats {
            labels_used: self.labels_used,
            new_labels: self.last_due,
            labeler_accuracy: share((self.labeler_agreed, self.labeler_judged)),
            reward_model_accuracy,
            reward_model_loss,
            labels_you: self.labels_you,
            queue: self.queue.len(),
            you_vs_ai: share(self.you_vs_ai),
            you_vs_model: share(self.you_vs_model),
            ai_vs_model: share(self.ai_vs_model),
            frozen: self.frozen,
        })
    }

    /// The reward model's `P(a > b)` for each pair of a round, in one batch; all `None`
    /// before it has been trained.
    fn model_preferences(
        &self,
        round: &[(Start, Start, Label, LabelledPair)],
        rows: usize,
    ) -> Vec<Option<f64>> {
        if !self.trained || round.is_empty() {
            return vec![None; round.len()];
        }
        let mut features = Vec::new();
        let mut terminal = Vec::with_capacity(round.len() * 2);
        for (_, _, _, pair) in round {
            features.extend_from_slice(&pair.a);
            features.extend_from_slice(&pair.b);
            terminal.extend_from_slice(&pair.terminal);
        }
        let r = self.model.segment_returns(&features, rows, &terminal);
        r.chunks(2)
            .map(|ab| match ab {
                [a, b] => Some(1.0 / (1.0 + (-(a - b)).exp())),
                _ => None,
            })
            .chain(std::iter::repeat(None))
            .take(round.len())
            .collect()
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
        // A frozen model's reward is one fixed function: its statistics stop moving too.
        if !self.frozen {
            self.reward_norm.update(&raw);
        }
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
            return potential_features(
                &rollout.obs[first * d..(first + 1) * d],
                rollout.next_obs(&next, last),
            );
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

/// The potential model's input for a segment: its first state and the state after its last
/// step (zeros when that was terminal, whose potential is 0 anyway), and whether it was.
fn potential_features(first: &[f32], after: Option<&[f32]>) -> (Vec<f32>, bool) {
    let mut v = Vec::with_capacity(2 * first.len());
    v.extend_from_slice(first);
    match after {
        Some(obs) => {
            v.extend_from_slice(obs);
            (v, false)
        }
        None => {
            v.resize(2 * first.len(), 0.0);
            (v, true)
        }
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

#[cfg(test)]
mod tests;
