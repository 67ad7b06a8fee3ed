//! The AI-feedback flags shared by `train` and `sweep`; each overrides the preset's value.

use clap::Args;
use rlaif::experiment::settings::{LabelerSettings, PreferenceSettings, Schedule, Settings};
use rlaif::experiment::{ExperimentConfig, Trainer};
use rlaif::feedback::FeedbackMode;
use rlaif::feedback::config::{
    LabelSource, QuerySchedule, QuerySelection, RewardModelKind, RewardSign,
};
use rlaif::feedback::simulated_person::{SimulatedPerson, parse_person};

#[derive(Args, Clone, Debug, Default)]
pub struct FeedbackArgs {
    /// none, direct, shaping, preference or advice.
    #[arg(long)]
    pub feedback: Option<String>,
    /// Teacher: shortest-path (grids), lqr (CartPole), energy (MountainCar, Acrobot,
    /// Pendulum), alpha-beta[:DEPTH] or minimax (games), inverted[:NAME] (a deliberately wrong
    /// teacher), or demo:FILE (learned from demonstrations); default: the env's own.
    #[arg(long)]
    pub teacher: Option<String>,
    /// constant, linear:FLOOR (decays lambda to FLOOR over the run) or linear:FLOOR:STEPS
    /// (over STEPS env steps).
    #[arg(long)]
    pub lambda_schedule: Option<String>,
    /// Preference mode: who answers the queries: ai (the AI labeler), you (a person; here
    /// their labels come from --labels FILE), or both (the AI's within the budget, plus
    /// yours).
    #[arg(long)]
    pub labels_from: Option<String>,
    /// Preference mode with --labels-from you or both: a simulated person answers the run's
    /// queries after each rollout, judging by the env's reference teacher, with B-Pref's
    /// noise knobs as key=value pairs (mistake, beta, gamma, skip, equal); without a value,
    /// a careful person (mistake=0.1).
    #[arg(long, num_args = 0..=1, default_missing_value = "default", value_name = "KNOBS")]
    pub person: Option<String>,
    /// Preference mode: total labels for the run.
    #[arg(long)]
    pub label_budget: Option<u64>,
    /// Preference mode: steps per segment.
    #[arg(long)]
    pub segment_len: Option<usize>,
    /// Preference mode: labels asked at each update.
    #[arg(long)]
    pub labels_per_update: Option<usize>,
    /// Preference mode: uniform or decaying.
    #[arg(long)]
    pub query_schedule: Option<String>,
    /// Preference mode: uniform, or disagreement (ask the pairs an ensemble disagrees on most;
    /// needs --ensemble 2 or more).
    #[arg(long)]
    pub query_selection: Option<String>,
    /// Preference mode: reward models in the ensemble.
    #[arg(long)]
    pub ensemble: Option<usize>,
    /// Preference mode: centered, negative (every step costs: for goal-reaching tasks) or
    /// positive (every step pays: for tasks where the episode ending is failure).
    #[arg(long)]
    pub reward_sign: Option<String>,
    /// Preference mode: step (a reward per step) or potential (a learned potential h(s);
    /// PPO sees r + lambda * (gamma * h(s') - h(s))).
    #[arg(long)]
    pub reward_model: Option<String>,
    /// Preference mode: labels asked at the first update (default: labels per update).
    #[arg(long)]
    pub initial_labels: Option<usize>,
    /// Preference mode: at least this many reward-model gradient steps per training round.
    #[arg(long)]
    pub min_gradient_steps: Option<usize>,
    /// Preference mode: share of flipped labels the reward model assumes, in [0, 0.5)
    /// (a robust Bradley-Terry loss; 0: the plain one).
    #[arg(long)]
    pub label_noise: Option<f64>,
    /// Preference mode, potential model: weight of the smoothness penalty (h(s') - h(s))^2
    /// on unlabelled transitions (0: none).
    #[arg(long)]
    pub smoothness: Option<f64>,
    /// Preference mode: reward-model passes over the labels after each query round.
    #[arg(long)]
    pub reward_epochs: Option<usize>,
    /// Preference mode: freeze the reward model once it has trained on this many labels
    /// (no more queries or training; PPO then optimises one fixed reward), or `never`.
    #[arg(long, value_parser = parse_freeze)]
    pub freeze_after: Option<Freeze>,
    /// Preference mode: the reward model's learning rate.
    #[arg(long)]
    pub reward_lr: Option<f64>,
    /// Labeler rationality: sample labels with P = sigmoid(beta * (R_a - R_b)); 0 is a
    /// rational labeler (always the better segment).
    #[arg(long)]
    pub labeler_beta: Option<f64>,
    /// Labeler mistake rate in [0, 1]: flip this share of labels.
    #[arg(long)]
    pub labeler_mistake: Option<f64>,
    /// Labeler myopia in (0, 1]: weight gamma^(H-1-t) on step t of a segment.
    #[arg(long)]
    pub labeler_gamma: Option<f64>,
    /// Labeler skip threshold: skip a query when neither segment's return reaches it.
    #[arg(long)]
    pub labeler_skip: Option<f64>,
    /// Labeler equal threshold: "equally good" when returns differ by less.
    #[arg(long)]
    pub labeler_equal: Option<f64>,
}

impl FeedbackArgs {
    /// The simulated person `--person` asks for, for a run of `config`; an error when the
    /// run asks no person (not the preference mode, or labels from the AI only).
    pub fn simulated_person(
        &self,
        config: &ExperimentConfig,
    ) -> Result<Option<SimulatedPerson>, String> {
        let Some(spec) = &self.person else {
            return Ok(None);
        };
        let fb = &config.feedback;
        if fb.mode != FeedbackMode::Preference || !fb.preference.label_source.asks_person() {
            return Err(
                "--person answers a preference run's queries for a person: add --feedback \
                 preference --labels-from you (or both)"
                    .into(),
            );
        }
        let knobs = parse_person(spec)?;
        // Its own stream, apart from the AI labeler's, fixed by the run's seed.
        let seed = config.seed ^ 0x7065_7273_6f6e;
        SimulatedPerson::new(&config.env_id, knobs, seed).map(Some)
    }

    /// The given flags as settings over the preset (the schema the page's controls use too).
    pub fn settings(&self) -> Result<Settings, String> {
        let query_schedule = match self.query_schedule.as_deref() {
            None => None,
            Some("uniform") => Some(QuerySchedule::Uniform),
            Some("decaying") => Some(QuerySchedule::Decaying),
            Some(other) => {
                return Err(format!(
                    "unknown query schedule {other:?}: expected uniform or decaying"
                ));
            }
        };
        Ok(Settings {
            feedback: self
                .feedback
                .as_deref()
                .map(FeedbackMode::parse)
                .transpose()?,
            teacher: self.teacher.clone(),
            schedule: self
                .lambda_schedule
                .as_deref()
                .map(Schedule::parse)
                .transpose()?,
            labeler: LabelerSettings {
                beta: self.labeler_beta,
                mistake: self.labeler_mistake,
                gamma: self.labeler_gamma,
                skip: self.labeler_skip,
                equal: self.labeler_equal,
            },
            preference: PreferenceSettings {
                label_source: self
                    .labels_from
                    .as_deref()
                    .map(LabelSource::parse)
                    .transpose()?,
                label_budget: self.label_budget,
                segment_len: self.segment_len,
                labels_per_update: self.labels_per_update,
                query_schedule,
                query_selection: self
                    .query_selection
                    .as_deref()
                    .map(QuerySelection::parse)
                    .transpose()?,
                ensemble: self.ensemble,
                reward_sign: self
                    .reward_sign
                    .as_deref()
                    .map(RewardSign::parse)
                    .transpose()?,
                reward_model: self
                    .reward_model
                    .as_deref()
                    .map(RewardModelKind::parse)
                    .transpose()?,
                initial_labels: self.initial_labels,
                min_gradient_steps: self.min_gradient_steps,
                label_noise: self.label_noise,
                smoothness: self.smoothness,
                epochs: self.reward_epochs,
                // 0 is "never" in the settings.
                freeze_after: self.freeze_after.map(|Freeze(n)| n.unwrap_or(0)),
                learning_rate: self.reward_lr,
            },
            ..Settings::default()
        })
    }
}

/// The simulated person answers every query waiting in `trainer`'s queue, oldest first, as a
/// person at the page would between two rollouts. Returns the answers given.
pub fn answer_queue(trainer: &mut Trainer, person: &mut SimulatedPerson) -> Result<usize, String> {
    let waiting: Vec<_> = match trainer.queue() {
        Some(queue) => queue
            .iter()
            .map(|q| (q.id, q.left.clone(), q.right.clone()))
            .collect(),
        None => return Ok(0),
    };
    for (id, left, right) in &waiting {
        let answer = person.judge(left, right)?;
        trainer.answer(*id, answer).map_err(|e| e.to_string())?;
    }
    Ok(waiting.len())
}

/// `--freeze-after`: a number of labels, or `never` (`None`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Freeze(pub Option<u64>);

fn parse_freeze(text: &str) -> Result<Freeze, String> {
    if text == "never" {
        return Ok(Freeze(None));
    }
    match text.parse::<u64>() {
        Ok(n) if n >= 1 => Ok(Freeze(Some(n))),
        _ => Err(format!(
            "expected a number of labels (1 or more) or never, got {text:?}"
        )),
    }
}
