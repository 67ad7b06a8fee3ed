//! Action distributions: a masked categorical (discrete actions; games mask illegal moves)
//! and a diagonal Gaussian (continuous actions).
//!
//! Each has two halves. Sampling during the rollout happens on the host from the one batch
//! of network outputs read back per step, so it needs no tensor ops. Log-probabilities and
//! entropy during the update are tensor ops, so gradients flow through them.

use burn::tensor::{Bool, Int, Tensor};

/// Logit given to masked actions: exp() of it is exactly 0 in f32, and it stays finite so
/// `p * log p` is `0 * finite = 0` rather than NaN.
pub const MASKED_LOGIT: f32 = -1.0e9;

const LOG_SQRT_2PI: f64 = 0.918_938_533_204_672_7;

/// Samples from softmax(`logits`) restricted to actions where `mask` is true, using the
/// uniform draw `u` in `[0, 1)`. Returns the action and its log-probability. An empty mask
/// (no legal action) falls back to every action, so this never fails.
pub fn sample_masked_categorical(logits: &[f32], mask: Option<&[bool]>, u: f64) -> (usize, f32) {
    let legal = |a: usize| mask.is_none_or(|m| m[a]) || mask.is_some_and(|m| !m.contains(&true));
    let max = (0..logits.len())
        .filter(|&a| legal(a))
        .map(|a| logits[a] as f64)
        .fold(f64::NEG_INFINITY, f64::max);
    let total: f64 = (0..logits.len())
        .filter(|&a| legal(a))
        .map(|a| (logits[a] as f64 - max).exp())
        .sum();
    let target = u * total;
    let mut acc = 0.0;
    let mut chosen = None;
    for a in (0..logits.len()).filter(|&a| legal(a)) {
        acc += (logits[a] as f64 - max).exp();
        chosen = Some(a);
        if acc > target {
            break;
        }
    }
    let a = chosen.unwrap_or(0);
    let logp = logits[a] as f64 - max - total.ln();
    (a, logp as f32)
}

/// The most probable legal action (for evaluation and greedy play).
pub fn greedy_masked(logits: &[f32], mask: Option<&[bool]>) -> usize {
    let mut best = None;
    for (a, &l) in logits.iter().enumerate() {
        if mask.is_some_and(|m| !m[a]) {
            continue;
        }
        if best.is_none_or(|(_, b)| l > b) {
            best = Some((a, l));
        }
    }
    best.map_or(0, |(a, _)| a)
}

/// Log-density of `x` under `N(mean, exp(log_std)^2)`, summed over dimensions.
pub fn gaussian_log_prob(x: &[f32], mean: &[f32], log_std: &[f32]) -> f64 {
    x.iter()
        .zip(mean)
        .zip(log_std)
        .map(|((&x, &m), &ls)| {
            let z = (x as f64 - m as f64) / (ls as f64).exp();
            -0.5 * z * z - ls as f64 - LOG_SQRT_2PI
        })
        .sum()
}

/// Log-probabilities of the taken `actions` and the entropies under masked categoricals.
///
/// Shapes: `logits` `[batch, n_actions]`, `mask` `[batch, n_actions]` (true = legal),
/// `actions` `[batch, 1]`; returns (`[batch]`, `[batch]`).
pub fn categorical_log_prob_entropy(
    logits: Tensor<2>,
    mask: Option<Tensor<2, Bool>>,
    actions: Tensor<2, Int>,
) -> (Tensor<1>, Tensor<1>) {
    let logits = match mask {
        Some(mask) => logits.mask_fill(mask.bool_not(), MASKED_LOGIT),
        None => logits,
    };
    let log_p = burn::tensor::activation::log_softmax(logits, 1);
    let p = log_p.clone().exp();
    let entropy = (p * log_p.clone()).sum_dim(1).neg().squeeze_dim::<1>(1);
    let taken = log_p.gather(1, actions).squeeze_dim::<1>(1);
    (taken, entropy)
}

/// Cross-entropy `-sum_a target(a) * log pi(a)` of the masked categorical against target
/// probabilities (the advice term: its gradient is that of `KL(target || pi)`).
///
/// Shapes: `logits` and `target` `[batch, n_actions]`, `mask` as above; returns `[batch]`.
pub fn categorical_cross_entropy(
    logits: Tensor<2>,
    mask: Option<Tensor<2, Bool>>,
    target: Tensor<2>,
) -> Tensor<1> {
    let logits = match mask {
        Some(mask) => logits.mask_fill(mask.bool_not(), MASKED_LOGIT),
        None => logits,
    };
    let log_p = burn::tensor::activation::log_softmax(logits, 1);
    (target * log_p).sum_dim(1).neg().squeeze_dim::<1>(1)
}

/// Log-densities of `actions` and entropies under diagonal Gaussians.
///
/// Shapes: `mean` `[batch, dim]`, `log_std` `[dim]`, `actions` `[batch, dim]`; returns
/// (`[batch]`, `[batch]`).
pub fn gaussian_log_prob_entropy(
    mean: Tensor<2>,
    log_std: Tensor<1>,
    actions: Tensor<2>,
) -> (Tensor<1>, Tensor<1>) {
    let [batch, dim] = mean.dims();
    let log_std = log_std.unsqueeze_dim::<2>(0).expand([batch, dim]);
    let z = (actions - mean) / log_std.clone().exp();
    let log_p = (z.square().mul_scalar(-0.5) - log_std.clone()).sub_scalar(LOG_SQRT_2PI);
    let entropy = log_std.add_scalar(0.5 + LOG_SQRT_2PI).sum_dim(1);
    (
        log_p.sum_dim(1).squeeze_dim::<1>(1),
        entropy.squeeze_dim::<1>(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::rng::AgentRng;
    use burn::tensor::{Device, TensorData};

    fn device() -> Device {
        crate::backend::CpuBackend::NdArray.device()
    }

    #[test]
    fn masked_categorical_never_samples_a_masked_action() {
        let logits = [5.0f32, 0.0, 3.0, -1.0];
        let mask = [false, true, false, true];
        let mut rng = AgentRng::new(3);
        let mut counts = [0usize; 4];
        for _ in 0..5000 {
            let (a, logp) = sample_masked_categorical(&logits, Some(&mask), rng.uniform());
            counts[a] += 1;
            // Legal set {1, 3}: p(1) = e^0 / (e^0 + e^-1).
            let p1 = 1.0 / (1.0 + (-1.0f64).exp());
            let expected = if a == 1 { p1.ln() } else { (1.0 - p1).ln() };
            assert!((logp as f64 - expected).abs() < 1e-6);
        }
        assert_eq!(counts[0] + counts[2], 0);
        let frac = counts[1] as f64 / 5000.0;
        assert!((frac - 0.731).abs() < 0.03, "{frac}");
        // u at the edges picks the first and the last legal action.
        assert_eq!(sample_masked_categorical(&logits, Some(&mask), 0.0).0, 1);
        assert_eq!(
            sample_masked_categorical(&logits, Some(&mask), 0.999_999).0,
            3
        );
        assert_eq!(greedy_masked(&logits, Some(&mask)), 1);
        assert_eq!(greedy_masked(&logits, None), 0);
    }

    #[test]
    fn categorical_log_prob_and_entropy_match_hand_values() {
        let d = device();
        let logits = Tensor::<2>::from_data(
            TensorData::new(vec![0.0f32, 0.0, 0.0, 1.0, 2.0, 3.0], [2, 3]),
            &d,
        );
        let mask = Tensor::<2, Bool>::from_data(
            TensorData::new(vec![true, true, false, true, true, true], [2, 3]),
            &d,
        );
        let actions = Tensor::<2, Int>::from_data(TensorData::new(vec![1i64, 2], [2, 1]), &d);
        let (logp, ent) = categorical_log_prob_entropy(logits, Some(mask), actions);
        let logp = logp.into_data().try_to_vec::<f32>().unwrap();
        let ent = ent.into_data().try_to_vec::<f32>().unwrap();
        // Row 0: two legal equal logits -> p = 1/2 each, entropy ln 2.
        assert!((logp[0] - 0.5f32.ln()).abs() < 1e-6);
        assert!((ent[0] - 2f32.ln()).abs() < 1e-6);
        // Row 1: softmax(1, 2, 3).
        let z: f64 = [1.0f64, 2.0, 3.0].iter().map(|x| x.exp()).sum();
        let p: Vec<f64> = [1.0f64, 2.0, 3.0].iter().map(|x| x.exp() / z).collect();
        assert!((logp[1] as f64 - p[2].ln()).abs() < 1e-6);
        let h: f64 = -p.iter().map(|p| p * p.ln()).sum::<f64>();
        assert!((ent[1] as f64 - h).abs() < 1e-6);
    }

    #[test]
    fn gaussian_log_prob_matches_the_formula() {
        let x = [0.5f32, -1.0];
        let mean = [0.0f32, 1.0];
        let log_std = [0.0f32, 2f32.ln()];
        // N(0,1) at 0.5 and N(1, 2^2) at -1, each -z^2/2 - ln(sigma) - ln(sqrt(2 pi)).
        let expected = (-0.125 - LOG_SQRT_2PI) + (-0.5 - 2f64.ln() - LOG_SQRT_2PI);
        assert!((gaussian_log_prob(&x, &mean, &log_std) - expected).abs() < 1e-6);
        let d = device();
        let t = |v: &[f32]| Tensor::<2>::from_data(TensorData::new(v.to_vec(), [1, 2]), &d);
        let ls = Tensor::<1>::from_data(TensorData::new(log_std.to_vec(), [2]), &d);
        let (logp, ent) = gaussian_log_prob_entropy(t(&mean), ls, t(&x));
        let logp = logp.into_scalar::<f32>() as f64;
        assert!((logp - expected).abs() < 1e-5, "{logp} {expected}");
        let h = 2.0 * (0.5 + LOG_SQRT_2PI) + 2f64.ln();
        assert!((ent.into_scalar::<f32>() as f64 - h).abs() < 1e-5);
    }
}
