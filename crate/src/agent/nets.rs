//! The actor and the critic: MLPs with tanh between layers, as in CleanRL's PPO, or ReLU.
//!
//! ReLU is there for speed: on the CPU backends tanh is a scalar libm call per element and
//! took about 45% of a small CartPole run's time; ReLU is a compare.
//!
//! Weights are initialised on the host from the agent's own generator (orthogonal, gain
//! sqrt(2) for hidden layers, 0.01 for the policy head, 1 for the value head), so a seed
//! gives the same network on every backend and in every build.

use super::rng::AgentRng;
use burn::config::Config;
use burn::module::{Module, Param, ParamId};
use burn::nn::Linear;
use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

/// The nonlinearity between hidden layers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// CleanRL's choice, and the default.
    #[default]
    Tanh,
    /// Cheaper on the CPU; preset files opt in.
    Relu,
}

impl Activation {
    fn apply(self, x: Tensor<2>) -> Tensor<2> {
        match self {
            Activation::Tanh => x.tanh(),
            Activation::Relu => burn::tensor::activation::relu(x),
        }
    }
}

/// A multilayer perceptron with an activation between layers and a linear output.
#[derive(Config, Debug)]
pub struct MlpConfig {
    pub d_input: usize,
    pub d_hidden: usize,
    pub d_output: usize,
    /// Number of hidden layers.
    #[config(default = 2)]
    pub n_hidden: usize,
    /// Orthogonal-init gain of the output layer.
    #[config(default = 1.0)]
    pub output_gain: f64,
    #[config(default = "Activation::Tanh")]
    pub activation: Activation,
}

#[derive(Module, Debug)]
pub struct Mlp {
    pub hidden: Vec<Linear>,
    pub output: Linear,
    #[module(skip)]
    pub activation: Activation,
}

impl MlpConfig {
    /// Initialises the layers from `seed` (see the module docs).
    pub fn init(&self, seed: u64, device: &Device) -> Mlp {
        let mut rng = AgentRng::new(seed);
        let mut d_in = self.d_input;
        let mut hidden = Vec::with_capacity(self.n_hidden);
        for _ in 0..self.n_hidden {
            hidden.push(orthogonal_linear(
                d_in,
                self.d_hidden,
                2f64.sqrt(),
                &mut rng,
                device,
            ));
            d_in = self.d_hidden;
        }
        let output = orthogonal_linear(d_in, self.d_output, self.output_gain, &mut rng, device);
        Mlp {
            hidden,
            output,
            activation: self.activation,
        }
    }
}

impl Mlp {
    /// `x`: `[batch, d_input]` -> `[batch, d_output]`.
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let mut h = x;
        for layer in &self.hidden {
            h = self.activation.apply(layer.forward(h));
        }
        self.output.forward(h)
    }
}

/// A `Linear` with an orthogonal `[d_in, d_out]` weight times `gain` and a zero bias. The
/// parameter ids come from the generator too, so optimizer state keyed by id is reproducible.
fn orthogonal_linear(
    d_in: usize,
    d_out: usize,
    gain: f64,
    rng: &mut AgentRng,
    device: &Device,
) -> Linear {
    let w = orthogonal(d_in, d_out, gain, rng);
    let weight = Tensor::<2>::from_data(TensorData::new(w, [d_in, d_out]), device);
    let bias = Tensor::<1>::zeros([d_out], device);
    Linear {
        weight: trainable(rng.next_u64(), weight),
        bias: Some(trainable(rng.next_u64(), bias)),
    }
}

/// A parameter that takes gradients, with a chosen id.
fn trainable<const D: usize>(id: u64, value: Tensor<D>) -> Param<Tensor<D>> {
    let mut p = Param::from_tensor(value);
    p.id = ParamId::from(id);
    p
}

/// A `rows x cols` matrix (row-major) with orthonormal rows or columns, whichever are fewer,
/// times `gain`: Gram-Schmidt on Gaussian vectors, as `torch.nn.init.orthogonal_` via QR.
pub fn orthogonal(rows: usize, cols: usize, gain: f64, rng: &mut AgentRng) -> Vec<f32> {
    // Orthonormalise the shorter side: k vectors of length n.
    let (k, n) = if rows <= cols {
        (rows, cols)
    } else {
        (cols, rows)
    };
    let mut vecs: Vec<Vec<f64>> = Vec::with_capacity(k);
    while vecs.len() < k {
        let mut v: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        for u in &vecs {
            let dot: f64 = v.iter().zip(u).map(|(a, b)| a * b).sum();
            v.iter_mut().zip(u).for_each(|(a, b)| *a -= dot * b);
        }
        let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        if norm > 1e-6 {
            v.iter_mut().for_each(|a| *a /= norm);
            vecs.push(v);
        }
    }
    let mut out = vec![0.0f32; rows * cols];
    for r in 0..rows {
        for c in 0..cols {
            let x = if rows <= cols { vecs[r][c] } else { vecs[c][r] };
            out[r * cols + c] = (x * gain) as f32;
        }
    }
    out
}

/// The policy and the value function, trained together by one optimizer.
#[derive(Module, Debug)]
pub struct ActorCritic {
    /// Logits (discrete) or action means (continuous).
    pub actor: Mlp,
    pub critic: Mlp,
    /// State-independent log standard deviations (continuous actions only).
    pub log_std: Option<Param<Tensor<1>>>,
}

#[derive(Config, Debug)]
pub struct ActorCriticConfig {
    pub obs_dim: usize,
    /// Number of discrete actions, or the continuous action dimension.
    pub action_dim: usize,
    pub continuous: bool,
    #[config(default = 64)]
    pub hidden: usize,
    #[config(default = 2)]
    pub layers: usize,
    #[config(default = 0.0)]
    pub init_log_std: f64,
    #[config(default = "Activation::Tanh")]
    pub activation: Activation,
}

impl ActorCriticConfig {
    pub fn init(&self, seed: u64, device: &Device) -> ActorCritic {
        let actor = MlpConfig::new(self.obs_dim, self.hidden, self.action_dim)
            .with_n_hidden(self.layers)
            .with_output_gain(0.01)
            .with_activation(self.activation)
            .init(super::rng::mix_seed(seed, 1), device);
        let critic = MlpConfig::new(self.obs_dim, self.hidden, 1)
            .with_n_hidden(self.layers)
            .with_output_gain(1.0)
            .with_activation(self.activation)
            .init(super::rng::mix_seed(seed, 2), device);
        let log_std = self.continuous.then(|| {
            trainable(
                super::rng::mix_seed(seed, 3),
                Tensor::<1>::full([self.action_dim], self.init_log_std, device),
            )
        });
        ActorCritic {
            actor,
            critic,
            log_std,
        }
    }
}

impl ActorCritic {
    /// `obs`: `[batch, obs_dim]` -> (policy output `[batch, action_dim]`, values `[batch]`).
    pub fn forward(&self, obs: Tensor<2>) -> (Tensor<2>, Tensor<1>) {
        let policy = self.actor.forward(obs.clone());
        let value = self.critic.forward(obs).squeeze_dim::<1>(1);
        (policy, value)
    }

    /// Policy outputs and values side by side, `[batch, action_dim + 1]`, so that a rollout
    /// step reads everything back in one transfer.
    pub fn forward_packed(&self, obs: Tensor<2>) -> Tensor<2> {
        let policy = self.actor.forward(obs.clone());
        let value = self.critic.forward(obs);
        Tensor::cat(vec![policy, value], 1)
    }

    /// Critic only, `[batch, obs_dim]` -> `[batch]`.
    pub fn value(&self, obs: Tensor<2>) -> Tensor<1> {
        self.critic.forward(obs).squeeze_dim::<1>(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orthogonal_has_orthonormal_columns_times_gain() {
        let mut rng = AgentRng::new(5);
        let (rows, cols) = (6, 3);
        let w = orthogonal(rows, cols, 2.0, &mut rng);
        for a in 0..cols {
            for b in 0..cols {
                let dot: f64 = (0..rows)
                    .map(|r| w[r * cols + a] as f64 * w[r * cols + b] as f64)
                    .sum();
                let expected = if a == b { 4.0 } else { 0.0 };
                assert!((dot - expected).abs() < 1e-4, "{a} {b} {dot}");
            }
        }
    }
}
