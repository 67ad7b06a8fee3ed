//! The trainer to and from a [`RunState`], and through it to and from checkpoint bytes.
//!
//! [`Trainer::from_state`] builds a fresh run from the state's config, validates the whole
//! state against that run's shape, and only then moves it in: nothing of a hostile file reaches
//! the trainer unchecked.

use super::{TrainError, Trainer};
use crate::agent::rng::AgentRng;
use crate::experiment::ExperimentConfig;
use crate::experiment::checkpoint::{self, CheckpointError};
use crate::experiment::run_state::{
    Counters, EnvEpisode, FeedbackEpisodes, FeedbackSection, RolloutEnds, RolloutState, RunShape,
    RunState,
};
use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device};

impl Trainer {
    /// The whole run as checkpoint bytes (see [`checkpoint`]). Call between slices.
    pub fn checkpoint(&self) -> Result<Vec<u8>, CheckpointError> {
        let weights = self
            .ppo
            .model
            .clone()
            .into_record()
            .into_bytes()
            .map_err(|e| CheckpointError::Corrupt(format!("weights: {e}")))?;
        let optimizer = self
            .ppo
            .optim
            .into_bytes()
            .map_err(|e| CheckpointError::Corrupt(format!("optimizer: {e}")))?;
        checkpoint::encode(&self.state_with(weights.to_vec(), optimizer.to_vec())?)
    }

    /// [`Trainer::checkpoint`] for a device that reads back only asynchronously (WebGPU in a
    /// browser), without the Adam state: a run resumed from it starts Adam afresh. It is how a
    /// run leaves a GPU that is failing. Call between slices.
    pub async fn snapshot_async(&self) -> Result<Vec<u8>, CheckpointError> {
        let cpu = crate::backend::DEFAULT_CPU.device().autodiff();
        let weights = crate::agent::host_copy::host_copy(&self.ppo.model, &cpu)
            .await
            .map_err(CheckpointError::Device)?
            .into_record()
            .into_bytes()
            .map_err(|e| CheckpointError::Corrupt(format!("weights: {e}")))?;
        checkpoint::encode(&self.state_with(weights.to_vec(), Vec::new())?)
    }

    /// Restores a run from [`Trainer::checkpoint`] bytes on `device`. With `expected_env`,
    /// a checkpoint of another env is rejected.
    pub fn resume(
        bytes: &[u8],
        device: &Device,
        expected_env: Option<&str>,
    ) -> Result<Trainer, TrainError> {
        Self::resume_with_demonstrations(bytes, device, expected_env, None)
    }

    /// The run's config, read from checkpoint `bytes` (checked whole first): e.g. to find the
    /// demonstrations file its teacher is learned from.
    pub fn checkpoint_config(bytes: &[u8]) -> Result<ExperimentConfig, CheckpointError> {
        checkpoint::config(bytes)
    }

    /// [`Trainer::resume`] for a run whose teacher is learned from demonstrations: the
    /// checkpoint does not hold the teacher, so `demos` (the same file's bytes) teach it
    /// again (see [`Trainer::with_demonstrations`]).
    pub fn resume_with_demonstrations(
        bytes: &[u8],
        device: &Device,
        expected_env: Option<&str>,
        demos: Option<&[u8]>,
    ) -> Result<Trainer, TrainError> {
        let state = checkpoint::decode(bytes)?;
        if let Some(env) = expected_env
            && env != state.config.env_id
        {
            return Err(CheckpointError::Mismatch(format!(
                "the checkpoint is a run of {}, not {env}",
                state.config.env_id
            ))
            .into());
        }
        Self::from_state(state, device, demos)
    }

    /// The run as plain data, with these weight and Adam records (the latter empty: not kept).
    pub(crate) fn state_with(
        &self,
        weights: Vec<u8>,
        optimizer: Vec<u8>,
    ) -> Result<RunState, CheckpointError> {
        let b = &self.buf;
        let rows = b.len * b.n_envs;
        let rollout = RolloutState {
            len: b.len,
            obs: b.obs[..rows * b.obs_dim].to_vec(),
            actions: b.actions[..rows * b.act_dim].to_vec(),
            masks: b.masks[..rows * b.mask_dim].to_vec(),
            log_probs: b.log_probs[..rows].to_vec(),
            values: b.values[..rows].to_vec(),
            rewards: b.rewards[..rows].to_vec(),
            dones: b.dones[..rows].to_vec(),
            bootstrap: b.bootstrap[..rows].to_vec(),
            ends: Some(RolloutEnds {
                terminated: b.terminated[..rows].to_vec(),
                truncated_rows: b.truncated_rows.clone(),
                truncated_obs: b.truncated_obs.clone(),
            }),
        };
        let feedback = match &self.feedback {
            None => None,
            Some(fb) => {
                let state = fb.state();
                let preference = fb
                    .preference_state()
                    .map_err(|e| CheckpointError::Unsupported(e.to_string()))?;
                Some(FeedbackSection {
                    lambda: state.lambda,
                    phi: state.phi,
                    ai_return: state.ai_return,
                    agree: state.agree,
                    env_rewards: b.env_rewards[..rows].to_vec(),
                    teacher_scores: b.teacher_scores[..rows].to_vec(),
                    advice: b.advice[..rows * b.advice_dim].to_vec(),
                    preference,
                    // Between rollouts the records still describe the last one, which is spent:
                    // the next rollout's first step records afresh.
                    rollout_episodes: fb.rollout_episodes().filter(|_| rows > 0).cloned(),
                    episodes: Some(FeedbackEpisodes {
                        recent_ai: self.recent_ai.iter().copied().collect(),
                        pending: self.pending_episodes.clone(),
                    }),
                })
            }
        };
        Ok(RunState {
            config: self.config.clone(),
            weights,
            optimizer,
            norm: self.norm.clone(),
            rng: self.rng.state(),
            counters: Counters {
                env_steps: self.env_steps,
                episodes: self.episodes,
                updates: self.updates,
                solved_at: self.solved_at,
                recent: self.recent.iter().copied().collect(),
            },
            rollout,
            episodes: self
                .episode_actions
                .iter()
                .enumerate()
                .map(|(i, actions)| EnvEpisode {
                    index: self.env.episode_index(i),
                    actions: actions.clone(),
                })
                .collect(),
            feedback,
        })
    }

    /// What every section of a state for this run must fit.
    fn shape(&self) -> RunShape {
        let b = &self.buf;
        RunShape {
            n_envs: b.n_envs,
            n_steps: b.n_steps,
            obs_dim: b.obs_dim,
            act_dim: b.act_dim,
            mask_dim: b.mask_dim,
            advice_dim: b.advice_dim,
            normalizes: self.norm.is_some(),
            feedback: self.feedback.is_some(),
            preference: self.feedback.as_ref().is_some_and(|fb| fb.is_preference()),
            defers_ai_return: self
                .feedback
                .as_ref()
                .is_some_and(|fb| fb.defers_ai_return()),
        }
    }

    /// The run `state` describes, on `device`: a fresh run from its config (with `demos` for a
    /// teacher learned from demonstrations, which a state does not hold), then, once the whole
    /// state is validated against it, the state moved in.
    pub(crate) fn from_state(
        state: RunState,
        device: &Device,
        demos: Option<&[u8]>,
    ) -> Result<Trainer, TrainError> {
        let mut t = Trainer::with_demonstrations(state.config.clone(), device, demos)?;
        state
            .validate(&t.shape())
            .map_err(CheckpointError::Corrupt)?;
        let RunState {
            config: _,
            weights,
            optimizer,
            norm,
            rng,
            counters,
            rollout,
            episodes,
            feedback,
        } = state;

        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(weights))
            .map_err(|e| CheckpointError::Corrupt(format!("weights: {e}")))?;
        t.ppo.model = t
            .ppo
            .model
            .clone()
            .try_load_record(record)
            .map_err(|e| CheckpointError::Mismatch(format!("weights: {e}")))?;
        // An empty optimizer record is a snapshot's: Adam starts afresh.
        if !optimizer.is_empty() {
            let optim = std::mem::replace(&mut t.ppo.optim, burn::optim::AdamConfig::new().init());
            t.ppo.optim = optim
                .from_bytes(Bytes::from_bytes_vec(optimizer))
                .map_err(|e| CheckpointError::Corrupt(format!("optimizer: {e}")))?;
        }
        t.ppo.refresh_policy();

        t.norm = norm;
        t.rng = AgentRng::from_state(rng)
            .ok_or_else(|| CheckpointError::Corrupt("rng state".into()))?;
        t.env_steps = counters.env_steps;
        t.episodes = counters.episodes;
        t.updates = counters.updates;
        t.solved_at = counters.solved_at;
        t.recent = counters.recent.into();

        let b = &mut t.buf;
        let rows = rollout.len * b.n_envs;
        b.obs[..rollout.obs.len()].copy_from_slice(&rollout.obs);
        b.actions[..rollout.actions.len()].copy_from_slice(&rollout.actions);
        b.masks[..rollout.masks.len()].copy_from_slice(&rollout.masks);
        b.log_probs[..rows].copy_from_slice(&rollout.log_probs);
        b.values[..rows].copy_from_slice(&rollout.values);
        b.rewards[..rows].copy_from_slice(&rollout.rewards);
        b.dones[..rows].copy_from_slice(&rollout.dones);
        b.bootstrap[..rows].copy_from_slice(&rollout.bootstrap);
        b.len = rollout.len;
        if let Some(ends) = rollout.ends {
            b.terminated[..rows].copy_from_slice(&ends.terminated);
            b.truncated_rows = ends.truncated_rows;
            b.truncated_obs = ends.truncated_obs;
        }

        // Each env replays its running episode from the episode's seed.
        for (i, e) in episodes.into_iter().enumerate() {
            if !t.env.restore_episode(i, e.index, &e.actions)? {
                return Err(CheckpointError::Mismatch(format!(
                    "env {i}'s episode could not be replayed"
                ))
                .into());
            }
            t.episode_actions[i] = e.actions;
        }

        if let (Some(fb), Some(section)) = (&mut t.feedback, feedback) {
            let n = t.config.n_envs;
            fb.set_state(crate::experiment::feedback_run::FeedbackState {
                lambda: section.lambda,
                phi: section.phi,
                ai_return: section.ai_return,
                agree: section.agree,
            });
            let b = &mut t.buf;
            b.env_rewards[..rows].copy_from_slice(&section.env_rewards);
            b.teacher_scores[..rows].copy_from_slice(&section.teacher_scores);
            b.advice[..section.advice.len()].copy_from_slice(&section.advice);
            let mismatch = |e: crate::feedback::PreferenceError| {
                TrainError::from(CheckpointError::Mismatch(e.to_string()))
            };
            if let Some(episodes) = section.rollout_episodes {
                fb.set_rollout_episodes(episodes, n, rows)
                    .map_err(mismatch)?;
            }
            if let Some(preference) = section.preference {
                fb.restore_preference(preference).map_err(mismatch)?;
            }
            if let Some(e) = section.episodes {
                t.recent_ai = e.recent_ai.into();
                t.pending_episodes = e.pending;
            }
        }
        Ok(t)
    }
}
