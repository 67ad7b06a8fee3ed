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
            && self.before.iter().all(|b| b.len() % width.max(1) == 0);
        if fits {
            Ok(())
        } else {
            Err(format!(
                "the rollout's episode records do not fit {rows} rows of {n_envs} envs"
            ))
        }
    }
}
