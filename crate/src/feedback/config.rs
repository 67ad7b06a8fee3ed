//! What a run's feedback is: mode, teacher, lambda and its schedule, and the labeler's knobs.
//! Part of `ExperimentConfig` (key `feedback`), so presets, the CLI and URLs share it.

use crate::experiment::config::MAX_TOTAL_STEPS;
use serde::{Deserialize, Serialize};

/// How the teacher's judgement reaches the learner (see the table in [`super`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedbackMode {
    #[default]
    None,
    Direct,
    Shaping,
    Preference,
    Advice,
}

impl FeedbackMode {
    pub const ALL: [FeedbackMode; 5] = [
        FeedbackMode::None,
        FeedbackMode::Direct,
        FeedbackMode::Shaping,
        FeedbackMode::Preference,
        FeedbackMode::Advice,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FeedbackMode::None => "none",
            FeedbackMode::Direct => "direct",
            FeedbackMode::Shaping => "shaping",
            FeedbackMode::Preference => "preference",
            FeedbackMode::Advice => "advice",
        }
    }

    pub fn parse(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|m| m.name() == name)
            .ok_or_else(|| {
                format!("unknown feedback mode {name:?}: expected none, direct, shaping, preference or advice")
            })
    }
}

/// Lambda over the run: constant, or a linear decay from the configured value to a floor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum LambdaSchedule {
    #[default]
    Constant,
    /// Linear from lambda at step 0 to `floor` (in [0, 1]) at `steps` env steps (0 to
    /// [`MAX_TOTAL_STEPS`], a run's longest: a longer decay never ends), then `floor`.
    Linear { floor: f64, steps: u64 },
}

impl LambdaSchedule {
    /// Lambda after `env_steps` steps, starting from `lambda`.
    pub fn at(self, lambda: f64, env_steps: u64) -> f64 {
        match self {
            LambdaSchedule::Constant => lambda,
            LambdaSchedule::Linear { floor, steps } => {
                if steps == 0 || env_steps >= steps {
                    return floor;
                }
                let frac = env_steps as f64 / steps as f64;
                lambda + (floor - lambda) * frac
            }
        }
    }

    /// Parses the CLI and URL form: `constant` or `linear:FLOOR:STEPS`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "bad lambda schedule {text:?}: expected constant or linear:FLOOR:STEPS (e.g. linear:0.1:100000)"
            )
        };
        let mut parts = text.split(':');
        match parts.next() {
            Some("constant") if parts.next().is_none() => Ok(LambdaSchedule::Constant),
            Some("linear") => {
                let floor: f64 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
                let steps: u64 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
                if parts.next().is_some() {
                    return Err(bad());
                }
                let s = LambdaSchedule::Linear { floor, steps };
                s.validate()?;
                Ok(s)
            }
            _ => Err(bad()),
        }
    }

    /// The CLI and URL form, inverse of [`LambdaSchedule::parse`].
    pub fn to_text(self) -> String {
        match self {
            LambdaSchedule::Constant => "constant".into(),
            LambdaSchedule::Linear { floor, steps } => format!("linear:{floor}:{steps}"),
        }
    }

    /// Checks the ranges on [`LambdaSchedule::Linear`]'s doc.
    pub fn validate(self) -> Result<(), String> {
        match self {
            LambdaSchedule::Constant => Ok(()),
            LambdaSchedule::Linear { floor, .. } if !(0.0..=1.0).contains(&floor) => {
                Err(format!("lambda schedule floor {floor} is outside [0, 1]"))
            }
            LambdaSchedule::Linear { steps, .. } if steps > MAX_TOTAL_STEPS => Err(format!(
                "lambda schedule steps must be 0 to {MAX_TOTAL_STEPS}, got {steps}"
            )),
            LambdaSchedule::Linear { .. } => Ok(()),
        }
    }
}

/// B-Pref's simulated teacher knobs (Lee et al. 2021). The defaults are a perfect labeler.
/// Each field's range is on its doc and checked by [`LabelerConfig::validate`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LabelerConfig {
    /// Rationality: labels are sampled with P(a > b) = sigmoid(beta * (R_a - R_b)), beta in
    /// (0, [`MAX_BETA`]]. `None` (infinite beta) always picks the better segment.
    pub beta: Option<f64>,
    /// Probability of flipping a label, in [0, 1].
    pub mistake: f64,
    /// Myopia: step t of a segment of length H counts `gamma^(H-1-t)`, in (0, 1]; 1 is not
    /// myopic.
    pub gamma: f64,
    /// Skip a query when neither segment's teacher return reaches this, in
    /// [-[`MAX_RETURN_THRESHOLD`], [`MAX_RETURN_THRESHOLD`]]; `None` never skips.
    pub skip: Option<f64>,
    /// Label "equally good" when the teacher returns differ by less than this, in
    /// [0, [`MAX_RETURN_THRESHOLD`]] (0: never).
    pub equal: f64,
}

/// The largest labeler beta: beyond it, sampling is the rational labeler's (`None`) in all
/// but name (a return difference of 0.01 is already picked with probability 1 - 5e-5).
pub const MAX_BETA: f64 = 1000.0;

/// The largest `skip` and `equal` thresholds in absolute value: far beyond any segment's
/// teacher return (at most 1000 steps of scores of order 1 to 100).
pub const MAX_RETURN_THRESHOLD: f64 = 1e6;

impl Default for LabelerConfig {
    fn default() -> Self {
        Self {
            beta: None,
            mistake: 0.0,
            gamma: 1.0,
            skip: None,
            equal: 0.0,
        }
    }
}

impl LabelerConfig {
    /// Checks every field against the range on its doc; the message names the field, the
    /// value and the range.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(b) = self.beta
            && !(b > 0.0 && b <= MAX_BETA)
        {
            return Err(format!(
                "labeler beta must lie in (0, {MAX_BETA}] (leave it out for a rational \
                 labeler), got {b}"
            ));
        }
        if !(0.0..=1.0).contains(&self.mistake) {
            return Err(format!(
                "labeler mistake rate must be in [0, 1], got {}",
                self.mistake
            ));
        }
        if !(self.gamma > 0.0 && self.gamma <= 1.0) {
            return Err(format!(
                "labeler gamma must be in (0, 1], got {}",
                self.gamma
            ));
        }
        if let Some(s) = self.skip
            && !(-MAX_RETURN_THRESHOLD..=MAX_RETURN_THRESHOLD).contains(&s)
        {
            return Err(format!(
                "labeler skip threshold must lie in [-{MAX_RETURN_THRESHOLD}, \
                 {MAX_RETURN_THRESHOLD}], got {s}"
            ));
        }
        if !(0.0..=MAX_RETURN_THRESHOLD).contains(&self.equal) {
            return Err(format!(
                "labeler equal threshold must lie in [0, {MAX_RETURN_THRESHOLD}], got {}",
                self.equal
            ));
        }
        Ok(())
    }
}

/// When queries are asked during the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuerySchedule {
    /// `labels_per_update` at every update until the budget is spent.
    #[default]
    Uniform,
    /// Front-loaded: `labels_per_update * (1 - progress)` (at least 1) per update, so the reward
    /// model is shaped early when the policy changes fastest.
    Decaying,
}

/// Which of the rollout's segment pairs are put to the labeler.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuerySelection {
    /// Pairs drawn uniformly from the rollout's segments.
    #[default]
    Uniform,
    /// Of [`DISAGREEMENT_CANDIDATES`] uniform pairs per query, those on which the ensemble's
    /// members disagree most about which segment is better (the std of their predicted
    /// return differences), as in B-Pref and PEBBLE: labels go where the model is unsure,
    /// such as states the policy has just started to reach. Needs `ensemble >= 2`; before
    /// the first label it is uniform.
    Disagreement,
}

/// Candidate pairs drawn per query by [`QuerySelection::Disagreement`].
pub const DISAGREEMENT_CANDIDATES: usize = 10;

impl QuerySelection {
    pub const ALL: [QuerySelection; 2] = [QuerySelection::Uniform, QuerySelection::Disagreement];

    pub fn name(self) -> &'static str {
        match self {
            QuerySelection::Uniform => "uniform",
            QuerySelection::Disagreement => "disagreement",
        }
    }

    pub fn parse(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|q| q.name() == name)
            .ok_or_else(|| {
                format!("unknown query selection {name:?}: expected uniform or disagreement")
            })
    }
}

/// Who answers the preference mode's queries: the AI labeler (RLAIF), a person (RLHF), or
/// both, each label keeping its source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LabelSource {
    /// The AI labeler answers every query at once.
    #[default]
    Ai,
    /// A person answers: the run's queries wait in a bounded queue, and the run waits for
    /// the first round's answers before PPO trains on the reward model (rl-teacher's loop).
    /// Natively the person's labels come from a labels file.
    You,
    /// The AI labeler answers every query within the budget, and the same pairs wait for a
    /// person too; their answers are added as labels of their own.
    Both,
}

impl LabelSource {
    pub const ALL: [LabelSource; 3] = [LabelSource::Ai, LabelSource::You, LabelSource::Both];

    pub fn name(self) -> &'static str {
        match self {
            LabelSource::Ai => "ai",
            LabelSource::You => "you",
            LabelSource::Both => "both",
        }
    }

    pub fn parse(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .ok_or_else(|| format!("unknown label source {name:?}: expected ai, you or both"))
    }

    /// Whether the AI labeler answers the queries.
    pub fn asks_ai(self) -> bool {
        self != LabelSource::You
    }

    /// Whether the queries wait for a person.
    pub fn asks_person(self) -> bool {
        self != LabelSource::Ai
    }
}

/// The sign PPO sees on the learned reward. A reward that is positive everywhere pays the
/// agent to make episodes long, a negative one to end them: which is right depends on how
/// the env's episodes end (the survival and termination biases of GAIL-style rewards).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RewardSign {
    /// The normalised reward as it is (mean 0): no bias either way.
    #[default]
    Centered,
    /// `log sigmoid(r)`, below 0 everywhere: every step costs, so the agent wants its episode
    /// to end. For tasks where ending is success (reaching a goal, as in the grid worlds).
    Negative,
    /// `-log sigmoid(-r)`, above 0 everywhere: every step pays, so the agent wants to last.
    /// For tasks where ending is failure (CartPole).
    Positive,
}

impl RewardSign {
    pub const ALL: [RewardSign; 3] = [
        RewardSign::Centered,
        RewardSign::Negative,
        RewardSign::Positive,
    ];

    pub fn name(self) -> &'static str {
        match self {
            RewardSign::Centered => "centered",
            RewardSign::Negative => "negative",
            RewardSign::Positive => "positive",
        }
    }

    pub fn parse(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .ok_or_else(|| {
                format!("unknown reward sign {name:?}: expected centered, negative or positive")
            })
    }

    /// Maps a normalised reward `r` to the reward PPO sees; order-preserving, so the model's
    /// preferences between segments of equal length stay the same.
    pub fn apply(self, r: f32) -> f32 {
        match self {
            RewardSign::Centered => r,
            RewardSign::Negative => log_sigmoid(r),
            RewardSign::Positive => -log_sigmoid(-r),
        }
    }
}

/// `ln(1 / (1 + e^-x))` without overflow for large `|x|`.
fn log_sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        -(-x).exp().ln_1p()
    } else {
        x - x.exp().ln_1p()
    }
}

/// The shape of the preference mode's reward model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RewardModelKind {
    /// `r_hat(s, a)` per step; a segment's predicted return is the sum over its steps.
    #[default]
    Step,
    /// A learned potential `h(s)`: a step's reward is `gamma * h(s') - h(s)`, with
    /// `h(terminal) = 0`, and a segment's predicted return `h(s_end) - h(s_start)`. For
    /// labelers that score progress: their segment return only depends on the segment's
    /// ends, which a per-step model has to learn from many labels. PPO sees the reward added
    /// to the env's, as in shaping, so it cannot be farmed through cycles and keeps the
    /// optimal policy (Ng et al. 1999). Every terminal state is worth the same 0: right
    /// where only success ends an episode (DoorKey), misleading where failure ends it too
    /// (lava), since the model cannot tell the two endings apart.
    Potential,
}

impl RewardModelKind {
    pub const ALL: [RewardModelKind; 2] = [RewardModelKind::Step, RewardModelKind::Potential];

    pub fn name(self) -> &'static str {
        match self {
            RewardModelKind::Step => "step",
            RewardModelKind::Potential => "potential",
        }
    }

    pub fn parse(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| format!("unknown reward model {name:?}: expected step or potential"))
    }
}

/// The preference mode's knobs: the label budget, segments, and the reward model. Each
/// numeric field's range is on its doc and checked by [`PreferenceConfig::validate`]; the
/// upper bounds are far beyond any useful value and keep a config file from asking for
/// unbounded memory or time.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PreferenceConfig {
    /// Total AI labels for the run, 0 to 100000 (a labels file holds at most as many).
    pub label_budget: u64,
    /// Steps per trajectory segment, 1 to 1000 (the longest built-in time limit is 999).
    pub segment_len: usize,
    /// Labels asked at each PPO update (see `query_schedule`), 0 to 10000.
    pub labels_per_update: usize,
    pub query_schedule: QuerySchedule,
    /// Which pairs are asked (see [`QuerySelection`]).
    pub query_selection: QuerySelection,
    /// Reward models in the ensemble (their mean is the reward), 1 to 16.
    pub ensemble: usize,
    /// Hidden units of the reward model's two layers, 1 to 1024.
    pub hidden: usize,
    /// The reward model's Adam step size, in (0, 1].
    pub learning_rate: f64,
    /// Passes over all labels so far after each query round, 1 to 100.
    pub epochs: usize,
    /// The sign of the reward PPO sees (see [`RewardSign`]); for the potential model, the
    /// range of `h`: `negative` keeps `h <= 0 = h(terminal)`, so ending is worth at least as
    /// much as any state, `positive` keeps `h >= 0`, so it is worth at most as much.
    pub reward_sign: RewardSign,
    /// Per-step reward or learned potential (see [`RewardModelKind`]).
    pub reward_model: RewardModelKind,
    /// Labels asked at the first update instead of `labels_per_update` (`None`: the same),
    /// so that the reward model is learned before PPO has spent many steps on a model that
    /// knows nothing. Counted against `label_budget` like any other; 0 to 10000.
    pub initial_labels: Option<usize>,
    /// Each training round takes at least this many minibatch gradient steps (more passes
    /// than `epochs` when there are few labels; 0: just `epochs`), 0 to 100000.
    pub min_gradient_steps: usize,
    /// The share of labels the reward model assumes are flipped, in `[0, 0.5)`: it learns
    /// `P(a > b) = eps + (1 - 2 eps) * sigmoid(R_a - R_b)`, so a wrong label costs at most
    /// `-ln eps` and cannot pull the model without bound (0: the plain Bradley-Terry loss).
    pub label_noise: f64,
    /// Potential model: weight of a penalty on `(h(s') - h(s))^2` over unlabelled transitions
    /// of recent rollouts (0: none). One step moves a progress potential by little, so the
    /// penalty carries what the labels teach along the agent's own trajectories; the
    /// transitions cost no labels. In [0, 1000].
    pub smoothness: f64,
    /// Who answers the queries (see [`LabelSource`]).
    pub label_source: LabelSource,
    /// Freeze the reward model once this many labels (every source's, skips included) are
    /// in and trained on: no more queries, no more training, and its reward statistics stop
    /// moving, so PPO optimises one fixed function from then on. A frozen per-step model is
    /// what a policy learns to exploit (reward hacking); `None`: never frozen. At least 1.
    pub freeze_after: Option<u64>,
}

impl Default for PreferenceConfig {
    fn default() -> Self {
        Self {
            label_budget: 1000,
            segment_len: 25,
            labels_per_update: 20,
            query_schedule: QuerySchedule::Uniform,
            query_selection: QuerySelection::Uniform,
            ensemble: 1,
            hidden: 64,
            learning_rate: 3e-4,
            epochs: 4,
            reward_sign: RewardSign::Centered,
            reward_model: RewardModelKind::Step,
            initial_labels: None,
            min_gradient_steps: 0,
            label_noise: 0.0,
            smoothness: 0.0,
            label_source: LabelSource::Ai,
            freeze_after: None,
        }
    }
}

impl PreferenceConfig {
    /// Checks every field against the range on its doc; the message names the field, the
    /// value and the range.
    pub fn validate(&self) -> Result<(), String> {
        let counts = [
            ("label_budget", self.label_budget, 0, 100_000),
            ("segment_len", self.segment_len as u64, 1, 1000),
            (
                "labels_per_update",
                self.labels_per_update as u64,
                0,
                10_000,
            ),
            (
                "initial_labels",
                self.initial_labels.unwrap_or(0) as u64,
                0,
                10_000,
            ),
            ("ensemble", self.ensemble as u64, 1, 16),
            ("hidden", self.hidden as u64, 1, 1024),
            ("epochs", self.epochs as u64, 1, 100),
            (
                "min_gradient_steps",
                self.min_gradient_steps as u64,
                0,
                100_000,
            ),
        ];
        for (name, v, lo, hi) in counts {
            if !(lo..=hi).contains(&v) {
                return Err(format!("preference.{name} must be {lo} to {hi}, got {v}"));
            }
        }
        if self.query_selection == QuerySelection::Disagreement && self.ensemble < 2 {
            return Err(format!(
                "disagreement query selection needs an ensemble of at least 2 models, got {}",
                self.ensemble
            ));
        }
        if !(self.learning_rate > 0.0 && self.learning_rate <= 1.0) {
            return Err(format!(
                "reward model learning rate (preference.learning_rate) must lie in (0, 1], got {}",
                self.learning_rate
            ));
        }
        if !(0.0..0.5).contains(&self.label_noise) {
            return Err(format!(
                "assumed label noise (preference.label_noise) must lie in [0, 0.5), got {}",
                self.label_noise
            ));
        }
        if !(0.0..=1000.0).contains(&self.smoothness) {
            return Err(format!(
                "smoothness weight (preference.smoothness) must lie in [0, 1000], got {}",
                self.smoothness
            ));
        }
        if self.freeze_after == Some(0) {
            return Err(
                "freeze_after must be at least 1 label (leave it out to never freeze)".into(),
            );
        }
        Ok(())
    }
}

/// A run's feedback. The default is no feedback.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeedbackConfig {
    pub mode: FeedbackMode,
    /// A teacher name from the registry, or `demo:FILE` for one learned from demonstrations;
    /// `None` uses the env's default teacher.
    pub teacher: Option<String>,
    /// The feedback weight in [0, 1] at the start of the run.
    pub lambda: f64,
    pub schedule: LambdaSchedule,
    pub labeler: LabelerConfig,
    pub preference: PreferenceConfig,
}

impl Default for FeedbackConfig {
    fn default() -> Self {
        Self {
            mode: FeedbackMode::None,
            teacher: None,
            lambda: 0.5,
            schedule: LambdaSchedule::Constant,
            labeler: LabelerConfig::default(),
            preference: PreferenceConfig::default(),
        }
    }
}

impl FeedbackConfig {
    pub fn is_none(&self) -> bool {
        self.mode == FeedbackMode::None
    }

    /// Nothing set: no feedback and every knob at its default (a preset may carry tuned
    /// preference knobs without asking for feedback; those are kept).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    pub fn validate(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.lambda) {
            return Err(format!("lambda must be in [0, 1], got {}", self.lambda));
        }
        self.schedule.validate()?;
        self.labeler.validate()?;
        self.preference.validate()
    }

    /// Lambda after `env_steps` steps.
    pub fn lambda_at(&self, env_steps: u64) -> f64 {
        self.schedule.at(self.lambda, env_steps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_schedule_decays_to_its_floor_and_stays() {
        let s = LambdaSchedule::Linear {
            floor: 0.1,
            steps: 1000,
        };
        assert_eq!(s.at(0.9, 0), 0.9);
        assert!((s.at(0.9, 500) - 0.5).abs() < 1e-12);
        assert_eq!(s.at(0.9, 1000), 0.1);
        assert_eq!(s.at(0.9, 5000), 0.1);
        assert_eq!(LambdaSchedule::Constant.at(0.3, 10_000), 0.3);
        // A floor above the start is a linear rise.
        let up = LambdaSchedule::Linear {
            floor: 1.0,
            steps: 10,
        };
        assert!((up.at(0.0, 5) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn schedules_round_trip_through_text_and_reject_junk() {
        for s in [
            LambdaSchedule::Constant,
            LambdaSchedule::Linear {
                floor: 0.25,
                steps: 30_000,
            },
        ] {
            assert_eq!(LambdaSchedule::parse(&s.to_text()), Ok(s));
        }
        for bad in [
            "",
            "linear",
            "linear:0.1",
            "linear:x:10",
            "linear:2:10",
            "constant:1",
            "linear:0.1:10:3",
            "cosine",
        ] {
            assert!(LambdaSchedule::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn feedback_config_rejects_out_of_range_knobs() {
        let ok = FeedbackConfig::default();
        assert!(ok.validate().is_ok());
        let mut c = ok.clone();
        c.lambda = 1.5;
        assert!(c.validate().unwrap_err().contains("lambda"));
        let mut c = ok.clone();
        c.labeler.mistake = -0.1;
        assert!(c.validate().unwrap_err().contains("mistake"));
        let mut c = ok.clone();
        c.labeler.beta = Some(0.0);
        assert!(c.validate().unwrap_err().contains("beta"));
        let mut c = ok.clone();
        c.preference.label_noise = 0.5;
        assert!(c.validate().unwrap_err().contains("label noise"));
        let mut c = ok.clone();
        c.preference.smoothness = -1.0;
        assert!(c.validate().unwrap_err().contains("smoothness"));
        let mut c = ok.clone();
        c.preference.query_selection = QuerySelection::Disagreement;
        assert!(c.validate().unwrap_err().contains("ensemble"));
        c.preference.ensemble = 3;
        assert!(c.validate().is_ok());
        let mut c = ok;
        c.preference.segment_len = 0;
        assert!(c.validate().is_err());
        assert!(FeedbackMode::parse("banana").is_err());
        assert_eq!(FeedbackMode::parse("shaping"), Ok(FeedbackMode::Shaping));
    }

    #[test]
    fn labeler_knobs_and_schedule_steps_have_upper_bounds_named_in_the_error() {
        let labeler = |json: &str| {
            serde_json::from_str::<LabelerConfig>(json)
                .unwrap()
                .validate()
                .map_err(|e| e.to_string())
        };
        for (json, expected) in [
            (
                r#"{"beta": 1e9}"#,
                "labeler beta must lie in (0, 1000] (leave it out for a rational labeler), \
                 got 1000000000",
            ),
            (
                r#"{"beta": -1}"#,
                "labeler beta must lie in (0, 1000] (leave it out for a rational labeler), \
                 got -1",
            ),
            (
                r#"{"skip": 3e6}"#,
                "labeler skip threshold must lie in [-1000000, 1000000], got 3000000",
            ),
            (
                r#"{"skip": -2e6}"#,
                "labeler skip threshold must lie in [-1000000, 1000000], got -2000000",
            ),
            (
                r#"{"equal": 1e7}"#,
                "labeler equal threshold must lie in [0, 1000000], got 10000000",
            ),
            (
                r#"{"equal": -0.5}"#,
                "labeler equal threshold must lie in [0, 1000000], got -0.5",
            ),
        ] {
            assert_eq!(labeler(json), Err(expected.to_string()), "{json}");
        }
        for json in [
            r#"{"beta": 1000}"#,
            r#"{"beta": 0.01, "skip": -1000000, "equal": 1000000}"#,
            r#"{"skip": 1000000, "equal": 0}"#,
        ] {
            assert_eq!(labeler(json), Ok(()), "{json}");
        }
        let linear = |steps| LambdaSchedule::Linear { floor: 0.1, steps };
        assert_eq!(linear(0).validate(), Ok(()));
        assert_eq!(linear(MAX_TOTAL_STEPS).validate(), Ok(()));
        assert_eq!(
            linear(u64::MAX).validate(),
            Err(format!(
                "lambda schedule steps must be 0 to 1000000000000, got {}",
                u64::MAX
            ))
        );
        assert!(
            LambdaSchedule::parse("linear:0.1:1000000000001")
                .unwrap_err()
                .contains("steps must be 0 to 1000000000000, got 1000000000001")
        );
        // Through the whole config, as a preset or a URL gives it.
        let mut c = FeedbackConfig::default();
        c.labeler.equal = 1e9;
        assert!(c.validate().unwrap_err().contains("equal threshold"));
        c.labeler.equal = 0.0;
        c.schedule = linear(MAX_TOTAL_STEPS + 1);
        assert!(c.validate().unwrap_err().contains("schedule steps"));
    }

    #[test]
    fn reward_signs_keep_the_order_and_fix_the_sign() {
        let xs = [-10.0f32, -2.0, -0.1, 0.0, 0.1, 2.0, 10.0];
        for sign in RewardSign::ALL {
            let ys: Vec<f32> = xs.iter().map(|&x| sign.apply(x)).collect();
            assert!(ys.windows(2).all(|w| w[0] < w[1]), "{sign:?}: {ys:?}");
            assert!(ys.iter().all(|y| y.is_finite()));
            assert_eq!(RewardSign::parse(sign.name()), Ok(sign));
        }
        assert!(xs.iter().all(|&x| RewardSign::Negative.apply(x) < 0.0));
        assert!(xs.iter().all(|&x| RewardSign::Positive.apply(x) > 0.0));
        assert!((RewardSign::Negative.apply(0.0) + 2f32.ln()).abs() < 1e-6);
        assert_eq!(RewardSign::Centered.apply(-3.5), -3.5);
        // Far out, the negative sign is the identity below 0 and 0 above.
        assert!((RewardSign::Negative.apply(-50.0) + 50.0).abs() < 1e-4);
        assert!(RewardSign::Negative.apply(50.0).abs() < 1e-6);
        assert!(RewardSign::parse("minus").is_err());
        let c: PreferenceConfig = serde_json::from_str(r#"{"reward_sign":"negative"}"#).unwrap();
        assert_eq!(c.reward_sign, RewardSign::Negative);
        assert!(serde_json::from_str::<PreferenceConfig>(r#"{"reward_sign":"down"}"#).is_err());
    }

    #[test]
    fn reward_model_kinds_parse_and_default_to_step() {
        assert_eq!(
            PreferenceConfig::default().reward_model,
            RewardModelKind::Step
        );
        for kind in RewardModelKind::ALL {
            assert_eq!(RewardModelKind::parse(kind.name()), Ok(kind));
        }
        assert!(RewardModelKind::parse("Potential").is_err());
        let c: PreferenceConfig = serde_json::from_str(r#"{"reward_model":"potential"}"#).unwrap();
        assert_eq!(c.reward_model, RewardModelKind::Potential);
        assert!(serde_json::from_str::<PreferenceConfig>(r#"{"reward_model":"phi"}"#).is_err());
    }

    #[test]
    fn the_newer_knobs_default_to_the_old_behaviour_and_parse() {
        let old: PreferenceConfig =
            serde_json::from_str(r#"{"label_budget":1000,"reward_model":"potential"}"#).unwrap();
        assert_eq!(old.initial_labels, None);
        assert_eq!(old.min_gradient_steps, 0);
        assert_eq!(old.label_noise, 0.0);
        assert_eq!(old.smoothness, 0.0);
        assert_eq!(old.query_selection, QuerySelection::Uniform);
        let new: PreferenceConfig = serde_json::from_str(
            r#"{"initial_labels":200,"min_gradient_steps":400,"label_noise":0.1,
                "smoothness":1.0,"query_selection":"disagreement","ensemble":3}"#,
        )
        .unwrap();
        assert_eq!(new.initial_labels, Some(200));
        assert_eq!(new.query_selection, QuerySelection::Disagreement);
        assert!(new.validate().is_ok());
        for q in QuerySelection::ALL {
            assert_eq!(QuerySelection::parse(q.name()), Ok(q));
        }
        assert!(QuerySelection::parse("random").is_err());
    }

    #[test]
    fn json_defaults_fill_missing_keys_and_unknown_keys_fail() {
        let c: FeedbackConfig =
            serde_json::from_str(r#"{"mode":"shaping","lambda":0.25}"#).unwrap();
        assert_eq!(c.mode, FeedbackMode::Shaping);
        assert_eq!(c.labeler, LabelerConfig::default());
        assert!(
            serde_json::from_str::<FeedbackConfig>(r#"{"mode":"shaping","lamda":0.25}"#).is_err()
        );
        let s: FeedbackConfig = serde_json::from_str(
            r#"{"mode":"direct","schedule":{"kind":"linear","floor":0.1,"steps":500}}"#,
        )
        .unwrap();
        assert_eq!(
            s.schedule,
            LambdaSchedule::Linear {
                floor: 0.1,
                steps: 500
            }
        );
    }
}
