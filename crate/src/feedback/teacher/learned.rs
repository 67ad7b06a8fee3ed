//! A teacher learned from demonstrations by behaviour cloning (`demo:FILE`).
//!
//! For envs without a planner, or to judge by the user's own play: a small MLP with a policy
//! head, fitted to the demonstrated actions (cross-entropy for discrete actions, mean squared
//! error for continuous ones), and a value head, fitted to each step's discounted
//! return-to-go. It is as good as the demonstrations and no better.
//!
//! - `value` is the value head: the return the demonstrator would go on to earn from here.
//! - `score` is the default progress `Phi(s') - Phi(s)`: on the reward scale, like every other
//!   teacher's score (a log-probability of the taken action would not be, and would reward
//!   imitation rather than progress).
//! - `policy` is the softmax of the policy head with illegal moves zeroed (discrete), or the
//!   predicted action clipped to the action space (continuous).
//!
//! Training is synchronous on the CPU device and deterministic by seed; a few thousand steps of
//! demonstrations train in seconds. Not in the registry: the caller builds it from the demos.

use super::{Teacher, TeacherError, TeacherView};
use crate::agent::distribution::categorical_log_prob_entropy;
use crate::agent::nets::{Mlp, MlpConfig};
use crate::agent::ppo::block_on;
use crate::agent::rng::{AgentRng, mix_seed};
use crate::backend::DEFAULT_CPU;
use crate::env::Space;
use crate::feedback::demos::{DemoAction, Demos, DemosError};
use burn::config::Config;
use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Int, Tensor, TensorData};

/// Training knobs of the cloned teacher.
#[derive(Config, Debug, PartialEq)]
pub struct LearnedTeacherConfig {
    /// Width of each hidden layer.
    #[config(default = 64)]
    pub hidden: usize,
    /// Number of hidden layers.
    #[config(default = 2)]
    pub layers: usize,
    /// Discount of the returns-to-go the value head fits.
    #[config(default = 0.99)]
    pub gamma: f64,
    #[config(default = 1e-3)]
    pub learning_rate: f64,
    /// Passes over the demonstrations.
    #[config(default = 30)]
    pub epochs: usize,
    /// Steps per gradient step.
    #[config(default = 256)]
    pub batch_size: usize,
}

impl LearnedTeacherConfig {
    /// Checks every field, naming the first bad one.
    pub fn validate(&self) -> Result<(), TeacherError> {
        let bad = |m: String| Err(TeacherError::BadOption(m));
        if self.hidden == 0 || self.layers == 0 {
            return bad("the learned teacher needs at least one hidden unit and layer".into());
        }
        if !(0.0..=1.0).contains(&self.gamma) {
            return bad(format!("gamma must be in [0, 1], got {}", self.gamma));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad(format!(
                "learning rate must be positive, got {}",
                self.learning_rate
            ));
        }
        if self.epochs == 0 || self.batch_size == 0 {
            return bad("epochs and batch size must be at least 1".into());
        }
        Ok(())
    }
}

/// The cloned policy and value: two tanh MLPs on normalised observations.
#[derive(Module, Debug)]
pub struct CloneNet {
    /// Logits (discrete) or the action itself (continuous).
    pub policy: Mlp,
    /// The normalised return-to-go.
    pub value: Mlp,
}

#[derive(Config, Debug)]
pub struct CloneNetConfig {
    pub obs_dim: usize,
    /// Number of discrete actions, or the continuous action dimension.
    pub action_dim: usize,
    #[config(default = 64)]
    pub hidden: usize,
    #[config(default = 2)]
    pub layers: usize,
}

impl CloneNetConfig {
    /// Weights from `seed` (host-side init, so the same on every backend).
    pub fn init(&self, seed: u64, device: &Device) -> CloneNet {
        let mlp = |out, gain, stream| {
            MlpConfig::new(self.obs_dim, self.hidden, out)
                .with_n_hidden(self.layers)
                .with_output_gain(gain)
                .init(mix_seed(seed, stream), device)
        };
        CloneNet {
            policy: mlp(self.action_dim, 0.01, 1),
            value: mlp(1, 1.0, 2),
        }
    }
}

impl CloneNet {
    /// `obs`: `[batch, obs_dim]` -> (policy `[batch, action_dim]`, value `[batch]`).
    pub fn forward(&self, obs: Tensor<2>) -> (Tensor<2>, Tensor<1>) {
        let policy = self.policy.forward(obs.clone());
        let value = self.value.forward(obs).squeeze_dim::<1>(1);
        (policy, value)
    }
}

/// Per-dimension mean and scale; constant dimensions get scale 1.
#[derive(Clone, Debug, PartialEq)]
struct Standardise {
    mean: Vec<f32>,
    scale: Vec<f32>,
}

impl Standardise {
    fn fit(rows: &[f32], dim: usize) -> Self {
        let n = (rows.len() / dim).max(1) as f64;
        let mut mean = vec![0.0f64; dim];
        for row in rows.chunks(dim) {
            mean.iter_mut().zip(row).for_each(|(m, &x)| *m += x as f64);
        }
        mean.iter_mut().for_each(|m| *m /= n);
        let mut var = vec![0.0f64; dim];
        for row in rows.chunks(dim) {
            for ((v, &x), m) in var.iter_mut().zip(row).zip(&mean) {
                *v += (x as f64 - m).powi(2);
            }
        }
        let scale = var
            .iter()
            .map(|v| {
                let s = (v / n).sqrt();
                if s > 1e-6 { s as f32 } else { 1.0 }
            })
            .collect();
        Self {
            mean: mean.iter().map(|&m| m as f32).collect(),
            scale,
        }
    }

    fn apply(&self, rows: &mut [f32]) {
        let dim = self.mean.len();
        for row in rows.chunks_mut(dim) {
            for ((x, m), s) in row.iter_mut().zip(&self.mean).zip(&self.scale) {
                *x = (*x - m) / s;
            }
        }
    }
}

/// A teacher cloned from demonstrations.
pub struct LearnedTeacher {
    env_id: String,
    action_space: Space,
    net: CloneNet,
    device: Device,
    obs_norm: Standardise,
    /// Value targets were standardised too: `value = mean + scale * head`.
    value_mean: f32,
    value_scale: f32,
    /// Mean loss of the last epoch (policy loss, value loss), for reports.
    final_loss: (f32, f32),
    mask: Vec<bool>,
}

impl LearnedTeacher {
    /// Clones `demos` (validated demonstrations) on the CPU device.
    pub fn fit(
        demos: &Demos,
        config: &LearnedTeacherConfig,
        seed: u64,
    ) -> Result<Self, TeacherError> {
        config.validate()?;
        let obs_dim = demos.observation_dim;
        let rows = demos.steps();
        if rows == 0 || obs_dim == 0 {
            return Err(TeacherError::Demos(
                "the demonstrations have no steps".into(),
            ));
        }
        let (action_dim, discrete) = match &demos.action_space {
            Space::Discrete { n } => (*n, true),
            space => (space.flat_dim(), false),
        };

        // Flatten every step: observation, action, return-to-go.
        let mut obs = Vec::with_capacity(rows * obs_dim);
        let mut actions_i = Vec::with_capacity(rows);
        let mut actions_f = Vec::with_capacity(rows * action_dim);
        let mut returns = Vec::with_capacity(rows);
        for (e, ep) in demos.episodes.iter().enumerate() {
            if ep.observations.len() != ep.len() || ep.rewards.len() != ep.len() {
                return Err(TeacherError::Demos(format!(
                    "episode {e}: observations, actions and rewards differ in length"
                )));
            }
            for (t, (o, a)) in ep.observations.iter().zip(&ep.actions).enumerate() {
                let wrong = || {
                    TeacherError::Demos(format!(
                        "episode {e}, step {t}: does not fit {}",
                        demos.action_space.describe()
                    ))
                };
                if o.len() != obs_dim {
                    return Err(wrong());
                }
                obs.extend_from_slice(o);
                match a {
                    DemoAction::Discrete(i) if discrete && *i < action_dim => {
                        actions_i.push(*i as i64)
                    }
                    DemoAction::Continuous(v) if !discrete && v.len() == action_dim => {
                        actions_f.extend_from_slice(v)
                    }
                    _ => return Err(wrong()),
                }
            }
            returns.extend(ep.returns_to_go(config.gamma).iter().map(|&g| g as f32));
        }
        if obs
            .iter()
            .chain(&returns)
            .chain(&actions_f)
            .any(|x| !x.is_finite())
        {
            return Err(TeacherError::Demos(
                "the demonstrations contain a non-finite number".into(),
            ));
        }
        let obs_norm = Standardise::fit(&obs, obs_dim);
        obs_norm.apply(&mut obs);
        let ret_norm = Standardise::fit(&returns, 1);
        ret_norm.apply(&mut returns);

        let device = DEFAULT_CPU.device();
        let ad = device.clone().autodiff();
        let mut net = CloneNetConfig::new(obs_dim, action_dim)
            .with_hidden(config.hidden)
            .with_layers(config.layers)
            .init(mix_seed(seed, 0xC10E), &ad);
        let mut optim = AdamConfig::new().init();
        let mut rng = AgentRng::new(mix_seed(seed, 0x5EED));
        let mut perm: Vec<usize> = (0..rows).collect();
        let batch = config.batch_size.min(rows);
        let mut final_loss = (f32::NAN, f32::NAN);

        let (mut b_obs, mut b_ret) = (Vec::new(), Vec::new());
        let (mut b_ai, mut b_af) = (Vec::new(), Vec::new());
        for epoch in 0..config.epochs {
            // Fisher-Yates with the teacher's own generator: deterministic by seed.
            for i in (1..rows).rev() {
                perm.swap(i, rng.below(i + 1));
            }
            let mut sums: Option<Tensor<1>> = None;
            let n_batches = rows.div_ceil(batch);
            for idx in perm.chunks(batch) {
                let b = idx.len();
                b_obs.clear();
                b_ret.clear();
                b_ai.clear();
                b_af.clear();
                for &r in idx {
                    b_obs.extend_from_slice(&obs[r * obs_dim..(r + 1) * obs_dim]);
                    b_ret.push(returns[r]);
                    if discrete {
                        b_ai.push(actions_i[r]);
                    } else {
                        b_af.extend_from_slice(&actions_f[r * action_dim..(r + 1) * action_dim]);
                    }
                }
                let x = Tensor::<2>::from_data(TensorData::new(b_obs.clone(), [b, obs_dim]), &ad);
                let target_v = Tensor::<1>::from_data(TensorData::new(b_ret.clone(), [b]), &ad);
                let (policy, value) = net.forward(x);
                let policy_loss = if discrete {
                    let a = Tensor::<2, Int>::from_data(TensorData::new(b_ai.clone(), [b, 1]), &ad);
                    categorical_log_prob_entropy(policy, None, a).0.mean().neg()
                } else {
                    let a =
                        Tensor::<2>::from_data(TensorData::new(b_af.clone(), [b, action_dim]), &ad);
                    (policy - a).square().mean()
                };
                let value_loss = (value - target_v).square().mean();
                let loss = policy_loss.clone() + value_loss.clone();
                if epoch + 1 == config.epochs {
                    let parts = Tensor::cat(vec![policy_loss, value_loss], 0)
                        .detach()
                        .inner();
                    sums = Some(match sums {
                        Some(s) => s + parts,
                        None => parts,
                    });
                }
                let grads = GradientsParams::from_grads(loss.backward(), &net);
                net = optim.step(config.learning_rate, net, grads);
            }
            if let Some(s) = sums {
                let v = read(s);
                let n = n_batches as f32;
                final_loss = (
                    v.first().copied().unwrap_or(f32::NAN) / n,
                    v.get(1).copied().unwrap_or(f32::NAN) / n,
                );
            }
        }
        if !(final_loss.0.is_finite() && final_loss.1.is_finite()) {
            return Err(TeacherError::Demos(format!(
                "behaviour cloning diverged (loss {:?})",
                final_loss
            )));
        }
        Ok(Self {
            env_id: demos.env_id.clone(),
            action_space: demos.action_space.clone(),
            net: net.valid(),
            device,
            obs_norm,
            value_mean: ret_norm.mean[0],
            value_scale: ret_norm.scale[0],
            final_loss,
            mask: vec![true; action_dim],
        })
    }

    /// [`LearnedTeacher::fit`] on a demonstrations file's bytes.
    pub fn from_bytes(
        bytes: &[u8],
        config: &LearnedTeacherConfig,
        seed: u64,
    ) -> Result<Self, TeacherError> {
        let demos = Demos::from_bytes(bytes)?;
        Self::fit(&demos, config, seed)
    }

    /// The env the demonstrations came from: the only one this teacher can judge.
    pub fn env_id(&self) -> &str {
        &self.env_id
    }

    /// Mean policy and value losses over the last epoch (value loss on standardised returns).
    pub fn final_loss(&self) -> (f32, f32) {
        self.final_loss
    }

    /// Policy outputs and the value for one raw observation.
    fn predict(&self, obs: &[f32]) -> (Vec<f32>, f64) {
        let mut x = obs.to_vec();
        self.obs_norm.apply(&mut x);
        let x = Tensor::<2>::from_data(TensorData::new(x, [1, obs.len()]), &self.device);
        let (policy, value) = self.net.forward(x);
        let packed = Tensor::cat(vec![policy.squeeze_dim::<1>(0), value], 0);
        let mut out = read(packed);
        let v = out.pop().unwrap_or(f32::NAN);
        (out, (self.value_mean + self.value_scale * v) as f64)
    }
}

/// Reads a tensor back as `f32`s (empty if the read fails).
fn read(t: Tensor<1>) -> Vec<f32> {
    block_on(t.into_data_async())
        .ok()
        .and_then(|d| d.try_to_vec::<f32>().ok())
        .unwrap_or_default()
}

impl From<DemosError> for TeacherError {
    fn from(e: DemosError) -> Self {
        TeacherError::Demos(e.to_string())
    }
}

impl Teacher for LearnedTeacher {
    fn name(&self) -> String {
        "demo".into()
    }

    /// The value head; NaN for an observation of the wrong length (another env's).
    fn value(&mut self, state: TeacherView<'_>) -> f64 {
        if state.obs.len() != self.obs_norm.mean.len() {
            return f64::NAN;
        }
        self.predict(state.obs).1
    }

    fn policy(&mut self, state: TeacherView<'_>, out: &mut [f32]) {
        if state.obs.len() != self.obs_norm.mean.len() {
            out.fill(f32::NAN);
            return;
        }
        let (head, _) = self.predict(state.obs);
        match &self.action_space {
            Space::Discrete { .. } => {
                self.mask.fill(true);
                if self.mask.len() == out.len() {
                    state.env.action_mask(&mut self.mask);
                }
                let legal = |a: usize| self.mask.get(a).copied().unwrap_or(false);
                let max = (0..head.len())
                    .filter(|&a| legal(a))
                    .map(|a| head[a])
                    .fold(f32::NEG_INFINITY, f32::max);
                let mut total = 0.0f32;
                for (a, o) in out.iter_mut().enumerate() {
                    *o = match head.get(a) {
                        Some(&l) if legal(a) => (l - max).exp(),
                        _ => 0.0,
                    };
                    total += *o;
                }
                if total > 0.0 {
                    out.iter_mut().for_each(|o| *o /= total);
                }
            }
            Space::Box { low, high, .. } => {
                for (i, o) in out.iter_mut().enumerate() {
                    *o = match (head.get(i), low.get(i), high.get(i)) {
                        (Some(&x), Some(&l), Some(&h)) => x.clamp(l, h),
                        _ => f32::NAN,
                    };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::{self, Action, Env};
    use crate::feedback::demos::greedy_action;
    use crate::feedback::demos::tests::lean_demos;

    fn view<'a>(env: &'a dyn Env, obs: &'a [f32]) -> TeacherView<'a> {
        TeacherView { env, obs }
    }

    /// Mean episode length of greedy play by `teacher` on CartPole over `episodes` seeds.
    fn mean_length(teacher: &mut dyn Teacher, episodes: u64) -> f64 {
        let mut env = env::make("CartPole-v1").expect("env");
        let mut obs = vec![0.0f32; 4];
        let mut total = 0usize;
        for e in 0..episodes {
            env.reset(Some(1000 + e), &mut obs);
            loop {
                total += 1;
                let a = greedy_action(
                    teacher,
                    TeacherView {
                        env: &env,
                        obs: &obs,
                    },
                );
                let step = env.step(a.as_action(), &mut obs).expect("legal");
                if step.terminated || step.truncated {
                    break;
                }
            }
        }
        total as f64 / episodes as f64
    }

    #[test]
    fn cloned_cartpole_teacher_balances_and_is_deterministic() {
        let demos = lean_demos(6, 1);
        let config = LearnedTeacherConfig::new();
        let mut teacher = LearnedTeacher::fit(&demos, &config, 3).expect("fits");
        assert_eq!(teacher.name(), "demo");
        assert_eq!(teacher.env_id(), "CartPole-v1");
        let len = mean_length(&mut teacher, 10);
        assert!(len > 200.0, "cloned policy balances only {len} steps");

        // A random policy falls within a few dozen steps.
        let mut rng = AgentRng::new(9);
        let mut env = env::make("CartPole-v1").expect("env");
        let mut obs = vec![0.0f32; 4];
        let mut random_total = 0usize;
        for e in 0..10 {
            env.reset(Some(1000 + e), &mut obs);
            loop {
                random_total += 1;
                let step = env
                    .step(Action::Discrete(rng.below(2)), &mut obs)
                    .expect("legal");
                if step.terminated || step.truncated {
                    break;
                }
            }
        }
        assert!((random_total as f64 / 10.0) < 60.0);

        // The value head gives an upright state a return-to-go on the demos' scale, the
        // standardisation undone. (The demos never fall, so they cannot teach it what a fall
        // is worth: a state about to fall is outside what it learned.)
        let upright = [0.0f32, 0.0, 0.0, 0.0];
        let falling = [0.0f32, 0.0, 0.2, 1.5];
        let targets: Vec<f64> = demos
            .episodes
            .iter()
            .flat_map(|ep| ep.returns_to_go(config.gamma))
            .collect();
        let lowest = targets.iter().copied().fold(f64::INFINITY, f64::min);
        let highest = targets.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let up_v = teacher.value(view(&env, &upright));
        assert!(
            (lowest..=highest).contains(&up_v) && highest - lowest > 10.0,
            "{up_v} outside the demos' returns-to-go [{lowest}, {highest}]"
        );
        let fall_v = teacher.value(view(&env, &falling));

        // Probabilities sum to one and favour pushing toward the lean.
        let mut p = [0.0f32; 2];
        teacher.policy(view(&env, &[0.0, 0.0, 0.05, 0.3]), &mut p);
        assert!((p[0] + p[1] - 1.0).abs() < 1e-5 && p[1] > 0.5, "{p:?}");

        // Same demos, config and seed: the same teacher.
        let mut again = LearnedTeacher::fit(&demos, &config, 3).expect("fits");
        assert_eq!(again.final_loss(), teacher.final_loss());
        assert_eq!(again.value(view(&env, &falling)), fall_v);
    }

    #[test]
    fn cloned_continuous_teacher_predicts_actions_within_bounds() {
        // Pump energy: push the way the car is already moving.
        let mut pump = |v: TeacherView<'_>| {
            DemoAction::Continuous(vec![if v.obs[1] >= 0.0 { 1.0 } else { -1.0 }])
        };
        let demos = crate::feedback::demos::record("MountainCarContinuous-v0", 8, 2, &mut pump)
            .expect("records");
        assert!(demos.mean_return() > 50.0, "{}", demos.mean_return());
        // A few hundred steps: more passes than the default.
        let config = LearnedTeacherConfig::new().with_epochs(150);
        let mut teacher = LearnedTeacher::fit(&demos, &config, 5).expect("fits");
        let env = env::make("MountainCarContinuous-v0").expect("env");
        let mut a = [0.0f32];
        teacher.policy(view(&env, &[-0.5, 0.03]), &mut a);
        assert!(a[0] > 0.5 && a[0] <= 1.0, "{a:?}");
        teacher.policy(view(&env, &[-0.5, -0.03]), &mut a);
        assert!(a[0] < -0.5 && a[0] >= -1.0, "{a:?}");
        // Close to the flag with speed beats resting at the bottom.
        let near = teacher.value(view(&env, &[0.4, 0.04]));
        let rest = teacher.value(view(&env, &[-0.5, 0.0]));
        assert!(near > rest, "{near} vs {rest}");
        // Another env's observation gives no value rather than a wrong one.
        assert!(teacher.value(view(&env, &[0.0; 4])).is_nan());
    }

    #[test]
    fn cloned_game_teacher_gives_illegal_moves_no_probability() {
        // Play the lowest free cell: the clone must never suggest an occupied one.
        let mut lowest = |v: TeacherView<'_>| {
            let mut mask = [false; 9];
            v.env.action_mask(&mut mask);
            DemoAction::Discrete(mask.iter().position(|&m| m).unwrap_or(0))
        };
        let demos =
            crate::feedback::demos::record("TicTacToe-v0", 20, 0, &mut lowest).expect("records");
        let config = LearnedTeacherConfig::new().with_epochs(10);
        let mut teacher = LearnedTeacher::fit(&demos, &config, 1).expect("fits");
        let mut env = env::make("TicTacToe-v0").expect("env");
        let mut obs = vec![0.0f32; env.spec().observation_space.flat_dim()];
        env.reset(Some(4), &mut obs);
        env.step(Action::Discrete(0), &mut obs).expect("legal");
        let mut mask = [true; 9];
        env.action_mask(&mut mask);
        let mut p = [0.0f32; 9];
        teacher.policy(view(&env, &obs), &mut p);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{p:?}");
        for (cell, (&legal, &prob)) in mask.iter().zip(&p).enumerate() {
            assert!(legal || prob == 0.0, "cell {cell} is taken but has {prob}");
        }
        assert!(mask.iter().filter(|&&m| !m).count() >= 2);
    }

    #[test]
    fn rejects_bad_configs_and_empty_demos() {
        let demos = lean_demos(1, 0);
        for config in [
            LearnedTeacherConfig::new().with_gamma(1.5),
            LearnedTeacherConfig::new().with_learning_rate(f64::NAN),
            LearnedTeacherConfig::new().with_epochs(0),
            LearnedTeacherConfig::new().with_hidden(0),
        ] {
            let err = LearnedTeacher::fit(&demos, &config, 0).err();
            assert!(
                matches!(err, Some(TeacherError::BadOption(_))),
                "{config:?}"
            );
        }
        let mut empty = demos.clone();
        empty.episodes.clear();
        let err = LearnedTeacher::fit(&empty, &LearnedTeacherConfig::new(), 0).err();
        assert!(matches!(err, Some(TeacherError::Demos(_))));
        let err = LearnedTeacher::from_bytes(b"{}", &LearnedTeacherConfig::new(), 0).err();
        assert_eq!(
            err.map(|e| e.to_string()),
            Some(
                "bad demonstrations: not a demonstrations file: \"format\" is missing, \
                 expected \"rlaif-demos\""
                    .into()
            )
        );
    }
}
