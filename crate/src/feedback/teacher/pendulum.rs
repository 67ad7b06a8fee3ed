//! `energy` for Pendulum-v1: pump energy until the swing reaches the top, then hold it there
//! with a PD controller.
//!
//! The env steps `thdot += (15 sin(th) + 3u) dt` (`th = 0` upright), which conserves
//! `E = thdot^2 / 2 + 15 cos(th)`: 15 at rest upright, -15 at rest hanging. Torque changes
//! `E` at the rate `3 u thdot`, so `u` along `thdot` with the sign of the missing energy
//! drives `E` to the top's. `Phi` averages how close `E` is to the top's (1 when equal, 0 at
//! 30 away) and an uprightness bonus `((1 + cos th) / 2)^4` that only pays near the top:
//! enough energy while hanging is not yet the goal.

use super::{Teacher, TeacherError, TeacherView};

const MAX_TORQUE: f64 = 2.0;
/// `3 g / (2 l)` with the env's g = 10, l = 1.
const GRAVITY_TERM: f64 = 15.0;
const TOP_ENERGY: f64 = GRAVITY_TERM;
/// Hand over to the PD controller within this cosine of upright (about 26 degrees).
const CATCH_COS: f64 = 0.9;
/// PD gains: the closed loop `thdd = (15 - 3 KP) th - 3 KD thdot` is a damped spring.
const KP: f64 = 10.0;
const KD: f64 = 2.0;
/// Energy pump gain (saturates the torque unless the energy is nearly right).
const PUMP: f64 = 1.0;

pub fn judges(env_id: &str) -> bool {
    env_id == "Pendulum-v1"
}

pub fn make(_env_id: &str, option: Option<&str>) -> Result<Box<dyn Teacher>, TeacherError> {
    if let Some(o) = option {
        return Err(TeacherError::BadOption(format!(
            "energy takes no option, got {o:?}"
        )));
    }
    Ok(Box::new(Energy))
}

/// `(theta, theta_dot)` from the observation `[cos th, sin th, thdot]`, `theta` in (-pi, pi].
fn state(obs: &[f32]) -> (f64, f64) {
    let o: [f64; 3] = std::array::from_fn(|i| obs.get(i).map_or(0.0, |&v| f64::from(v)));
    (o[1].atan2(o[0]), o[2])
}

/// Energy per the env's units: kinetic plus gravity's potential.
pub fn energy(theta: f64, theta_dot: f64) -> f64 {
    0.5 * theta_dot * theta_dot + GRAVITY_TERM * theta.cos()
}

/// The controller's torque, in [-2, 2].
pub fn torque(theta: f64, theta_dot: f64) -> f64 {
    let u = if theta.cos() > CATCH_COS {
        -(KP * theta + KD * theta_dot)
    } else {
        // At rest any push starts the swing.
        let direction = if theta_dot == 0.0 { 1.0 } else { theta_dot };
        PUMP * (TOP_ENERGY - energy(theta, theta_dot)) * direction
    };
    u.clamp(-MAX_TORQUE, MAX_TORQUE)
}

pub struct Energy;

impl Teacher for Energy {
    fn name(&self) -> String {
        "energy".into()
    }

    fn value(&mut self, view: TeacherView<'_>) -> f64 {
        let (th, thdot) = state(view.obs);
        let closeness = (1.0 - (energy(th, thdot) - TOP_ENERGY).abs() / 30.0).clamp(0.0, 1.0);
        let upright = ((1.0 + th.cos()) / 2.0).powi(4);
        0.5 * (closeness + upright)
    }

    fn policy(&mut self, view: TeacherView<'_>, out: &mut [f32]) {
        let (th, thdot) = state(view.obs);
        if let Some(a) = out.first_mut() {
            *a = torque(th, thdot) as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::{Action, registry};

    #[test]
    fn greedy_policy_swings_up_and_holds() {
        let seeds = 0..10;
        let mut returns = Vec::new();
        for seed in seeds {
            let mut env = registry::make("Pendulum-v1").unwrap();
            let mut teacher = make("Pendulum-v1", None).unwrap();
            let mut obs = vec![0.0; 3];
            env.reset(Some(seed), &mut obs);
            let mut out = [0.0f32];
            let mut total = 0.0;
            loop {
                teacher.policy(
                    TeacherView {
                        env: &*env,
                        obs: &obs,
                    },
                    &mut out,
                );
                assert!((-2.0..=2.0).contains(&out[0]));
                let step = env.step(Action::Continuous(&out), &mut obs).unwrap();
                total += step.reward;
                if step.terminated || step.truncated {
                    break;
                }
            }
            let end = teacher.value(TeacherView {
                env: &*env,
                obs: &obs,
            });
            assert!(
                end > 0.95,
                "seed {seed}: ends upright, worth about 1: {end}"
            );
            returns.push(total);
        }
        let mean = returns.iter().sum::<f64>() / returns.len() as f64;
        eprintln!("Pendulum energy returns {returns:?}, mean {mean}");
        assert!(mean > -300.0, "mean return {mean}");
    }

    #[test]
    fn upright_at_rest_is_worth_most_and_hanging_least() {
        let env = registry::make("Pendulum-v1").unwrap();
        let mut t = Energy;
        let up = t.value(TeacherView {
            env: &*env,
            obs: &[1.0, 0.0, 0.0],
        });
        let down = t.value(TeacherView {
            env: &*env,
            obs: &[-1.0, 0.0, 0.0],
        });
        let spinning = t.value(TeacherView {
            env: &*env,
            obs: &[1.0, 0.0, 8.0],
        });
        assert_eq!(up, 1.0);
        assert_eq!(down, 0.0);
        assert!(down < spinning && spinning < up);
    }
}
