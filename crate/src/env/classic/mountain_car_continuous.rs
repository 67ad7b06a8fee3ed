//! `MountainCarContinuous-v0`: the mountain car with a continuous force in [-1, 1].
//!
//! Gymnasium stores this env's state as float32 after every step, while reset and an assigned
//! state are float64. Under NumPy 2's rules (NEP 50) that makes the arithmetic of a step
//! depend on those types: an `np.float32` combined with a Python float stays float32 (the
//! Python float is rounded to f32 first, also in comparisons), with an `np.float64` it becomes
//! f64. [`Num`] tracks which of the two each intermediate value is.

use super::mountain_car::{MAX_POSITION, MAX_SPEED, MIN_POSITION, observation_space};
use super::npmath::np_square;
use super::{check_obs_len, default_rng, reseed, state_array, write_obs};
use crate::env::np_random::Generator;
use crate::env::{Action, Env, EnvError, EnvSpec, Scene, Space, Step, continuous_action};

const MIN_ACTION: f32 = -1.0;
const MAX_ACTION: f32 = 1.0;
/// 0.45 here (0.5 in the discrete variant), as in Gymnasium.
pub(crate) const GOAL_POSITION: f64 = 0.45;
pub(crate) const POWER: f64 = 0.0015;

/// A scalar in `Continuous_MountainCarEnv.step`: an `np.float32`, or a 64-bit float
/// (`np.float64` or a Python float, which behave alike wherever this env mixes them).
#[derive(Clone, Copy, Debug)]
enum Num {
    F32(f32),
    F64(f64),
}

impl Num {
    fn f64(self) -> f64 {
        match self {
            Num::F32(v) => f64::from(v),
            Num::F64(v) => v,
        }
    }

    fn f32(self) -> f32 {
        match self {
            Num::F32(v) => v,
            Num::F64(v) => v as f32,
        }
    }

    /// `self > c` for a Python float `c`: compared in f32 when `self` is an `np.float32`.
    fn gt(self, c: f64) -> bool {
        match self {
            Num::F32(v) => v > c as f32,
            Num::F64(v) => v > c,
        }
    }

    fn lt(self, c: f64) -> bool {
        match self {
            Num::F32(v) => v < c as f32,
            Num::F64(v) => v < c,
        }
    }

    fn ge(self, c: f64) -> bool {
        match self {
            Num::F32(v) => v >= c as f32,
            Num::F64(v) => v >= c,
        }
    }

    fn eq(self, c: f64) -> bool {
        match self {
            Num::F32(v) => v == c as f32,
            Num::F64(v) => v == c,
        }
    }
}

pub struct MountainCarContinuous {
    spec: EnvSpec,
    /// `[position, velocity]`; `None` before the first reset or `set_state`.
    state: Option<[f64; 2]>,
    /// Whether `state` holds float32 values (after a step) rather than float64 (after reset or
    /// `set_state`), which changes the next step's arithmetic.
    stored_f32: bool,
    /// Last force applied, in [-1, 1], for drawing.
    last_force: f64,
    /// Gymnasium's `np_random`.
    rng: Generator,
}

impl MountainCarContinuous {
    pub fn new() -> Self {
        Self {
            spec: EnvSpec {
                id: "MountainCarContinuous-v0".into(),
                observation_space: observation_space(),
                action_space: Space::box1(&[MIN_ACTION], &[MAX_ACTION]),
                max_episode_steps: Some(999),
                reward_threshold: Some(90.0),
                masked_actions: false,
            },
            state: None,
            stored_f32: false,
            last_force: 0.0,
            rng: default_rng(),
        }
    }
}

impl Default for MountainCarContinuous {
    fn default() -> Self {
        Self::new()
    }
}

impl Env for MountainCarContinuous {
    fn spec(&self) -> &EnvSpec {
        &self.spec
    }

    fn reset(&mut self, seed: Option<u64>, obs: &mut [f32]) {
        reseed(&mut self.rng, seed);
        // `np.array([np_random.uniform(low=-0.6, high=-0.4), 0])`.
        let state = [self.rng.uniform(-0.6, -0.4), 0.0];
        self.state = Some(state);
        self.stored_f32 = false;
        self.last_force = 0.0;
        write_obs(obs, state);
    }

    /// Actions outside [-1, 1] are clipped, as Gymnasium does.
    fn step(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Step, EnvError> {
        let a = continuous_action(action, 1)?[0];
        check_obs_len(obs, 2)?;
        let [p, v] = self.state.ok_or(EnvError::NotReset)?;
        let (position, velocity) = if self.stored_f32 {
            (Num::F32(p as f32), Num::F32(v as f32))
        } else {
            (Num::F64(p), Num::F64(v))
        };

        // `0.0025 * math.cos(3 * position)`: `3 * position` keeps the position's type, the
        // cosine is a Python float.
        let three_p = match position {
            Num::F32(p) => f64::from(3.0f32 * p),
            Num::F64(p) => 3.0 * p,
        };
        let slope = 0.0025 * three_p.cos();
        // `min(max(action[0], -1.0), 1.0)` keeps the `np.float32` unless it is clipped to a
        // Python float; `force * power - slope` then runs in f32 or f64 accordingly.
        #[allow(clippy::manual_range_contains)] // mirrors Python's max/min comparisons
        let acceleration = if a < MIN_ACTION || a > MAX_ACTION {
            let force = if a < MIN_ACTION { -1.0 } else { 1.0 };
            Num::F64(force * POWER - slope)
        } else {
            Num::F32(a * POWER as f32 - slope as f32)
        };
        let mut velocity = match velocity {
            Num::F64(v) => Num::F64(v + acceleration.f64()),
            Num::F32(v) => Num::F32(v + acceleration.f32()),
        };
        if velocity.gt(MAX_SPEED) {
            velocity = Num::F64(MAX_SPEED);
        }
        if velocity.lt(-MAX_SPEED) {
            velocity = Num::F64(-MAX_SPEED);
        }
        let mut position = match position {
            Num::F64(p) => Num::F64(p + velocity.f64()),
            Num::F32(p) => Num::F32(p + velocity.f32()),
        };
        if position.gt(MAX_POSITION) {
            position = Num::F64(MAX_POSITION);
        }
        if position.lt(MIN_POSITION) {
            position = Num::F64(MIN_POSITION);
        }
        if position.eq(MIN_POSITION) && velocity.lt(0.0) {
            velocity = Num::F64(0.0);
        }
        let terminated = position.ge(GOAL_POSITION) && velocity.ge(0.0);
        // `reward = 0 | 100.0; reward -= math.pow(action[0], 2) * 0.1` in Python floats.
        let base = if terminated { 100.0 } else { 0.0 };
        let reward = base - np_square(f64::from(a)) * 0.1;

        let state = [f64::from(position.f32()), f64::from(velocity.f32())];
        self.state = Some(state);
        self.stored_f32 = true;
        self.last_force = f64::from(a.clamp(MIN_ACTION, MAX_ACTION));
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
        self.stored_f32 = false;
        Ok(())
    }

    fn scene(&self) -> Scene {
        Scene::MountainCar {
            position: self.state.unwrap_or_default()[0],
            min_position: MIN_POSITION,
            max_position: MAX_POSITION,
            goal_position: GOAL_POSITION,
            last_push: self.last_force,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_at(state: [f64; 2]) -> MountainCarContinuous {
        let mut env = MountainCarContinuous::new();
        env.set_state(&state).unwrap();
        env
    }

    fn step(env: &mut MountainCarContinuous, a: f32) -> Step {
        env.step(Action::Continuous(&[a]), &mut [0.0; 2]).unwrap()
    }

    #[test]
    fn spec_matches_gymnasium() {
        let env = MountainCarContinuous::new();
        let spec = env.spec();
        assert_eq!(spec.id, "MountainCarContinuous-v0");
        assert_eq!(spec.max_episode_steps, Some(999));
        assert_eq!(spec.reward_threshold, Some(90.0));
        assert_eq!(spec.action_space.describe(), "Box(-1, 1, (1,), float32)");
        assert_eq!(
            spec.observation_space.describe(),
            "Box([-1.2 -0.07], [0.6 0.07], (2,), float32)"
        );
    }

    #[test]
    fn state_is_float32_after_a_step() {
        let mut env = env_at([-0.5, 0.0]);
        step(&mut env, 0.3);
        for v in env.state().unwrap() {
            assert_eq!(v, f64::from(v as f32));
        }
    }

    #[test]
    fn reward_charges_the_squared_action_and_pays_the_goal() {
        let mut env = env_at([-0.5, 0.0]);
        let r = step(&mut env, 0.5).reward;
        assert_eq!(r, -(0.25 * 0.1));
        let mut env = env_at([0.44, 0.05]);
        let s = step(&mut env, 1.0);
        assert!(s.terminated);
        assert_eq!(s.reward, 100.0 - 0.1);
    }

    #[test]
    fn goal_is_compared_in_float32_once_the_state_is_float32() {
        // 0.45 as f32 is just below 0.45; NumPy compares an np.float32 position with the
        // Python float 0.45 in f32, so that position counts as the goal.
        let below = f64::from(0.45f32);
        assert!(below < 0.45);
        assert!(Num::F32(0.45f32).ge(GOAL_POSITION));
        assert!(!Num::F64(below).ge(GOAL_POSITION));
    }

    #[test]
    fn out_of_range_actions_are_clipped_like_gymnasium() {
        let mut a = env_at([-0.5, 0.01]);
        let mut b = env_at([-0.5, 0.01]);
        step(&mut a, 3.0);
        step(&mut b, 1.0);
        // Same motion (up to the f32/f64 path), but the reward charges the raw action.
        let (sa, sb) = (a.state().unwrap(), b.state().unwrap());
        assert!((sa[1] - sb[1]).abs() < 1e-7);
        for env in [&a, &b] {
            assert!(
                matches!(env.scene(), Scene::MountainCar { last_push, .. } if last_push == 1.0)
            );
        }
    }

    #[test]
    fn rejects_bad_actions() {
        let mut env = env_at([-0.5, 0.0]);
        let mut obs = [0.0; 2];
        assert_eq!(
            env.step(Action::Continuous(&[0.1, 0.2]), &mut obs),
            Err(EnvError::WrongActionLength {
                got: 2,
                expected: 1
            })
        );
        assert_eq!(
            env.step(Action::Continuous(&[f32::NAN]), &mut obs),
            Err(EnvError::NonFiniteAction)
        );
        assert_eq!(
            env.step(Action::Discrete(0), &mut obs),
            Err(EnvError::WrongActionKind {
                expected: "continuous"
            })
        );
        assert_eq!(env.state().unwrap(), vec![-0.5, 0.0]);
    }

    #[test]
    fn reset_ranges_and_seeds() {
        let mut env = MountainCarContinuous::new();
        let (mut a, mut b) = ([0.0; 2], [0.0; 2]);
        env.reset(Some(3), &mut a);
        assert!((-0.6..-0.4).contains(&env.state().unwrap()[0]));
        env.reset(Some(3), &mut b);
        assert_eq!(a, b);
    }
}
