//! A finished episode as its seed and actions, so a page can replay what the agent did.
//!
//! Under per-episode seeding an episode is a function of its seed and actions (see
//! [`crate::env::vec_env::VecEnv::reset_episode_seeded`]): replaying them through a fresh
//! env of the same id redraws it exactly, without sending frames.

use crate::env::{Action, Env, EnvError};
use crate::feedback::teacher::{Teacher, TeacherView, value_after};

/// Why a recording could not be replayed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    Env(#[from] EnvError),
    #[error("the recording does not match this env: the episode {0}")]
    Mismatch(String),
}

/// Largest whole number below which `f32` holds every integer (2^24).
const MAX_EXACT_INDEX: f32 = 16_777_216.0;

/// A discrete action stored as a float, as an index: a whole number from 0 to 2^24. A plain
/// `as usize` would truncate 1.5 to 1 and turn -1 or NaN into 0, so a recording or a labels
/// file would replay other actions than it names.
fn discrete_index(a: f32) -> Option<usize> {
    (a.fract() == 0.0 && (0.0..=MAX_EXACT_INDEX).contains(&a)).then_some(a as usize)
}

/// One finished episode of a trainer's envs (the latest, whichever env it ran in).
#[derive(Clone, Debug, PartialEq)]
pub struct EpisodeRecording {
    /// The trainer's episode count when it finished (1 for the first).
    pub number: u64,
    /// Pass to `Env::reset(Some(seed))`.
    pub seed: u64,
    /// The actions as sent to the env: one float per step (the index) for discrete actions,
    /// the clipped vector for continuous ones.
    pub actions: Vec<f32>,
    pub episode_return: f64,
}

impl EpisodeRecording {
    /// Steps in the episode for an action of `act_dim` floats.
    pub fn len(&self, act_dim: usize) -> usize {
        self.actions.len() / act_dim.max(1)
    }

    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// Replays the recording in `env` (reset first) and returns `teacher`'s score of each
    /// step as the trainer takes it (`score(Phi(s), a, s')`, `Phi` after a terminal step 0,
    /// stored as `f32`): what the AI labeler, or a simulated person, compares segments by.
    /// With `whole` the episode must end at its last step; without, the recording may stop
    /// mid-episode (a segment's episode up to the segment's end) but may not end early. An
    /// error says why it does not replay.
    pub fn teacher_scores(
        &self,
        env: &mut dyn Env,
        teacher: &mut dyn Teacher,
        whole: bool,
    ) -> Result<Vec<f64>, String> {
        let space = &env.spec().action_space;
        let (discrete, width) = match space.n() {
            Some(_) => (true, 1),
            None => (false, space.flat_dim().max(1)),
        };
        if self.is_empty() {
            return Err("it has no actions".into());
        }
        if !self.actions.len().is_multiple_of(width) {
            return Err(format!(
                "it has {} action values, not a whole number of {width}-value actions",
                self.actions.len()
            ));
        }
        let steps = self.len(width);
        let mut obs = vec![0.0; env.spec().observation_space.flat_dim()];
        env.reset(Some(self.seed), &mut obs);
        let mut phi = teacher.value(TeacherView {
            env: &*env,
            obs: &obs,
        });
        let mut scores = Vec::with_capacity(steps);
        for t in 0..steps {
            let action = self.action(t, discrete, width).ok_or_else(|| {
                format!(
                    "its action at step {} is {}, not an action index",
                    t + 1,
                    self.actions[t * width]
                )
            })?;
            let step = env
                .step(action, &mut obs)
                .map_err(|e| format!("step {}: {e}", t + 1))?;
            let view = TeacherView {
                env: &*env,
                obs: &obs,
            };
            // The rollout buffer holds scores as f32; the labeler reads them back.
            scores.push(f64::from(teacher.score(phi, action, view, &step) as f32));
            phi = value_after(teacher, view, &step);
            let done = step.terminated || step.truncated;
            let last = t + 1 == steps;
            if done && !last || whole && done != last {
                let what = if done { "ended" } else { "went on" };
                return Err(format!("it {what} at step {} of {steps}", t + 1));
            }
        }
        Ok(scores)
    }

    /// Step `t`'s action for an env whose actions are discrete (one index per step) or
    /// `width` floats; `None` past the end, or where a discrete action is not an index.
    pub fn action(&self, t: usize, discrete: bool, width: usize) -> Option<Action<'_>> {
        let width = if discrete { 1 } else { width };
        let a = self.actions.get(t * width..(t + 1) * width)?;
        Some(if discrete {
            Action::Discrete(discrete_index(a[0])?)
        } else {
            Action::Continuous(a)
        })
    }

    /// Replays the episode through `env` (reset first), calling `each` after every step, and
    /// returns its return. An error if the env ends the episode at another step than
    /// recorded, which means the recording is not of this env.
    pub fn replay(
        &self,
        env: &mut dyn Env,
        mut each: impl FnMut(&dyn Env),
    ) -> Result<f64, ReplayError> {
        let spec = env.spec();
        let discrete = spec.action_space.n().is_some();
        let act_dim = if discrete {
            1
        } else {
            spec.action_space.flat_dim()
        };
        let mut obs = vec![0.0; spec.observation_space.flat_dim()];
        env.reset(Some(self.seed), &mut obs);
        let steps = self.len(act_dim);
        let mut total = 0.0;
        for t in 0..steps {
            let Some(action) = self.action(t, discrete, act_dim) else {
                return Err(ReplayError::Mismatch(format!(
                    "has action {} at step {}, not an action index",
                    self.actions[t * act_dim],
                    t + 1
                )));
            };
            let step = env.step(action, &mut obs)?;
            total += step.reward;
            each(env);
            let done = step.terminated || step.truncated;
            if done != (t + 1 == steps) {
                let what = if done { "ended" } else { "went on" };
                return Err(ReplayError::Mismatch(format!("{what} at step {}", t + 1)));
            }
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_discrete_action_that_is_not_an_index_is_an_error_not_a_cast() {
        let mut env = crate::env::make("CartPole-v1").unwrap();
        let mut teacher = crate::feedback::teacher::make(None, "CartPole-v1").unwrap();
        let mut scores = |actions: Vec<f32>| {
            let recording = EpisodeRecording {
                number: 1,
                seed: 0,
                actions,
                episode_return: 0.0,
            };
            recording.teacher_scores(&mut *env, &mut *teacher, false)
        };
        assert_eq!(scores(vec![1.0, 0.0]).map(|s| s.len()), Ok(2));
        for (bad, shown) in [
            (1.5, "1.5"),
            (-1.0, "-1"),
            (f32::NAN, "NaN"),
            (1e30, "1000000000000000000000000000000"),
        ] {
            assert_eq!(
                scores(vec![1.0, bad]),
                Err(format!(
                    "its action at step 2 is {shown}, not an action index"
                ))
            );
        }
    }
}
