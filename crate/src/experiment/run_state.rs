//! A run as plain data: everything a checkpoint holds, decoded but not yet trusted.
//!
//! [`super::checkpoint`] turns bytes into a [`RunState`] and back and knows nothing of the
//! trainer. [`RunState::validate`] checks every value against the shape of the run its config
//! builds before any of it reaches a trainer ([`super::Trainer::from_state`]): a checkpoint's
//! checksum is easily recomputed, so a file is input like any other, and a value that is out of
//! range would otherwise reach a `clamp`, an index or an allocation and panic.

use super::config::{ExperimentConfig, MAX_TOTAL_STEPS};
use super::metrics::EpisodeMetrics;
use super::rollout_episodes::RolloutEpisodes;
use crate::agent::normalize::RunningNorm;
use crate::feedback::PreferenceState;

/// Episodes averaged for the "mean return" and the solved test.
pub const MEAN_WINDOW: usize = 20;

/// A whole run (see the module docs).
pub(crate) struct RunState {
    pub config: ExperimentConfig,
    /// The actor's and critic's weights: a burnpack record.
    pub weights: Vec<u8>,
    /// Adam's state (burnpack); empty in a snapshot, whose resumed run starts Adam afresh.
    pub optimizer: Vec<u8>,
    /// Observation statistics, where the run normalises observations.
    pub norm: Option<RunningNorm>,
    /// The agent's generator.
    pub rng: [u64; 4],
    pub counters: Counters,
    pub rollout: RolloutState,
    /// Each env's running episode, in env order.
    pub episodes: Vec<EnvEpisode>,
    pub feedback: Option<FeedbackSection>,
}

pub(crate) struct Counters {
    pub env_steps: u64,
    pub episodes: u64,
    pub updates: u64,
    pub solved_at: Option<u64>,
    /// Returns of the latest episodes, newest last.
    pub recent: Vec<f64>,
}

/// The partial rollout: its first `len` steps of every env, row-major as the buffer keeps them.
pub(crate) struct RolloutState {
    pub len: usize,
    pub obs: Vec<f32>,
    pub actions: Vec<f32>,
    pub masks: Vec<bool>,
    pub log_probs: Vec<f32>,
    pub values: Vec<f32>,
    pub rewards: Vec<f32>,
    pub dones: Vec<bool>,
    pub bootstrap: Vec<f32>,
    /// How its episodes ended; `None` in files written before learned potentials needed it.
    pub ends: Option<RolloutEnds>,
}

pub(crate) struct RolloutEnds {
    pub terminated: Vec<bool>,
    /// Rows where an episode was truncated, ascending, and each one's final observation.
    pub truncated_rows: Vec<usize>,
    pub truncated_obs: Vec<f32>,
}

/// One env's running episode: its index among the run's episodes and its actions so far
/// (replayed on restore, which also restores the env's own generator).
pub(crate) struct EnvEpisode {
    pub index: u64,
    pub actions: Vec<f32>,
}

/// What a run with feedback adds.
pub(crate) struct FeedbackSection {
    pub lambda: f64,
    /// Each env's teacher potential of its current state, and its AI return so far.
    pub phi: Vec<f64>,
    pub ai_return: Vec<f64>,
    /// Teacher agreement in this rollout: (agreed, judged).
    pub agree: (u64, u64),
    /// Per rollout row: the env's own reward, the teacher's score, and its advice.
    pub env_rewards: Vec<f32>,
    pub teacher_scores: Vec<f32>,
    pub advice: Vec<f32>,
    /// Preference mode's learner (its labels included).
    pub preference: Option<PreferenceState>,
    /// Preference mode: which episode each row of the partial rollout belongs to.
    pub rollout_episodes: Option<RolloutEpisodes>,
    /// AI returns of the latest episodes and the episodes waiting for theirs; `None` in files
    /// written before they were kept.
    pub episodes: Option<FeedbackEpisodes>,
}

pub(crate) struct FeedbackEpisodes {
    pub recent_ai: Vec<f64>,
    pub pending: Vec<EpisodeMetrics>,
}

/// What the run built from a state's config looks like: what every section must fit.
pub(crate) struct RunShape {
    pub n_envs: usize,
    pub n_steps: usize,
    pub obs_dim: usize,
    pub act_dim: usize,
    pub mask_dim: usize,
    pub advice_dim: usize,
    pub normalizes: bool,
    pub feedback: bool,
    pub preference: bool,
    /// Learned potentials report an episode's AI return only after its rollout.
    pub defers_ai_return: bool,
}

/// `got` values where `want` belong (`want` computed with checks: `None` overflowed).
fn check_len(section: &str, got: usize, want: Option<usize>) -> Result<(), String> {
    match want {
        Some(w) if w == got => Ok(()),
        _ => Err(format!(
            "{section}: {got} values, the run's shape needs {}",
            want.map_or_else(
                || "more than this machine can count".into(),
                |w| w.to_string()
            )
        )),
    }
}

impl RunState {
    /// Checks every value against `shape` (see the module docs). The weights and Adam records
    /// are checked by burn as they load, and the preference learner's state by the learner.
    pub fn validate(&self, shape: &RunShape) -> Result<(), String> {
        self.validate_norm(shape)?;
        self.validate_counters(shape)?;
        let rows = self.validate_rollout(shape)?;
        if self.episodes.len() != shape.n_envs {
            return Err(format!(
                "episodes: {} envs' episodes for a run of {} envs",
                self.episodes.len(),
                shape.n_envs
            ));
        }
        for (i, e) in self.episodes.iter().enumerate() {
            // An env's episodes are among the run's; a larger index would overflow as the env
            // counts on.
            if e.index > self.counters.episodes {
                return Err(format!(
                    "episodes: env {i} is in episode {}, the run has had {}",
                    e.index, self.counters.episodes
                ));
            }
        }
        match (&self.feedback, shape.feedback) {
            (None, false) => Ok(()),
            (Some(fb), true) => fb.validate(shape, rows, &self.rollout),
            (None, true) => Err("missing feedback state for a run with feedback".into()),
            (Some(_), false) => Err("feedback state for a run without feedback".into()),
        }
    }

    fn validate_norm(&self, shape: &RunShape) -> Result<(), String> {
        let norm = match (&self.norm, shape.normalizes) {
            (None, false) => return Ok(()),
            (Some(norm), true) => norm,
            (None, true) => return Err("normaliser: missing for a run that normalises".into()),
            (Some(_), false) => {
                return Err("normaliser: given for a run that does not normalise".into());
            }
        };
        if norm.mean.len() != shape.obs_dim || norm.var.len() != shape.obs_dim {
            return Err(format!(
                "normaliser: {} means and {} variances for observations of {} values",
                norm.mean.len(),
                norm.var.len(),
                shape.obs_dim
            ));
        }
        // `normalize` clamps to `[-clip, clip]`, which panics unless `clip >= 0`.
        if !(norm.count.is_finite() && norm.count > 0.0) {
            return Err(format!(
                "normaliser: count {} is not a positive number",
                norm.count
            ));
        }
        if !(norm.clip.is_finite() && norm.clip > 0.0) {
            return Err(format!(
                "normaliser: clip {} is not a positive number",
                norm.clip
            ));
        }
        if let Some(d) = (0..shape.obs_dim)
            .find(|&d| !(norm.mean[d].is_finite() && norm.var[d].is_finite() && norm.var[d] >= 0.0))
        {
            return Err(format!(
                "normaliser: dimension {d} has mean {} and variance {}",
                norm.mean[d], norm.var[d]
            ));
        }
        Ok(())
    }

    fn validate_counters(&self, shape: &RunShape) -> Result<(), String> {
        let c = &self.counters;
        // Counters near `u64::MAX` would overflow as the run goes on.
        let most_steps = MAX_TOTAL_STEPS + shape.n_envs as u64;
        if c.env_steps > most_steps {
            return Err(format!(
                "counters: env_steps {} is more than the {most_steps} a run can reach",
                c.env_steps
            ));
        }
        for (name, n) in [("episodes", c.episodes), ("updates", c.updates)]
            .into_iter()
            .chain(c.solved_at.map(|s| ("solved_at", s)))
        {
            if n > c.env_steps {
                return Err(format!(
                    "counters: {name} {n} is more than env_steps {}",
                    c.env_steps
                ));
            }
        }
        if c.recent.len() > MEAN_WINDOW {
            return Err(format!(
                "counters: {} recent returns, the run keeps at most {MEAN_WINDOW}",
                c.recent.len()
            ));
        }
        if let Some(x) = c.recent.iter().find(|x| !x.is_finite()) {
            return Err(format!("counters: a recent return is {x}"));
        }
        Ok(())
    }

    /// Checks the partial rollout and returns its number of rows.
    fn validate_rollout(&self, shape: &RunShape) -> Result<usize, String> {
        let r = &self.rollout;
        // A full rollout is kept while the run waits for a person's first labels.
        if r.len > shape.n_steps {
            return Err(format!(
                "rollout: length {} is more than ppo.n_steps {}",
                r.len, shape.n_steps
            ));
        }
        // Both are bounded by the config's validation, so this cannot overflow; checked anyway.
        let rows = r
            .len
            .checked_mul(shape.n_envs)
            .ok_or_else(|| "rollout: too many rows".to_string())?;
        check_len(
            "rollout observations",
            r.obs.len(),
            rows.checked_mul(shape.obs_dim),
        )?;
        check_len(
            "rollout actions",
            r.actions.len(),
            rows.checked_mul(shape.act_dim),
        )?;
        check_len(
            "rollout masks",
            r.masks.len(),
            rows.checked_mul(shape.mask_dim),
        )?;
        for (name, got) in [
            ("rollout log-probabilities", r.log_probs.len()),
            ("rollout values", r.values.len()),
            ("rollout rewards", r.rewards.len()),
            ("rollout dones", r.dones.len()),
            ("rollout bootstrap values", r.bootstrap.len()),
        ] {
            check_len(name, got, Some(rows))?;
        }
        if let Some(ends) = &r.ends {
            check_len("rollout ends", ends.terminated.len(), Some(rows))?;
            // Rows are written in the order they end, which the potential model's lookup
            // relies on.
            let n = ends.truncated_rows.len();
            if ends
                .truncated_rows
                .iter()
                .any(|&row| row >= rows || !r.dones[row])
                || !ends.truncated_rows.is_sorted_by(|a, b| a < b)
                || Some(ends.truncated_obs.len()) != n.checked_mul(shape.obs_dim)
            {
                return Err(format!(
                    "rollout ends: {n} truncated rows with {} final observation values do not \
                     fit a rollout of {rows} rows",
                    ends.truncated_obs.len()
                ));
            }
        }
        Ok(rows)
    }
}

impl FeedbackSection {
    fn validate(
        &self,
        shape: &RunShape,
        rows: usize,
        rollout: &RolloutState,
    ) -> Result<(), String> {
        let n = shape.n_envs;
        if self.phi.len() != n || self.ai_return.len() != n {
            return Err(format!(
                "feedback: {} potentials and {} AI returns for {n} envs",
                self.phi.len(),
                self.ai_return.len()
            ));
        }
        if !(0.0..=1.0).contains(&self.lambda) {
            return Err(format!(
                "feedback: lambda {} is outside [0, 1]",
                self.lambda
            ));
        }
        if self
            .phi
            .iter()
            .chain(&self.ai_return)
            .any(|x| !x.is_finite())
        {
            return Err("feedback: a teacher potential or AI return is not finite".into());
        }
        // Counted per step of the rollout, and reset with it.
        let batch = (n as u64).saturating_mul(shape.n_steps as u64);
        if self.agree.0 > self.agree.1 || self.agree.1 > batch {
            return Err(format!(
                "feedback: agreement {} of {} does not fit a rollout of {batch} steps",
                self.agree.0, self.agree.1
            ));
        }
        check_len("feedback env rewards", self.env_rewards.len(), Some(rows))?;
        check_len(
            "feedback teacher scores",
            self.teacher_scores.len(),
            Some(rows),
        )?;
        check_len(
            "feedback advice",
            self.advice.len(),
            rows.checked_mul(shape.advice_dim),
        )?;
        match (&self.preference, shape.preference) {
            (Some(_), true) | (None, false) => {}
            (None, true) => return Err("missing preference state".into()),
            (Some(_), false) => {
                return Err("preference state for a run without preference feedback".into());
            }
        }
        if self.rollout_episodes.is_some() && !shape.preference {
            return Err("rollout episode records for a run without preference feedback".into());
        }
        if let Some(e) = &self.episodes {
            if e.recent_ai.len() > MEAN_WINDOW {
                return Err(format!(
                    "feedback episodes: {} recent AI returns, the run keeps at most \
                     {MEAN_WINDOW}",
                    e.recent_ai.len()
                ));
            }
            // They wait for the rollout's AI returns, one per episode that ended in it (none
            // once the run is finished): the update pairs them up.
            let n = e.pending.len();
            let ended = rollout.dones.iter().filter(|&&d| d).count();
            if n != 0 && !(shape.defers_ai_return && n == ended) {
                return Err(format!(
                    "feedback episodes: {n} episodes wait for their AI return, the rollout \
                     ended {ended}"
                ));
            }
            if let Some(p) = e.pending.iter().find(|p| p.env_index >= shape.n_envs) {
                return Err(format!(
                    "feedback episodes: env {} of a run of {} envs",
                    p.env_index, shape.n_envs
                ));
            }
        }
        Ok(())
    }
}
