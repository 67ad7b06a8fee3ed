//! `lqr`: a linear-quadratic regulator on Gymnasium's cart-pole, linearised about upright.
//!
//! The gain comes from iterating the discrete Riccati equation on the Euler-discretised
//! linearisation of the env's own equations (its constants, its 0.02 s step), so it tracks
//! the env rather than a hard-coded number. The env only pushes with +-10 N, so the teacher
//! suggests pushing right with probability `sigmoid(u / 1 N)` for the LQR force `u`.
//!
//! `Phi(s) = 1 - s'Ps / c`, with `c` the cost-to-go of the pole at rest at the 12 degree
//! failure angle: 1 when balanced at the centre, 0 at the edge of failure, and
//! [`FAILED`] once the episode has terminated.

use super::{Teacher, TeacherError, TeacherView};
use crate::env::classic::cartpole::{
    GRAVITY, LENGTH, MASSPOLE, POLEMASS_LENGTH, TAU, THETA_THRESHOLD_RADIANS, TOTAL_MASS,
    X_THRESHOLD,
};

/// Value of a terminated state.
pub const FAILED: f64 = -1.0;
/// State cost weights for `[x, x_dot, theta, theta_dot]`: the angle matters most.
const Q: [f64; 4] = [1.0, 1.0, 10.0, 1.0];
/// Cost of force (per newton squared).
const R: f64 = 0.1;
/// Force scale of the push-right probability.
const FORCE_SCALE: f64 = 1.0;

type Mat = [[f64; 4]; 4];

pub fn judges(env_id: &str) -> bool {
    env_id == "CartPole-v1"
}

pub fn make(_env_id: &str, option: Option<&str>) -> Result<Box<dyn Teacher>, TeacherError> {
    if let Some(o) = option {
        return Err(TeacherError::BadOption(format!(
            "lqr takes no option, got {o:?}"
        )));
    }
    Ok(Box::new(Lqr::new()))
}

/// The LQR controller and its cost-to-go matrix.
pub struct Lqr {
    /// `u = -K s`.
    gain: [f64; 4],
    /// Cost-to-go `s'Ps`.
    p: Mat,
    /// `s'Ps` at the failure angle, the value's scale.
    fail_cost: f64,
}

impl Default for Lqr {
    fn default() -> Self {
        Self::new()
    }
}

/// `x = Ax + Bu`: Gymnasium's Euler step linearised at the upright rest state.
fn linearised() -> (Mat, [f64; 4]) {
    let denom = LENGTH * (4.0 / 3.0 - MASSPOLE / TOTAL_MASS);
    let theta_acc_theta = GRAVITY / denom;
    let theta_acc_force = -1.0 / (TOTAL_MASS * denom);
    let x_acc_theta = -POLEMASS_LENGTH * theta_acc_theta / TOTAL_MASS;
    let x_acc_force = 1.0 / TOTAL_MASS - POLEMASS_LENGTH * theta_acc_force / TOTAL_MASS;
    let a = [
        [1.0, TAU, 0.0, 0.0],
        [0.0, 1.0, TAU * x_acc_theta, 0.0],
        [0.0, 0.0, 1.0, TAU],
        [0.0, 0.0, TAU * theta_acc_theta, 1.0],
    ];
    let b = [0.0, TAU * x_acc_force, 0.0, TAU * theta_acc_force];
    (a, b)
}

fn quad(p: &Mat, s: &[f64; 4]) -> f64 {
    (0..4)
        .map(|i| (0..4).map(|j| s[i] * p[i][j] * s[j]).sum::<f64>())
        .sum()
}

/// Iterates `P = Q + A'PA - A'PB (R + B'PB)^-1 B'PA` to a fixed point; returns `P` and `K`.
fn riccati(a: &Mat, b: &[f64; 4]) -> (Mat, [f64; 4]) {
    let mut p: Mat = [[0.0; 4]; 4];
    for (i, row) in p.iter_mut().enumerate() {
        row[i] = Q[i];
    }
    let mut k = [0.0; 4];
    for _ in 0..5000 {
        // PA, PB, B'PB, B'PA.
        let pa: Mat = std::array::from_fn(|i| {
            std::array::from_fn(|j| (0..4).map(|m| p[i][m] * a[m][j]).sum())
        });
        let pb: [f64; 4] = std::array::from_fn(|i| (0..4).map(|m| p[i][m] * b[m]).sum());
        let bpb: f64 = (0..4).map(|i| b[i] * pb[i]).sum();
        let bpa: [f64; 4] = std::array::from_fn(|j| (0..4).map(|i| b[i] * pa[i][j]).sum());
        k = bpa.map(|v| v / (R + bpb));
        let next: Mat = std::array::from_fn(|i| {
            std::array::from_fn(|j| {
                let apa: f64 = (0..4).map(|m| a[m][i] * pa[m][j]).sum();
                let q = if i == j { Q[i] } else { 0.0 };
                q + apa - bpa[i] * k[j]
            })
        });
        // Rounding makes the iterate drift from symmetric, and the drift grows: symmetrise.
        let next: Mat =
            std::array::from_fn(|i| std::array::from_fn(|j| 0.5 * (next[i][j] + next[j][i])));
        let change = (0..4)
            .flat_map(|i| (0..4).map(move |j| (i, j)))
            .map(|(i, j)| (next[i][j] - p[i][j]).abs())
            .fold(0.0, f64::max);
        p = next;
        if change < 1e-10 {
            break;
        }
    }
    (p, k)
}

impl Lqr {
    pub fn new() -> Self {
        let (a, b) = linearised();
        let (p, gain) = riccati(&a, &b);
        let fail_cost = quad(&p, &[0.0, 0.0, THETA_THRESHOLD_RADIANS, 0.0]);
        Self { gain, p, fail_cost }
    }

    /// The LQR force (newtons) for a state `[x, x_dot, theta, theta_dot]`.
    pub fn force(&self, s: &[f64; 4]) -> f64 {
        -(0..4).map(|i| self.gain[i] * s[i]).sum::<f64>()
    }

    /// Cost-to-go `s'Ps` under the linear model.
    pub fn cost(&self, s: &[f64; 4]) -> f64 {
        quad(&self.p, s)
    }
}

/// The state from the observation (CartPole's observation is its state).
fn state(obs: &[f32]) -> [f64; 4] {
    std::array::from_fn(|i| obs.get(i).map_or(0.0, |&v| f64::from(v)))
}

impl Teacher for Lqr {
    fn name(&self) -> String {
        "lqr".into()
    }

    fn value(&mut self, view: TeacherView<'_>) -> f64 {
        let s = state(view.obs);
        if s[0].abs() > X_THRESHOLD || s[2].abs() > THETA_THRESHOLD_RADIANS {
            return FAILED;
        }
        (1.0 - self.cost(&s) / self.fail_cost).max(FAILED)
    }

    fn policy(&mut self, view: TeacherView<'_>, out: &mut [f32]) {
        let u = self.force(&state(view.obs));
        let right = 1.0 / (1.0 + (-u / FORCE_SCALE).exp());
        if let [left, r, ..] = out {
            *left = (1.0 - right) as f32;
            *r = right as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::{Action, registry};

    #[test]
    fn gain_pushes_towards_a_falling_pole() {
        let lqr = Lqr::new();
        // Pole leaning right: push the cart right to get under it.
        assert!(lqr.force(&[0.0, 0.0, 0.05, 0.0]) > 0.0);
        assert!(lqr.force(&[0.0, 0.0, -0.05, 0.0]) < 0.0);
        assert!(lqr.cost(&[0.0; 4]).abs() < 1e-12);
    }

    #[test]
    fn greedy_policy_balances_for_500_steps_on_several_seeds() {
        for seed in 0..5 {
            let mut env = registry::make("CartPole-v1").unwrap();
            let mut teacher = make("CartPole-v1", None).unwrap();
            let mut obs = vec![0.0; 4];
            env.reset(Some(seed), &mut obs);
            let mut policy = [0.0; 2];
            let mut total = 0.0;
            loop {
                let v = teacher.value(TeacherView {
                    env: &*env,
                    obs: &obs,
                });
                assert!(
                    v > FAILED && v <= 1.0,
                    "a live state is worth more than failure: {v}"
                );
                teacher.policy(
                    TeacherView {
                        env: &*env,
                        obs: &obs,
                    },
                    &mut policy,
                );
                let a = usize::from(policy[1] > policy[0]);
                let step = env.step(Action::Discrete(a), &mut obs).unwrap();
                total += step.reward;
                if step.terminated || step.truncated {
                    assert!(!step.terminated, "seed {seed}: fell after {total}");
                    break;
                }
            }
            assert_eq!(total, 500.0, "seed {seed}");
        }
    }

    #[test]
    fn terminated_states_are_worth_the_least() {
        let mut env = registry::make("CartPole-v1").unwrap();
        let mut teacher = Lqr::new();
        let obs = [0.0, 0.0, 0.3, 0.0];
        let near = [0.0, 0.0, 0.2, 0.0];
        let v_fail = teacher.value(TeacherView {
            env: &*env,
            obs: &obs,
        });
        let v_near = teacher.value(TeacherView {
            env: &*env,
            obs: &near,
        });
        assert_eq!(v_fail, FAILED);
        assert!(v_near > v_fail && v_near < 1.0);
        let mut o = vec![0.0; 4];
        env.reset(Some(1), &mut o);
    }
}
