//! Which episode each row of the rollout belongs to (preference mode): a person's queries
//! and the labels' log name their segments by seed and actions, so that they replay.

use crate::feedback::EpisodeRefs;
use serde::{Deserialize, Serialize};

/// The rollout's rows as episode seeds, steps and env actions (see [`EpisodeRefs`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RolloutEpisodes {
    width: usize,
    seeds: Vec<u64>,
    steps: Vec<u32>,
    before: Vec<Vec<f32>>,
    env_actions: Vec<f32>,
}

impl RolloutEpisodes {
    /// For env actions of `width` floats (1 for a discrete action).
    pub(crate) fn new(width: usize) -> Self {
        Self {
            width,
            ..Self::default()
        }
    }

    /// At a rollout's first step: forgets the last rollout and keeps each env's actions of
    /// its running episode so far.
    pub(crate) fn start(&mut self, running: &[Vec<f32>]) {
        self.seeds.clear();
        self.steps.clear();
        self.env_actions.clear();
        self.before.resize(running.len(), Vec::new());
        for (kept, actions) in self.before.iter_mut().zip(running) {
            kept.clone_from(actions);
        }
    }

    /// The next row: its episode's seed and the step it is within it.
    pub(crate) fn record_row(&mut self, seed: u64, step: usize) {
        self.seeds.push(seed);
        self.steps.push(u32::try_from(step).unwrap_or(u32::MAX));
    }

    /// The action the next row's env was sent (rows in the order of [`Self::record_row`]).
    pub(crate) fn record_action(&mut self, action: &[f32]) {
        self.env_actions.extend_from_slice(action);
    }

    pub(crate) fn width(&self) -> usize {
        self.width
    }

    pub(crate) fn view(&self) -> EpisodeRefs<'_> {
        EpisodeRefs {
            seeds: &self.seeds,
            steps: &self.steps,
            before: &self.before,
            env_actions: &self.env_actions,
            width: self.width,
        }
    }

    /// A restored record must describe `rows` rows of `n_envs` envs with `width`-float actions.
    pub(crate) fn check(&self, n_envs: usize, rows: usize, width: usize) -> Result<(), String> {
        let fits = self.width == width
            && self.seeds.len() == rows
            && self.steps.len() == rows
            && Some(self.env_actions.len()) == rows.checked_mul(width)
            && self.before.len() == n_envs
            && self.before.iter().all(|b| b.len() % width.max(1) == 0)
            // A row's step in its episode is at most the env's actions before the rollout
            // plus the rollout's steps before it (rows are step-major), so a segment's replay
            // never asks for more actions than there are.
            && self.steps.iter().enumerate().all(|(row, &step)| {
                let (t, env) = (row / n_envs.max(1), row % n_envs.max(1));
                self.before
                    .get(env)
                    .is_some_and(|b| step as usize <= b.len() / width.max(1) + t)
            });
        if fits {
            Ok(())
        } else {
            Err(format!(
                "the rollout's episode records do not fit {rows} rows of {n_envs} envs"
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two envs, two steps: env 0 is 3 steps into its episode, env 1 starts one.
    fn record() -> RolloutEpisodes {
        let mut r = RolloutEpisodes::new(1);
        r.start(&[vec![0.0, 1.0, 0.0], Vec::new()]);
        for (seed, step) in [(5, 3), (6, 0), (5, 4), (6, 1)] {
            r.record_row(seed, step);
            r.record_action(&[1.0]);
        }
        r
    }

    #[test]
    fn a_restored_record_must_fit_the_rollout_and_its_steps_the_actions_there_are() {
        assert_eq!(record().check(2, 4, 1), Ok(()));
        assert!(record().check(2, 6, 1).is_err(), "rows");
        assert!(record().check(3, 4, 1).is_err(), "envs");
        // A step no action history reaches (a hostile file): refused, not replayed.
        let mut far = record();
        far.steps[3] = u32::MAX;
        assert!(far.check(2, 4, 1).is_err());
        let mut just = record();
        just.steps[3] = 1;
        assert_eq!(just.check(2, 4, 1), Ok(()));
        just.steps[3] = 2;
        assert!(just.check(2, 4, 1).is_err());
    }
}
