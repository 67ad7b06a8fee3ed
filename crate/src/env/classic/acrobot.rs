//! `Acrobot-v1`: swing a two-link pendulum's tip above a line by torquing the middle joint.
//!
//! Gymnasium's "book" dynamics without torque noise, integrated with its own `rk4` over one
//! 0.2 s step. Every expression follows Gymnasium's order; NumPy array arithmetic is
//! element-wise, so `y0 + dt2 * k1` is `y0[i] + (dt2 * k1[i])` for each element.

use super::npmath::{np_square, py_bound};
use super::{check_obs_len, default_rng, reseed, state_array, write_obs};
use crate::env::np_random::Generator;
use crate::env::{Action, Env, EnvError, EnvSpec, Scene, Space, Step, discrete_action};
use std::f64::consts::PI;

const DT: f64 = 0.2;
const LINK_LENGTH_1: f64 = 1.0;
const LINK_MASS_1: f64 = 1.0;
const LINK_MASS_2: f64 = 1.0;
const LINK_COM_POS_1: f64 = 0.5;
const LINK_COM_POS_2: f64 = 0.5;
const LINK_MOI: f64 = 1.0;
const MAX_VEL_1: f64 = 4.0 * PI;
const MAX_VEL_2: f64 = 9.0 * PI;
const AVAIL_TORQUE: [f64; 3] = [-1.0, 0.0, 1.0];
/// Most iterations `wrap` runs before it switches to a closed form. Gymnasium's loop would
/// take hours for angles this far out (> 1e8 rad); the cap keeps a step bounded.
const WRAP_MAX_ITERATIONS: u32 = 1 << 24;

pub struct Acrobot {
    spec: EnvSpec,
    /// `[theta1, theta2, dtheta1, dtheta2]`; `None` before the first reset or `set_state`.
    state: Option<[f64; 4]>,
    last_torque: f64,
    /// Gymnasium's `np_random`.
    rng: Generator,
}

impl Acrobot {
    pub fn new() -> Self {
        let high = [1.0, 1.0, 1.0, 1.0, MAX_VEL_1 as f32, MAX_VEL_2 as f32];
        let low = high.map(|h| -h);
        Self {
            spec: EnvSpec {
                id: "Acrobot-v1".into(),
                observation_space: Space::box1(&low, &high),
                action_space: Space::Discrete { n: 3 },
                max_episode_steps: Some(500),
                reward_threshold: Some(-100.0),
                masked_actions: false,
            },
            state: None,
            last_torque: 0.0,
            rng: default_rng(),
        }
    }
}

impl Default for Acrobot {
    fn default() -> Self {
        Self::new()
    }
}

/// Gymnasium's `_get_ob`.
fn observation(s: [f64; 4]) -> [f64; 6] {
    [s[0].cos(), s[0].sin(), s[1].cos(), s[1].sin(), s[2], s[3]]
}

/// Gymnasium's `_dsdt` ("book" variant): the time derivative of `[theta1, theta2, dtheta1,
/// dtheta2, torque]`. Powers of state values (`x**2` on `np.float64`) go through NumPy's
/// `pow`; powers of constants are exact.
fn dsdt(s: &[f64; 5]) -> [f64; 5] {
    let m1 = LINK_MASS_1;
    let m2 = LINK_MASS_2;
    let l1 = LINK_LENGTH_1;
    let lc1 = LINK_COM_POS_1;
    let lc2 = LINK_COM_POS_2;
    let i1 = LINK_MOI;
    let i2 = LINK_MOI;
    let g = 9.8;
    let a = s[4];
    let theta1 = s[0];
    let theta2 = s[1];
    let dtheta1 = s[2];
    let dtheta2 = s[3];
    let d1 =
        m1 * (lc1 * lc1) + m2 * ((l1 * l1) + (lc2 * lc2) + 2.0 * l1 * lc2 * theta2.cos()) + i1 + i2;
    let d2 = m2 * ((lc2 * lc2) + l1 * lc2 * theta2.cos()) + i2;
    let phi2 = m2 * lc2 * g * (theta1 + theta2 - PI / 2.0).cos();
    let phi1 = -m2 * l1 * lc2 * np_square(dtheta2) * theta2.sin()
        - 2.0 * m2 * l1 * lc2 * dtheta2 * dtheta1 * theta2.sin()
        + (m1 * lc1 + m2 * l1) * g * (theta1 - PI / 2.0).cos()
        + phi2;
    let ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * np_square(dtheta1) * theta2.sin() - phi2)
        / (m2 * (lc2 * lc2) + i2 - np_square(d2) / d1);
    let ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
    [dtheta1, dtheta2, ddtheta1, ddtheta2, 0.0]
}

/// `a + c * b`, element-wise.
fn axpy(a: &[f64; 5], c: f64, b: &[f64; 5]) -> [f64; 5] {
    std::array::from_fn(|i| a[i] + c * b[i])
}

/// Gymnasium's `rk4(derivs, y0, [0, dt])`: one classic Runge-Kutta step.
fn rk4(y0: &[f64; 5]) -> [f64; 4] {
    let dt = DT - 0.0;
    let dt2 = dt / 2.0;
    let k1 = dsdt(y0);
    let k2 = dsdt(&axpy(y0, dt2, &k1));
    let k3 = dsdt(&axpy(y0, dt2, &k2));
    let k4 = dsdt(&axpy(y0, dt, &k3));
    let dt6 = dt / 6.0;
    std::array::from_fn(|i| y0[i] + dt6 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]))
}

/// Gymnasium's `wrap(x, m, M)`: shifts `x` by whole periods `M - m`, one at a time (each
/// subtraction rounds, so the loop is the definition).
fn wrap(mut x: f64, m: f64, big_m: f64) -> f64 {
    let diff = big_m - m;
    if !x.is_finite() {
        return x;
    }
    let mut budget = WRAP_MAX_ITERATIONS;
    while x > big_m && budget > 0 {
        x -= diff;
        budget -= 1;
    }
    while x < m && budget > 0 {
        x += diff;
        budget -= 1;
    }
    if budget == 0 && !(m..=big_m).contains(&x) {
        x = m + (x - m).rem_euclid(diff);
    }
    x
}

impl Env for Acrobot {
    fn spec(&self) -> &EnvSpec {
        &self.spec
    }

    /// Gymnasium draws the state uniformly from [-0.1, 0.1) and stores it as float32.
    fn reset(&mut self, seed: Option<u64>, obs: &mut [f32]) {
        reseed(&mut self.rng, seed);
        // `np_random.uniform(low=-0.1, high=0.1, size=(4,)).astype(np.float32)`.
        let state = [(); 4].map(|_| f64::from(self.rng.uniform(-0.1, 0.1) as f32));
        self.state = Some(state);
        self.last_torque = 0.0;
        write_obs(obs, observation(state));
    }

    fn step(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Step, EnvError> {
        let action = discrete_action(action, 3)?;
        check_obs_len(obs, 6)?;
        let s = self.state.ok_or(EnvError::NotReset)?;
        let torque = AVAIL_TORQUE[action];
        let s_augmented = [s[0], s[1], s[2], s[3], torque];
        let mut ns = rk4(&s_augmented);
        ns[0] = wrap(ns[0], -PI, PI);
        ns[1] = wrap(ns[1], -PI, PI);
        ns[2] = py_bound(ns[2], -MAX_VEL_1, MAX_VEL_1);
        ns[3] = py_bound(ns[3], -MAX_VEL_2, MAX_VEL_2);
        self.state = Some(ns);
        self.last_torque = torque;
        let terminated = -ns[0].cos() - (ns[1] + ns[0]).cos() > 1.0;
        write_obs(obs, observation(ns));
        Ok(Step {
            reward: if terminated { 0.0 } else { -1.0 },
            terminated,
            truncated: false,
        })
    }

    fn observe(&self, obs: &mut [f32]) {
        write_obs(obs, observation(self.state.unwrap_or_default()));
    }

    fn state(&self) -> Option<Vec<f64>> {
        Some(self.state.unwrap_or_default().to_vec())
    }

    fn set_state(&mut self, state: &[f64]) -> Result<(), EnvError> {
        self.state = Some(state_array(state)?);
        Ok(())
    }

    fn scene(&self) -> Scene {
        let s = self.state.unwrap_or_default();
        Scene::Acrobot {
            theta1: s[0],
            theta2: s[1],
            last_torque: self.last_torque,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_at(state: [f64; 4]) -> Acrobot {
        let mut env = Acrobot::new();
        env.set_state(&state).unwrap();
        env
    }

    #[test]
    fn spec_matches_gymnasium() {
        let env = Acrobot::new();
        let spec = env.spec();
        assert_eq!(spec.id, "Acrobot-v1");
        assert_eq!(spec.max_episode_steps, Some(500));
        assert_eq!(spec.reward_threshold, Some(-100.0));
        assert_eq!(spec.action_space, Space::Discrete { n: 3 });
        assert_eq!(
            spec.observation_space.describe(),
            "Box([-1 -1 -1 -1 -12.566371 -28.274334], [1 1 1 1 12.566371 28.274334], (6,), float32)"
        );
    }

    #[test]
    fn reset_is_small_float32_and_deterministic() {
        let mut env = Acrobot::new();
        let (mut a, mut b) = ([0.0; 6], [0.0; 6]);
        env.reset(Some(11), &mut a);
        let s = env.state().unwrap();
        for v in &s {
            assert!((-0.1..0.1).contains(v));
            assert_eq!(*v, f64::from(*v as f32));
        }
        assert_eq!(a[0], s[0].cos() as f32);
        assert_eq!(a[4], s[2] as f32);
        env.reset(Some(11), &mut b);
        assert_eq!(a, b);
    }

    #[test]
    fn hanging_still_stays_still_and_is_not_terminal() {
        let mut env = env_at([0.0; 4]);
        let step = env.step(Action::Discrete(1), &mut [0.0; 6]).unwrap();
        assert_eq!(step.reward, -1.0);
        assert!(!step.terminated);
        // Only rounding (cos(-pi/2) is 6e-17, not 0) moves it.
        assert!(env.state().unwrap().iter().all(|v| v.abs() < 1e-12));
    }

    #[test]
    fn torque_sign_follows_the_action() {
        let mut left = env_at([0.0; 4]);
        let mut right = env_at([0.0; 4]);
        left.step(Action::Discrete(0), &mut [0.0; 6]).unwrap();
        right.step(Action::Discrete(2), &mut [0.0; 6]).unwrap();
        // A positive torque on the second joint accelerates theta2 positively.
        assert!(right.state().unwrap()[3] > 0.0);
        assert!(left.state().unwrap()[3] < 0.0);
        assert!(matches!(right.scene(), Scene::Acrobot { last_torque, .. } if last_torque == 1.0));
    }

    #[test]
    fn terminates_with_the_tip_above_the_line() {
        let mut env = env_at([PI, 0.0, 0.0, 0.0]);
        let step = env.step(Action::Discrete(1), &mut [0.0; 6]).unwrap();
        assert!(step.terminated);
        assert_eq!(step.reward, 0.0);
    }

    #[test]
    fn wrap_shifts_by_whole_periods_and_stays_bounded() {
        assert_eq!(wrap(PI + 0.5, -PI, PI), PI + 0.5 - 2.0 * PI);
        assert_eq!(wrap(-PI - 0.5, -PI, PI), -PI - 0.5 + 2.0 * PI);
        assert_eq!(wrap(PI, -PI, PI), PI);
        let far = wrap(1e12, -PI, PI);
        assert!((-PI..=PI).contains(&far));
        assert!(wrap(f64::NAN, -PI, PI).is_nan());
        assert_eq!(wrap(f64::INFINITY, -PI, PI), f64::INFINITY);
    }

    #[test]
    fn velocities_are_bounded() {
        let mut env = env_at([0.0, 0.0, 100.0, -100.0]);
        env.step(Action::Discrete(1), &mut [0.0; 6]).unwrap();
        let s = env.state().unwrap();
        assert_eq!(s[2].abs(), MAX_VEL_1);
        assert_eq!(s[3].abs(), MAX_VEL_2);
    }

    #[test]
    fn rejects_bad_actions_and_state_lengths() {
        let mut env = env_at([0.0; 4]);
        assert_eq!(
            env.step(Action::Discrete(3), &mut [0.0; 6]),
            Err(EnvError::ActionOutOfRange { action: 3, n: 3 })
        );
        assert_eq!(
            env.set_state(&[0.0; 6]),
            Err(EnvError::WrongStateLength {
                got: 6,
                expected: 4
            })
        );
    }
}
