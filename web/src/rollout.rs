//! One environment driven by a uniformly random policy, or replaying the training agent's
//! recorded episodes, with the episode bookkeeping the viewer shows. Plain Rust (no JS
//! types), so it is tested natively.

use rand::{RngExt, SeedableRng, rngs::StdRng};
use rlaif::env::{self, Action, Env, EnvError, Scene, registry::MakeError};
use rlaif::experiment::EpisodeRecording;

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
    /// The episode is the training agent's (a replay), not the random policy's.
    pub agent: bool,
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
    #[error("the agent's episode does not replay in this env: it went on after its last action")]
    ReplayTooShort,
}

/// Where the actions come from.
enum Source {
    Random,
    /// The agent's episode, at action index `next`.
    Replay {
        recording: EpisodeRecording,
        next: usize,
    },
}

pub struct Rollout {
    id: String,
    env: Box<dyn Env>,
    policy: StdRng,
    source: Source,
    /// The newest recording, started when the current episode ends.
    pending: Option<EpisodeRecording>,
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
            source: Source::Random,
            pending: None,
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

    /// Reseeds the env and the policy and starts episode 1 of the random policy, forgetting
    /// any agent episodes.
    pub fn reset(&mut self, seed: u64) {
        // A different stream for the policy than the env's own.
        self.policy = StdRng::seed_from_u64(seed ^ 0x9e37_79b9_7f4a_7c15);
        self.source = Source::Random;
        self.pending = None;
        self.env.reset(Some(seed), &mut self.obs);
        self.info = EpisodeInfo {
            episode: 1,
            ..EpisodeInfo::default()
        };
    }

    /// Shows the agent's `recording` next: at once if the random policy is acting, else when
    /// the current agent episode ends. A newer recording replaces one still waiting.
    pub fn replay(&mut self, recording: EpisodeRecording) {
        self.pending = Some(recording);
        if matches!(self.source, Source::Random) {
            self.start_pending();
        }
    }

    /// Starts the waiting recording, if any.
    fn start_pending(&mut self) {
        if let Some(recording) = self.pending.take() {
            self.env.reset(Some(recording.seed), &mut self.obs);
            self.info = EpisodeInfo {
                episode: u32::try_from(recording.number).unwrap_or(u32::MAX),
                agent: true,
                ..EpisodeInfo::default()
            };
            self.source = Source::Replay { recording, next: 0 };
        }
    }

    /// Takes one action, the agent's or a random one; a finished episode is first followed by
    /// the next (its last frame stays visible until this next step): the newest agent episode
    /// if one came, the same agent episode again if not, or the random policy's next.
    pub fn step(&mut self) -> Result<EpisodeInfo, RolloutError> {
        if self.info.done() {
            if self.pending.is_some() {
                self.start_pending();
            } else if let Source::Replay { recording, next } = &mut self.source {
                // No newer episode: the same one again.
                *next = 0;
                self.env.reset(Some(recording.seed), &mut self.obs);
                self.info = EpisodeInfo {
                    agent: true,
                    episode: self.info.episode,
                    ..EpisodeInfo::default()
                };
            } else {
                self.env.reset(None, &mut self.obs);
                self.info = EpisodeInfo {
                    episode: self.info.episode + 1,
                    ..EpisodeInfo::default()
                };
            }
        }
        let step = match &mut self.source {
            Source::Replay { recording, next } => {
                let action = recording
                    .action(*next, !self.mask.is_empty(), self.action.len())
                    .ok_or(RolloutError::ReplayTooShort)?;
                *next += 1;
                self.env.step(action, &mut self.obs)?
            }
            Source::Random if self.mask.is_empty() => {
                self.sample_continuous();
                self.env
                    .step(Action::Continuous(&self.action), &mut self.obs)?
            }
            Source::Random => {
                let a = self.sample_legal()?;
                self.env.step(Action::Discrete(a), &mut self.obs)?
            }
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

    /// One random episode of `id` from `seed`: its recording and the scene after each step.
    fn record(id: &str, seed: u64) -> (EpisodeRecording, Vec<Scene>) {
        let mut env = env::make(id).unwrap_or_else(|e| panic!("{id}: {e}"));
        let spec = env.spec().clone();
        let mut obs = vec![0.0; spec.observation_space.flat_dim()];
        env.reset(Some(seed), &mut obs);
        let mut rng = StdRng::seed_from_u64(seed);
        let (mut actions, mut scenes, mut total) = (Vec::new(), Vec::new(), 0.0);
        loop {
            let step = match spec.action_space.n() {
                Some(n) => {
                    let mut mask = vec![true; n];
                    env.action_mask(&mut mask);
                    let legal: Vec<usize> = (0..n).filter(|&a| mask[a]).collect();
                    let a = legal[rng.random_range(0..legal.len())];
                    actions.push(a as f32);
                    env.step(Action::Discrete(a), &mut obs)
                }
                None => {
                    let a: Vec<f32> = (0..spec.action_space.flat_dim())
                        .map(|_| rng.random_range(-1.0..=1.0))
                        .collect();
                    actions.extend_from_slice(&a);
                    env.step(Action::Continuous(&a), &mut obs)
                }
            }
            .unwrap_or_else(|e| panic!("{id}: {e}"));
            total += step.reward;
            scenes.push(env.scene());
            if step.terminated || step.truncated {
                break;
            }
        }
        let recording = EpisodeRecording {
            number: 7,
            seed,
            actions,
            episode_return: total,
        };
        (recording, scenes)
    }

    #[test]
    fn an_agent_episode_replays_frame_for_frame_then_repeats() {
        for id in registry::ids() {
            let (recording, scenes) = record(&id, 11);
            let mut r = Rollout::new(&id, 3).unwrap_or_else(|e| panic!("{id}: {e}"));
            r.step().unwrap_or_else(|e| panic!("{id}: {e}"));
            // The random policy gives way at once.
            r.replay(recording.clone());
            assert!(
                r.info().agent && r.info().episode == 7 && r.info().steps == 0,
                "{id}"
            );
            for scene in &scenes {
                let info = r.step().unwrap_or_else(|e| panic!("{id}: {e}"));
                assert!(info.agent, "{id}");
                assert_eq!(&r.scene(), scene, "{id}");
            }
            assert!(r.info().done(), "{id}");
            assert_eq!(r.info().episode_return, recording.episode_return, "{id}");
            // With no newer recording the same episode plays again.
            let info = r.step().unwrap_or_else(|e| panic!("{id}: {e}"));
            assert!(info.agent && info.steps == 1 && info.episode == 7, "{id}");
            assert_eq!(&r.scene(), &scenes[0], "{id}");
            // A reset goes back to the random policy.
            r.reset(3);
            assert!(!r.info().agent, "{id}");
        }
    }

    #[test]
    fn a_recording_that_runs_out_of_actions_is_an_error() {
        let (mut recording, scenes) = record("CartPole-v1", 2);
        recording.actions.pop();
        let mut r = Rollout::new("CartPole-v1", 0).unwrap();
        r.replay(recording);
        for _ in 1..scenes.len() {
            r.step().unwrap();
        }
        assert!(matches!(r.step(), Err(RolloutError::ReplayTooShort)));
    }
}
