//! `Pendulum-v1`: swing a pendulum up and hold it with a limited torque.
//!
//! The torque arrives as float32 (Gymnasium's action space is float32), so under NumPy 2's
//! rules `u ** 2`, `0.001 * u ** 2` and `3.0 / (m * l ** 2) * u` are float32 operations whose
//! results then join the float64 state.

use super::npmath::{np_square, np_square_f32, py_mod};
use super::{check_obs_len, default_rng, reseed, state_array, write_obs};
use crate::env::np_random::Generator;
use crate::env::{Action, Env, EnvError, EnvSpec, Scene, Space, Step, continuous_action};
use std::f64::consts::PI;

const MAX_SPEED: f64 = 8.0;
const MAX_TORQUE: f32 = 2.0;
const DT: f64 = 0.05;
const G: f64 = 10.0;
const M: f64 = 1.0;
const L: f64 = 1.0;

pub struct Pendulum {
    spec: EnvSpec,
    /// `[theta, theta_dot]`; `None` before the first reset or `set_state`.
    state: Option<[f64; 2]>,
    /// Last clipped torque (Gymnasium's `last_u`), 0 before the first step.
    last_u: f32,
    /// Gymnasium's `np_random`.
    rng: Generator,
}

impl Pendulum {
    pub fn new() -> Self {
        let high = [1.0, 1.0, MAX_SPEED as f32];
        let low = high.map(|h| -h);
        Self {
            spec: EnvSpec {
                id: "Pendulum-v1".into(),
                observation_space: Space::box1(&low, &high),
                action_space: Space::box1(&[-MAX_TORQUE], &[MAX_TORQUE]),
                max_episode_steps: Some(200),
                reward_threshold: None,
                masked_actions: false,
            },
            state: None,
            last_u: 0.0,
            rng: default_rng(),
        }
    }
}

impl Default for Pendulum {
    fn default() -> Self {
        Self::new()
    }
}

/// Gymnasium's `angle_normalize`: `((x + np.pi) % (2 * np.pi)) - np.pi` with Python's floored
/// remainder.
fn angle_normalize(x: f64) -> f64 {
    py_mod(x + PI, 2.0 * PI) - PI
}

/// Gymnasium's `_get_obs`: `[cos(theta), sin(theta), theta_dot]`.
fn observation([theta, theta_dot]: [f64; 2]) -> [f64; 3] {
    [theta.cos(), theta.sin(), theta_dot]
}

impl Env for Pendulum {
    fn spec(&self) -> &EnvSpec {
        &self.spec
    }

    fn reset(&mut self, seed: Option<u64>, obs: &mut [f32]) {
        reseed(&mut self.rng, seed);
        // `np_random.uniform(low=-high, high=high)` with `high = np.array([np.pi, 1.0])`: per
        // element `low + (high - low) * random()`.
        let state = [self.rng.uniform(-PI, PI), self.rng.uniform(-1.0, 1.0)];
        self.state = Some(state);
        self.last_u = 0.0;
        write_obs(obs, observation(state));
    }

    /// Torques outside [-2, 2] are clipped, as Gymnasium does.
    fn step(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Step, EnvError> {
        let u = continuous_action(action, 1)?[0].clamp(-MAX_TORQUE, MAX_TORQUE);
        check_obs_len(obs, 3)?;
        let [th, thdot] = self.state.ok_or(EnvError::NotReset)?;

        // Python-float constants meeting `u` become f32 (NEP 50); f32 results widen when they
        // meet the f64 state.
        let costs = np_square(angle_normalize(th))
            + 0.1 * np_square(thdot)
            + f64::from(0.001f32 * np_square_f32(u));
        let torque_term = (3.0 / (M * (L * L))) as f32 * u;
        let newthdot = thdot + (3.0 * G / (2.0 * L) * th.sin() + f64::from(torque_term)) * DT;
        let newthdot = newthdot.clamp(-MAX_SPEED, MAX_SPEED);
        let newth = th + newthdot * DT;
        let state = [newth, newthdot];
        self.state = Some(state);
        self.last_u = u;
        write_obs(obs, observation(state));
        Ok(Step {
            reward: -costs,
            terminated: false,
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
        Scene::Pendulum {
            theta: self.state.unwrap_or_default()[0],
            last_torque: f64::from(self.last_u),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_at(state: [f64; 2]) -> Pendulum {
        let mut env = Pendulum::new();
        env.set_state(&state).unwrap();
        env
    }

    #[test]
    fn spec_matches_gymnasium() {
        let env = Pendulum::new();
        let spec = env.spec();
        assert_eq!(spec.id, "Pendulum-v1");
        assert_eq!(spec.max_episode_steps, Some(200));
        assert_eq!(spec.reward_threshold, None);
        assert_eq!(spec.action_space.describe(), "Box(-2, 2, (1,), float32)");
        assert_eq!(
            spec.observation_space.describe(),
            "Box([-1 -1 -8], [1 1 8], (3,), float32)"
        );
    }

    #[test]
    fn angle_normalize_maps_into_minus_pi_to_pi() {
        assert_eq!(angle_normalize(0.0), 0.0);
        assert_eq!(angle_normalize(PI), -PI);
        assert!((angle_normalize(3.0 * PI / 2.0) + PI / 2.0).abs() < 1e-12);
        assert!((angle_normalize(-3.0 * PI / 2.0) - PI / 2.0).abs() < 1e-12);
        let big = angle_normalize(1000.0);
        assert!((-PI..PI).contains(&big));
    }

    #[test]
    fn upright_and_still_costs_only_the_torque() {
        let mut env = env_at([0.0, 0.0]);
        let step = env.step(Action::Continuous(&[1.0]), &mut [0.0; 3]).unwrap();
        assert_eq!(step.reward, -f64::from(0.001f32));
        assert!(!step.terminated && !step.truncated);
        // Torque +1 speeds the pendulum up positively: 3 * 1 * dt.
        assert_eq!(env.state().unwrap()[1], 3.0 * DT);
    }

    #[test]
    fn gravity_pulls_away_from_upright_and_speed_is_clipped() {
        let mut env = env_at([0.5, 0.0]);
        env.step(Action::Continuous(&[0.0]), &mut [0.0; 3]).unwrap();
        assert!(env.state().unwrap()[1] > 0.0);
        let mut env = env_at([0.5, 7.9]);
        env.step(Action::Continuous(&[2.0]), &mut [0.0; 3]).unwrap();
        assert_eq!(env.state().unwrap()[1], 8.0);
        let mut env = env_at([-0.5, -7.9]);
        env.step(Action::Continuous(&[-2.0]), &mut [0.0; 3])
            .unwrap();
        assert_eq!(env.state().unwrap()[1], -8.0);
    }

    #[test]
    fn out_of_range_torque_is_clipped_and_reported() {
        let mut a = env_at([0.3, 0.1]);
        let mut b = env_at([0.3, 0.1]);
        let ra = a.step(Action::Continuous(&[5.0]), &mut [0.0; 3]).unwrap();
        let rb = b.step(Action::Continuous(&[2.0]), &mut [0.0; 3]).unwrap();
        assert_eq!(ra, rb);
        assert_eq!(a.state(), b.state());
        assert_eq!(
            a.scene(),
            Scene::Pendulum {
                theta: a.state().unwrap()[0],
                last_torque: 2.0
            }
        );
    }

    #[test]
    fn reset_ranges_and_seeds() {
        let mut env = Pendulum::new();
        let (mut a, mut b) = ([0.0; 3], [0.0; 3]);
        for seed in 0..20 {
            env.reset(Some(seed), &mut a);
            let s = env.state().unwrap();
            assert!((-PI..PI).contains(&s[0]) && (-1.0..1.0).contains(&s[1]));
            assert_eq!(a, [s[0].cos() as f32, s[0].sin() as f32, s[1] as f32]);
        }
        env.reset(Some(19), &mut b);
        assert_eq!(a, b);
        assert_eq!(
            env.scene(),
            Scene::Pendulum {
                theta: env.state().unwrap()[0],
                last_torque: 0.0
            }
        );
    }

    #[test]
    fn rejects_bad_actions_and_state_lengths() {
        let mut env = env_at([0.0, 0.0]);
        assert_eq!(
            env.step(Action::Continuous(&[f32::INFINITY]), &mut [0.0; 3]),
            Err(EnvError::NonFiniteAction)
        );
        assert_eq!(
            env.step(Action::Continuous(&[0.0]), &mut [0.0; 2]),
            Err(EnvError::WrongObservationLength {
                got: 2,
                expected: 3
            })
        );
        assert_eq!(
            env.set_state(&[0.0, 0.0, 0.0]),
            Err(EnvError::WrongStateLength {
                got: 3,
                expected: 2
            })
        );
    }
}
