//! `CartPole-v1`: balance a pole on a cart by pushing it left or right.

use super::{check_obs_len, default_rng, reseed, state_array, write_obs};
use crate::env::np_random::Generator;
use crate::env::{Action, Env, EnvError, EnvSpec, Scene, Space, Step, discrete_action};

pub(crate) const GRAVITY: f64 = 9.8;
pub(crate) const MASSCART: f64 = 1.0;
pub(crate) const MASSPOLE: f64 = 0.1;
pub(crate) const TOTAL_MASS: f64 = MASSPOLE + MASSCART;
/// Half the pole's length.
pub(crate) const LENGTH: f64 = 0.5;
pub(crate) const POLEMASS_LENGTH: f64 = MASSPOLE * LENGTH;
pub(crate) const FORCE_MAG: f64 = 10.0;
/// Seconds between state updates.
pub(crate) const TAU: f64 = 0.02;
/// 12 degrees, computed as Gymnasium does (`12 * 2 * math.pi / 360`).
pub(crate) const THETA_THRESHOLD_RADIANS: f64 = 12.0 * 2.0 * std::f64::consts::PI / 360.0;
pub(crate) const X_THRESHOLD: f64 = 2.4;

pub struct CartPole {
    spec: EnvSpec,
    /// `[x, x_dot, theta, theta_dot]`; `None` before the first reset or `set_state`.
    state: Option<[f64; 4]>,
    /// Gymnasium's `steps_beyond_terminated`: steps taken after the terminating one, which
    /// earn reward 0.
    steps_beyond_terminated: Option<u32>,
    /// Gymnasium's `np_random`.
    rng: Generator,
}

impl CartPole {
    pub fn new() -> Self {
        let high = [
            (X_THRESHOLD * 2.0) as f32,
            f32::INFINITY,
            (THETA_THRESHOLD_RADIANS * 2.0) as f32,
            f32::INFINITY,
        ];
        let low = high.map(|h| -h);
        Self {
            spec: EnvSpec {
                id: "CartPole-v1".into(),
                observation_space: Space::box1(&low, &high),
                action_space: Space::Discrete { n: 2 },
                max_episode_steps: Some(500),
                reward_threshold: Some(475.0),
                masked_actions: false,
            },
            state: None,
            steps_beyond_terminated: None,
            rng: default_rng(),
        }
    }
}

impl Default for CartPole {
    fn default() -> Self {
        Self::new()
    }
}

impl Env for CartPole {
    fn spec(&self) -> &EnvSpec {
        &self.spec
    }

    fn reset(&mut self, seed: Option<u64>, obs: &mut [f32]) {
        reseed(&mut self.rng, seed);
        // `np_random.uniform(low=-0.05, high=0.05, size=(4,))`: four draws in order.
        let state = [(); 4].map(|_| self.rng.uniform(-0.05, 0.05));
        self.state = Some(state);
        self.steps_beyond_terminated = None;
        write_obs(obs, state);
    }

    fn step(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Step, EnvError> {
        let action = discrete_action(action, 2)?;
        check_obs_len(obs, 4)?;
        let [mut x, mut x_dot, mut theta, mut theta_dot] = self.state.ok_or(EnvError::NotReset)?;

        // Gymnasium's expressions in its order; `np.square` is a plain multiplication.
        let force = if action == 1 { FORCE_MAG } else { -FORCE_MAG };
        let costheta = theta.cos();
        let sintheta = theta.sin();
        let temp = (force + POLEMASS_LENGTH * (theta_dot * theta_dot) * sintheta) / TOTAL_MASS;
        let thetaacc = (GRAVITY * sintheta - costheta * temp)
            / (LENGTH * (4.0 / 3.0 - MASSPOLE * (costheta * costheta) / TOTAL_MASS));
        let xacc = temp - POLEMASS_LENGTH * thetaacc * costheta / TOTAL_MASS;
        // Explicit Euler, Gymnasium's default integrator.
        x += TAU * x_dot;
        x_dot += TAU * xacc;
        theta += TAU * theta_dot;
        theta_dot += TAU * thetaacc;
        let state = [x, x_dot, theta, theta_dot];
        self.state = Some(state);

        // Four comparisons as in Gymnasium, so a NaN state does not terminate.
        #[allow(clippy::manual_range_contains)]
        let terminated = x < -X_THRESHOLD
            || x > X_THRESHOLD
            || theta < -THETA_THRESHOLD_RADIANS
            || theta > THETA_THRESHOLD_RADIANS;
        let reward = if !terminated {
            1.0
        } else if let Some(n) = self.steps_beyond_terminated.as_mut() {
            *n += 1;
            0.0
        } else {
            self.steps_beyond_terminated = Some(0);
            1.0
        };
        write_obs(obs, state);
        Ok(Step {
            reward,
            terminated,
            truncated: false,
        })
    }

    fn observe(&self, obs: &mut [f32]) {
        write_obs(obs, self.state.unwrap_or_default());
    }

    fn state(&self) -> Option<Vec<f64>> {
        Some(self.state.unwrap_or_default().to_vec())
    }

    fn set_state(&mut self, state: &[f64]) -> Result<(), EnvError> {
        self.state = Some(state_array(state)?);
        Ok(())
    }

    fn scene(&self) -> Scene {
        let [x, _, theta, _] = self.state.unwrap_or_default();
        Scene::CartPole {
            x,
            theta,
            x_threshold: X_THRESHOLD,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stepped(state: [f64; 4], action: usize) -> ([f32; 4], Step, [f64; 4]) {
        let mut env = CartPole::new();
        env.set_state(&state).unwrap();
        let mut obs = [0.0; 4];
        let step = env.step(Action::Discrete(action), &mut obs).unwrap();
        let s: [f64; 4] = env.state().unwrap().try_into().unwrap();
        (obs, step, s)
    }

    #[test]
    fn spec_matches_gymnasium() {
        let env = CartPole::new();
        let spec = env.spec();
        assert_eq!(spec.id, "CartPole-v1");
        assert_eq!(spec.max_episode_steps, Some(500));
        assert_eq!(spec.reward_threshold, Some(475.0));
        assert_eq!(spec.action_space, Space::Discrete { n: 2 });
        assert_eq!(
            spec.observation_space.describe(),
            "Box([-4.8 -inf -0.41887903 -inf], [4.8 inf 0.41887903 inf], (4,), float32)"
        );
    }

    #[test]
    fn reset_is_uniform_in_small_box_and_deterministic_by_seed() {
        let mut env = CartPole::new();
        let (mut a, mut b) = ([0.0; 4], [0.0; 4]);
        env.reset(Some(7), &mut a);
        let first = env.state().unwrap();
        assert!(first.iter().all(|v| (-0.05..0.05).contains(v)));
        env.reset(Some(7), &mut b);
        assert_eq!(a, b);
        assert_eq!(env.state().unwrap(), first);
        env.reset(Some(8), &mut b);
        assert_ne!(a, b);
    }

    #[test]
    fn action_one_pushes_right_and_zero_left() {
        let (_, _, right) = stepped([0.0; 4], 1);
        let (_, _, left) = stepped([0.0; 4], 0);
        // x moves by tau * x_dot (0 here); the velocity gets the push.
        assert!(right[1] > 0.0 && left[1] < 0.0);
        assert_eq!(right[1], -left[1]);
        // Pushing the cart right makes the upright pole fall left.
        assert!(right[3] < 0.0);
    }

    #[test]
    fn terminates_past_either_threshold_and_reward_then_drops_to_zero() {
        let (_, step, _) = stepped([2.39, 1.0, 0.0, 0.0], 1);
        assert!(step.terminated);
        assert_eq!(step.reward, 1.0);
        let (_, step, _) = stepped([0.0, 0.0, -0.2094, -1.0], 0);
        assert!(step.terminated);
        let (_, step, _) = stepped([2.3, 0.0, 0.0, 0.0], 1);
        assert!(!step.terminated);

        let mut env = CartPole::new();
        env.set_state(&[2.39, 1.0, 0.0, 0.0]).unwrap();
        let mut obs = [0.0; 4];
        assert_eq!(env.step(Action::Discrete(1), &mut obs).unwrap().reward, 1.0);
        assert_eq!(env.step(Action::Discrete(1), &mut obs).unwrap().reward, 0.0);
        assert_eq!(env.step(Action::Discrete(1), &mut obs).unwrap().reward, 0.0);
        env.reset(Some(0), &mut obs);
        env.set_state(&[2.39, 1.0, 0.0, 0.0]).unwrap();
        assert_eq!(env.step(Action::Discrete(1), &mut obs).unwrap().reward, 1.0);
    }

    #[test]
    fn invalid_input_is_an_error_and_changes_nothing() {
        let mut env = CartPole::new();
        let mut obs = [0.0; 4];
        assert_eq!(
            env.step(Action::Discrete(0), &mut obs),
            Err(EnvError::NotReset)
        );
        env.reset(Some(1), &mut obs);
        let before = env.state();
        assert_eq!(
            env.step(Action::Discrete(2), &mut obs),
            Err(EnvError::ActionOutOfRange { action: 2, n: 2 })
        );
        assert_eq!(
            env.step(Action::Continuous(&[1.0]), &mut obs),
            Err(EnvError::WrongActionKind {
                expected: "discrete"
            })
        );
        assert_eq!(
            env.step(Action::Discrete(0), &mut [0.0; 3]),
            Err(EnvError::WrongObservationLength {
                got: 3,
                expected: 4
            })
        );
        assert_eq!(env.state(), before);
        assert_eq!(
            env.set_state(&[0.0; 3]),
            Err(EnvError::WrongStateLength {
                got: 3,
                expected: 4
            })
        );
    }

    #[test]
    fn scene_reports_position_and_angle() {
        let mut env = CartPole::new();
        env.set_state(&[1.5, 0.0, -0.1, 0.0]).unwrap();
        assert_eq!(
            env.scene(),
            Scene::CartPole {
                x: 1.5,
                theta: -0.1,
                x_threshold: 2.4
            }
        );
    }
}
