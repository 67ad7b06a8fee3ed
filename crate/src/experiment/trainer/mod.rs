//! The trainer the CLI and the page share: a `VecEnv` and a PPO agent, advanced in slices.
//!
//! [`Trainer::step_slice`] runs rollout steps (each one batched forward for all envs) up to a
//! budget of env steps, and a PPO update whenever the rollout is full, then returns so that a
//! page can draw between slices. Pausing is just not calling it. Finished episodes and updates
//! are queued as [`Metric`]s for the caller to drain.
//!
//! The one training path is async ([`Trainer::step_slice_async`]) so that WebGPU in a browser
//! can await its readbacks; [`Trainer::step_slice`] blocks on it for native callers.

use super::config::{ConfigError, ExperimentConfig, MAX_ROLLOUT_FLOATS};
use super::feedback_run::FeedbackRun;
use super::metrics::{EpisodeMetrics, FeedbackStats, Metric, UpdateMetrics};
use super::recording::EpisodeRecording;
use crate::agent::normalize::RunningNorm;
use crate::agent::ppo::block_on;
use crate::agent::rollout::RolloutBuffer;
use crate::agent::{ActionSpec, AgentRng, NonFiniteLoss, Ppo};
use crate::env::registry::MakeError;
use crate::env::{Action, Env, EnvError, EnvOptions, Space, VecEnv};
use crate::feedback::labels_file::LabelsFile;
use crate::feedback::preference::{
    Answer, AnswerReport, LabelAgreement, QueryQueue, ReplayedSegment, SegmentRef,
};
use crate::feedback::teacher::learned::{LearnedTeacher, LearnedTeacherConfig};
use crate::feedback::{FeedbackMode, Teacher, TeacherError};
use burn::tensor::Device;
use std::collections::VecDeque;

pub use super::run_state::MEAN_WINDOW;

mod state;

/// Checks, with arithmetic that cannot wrap, that the rollout buffer of `config` on an env of
/// `obs_dim`-value observations fits in [`MAX_ROLLOUT_FLOATS`]: per transition it holds the
/// observation, the action, its mask and at most one advice value per network output.
fn check_rollout_size(
    config: &ExperimentConfig,
    obs_dim: usize,
    action: ActionSpec,
    mask_dim: usize,
) -> Result<(), ConfigError> {
    let per_row = obs_dim
        .checked_add(action.stored_dim())
        .and_then(|d| d.checked_add(mask_dim))
        .and_then(|d| d.checked_add(action.network_outputs()));
    let floats = config
        .n_envs
        .checked_mul(config.ppo.n_steps)
        .zip(per_row)
        .and_then(|(rows, per_row)| rows.checked_mul(per_row));
    match floats {
        Some(f) if f <= MAX_ROLLOUT_FLOATS => Ok(()),
        _ => Err(ConfigError::Invalid(format!(
            "n_envs * ppo.n_steps = {} * {} transitions of {} values each ({}) is more than \
             the {MAX_ROLLOUT_FLOATS} floats a rollout buffer may hold; lower n_envs or \
             ppo.n_steps",
            config.n_envs,
            config.ppo.n_steps,
            per_row.map_or_else(|| "too many".into(), |d| d.to_string()),
            config.env_id
        ))),
    }
}

/// Why training stopped.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error(transparent)]
    Config(#[from] super::config::ConfigError),
    #[error(transparent)]
    Make(#[from] MakeError),
    #[error("environment error: {0}")]
    Env(#[from] EnvError),
    #[error(transparent)]
    NonFinite(#[from] NonFiniteLoss),
    #[error(transparent)]
    Checkpoint(#[from] super::checkpoint::CheckpointError),
    #[error(transparent)]
    Teacher(#[from] TeacherError),
    #[error("preference feedback: {0}")]
    Preference(#[from] crate::feedback::PreferenceError),
    #[error("{0}")]
    Feedback(String),
}

/// What one slice did.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SliceReport {
    pub env_steps: u64,
    pub updates: u64,
    /// The run reached its total steps.
    pub finished: bool,
    /// The run waits for a person's first labels, `(answered, needed)`: the rollout is
    /// full and its PPO update follows once they are in (see [`Trainer::answer`]).
    pub waiting_for_labels: Option<(u64, u64)>,
}

pub struct Trainer {
    config: ExperimentConfig,
    env: VecEnv,
    ppo: Ppo,
    buf: RolloutBuffer,
    norm: Option<RunningNorm>,
    rng: AgentRng,
    env_steps: u64,
    episodes: u64,
    updates: u64,
    /// Actions of each env's running episode (as sent to the env), for exact resume.
    episode_actions: Vec<Vec<f32>>,
    /// The latest finished episode of any env, for a page to replay: what the agent does now.
    last_episode: Option<EpisodeRecording>,
    /// Returns of the most recent episodes, newest last.
    recent: VecDeque<f64>,
    solved_at: Option<u64>,
    /// AI returns of the most recent episodes (feedback runs), newest last.
    recent_ai: VecDeque<f64>,
    /// Episodes of a learned-potential run that ended this rollout: their AI return is known
    /// only once the rollout is complete, so they are reported after it.
    pending_episodes: Vec<EpisodeMetrics>,
    threshold: Option<f64>,
    action: ActionSpec,
    bounds: Option<(Vec<f32>, Vec<f32>)>,
    metrics: Vec<Metric>,
    clock: Option<Box<dyn FnMut() -> f64>>,
    clock_start: f64,
    last_update_clock: (f64, u64),
    solved_seconds: Option<f64>,
    /// The teacher and what it has said, when the run has feedback.
    feedback: Option<FeedbackRun>,
    // Scratch, allocated once.
    net_obs: Vec<f32>,
    packed: Vec<f32>,
    discrete: Vec<usize>,
    env_actions: Vec<f32>,
    truncated_rows: Vec<usize>,
    final_obs: Vec<f32>,
}

impl Trainer {
    /// A fresh run on `device` (a plain device; see [`crate::backend`]). With feedback, the
    /// teacher comes from the registry (`config.feedback.teacher`, or the env's default).
    pub fn new(config: ExperimentConfig, device: &Device) -> Result<Self, TrainError> {
        config.validate()?;
        let teacher = match config.feedback.mode {
            FeedbackMode::None => None,
            _ => match config.feedback.teacher.as_deref() {
                Some(name) if name.starts_with("demo:") => {
                    return Err(TrainError::Feedback(format!(
                        "teacher {name:?} is learned from a demonstrations file: load it and use Trainer::with_teacher"
                    )));
                }
                name => Some(crate::feedback::teacher::make(name, &config.env_id)?),
            },
        };
        Self::build(config, device, teacher)
    }

    /// A fresh run judged by `teacher` (e.g. one learned from demonstrations); the config's
    /// feedback mode says how its judgement is used.
    pub fn with_teacher(
        config: ExperimentConfig,
        device: &Device,
        teacher: Box<dyn Teacher>,
    ) -> Result<Self, TrainError> {
        config.validate()?;
        let teacher = (config.feedback.mode != FeedbackMode::None).then_some(teacher);
        Self::build(config, device, teacher)
    }

    /// A fresh run whose `demo:` teacher is learned from `demos` (a demonstrations file's
    /// bytes) by behaviour cloning, seeded by the run's seed so that the same file gives the
    /// same teacher; a run with any other teacher is built by [`Trainer::new`].
    pub fn with_demonstrations(
        config: ExperimentConfig,
        device: &Device,
        demos: Option<&[u8]>,
    ) -> Result<Self, TrainError> {
        match config.feedback.teacher.as_deref() {
            Some(name) if name.starts_with("demo:") && !config.feedback.is_none() => {
                let demos = demos.ok_or_else(|| {
                    TrainError::Feedback(format!(
                        "teacher {name:?} is learned from demonstrations, and none were given"
                    ))
                })?;
                let teacher =
                    LearnedTeacher::from_bytes(demos, &LearnedTeacherConfig::new(), config.seed)
                        .map_err(|e| TrainError::Feedback(format!("the demonstrations: {e}")))?;
                if teacher.env_id() != config.env_id {
                    return Err(TrainError::Feedback(format!(
                        "the demonstrations are of {}, not {}",
                        teacher.env_id(),
                        config.env_id
                    )));
                }
                Self::with_teacher(config, device, Box::new(teacher))
            }
            _ => Self::new(config, device),
        }
    }

    fn build(
        config: ExperimentConfig,
        device: &Device,
        teacher: Option<Box<dyn Teacher>>,
    ) -> Result<Self, TrainError> {
        let mut env = VecEnv::new(&config.env_id, config.n_envs, &EnvOptions::default())?;
        env.reset_episode_seeded(crate::agent::rng::mix_seed(config.seed, 100));
        let spec = env.spec().clone();
        let obs_dim = spec.observation_space.flat_dim();
        let (action, bounds) = match &spec.action_space {
            Space::Discrete { n } => {
                // Only games restrict moves; masks cost a tensor per minibatch otherwise.
                let masked = spec.masked_actions;
                (ActionSpec::Discrete { n: *n, masked }, None)
            }
            Space::Box { low, high, .. } => (
                ActionSpec::Continuous { dim: low.len() },
                Some((low.clone(), high.clone())),
            ),
        };
        let mask_dim = match action {
            ActionSpec::Discrete { n, masked: true } => n,
            _ => 0,
        };
        check_rollout_size(&config, obs_dim, action, mask_dim)?;
        let ppo = Ppo::new(
            config.ppo.clone(),
            obs_dim,
            action,
            crate::agent::rng::mix_seed(config.seed, 200),
            device,
        );
        let n = config.n_envs;
        let feedback = match teacher {
            Some(teacher) => Some(FeedbackRun::new(
                config.feedback.clone(),
                teacher,
                config.ppo.gamma as f64,
                action,
                bounds.as_ref(),
                &env,
                crate::agent::rng::mix_seed(config.seed, 400),
            )?),
            None => None,
        };
        let buf = RolloutBuffer::new(
            n,
            config.ppo.n_steps,
            obs_dim,
            action.stored_dim(),
            mask_dim,
        )
        .with_advice(feedback.as_ref().map_or(0, |f| f.advice_dim()));
        let threshold = config.reward_threshold.or(spec.reward_threshold);
        Ok(Self {
            norm: config
                .normalize_obs
                .then(|| RunningNorm::new(obs_dim, 10.0)),
            rng: AgentRng::new(crate::agent::rng::mix_seed(config.seed, 300)),
            env_steps: 0,
            episodes: 0,
            updates: 0,
            episode_actions: vec![Vec::new(); n],
            last_episode: None,
            recent: VecDeque::with_capacity(MEAN_WINDOW + 1),
            solved_at: None,
            recent_ai: VecDeque::with_capacity(MEAN_WINDOW + 1),
            pending_episodes: Vec::new(),
            threshold,
            action,
            bounds,
            metrics: Vec::new(),
            clock: None,
            clock_start: 0.0,
            last_update_clock: (0.0, 0),
            solved_seconds: None,
            feedback,
            net_obs: vec![0.0; n * obs_dim],
            packed: Vec::new(),
            discrete: vec![0; n],
            env_actions: vec![0.0; n * action.stored_dim()],
            truncated_rows: Vec::with_capacity(n),
            final_obs: Vec::with_capacity(n * obs_dim),
            config,
            env,
            ppo,
            buf,
        })
    }

    /// Gives the trainer a clock (seconds, any origin) for steps/s and wall-time metrics.
    pub fn set_clock(&mut self, mut clock: impl FnMut() -> f64 + 'static) {
        let now = clock();
        self.clock_start = now;
        self.last_update_clock = (now, self.env_steps);
        self.clock = Some(Box::new(clock));
    }

    /// Changes the run's length (e.g. to extend a resumed run); the learning-rate schedule
    /// follows the new length from here on. A length outside the config's range (1 to
    /// [`super::config::MAX_TOTAL_STEPS`]) is an error, and the run keeps its length.
    pub fn set_total_steps(&mut self, total_steps: u64) -> Result<(), TrainError> {
        ExperimentConfig::check_total_steps(total_steps)?;
        self.config.total_steps = total_steps;
        Ok(())
    }

    pub fn config(&self) -> &ExperimentConfig {
        &self.config
    }

    pub fn env(&self) -> &VecEnv {
        &self.env
    }

    pub fn env_steps(&self) -> u64 {
        self.env_steps
    }

    pub fn episodes(&self) -> u64 {
        self.episodes
    }

    pub fn updates(&self) -> u64 {
        self.updates
    }

    pub fn is_finished(&self) -> bool {
        self.env_steps >= self.config.total_steps
    }

    /// The mean return that counts as solved, if the env or the config names one.
    pub fn reward_threshold(&self) -> Option<f64> {
        self.threshold
    }

    /// Mean return of the last (up to) 20 finished episodes; `None` before the first.
    pub fn mean_return(&self) -> Option<f64> {
        (!self.recent.is_empty())
            .then(|| self.recent.iter().sum::<f64>() / self.recent.len() as f64)
    }

    /// Mean AI return of the last (up to) 20 finished episodes of a feedback run (since this
    /// process started it; not kept in checkpoints).
    pub fn mean_ai_return(&self) -> Option<f64> {
        (!self.recent_ai.is_empty())
            .then(|| self.recent_ai.iter().sum::<f64>() / self.recent_ai.len() as f64)
    }

    /// Env steps at which the mean of the last 20 episodes first reached the threshold.
    pub fn solved_at(&self) -> Option<u64> {
        self.solved_at
    }

    /// Seconds (by the caller's clock) at which the run was solved.
    pub fn solved_seconds(&self) -> Option<f64> {
        self.solved_seconds
    }

    /// The teacher's name, when the run has feedback.
    pub fn teacher_name(&self) -> Option<String> {
        self.feedback.as_ref().map(|fb| fb.teacher_name())
    }

    /// Lambda of the current rollout, when the run has feedback.
    pub fn lambda(&self) -> Option<f64> {
        self.feedback.as_ref().map(|fb| fb.lambda())
    }

    /// The latest finished episode of any env, to replay (see [`EpisodeRecording`]).
    pub fn last_episode(&self) -> Option<&EpisodeRecording> {
        self.last_episode.as_ref()
    }

    /// AI labels asked so far (preference mode; 0 otherwise).
    pub fn labels_used(&self) -> u64 {
        self.feedback.as_ref().map_or(0, |fb| fb.labels_used())
    }

    /// A person's answers so far (skips included; preference mode).
    pub fn labels_you(&self) -> u64 {
        self.feedback.as_ref().map_or(0, |fb| fb.labels_you())
    }

    /// Preference mode: a person's labels against the AI labeler's verdicts and the reward
    /// model's predictions on the same pairs.
    pub fn label_agreement(&self) -> Option<LabelAgreement> {
        self.feedback.as_ref()?.label_agreement()
    }

    /// Whether the preference run's reward model is frozen (see `freeze_after`).
    pub fn reward_model_frozen(&self) -> bool {
        self.feedback
            .as_ref()
            .is_some_and(|fb| fb.reward_model_frozen())
    }

    /// Preference mode with labels from a person: the queries waiting for them.
    pub fn queue(&self) -> Option<&QueryQueue> {
        self.feedback.as_ref()?.queue()
    }

    /// `(answered, needed)` while the run waits for a person's first labels.
    pub fn waiting_for_labels(&self) -> Option<(u64, u64)> {
        self.feedback.as_ref()?.waiting_for_labels()
    }

    /// A person's answer to the waiting query `id`: it joins the reward model's labels at
    /// once, and the model trains on it at the next round. Answers are applied in the order
    /// given; an id that is not waiting (answered, dropped, or of another run) is refused
    /// and changes nothing.
    pub fn answer(&mut self, id: u64, answer: Answer) -> Result<AnswerReport, TrainError> {
        let at_step = self.env_steps;
        match &mut self.feedback {
            Some(fb) => Ok(fb.answer(id, answer, at_step)?),
            None => Err(TrainError::Feedback(
                "this run has no feedback, so it asks no queries".into(),
            )),
        }
    }

    /// Every label of the run so far, as a labels file keeps them.
    pub fn labels_file(&self) -> LabelsFile {
        let log = self.feedback.as_ref().map(|fb| fb.label_log().to_vec());
        LabelsFile::new(&self.config.env_id, log.unwrap_or_default())
    }

    /// Adds the labels of `file` (given to another run, or by a person elsewhere) to this
    /// preference run: each segment is replayed from its seed and actions in a fresh env of
    /// the run's id, read as the network reads it now (observations normalised with the
    /// run's current statistics), and the reward model trains on them at its next round.
    /// Returns the labels added; on an error none is.
    pub fn import_labels(&mut self, file: &LabelsFile) -> Result<usize, TrainError> {
        let bad = |msg: String| TrainError::Feedback(format!("labels file: {msg}"));
        if file.env_id != self.config.env_id {
            return Err(bad(format!(
                "its labels are of {:?}, this run trains {}",
                file.env_id.chars().take(80).collect::<String>(),
                self.config.env_id
            )));
        }
        if !self.feedback.as_ref().is_some_and(|fb| fb.is_preference()) {
            return Err(bad(
                "labels train a reward model only in the preference mode".into(),
            ));
        }
        let mut env = crate::env::registry::make(&self.config.env_id)?;
        let mut replayed = Vec::with_capacity(file.labels.len());
        for (k, record) in file.labels.iter().enumerate() {
            let mut pair = Vec::with_capacity(2);
            for seg in [&record.left, &record.right] {
                let segment = replay_segment(env.as_mut(), seg, self.norm.as_ref())
                    .map_err(|why| bad(format!("label {k}: {why}")))?;
                pair.push(segment);
            }
            replayed.push(pair);
        }
        // Checked on a copy first, so that a file refused half-way changes nothing.
        let Some(fb) = &mut self.feedback else {
            return Ok(0);
        };
        let before = fb.preference_state()?;
        for (k, (record, pair)) in file.labels.iter().zip(&replayed).enumerate() {
            if let Err(e) = fb.add_label(record.clone(), &pair[0], &pair[1]) {
                if let Some(state) = before {
                    fb.restore_preference(state)?;
                }
                return Err(bad(format!("label {k}: {e}")));
            }
        }
        Ok(file.labels.len())
    }

    /// Takes the metrics queued since the last call.
    pub fn drain_metrics(&mut self) -> Vec<Metric> {
        std::mem::take(&mut self.metrics)
    }

    /// The learner (e.g. to read the weights or run the policy greedily).
    pub fn agent(&self) -> &Ppo {
        &self.ppo
    }

    /// Runs rollout steps until at least `max_env_steps` env steps were taken (or the run
    /// ends), with a PPO update whenever the rollout buffer fills.
    pub fn step_slice(&mut self, max_env_steps: u64) -> Result<SliceReport, TrainError> {
        block_on(self.step_slice_async(max_env_steps))
    }

    /// [`Trainer::step_slice`] with async readbacks (required on WebGPU in a browser).
    pub async fn step_slice_async(
        &mut self,
        max_env_steps: u64,
    ) -> Result<SliceReport, TrainError> {
        let mut report = SliceReport::default();
        loop {
            if self.buf.is_full() {
                report.waiting_for_labels = self.ask_labels()?;
                if report.waiting_for_labels.is_some() {
                    break;
                }
                self.update().await?;
                report.updates += 1;
            }
            if report.env_steps >= max_env_steps || self.is_finished() {
                break;
            }
            self.rollout_step().await?;
            report.env_steps += self.config.n_envs as u64;
        }
        report.finished = self.is_finished();
        if report.finished {
            // A run that ends mid-rollout never trains on it: episodes still waiting for
            // their AI return are reported without one.
            for episode in std::mem::take(&mut self.pending_episodes) {
                self.report_episode(episode);
            }
        }
        Ok(report)
    }

    /// Runs to the configured total steps. A run that waits for a person's labels, with
    /// none to come, is an error.
    pub fn run(&mut self) -> Result<(), TrainError> {
        while !self.is_finished() {
            let report = self.step_slice(u64::MAX)?;
            if let Some((answered, needed)) = report.waiting_for_labels {
                return Err(TrainError::Feedback(format!(
                    "the run waits for your first labels ({answered} of {needed}) and nothing \
                     here can give them: bring them in a labels file, or label with the AI"
                )));
            }
        }
        Ok(())
    }

    /// Preference mode, the rollout full: asks its queries (once) and returns
    /// `(answered, needed)` while the run waits for a person's first labels.
    fn ask_labels(&mut self) -> Result<Option<(u64, u64)>, TrainError> {
        if !self.feedback.as_ref().is_some_and(|fb| fb.is_preference()) {
            return Ok(None);
        }
        let last_obs = self.last_network_obs();
        let (progress, at_step) = (self.progress(), self.env_steps);
        let Some(fb) = &mut self.feedback else {
            return Ok(None);
        };
        Ok(fb.ask(&self.buf, &last_obs, progress, at_step)?)
    }

    /// The network's input for each env's current observation.
    fn last_network_obs(&self) -> Vec<f32> {
        let mut last_obs = self.env.obs.clone();
        if let Some(norm) = &self.norm {
            norm.normalize(&self.env.obs, &mut last_obs);
        }
        last_obs
    }

    /// The share of the run done.
    fn progress(&self) -> f64 {
        self.env_steps as f64 / self.config.total_steps as f64
    }

    async fn rollout_step(&mut self) -> Result<(), TrainError> {
        let n = self.config.n_envs;
        let obs_dim = self.env.obs_dim();
        match &mut self.norm {
            Some(norm) => {
                norm.update(&self.env.obs);
                norm.normalize(&self.env.obs, &mut self.net_obs);
            }
            None => self.net_obs.copy_from_slice(&self.env.obs),
        }
        self.ppo
            .forward_batch_async(&self.net_obs, &mut self.packed)
            .await;
        let t = self.buf.len;
        let rows = self.buf.step_rows(t);
        self.buf.obs[rows.start * obs_dim..rows.end * obs_dim].copy_from_slice(&self.net_obs);
        let md = self.buf.mask_dim;
        if md > 0 {
            self.buf.masks[rows.start * md..rows.end * md].copy_from_slice(&self.env.masks);
        }
        let ad = self.action.stored_dim();
        let bounds = self
            .bounds
            .as_ref()
            .map(|(l, h)| (l.as_slice(), h.as_slice()));
        self.ppo.sample(
            &self.packed,
            (md > 0).then_some(self.env.masks.as_slice()),
            bounds,
            &mut self.rng,
            &mut self.buf.actions[rows.start * ad..rows.end * ad],
            &mut self.buf.log_probs[rows.clone()],
            &mut self.buf.values[rows.clone()],
            &mut self.discrete,
            &mut self.env_actions,
        );
        match &mut self.feedback {
            None => match self.action {
                ActionSpec::Discrete { .. } => self.env.step_discrete(&self.discrete)?,
                ActionSpec::Continuous { .. } => self.env.step_continuous(&self.env_actions)?,
            },
            Some(fb) => {
                if t == 0 {
                    fb.start_rollout(self.env_steps);
                }
                let vd = self.buf.advice_dim;
                let advice = (vd > 0).then(|| &mut self.buf.advice[rows.start * vd..rows.end * vd]);
                fb.before_step(&self.env, advice);
                let (env, running) = (&self.env, &self.episode_actions);
                let width = self.action.stored_dim().max(1);
                fb.record_rows(t, running, |i| {
                    let seed = env.seed_of_episode(i, env.episode_index(i));
                    (seed.unwrap_or(0), running[i].len() / width)
                });
                fb.model_rewards(&self.buf, t)?;
                let observe: &mut crate::env::vec_env::StepObserver<'_> =
                    &mut |i, a, env, obs, s| fb.observe(i, a, env, obs, s);
                match self.action {
                    ActionSpec::Discrete { .. } => {
                        self.env.step_discrete_observed(&self.discrete, observe)?
                    }
                    ActionSpec::Continuous { .. } => self
                        .env
                        .step_continuous_observed(&self.env_actions, observe)?,
                }
            }
        }
        self.env_steps += n as u64;
        self.truncated_rows.clear();
        self.final_obs.clear();
        for i in 0..n {
            let row = rows.start + i;
            let env_reward = self.env.rewards[i];
            self.buf.env_rewards[row] = env_reward as f32;
            self.buf.rewards[row] = match &mut self.feedback {
                Some(fb) => {
                    self.buf.teacher_scores[row] = fb.score(i) as f32;
                    fb.blend(i, env_reward) as f32
                }
                None => env_reward as f32,
            };
            let done = self.env.done(i);
            self.buf.dones[row] = done;
            self.buf.terminated[row] = self.env.terminated[i];
            self.buf.bootstrap[row] = 0.0;
            let a = match self.action {
                ActionSpec::Discrete { .. } => &[self.discrete[i] as f32][..],
                ActionSpec::Continuous { dim } => &self.env_actions[i * dim..(i + 1) * dim],
            };
            self.episode_actions[i].extend_from_slice(a);
            if let Some(fb) = &mut self.feedback {
                fb.record_action(a);
            }
            if done {
                if self.env.truncated[i] && !self.env.terminated[i] {
                    self.truncated_rows.push(row);
                    self.final_obs
                        .extend_from_slice(&self.env.final_obs[i * obs_dim..(i + 1) * obs_dim]);
                }
                self.finish_episode(i);
            }
        }
        if let Some(fb) = &mut self.feedback {
            for i in 0..n {
                if self.env.done(i) {
                    fb.refresh_potentials(&self.env, i..i + 1);
                }
            }
        }
        if !self.truncated_rows.is_empty() {
            // Bootstrap truncated episodes from their final observation's value.
            if let Some(norm) = &self.norm {
                let raw = self.final_obs.clone();
                norm.normalize(&raw, &mut self.final_obs);
            }
            self.buf
                .truncated_rows
                .extend_from_slice(&self.truncated_rows);
            self.buf.truncated_obs.extend_from_slice(&self.final_obs);
            let values = self.ppo.values_async(&self.final_obs).await;
            for (&row, v) in self.truncated_rows.iter().zip(values) {
                self.buf.bootstrap[row] = v;
            }
        }
        self.buf.len += 1;
        Ok(())
    }

    fn finish_episode(&mut self, i: usize) {
        self.episodes += 1;
        let ret = self.env.final_return[i];
        // The env has already started its next episode, so the finished one is the previous.
        let seed = self
            .env
            .seed_of_episode(i, self.env.episode_index(i).saturating_sub(1));
        if let Some(seed) = seed {
            let mut recording = self.last_episode.take().unwrap_or(EpisodeRecording {
                number: 0,
                seed,
                actions: Vec::new(),
                episode_return: ret,
            });
            // Swap buffers instead of allocating one per episode.
            std::mem::swap(&mut recording.actions, &mut self.episode_actions[i]);
            recording.number = self.episodes;
            recording.seed = seed;
            recording.episode_return = ret;
            self.last_episode = Some(recording);
        }
        self.episode_actions[i].clear();
        self.recent.push_back(ret);
        if self.recent.len() > MEAN_WINDOW {
            self.recent.pop_front();
        }
        let ai_return = self.feedback.as_mut().and_then(|fb| fb.finish_episode(i));
        let episode = EpisodeMetrics {
            env_steps: self.env_steps,
            episode: self.episodes,
            env_index: i,
            episode_return: ret,
            length: self.env.final_length[i],
            ai_return,
        };
        if self
            .feedback
            .as_ref()
            .is_some_and(|fb| fb.defers_ai_return())
        {
            self.pending_episodes.push(episode);
        } else {
            self.report_episode(episode);
        }
        if self.solved_at.is_none()
            && self.recent.len() == MEAN_WINDOW
            && let (Some(t), Some(mean)) = (self.threshold, self.mean_return())
            && mean >= t
        {
            self.solved_at = Some(self.env_steps);
            let now = self.clock.as_mut().map(|c| c());
            self.solved_seconds = now.map(|now| now - self.clock_start);
        }
    }

    fn report_episode(&mut self, episode: EpisodeMetrics) {
        if let Some(ai) = episode.ai_return {
            self.recent_ai.push_back(ai);
            if self.recent_ai.len() > MEAN_WINDOW {
                self.recent_ai.pop_front();
            }
        }
        self.metrics.push(Metric::Episode(episode));
    }

    async fn update(&mut self) -> Result<(), TrainError> {
        let last_obs = self.last_network_obs();
        let progress = self.progress();
        if let Some(fb) = &mut self.feedback {
            let ai_returns =
                fb.after_rollout(&mut self.buf, &last_obs, progress, self.env_steps)?;
            // The rollout's ended episodes, in the order they ended, now with their AI return.
            let pending = std::mem::take(&mut self.pending_episodes);
            debug_assert_eq!(pending.len(), ai_returns.len());
            for (mut episode, ai) in pending.into_iter().zip(ai_returns) {
                episode.ai_return = Some(ai);
                self.report_episode(episode);
            }
        }
        let last_values = self.ppo.values_async(&last_obs).await;
        self.buf.compute_gae(
            &last_values,
            self.config.ppo.gamma,
            self.config.ppo.gae_lambda,
        );
        let lr = self.learning_rate();
        self.updates += 1;
        if let Some(fb) = &self.feedback {
            self.buf.advice_weight = fb.lambda() as f32;
        }
        let stats = self
            .ppo
            .update_async(&self.buf, lr, &mut self.rng, self.updates)
            .await?;
        self.buf.clear();
        let (steps_per_second, wall_seconds) = match self.clock.as_mut() {
            Some(clock) => {
                let now = clock();
                let (t0, s0) = self.last_update_clock;
                self.last_update_clock = (now, self.env_steps);
                let dt = now - t0;
                let sps = (dt > 0.0).then(|| (self.env_steps - s0) as f64 / dt);
                (sps, Some(now - self.clock_start))
            }
            None => (None, None),
        };
        self.metrics.push(Metric::Update(UpdateMetrics {
            update: self.updates,
            env_steps: self.env_steps,
            learning_rate: lr,
            stats,
            mean_return: self.mean_return().unwrap_or(f64::NAN),
            steps_per_second,
            wall_seconds,
            feedback: self.feedback.as_ref().map(|fb| FeedbackStats {
                lambda: fb.lambda(),
                teacher_agreement: fb.agreement(),
                preference: fb.last_round(),
            }),
        }));
        Ok(())
    }

    /// CleanRL's linear annealing: full rate at the first update, `lr / total` at the last.
    fn learning_rate(&self) -> f64 {
        let lr = self.config.ppo.learning_rate;
        if !self.config.ppo.anneal_lr {
            return lr;
        }
        let total = self.config.total_updates() as f64;
        let frac = 1.0 - (self.updates as f64) / total;
        lr * frac.max(1.0 / total)
    }
}

/// Replays `seg` in `env` from its seed: the network's observation before each of its steps
/// (normalised by `norm` where the run normalises), its actions, and the observation after
/// its last step (`None` when that step ended the episode in a terminal state).
fn replay_segment(
    env: &mut dyn Env,
    seg: &SegmentRef,
    norm: Option<&RunningNorm>,
) -> Result<ReplayedSegment, String> {
    let spec = env.spec();
    let discrete = spec.action_space.n();
    let width = if discrete.is_some() {
        1
    } else {
        spec.action_space.flat_dim()
    };
    let d = spec.observation_space.flat_dim();
    let end = seg.start + seg.len;
    if seg.actions.len() != end * width {
        return Err(format!(
            "a segment ending at step {end} needs {} action floats, it has {}",
            end * width,
            seg.actions.len()
        ));
    }
    let mut obs = vec![0.0; d];
    let mut net = vec![0.0; d];
    env.reset(Some(seg.seed), &mut obs);
    let mut out = ReplayedSegment {
        obs: Vec::with_capacity(seg.len * d),
        actions: Vec::with_capacity(seg.len * width),
        next_obs: None,
    };
    for (t, a) in seg.actions.chunks_exact(width).enumerate() {
        let action = match discrete {
            Some(n) => {
                let i = a[0];
                if !(i >= 0.0 && i.fract() == 0.0 && (i as usize) < n) {
                    return Err(format!("step {t}: action {i} is not one of the env's {n}"));
                }
                Action::Discrete(i as usize)
            }
            None => Action::Continuous(a),
        };
        if t >= seg.start {
            network_input(&obs, norm, &mut net);
            out.obs.extend_from_slice(&net);
            out.actions.extend_from_slice(a);
        }
        let step = env.step(action, &mut obs).map_err(|e| e.to_string())?;
        let done = step.terminated || step.truncated;
        if t + 1 == end {
            if !step.terminated {
                network_input(&obs, norm, &mut net);
                out.next_obs = Some(net.clone());
            }
        } else if done {
            return Err(format!(
                "its episode ended at step {}, before the segment's end at {end}: the \
                 segment is not of this env",
                t + 1
            ));
        }
    }
    Ok(out)
}

/// What the network reads for an env observation.
fn network_input(obs: &[f32], norm: Option<&RunningNorm>, out: &mut [f32]) {
    match norm {
        Some(norm) => norm.normalize(obs, out),
        None => out.copy_from_slice(obs),
    }
}
