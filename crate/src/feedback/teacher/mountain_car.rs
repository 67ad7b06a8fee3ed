//! `energy` for MountainCar-v0 and MountainCarContinuous-v0: push in the direction of motion.
//!
//! Both envs step `v += push - 0.0025 cos(3x)`, which conserves `E = v^2 / 2 + 0.0025/3
//! sin(3x)` when nothing pushes: the hill's potential plus the kinetic term. Pushing along the
//! velocity adds energy every step, so the car swings ever higher until it tops the right
//! hill (the classic solution). `Phi` is that energy normalised so the valley floor at rest
//! is 0 and resting on the goal is [`GOAL_VALUE`]; a start (`x` in [-0.6, -0.4], at rest) is
//! about 2.

use super::{Teacher, TeacherError, TeacherView};
use crate::env::classic::mountain_car::{GOAL_POSITION, GRAVITY};
use crate::env::classic::mountain_car_continuous::GOAL_POSITION as CONTINUOUS_GOAL;

pub fn judges(env_id: &str) -> bool {
    matches!(env_id, "MountainCar-v0" | "MountainCarContinuous-v0")
}

pub fn make(env_id: &str, option: Option<&str>) -> Result<Box<dyn Teacher>, TeacherError> {
    if let Some(o) = option {
        return Err(TeacherError::BadOption(format!(
            "energy takes no option, got {o:?}"
        )));
    }
    let continuous = env_id == "MountainCarContinuous-v0";
    let goal = if continuous {
        CONTINUOUS_GOAL
    } else {
        GOAL_POSITION
    };
    Ok(Box::new(Energy {
        continuous,
        goal_energy: energy(goal, 0.0),
    }))
}

/// Mechanical energy per unit mass in the env's units (one step is one time unit).
pub fn energy(position: f64, velocity: f64) -> f64 {
    0.5 * velocity * velocity + GRAVITY / 3.0 * (3.0 * position).sin()
}

/// `Phi` at rest on the goal, on the envs' return scale: about the 100 steps (at -1 each)
/// MountainCar-v0 takes to climb out, and MountainCarContinuous-v0's goal bonus of 100.
/// On a 0-to-1 scale the shaping terms would be lost against the -1 per step.
pub const GOAL_VALUE: f64 = 100.0;

/// The lowest energy: at rest on the valley floor, `sin(3x) = -1`.
const FLOOR_ENERGY: f64 = -GRAVITY / 3.0;

pub struct Energy {
    continuous: bool,
    goal_energy: f64,
}

impl Teacher for Energy {
    fn name(&self) -> String {
        "energy".into()
    }

    fn value(&mut self, view: TeacherView<'_>) -> f64 {
        let [x, v] = read(view.obs);
        GOAL_VALUE * (energy(x, v) - FLOOR_ENERGY) / (self.goal_energy - FLOOR_ENERGY)
    }

    /// Full push along the velocity (to the right from rest, which starts the swing).
    fn policy(&mut self, view: TeacherView<'_>, out: &mut [f32]) {
        let [_, v] = read(view.obs);
        let right = v >= 0.0;
        if self.continuous {
            if let Some(a) = out.first_mut() {
                *a = if right { 1.0 } else { -1.0 };
            }
        } else {
            out.fill(0.0);
            if let Some(p) = out.get_mut(if right { 2 } else { 0 }) {
                *p = 1.0;
            }
        }
    }
}

fn read(obs: &[f32]) -> [f64; 2] {
    std::array::from_fn(|i| obs.get(i).map_or(0.0, |&v| f64::from(v)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::{Action, registry};

    /// Runs the greedy teacher as the controller; returns (steps, return, reached the goal).
    fn run(env_id: &str, seed: u64) -> (u32, f64, bool) {
        let mut env = registry::make(env_id).unwrap();
        let mut teacher = make(env_id, None).unwrap();
        let mut obs = vec![0.0; 2];
        env.reset(Some(seed), &mut obs);
        let start = teacher.value(TeacherView {
            env: &*env,
            obs: &obs,
        });
        assert!(
            (0.0..0.1 * GOAL_VALUE).contains(&start),
            "a start is near 0: {start}"
        );
        let mut out = [0.0f32; 3];
        let (mut steps, mut total) = (0, 0.0);
        loop {
            teacher.policy(
                TeacherView {
                    env: &*env,
                    obs: &obs,
                },
                &mut out,
            );
            let step = if env_id == "MountainCar-v0" {
                let a = (0..3).max_by(|&a, &b| out[a].total_cmp(&out[b])).unwrap();
                env.step(Action::Discrete(a), &mut obs).unwrap()
            } else {
                assert!((-1.0..=1.0).contains(&out[0]));
                env.step(Action::Continuous(&out[..1]), &mut obs).unwrap()
            };
            steps += 1;
            total += step.reward;
            if step.terminated || step.truncated {
                let end = teacher.value(TeacherView {
                    env: &*env,
                    obs: &obs,
                });
                if step.terminated {
                    assert!(
                        end > 0.9 * GOAL_VALUE,
                        "the goal is worth about GOAL_VALUE: {end}"
                    );
                }
                return (steps, total, step.terminated);
            }
        }
    }

    #[test]
    fn greedy_policy_reaches_the_goal() {
        for seed in 0..5 {
            let (steps, _, goal) = run("MountainCar-v0", seed);
            assert!(goal, "seed {seed}: no goal in {steps} steps");
            let (steps, total, goal) = run("MountainCarContinuous-v0", seed);
            assert!(goal, "continuous seed {seed}: no goal in {steps} steps");
            assert!(total > 80.0, "continuous return {total}");
        }
    }
}
