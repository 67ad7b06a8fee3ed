//! The rollout as the preference loop reads it, and where the state after each row is.

use super::PreferenceError;
use super::queue::SegmentRef;

/// One rollout, as the preference loop reads it. Time-major like the rollout buffer: row
/// `t * n_envs + env` is env `env` at step `t`.
#[derive(Clone, Copy, Debug)]
pub struct RolloutView<'a> {
    pub n_envs: usize,
    pub n_steps: usize,
    pub obs_dim: usize,
    /// Floats per stored action (1 for a discrete action: its index).
    pub act_dim: usize,
    /// The observations the policy saw, `[rows, obs_dim]`.
    pub obs: &'a [f32],
    /// `[rows, act_dim]`.
    pub actions: &'a [f32],
    /// The env's own reward (only for the labeler-accuracy metric), `[rows]`.
    pub env_rewards: &'a [f32],
    /// The teacher's score of each step, what the labeler compares, `[rows]`.
    pub teacher_scores: &'a [f32],
    /// The episode ended at this step, `[rows]`.
    pub dones: &'a [bool],
    /// The states after the steps, which the potential model needs (the step model does not).
    pub next: Option<NextStates<'a>>,
    /// Which episode each row belongs to, so that segments can be named by seed and actions
    /// (needed when a person labels; see [`EpisodeRefs`]).
    pub episodes: Option<EpisodeRefs<'a>>,
}

/// Each rollout row's episode: its seed and how far into it the row is, with the actions
/// that replay it.
#[derive(Clone, Copy, Debug)]
pub struct EpisodeRefs<'a> {
    /// Each row's episode seed, `[rows]`.
    pub seeds: &'a [u64],
    /// Each row's step within its episode (0: the episode's first), `[rows]`.
    pub steps: &'a [u32],
    /// Each env's actions of the episode it was running when the rollout began, up to
    /// then, `[n_envs][steps before * width]`.
    pub before: &'a [Vec<f32>],
    /// The actions as sent to the env, `[rows, width]`.
    pub env_actions: &'a [f32],
    /// Floats per env action (1 for a discrete action: its index).
    pub width: usize,
}

/// Where the state after each row of a [`RolloutView`] is: the next row of its env, or, at
/// an episode's end or the rollout's end, what these hold.
#[derive(Clone, Copy, Debug)]
pub struct NextStates<'a> {
    /// The episode ended at this row in a terminal state (its potential is 0), `[rows]`.
    pub terminated: &'a [bool],
    /// Rows where the episode was cut off by a time limit (done, not terminated), ascending.
    pub truncated_rows: &'a [usize],
    /// The last observation of each truncated episode, `[truncated_rows.len(), obs_dim]`.
    pub truncated_obs: &'a [f32],
    /// The observation after each env's last stored step, `[n_envs, obs_dim]`.
    pub last_obs: &'a [f32],
}

impl RolloutView<'_> {
    pub fn rows(&self) -> usize {
        self.n_envs * self.n_steps
    }

    pub(super) fn row(&self, env: usize, t: usize) -> usize {
        t * self.n_envs + env
    }

    pub(super) fn check(&self, obs_dim: usize, act_dim: usize) -> Result<(), PreferenceError> {
        let bad = |msg: String| Err(PreferenceError::BadInput(msg));
        if self.obs_dim != obs_dim || self.act_dim != act_dim {
            return bad(format!(
                "rollout has {} observation and {} action floats per step, the reward model \
                 expects {obs_dim} and {act_dim}",
                self.obs_dim, self.act_dim
            ));
        }
        let rows = self.rows();
        for (name, len, want) in [
            ("obs", self.obs.len(), rows * obs_dim),
            ("actions", self.actions.len(), rows * act_dim),
            ("env_rewards", self.env_rewards.len(), rows),
            ("teacher_scores", self.teacher_scores.len(), rows),
            ("dones", self.dones.len(), rows),
        ] {
            if len != want {
                return bad(format!(
                    "rollout {name} has {len} values, expected {want} ({} envs x {} steps)",
                    self.n_envs, self.n_steps
                ));
            }
        }
        Ok(())
    }

    /// Checks [`RolloutView::next`], which the potential model needs.
    pub(super) fn check_next(&self) -> Result<NextStates<'_>, PreferenceError> {
        let bad = |msg: String| Err(PreferenceError::BadInput(msg));
        let Some(next) = self.next else {
            return bad("the potential reward model needs the states after each step".into());
        };
        let rows = self.rows();
        if next.terminated.len() != rows {
            return bad(format!(
                "rollout terminated has {} values, expected {rows}",
                next.terminated.len()
            ));
        }
        if next.last_obs.len() != self.n_envs * self.obs_dim {
            return bad(format!(
                "rollout last_obs has {} values, expected {}",
                next.last_obs.len(),
                self.n_envs * self.obs_dim
            ));
        }
        if next.truncated_obs.len() != next.truncated_rows.len() * self.obs_dim {
            return bad(format!(
                "{} truncated rows but {} final observation values",
                next.truncated_rows.len(),
                next.truncated_obs.len()
            ));
        }
        if !next.truncated_rows.is_sorted() {
            return bad("truncated rows must be ascending".into());
        }
        for row in 0..rows {
            let truncated = next.truncated_rows.binary_search(&row).is_ok();
            let terminated = next.terminated[row];
            if self.dones[row] != (terminated || truncated) || (terminated && truncated) {
                return bad(format!(
                    "row {row}: done {}, terminated {terminated}, truncated {truncated}",
                    self.dones[row]
                ));
            }
        }
        Ok(next)
    }

    /// Env `env`'s segment of `len` steps from rollout step `t0`, as seed and actions;
    /// `None` without [`RolloutView::episodes`] or when they do not add up.
    pub(super) fn segment_ref(&self, env: usize, t0: usize, len: usize) -> Option<SegmentRef> {
        let refs = self.episodes?;
        let w = refs.width;
        let first = self.row(env, t0);
        let seed = *refs.seeds.get(first)?;
        let start = *refs.steps.get(first)? as usize;
        let mut actions = Vec::with_capacity((start + len) * w);
        // The episode began before the rollout when it is further in than the rollout is.
        let from = if start > t0 {
            let before = refs.before.get(env)?;
            if before.len() != (start - t0) * w {
                return None;
            }
            actions.extend_from_slice(before);
            0
        } else {
            t0 - start
        };
        for t in from..t0 + len {
            let row = self.row(env, t);
            actions.extend_from_slice(refs.env_actions.get(row * w..(row + 1) * w)?);
        }
        Some(SegmentRef {
            seed,
            start,
            len,
            actions,
        })
    }

    /// Where the state after `row` is. Expects a view that passed
    /// [`RolloutView::check_next`].
    pub(super) fn after(&self, next: &NextStates<'_>, row: usize) -> After {
        if next.terminated[row] {
            After::Terminal
        } else if let Ok(k) = next.truncated_rows.binary_search(&row) {
            After::Truncated(k)
        } else if row + self.n_envs < self.rows() {
            After::Row(row + self.n_envs)
        } else {
            After::Last(row % self.n_envs)
        }
    }

    /// The observation after `row`, `None` when the row ended in a terminal state. Expects a
    /// view that passed [`RolloutView::check_next`].
    pub(super) fn next_obs<'s>(&'s self, next: &NextStates<'s>, row: usize) -> Option<&'s [f32]> {
        let d = self.obs_dim;
        match self.after(next, row) {
            After::Terminal => None,
            After::Truncated(k) => Some(&next.truncated_obs[k * d..(k + 1) * d]),
            After::Row(r) => Some(&self.obs[r * d..(r + 1) * d]),
            After::Last(env) => Some(&next.last_obs[env * d..(env + 1) * d]),
        }
    }
}

/// Where the state after a rollout row is (see [`RolloutView::after`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum After {
    /// A terminal state (potential 0).
    Terminal,
    /// The `k`-th truncated episode's last observation.
    Truncated(usize),
    /// The given row: the same env's next step.
    Row(usize),
    /// The env's observation after the rollout.
    Last(usize),
}
