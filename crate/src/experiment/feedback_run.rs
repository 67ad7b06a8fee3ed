//! The feedback side of a training run: asks the teacher about every step and turns its
//! answers into the reward PPO sees (see the table in [`crate::feedback`]).
//!
//! Per rollout step, in order: [`FeedbackRun::before_step`] records the teacher's advice for
//! the current states; the env steps, calling [`FeedbackRun::observe`] for each env before any
//! auto-reset (so the teacher sees the state the step reached); [`FeedbackRun::after_step`]
//! re-reads the potential of envs that were reset and blends the rewards.

use super::rollout_episodes::RolloutEpisodes;
use crate::agent::ActionSpec;
use crate::agent::rollout::RolloutBuffer;
use crate::env::{Action, Env, Step, VecEnv};
use crate::feedback::preference::{
    Answer, AnswerReport, LabelAgreement, LabelRecord, QueryQueue, ReplayedSegment,
};
use crate::feedback::teacher::value_after;
use crate::feedback::{
    FeedbackConfig, FeedbackMode, NextStates, PreferenceError, PreferenceLearner, PreferenceState,
    PreferenceStats, RolloutView, Teacher, TeacherView,
};

/// What a checkpoint keeps of a [`FeedbackRun`] (the teacher itself is rebuilt).
pub(crate) struct FeedbackState {
    pub lambda: f64,
    pub phi: Vec<f64>,
    pub ai_return: Vec<f64>,
    pub agree: (u64, u64),
}

pub(crate) struct FeedbackRun {
    pub(crate) config: FeedbackConfig,
    teacher: Box<dyn Teacher>,
    gamma: f64,
    action: ActionSpec,
    /// Lambda for the current rollout.
    lambda: f64,
    /// `Phi` of each env's current state.
    phi: Vec<f64>,
    /// The AI signal of each env's last step (score, shaping term or model reward).
    signal: Vec<f64>,
    /// The teacher's score of each env's last step (what a labeler sums).
    score: Vec<f64>,
    /// AI return of each env's running episode, and of the one that just ended.
    pub(crate) ai_return: Vec<f64>,
    pub(crate) final_ai_return: Vec<f64>,
    /// Steps this rollout where the agent did what the teacher prefers, and steps judged.
    agree: (u64, u64),
    /// Teacher's advice for each env's current state.
    advice: Vec<f32>,
    /// Continuous actions within this distance of the teacher's agree with it (a tenth of
    /// each dimension's range).
    tolerance: Vec<f32>,
    /// Preference mode: the labeler, the labels and the reward model.
    preference: Option<PreferenceLearner>,
    /// The reward model's reward for each env's current step (preference mode).
    model_reward: Vec<f32>,
    /// Preference mode with a learned potential: its rewards are added after the rollout.
    potential: bool,
    /// The potential's shaping term of every rollout row (scratch).
    potential_terms: Vec<f32>,
    /// What the last preference round did.
    last_round: PreferenceStats,
    /// Preference mode: which episode each rollout row belongs to.
    episodes: Option<RolloutEpisodes>,
}

impl FeedbackRun {
    pub(crate) fn new(
        config: FeedbackConfig,
        teacher: Box<dyn Teacher>,
        gamma: f64,
        action: ActionSpec,
        bounds: Option<&(Vec<f32>, Vec<f32>)>,
        env: &VecEnv,
        seed: u64,
    ) -> Result<Self, PreferenceError> {
        let n = env.num_envs();
        let tolerance = bounds
            .map(|(lo, hi)| lo.iter().zip(hi).map(|(l, h)| 0.1 * (h - l)).collect())
            .unwrap_or_default();
        let preference = match config.mode {
            FeedbackMode::Preference => Some(PreferenceLearner::new(
                &config.preference,
                &config.labeler,
                env.obs_dim(),
                action,
                seed,
            )?),
            _ => None,
        };
        let potential = preference.as_ref().is_some_and(|p| p.is_potential());
        let episodes = preference
            .is_some()
            .then(|| RolloutEpisodes::new(action.stored_dim()));
        let mut run = Self {
            potential,
            potential_terms: Vec::new(),
            lambda: config.lambda_at(0),
            config,
            teacher,
            gamma,
            action,
            phi: vec![0.0; n],
            signal: vec![0.0; n],
            score: vec![0.0; n],
            ai_return: vec![0.0; n],
            final_ai_return: vec![0.0; n],
            agree: (0, 0),
            advice: vec![0.0; n * action.network_outputs()],
            tolerance,
            preference,
            model_reward: vec![0.0; n],
            last_round: PreferenceStats::default(),
            episodes,
        };
        run.refresh_potentials(env, 0..n);
        Ok(run)
    }

    /// Preference mode: the reward model's rewards for rollout step `t` (its observations and
    /// actions are stored, the env has not stepped yet).
    pub(crate) fn model_rewards(
        &mut self,
        buf: &RolloutBuffer,
        t: usize,
    ) -> Result<(), PreferenceError> {
        let Some(pref) = &mut self.preference else {
            return Ok(());
        };
        if self.potential {
            // Its rewards need the state after each step: see `after_rollout`.
            return Ok(());
        }
        let view = rollout_view(buf, buf.step_rows(t));
        pref.rewards(&view, &mut self.model_reward)
    }

    /// Preference mode: asks this update's labels on the full rollout and fits the reward
    /// model; with a learned potential, then adds `lambda * (gamma * h(s') - h(s))` to every
    /// reward of the rollout and returns the AI returns of the episodes that ended in it, in
    /// the order they ended (see [`FeedbackRun::defers_ai_return`]). `last_obs` is the
    /// network input after the last stored step, `progress` the share of the run done.
    pub(crate) fn after_rollout(
        &mut self,
        buf: &mut RolloutBuffer,
        last_obs: &[f32],
        progress: f64,
        at_step: u64,
    ) -> Result<Vec<f64>, PreferenceError> {
        let Some(pref) = &mut self.preference else {
            return Ok(Vec::new());
        };
        let rows = buf.len * buf.n_envs;
        let view = full_view(buf, last_obs, self.episodes.as_ref());
        pref.ask(&view, progress.clamp(0.0, 1.0), at_step)?;
        self.last_round = pref.learn(&view)?;
        if self.potential {
            self.potential_terms.resize(rows, 0.0);
            pref.potential_rewards(&view, self.gamma, &mut self.potential_terms)?;
            let l = self.lambda as f32;
            for (r, f) in buf.rewards[..rows].iter_mut().zip(&self.potential_terms) {
                *r += l * f;
            }
            // Rows are step-major, so this visits steps in order, envs in order within one.
            let n = buf.n_envs;
            let mut ended = Vec::new();
            for (row, &term) in self.potential_terms.iter().enumerate() {
                let i = row % n;
                self.ai_return[i] += f64::from(term);
                if buf.dones[row] {
                    ended.push(std::mem::take(&mut self.ai_return[i]));
                }
            }
            return Ok(ended);
        }
        Ok(Vec::new())
    }

    /// Preference mode, the rollout full: asks its queries (once) and returns
    /// `(answered, needed)` while the run waits for a person's first labels.
    pub(crate) fn ask(
        &mut self,
        buf: &RolloutBuffer,
        last_obs: &[f32],
        progress: f64,
        at_step: u64,
    ) -> Result<Option<(u64, u64)>, PreferenceError> {
        let Some(pref) = &mut self.preference else {
            return Ok(None);
        };
        let view = full_view(buf, last_obs, self.episodes.as_ref());
        pref.ask(&view, progress.clamp(0.0, 1.0), at_step)?;
        Ok(pref.waiting_for_labels())
    }

    /// Preference mode: `(answered, needed)` while the run waits for a person's first labels.
    pub(crate) fn waiting_for_labels(&self) -> Option<(u64, u64)> {
        self.preference.as_ref()?.waiting_for_labels()
    }

    /// Preference mode: the queries waiting for a person.
    pub(crate) fn queue(&self) -> Option<&QueryQueue> {
        self.preference.as_ref().map(|p| p.queue())
    }

    /// Preference mode: every label so far.
    pub(crate) fn label_log(&self) -> &[LabelRecord] {
        self.preference.as_ref().map_or(&[], |p| p.label_log())
    }

    /// A person's answer to a waiting query (see [`PreferenceLearner::answer`]).
    pub(crate) fn answer(
        &mut self,
        id: u64,
        answer: Answer,
        at_step: u64,
    ) -> Result<AnswerReport, PreferenceError> {
        match &mut self.preference {
            Some(p) => p.answer(id, answer, at_step),
            None => Err(PreferenceError::BadInput(
                "this run asks no queries: its feedback mode is not preference".into(),
            )),
        }
    }

    /// A label from elsewhere, its segments replayed (see [`PreferenceLearner::add_label`]).
    pub(crate) fn add_label(
        &mut self,
        record: LabelRecord,
        left: &ReplayedSegment,
        right: &ReplayedSegment,
    ) -> Result<(), PreferenceError> {
        match &mut self.preference {
            Some(p) => p.add_label(record, left, right),
            None => Err(PreferenceError::BadInput(
                "labels train a reward model only in the preference mode".into(),
            )),
        }
    }

    /// Preference mode: the rollout's episode records, which a checkpoint keeps.
    pub(crate) fn rollout_episodes(&self) -> Option<&RolloutEpisodes> {
        self.episodes.as_ref()
    }

    /// Restores [`FeedbackRun::rollout_episodes`] for a partial rollout of `rows` rows.
    pub(crate) fn set_rollout_episodes(
        &mut self,
        episodes: RolloutEpisodes,
        n_envs: usize,
        rows: usize,
    ) -> Result<(), PreferenceError> {
        let Some(kept) = &mut self.episodes else {
            return Err(PreferenceError::BadInput(
                "rollout episode records for a run without preference feedback".into(),
            ));
        };
        episodes
            .check(n_envs, rows, kept.width())
            .map_err(PreferenceError::BadInput)?;
        *kept = episodes;
        Ok(())
    }

    /// Preference mode, at each rollout step before the env steps: records which episode
    /// each env's row belongs to (`seed` and `step` of env `i`, in order; see
    /// [`RolloutEpisodes`]). `running` holds each env's episode actions so far.
    pub(crate) fn record_rows(
        &mut self,
        t: usize,
        running: &[Vec<f32>],
        mut seed_and_step: impl FnMut(usize) -> (u64, usize),
    ) {
        let Some(episodes) = &mut self.episodes else {
            return;
        };
        if t == 0 {
            episodes.start(running);
        }
        for i in 0..running.len() {
            let (seed, step) = seed_and_step(i);
            episodes.record_row(seed, step);
        }
    }

    /// Preference mode: the action the next recorded row's env was sent.
    pub(crate) fn record_action(&mut self, action: &[f32]) {
        if let Some(episodes) = &mut self.episodes {
            episodes.record_action(action);
        }
    }

    /// Whether episodes' AI returns are known only after their rollout (a learned potential,
    /// whose terms need the state after each step and a model trained on the rollout).
    pub(crate) fn defers_ai_return(&self) -> bool {
        self.potential
    }

    /// A person's answers so far.
    pub(crate) fn labels_you(&self) -> u64 {
        self.preference.as_ref().map_or(0, |p| p.labels_you())
    }

    /// The person's labels against the AI labeler's and the reward model's.
    pub(crate) fn label_agreement(&self) -> Option<LabelAgreement> {
        self.preference.as_ref().map(|p| p.agreement())
    }

    /// Whether the reward model is frozen.
    pub(crate) fn reward_model_frozen(&self) -> bool {
        self.preference.as_ref().is_some_and(|p| p.is_frozen())
    }

    /// AI labels asked so far.
    pub(crate) fn labels_used(&self) -> u64 {
        self.preference.as_ref().map_or(0, |p| p.labels_used())
    }

    /// The last preference round's stats (all `None` outside preference mode).
    pub(crate) fn last_round(&self) -> PreferenceStats {
        self.last_round
    }

    pub(crate) fn is_preference(&self) -> bool {
        self.preference.is_some()
    }

    pub(crate) fn state(&self) -> FeedbackState {
        FeedbackState {
            lambda: self.lambda,
            phi: self.phi.clone(),
            ai_return: self.ai_return.clone(),
            agree: self.agree,
        }
    }

    pub(crate) fn set_state(&mut self, state: FeedbackState) {
        self.lambda = state.lambda;
        self.phi = state.phi;
        self.ai_return = state.ai_return;
        self.agree = state.agree;
    }

    /// Preference mode: the labels, reward model and generators (see [`PreferenceState`]).
    pub(crate) fn preference_state(&self) -> Result<Option<PreferenceState>, PreferenceError> {
        self.preference.as_ref().map(|p| p.state()).transpose()
    }

    /// Preference mode: restores [`FeedbackRun::preference_state`].
    pub(crate) fn restore_preference(
        &mut self,
        state: PreferenceState,
    ) -> Result<(), PreferenceError> {
        match &mut self.preference {
            Some(p) => p.restore(state),
            None => Err(PreferenceError::BadInput(
                "preference state for a run without preference feedback".into(),
            )),
        }
    }

    pub(crate) fn teacher_name(&self) -> String {
        self.teacher.name()
    }

    pub(crate) fn lambda(&self) -> f64 {
        self.lambda
    }

    /// Sets lambda for the next rollout from the schedule.
    pub(crate) fn start_rollout(&mut self, env_steps: u64) {
        self.lambda = self.config.lambda_at(env_steps);
        self.agree = (0, 0);
    }

    /// Floats of advice per step when the mode is advice (0 otherwise).
    pub(crate) fn advice_dim(&self) -> usize {
        match self.config.mode {
            FeedbackMode::Advice => self.action.network_outputs(),
            _ => 0,
        }
    }

    /// Re-reads `Phi` for `envs` (after a reset or a restore).
    pub(crate) fn refresh_potentials(&mut self, env: &VecEnv, envs: std::ops::Range<usize>) {
        let d = env.obs_dim();
        for i in envs {
            let view = TeacherView {
                env: env.envs()[i].as_ref(),
                obs: &env.obs[i * d..(i + 1) * d],
            };
            self.phi[i] = self.teacher.value(view);
        }
    }

    /// Asks the teacher what it would do in each env's current state; in advice mode the
    /// answers are copied into `advice_out` (`n_envs * advice_dim`).
    pub(crate) fn before_step(&mut self, env: &VecEnv, advice_out: Option<&mut [f32]>) {
        let d = env.obs_dim();
        let k = self.action.network_outputs();
        for i in 0..env.num_envs() {
            let view = TeacherView {
                env: env.envs()[i].as_ref(),
                obs: &env.obs[i * d..(i + 1) * d],
            };
            self.teacher
                .policy(view, &mut self.advice[i * k..(i + 1) * k]);
        }
        if let Some(out) = advice_out {
            out.copy_from_slice(&self.advice);
        }
    }

    /// Judges env `i`'s step, before any auto-reset.
    pub(crate) fn observe(
        &mut self,
        i: usize,
        action: Action<'_>,
        env: &dyn Env,
        obs: &[f32],
        step: &Step,
    ) {
        let k = self.action.network_outputs();
        self.agree.1 += 1;
        if agrees(action, &self.advice[i * k..(i + 1) * k], &self.tolerance) {
            self.agree.0 += 1;
        }
        let view = TeacherView { env, obs };
        let before = self.phi[i];
        let needs_score = matches!(
            self.config.mode,
            FeedbackMode::Direct | FeedbackMode::Preference
        );
        self.score[i] = if needs_score {
            self.teacher.score(before, action, view, step)
        } else {
            0.0
        };
        let after = value_after(&mut *self.teacher, view, step);
        self.signal[i] = match self.config.mode {
            FeedbackMode::Direct => self.score[i],
            FeedbackMode::Shaping => self.gamma * after - before,
            _ => 0.0,
        };
        self.phi[i] = after;
    }

    /// The teacher's score of env `i`'s last step.
    pub(crate) fn score(&self, i: usize) -> f64 {
        self.score[i]
    }

    /// Blends env `i`'s env reward with its AI signal (the reward model's in preference
    /// mode), adds the signal to the episode's AI return, and returns the reward PPO sees.
    pub(crate) fn blend(&mut self, i: usize, env_reward: f64) -> f64 {
        let l = self.lambda;
        if self.potential {
            // The potential's term is added once the rollout is complete.
            return env_reward;
        }
        let signal = match self.config.mode {
            FeedbackMode::Preference => self.model_reward[i] as f64,
            _ => self.signal[i],
        };
        self.ai_return[i] += signal;
        match self.config.mode {
            FeedbackMode::None | FeedbackMode::Advice => env_reward,
            FeedbackMode::Shaping => env_reward + l * signal,
            FeedbackMode::Direct | FeedbackMode::Preference => (1.0 - l) * env_reward + l * signal,
        }
    }

    /// Closes env `i`'s episode; the new episode's `Phi` is read by the caller afterwards.
    pub(crate) fn finish_episode(&mut self, i: usize) -> Option<f64> {
        if self.potential {
            // Its AI return is summed after the rollout (see `after_rollout`).
            return None;
        }
        self.final_ai_return[i] = self.ai_return[i];
        self.ai_return[i] = 0.0;
        (self.config.mode != FeedbackMode::Advice).then_some(self.final_ai_return[i])
    }

    /// Share of steps this rollout where the agent took the teacher's choice.
    pub(crate) fn agreement(&self) -> Option<f64> {
        (self.agree.1 > 0).then(|| self.agree.0 as f64 / self.agree.1 as f64)
    }
}

/// The preference loop's view of the whole rollout, with the states after its rows and,
/// when recorded, their episodes.
fn full_view<'a>(
    buf: &'a RolloutBuffer,
    last_obs: &'a [f32],
    episodes: Option<&'a RolloutEpisodes>,
) -> RolloutView<'a> {
    let rows = buf.len * buf.n_envs;
    let mut view = rollout_view(buf, 0..rows);
    view.next = Some(NextStates {
        terminated: &buf.terminated[..rows],
        truncated_rows: &buf.truncated_rows,
        truncated_obs: &buf.truncated_obs,
        last_obs,
    });
    view.episodes = episodes.map(RolloutEpisodes::view);
    view
}

/// The preference loop's view of rows `rows` (whole steps, all envs) of the rollout buffer.
fn rollout_view(buf: &RolloutBuffer, rows: std::ops::Range<usize>) -> RolloutView<'_> {
    RolloutView {
        n_envs: buf.n_envs,
        n_steps: rows.len() / buf.n_envs,
        obs_dim: buf.obs_dim,
        act_dim: buf.act_dim,
        obs: &buf.obs[rows.start * buf.obs_dim..rows.end * buf.obs_dim],
        actions: &buf.actions[rows.start * buf.act_dim..rows.end * buf.act_dim],
        env_rewards: &buf.env_rewards[rows.clone()],
        teacher_scores: &buf.teacher_scores[rows.clone()],
        dones: &buf.dones[rows],
        next: None,
        episodes: None,
    }
}

/// Whether `action` is what the teacher suggests: one of its most likely actions (discrete),
/// or within `tolerance` of its suggestion in every dimension (continuous).
fn agrees(action: Action<'_>, advice: &[f32], tolerance: &[f32]) -> bool {
    match action {
        Action::Discrete(a) => {
            let best = advice.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            advice.get(a).is_some_and(|&p| p >= best - 1e-6)
        }
        Action::Continuous(x) => x
            .iter()
            .zip(advice)
            .zip(tolerance)
            .all(|((&x, &t), &tol)| (x - t).abs() <= tol),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::rng::AgentRng;
    use crate::env::EnvOptions;
    use crate::experiment::{ExperimentConfig, Metric, Trainer};
    use crate::feedback::FeedbackMode;

    /// Judges CartPole by the pole angle: Phi = -|theta| * 10; always suggests action 0.
    struct AngleTeacher;

    impl Teacher for AngleTeacher {
        fn name(&self) -> String {
            "angle".into()
        }
        fn value(&mut self, state: TeacherView<'_>) -> f64 {
            -(state.obs[2] as f64).abs() * 10.0
        }
        fn policy(&mut self, _state: TeacherView<'_>, out: &mut [f32]) {
            out.fill(0.0);
            out[0] = 1.0;
        }
    }

    fn run(mode: FeedbackMode, lambda: f64) -> (FeedbackRun, VecEnv) {
        let env = VecEnv::new("CartPole-v1", 1, &EnvOptions::default()).unwrap();
        let config = FeedbackConfig {
            mode,
            lambda,
            ..Default::default()
        };
        let action = ActionSpec::Discrete {
            n: 2,
            masked: false,
        };
        let fb =
            FeedbackRun::new(config, Box::new(AngleTeacher), 0.99, action, None, &env, 1).unwrap();
        (fb, env)
    }

    /// Steps one episode with random actions; returns (env rewards, PPO rewards, Phi(s_0),
    /// whether it terminated).
    fn episode(
        fb: &mut FeedbackRun,
        env: &mut VecEnv,
        seed: u64,
    ) -> (Vec<f64>, Vec<f64>, f64, bool) {
        env.reset(seed);
        fb.refresh_potentials(env, 0..1);
        fb.start_rollout(0);
        let phi0 = fb.phi[0];
        let mut rng = AgentRng::new(seed);
        let (mut env_r, mut ppo_r) = (Vec::new(), Vec::new());
        loop {
            fb.before_step(env, None);
            let a = [(rng.uniform() < 0.5) as usize];
            env.step_discrete_observed(&a, &mut |i, a, e, o, s| fb.observe(i, a, e, o, s))
                .unwrap();
            env_r.push(env.rewards[0]);
            ppo_r.push(fb.blend(0, env.rewards[0]));
            if env.done(0) {
                fb.finish_episode(0);
                return (env_r, ppo_r, phi0, env.terminated[0]);
            }
        }
    }

    #[test]
    fn shaping_terms_telescope_to_minus_the_start_potential() {
        let (mut fb, mut env) = run(FeedbackMode::Shaping, 0.7);
        for seed in 1..6 {
            let (env_r, ppo_r, phi0, terminated) = episode(&mut fb, &mut env, seed);
            assert!(terminated, "a random CartPole episode ends by falling");
            // sum_t gamma^t F_t = gamma^T Phi(terminal) - Phi(s_0), and Phi(terminal) = 0.
            let discounted: f64 = env_r
                .iter()
                .zip(&ppo_r)
                .enumerate()
                .map(|(t, (r, p))| 0.99f64.powi(t as i32) * (p - r) / 0.7)
                .sum();
            assert!(
                (discounted + phi0).abs() < 1e-9,
                "seed {seed}: {discounted} vs {}",
                -phi0
            );
            assert!(phi0 < 0.0, "a tilted start has a negative potential");
        }
    }

    #[test]
    fn direct_feedback_blends_env_reward_and_teacher_score_by_lambda() {
        for lambda in [0.0, 0.25, 1.0] {
            let (mut fb, mut env) = run(FeedbackMode::Direct, lambda);
            let (env_r, ppo_r, phi0, _) = episode(&mut fb, &mut env, 3);
            // The default score is progress, so the scores sum to Phi(s_T) - Phi(s_0).
            let ai_return = fb.final_ai_return[0];
            let blended: f64 = ppo_r.iter().sum();
            let env_return: f64 = env_r.iter().sum();
            assert!((blended - ((1.0 - lambda) * env_return + lambda * ai_return)).abs() < 1e-9);
            assert!(ai_return.is_finite() && phi0.is_finite());
        }
    }

    #[test]
    fn advice_pulls_the_policy_toward_the_teacher() {
        let mut config = ExperimentConfig::preset("CartPole-v1").unwrap();
        config.total_steps = 4096;
        config.feedback = FeedbackConfig {
            mode: FeedbackMode::Advice,
            lambda: 1.0,
            ..Default::default()
        };
        let agreement = |config: ExperimentConfig| {
            let device = crate::backend::DEFAULT_CPU.device();
            let mut t = Trainer::with_teacher(config, &device, Box::new(AngleTeacher)).unwrap();
            t.run().unwrap();
            t.drain_metrics()
                .iter()
                .rev()
                .find_map(|m| match m {
                    Metric::Update(u) => u.feedback.and_then(|f| f.teacher_agreement),
                    _ => None,
                })
                .unwrap()
        };
        let advised = agreement(config.clone());
        config.feedback.lambda = 0.0;
        let plain = agreement(config);
        assert!(advised > 0.9, "agreement with advice: {advised}");
        assert!(plain < 0.75, "agreement without: {plain}");
    }
}
