//! `MountainCar-v0`: drive an underpowered car up a hill by rocking it (discrete pushes).

use super::{check_obs_len, default_rng, reseed, state_array, write_obs};
use crate::env::np_random::Generator;
use crate::env::{Action, Env, EnvError, EnvSpec, Scene, Space, Step, discrete_action};

pub(crate) const MIN_POSITION: f64 = -1.2;
pub(crate) const MAX_POSITION: f64 = 0.6;
pub(crate) const MAX_SPEED: f64 = 0.07;
pub(crate) const GOAL_POSITION: f64 = 0.5;
pub(crate) const FORCE: f64 = 0.001;
pub(crate) const GRAVITY: f64 = 0.0025;

/// The observation box shared with the continuous variant.
pub(super) fn observation_space() -> Space {
    Space::box1(
        &[MIN_POSITION as f32, -MAX_SPEED as f32],
        &[MAX_POSITION as f32, MAX_SPEED as f32],
    )
}

pub struct MountainCar {
    spec: EnvSpec,
    /// `[position, velocity]`; `None` before the first reset or `set_state`.
    state: Option<[f64; 2]>,
    /// Last push in {-1, 0, 1}, for drawing.
    last_push: f64,
    /// Gymnasium's `np_random`.
    rng: Generator,
}

impl MountainCar {
    pub fn new() -> Self {
        Self {
            spec: EnvSpec {
                id: "MountainCar-v0".into(),
                observation_space: observation_space(),
                action_space: Space::Discrete { n: 3 },
                max_episode_steps: Some(200),
                reward_threshold: Some(-110.0),
                masked_actions: false,
            },
            state: None,
            last_push: 0.0,
            rng: default_rng(),
        }
    }
}

impl Default for MountainCar {
    fn default() -> Self {
        Self::new()
    }
}

impl Env for MountainCar {
    fn spec(&self) -> &EnvSpec {
        &self.spec
    }

    fn reset(&mut self, seed: Option<u64>, obs: &mut [f32]) {
        reseed(&mut self.rng, seed);
        // `np.array([np_random.uniform(low=-0.6, high=-0.4), 0])`.
        let state = [self.rng.uniform(-0.6, -0.4), 0.0];
        self.state = Some(state);
        self.last_push = 0.0;
        write_obs(obs, state);
    }

    fn step(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Step, EnvError> {
        let action = discrete_action(action, 3)?;
        check_obs_len(obs, 2)?;
        let [mut position, mut velocity] = self.state.ok_or(EnvError::NotReset)?;

        // All f64 (`math.cos`, `np.clip` on `np.float64`), in Gymnasium's order.
        let push = action as f64 - 1.0;
        velocity += push * FORCE + (3.0 * position).cos() * (-GRAVITY);
        velocity = velocity.clamp(-MAX_SPEED, MAX_SPEED);
        position += velocity;
        position = position.clamp(MIN_POSITION, MAX_POSITION);
        if position == MIN_POSITION && velocity < 0.0 {
            velocity = 0.0;
        }
        let terminated = position >= GOAL_POSITION && velocity >= 0.0;
        self.state = Some([position, velocity]);
        self.last_push = push;
        write_obs(obs, [position, velocity]);
        Ok(Step {
            reward: -1.0,
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
        Scene::MountainCar {
            position: self.state.unwrap_or_default()[0],
            min_position: MIN_POSITION,
            max_position: MAX_POSITION,
            goal_position: GOAL_POSITION,
            last_push: self.last_push,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stepped(state: [f64; 2], action: usize) -> (Step, [f64; 2]) {
        let mut env = MountainCar::new();
        env.set_state(&state).unwrap();
        let step = env.step(Action::Discrete(action), &mut [0.0; 2]).unwrap();
        (step, env.state().unwrap().try_into().unwrap())
    }

    #[test]
    fn spec_matches_gymnasium() {
        let env = MountainCar::new();
        let spec = env.spec();
        assert_eq!(spec.id, "MountainCar-v0");
        assert_eq!(spec.max_episode_steps, Some(200));
        assert_eq!(spec.reward_threshold, Some(-110.0));
        assert_eq!(spec.action_space, Space::Discrete { n: 3 });
        assert_eq!(
            spec.observation_space.describe(),
            "Box([-1.2 -0.07], [0.6 0.07], (2,), float32)"
        );
    }

    #[test]
    fn reset_starts_at_rest_in_the_valley_deterministically() {
        let mut env = MountainCar::new();
        let mut obs = [9.0; 2];
        for seed in 0..20 {
            env.reset(Some(seed), &mut obs);
            let s = env.state().unwrap();
            assert!((-0.6..-0.4).contains(&s[0]), "{s:?}");
            assert_eq!(s[1], 0.0);
            assert_eq!(obs, [s[0] as f32, 0.0]);
        }
        let mut again = [0.0; 2];
        env.reset(Some(19), &mut again);
        assert_eq!(obs, again);
    }

    #[test]
    fn actions_push_left_none_right() {
        // At the valley bottom (cos(3x) = 0 at x = -pi/6) only the push acts.
        let x = -std::f64::consts::PI / 6.0;
        let v: Vec<f64> = (0..3).map(|a| stepped([x, 0.0], a).1[1]).collect();
        assert!(v[0] < -0.0009 && v[0] > -0.0011, "{v:?}");
        assert!(v[1].abs() < 1e-12);
        assert!(v[2] > 0.0009 && v[2] < 0.0011);
    }

    #[test]
    fn goal_terminates_only_moving_forward() {
        let (step, _) = stepped([0.49, 0.02], 2);
        assert!(step.terminated);
        assert_eq!(step.reward, -1.0);
        let (step, _) = stepped([0.45, 0.02], 2);
        assert!(!step.terminated);
    }

    #[test]
    fn left_wall_stops_the_car() {
        let (step, s) = stepped([-1.19, -0.05], 0);
        assert_eq!(s, [-1.2, 0.0]);
        assert!(!step.terminated);
    }

    #[test]
    fn rejects_bad_actions_and_state_lengths() {
        let mut env = MountainCar::new();
        let mut obs = [0.0; 2];
        env.reset(Some(0), &mut obs);
        assert_eq!(
            env.step(Action::Discrete(3), &mut obs),
            Err(EnvError::ActionOutOfRange { action: 3, n: 3 })
        );
        assert_eq!(
            env.set_state(&[0.0]),
            Err(EnvError::WrongStateLength {
                got: 1,
                expected: 2
            })
        );
    }
}
