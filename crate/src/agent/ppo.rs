//! Proximal Policy Optimisation (clipped surrogate), in the order the update happens:
//! GAE -> epochs over shuffled minibatches -> clipped surrogate + value loss + entropy bonus
//! -> global gradient-norm clipping -> Adam step with the (annealed) learning rate.
//!
//! Written once for every burn device. Per minibatch the host gathers rows, uploads them,
//! and the rest stays on the device; the losses come back once per update.
//!
//! Every readback is async (`*_async`), because WebGPU in a browser cannot block; the plain
//! methods wrap them in [`block_on`] for native callers and the CPU backends.

use super::distribution::{
    categorical_cross_entropy, categorical_log_prob_entropy, gaussian_log_prob,
    gaussian_log_prob_entropy, sample_masked_categorical,
};
use super::nets::{Activation, ActorCritic, ActorCriticConfig};
use super::rng::AgentRng;
use super::rollout::RolloutBuffer;
use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Bool, Device, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

/// Runs a future to completion: natively it blocks; in wasm it only succeeds for futures that
/// are ready at once, which holds for the CPU backends. WebGPU callers use the `*_async`
/// methods instead.
pub fn block_on<T>(future: impl Future<Output = T>) -> T {
    burn::tensor::read_sync(future)
}

/// Reads a tensor back as `f32`s (empty if the read fails, as with a dtype mismatch).
async fn read_f32<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data_async()
        .await
        .ok()
        .and_then(|d| d.try_to_vec::<f32>().ok())
        .unwrap_or_default()
}

/// Every PPO hyperparameter. Field defaults are CleanRL's for classic control. Each field's
/// range is on its doc and checked by [`PpoConfig::validate`]; the bounds are far beyond any
/// useful value, and keep a config file from asking for unbounded memory or time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PpoConfig {
    /// Steps per env per rollout, 1 to 65536; a rollout holds `n_steps * n_envs` transitions.
    pub n_steps: usize,
    /// Passes over the rollout per update, 1 to 100.
    pub n_epochs: usize,
    /// Transitions per gradient step, 1 to 2^20 (a rollout's most).
    pub minibatch_size: usize,
    /// Adam's step size, in (0, 1].
    pub learning_rate: f64,
    /// Decay the learning rate linearly to 0 over the run's total steps.
    pub anneal_lr: bool,
    /// Discount, in [0, 1].
    pub gamma: f32,
    /// GAE's lambda, in [0, 1].
    pub gae_lambda: f32,
    /// The surrogate's ratio clip, epsilon in `clip(r, 1 - eps, 1 + eps)`, in [0, 1].
    pub clip_coef: f32,
    /// Weight of the entropy bonus, in [0, 10].
    pub ent_coef: f32,
    /// Weight of the value loss, in [0, 10].
    pub vf_coef: f32,
    /// Global L2 norm the gradient is scaled down to, in [0, 1000]; 0 turns clipping off.
    pub max_grad_norm: f32,
    /// Normalise advantages per minibatch.
    pub norm_adv: bool,
    /// Hidden units per layer, for both actor and critic, 1 to 1024.
    pub hidden: usize,
    /// Hidden layers, for both actor and critic, 0 (a linear model) to 8.
    pub layers: usize,
    /// `tanh` (default) or `relu` between hidden layers.
    pub activation: Activation,
    /// Initial log standard deviation of continuous actions, in [-20, 2] (the clamp of
    /// Stable-Baselines3's squashed Gaussian).
    pub init_log_std: f64,
    /// Adam's epsilon, in [0, 1].
    pub adam_eps: f32,
}

impl Default for PpoConfig {
    fn default() -> Self {
        Self {
            n_steps: 128,
            n_epochs: 4,
            minibatch_size: 128,
            learning_rate: 2.5e-4,
            anneal_lr: true,
            gamma: 0.99,
            gae_lambda: 0.95,
            clip_coef: 0.2,
            ent_coef: 0.01,
            vf_coef: 0.5,
            max_grad_norm: 0.5,
            norm_adv: true,
            hidden: 64,
            layers: 2,
            activation: Activation::Tanh,
            init_log_std: 0.0,
            adam_eps: 1e-5,
        }
    }
}

impl PpoConfig {
    /// Checks every field against the range on its doc; the message names the field, the
    /// value and the range.
    pub fn validate(&self) -> Result<(), String> {
        let counts = [
            ("n_steps", self.n_steps, 1, 1 << 16),
            ("n_epochs", self.n_epochs, 1, 100),
            ("minibatch_size", self.minibatch_size, 1, 1 << 20),
            ("hidden", self.hidden, 1, 1024),
            ("layers", self.layers, 0, 8),
        ];
        for (name, v, lo, hi) in counts {
            if !(lo..=hi).contains(&v) {
                return Err(format!("ppo.{name} must be {lo} to {hi}, got {v}"));
            }
        }
        let closed = [
            ("gamma", self.gamma, 0.0, 1.0),
            ("gae_lambda", self.gae_lambda, 0.0, 1.0),
            ("clip_coef", self.clip_coef, 0.0, 1.0),
            ("ent_coef", self.ent_coef, 0.0, 10.0),
            ("vf_coef", self.vf_coef, 0.0, 10.0),
            ("max_grad_norm", self.max_grad_norm, 0.0, 1000.0),
            ("adam_eps", self.adam_eps, 0.0, 1.0),
        ];
        for (name, v, lo, hi) in closed {
            if !(lo..=hi).contains(&v) {
                return Err(format!("ppo.{name} must lie in [{lo}, {hi}], got {v}"));
            }
        }
        if !(self.learning_rate > 0.0 && self.learning_rate <= 1.0) {
            return Err(format!(
                "ppo.learning_rate must lie in (0, 1], got {}",
                self.learning_rate
            ));
        }
        if !(-20.0..=2.0).contains(&self.init_log_std) {
            return Err(format!(
                "ppo.init_log_std must lie in [-20, 2], got {}",
                self.init_log_std
            ));
        }
        Ok(())
    }
}

/// Mean losses and diagnostics of one update.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct UpdateStats {
    pub policy_loss: f32,
    pub value_loss: f32,
    pub entropy: f32,
    /// `mean((r - 1) - ln r)`, the low-variance KL estimator.
    pub approx_kl: f32,
    /// Fraction of samples whose ratio left the clip range.
    pub clip_fraction: f32,
    /// 1 - Var(returns - values) / Var(returns) over the rollout.
    pub explained_variance: f32,
    /// Cross-entropy of the policy against the teacher's advice (0 without advice).
    pub advice_loss: f32,
}

/// Training stopped because a loss became NaN or infinite.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error(
    "non-finite loss at update {update} (policy {policy_loss}, value {value_loss}, entropy {entropy}); \
     training stopped: lower the learning rate or check the rewards"
)]
pub struct NonFiniteLoss {
    pub update: u64,
    pub policy_loss: f32,
    pub value_loss: f32,
    pub entropy: f32,
}

/// What the policy needs to know about the action space.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ActionSpec {
    /// `n` actions, with masks from the env when `masked`.
    Discrete { n: usize, masked: bool },
    /// `dim` values, each clipped into `[low, high]` before the env sees it.
    Continuous { dim: usize },
}

impl ActionSpec {
    pub fn network_outputs(&self) -> usize {
        match *self {
            ActionSpec::Discrete { n, .. } => n,
            ActionSpec::Continuous { dim } => dim,
        }
    }

    /// Floats stored per action in the rollout buffer.
    pub fn stored_dim(&self) -> usize {
        match *self {
            ActionSpec::Discrete { .. } => 1,
            ActionSpec::Continuous { dim } => dim,
        }
    }
}

/// The learner: actor-critic, its optimizer and the device it trains on.
pub struct Ppo {
    pub config: PpoConfig,
    pub action: ActionSpec,
    pub obs_dim: usize,
    /// Parameters, on the autodiff device.
    pub model: ActorCritic,
    pub optim: ModuleOptimizer,
    device: Device,
    /// Inference snapshot for the rollout (no autodiff), refreshed after every update.
    policy: ActorCritic,
    /// Host copy of the continuous policy's log std, refreshed with `policy`.
    log_std: Vec<f32>,
    /// Reused minibatch staging buffers.
    staging: Staging,
}

#[derive(Default)]
struct Staging {
    perm: Vec<usize>,
    obs: Vec<f32>,
    actions_f: Vec<f32>,
    actions_i: Vec<i64>,
    masks: Vec<bool>,
    log_probs: Vec<f32>,
    advantages: Vec<f32>,
    returns: Vec<f32>,
    advice: Vec<f32>,
}

impl Ppo {
    /// A fresh agent; `device` is a plain (non-autodiff) device.
    pub fn new(
        config: PpoConfig,
        obs_dim: usize,
        action: ActionSpec,
        seed: u64,
        device: &Device,
    ) -> Self {
        let net = ActorCriticConfig::new(
            obs_dim,
            action.network_outputs(),
            matches!(action, ActionSpec::Continuous { .. }),
        )
        .with_hidden(config.hidden)
        .with_layers(config.layers)
        .with_init_log_std(config.init_log_std)
        .with_activation(config.activation);
        let ad = device.clone().autodiff();
        let model = net.init(seed, &ad);
        let optim = AdamConfig::new().with_epsilon(config.adam_eps).init();
        // The initial log std is known, so a fresh agent needs no (blocking) readback.
        let log_std = match action {
            ActionSpec::Continuous { dim } => vec![config.init_log_std as f32; dim],
            ActionSpec::Discrete { .. } => Vec::new(),
        };
        Self {
            config,
            action,
            obs_dim,
            policy: model.valid(),
            model,
            optim,
            device: ad,
            log_std,
            staging: Staging::default(),
        }
    }

    /// The plain device rollouts run on.
    pub fn inference_device(&self) -> Device {
        self.device.clone().inner()
    }

    /// Re-takes the inference snapshot after the parameters changed.
    pub fn refresh_policy(&mut self) {
        block_on(self.refresh_policy_async());
    }

    pub async fn refresh_policy_async(&mut self) {
        self.policy = self.model.valid();
        self.log_std = match &self.policy.log_std {
            Some(p) => read_f32(p.val()).await,
            None => Vec::new(),
        };
    }

    /// One batched forward for all envs: writes policy outputs and values side by side,
    /// `[n, outputs + 1]`, into `out`. One upload, one readback.
    pub fn forward_batch(&self, obs: &[f32], out: &mut Vec<f32>) {
        block_on(self.forward_batch_async(obs, out));
    }

    pub async fn forward_batch_async(&self, obs: &[f32], out: &mut Vec<f32>) {
        let n = obs.len() / self.obs_dim;
        let x = Tensor::<2>::from_data(
            TensorData::new(obs.to_vec(), [n, self.obs_dim]),
            &self.inference_device(),
        );
        *out = read_f32(self.policy.forward_packed(x)).await;
    }

    /// Critic values of `n` observations (used to bootstrap truncated episodes).
    pub fn values(&self, obs: &[f32]) -> Vec<f32> {
        block_on(self.values_async(obs))
    }

    pub async fn values_async(&self, obs: &[f32]) -> Vec<f32> {
        let n = obs.len() / self.obs_dim;
        if n == 0 {
            return Vec::new();
        }
        let x = Tensor::<2>::from_data(
            TensorData::new(obs.to_vec(), [n, self.obs_dim]),
            &self.inference_device(),
        );
        read_f32(self.policy.value(x)).await
    }

    /// Samples one action per env from packed network outputs (see [`Ppo::forward_batch`]).
    ///
    /// Writes, per env: the stored action (`stored_dim` floats), its log-probability and the
    /// value estimate; continuous env actions go to `env_actions` clipped to `[low, high]`,
    /// discrete ones to `discrete`.
    #[allow(clippy::too_many_arguments)]
    pub fn sample(
        &self,
        packed: &[f32],
        masks: Option<&[bool]>,
        bounds: Option<(&[f32], &[f32])>,
        rng: &mut AgentRng,
        stored: &mut [f32],
        log_probs: &mut [f32],
        values: &mut [f32],
        discrete: &mut [usize],
        env_actions: &mut [f32],
    ) {
        let k = self.action.network_outputs();
        let n = values.len();
        for i in 0..n {
            let row = &packed[i * (k + 1)..(i + 1) * (k + 1)];
            values[i] = row[k];
            match self.action {
                ActionSpec::Discrete { n: na, masked } => {
                    let mask = masks.filter(|_| masked).map(|m| &m[i * na..(i + 1) * na]);
                    let (a, lp) = sample_masked_categorical(&row[..k], mask, rng.uniform());
                    discrete[i] = a;
                    stored[i] = a as f32;
                    log_probs[i] = lp;
                }
                ActionSpec::Continuous { dim } => {
                    let a = &mut stored[i * dim..(i + 1) * dim];
                    for d in 0..dim {
                        a[d] = row[d] + self.log_std[d].exp() * rng.normal() as f32;
                    }
                    log_probs[i] = gaussian_log_prob(a, &row[..k], &self.log_std) as f32;
                    let e = &mut env_actions[i * dim..(i + 1) * dim];
                    for d in 0..dim {
                        e[d] = match bounds {
                            Some((lo, hi)) if lo[d].is_finite() && hi[d].is_finite() => {
                                a[d].clamp(lo[d], hi[d])
                            }
                            _ => a[d],
                        };
                    }
                }
            }
        }
    }

    /// One PPO update over a full rollout whose advantages are computed. `update` numbers
    /// the update for error messages.
    pub fn update(
        &mut self,
        buf: &RolloutBuffer,
        lr: f64,
        rng: &mut AgentRng,
        update: u64,
    ) -> Result<UpdateStats, NonFiniteLoss> {
        block_on(self.update_async(buf, lr, rng, update))
    }

    pub async fn update_async(
        &mut self,
        buf: &RolloutBuffer,
        lr: f64,
        rng: &mut AgentRng,
        update: u64,
    ) -> Result<UpdateStats, NonFiniteLoss> {
        let rows = buf.len * buf.n_envs;
        let mb = self.config.minibatch_size.min(rows).max(1);
        let n_mb = rows.div_ceil(mb);
        let ad = self.device.clone();
        let obs_dim = self.obs_dim;
        let mut sums: Option<Tensor<1>> = None;
        let mut s = std::mem::take(&mut self.staging);
        let mut perm = std::mem::take(&mut s.perm);
        perm.clear();
        perm.extend(0..rows);
        for _epoch in 0..self.config.n_epochs {
            rng.shuffle(&mut perm);
            for m in 0..n_mb {
                let idx = &perm[m * mb..((m + 1) * mb).min(rows)];
                let b = idx.len();
                gather_minibatch(buf, idx, obs_dim, &self.action, &mut s);
                if self.config.norm_adv && b > 1 {
                    normalize(&mut s.advantages);
                }
                let obs = Tensor::<2>::from_data(TensorData::new(s.obs.clone(), [b, obs_dim]), &ad);
                let old_logp =
                    Tensor::<1>::from_data(TensorData::new(s.log_probs.clone(), [b]), &ad);
                let adv = Tensor::<1>::from_data(TensorData::new(s.advantages.clone(), [b]), &ad);
                let ret = Tensor::<1>::from_data(TensorData::new(s.returns.clone(), [b]), &ad);
                let (policy, values) = self.model.forward(obs);
                let advice =
                    (buf.advice_dim > 0).then(|| self.advice_loss(policy.clone(), &s, b, &ad));
                let (logp, entropy) = match self.action {
                    ActionSpec::Discrete { n, masked } => {
                        let actions = Tensor::<2, Int>::from_data(
                            TensorData::new(s.actions_i.clone(), [b, 1]),
                            &ad,
                        );
                        let mask = masked.then(|| {
                            Tensor::<2, Bool>::from_data(
                                TensorData::new(s.masks.clone(), [b, n]),
                                &ad,
                            )
                        });
                        categorical_log_prob_entropy(policy, mask, actions)
                    }
                    ActionSpec::Continuous { dim } => {
                        let actions = Tensor::<2>::from_data(
                            TensorData::new(s.actions_f.clone(), [b, dim]),
                            &ad,
                        );
                        let log_std = match &self.model.log_std {
                            Some(p) => p.val(),
                            None => Tensor::<1>::zeros([dim], &ad),
                        };
                        gaussian_log_prob_entropy(policy, log_std, actions)
                    }
                };
                let parts = ppo_loss_parts(
                    logp,
                    old_logp,
                    adv,
                    values,
                    ret,
                    entropy,
                    self.config.clip_coef,
                );
                let mut loss = parts.policy_loss.clone()
                    - parts.entropy.clone().mul_scalar(self.config.ent_coef)
                    + parts.value_loss.clone().mul_scalar(self.config.vf_coef);
                if let Some(advice) = &advice {
                    loss = loss + advice.clone().mul_scalar(buf.advice_weight);
                }
                let mut terms = vec![
                    parts.policy_loss,
                    parts.value_loss,
                    parts.entropy,
                    parts.approx_kl,
                    parts.clip_fraction,
                ];
                // The advice term is summed only when there is one: no extra op otherwise.
                terms.extend(advice);
                let stats = Tensor::cat(terms, 0).detach().inner();
                sums = Some(match sums {
                    Some(acc) => acc + stats,
                    None => stats,
                });
                let mut grads = GradientsParams::from_grads(loss.backward(), &self.model);
                if self.config.max_grad_norm > 0.0 {
                    clip_global_norm(&self.model, &mut grads, self.config.max_grad_norm);
                }
                self.model = self.optim.step(lr, self.model.clone(), grads);
            }
        }
        s.perm = perm;
        self.staging = s;
        let steps = (self.config.n_epochs * n_mb) as f32;
        let v = match sums {
            Some(t) => read_f32(t).await,
            None => Vec::new(),
        };
        let get = |i: usize| v.get(i).copied().unwrap_or(f32::NAN) / steps;
        let stats = UpdateStats {
            policy_loss: get(0),
            value_loss: get(1),
            entropy: get(2),
            approx_kl: get(3),
            clip_fraction: get(4),
            explained_variance: explained_variance(&buf.values[..rows], &buf.returns[..rows]),
            advice_loss: if buf.advice_dim > 0 { get(5) } else { 0.0 },
        };
        if ![
            stats.policy_loss,
            stats.value_loss,
            stats.entropy,
            stats.approx_kl,
        ]
        .iter()
        .all(|x| x.is_finite())
        {
            return Err(NonFiniteLoss {
                update,
                policy_loss: stats.policy_loss,
                value_loss: stats.value_loss,
                entropy: stats.entropy,
            });
        }
        self.refresh_policy_async().await;
        Ok(stats)
    }
}

impl Ppo {
    /// The advice term of a minibatch (`[1]`): cross-entropy against the teacher's action
    /// probabilities (discrete), or minus the log-density of its suggested action (continuous).
    fn advice_loss(&self, policy: Tensor<2>, s: &Staging, b: usize, ad: &Device) -> Tensor<1> {
        match self.action {
            ActionSpec::Discrete { n, masked } => {
                let target = Tensor::<2>::from_data(TensorData::new(s.advice.clone(), [b, n]), ad);
                let mask = masked.then(|| {
                    Tensor::<2, Bool>::from_data(TensorData::new(s.masks.clone(), [b, n]), ad)
                });
                categorical_cross_entropy(policy, mask, target).mean()
            }
            ActionSpec::Continuous { dim } => {
                let target =
                    Tensor::<2>::from_data(TensorData::new(s.advice.clone(), [b, dim]), ad);
                let log_std = match &self.model.log_std {
                    Some(p) => p.val(),
                    None => Tensor::<1>::zeros([dim], ad),
                };
                gaussian_log_prob_entropy(policy, log_std, target)
                    .0
                    .mean()
                    .neg()
            }
        }
    }
}

/// The loss terms of one minibatch, each of shape `[1]`.
pub struct LossParts {
    /// Clipped surrogate, `mean(max(-A r, -A clip(r, 1-eps, 1+eps)))`.
    pub policy_loss: Tensor<1>,
    /// `0.5 * mean((V - R)^2)`.
    pub value_loss: Tensor<1>,
    pub entropy: Tensor<1>,
    pub approx_kl: Tensor<1>,
    pub clip_fraction: Tensor<1>,
}

/// The PPO loss terms from new and old log-probabilities (`[batch]` each), advantages,
/// values, returns and entropies (`[batch]`).
pub fn ppo_loss_parts(
    logp: Tensor<1>,
    old_logp: Tensor<1>,
    adv: Tensor<1>,
    values: Tensor<1>,
    returns: Tensor<1>,
    entropy: Tensor<1>,
    clip: f32,
) -> LossParts {
    let log_ratio = logp - old_logp;
    let ratio = log_ratio.clone().exp();
    let unclipped = adv.clone().neg() * ratio.clone();
    let clipped = adv.neg() * ratio.clone().clamp(1.0 - clip, 1.0 + clip);
    let policy_loss = unclipped.max_pair(clipped).mean();
    let value_loss = (values - returns).square().mean().mul_scalar(0.5);
    let r = ratio.detach();
    let approx_kl = ((r.clone() - 1.0) - log_ratio.detach()).mean();
    let clip_fraction = (r - 1.0).abs().greater_scalar(clip).float().mean();
    LossParts {
        policy_loss,
        value_loss,
        entropy: entropy.mean(),
        approx_kl,
        clip_fraction,
    }
}

fn gather_minibatch(
    buf: &RolloutBuffer,
    idx: &[usize],
    obs_dim: usize,
    action: &ActionSpec,
    s: &mut Staging,
) {
    s.obs.clear();
    s.actions_f.clear();
    s.actions_i.clear();
    s.masks.clear();
    s.log_probs.clear();
    s.advantages.clear();
    s.returns.clear();
    s.advice.clear();
    let ad = action.stored_dim();
    let vd = buf.advice_dim;
    for &r in idx {
        s.obs
            .extend_from_slice(&buf.obs[r * obs_dim..(r + 1) * obs_dim]);
        match *action {
            ActionSpec::Discrete { n, masked } => {
                s.actions_i.push(buf.actions[r] as i64);
                if masked {
                    s.masks.extend_from_slice(&buf.masks[r * n..(r + 1) * n]);
                }
            }
            ActionSpec::Continuous { .. } => s
                .actions_f
                .extend_from_slice(&buf.actions[r * ad..(r + 1) * ad]),
        }
        s.log_probs.push(buf.log_probs[r]);
        s.advantages.push(buf.advantages[r]);
        s.returns.push(buf.returns[r]);
        if vd > 0 {
            s.advice
                .extend_from_slice(&buf.advice[r * vd..(r + 1) * vd]);
        }
    }
}

fn normalize(x: &mut [f32]) {
    let n = x.len() as f64;
    let mean = x.iter().map(|&v| v as f64).sum::<f64>() / n;
    // Unbiased std, as torch's `.std()` in CleanRL.
    let var = x.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let std = var.sqrt() + 1e-8;
    for v in x.iter_mut() {
        *v = ((*v as f64 - mean) / std) as f32;
    }
}

fn explained_variance(values: &[f32], returns: &[f32]) -> f32 {
    let n = returns.len() as f64;
    if n < 2.0 {
        return f32::NAN;
    }
    let var = |xs: &mut dyn Iterator<Item = f64>| {
        let v: Vec<f64> = xs.collect();
        let m = v.iter().sum::<f64>() / n;
        v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n
    };
    let var_y = var(&mut returns.iter().map(|&r| r as f64));
    let var_diff = var(&mut returns.iter().zip(values).map(|(&r, &v)| (r - v) as f64));
    if var_y == 0.0 {
        f32::NAN
    } else {
        (1.0 - var_diff / var_y) as f32
    }
}

/// Scales every gradient by `min(1, max_norm / ||g||)` where `||g||` is the L2 norm over all
/// parameters together (PyTorch's `clip_grad_norm_`). Tensor ops only: no readback.
fn clip_global_norm(model: &ActorCritic, grads: &mut GradientsParams, max_norm: f32) {
    struct SquaredNorm<'a> {
        grads: &'a GradientsParams,
        total: Option<Tensor<1>>,
    }
    impl ModuleVisitor for SquaredNorm<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let Some(g) = self.grads.get::<D>(param.id) {
                let s = g.square().sum();
                self.total = Some(match self.total.take() {
                    Some(t) => t + s,
                    None => s,
                });
            }
        }
    }
    struct Scale<'a> {
        grads: &'a mut GradientsParams,
        factor: Tensor<1>,
    }
    impl ModuleVisitor for Scale<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let Some(g) = self.grads.remove::<D>(param.id) {
                let dims = g.dims();
                let f = self.factor.clone().reshape([1; D]).expand(dims);
                self.grads.register::<D>(param.id, g * f);
            }
        }
    }
    let mut norm = SquaredNorm { grads, total: None };
    model.visit(&mut norm);
    let Some(total) = norm.total else { return };
    let factor = total
        .sqrt()
        .add_scalar(1e-6)
        .recip()
        .mul_scalar(max_norm)
        .clamp_max(1.0);
    model.visit(&mut Scale { grads, factor });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &[f32]) -> Tensor<1> {
        let d = crate::backend::CpuBackend::NdArray.device();
        Tensor::<1>::from_data(TensorData::new(v.to_vec(), [v.len()]), &d)
    }

    #[test]
    fn clipped_surrogate_matches_a_hand_example() {
        // Ratios e^0.5 = 1.6487 (clipped to 1.2) and e^-0.5 = 0.6065 (clipped to 0.8).
        let logp = t(&[0.0, 0.0, 0.0]);
        let old = t(&[-0.5, 0.5, -0.5]);
        let adv = t(&[1.0, 1.0, -2.0]);
        let parts = ppo_loss_parts(
            logp,
            old,
            adv,
            t(&[1.0, 2.0, 3.0]),
            t(&[0.0, 0.0, 0.0]),
            t(&[0.3, 0.5, 0.7]),
            0.2,
        );
        let r_hi = 0.5f32.exp();
        let r_lo = (-0.5f32).exp();
        // Positive advantage, ratio above 1+eps: the clip wins, loss -1.2.
        // Positive advantage, ratio below 1-eps: unclipped -0.6065 is the max.
        // Negative advantage, ratio above: max(2 * 1.6487, 2 * 1.2) = 3.2974.
        let expected = (-1.2 + -r_lo + 2.0 * r_hi) / 3.0;
        let got = parts.policy_loss.into_scalar::<f32>();
        assert!((got - expected).abs() < 1e-5, "{got} vs {expected}");
        let v = parts.value_loss.into_scalar::<f32>();
        assert!((v - 0.5 * (1.0 + 4.0 + 9.0) / 3.0).abs() < 1e-5);
        assert!((parts.entropy.into_scalar::<f32>() - 0.5).abs() < 1e-6);
        assert!((parts.clip_fraction.into_scalar::<f32>() - 1.0).abs() < 1e-6);
        let kl = ((r_hi - 1.0 - 0.5) + (r_lo - 1.0 + 0.5) + (r_hi - 1.0 - 0.5)) / 3.0;
        assert!((parts.approx_kl.into_scalar::<f32>() - kl).abs() < 1e-5);
    }

    #[test]
    fn advantage_normalisation_uses_the_unbiased_std() {
        let mut x = [1.0f32, 2.0, 3.0];
        normalize(&mut x);
        assert!((x[0] + 1.0).abs() < 1e-6 && x[1].abs() < 1e-6 && (x[2] - 1.0).abs() < 1e-6);
    }
}
