//! Checkpoints: a whole run in one portable byte string.
//!
//! Layout (little-endian): the magic `RLAIFCKP`, a `u32` format version, then sections
//! `[u32 tag][u64 length][bytes]`, and last an FNV-1a 64 checksum of everything before it.
//! Sections hold the config (JSON), the weights and the Adam state (burn's burnpack
//! records), the observation statistics, the RNG state, the counters, the partial rollout and
//! each env's running episode (its index and actions, replayed on load: an episode is a
//! function of its seed and actions, which also restores the envs' own generators). A run
//! with feedback adds the feedback state, and in preference mode the labelled pairs, the
//! reward model with its Adam state, and the labeler's and query generators.
//!
//! On the CPU a resumed run continues exactly as the uninterrupted one would.
//!
//! [`Trainer::snapshot_async`] writes the same format from any device, reading the weights
//! back asynchronously, but with an empty optimizer section: a run resumed from it starts
//! Adam afresh. It is how a run leaves a GPU that is failing.

use super::config::{ExperimentConfig, MAX_TOTAL_STEPS};
use super::metrics::EpisodeMetrics;
use super::trainer::{MEAN_WINDOW, TrainError, Trainer};
use crate::agent::normalize::RunningNorm;
use crate::agent::rng::AgentRng;
use crate::feedback::PreferenceState;
use crate::feedback::reward_model::{LabelledPair, RewardModelState};
use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device};

const MAGIC: &[u8; 8] = b"RLAIFCKP";
const VERSION: u32 = 1;

const CONFIG: u32 = 1;
const MODEL: u32 = 2;
const OPTIM: u32 = 3;
const NORM: u32 = 4;
const RNG: u32 = 5;
const COUNTERS: u32 = 6;
const ROLLOUT: u32 = 7;
const EPISODES: u32 = 8;
const FEEDBACK: u32 = 9;
const PREFERENCE: u32 = 10;
const FEEDBACK_EPISODES: u32 = 11;
const ROLLOUT_ENDS: u32 = 12;
/// Preference mode: the labels' log and the person's queue (JSON; absent in older files).
const LABELS: u32 = 13;
/// Preference mode: the partial rollout's episode seeds and actions (JSON; absent in older
/// files, whose partial rollout then names no segments).
const ROLLOUT_EPISODES: u32 = 14;

/// Why a checkpoint was rejected.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CheckpointError {
    #[error("not an rlaif checkpoint (bad magic bytes)")]
    BadMagic,
    #[error("checkpoint format version {0} is not supported (this build reads version {VERSION})")]
    Version(u32),
    #[error("checkpoint is truncated or corrupt ({0})")]
    Corrupt(String),
    #[error("checkpoint does not match: {0}")]
    Mismatch(String),
    #[error("cannot checkpoint this run: {0}")]
    Unsupported(String),
    #[error("cannot read the run back from its device: {0}")]
    Device(String),
}

fn corrupt(what: &str) -> CheckpointError {
    CheckpointError::Corrupt(what.to_string())
}

/// A checkpoint whose checksum matches but whose contents do not make sense: the checksum
/// is easily recomputed, so every value read is checked like any other input.
fn invalid(what: String) -> TrainError {
    CheckpointError::Corrupt(what).into()
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Little-endian writer of one section.
#[derive(Default)]
struct W(Vec<u8>);

impl W {
    fn u64(&mut self, x: u64) {
        self.0.extend_from_slice(&x.to_le_bytes());
    }
    fn f64(&mut self, x: f64) {
        self.0.extend_from_slice(&x.to_le_bytes());
    }
    fn f32s(&mut self, xs: &[f32]) {
        self.u64(xs.len() as u64);
        for x in xs {
            self.0.extend_from_slice(&x.to_le_bytes());
        }
    }
    fn f64s(&mut self, xs: &[f64]) {
        self.u64(xs.len() as u64);
        xs.iter().for_each(|&x| self.f64(x));
    }
    fn bools(&mut self, xs: &[bool]) {
        self.u64(xs.len() as u64);
        self.0.extend(xs.iter().map(|&b| b as u8));
    }
    fn bytes(&mut self, xs: &[u8]) {
        self.u64(xs.len() as u64);
        self.0.extend_from_slice(xs);
    }
    fn rng(&mut self, state: [u64; 4]) {
        state.iter().for_each(|&s| self.u64(s));
    }
}

/// Little-endian reader; every read is bounds-checked, and every size read is converted to
/// `usize` checked (a 32-bit build, as in the browser, would wrap it).
struct R<'a> {
    b: &'a [u8],
    what: &'static str,
}

impl<'a> R<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], CheckpointError> {
        if self.b.len() < n {
            return Err(CheckpointError::Corrupt(format!(
                "{}: needs {n} more bytes, {} left",
                self.what,
                self.b.len()
            )));
        }
        let (h, t) = self.b.split_at(n);
        self.b = t;
        Ok(h)
    }
    fn u64(&mut self) -> Result<u64, CheckpointError> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().map_err(|_| corrupt(self.what))?,
        ))
    }
    fn f64(&mut self) -> Result<f64, CheckpointError> {
        Ok(f64::from_bits(self.u64()?))
    }
    /// A `u64` that sizes or indexes something in memory, as a `usize`.
    fn usize(&mut self, field: &str) -> Result<usize, CheckpointError> {
        let n = self.u64()?;
        usize::try_from(n).map_err(|_| {
            CheckpointError::Corrupt(format!(
                "{}: {field} {n} is too large for this machine",
                self.what
            ))
        })
    }
    /// A length of values of `elem` bytes each, which must fit in what is left.
    fn len(&mut self, elem: usize) -> Result<usize, CheckpointError> {
        let n = self.usize("length")?;
        if n.checked_mul(elem).is_none_or(|b| b > self.b.len()) {
            return Err(CheckpointError::Corrupt(format!(
                "{}: a length of {n} values is more than the {} bytes left",
                self.what,
                self.b.len()
            )));
        }
        Ok(n)
    }
    fn f32s(&mut self) -> Result<Vec<f32>, CheckpointError> {
        let n = self.len(4)?;
        let raw = self.take(n * 4)?;
        Ok(raw
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }
    fn f64s(&mut self) -> Result<Vec<f64>, CheckpointError> {
        let n = self.len(8)?;
        (0..n).map(|_| self.f64()).collect()
    }
    fn bools(&mut self) -> Result<Vec<bool>, CheckpointError> {
        let n = self.len(1)?;
        Ok(self.take(n)?.iter().map(|&b| b != 0).collect())
    }
    fn bytes(&mut self) -> Result<Vec<u8>, CheckpointError> {
        let n = self.len(1)?;
        Ok(self.take(n)?.to_vec())
    }
    fn rng(&mut self) -> Result<[u64; 4], CheckpointError> {
        Ok([self.u64()?, self.u64()?, self.u64()?, self.u64()?])
    }
}

/// The preference learner's section: counters, generators, reward statistics, the labelled
/// pairs and the reward model.
fn write_preference(state: &PreferenceState) -> Vec<u8> {
    let mut w = W::default();
    w.u64(state.labels_used);
    w.u64(state.labeler.0);
    w.u64(state.labeler.1);
    state.rngs.iter().for_each(|&s| w.rng(s));
    w.f64s(&state.reward_norm.mean);
    w.f64s(&state.reward_norm.var);
    w.f64(state.reward_norm.count);
    w.f64(f64::from(state.reward_norm.clip));
    w.f64(f64::from(state.potential_scale));
    w.u64(state.pairs.len() as u64);
    for pair in &state.pairs {
        w.u64(pair.len as u64);
        w.f32s(&pair.a);
        w.f32s(&pair.b);
        w.f64(f64::from(pair.target));
        w.bools(&pair.terminal);
    }
    w.bytes(&state.model.weights);
    w.bytes(&state.model.optim);
    w.f32s(&state.model.transitions);
    w.rng(state.model.rng);
    w.0
}

fn read_preference(mut r: R<'_>) -> Result<PreferenceState, CheckpointError> {
    let labels_used = r.u64()?;
    let labeler = (r.u64()?, r.u64()?);
    let mut rngs = [[0; 4]; 5];
    for s in rngs.iter_mut() {
        *s = r.rng()?;
    }
    let reward_norm = RunningNorm {
        mean: r.f64s()?,
        var: r.f64s()?,
        count: r.f64()?,
        clip: r.f64()? as f32,
    };
    let potential_scale = r.f64()? as f32;
    // Each pair takes at least its four length fields and its target.
    let n = r.len(5 * 8)?;
    let mut pairs = Vec::with_capacity(n);
    for _ in 0..n {
        let len = r.usize("pair length")?;
        let a = r.f32s()?;
        let b = r.f32s()?;
        let target = r.f64()? as f32;
        let terminal: [bool; 2] = r
            .bools()?
            .try_into()
            .map_err(|_| corrupt("preference pair"))?;
        pairs.push(LabelledPair {
            len,
            a,
            b,
            target,
            terminal,
        });
    }
    let model = RewardModelState {
        weights: r.bytes()?,
        optim: r.bytes()?,
        transitions: r.f32s()?,
        rng: r.rng()?,
    };
    Ok(PreferenceState {
        labels_used,
        labeler,
        rngs,
        reward_norm,
        potential_scale,
        pairs,
        model,
        labels: None,
    })
}

fn json<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, CheckpointError> {
    serde_json::to_vec(value).map_err(|e| CheckpointError::Unsupported(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    what: &'static str,
) -> Result<T, CheckpointError> {
    serde_json::from_slice(bytes).map_err(|_| corrupt(what))
}

impl Trainer {
    /// The whole run as bytes (see the module docs). Call between slices.
    pub fn checkpoint(&self) -> Result<Vec<u8>, CheckpointError> {
        let model = self
            .ppo
            .model
            .clone()
            .into_record()
            .into_bytes()
            .map_err(|e| CheckpointError::Corrupt(format!("weights: {e}")))?;
        let optim = self
            .ppo
            .optim
            .into_bytes()
            .map_err(|e| CheckpointError::Corrupt(format!("optimizer: {e}")))?;
        self.write_checkpoint(&model, &optim)
    }

    /// [`Trainer::checkpoint`] for a device that reads back only asynchronously (WebGPU in a
    /// browser), without the Adam state (see the module docs). Call between slices.
    pub async fn snapshot_async(&self) -> Result<Vec<u8>, CheckpointError> {
        let cpu = crate::backend::DEFAULT_CPU.device().autodiff();
        let model = crate::agent::host_copy::host_copy(&self.ppo.model, &cpu)
            .await
            .map_err(CheckpointError::Device)?
            .into_record()
            .into_bytes()
            .map_err(|e| CheckpointError::Corrupt(format!("weights: {e}")))?;
        self.write_checkpoint(&model, &[])
    }

    /// The checkpoint with these weight and optimizer records (the latter empty: not saved).
    fn write_checkpoint(&self, model: &[u8], optim: &[u8]) -> Result<Vec<u8>, CheckpointError> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        let mut section = |tag: u32, body: &[u8]| {
            out.extend_from_slice(&tag.to_le_bytes());
            out.extend_from_slice(&(body.len() as u64).to_le_bytes());
            out.extend_from_slice(body);
        };
        section(CONFIG, self.config.to_json().as_bytes());
        section(MODEL, model);
        section(OPTIM, optim);
        let mut w = W::default();
        if let Some(n) = &self.norm {
            w.f64s(&n.mean);
            w.f64s(&n.var);
            w.f64(n.count);
            w.f64(n.clip as f64);
        }
        section(NORM, &w.0);
        let mut w = W::default();
        self.rng.state().iter().for_each(|&s| w.u64(s));
        section(RNG, &w.0);
        let mut w = W::default();
        w.u64(self.env_steps);
        w.u64(self.episodes);
        w.u64(self.updates);
        w.u64(self.solved_at.map_or(u64::MAX, |s| s));
        w.f64s(&self.recent.iter().copied().collect::<Vec<_>>());
        section(COUNTERS, &w.0);
        let b = &self.buf;
        let rows = b.len * b.n_envs;
        let mut w = W::default();
        w.u64(b.len as u64);
        w.f32s(&b.obs[..rows * b.obs_dim]);
        w.f32s(&b.actions[..rows * b.act_dim]);
        w.bools(&b.masks[..rows * b.mask_dim]);
        w.f32s(&b.log_probs[..rows]);
        w.f32s(&b.values[..rows]);
        w.f32s(&b.rewards[..rows]);
        w.bools(&b.dones[..rows]);
        w.f32s(&b.bootstrap[..rows]);
        section(ROLLOUT, &w.0);
        // How the rollout's episodes ended, for a learned potential's terms (`h(terminal) =
        // 0`, a truncated episode's last state).
        let mut w = W::default();
        w.bools(&b.terminated[..rows]);
        w.u64(b.truncated_rows.len() as u64);
        b.truncated_rows.iter().for_each(|&r| w.u64(r as u64));
        w.f32s(&b.truncated_obs);
        section(ROLLOUT_ENDS, &w.0);
        let mut w = W::default();
        for (i, actions) in self.episode_actions.iter().enumerate() {
            w.u64(self.env.episode_index(i));
            w.f32s(actions);
        }
        section(EPISODES, &w.0);
        if let Some(fb) = &self.feedback {
            let mut w = W::default();
            let state = fb.state();
            w.f64(state.lambda);
            w.f64s(&state.phi);
            w.f64s(&state.ai_return);
            w.u64(state.agree.0);
            w.u64(state.agree.1);
            w.f32s(&b.env_rewards[..rows]);
            w.f32s(&b.teacher_scores[..rows]);
            w.f32s(&b.advice[..rows * b.advice_dim]);
            section(FEEDBACK, &w.0);
            let preference = fb
                .preference_state()
                .map_err(|e| CheckpointError::Unsupported(e.to_string()))?;
            if let Some(state) = preference {
                section(PREFERENCE, &write_preference(&state));
                if let Some(labels) = &state.labels {
                    section(LABELS, &json(labels)?);
                }
            }
            // Between rollouts the records still describe the last one, which is spent: the
            // next rollout's first step records afresh.
            if let Some(episodes) = fb.rollout_episodes().filter(|_| rows > 0) {
                section(ROLLOUT_EPISODES, &json(episodes)?);
            }
            let mut w = W::default();
            w.f64s(&self.recent_ai.iter().copied().collect::<Vec<_>>());
            w.u64(self.pending_episodes.len() as u64);
            for e in &self.pending_episodes {
                w.u64(e.env_steps);
                w.u64(e.episode);
                w.u64(e.env_index as u64);
                w.f64(e.episode_return);
                w.u64(u64::from(e.length));
            }
            section(FEEDBACK_EPISODES, &w.0);
        }
        let sum = fnv1a(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        Ok(out)
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
        config_of(&parse(bytes)?)
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
        let sections = parse(bytes)?;
        let get = |tag: u32, what: &'static str| -> Result<R<'_>, CheckpointError> {
            sections
                .iter()
                .find(|(t, _)| *t == tag)
                .map(|(_, b)| R { b, what })
                .ok_or_else(|| CheckpointError::Corrupt(format!("missing {what}")))
        };
        let config = config_of(&sections)?;
        if let Some(env) = expected_env
            && env != config.env_id
        {
            return Err(CheckpointError::Mismatch(format!(
                "the checkpoint is a run of {}, not {env}",
                config.env_id
            ))
            .into());
        }
        let mut t = Trainer::with_demonstrations(config, device, demos)?;

        let record =
            ModuleRecord::from_bytes(Bytes::from_bytes_vec(get(MODEL, "weights")?.b.to_vec()))
                .map_err(|e| CheckpointError::Corrupt(format!("weights: {e}")))?;
        t.ppo.model = t
            .ppo
            .model
            .clone()
            .try_load_record(record)
            .map_err(|e| CheckpointError::Mismatch(format!("weights: {e}")))?;
        // An empty optimizer section is a snapshot's: Adam starts afresh.
        let optim_bytes = get(OPTIM, "optimizer")?.b;
        if !optim_bytes.is_empty() {
            check_optimizer_tensors(optim_bytes)?;
            let optim = std::mem::replace(&mut t.ppo.optim, burn::optim::AdamConfig::new().init());
            t.ppo.optim = optim
                .from_bytes(Bytes::from_bytes_vec(optim_bytes.to_vec()))
                .map_err(|e| CheckpointError::Corrupt(format!("optimizer: {e}")))?;
        }
        t.refresh_policy();

        let mut r = get(NORM, "normaliser")?;
        if let Some(norm) = &mut t.norm {
            let mean = r.f64s()?;
            let var = r.f64s()?;
            let count = r.f64()?;
            let clip = r.f64()? as f32;
            if mean.len() != norm.dim() || var.len() != norm.dim() {
                return Err(invalid(format!(
                    "normaliser: {} means and {} variances for observations of {} values",
                    mean.len(),
                    var.len(),
                    norm.dim()
                )));
            }
            // `normalize` clamps to `[-clip, clip]`, which panics unless `clip >= 0`.
            if !(count.is_finite() && count > 0.0) {
                return Err(invalid(format!(
                    "normaliser: count {count} is not a positive number"
                )));
            }
            if !(clip.is_finite() && clip > 0.0) {
                return Err(invalid(format!(
                    "normaliser: clip {clip} is not a positive number"
                )));
            }
            if let Some(d) = (0..norm.dim())
                .find(|&d| !(mean[d].is_finite() && var[d].is_finite() && var[d] >= 0.0))
            {
                return Err(invalid(format!(
                    "normaliser: dimension {d} has mean {} and variance {}",
                    mean[d], var[d]
                )));
            }
            *norm = RunningNorm {
                mean,
                var,
                count,
                clip,
            };
        }
        let mut r = get(RNG, "rng")?;
        let state = [r.u64()?, r.u64()?, r.u64()?, r.u64()?];
        t.rng = AgentRng::from_state(state).ok_or_else(|| corrupt("rng state"))?;
        let mut r = get(COUNTERS, "counters")?;
        t.env_steps = r.u64()?;
        t.episodes = r.u64()?;
        t.updates = r.u64()?;
        t.solved_at = Some(r.u64()?).filter(|&s| s != u64::MAX);
        t.recent = r.f64s()?.into();
        // Counters near `u64::MAX` would overflow as the run goes on.
        let most_steps = MAX_TOTAL_STEPS + t.config.n_envs as u64;
        if t.env_steps > most_steps {
            return Err(invalid(format!(
                "counters: env_steps {} is more than the {most_steps} a run can reach",
                t.env_steps
            )));
        }
        for (name, n) in [("episodes", t.episodes), ("updates", t.updates)]
            .into_iter()
            .chain(t.solved_at.map(|s| ("solved_at", s)))
        {
            if n > t.env_steps {
                return Err(invalid(format!(
                    "counters: {name} {n} is more than env_steps {}",
                    t.env_steps
                )));
            }
        }
        if t.recent.len() > MEAN_WINDOW {
            return Err(invalid(format!(
                "counters: {} recent returns, the run keeps at most {MEAN_WINDOW}",
                t.recent.len()
            )));
        }

        let mut r = get(ROLLOUT, "rollout")?;
        let b = &mut t.buf;
        let len = r.usize("length")?;
        // A full rollout is kept while the run waits for a person's first labels.
        if len > b.n_steps {
            return Err(invalid(format!(
                "rollout: length {len} is more than ppo.n_steps {}",
                b.n_steps
            )));
        }
        let rows = len * b.n_envs;
        let fill_f = |dst: &mut [f32], src: Vec<f32>| -> Result<(), CheckpointError> {
            if src.len() != dst.len() {
                return Err(corrupt("rollout size"));
            }
            dst.copy_from_slice(&src);
            Ok(())
        };
        fill_f(&mut b.obs[..rows * b.obs_dim], r.f32s()?)?;
        fill_f(&mut b.actions[..rows * b.act_dim], r.f32s()?)?;
        let masks = r.bools()?;
        if masks.len() != rows * b.mask_dim {
            return Err(corrupt("rollout masks").into());
        }
        b.masks[..rows * b.mask_dim].copy_from_slice(&masks);
        fill_f(&mut b.log_probs[..rows], r.f32s()?)?;
        fill_f(&mut b.values[..rows], r.f32s()?)?;
        fill_f(&mut b.rewards[..rows], r.f32s()?)?;
        let dones = r.bools()?;
        if dones.len() != rows {
            return Err(corrupt("rollout dones").into());
        }
        b.dones[..rows].copy_from_slice(&dones);
        fill_f(&mut b.bootstrap[..rows], r.f32s()?)?;
        b.len = len;
        // Written since learned potentials were checkpointed; only they read it.
        if let Ok(mut r) = get(ROLLOUT_ENDS, "rollout ends") {
            let terminated = r.bools()?;
            if terminated.len() != rows {
                return Err(corrupt("rollout ends").into());
            }
            b.terminated[..rows].copy_from_slice(&terminated);
            let n = r.len(8)?;
            let truncated_rows = (0..n)
                .map(|_| r.usize("truncated row"))
                .collect::<Result<Vec<_>, _>>()?;
            let truncated_obs = r.f32s()?;
            // Rows are written in the order they end, which the potential model's lookup
            // relies on.
            if truncated_rows
                .iter()
                .any(|&row| row >= rows || !b.dones[row])
                || !truncated_rows.is_sorted_by(|a, b| a < b)
                || Some(truncated_obs.len()) != n.checked_mul(b.obs_dim)
            {
                return Err(invalid(format!(
                    "rollout ends: {n} truncated rows with {} final observation values do not \
                     fit a rollout of {rows} rows",
                    truncated_obs.len()
                )));
            }
            b.truncated_rows = truncated_rows;
            b.truncated_obs = truncated_obs;
        }

        let mut r = get(EPISODES, "episodes")?;
        let mut episodes = Vec::with_capacity(t.config.n_envs);
        for i in 0..t.config.n_envs {
            let episode = r.u64()?;
            // An env's episodes are among the run's; a larger index would overflow as the
            // env counts on.
            if episode > t.episodes {
                return Err(invalid(format!(
                    "episodes: env {i} is in episode {episode}, the run has had {}",
                    t.episodes
                )));
            }
            episodes.push(episode);
            t.episode_actions[i] = r.f32s()?;
        }
        t.restore_envs(&episodes)?;

        if let Some(fb) = &mut t.feedback {
            let mut r = get(FEEDBACK, "feedback")?;
            let lambda = r.f64()?;
            let phi = r.f64s()?;
            let ai_return = r.f64s()?;
            let agree = (r.u64()?, r.u64()?);
            let n = t.config.n_envs;
            if phi.len() != n || ai_return.len() != n {
                return Err(corrupt("feedback state size").into());
            }
            if !(0.0..=1.0).contains(&lambda) {
                return Err(invalid(format!(
                    "feedback: lambda {lambda} is outside [0, 1]"
                )));
            }
            if phi.iter().chain(&ai_return).any(|x| !x.is_finite()) {
                return Err(invalid(
                    "feedback: a teacher potential or AI return is not finite".into(),
                ));
            }
            // Counted per step of the rollout, and reset with it.
            let batch = t.config.batch_size() as u64;
            if agree.0 > agree.1 || agree.1 > batch {
                return Err(invalid(format!(
                    "feedback: agreement {} of {} does not fit a rollout of {batch} steps",
                    agree.0, agree.1
                )));
            }
            fb.set_state(super::feedback_run::FeedbackState {
                lambda,
                phi,
                ai_return,
                agree,
            });
            let b = &mut t.buf;
            fill_f(&mut b.env_rewards[..rows], r.f32s()?)?;
            fill_f(&mut b.teacher_scores[..rows], r.f32s()?)?;
            fill_f(&mut b.advice[..rows * b.advice_dim], r.f32s()?)?;
            if fb.is_preference() {
                let mut state = read_preference(get(PREFERENCE, "preference state")?)?;
                if let Ok(r) = get(LABELS, "labels") {
                    state.labels = Some(from_json(r.b, "labels")?);
                }
                if let Ok(r) = get(ROLLOUT_EPISODES, "rollout episodes") {
                    let episodes = from_json(r.b, "rollout episodes")?;
                    fb.set_rollout_episodes(episodes, n, rows)
                        .map_err(|e| CheckpointError::Mismatch(e.to_string()))?;
                }
                fb.restore_preference(state)
                    .map_err(|e| CheckpointError::Mismatch(e.to_string()))?;
            }
            // Written since AI returns were kept across a resume; older files start empty.
            if let Ok(mut r) = get(FEEDBACK_EPISODES, "feedback episodes") {
                t.recent_ai = r.f64s()?.into();
                if t.recent_ai.len() > MEAN_WINDOW {
                    return Err(invalid(format!(
                        "feedback episodes: {} recent AI returns, the run keeps at most \
                         {MEAN_WINDOW}",
                        t.recent_ai.len()
                    )));
                }
                let n = r.len(5 * 8)?;
                // They wait for the rollout's AI returns, one per episode that ended in it
                // (none once the run is finished): the update pairs them up.
                let ended = t.buf.dones[..rows].iter().filter(|&&d| d).count();
                let deferred = fb.defers_ai_return();
                if n != 0 && !(deferred && n == ended) {
                    return Err(invalid(format!(
                        "feedback episodes: {n} episodes wait for their AI return, the \
                         rollout ended {ended}"
                    )));
                }
                for _ in 0..n {
                    let episode = EpisodeMetrics {
                        env_steps: r.u64()?,
                        episode: r.u64()?,
                        env_index: r.usize("env index")?,
                        episode_return: r.f64()?,
                        length: u32::try_from(r.u64()?)
                            .map_err(|_| corrupt("feedback episode length"))?,
                        ai_return: None,
                    };
                    if episode.env_index >= t.config.n_envs {
                        return Err(corrupt("feedback episode env").into());
                    }
                    t.pending_episodes.push(episode);
                }
            }
        }
        Ok(t)
    }
}

/// The config section of a parsed checkpoint.
fn config_of(sections: &[(u32, &[u8])]) -> Result<ExperimentConfig, CheckpointError> {
    let (_, body) = sections
        .iter()
        .find(|(t, _)| *t == CONFIG)
        .ok_or_else(|| corrupt("missing config"))?;
    let text = std::str::from_utf8(body).map_err(|_| corrupt("config is not UTF-8"))?;
    // `from_json` also validates every field's range.
    ExperimentConfig::from_json(text).map_err(|e| {
        // A value JSON cannot parse (`NaN`) is named by the line it is on.
        let near = serde_json::from_str::<ExperimentConfig>(text)
            .err()
            .and_then(|j| text.lines().nth(j.line().checked_sub(1)?))
            .map(|line| {
                let line: String = line.trim().chars().take(80).collect();
                format!(", near `{line}`")
            })
            .unwrap_or_default();
        CheckpointError::Corrupt(format!("{e}{near}"))
    })
}

/// Checks magic, version and checksum, and splits the sections.
fn parse(bytes: &[u8]) -> Result<Vec<(u32, &[u8])>, CheckpointError> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(CheckpointError::BadMagic);
    }
    if bytes.len() < MAGIC.len() + 4 + 8 {
        return Err(corrupt("too short"));
    }
    let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if version != VERSION {
        return Err(CheckpointError::Version(version));
    }
    let (body, sum) = bytes.split_at(bytes.len() - 8);
    let sum = u64::from_le_bytes(sum.try_into().map_err(|_| corrupt("checksum"))?);
    if fnv1a(body) != sum {
        return Err(corrupt("checksum mismatch"));
    }
    let mut rest = &body[12..];
    let mut sections = Vec::new();
    while !rest.is_empty() {
        if rest.len() < 12 {
            return Err(corrupt("section header"));
        }
        let tag = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let len = u64::from_le_bytes(rest[4..12].try_into().map_err(|_| corrupt("section"))?);
        let left = rest.len() - 12;
        let len = usize::try_from(len)
            .ok()
            .filter(|&n| n <= left)
            .ok_or_else(|| {
                CheckpointError::Corrupt(format!(
                    "section {tag}: length {len} is more than the {left} bytes left"
                ))
            })?;
        sections.push((tag, &rest[12..12 + len]));
        rest = &rest[12 + len..];
    }
    Ok(sections)
}

/// burn's optimizer loader panics on a state tensor that names no parameter, which a corrupt or
/// hand-edited file can hold: such a record is refused here, before burn reads it.
fn check_optimizer_tensors(bytes: &[u8]) -> Result<(), CheckpointError> {
    let corrupt = |m: String| CheckpointError::Corrupt(format!("optimizer: {m}"));
    let tensors = burn_pack::Reader::from_bytes(burn_pack::Bytes::from_bytes_vec(bytes.to_vec()))
        .and_then(burn_pack::Reader::into_tensors)
        .map_err(|e| corrupt(e.to_string()))?;
    match tensors.iter().find(|t| t.param_id.is_none()) {
        Some(t) => Err(corrupt(format!(
            "state tensor {:?} names no parameter",
            t.name
        ))),
        None => Ok(()),
    }
}
