//! The reward model `r_hat(s, a)` of the preference mode, learned from labelled segment pairs
//! with the Bradley-Terry loss (Christiano et al. 2017):
//! `P(a > b) = sigmoid(sum r_hat(a) - sum r_hat(b))`, cross-entropy against the label.
//!
//! With a [`Head::Potential`] the network is a potential `h(s)` instead, and a segment's
//! predicted return is `h(s_end) - h(s_start)` (the undiscounted sum of `h(s') - h(s)` over its
//! steps), with `h(terminal) = 0`: the form of a labeler that sums progress scores.
//!
//! It always lives on the CPU backend: it is small, its training is a handful of minibatches
//! per PPO update, and being synchronous it runs unchanged inside the browser's GPU worker.

use crate::agent::nets::{Mlp, MlpConfig};
use crate::agent::ppo::block_on;
use crate::agent::rng::mix_seed;
use crate::agent::{ActionSpec, AgentRng};
use crate::backend::DEFAULT_CPU;
use crate::feedback::config::RewardSign;
use burn::config::Config;
use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::store::ModuleRecord;
use burn::tensor::activation::{log_sigmoid, sigmoid};
use burn::tensor::{Bytes, Device, Tensor, TensorData};

/// Labelled pairs per gradient step.
pub const MINIBATCH_PAIRS: usize = 64;

/// Floats per row of reward-model input: the observation, then the action (one-hot for a
/// discrete action, the raw values for a continuous one).
pub fn feature_dim(obs_dim: usize, action: ActionSpec) -> usize {
    obs_dim + action.network_outputs()
}

/// Appends one row of features: `obs`, then the encoding of `stored`, the action as the
/// rollout buffer keeps it (the index as a float for a discrete action). An index outside
/// `0..n` encodes as all zeros.
pub fn push_features(obs: &[f32], stored: &[f32], action: ActionSpec, out: &mut Vec<f32>) {
    out.extend_from_slice(obs);
    match action {
        ActionSpec::Discrete { n, .. } => {
            let start = out.len();
            out.resize(start + n, 0.0);
            if let Some(&a) = stored.first()
                && a >= 0.0
                && (a as usize) < n
            {
                out[start + a as usize] = 1.0;
            }
        }
        ActionSpec::Continuous { .. } => out.extend_from_slice(stored),
    }
}

/// What the network's output means.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Head {
    /// `r_hat(s, a)` per row; a segment's return is the sum over its rows.
    #[default]
    Step,
    /// `h(s) = sign(net(s))` per row (see [`RewardSign::apply`]: `negative` keeps `h <= 0`,
    /// `positive` keeps `h >= 0`); a segment is two rows, its first state and the state after
    /// its last step, and its return is `h(end) - h(start)`, `h(end) = 0` when terminal.
    Potential(RewardSign),
}

/// `sign.apply` on every element of `x`.
fn apply_sign<const D: usize>(sign: RewardSign, x: Tensor<D>) -> Tensor<D> {
    match sign {
        RewardSign::Centered => x,
        RewardSign::Negative => log_sigmoid(x),
        RewardSign::Positive => log_sigmoid(x.neg()).neg(),
    }
}

/// The reward model's shape.
#[derive(Config, Debug)]
pub struct RewardModelConfig {
    /// Features per row (see [`feature_dim`]).
    pub d_input: usize,
    #[config(default = 64)]
    pub hidden: usize,
    /// Independently initialised members; the reward is their mean.
    #[config(default = 1)]
    pub ensemble: usize,
}

impl RewardModelConfig {
    /// Each member is a two-hidden-layer tanh MLP with its own seed.
    pub fn init(&self, seed: u64, device: &Device) -> RewardModel {
        let members = (0..self.ensemble.max(1))
            .map(|k| {
                MlpConfig::new(self.d_input, self.hidden, 1)
                    .with_n_hidden(2)
                    .with_output_gain(1.0)
                    .init(mix_seed(seed, 100 + k as u64), device)
            })
            .collect();
        RewardModel { members }
    }
}

/// An ensemble of per-step reward MLPs.
#[derive(Module, Debug)]
pub struct RewardModel {
    pub members: Vec<Mlp>,
}

impl RewardModel {
    /// `x`: `[batch, d_input]` -> one `[batch]` reward per member.
    pub fn forward_members(&self, x: Tensor<2>) -> Vec<Tensor<1>> {
        self.members
            .iter()
            .map(|m| m.forward(x.clone()).squeeze_dim::<1>(1))
            .collect()
    }

    /// `x`: `[batch, d_input]` -> `[batch]`, the members' mean reward.
    pub fn forward(&self, x: Tensor<2>) -> Tensor<1> {
        let k = self.members.len() as f64;
        let (device, batch) = (x.device(), x.dims()[0]);
        self.forward_members(x)
            .into_iter()
            .reduce(|a, b| a + b)
            .map(|s| s.div_scalar(k))
            .unwrap_or_else(|| Tensor::zeros([batch], &device))
    }
}

/// Bradley-Terry cross-entropy, averaged over pairs. `sum_a`, `sum_b`: `[pairs]` summed
/// rewards of each pair's segments; `target`: `[pairs]`, `P(a > b)` as labelled (1, 0 or
/// 0.5) -> `[1]`. Written with `log_sigmoid` so large margins stay finite.
pub fn bradley_terry_loss(sum_a: Tensor<1>, sum_b: Tensor<1>, target: Tensor<1>) -> Tensor<1> {
    robust_bradley_terry_loss(sum_a, sum_b, target, 0.0)
}

/// [`bradley_terry_loss`] for labels of which a share `eps` in `[0, 0.5)` is assumed
/// flipped: `P(a > b) = eps + (1 - 2 eps) * sigmoid(margin)`. Each pair's loss is then at
/// most `-ln eps`, so a wrong label stops pulling once the model is confident. `eps = 0` is
/// the plain loss.
pub fn robust_bradley_terry_loss(
    sum_a: Tensor<1>,
    sum_b: Tensor<1>,
    target: Tensor<1>,
    eps: f64,
) -> Tensor<1> {
    let margin = sum_a - sum_b;
    let (log_p_a, log_p_b) = if eps > 0.0 {
        let p = |m: Tensor<1>| sigmoid(m).mul_scalar(1.0 - 2.0 * eps).add_scalar(eps).log();
        (p(margin.clone()), p(margin.neg()))
    } else {
        (log_sigmoid(margin.clone()), log_sigmoid(margin.neg()))
    };
    let not_target = target.clone().neg().add_scalar(1.0);
    (target * log_p_a + not_target * log_p_b).mean().neg()
}

/// A labelled pair of equally long segments, as reward-model features.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LabelledPair {
    /// Rows per segment: its steps ([`Head::Step`]) or 2 ([`Head::Potential`]).
    pub len: usize,
    /// `[len, d_input]`, row-major.
    pub a: Vec<f32>,
    /// `[len, d_input]`, row-major.
    pub b: Vec<f32>,
    /// `P(a > b)`: 1, 0 or 0.5.
    pub target: f32,
    /// Potential head: segment a's (b's) last step reached a terminal state, so its end
    /// counts `h = 0` whatever its row holds. Ignored by the step head.
    pub terminal: [bool; 2],
}

/// Reward-model training stopped because its loss became NaN or infinite.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error(
    "non-finite reward-model loss ({loss}) after {labels} labels; training stopped: lower the \
     reward model's learning rate or check the observations"
)]
pub struct NonFiniteRewardLoss {
    pub loss: f32,
    pub labels: usize,
}

/// What a checkpoint keeps of a [`RewardModelTrainer`].
#[derive(Clone, Debug, PartialEq)]
pub struct RewardModelState {
    /// The members' weights, a burn module record.
    pub weights: Vec<u8>,
    /// Adam's state, a burn optimizer record.
    pub optim: Vec<u8>,
    /// The smoothness penalty's transitions (potential head).
    pub transitions: Vec<f32>,
    pub rng: [u64; 4],
}

/// The reward model with its optimizer, on the CPU backend.
pub struct RewardModelTrainer {
    d_input: usize,
    head: Head,
    learning_rate: f64,
    /// Assumed share of flipped labels (see [`robust_bradley_terry_loss`]).
    label_noise: f64,
    /// Potential head: weight of the smoothness penalty on `transitions`.
    smoothness: f64,
    /// Potential head: unlabelled transitions `(s, s')`, `[n, 2 * d_input]` row-major, on
    /// which training penalises `(h(s') - h(s))^2` (see [`RewardModelTrainer::add_transitions`]).
    /// Oldest first.
    transitions: Vec<f32>,
    /// Parameters, on the autodiff device.
    model: RewardModel,
    optim: ModuleOptimizer,
    device: Device,
    /// Inference snapshot, refreshed after training.
    snapshot: RewardModel,
    /// Minibatch order of each member (members see different orders, which keeps an
    /// ensemble diverse).
    rng: AgentRng,
}

impl RewardModelTrainer {
    pub fn new(config: &RewardModelConfig, learning_rate: f64, seed: u64) -> Self {
        let device = DEFAULT_CPU.device().autodiff();
        let model = config.init(seed, &device);
        Self {
            d_input: config.d_input,
            head: Head::Step,
            learning_rate,
            label_noise: 0.0,
            smoothness: 0.0,
            transitions: Vec::new(),
            snapshot: model.valid(),
            model,
            optim: AdamConfig::new().init(),
            device,
            rng: AgentRng::new(mix_seed(seed, 99)),
        }
    }

    /// The same trainer with `head` (a fresh model's output is read the new way).
    pub fn with_head(mut self, head: Head) -> Self {
        self.head = head;
        self
    }

    /// The same trainer assuming a share `eps` of flipped labels (see
    /// [`robust_bradley_terry_loss`]).
    pub fn with_label_noise(mut self, eps: f64) -> Self {
        self.label_noise = eps;
        self
    }

    /// The same trainer penalising `smoothness * mean (h(s') - h(s))^2` over a minibatch of
    /// the transitions given to [`RewardModelTrainer::add_transitions`] at every gradient
    /// step (potential head only; 0: no penalty). One step changes a shortest-path or
    /// progress potential by little, so this spreads what the labels teach along the
    /// trajectories the agent actually takes, without asking for more labels.
    pub fn with_smoothness(mut self, weight: f64) -> Self {
        self.smoothness = weight;
        self
    }

    /// Adds unlabelled transitions for the smoothness penalty: consecutive states `(s, s')`,
    /// each row `2 * d_input` floats. Only the `keep` latest rows are kept.
    pub fn add_transitions(&mut self, transitions: &[f32], keep: usize) {
        self.transitions.extend_from_slice(transitions);
        let kept = keep.saturating_mul(2 * self.d_input);
        if self.transitions.len() > kept {
            self.transitions.drain(..self.transitions.len() - kept);
        }
    }

    /// The smoothness penalty of `member` on a random minibatch of transitions, if any.
    fn smoothness_penalty(&mut self, k: usize) -> Option<Tensor<1>> {
        let Head::Potential(sign) = self.head else {
            return None;
        };
        let row = 2 * self.d_input;
        let n = self.transitions.len() / row.max(1);
        if self.smoothness <= 0.0 || n == 0 {
            return None;
        }
        let m = MINIBATCH_PAIRS.min(n);
        let mut x = Vec::with_capacity(m * row);
        for _ in 0..m {
            let i = self.rng.below(n);
            x.extend_from_slice(&self.transitions[i * row..(i + 1) * row]);
        }
        let x = Tensor::<2>::from_data(TensorData::new(x, [2 * m, self.d_input]), &self.device);
        let h = apply_sign(sign, self.model.members[k].forward(x)).reshape([m, 2]);
        let step = h.clone().narrow(1, 1, 1) - h.narrow(1, 0, 1);
        Some(step.powi_scalar(2).mean().mul_scalar(self.smoothness))
    }

    /// What a checkpoint keeps of the trainer: weights and Adam state (burn records), the
    /// smoothness transitions and the minibatch generator. The shape and knobs come from the
    /// run's config.
    pub fn state(&self) -> Result<RewardModelState, String> {
        let weights = self
            .model
            .clone()
            .into_record()
            .into_bytes()
            .map_err(|e| format!("reward-model weights: {e}"))?
            .to_vec();
        let optim = self
            .optim
            .into_bytes()
            .map_err(|e| format!("reward-model optimizer: {e}"))?
            .to_vec();
        Ok(RewardModelState {
            weights,
            optim,
            transitions: self.transitions.clone(),
            rng: self.rng.state(),
        })
    }

    /// Restores a [`RewardModelTrainer::state`] into a trainer of the same shape.
    pub fn restore(&mut self, state: RewardModelState) -> Result<(), String> {
        // Checked before the optimizer is taken apart, so a refused state changes nothing.
        if !state
            .transitions
            .len()
            .is_multiple_of(2 * self.d_input.max(1))
        {
            return Err("reward-model transitions do not fit its input size".into());
        }
        let rng = AgentRng::from_state(state.rng).ok_or("reward-model generator state")?;
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(state.weights))
            .map_err(|e| format!("reward-model weights: {e}"))?;
        let model = self
            .model
            .clone()
            .try_load_record(record)
            .map_err(|e| format!("reward-model weights: {e}"))?;
        let optim = std::mem::replace(&mut self.optim, AdamConfig::new().init())
            .from_bytes(Bytes::from_bytes_vec(state.optim))
            .map_err(|e| format!("reward-model optimizer: {e}"))?;
        self.rng = rng;
        self.snapshot = model.valid();
        self.model = model;
        self.optim = optim;
        self.transitions = state.transitions;
        Ok(())
    }

    pub fn d_input(&self) -> usize {
        self.d_input
    }

    pub fn head(&self) -> Head {
        self.head
    }

    /// `epochs` passes over `pairs` in minibatches of [`MINIBATCH_PAIRS`]; returns the mean
    /// loss (per member) of the last pass.
    pub fn train(
        &mut self,
        pairs: &[LabelledPair],
        epochs: usize,
    ) -> Result<f32, NonFiniteRewardLoss> {
        if pairs.is_empty() || epochs == 0 {
            return Ok(0.0);
        }
        let n_members = self.model.members.len();
        let n_mb = pairs.len().div_ceil(MINIBATCH_PAIRS);
        let mut perms: Vec<Vec<usize>> = vec![(0..pairs.len()).collect(); n_members];
        let mut all: Option<Tensor<1>> = None;
        let mut last: Option<Tensor<1>> = None;
        for epoch in 0..epochs {
            for perm in perms.iter_mut() {
                self.rng.shuffle(perm);
            }
            for m in 0..n_mb {
                let mut total: Option<Tensor<1>> = None;
                for (k, perm) in perms.iter().enumerate() {
                    let idx =
                        &perm[m * MINIBATCH_PAIRS..((m + 1) * MINIBATCH_PAIRS).min(perm.len())];
                    let batch = PairBatch::gather(pairs, idx, self.d_input, &self.device);
                    let member = &self.model.members[k];
                    let (sum_a, sum_b) = match self.head {
                        Head::Step => (
                            batch.segment_sums(member.forward(batch.a.clone())),
                            batch.segment_sums(member.forward(batch.b.clone())),
                        ),
                        Head::Potential(sign) => (
                            batch.potential_returns(
                                apply_sign(sign, member.forward(batch.a.clone())),
                                batch.alive_a.clone(),
                            ),
                            batch.potential_returns(
                                apply_sign(sign, member.forward(batch.b.clone())),
                                batch.alive_b.clone(),
                            ),
                        ),
                    };
                    let mut loss = robust_bradley_terry_loss(
                        sum_a,
                        sum_b,
                        batch.target.clone(),
                        self.label_noise,
                    );
                    if let Some(penalty) = self.smoothness_penalty(k) {
                        loss = loss + penalty;
                    }
                    total = Some(match total {
                        Some(t) => t + loss,
                        None => loss,
                    });
                }
                let Some(total) = total else { continue };
                let value = total.clone().detach().inner();
                all = Some(match all {
                    Some(a) => a + value.clone(),
                    None => value.clone(),
                });
                if epoch + 1 == epochs {
                    last = Some(match last {
                        Some(l) => l + value,
                        None => value,
                    });
                }
                let grads = GradientsParams::from_grads(total.backward(), &self.model);
                self.model = self
                    .optim
                    .step(self.learning_rate, self.model.clone(), grads);
            }
        }
        self.snapshot = self.model.valid();
        let read = |t: Option<Tensor<1>>| {
            t.and_then(|t| block_on(t.into_data_async()).ok())
                .and_then(|d| d.try_to_vec::<f32>().ok())
                .and_then(|v| v.first().copied())
                .unwrap_or(f32::NAN)
        };
        let all = read(all);
        let last = read(last) / (n_mb * n_members) as f32;
        if !(all.is_finite() && last.is_finite()) {
            return Err(NonFiniteRewardLoss {
                loss: if last.is_finite() { all } else { last },
                labels: pairs.len(),
            });
        }
        Ok(last)
    }

    /// The ensemble's mean output of every row of `features` (`[rows, d_input]`): the
    /// reward `r_hat` (step head) or the potential `h` (potential head).
    pub fn predict(&self, features: &[f32]) -> Vec<f32> {
        let Some((x, rows)) = self.input(features) else {
            return Vec::new();
        };
        let out = match self.head {
            Head::Step => self.snapshot.forward(x),
            Head::Potential(sign) => {
                let k = self.snapshot.members.len().max(1) as f64;
                self.snapshot
                    .forward_members(x)
                    .into_iter()
                    .map(|h| apply_sign(sign, h))
                    .reduce(|a, b| a + b)
                    .map(|s| s.div_scalar(k))
                    .unwrap_or_else(|| Tensor::zeros([rows], &self.device.clone().inner()))
            }
        };
        read_rows(out, rows)
    }

    /// Whole rows of `features` (`[rows, d_input]`) as an inference input, and their count;
    /// `None` when there is not one whole row.
    fn input(&self, features: &[f32]) -> Option<(Tensor<2>, usize)> {
        let rows = features.len() / self.d_input.max(1);
        (rows > 0).then(|| {
            let data = TensorData::new(
                features[..rows * self.d_input].to_vec(),
                [rows, self.d_input],
            );
            (
                Tensor::<2>::from_data(data, &self.device.clone().inner()),
                rows,
            )
        })
    }

    /// Each member's predicted return of consecutive segments of `len` rows each (see
    /// [`RewardModelTrainer::segment_returns`]): `[member][segment]`.
    pub fn member_segment_returns(
        &self,
        features: &[f32],
        len: usize,
        terminal: &[bool],
    ) -> Vec<Vec<f64>> {
        let Some((x, rows)) = self.input(features) else {
            return vec![Vec::new(); self.snapshot.members.len()];
        };
        self.snapshot
            .forward_members(x)
            .into_iter()
            .map(|out| {
                let out = match self.head {
                    Head::Step => out,
                    Head::Potential(sign) => apply_sign(sign, out),
                };
                self.returns_of(&read_rows(out, rows), len, terminal)
            })
            .collect()
    }

    /// Per-row outputs -> per-segment returns.
    fn returns_of(&self, out: &[f32], len: usize, terminal: &[bool]) -> Vec<f64> {
        out.chunks(len.max(1))
            .zip(terminal)
            .map(|(seg, &terminal)| match self.head {
                Head::Step => seg.iter().map(|&r| r as f64).sum(),
                Head::Potential(_) => {
                    let start = seg.first().copied().unwrap_or(0.0) as f64;
                    let end = if terminal {
                        0.0
                    } else {
                        seg.last().copied().unwrap_or(0.0) as f64
                    };
                    end - start
                }
            })
            .collect()
    }

    /// Predicted return of a segment given as `[len, d_input]` features: the sum of its
    /// rewards (step head), or `h(end) - h(start)` of its two rows, `h(end) = 0` when
    /// `terminal` (potential head).
    pub fn segment_return(&self, features: &[f32], terminal: bool) -> f64 {
        self.segment_returns(features, features.len() / self.d_input.max(1), &[terminal])[0]
    }

    /// [`RewardModelTrainer::segment_return`] of consecutive segments of `len` rows each,
    /// in one batch; `terminal[i]` belongs to segment `i`.
    pub fn segment_returns(&self, features: &[f32], len: usize, terminal: &[bool]) -> Vec<f64> {
        let out = self.predict(features);
        self.returns_of(&out, len, terminal)
    }
}

/// `out` (`[rows]`) read back to the host; NaN where it cannot be read, so that the caller's
/// finiteness check reports it.
fn read_rows(out: Tensor<1>, rows: usize) -> Vec<f32> {
    block_on(out.into_data_async())
        .ok()
        .and_then(|d| d.try_to_vec::<f32>().ok())
        .unwrap_or_else(|| vec![f32::NAN; rows])
}

/// A minibatch of pairs on the device, segments padded to the longest.
struct PairBatch {
    /// `[pairs * max_len, d_input]`.
    a: Tensor<2>,
    b: Tensor<2>,
    /// `[pairs, max_len]`: 1 on real steps, 0 on padding.
    mask: Tensor<2>,
    /// `[pairs]`: 0 where segment a (b) ended in a terminal state, 1 elsewhere.
    alive_a: Tensor<1>,
    alive_b: Tensor<1>,
    target: Tensor<1>,
    pairs: usize,
    max_len: usize,
}

impl PairBatch {
    fn gather(all: &[LabelledPair], idx: &[usize], d: usize, device: &Device) -> Self {
        let max_len = idx.iter().map(|&i| all[i].len).max().unwrap_or(0);
        let rows = idx.len() * max_len;
        let mut a = vec![0.0f32; rows * d];
        let mut b = vec![0.0f32; rows * d];
        let mut mask = vec![0.0f32; rows];
        let mut target = Vec::with_capacity(idx.len());
        let mut alive_a = Vec::with_capacity(idx.len());
        let mut alive_b = Vec::with_capacity(idx.len());
        for (p, &i) in idx.iter().enumerate() {
            let pair = &all[i];
            let n = pair.len * d;
            let at = p * max_len * d;
            a[at..at + n].copy_from_slice(&pair.a[..n]);
            b[at..at + n].copy_from_slice(&pair.b[..n]);
            mask[p * max_len..p * max_len + pair.len].fill(1.0);
            target.push(pair.target);
            alive_a.push(if pair.terminal[0] { 0.0 } else { 1.0 });
            alive_b.push(if pair.terminal[1] { 0.0 } else { 1.0 });
        }
        let pairs = idx.len();
        Self {
            a: Tensor::from_data(TensorData::new(a, [rows, d]), device),
            b: Tensor::from_data(TensorData::new(b, [rows, d]), device),
            mask: Tensor::from_data(TensorData::new(mask, [pairs, max_len]), device),
            alive_a: Tensor::from_data(TensorData::new(alive_a, [pairs]), device),
            alive_b: Tensor::from_data(TensorData::new(alive_b, [pairs]), device),
            target: Tensor::from_data(TensorData::new(target, [pairs]), device),
            pairs,
            max_len,
        }
    }

    /// Per-row rewards `[pairs * max_len, 1]` -> per-pair segment sums `[pairs]`.
    fn segment_sums(&self, rewards: Tensor<2>) -> Tensor<1> {
        (rewards.reshape([self.pairs, self.max_len]) * self.mask.clone())
            .sum_dim(1)
            .squeeze_dim::<1>(1)
    }

    /// Potentials `[pairs * 2, 1]` (each segment's start, then end) and `alive` `[pairs]` ->
    /// `[pairs]` returns `alive * h(end) - h(start)`. Needs `max_len == 2`.
    fn potential_returns(&self, h: Tensor<2>, alive: Tensor<1>) -> Tensor<1> {
        let h = h.reshape([self.pairs, 2]);
        let start = h.clone().narrow(1, 0, 1).squeeze_dim::<1>(1);
        let end = h.narrow(1, 1, 1).squeeze_dim::<1>(1);
        end * alive - start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &[f32], device: &Device) -> Tensor<1> {
        Tensor::<1>::from_data(TensorData::new(v.to_vec(), [v.len()]), device)
    }

    #[test]
    fn bradley_terry_loss_matches_a_hand_example() {
        let d = DEFAULT_CPU.device();
        // Margins 1, 0 and 2 with targets 1, 0.5 and 0:
        // -ln sigmoid(1), -(0.5 ln 0.5 + 0.5 ln 0.5), -ln sigmoid(-2).
        let loss = bradley_terry_loss(
            t(&[1.5, 0.0, 3.0], &d),
            t(&[0.5, 0.0, 1.0], &d),
            t(&[1.0, 0.5, 0.0], &d),
        )
        .into_scalar::<f32>();
        let expected = ((1.0 + (-1.0f64).exp()).ln() + 2f64.ln() + (1.0 + 2f64.exp()).ln()) / 3.0;
        assert!(
            (loss as f64 - expected).abs() < 1e-5,
            "{loss} vs {expected}"
        );
        // A huge margin against the label stays finite.
        let big =
            bradley_terry_loss(t(&[0.0], &d), t(&[1e4], &d), t(&[1.0], &d)).into_scalar::<f32>();
        assert!(big.is_finite() && (big - 1e4).abs() < 1.0, "{big}");
    }

    #[test]
    fn the_robust_loss_matches_a_hand_example_and_is_bounded() {
        let d = DEFAULT_CPU.device();
        let sig = |x: f64| 1.0 / (1.0 + (-x).exp());
        // eps = 0.1: P(a > b) = 0.1 + 0.8 * sigmoid(margin). Margins 2 and -1, targets 1 and
        // 0: -ln(0.1 + 0.8 sigmoid(2)) and -ln(0.1 + 0.8 sigmoid(1)).
        let loss = robust_bradley_terry_loss(
            t(&[2.0, 0.0], &d),
            t(&[0.0, 1.0], &d),
            t(&[1.0, 0.0], &d),
            0.1,
        )
        .into_scalar::<f32>();
        let expected = (-(0.1 + 0.8 * sig(2.0)).ln() - (0.1 + 0.8 * sig(1.0)).ln()) / 2.0;
        assert!(
            (f64::from(loss) - expected).abs() < 1e-5,
            "{loss} vs {expected}"
        );
        // A label against a huge margin costs at most -ln eps (the plain loss: the margin).
        let wrong = |eps| {
            robust_bradley_terry_loss(t(&[0.0], &d), t(&[1e4], &d), t(&[1.0], &d), eps)
                .into_scalar::<f32>()
        };
        assert!((f64::from(wrong(0.2)) + 0.2f64.ln()).abs() < 1e-5);
        assert!(wrong(0.0) > 9000.0);
        // eps = 0 is the plain loss.
        let plain = |eps| {
            robust_bradley_terry_loss(
                t(&[1.5, 0.0], &d),
                t(&[0.5, 0.0], &d),
                t(&[1.0, 0.5], &d),
                eps,
            )
            .into_scalar::<f32>()
        };
        let bt = bradley_terry_loss(t(&[1.5, 0.0], &d), t(&[0.5, 0.0], &d), t(&[1.0, 0.5], &d))
            .into_scalar::<f32>();
        assert_eq!(plain(0.0), bt);
        assert!(plain(0.1) > bt, "a confident right answer costs more");
    }

    #[test]
    fn the_smoothness_penalty_flattens_the_potential_along_transitions() {
        // One label says b's end is better; transitions link states 0.1 apart in x.
        let a = vec![0.5, 0.0, -0.5, 0.0];
        let b = vec![-0.5, 0.0, 0.5, 0.0];
        let pair = LabelledPair {
            len: 2,
            a,
            b,
            target: 0.0,
            terminal: [false; 2],
        };
        let transitions: Vec<f32> = (0..10)
            .flat_map(|i| {
                let x = -0.5 + 0.1 * i as f32;
                [x, 0.0, x + 0.1, 0.0]
            })
            .collect();
        let steepness = |weight: f64| {
            let mut trainer = potential(RewardSign::Negative, 4).with_smoothness(weight);
            trainer.add_transitions(&transitions, usize::MAX);
            trainer.train(std::slice::from_ref(&pair), 200).unwrap();
            let h = trainer.predict(&transitions);
            let steps: f64 = h
                .chunks(2)
                .map(|w| f64::from(w[1] - w[0]).powi(2))
                .sum::<f64>();
            let gap =
                trainer.segment_return(&pair.b, false) - trainer.segment_return(&pair.a, false);
            (steps, gap)
        };
        let (free, free_gap) = steepness(0.0);
        let (smooth, smooth_gap) = steepness(10.0);
        assert!(
            free_gap > 0.0 && smooth_gap > 0.0,
            "{free_gap} {smooth_gap}"
        );
        assert!(smooth < free / 2.0, "squared steps {smooth} vs {free}");
    }

    #[test]
    fn bradley_terry_gradient_raises_the_preferred_segment() {
        let d = DEFAULT_CPU.device().autodiff();
        let a = t(&[0.2, -1.0], &d).require_grad();
        let b = t(&[0.4, 3.0], &d).require_grad();
        // Pair 0 prefers a, pair 1 prefers b.
        let loss = bradley_terry_loss(a.clone(), b.clone(), t(&[1.0, 0.0], &d));
        let grads = loss.backward();
        let ga = a
            .grad(&grads)
            .unwrap()
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        let gb = b
            .grad(&grads)
            .unwrap()
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        // Descent raises the preferred sum and lowers the other.
        assert!(ga[0] < 0.0 && gb[0] > 0.0, "{ga:?} {gb:?}");
        assert!(ga[1] > 0.0 && gb[1] < 0.0, "{ga:?} {gb:?}");
    }

    #[test]
    fn one_optimizer_step_favours_the_preferred_segment() {
        let action = ActionSpec::Discrete {
            n: 3,
            masked: false,
        };
        let dim = feature_dim(2, action);
        let seg = |obs: [f32; 2], a: f32| {
            let mut v = Vec::new();
            for _ in 0..4 {
                push_features(&obs, &[a], action, &mut v);
            }
            v
        };
        let a = seg([0.5, -0.3], 2.0);
        let b = seg([-0.2, 0.8], 0.0);
        assert_eq!(a.len(), 4 * dim);
        assert_eq!(&a[..dim], &[0.5, -0.3, 0.0, 0.0, 1.0]);
        for ensemble in [1, 3] {
            let config = RewardModelConfig::new(dim)
                .with_hidden(16)
                .with_ensemble(ensemble);
            let mut trainer = RewardModelTrainer::new(&config, 1e-2, 5);
            let before = trainer.segment_return(&a, false) - trainer.segment_return(&b, false);
            let pair = LabelledPair {
                len: 4,
                a: a.clone(),
                b: b.clone(),
                target: 1.0,
                terminal: [false; 2],
            };
            let loss = trainer.train(&[pair], 1).unwrap();
            let after = trainer.segment_return(&a, false) - trainer.segment_return(&b, false);
            assert!(loss.is_finite() && loss > 0.0);
            assert!(after > before, "ensemble {ensemble}: {before} -> {after}");
        }
    }

    #[test]
    fn pairs_of_different_lengths_are_padded_not_mixed() {
        let action = ActionSpec::Continuous { dim: 1 };
        let dim = feature_dim(1, action);
        let config = RewardModelConfig::new(dim).with_hidden(8);
        let trainer = RewardModelTrainer::new(&config, 1e-3, 1);
        let row = |x: f32| vec![x, -x];
        let long: Vec<f32> = [0.1, 0.2, 0.3].iter().flat_map(|&x| row(x)).collect();
        let short: Vec<f32> = [0.4].iter().flat_map(|&x| row(x)).collect();
        let pairs = vec![
            LabelledPair {
                len: 3,
                a: long.clone(),
                b: long.clone(),
                target: 0.5,
                terminal: [false; 2],
            },
            LabelledPair {
                len: 1,
                a: short.clone(),
                b: row(0.9),
                target: 1.0,
                terminal: [false; 2],
            },
        ];
        let device = DEFAULT_CPU.device();
        let batch = PairBatch::gather(&pairs, &[0, 1], dim, &device);
        let sums = batch
            .segment_sums(trainer.snapshot.forward(batch.a.clone()).unsqueeze_dim(1))
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        assert!((sums[0] as f64 - trainer.segment_return(&long, false)).abs() < 1e-5);
        assert!((sums[1] as f64 - trainer.segment_return(&short, false)).abs() < 1e-5);
    }

    /// A potential trainer over 2-dim states.
    fn potential(sign: RewardSign, seed: u64) -> RewardModelTrainer {
        let config = RewardModelConfig::new(2).with_hidden(16);
        RewardModelTrainer::new(&config, 1e-2, seed).with_head(Head::Potential(sign))
    }

    #[test]
    fn a_potential_segment_return_is_the_telescoped_sum_of_its_steps() {
        let states: Vec<[f32; 2]> = vec![[0.1, -0.5], [0.7, 0.2], [-0.4, 0.9], [0.3, 0.3]];
        for sign in RewardSign::ALL {
            let trainer = potential(sign, 3);
            let flat: Vec<f32> = states.iter().flatten().copied().collect();
            let h = trainer.predict(&flat);
            // Undiscounted per-step terms h(s') - h(s) over the segment s0 -> s3.
            let steps: f64 = h.windows(2).map(|w| f64::from(w[1] - w[0])).sum();
            let ends: Vec<f32> = [states[0], states[3]].iter().flatten().copied().collect();
            let telescoped = trainer.segment_return(&ends, false);
            assert!(
                (steps - telescoped).abs() < 1e-5,
                "{sign:?}: {steps} vs {telescoped}"
            );
            // A terminal end counts 0, whatever its row holds.
            let terminal = trainer.segment_return(&ends, true);
            assert!((terminal + f64::from(h[0])).abs() < 1e-6, "{sign:?}");
            match sign {
                RewardSign::Negative => assert!(h.iter().all(|&x| x < 0.0), "{h:?}"),
                RewardSign::Positive => assert!(h.iter().all(|&x| x > 0.0), "{h:?}"),
                RewardSign::Centered => {}
            }
        }
    }

    #[test]
    fn a_few_steps_on_a_pair_raise_the_preferred_potential_segment() {
        let a = vec![0.5, -0.3, 0.9, 0.1];
        let b = vec![-0.2, 0.8, -0.6, -0.4];
        for sign in RewardSign::ALL {
            for terminal in [[false, false], [true, false], [false, true]] {
                let mut trainer = potential(sign, 5);
                let gap = |t: &RewardModelTrainer| {
                    t.segment_return(&a, terminal[0]) - t.segment_return(&b, terminal[1])
                };
                let before = gap(&trainer);
                let pair = LabelledPair {
                    len: 2,
                    a: a.clone(),
                    b: b.clone(),
                    target: 1.0,
                    terminal,
                };
                let loss = trainer.train(&[pair], 5).unwrap();
                let after = gap(&trainer);
                assert!(loss.is_finite());
                assert!(after > before, "{sign:?} {terminal:?}: {before} -> {after}");
            }
        }
    }

    #[test]
    fn a_non_finite_input_is_an_error_not_a_panic() {
        let config = RewardModelConfig::new(2).with_hidden(4);
        let mut trainer = RewardModelTrainer::new(&config, 1e-3, 1);
        let pair = LabelledPair {
            len: 1,
            a: vec![f32::NAN, 0.0],
            b: vec![0.0, 0.0],
            target: 1.0,
            terminal: [false; 2],
        };
        let err = trainer.train(&[pair], 2).unwrap_err();
        assert_eq!(err.labels, 1);
        assert!(err.to_string().contains("non-finite"));
    }
}
