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
//! This module only encodes and decodes: [`decode`] gives a [`RunState`], which is validated
//! against its run before [`super::Trainer::from_state`] builds the run from it. On the CPU a
//! resumed run continues exactly as the uninterrupted one would.
//!
//! [`super::Trainer::snapshot_async`] writes the same format from any device, reading the weights
//! back asynchronously, but with an empty optimizer section: a run resumed from it starts
//! Adam afresh. It is how a run leaves a GPU that is failing.

use super::config::ExperimentConfig;
use super::metrics::EpisodeMetrics;
use super::run_state::{
    Counters, EnvEpisode, FeedbackEpisodes, FeedbackSection, RolloutEnds, RolloutState, RunState,
};
use crate::agent::normalize::RunningNorm;
use crate::feedback::PreferenceState;
use crate::feedback::reward_model::{LabelledPair, RewardModelState};
use crate::input::MAX_CHECKPOINT_BYTES;

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
    /// An `f32` stored as an `f64` (a value out of `f32`'s range becomes infinite, which
    /// validation refuses).
    fn f32_from_f64(&mut self) -> Result<f32, CheckpointError> {
        Ok(self.f64()? as f32)
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
        clip: r.f32_from_f64()?,
    };
    let potential_scale = r.f32_from_f64()?;
    // Each pair takes at least its four length fields and its target.
    let n = r.len(5 * 8)?;
    let mut pairs = Vec::with_capacity(n);
    for _ in 0..n {
        let len = r.usize("pair length")?;
        let a = r.f32s()?;
        let b = r.f32s()?;
        let target = r.f32_from_f64()?;
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

/// The checkpoint of `state` (see the module docs).
pub(crate) fn encode(state: &RunState) -> Result<Vec<u8>, CheckpointError> {
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    let mut section = |tag: u32, body: &[u8]| {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
        out.extend_from_slice(body);
    };
    section(CONFIG, state.config.to_json().as_bytes());
    section(MODEL, &state.weights);
    section(OPTIM, &state.optimizer);
    let mut w = W::default();
    if let Some(n) = &state.norm {
        w.f64s(&n.mean);
        w.f64s(&n.var);
        w.f64(n.count);
        w.f64(f64::from(n.clip));
    }
    section(NORM, &w.0);
    let mut w = W::default();
    w.rng(state.rng);
    section(RNG, &w.0);
    let c = &state.counters;
    let mut w = W::default();
    w.u64(c.env_steps);
    w.u64(c.episodes);
    w.u64(c.updates);
    w.u64(c.solved_at.unwrap_or(u64::MAX));
    w.f64s(&c.recent);
    section(COUNTERS, &w.0);
    let r = &state.rollout;
    let mut w = W::default();
    w.u64(r.len as u64);
    w.f32s(&r.obs);
    w.f32s(&r.actions);
    w.bools(&r.masks);
    w.f32s(&r.log_probs);
    w.f32s(&r.values);
    w.f32s(&r.rewards);
    w.bools(&r.dones);
    w.f32s(&r.bootstrap);
    section(ROLLOUT, &w.0);
    // How the rollout's episodes ended, for a learned potential's terms (`h(terminal) = 0`,
    // a truncated episode's last state).
    if let Some(ends) = &r.ends {
        let mut w = W::default();
        w.bools(&ends.terminated);
        w.u64(ends.truncated_rows.len() as u64);
        ends.truncated_rows.iter().for_each(|&r| w.u64(r as u64));
        w.f32s(&ends.truncated_obs);
        section(ROLLOUT_ENDS, &w.0);
    }
    let mut w = W::default();
    for e in &state.episodes {
        w.u64(e.index);
        w.f32s(&e.actions);
    }
    section(EPISODES, &w.0);
    if let Some(fb) = &state.feedback {
        let mut w = W::default();
        w.f64(fb.lambda);
        w.f64s(&fb.phi);
        w.f64s(&fb.ai_return);
        w.u64(fb.agree.0);
        w.u64(fb.agree.1);
        w.f32s(&fb.env_rewards);
        w.f32s(&fb.teacher_scores);
        w.f32s(&fb.advice);
        section(FEEDBACK, &w.0);
        if let Some(preference) = &fb.preference {
            section(PREFERENCE, &write_preference(preference));
            if let Some(labels) = &preference.labels {
                section(LABELS, &json(labels)?);
            }
        }
        if let Some(episodes) = &fb.rollout_episodes {
            section(ROLLOUT_EPISODES, &json(episodes)?);
        }
        if let Some(e) = &fb.episodes {
            let mut w = W::default();
            w.f64s(&e.recent_ai);
            w.u64(e.pending.len() as u64);
            for p in &e.pending {
                w.u64(p.env_steps);
                w.u64(p.episode);
                w.u64(p.env_index as u64);
                w.f64(p.episode_return);
                w.u64(u64::from(p.length));
            }
            section(FEEDBACK_EPISODES, &w.0);
        }
    }
    let sum = fnv1a(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    // What is written can be read back.
    if out.len() as u64 > MAX_CHECKPOINT_BYTES {
        return Err(CheckpointError::Unsupported(format!(
            "the checkpoint would be {} MiB, over the {} MiB a checkpoint may be",
            out.len() >> 20,
            MAX_CHECKPOINT_BYTES >> 20
        )));
    }
    Ok(out)
}

/// Decodes checkpoint `bytes` into a [`RunState`]: the layout, every length and the config's
/// ranges are checked here; the values against the run's shape by [`RunState::validate`].
pub(crate) fn decode(bytes: &[u8]) -> Result<RunState, CheckpointError> {
    let sections = parse(bytes)?;
    let find = |tag: u32, what: &'static str| -> Option<R<'_>> {
        sections
            .iter()
            .find(|(t, _)| *t == tag)
            .map(|(_, b)| R { b, what })
    };
    let get = |tag: u32, what: &'static str| -> Result<R<'_>, CheckpointError> {
        find(tag, what).ok_or_else(|| CheckpointError::Corrupt(format!("missing {what}")))
    };
    let config = config_of(&sections)?;
    let weights = get(MODEL, "weights")?.b.to_vec();
    let optimizer = get(OPTIM, "optimizer")?.b.to_vec();
    if !optimizer.is_empty() {
        check_optimizer_tensors(&optimizer)?;
    }

    let mut r = get(NORM, "normaliser")?;
    let norm = if r.b.is_empty() {
        None
    } else {
        Some(RunningNorm {
            mean: r.f64s()?,
            var: r.f64s()?,
            count: r.f64()?,
            clip: r.f32_from_f64()?,
        })
    };
    let rng = get(RNG, "rng")?.rng()?;
    let mut r = get(COUNTERS, "counters")?;
    let counters = Counters {
        env_steps: r.u64()?,
        episodes: r.u64()?,
        updates: r.u64()?,
        solved_at: Some(r.u64()?).filter(|&s| s != u64::MAX),
        recent: r.f64s()?,
    };

    let mut r = get(ROLLOUT, "rollout")?;
    let mut rollout = RolloutState {
        len: r.usize("length")?,
        obs: r.f32s()?,
        actions: r.f32s()?,
        masks: r.bools()?,
        log_probs: r.f32s()?,
        values: r.f32s()?,
        rewards: r.f32s()?,
        dones: r.bools()?,
        bootstrap: r.f32s()?,
        ends: None,
    };
    // Written since learned potentials were checkpointed.
    if let Some(mut r) = find(ROLLOUT_ENDS, "rollout ends") {
        let terminated = r.bools()?;
        let n = r.len(8)?;
        let truncated_rows = (0..n)
            .map(|_| r.usize("truncated row"))
            .collect::<Result<Vec<_>, _>>()?;
        rollout.ends = Some(RolloutEnds {
            terminated,
            truncated_rows,
            truncated_obs: r.f32s()?,
        });
    }

    let mut r = get(EPISODES, "episodes")?;
    let episodes = (0..config.n_envs)
        .map(|_| {
            Ok(EnvEpisode {
                index: r.u64()?,
                actions: r.f32s()?,
            })
        })
        .collect::<Result<Vec<_>, CheckpointError>>()?;

    let feedback = match find(FEEDBACK, "feedback") {
        None => None,
        Some(mut r) => {
            let mut fb = FeedbackSection {
                lambda: r.f64()?,
                phi: r.f64s()?,
                ai_return: r.f64s()?,
                agree: (r.u64()?, r.u64()?),
                env_rewards: r.f32s()?,
                teacher_scores: r.f32s()?,
                advice: r.f32s()?,
                preference: None,
                rollout_episodes: None,
                episodes: None,
            };
            if let Some(r) = find(PREFERENCE, "preference state") {
                let mut state = read_preference(r)?;
                if let Some(r) = find(LABELS, "labels") {
                    state.labels = Some(from_json(r.b, "labels")?);
                }
                fb.preference = Some(state);
            }
            if let Some(r) = find(ROLLOUT_EPISODES, "rollout episodes") {
                fb.rollout_episodes = Some(from_json(r.b, "rollout episodes")?);
            }
            // Written since AI returns were kept across a resume; older files start empty.
            if let Some(mut r) = find(FEEDBACK_EPISODES, "feedback episodes") {
                let recent_ai = r.f64s()?;
                let n = r.len(5 * 8)?;
                let pending = (0..n)
                    .map(|_| {
                        Ok(EpisodeMetrics {
                            env_steps: r.u64()?,
                            episode: r.u64()?,
                            env_index: r.usize("env index")?,
                            episode_return: r.f64()?,
                            length: u32::try_from(r.u64()?)
                                .map_err(|_| corrupt("feedback episode length"))?,
                            ai_return: None,
                        })
                    })
                    .collect::<Result<Vec<_>, CheckpointError>>()?;
                fb.episodes = Some(FeedbackEpisodes { recent_ai, pending });
            }
            Some(fb)
        }
    };
    Ok(RunState {
        config,
        weights,
        optimizer,
        norm,
        rng,
        counters,
        rollout,
        episodes,
        feedback,
    })
}

/// The run's config, read from checkpoint `bytes` (checked whole first).
pub fn config(bytes: &[u8]) -> Result<ExperimentConfig, CheckpointError> {
    config_of(&parse(bytes)?)
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
    if bytes.len() as u64 > MAX_CHECKPOINT_BYTES {
        return Err(CheckpointError::Corrupt(format!(
            "{} bytes, more than the {MAX_CHECKPOINT_BYTES} a checkpoint may be",
            bytes.len()
        )));
    }
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
