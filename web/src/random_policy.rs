//! The uniformly random policy: what the canvas shows before an agent exists, and where the
//! labelling panel cuts its first segments from. One implementation, so both sample alike.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rlaif::env::{Action, Env};

pub struct RandomPolicy {
    rng: StdRng,
    /// Legal-action mask for discrete envs; empty for continuous ones.
    mask: Vec<bool>,
    /// The last continuous action; empty for discrete envs.
    action: Vec<f32>,
}

impl RandomPolicy {
    /// A policy for `env`'s action space, drawing from its own stream seeded by `seed`.
    pub fn new(env: &dyn Env, seed: u64) -> Self {
        let space = &env.spec().action_space;
        let (mask, action) = match space.n() {
            Some(n) => (vec![true; n], Vec::new()),
            None => (Vec::new(), vec![0.0; space.flat_dim()]),
        };
        Self {
            rng: StdRng::seed_from_u64(seed),
            mask,
            action,
        }
    }

    /// A uniformly random legal action in `env`'s current state, or a uniform point of its
    /// action box (unbounded dimensions in `[-1, 1]`); `None` when no action is legal.
    pub fn act(&mut self, env: &dyn Env) -> Option<Action<'_>> {
        if self.mask.is_empty() {
            if !env
                .spec()
                .action_space
                .sample_continuous(&mut self.rng, &mut self.action)
            {
                for a in &mut self.action {
                    *a = self.rng.random_range(-1.0..=1.0);
                }
            }
            return Some(Action::Continuous(&self.action));
        }
        env.action_mask(&mut self.mask);
        let legal = self.mask.iter().filter(|&&m| m).count();
        if legal == 0 {
            return None;
        }
        let k = self.rng.random_range(0..legal);
        self.mask
            .iter()
            .enumerate()
            .filter(|(_, m)| **m)
            .nth(k)
            .map(|(a, _)| Action::Discrete(a))
    }
}

/// Appends `action` to a recording's action values (one float per discrete action).
pub fn push_action(action: Action<'_>, out: &mut Vec<f32>) {
    match action {
        Action::Discrete(a) => out.push(a as f32),
        Action::Continuous(x) => out.extend_from_slice(x),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rlaif::env;

    #[test]
    fn actions_are_legal_in_bounds_and_the_same_for_the_same_seed() {
        for id in ["ConnectFour-v0", "Pendulum-v1", "CartPole-v1"] {
            let run = |seed: u64| {
                let mut env = env::make(id).unwrap();
                let mut obs = vec![0.0; env.spec().observation_space.flat_dim()];
                env.reset(Some(1), &mut obs);
                let mut policy = RandomPolicy::new(&*env, seed);
                let mut values = Vec::new();
                for _ in 0..20 {
                    let n = env.spec().action_space.n();
                    let mut mask = vec![true; n.unwrap_or(0)];
                    env.action_mask(&mut mask);
                    let action = policy.act(&*env).expect("a legal action");
                    match action {
                        Action::Discrete(a) => assert!(mask[a], "{id}: illegal action {a}"),
                        Action::Continuous(x) => {
                            assert!(x.iter().all(|v| (-2.0..=2.0).contains(v)), "{id}: {x:?}")
                        }
                    }
                    push_action(action, &mut values);
                    let step = env.step(action, &mut obs).unwrap();
                    if step.terminated || step.truncated {
                        env.reset(None, &mut obs);
                    }
                }
                values
            };
            assert_eq!(run(3), run(3), "{id}");
            assert_ne!(run(3), run(4), "{id}");
        }
    }
}
