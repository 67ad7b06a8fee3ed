//! The rollout buffer: `n_steps` steps of `n_envs` envs, stored step-major on the host, and
//! GAE over it.
//!
//! Row `t * n_envs + i` is env `i` at step `t`. Everything is allocated once; `clear` only
//! rewinds the cursor.

/// One rollout's worth of transitions.
#[derive(Clone, Debug, PartialEq)]
pub struct RolloutBuffer {
    pub n_envs: usize,
    pub n_steps: usize,
    pub obs_dim: usize,
    /// Floats per action: 1 for discrete (the index as f32), the action dimension otherwise.
    pub act_dim: usize,
    /// Discrete actions with masks: number of actions (0 = no masks stored).
    pub mask_dim: usize,
    /// Steps stored so far.
    pub len: usize,
    /// Network inputs (normalised if normalisation is on), `[n_steps * n_envs, obs_dim]`.
    pub obs: Vec<f32>,
    /// Actions as sampled (continuous ones before clipping to the action bounds).
    pub actions: Vec<f32>,
    pub masks: Vec<bool>,
    pub log_probs: Vec<f32>,
    pub values: Vec<f32>,
    pub rewards: Vec<f32>,
    /// The episode ended at this step (terminated or truncated).
    pub dones: Vec<bool>,
    /// The episode ended at this step in a terminal state (the rest of `dones` are
    /// truncations).
    pub terminated: Vec<bool>,
    /// Rows of this rollout where an episode was truncated, ascending, and the final
    /// observation of each (network input, as `obs`): the state after those steps, which a
    /// learned potential reads.
    pub truncated_rows: Vec<usize>,
    pub truncated_obs: Vec<f32>,
    /// Value of the final observation where the episode was truncated but not terminated
    /// (0 elsewhere): the return is bootstrapped from it.
    pub bootstrap: Vec<f32>,
    pub advantages: Vec<f32>,
    pub returns: Vec<f32>,
    /// The env's own reward per row (`rewards` is what PPO optimises, feedback included).
    pub env_rewards: Vec<f32>,
    /// The teacher's score of each step (preference mode's labeler reads it).
    pub teacher_scores: Vec<f32>,
    /// Advice: floats per row of teacher targets (0 = no advice).
    pub advice_dim: usize,
    /// The teacher's suggested action per row: probabilities (discrete) or an action.
    pub advice: Vec<f32>,
    /// Weight of the advice term in the update of this rollout.
    pub advice_weight: f32,
}

impl RolloutBuffer {
    pub fn new(
        n_envs: usize,
        n_steps: usize,
        obs_dim: usize,
        act_dim: usize,
        mask_dim: usize,
    ) -> Self {
        let rows = n_envs * n_steps;
        Self {
            n_envs,
            n_steps,
            obs_dim,
            act_dim,
            mask_dim,
            len: 0,
            obs: vec![0.0; rows * obs_dim],
            actions: vec![0.0; rows * act_dim],
            masks: vec![true; rows * mask_dim],
            log_probs: vec![0.0; rows],
            values: vec![0.0; rows],
            rewards: vec![0.0; rows],
            dones: vec![false; rows],
            terminated: vec![false; rows],
            truncated_rows: Vec::new(),
            truncated_obs: Vec::new(),
            bootstrap: vec![0.0; rows],
            advantages: vec![0.0; rows],
            returns: vec![0.0; rows],
            env_rewards: vec![0.0; rows],
            teacher_scores: vec![0.0; rows],
            advice_dim: 0,
            advice: Vec::new(),
            advice_weight: 0.0,
        }
    }

    /// Stores `dim` floats of teacher advice per row (see [`RolloutBuffer::advice`]).
    pub fn with_advice(mut self, dim: usize) -> Self {
        self.advice_dim = dim;
        self.advice = vec![0.0; self.rows() * dim];
        self
    }

    pub fn is_full(&self) -> bool {
        self.len == self.n_steps
    }

    pub fn rows(&self) -> usize {
        self.n_envs * self.n_steps
    }

    pub fn clear(&mut self) {
        self.len = 0;
        self.truncated_rows.clear();
        self.truncated_obs.clear();
    }

    /// Range of rows for step `t`.
    pub fn step_rows(&self, t: usize) -> std::ops::Range<usize> {
        t * self.n_envs..(t + 1) * self.n_envs
    }

    /// Computes advantages and returns with GAE(`gamma`, `lambda`); `last_values` are the
    /// critic's values of the observations after the last stored step.
    pub fn compute_gae(&mut self, last_values: &[f32], gamma: f32, lambda: f32) {
        gae(
            &GaeInput {
                n_envs: self.n_envs,
                rewards: &self.rewards[..self.len * self.n_envs],
                values: &self.values[..self.len * self.n_envs],
                dones: &self.dones[..self.len * self.n_envs],
                bootstrap: &self.bootstrap[..self.len * self.n_envs],
                last_values,
                gamma,
                lambda,
            },
            &mut self.advantages[..self.len * self.n_envs],
            &mut self.returns[..self.len * self.n_envs],
        );
    }
}

/// The inputs of [`gae`], step-major as in [`RolloutBuffer`].
pub struct GaeInput<'a> {
    pub n_envs: usize,
    pub rewards: &'a [f32],
    pub values: &'a [f32],
    pub dones: &'a [bool],
    pub bootstrap: &'a [f32],
    pub last_values: &'a [f32],
    pub gamma: f32,
    pub lambda: f32,
}

/// Generalised advantage estimation.
///
/// At an episode end the next state's value is `bootstrap` (the final observation's value
/// if the episode was truncated, 0 if it terminated) and the advantage recursion restarts;
/// otherwise it is the next step's value (`last_values` after the last step).
/// `returns = advantages + values`, the critic's regression target.
pub fn gae(input: &GaeInput<'_>, advantages: &mut [f32], returns: &mut [f32]) {
    let n = input.n_envs;
    let steps = input.rewards.len() / n;
    for i in 0..n {
        let mut next_adv = 0.0f32;
        for t in (0..steps).rev() {
            let row = t * n + i;
            let (next_value, carry) = if input.dones[row] {
                (input.bootstrap[row], 0.0)
            } else if t + 1 == steps {
                (input.last_values[i], 1.0)
            } else {
                (input.values[row + n], 1.0)
            };
            let delta = input.rewards[row] + input.gamma * next_value - input.values[row];
            next_adv = delta + input.gamma * input.lambda * carry * next_adv;
            advantages[row] = next_adv;
            returns[row] = next_adv + input.values[row];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gae_matches_a_hand_computed_example() {
        // One env, four steps. Step 1 ends by truncation (bootstrap from V(final) = 2.0),
        // step 3 by termination is not the case; the rollout ends mid-episode (last value 4).
        let gamma = 0.9f32;
        let lambda = 0.8f32;
        let rewards = [1.0, 1.0, 1.0, 1.0];
        let values = [0.5, 1.5, 1.0, 2.0];
        let dones = [false, true, false, false];
        let bootstrap = [0.0, 2.0, 0.0, 0.0];
        let mut adv = [0.0; 4];
        let mut ret = [0.0; 4];
        gae(
            &GaeInput {
                n_envs: 1,
                rewards: &rewards,
                values: &values,
                dones: &dones,
                bootstrap: &bootstrap,
                last_values: &[4.0],
                gamma,
                lambda,
            },
            &mut adv,
            &mut ret,
        );
        let d3 = 1.0 + 0.9 * 4.0 - 2.0; // 2.6
        let d2 = 1.0 + 0.9 * 2.0 - 1.0; // 1.8
        let d1 = 1.0 + 0.9 * 2.0 - 1.5; // 1.3, bootstrapped from the final obs
        let d0 = 1.0 + 0.9 * 1.5 - 0.5; // 1.85
        let a3 = d3;
        let a2 = d2 + 0.72 * a3;
        let a1 = d1; // the recursion restarts at the episode end
        let a0 = d0 + 0.72 * a1;
        let expected = [a0, a1, a2, a3];
        for t in 0..4 {
            assert!((adv[t] - expected[t]).abs() < 1e-5, "t={t}: {adv:?}");
            assert!((ret[t] - (expected[t] + values[t])).abs() < 1e-5);
        }
    }

    #[test]
    fn termination_does_not_bootstrap_and_envs_are_independent() {
        // Two envs interleaved; env 0 terminates at step 0, env 1 never ends.
        let mut adv = [0.0; 4];
        let mut ret = [0.0; 4];
        gae(
            &GaeInput {
                n_envs: 2,
                rewards: &[1.0, 0.0, 5.0, 0.0],
                values: &[3.0, 1.0, 0.0, 1.0],
                dones: &[true, false, false, false],
                bootstrap: &[0.0, 0.0, 0.0, 0.0],
                last_values: &[0.0, 1.0],
                gamma: 0.5,
                lambda: 1.0,
            },
            &mut adv,
            &mut ret,
        );
        assert!(
            (adv[0] - (1.0 - 3.0)).abs() < 1e-6,
            "terminal: no value after it"
        );
        assert!((adv[2] - 5.0).abs() < 1e-6);
        // Env 1: deltas -0.5 at both steps; a1 = -0.5, a0 = -0.5 + 0.5 * -0.5.
        assert!((adv[3] + 0.5).abs() < 1e-6);
        assert!((adv[1] + 0.75).abs() < 1e-6);
    }
}
