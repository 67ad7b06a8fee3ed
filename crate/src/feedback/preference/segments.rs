//! The segments a rollout offers the labeler: equally long pieces of one env's episode.

use super::rollout_view::RolloutView;
use crate::agent::rng::AgentRng;

/// Where a segment starts: env column and step.
pub(super) type Start = (usize, usize);

/// The segments a rollout offers: every start of `len` steps inside one episode piece.
#[derive(Debug, PartialEq)]
pub(super) struct Segments {
    pub(super) len: usize,
    pub(super) starts: Vec<Start>,
}

impl Segments {
    /// Segments of `segment_len` steps, or, if no episode piece is that long, of the longest
    /// piece's length. A segment may end with a `done` but never contains one earlier.
    pub(super) fn find(dones: &[bool], n_envs: usize, segment_len: usize) -> Self {
        let n_steps = dones.len().checked_div(n_envs).unwrap_or(0);
        // run[env][t]: steps from t to the end of its episode piece, inclusive.
        let mut runs = vec![vec![0usize; n_steps]; n_envs];
        let mut longest = 0;
        for (env, run) in runs.iter_mut().enumerate() {
            for t in (0..n_steps).rev() {
                let ends = dones[t * n_envs + env] || t + 1 == n_steps;
                run[t] = if ends { 1 } else { run[t + 1] + 1 };
                longest = longest.max(run[t]);
            }
        }
        let len = segment_len.min(longest);
        let mut starts = Vec::new();
        if len > 0 {
            for t in 0..n_steps {
                for (env, run) in runs.iter().enumerate() {
                    if run[t] >= len {
                        starts.push((env, t));
                    }
                }
            }
        }
        Self { len, starts }
    }

    /// Two different starts, uniformly. Needs at least two starts.
    pub(super) fn pick_pair(&self, rng: &mut AgentRng) -> (Start, Start) {
        let n = self.starts.len();
        let i = rng.below(n);
        let mut j = rng.below(n - 1);
        if j >= i {
            j += 1;
        }
        (self.starts[i], self.starts[j])
    }

    pub(super) fn rows<'a>(
        &self,
        rollout: &'a RolloutView,
        (env, t0): Start,
    ) -> impl Iterator<Item = usize> + 'a {
        (t0..t0 + self.len).map(move |t| rollout.row(env, t))
    }

    pub(super) fn teacher_scores(&self, rollout: &RolloutView, start: Start) -> Vec<f64> {
        self.rows(rollout, start)
            .map(|r| rollout.teacher_scores[r] as f64)
            .collect()
    }

    pub(super) fn env_return(&self, rollout: &RolloutView, start: Start) -> f64 {
        self.rows(rollout, start)
            .map(|r| rollout.env_rewards[r] as f64)
            .sum()
    }
}
