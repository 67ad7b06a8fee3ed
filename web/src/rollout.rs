//! One environment driven by a uniformly random policy, with the episode bookkeeping the
//! viewer shows. Plain Rust (no JS types), so it is tested natively.

use rand::{RngExt, SeedableRng, rngs::StdRng};
use rlaif::env::{self, Action, Env, EnvError, Scene, registry::MakeError};

/// Where the current episode stands.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct EpisodeInfo {
    /// 1 for the episode after a reset, counting up with each automatic restart.
    pub episode: u32,
    /// Steps taken in this episode.
    pub steps: u32,
    /// Sum of this episode's rewards.
    pub episode_return: f64,
    /// Reward of the last step (0 right after a reset).
    pub last_reward: f64,
    pub terminated: bool,
    pub truncated: bool,
}

impl EpisodeInfo {
    pub fn done(&self) -> bool {
        self.terminated || self.truncated
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RolloutError {
    #[error(transparent)]
    Env(#[from] EnvError),
    #[error("no legal action in this position")]
    NoLegalAction,
}

pub struct Rollout {
    id: String,
    env: Box<dyn Env>,
    policy: StdRng,
    obs: Vec<f32>,
    /// Legal-action mask for discrete envs; empty for continuous ones.
    mask: Vec<bool>,
    /// Scratch for continuous actions; empty for discrete envs.
    action: Vec<f32>,
    info: EpisodeInfo,
}

impl Rollout {
    /// Makes the env by id and resets it with `seed`.
    pub fn new(id: &str, seed: u64) -> Result<Self, MakeError> {
        let env = env::make(id)?;
        let spec = env.spec();
        let (mask, action) = match spec.action_space.n() {
            Some(n) => (vec![true; n], Vec::new()),
            None => (Vec::new(), vec![0.0; spec.action_space.flat_dim()]),
        };
        let mut rollout = Self {
            id: id.to_string(),
            obs: vec![0.0; spec.observation_space.flat_dim()],
            env,
            policy: StdRng::seed_from_u64(0),
            mask,
            action,
            info: EpisodeInfo::default(),
        };
        rollout.reset(seed);
        Ok(rollout)
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Reseeds the env and the policy and starts episode 1.
    pub fn reset(&mut self, seed: u64) {
        // A different stream for the policy than the env's own.
        self.policy = StdRng::seed_from_u64(seed ^ 0x9e37_79b9_7f4a_7c15);
        self.env.reset(Some(seed), &mut self.obs);
        self.info = EpisodeInfo {
            episode: 1,
            ..EpisodeInfo::default()
        };
    }

    /// Takes one random action; a finished episode is first restarted (its last frame stays
    /// visible until this next step).
    pub fn step(&mut self) -> Result<EpisodeInfo, RolloutError> {
        if self.info.done() {
            self.env.reset(None, &mut self.obs);
            self.info = EpisodeInfo {
                episode: self.info.episode + 1,
                ..EpisodeInfo::default()
            };
        }
        let step = if self.mask.is_empty() {
            self.sample_continuous();
            self.env
                .step(Action::Continuous(&self.action), &mut self.obs)?
        } else {
            let a = self.sample_legal()?;
            self.env.step(Action::Discrete(a), &mut self.obs)?
        };
        self.info.steps += 1;
        self.info.episode_return += step.reward;
        self.info.last_reward = step.reward;
        self.info.terminated = step.terminated;
        self.info.truncated = step.truncated;
        Ok(self.info)
    }

    pub fn info(&self) -> EpisodeInfo {
        self.info
    }

    pub fn scene(&self) -> Scene {
        self.env.scene()
    }

    /// A uniformly random legal action.
    fn sample_legal(&mut self) -> Result<usize, RolloutError> {
        self.env.action_mask(&mut self.mask);
        let legal = self.mask.iter().filter(|&&m| m).count();
        if legal == 0 {
            return Err(RolloutError::NoLegalAction);
        }
        let k = self.policy.random_range(0..legal);
        self.mask
            .iter()
            .enumerate()
            .filter(|(_, m)| **m)
            .nth(k)
            .map(|(a, _)| a)
            .ok_or(RolloutError::NoLegalAction)
    }

    /// Uniform in the action box; unbounded dimensions fall back to [-1, 1].
    fn sample_continuous(&mut self) {
        let space = &self.env.spec().action_space;
        if !space.sample_continuous(&mut self.policy, &mut self.action) {
            for a in &mut self.action {
                *a = self.policy.random_range(-1.0..=1.0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rlaif::env::registry;

    #[test]
    fn unknown_id_is_an_error() {
        let err = Rollout::new("NoSuchEnv-v0", 0).err();
        assert!(matches!(err, Some(MakeError::UnknownId(id)) if id == "NoSuchEnv-v0"));
    }

    #[test]
    fn every_env_steps_with_legal_actions_and_counts_episodes() {
        for id in registry::ids() {
            let mut r = Rollout::new(&id, 3).unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(r.info().episode, 1, "{id}");
            assert_eq!(r.info().steps, 0, "{id}");
            let mut sum = 0.0;
            let mut restarts = 0;
            for _ in 0..600 {
                let before = r.info();
                // Any illegal or out-of-box action would come back as an error here.
                let info = r.step().unwrap_or_else(|e| panic!("{id}: {e}"));
                if before.done() {
                    restarts += 1;
                    assert_eq!(info.episode, before.episode + 1, "{id}");
                    assert_eq!(info.steps, 1, "{id}");
                    sum = 0.0;
                } else {
                    assert_eq!(info.episode, before.episode, "{id}");
                    assert_eq!(info.steps, before.steps + 1, "{id}");
                }
                sum += info.last_reward;
                assert!((info.episode_return - sum).abs() < 1e-9, "{id}");
            }
            assert_eq!(r.info().episode, 1 + restarts, "{id}");
        }
    }

    #[test]
    fn same_seed_gives_the_same_rollout() {
        for id in registry::ids() {
            let run = |seed| {
                let mut r = Rollout::new(&id, seed).unwrap_or_else(|e| panic!("{id}: {e}"));
                (0..50)
                    .map(|_| {
                        r.step().unwrap_or_else(|e| panic!("{id}: {e}"));
                        r.scene()
                    })
                    .collect::<Vec<_>>()
            };
            assert_eq!(run(7), run(7), "{id}");
        }
    }

    #[test]
    fn reset_starts_episode_one_again() {
        for id in registry::ids() {
            let mut r = Rollout::new(&id, 1).unwrap_or_else(|e| panic!("{id}: {e}"));
            for _ in 0..30 {
                r.step().unwrap_or_else(|e| panic!("{id}: {e}"));
            }
            r.reset(2);
            assert_eq!(
                r.info(),
                EpisodeInfo {
                    episode: 1,
                    ..EpisodeInfo::default()
                },
                "{id}"
            );
        }
    }
}
