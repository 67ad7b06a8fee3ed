//! One environment driven by a uniformly random policy, replaying the training agent's
//! recorded episodes, or played by a person (whose finished episodes become demonstrations),
//! with the episode bookkeeping the viewer shows and, when a teacher is set, what it thinks.
//! Plain Rust (no JS types), so it is tested natively.

use crate::controls::KeyAction;
use crate::random_policy::RandomPolicy;
use rlaif::env::{self, Env, EnvError, Scene, registry::MakeError};
use rlaif::experiment::EpisodeRecording;
use rlaif::feedback::demos::{DemoAction, Demos, DemosError, Episode};
use rlaif::feedback::{Teacher, TeacherError, TeacherView};

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
    /// The episode is a person's, played with the keyboard.
    pub human: bool,
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
    #[error("that move is not allowed here")]
    IllegalMove,
    #[error("a discrete action for a continuous env, or the other way round")]
    WrongActionKind,
}

/// What the teacher thinks of the current state.
#[derive(Clone, Debug, PartialEq)]
pub struct TeacherReadout {
    /// `Phi(s)`.
    pub value: f64,
    /// Its suggested action: probabilities for a discrete env, the action for a continuous one.
    pub policy: Vec<f32>,
    /// Per-cell values on grid worlds (see [`Teacher::cell_values`]).
    pub cell_values: Option<Vec<Option<f64>>>,
}

/// Where the actions come from.
enum Source {
    Random,
    /// The agent's episode, at action index `next`.
    Replay {
        recording: EpisodeRecording,
        next: usize,
    },
    /// A person at the keyboard; `episode` is recorded as they play.
    Human {
        episode: Episode,
    },
}

pub struct Rollout {
    id: String,
    env: Box<dyn Env>,
    policy: RandomPolicy,
    source: Source,
    /// The newest recording, started when the current episode ends.
    pending: Option<EpisodeRecording>,
    obs: Vec<f32>,
    /// Legal-action mask for discrete envs (a person's key is checked against it); empty for
    /// continuous ones.
    mask: Vec<bool>,
    /// Floats per continuous action; empty for discrete envs.
    action: Vec<f32>,
    info: EpisodeInfo,
    teacher: Option<Box<dyn Teacher>>,
    /// The person's finished episodes.
    demos: Demos,
    /// Seed of the person's next episode.
    human_seed: u64,
}

impl Rollout {
    /// Makes the env by id and resets it with `seed`.
    pub fn new(id: &str, seed: u64) -> Result<Self, MakeError> {
        let env = env::make(id)?;
        let demos = Demos::new(id).map_err(|_| MakeError::UnknownId(id.to_string()))?;
        let spec = env.spec();
        let (mask, action) = match spec.action_space.n() {
            Some(n) => (vec![true; n], Vec::new()),
            None => (Vec::new(), vec![0.0; spec.action_space.flat_dim()]),
        };
        let policy = RandomPolicy::new(&*env, 0);
        let mut rollout = Self {
            id: id.to_string(),
            obs: vec![0.0; spec.observation_space.flat_dim()],
            env,
            policy,
            source: Source::Random,
            pending: None,
            mask,
            action,
            info: EpisodeInfo::default(),
            teacher: None,
            demos,
            human_seed: 0,
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
        self.policy = RandomPolicy::new(&*self.env, seed ^ 0x9e37_79b9_7f4a_7c15);
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

    /// Starts the waiting recording now, mid-episode, if one waits behind an agent episode:
    /// the page calls it when the canvas has fallen behind the training (see `app.js`).
    pub fn skip_ahead(&mut self) {
        if matches!(self.source, Source::Replay { .. }) {
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
        if matches!(self.source, Source::Human { .. }) {
            // A person's episode only moves on their key.
            return Ok(self.info);
        }
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
            Source::Random => {
                let action = self
                    .policy
                    .act(&*self.env)
                    .ok_or(RolloutError::NoLegalAction)?;
                self.env.step(action, &mut self.obs)?
            }
            Source::Human { .. } => return Ok(self.info),
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

    /// Hands the env to a person: a fresh episode from `seed`, then `seed + 1`, ... for the
    /// episodes after it. The random policy and agent replays stop until [`Rollout::reset`].
    pub fn start_human(&mut self, seed: u64) {
        self.pending = None;
        self.human_seed = seed;
        self.start_human_episode(self.info.episode);
    }

    fn start_human_episode(&mut self, number: u32) {
        let seed = self.human_seed;
        self.human_seed = self.human_seed.wrapping_add(1);
        self.env.reset(Some(seed), &mut self.obs);
        self.info = EpisodeInfo {
            episode: number.max(1),
            human: true,
            ..EpisodeInfo::default()
        };
        self.source = Source::Human {
            episode: Episode {
                seed: Some(seed),
                observations: Vec::new(),
                actions: Vec::new(),
                rewards: Vec::new(),
            },
        };
    }

    /// The person's move (see [`Rollout::start_human`]); after a finished episode, the first
    /// key starts the next one (the finished one is already in [`Rollout::demos`]).
    pub fn human_step(&mut self, action: KeyAction) -> Result<EpisodeInfo, RolloutError> {
        if !matches!(self.source, Source::Human { .. }) {
            self.start_human(self.human_seed);
        } else if self.info.done() {
            self.start_human_episode(self.info.episode + 1);
        }
        let demo_action = match action {
            KeyAction::Discrete(a) if !self.mask.is_empty() => {
                self.env.action_mask(&mut self.mask);
                if !self.mask.get(a).copied().unwrap_or(false) {
                    return Err(RolloutError::IllegalMove);
                }
                DemoAction::Discrete(a)
            }
            KeyAction::Continuous(a) if self.mask.is_empty() && self.action.len() == 1 => {
                DemoAction::Continuous(vec![a])
            }
            _ => return Err(RolloutError::WrongActionKind),
        };
        let before = self.obs.clone();
        let step = self.env.step(demo_action.as_action(), &mut self.obs)?;
        self.info.steps += 1;
        self.info.episode_return += step.reward;
        self.info.last_reward = step.reward;
        self.info.terminated = step.terminated;
        self.info.truncated = step.truncated;
        if let Source::Human { episode } = &mut self.source {
            episode.observations.push(before);
            episode.actions.push(demo_action);
            episode.rewards.push(step.reward);
            if step.terminated || step.truncated {
                self.demos.episodes.push(episode.clone());
            }
        }
        Ok(self.info)
    }

    /// Whether the env's actions are continuous.
    pub fn is_continuous(&self) -> bool {
        self.mask.is_empty()
    }

    /// Whether a person is playing.
    pub fn is_human(&self) -> bool {
        matches!(self.source, Source::Human { .. })
    }

    /// The person's finished episodes (only whole episodes: the one in play is not included).
    pub fn demos(&self) -> &Demos {
        &self.demos
    }

    /// Adds demonstrations loaded from a file (checked already); they must be of this env.
    pub fn add_demos(&mut self, demos: Demos) -> Result<usize, DemosError> {
        if demos.env_id != self.id {
            return Err(DemosError::Mismatch(format!(
                "these demonstrations are of {}, not {}",
                demos.env_id, self.id
            )));
        }
        let added = demos.episodes.len();
        self.demos.episodes.extend(demos.episodes);
        Ok(added)
    }

    pub fn clear_demos(&mut self) {
        self.demos.episodes.clear();
    }

    /// Lets `teacher` (a registry name; `None`: the env's default) judge what is shown; an
    /// error names the teachers there are.
    pub fn set_teacher(&mut self, name: Option<&str>) -> Result<(), TeacherError> {
        self.teacher = Some(rlaif::feedback::teacher::make(name, &self.id)?);
        Ok(())
    }

    pub fn clear_teacher(&mut self) {
        self.teacher = None;
    }

    /// The teacher's view of the current state, if a teacher is set.
    pub fn teacher_readout(&mut self) -> Option<TeacherReadout> {
        let teacher = self.teacher.as_mut()?;
        let view = TeacherView {
            env: &*self.env,
            obs: &self.obs,
        };
        let dim = self
            .env
            .spec()
            .action_space
            .n()
            .unwrap_or(self.action.len());
        let mut policy = vec![0.0; dim];
        teacher.policy(view, &mut policy);
        Some(TeacherReadout {
            value: teacher.value(view),
            policy,
            cell_values: teacher.cell_values(view),
        })
    }

    pub fn scene(&self) -> Scene {
        self.env.scene()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random_policy::push_action;
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
        let mut policy = RandomPolicy::new(&*env, seed);
        let (mut actions, mut scenes, mut total) = (Vec::new(), Vec::new(), 0.0);
        loop {
            let action = policy.act(&*env).expect("a legal action");
            push_action(action, &mut actions);
            let step = env
                .step(action, &mut obs)
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
    fn a_newer_recording_waits_for_the_episode_playing_unless_the_page_skips_ahead() {
        let (old, old_scenes) = record("CartPole-v1", 11);
        let (mut newer, newer_scenes) = record("CartPole-v1", 12);
        newer.number = old.number + 5;
        let mut r = Rollout::new("CartPole-v1", 3).unwrap();
        r.replay(old.clone());
        r.step().unwrap();
        r.replay(newer.clone());
        // It waits: the episode playing goes on.
        r.step().unwrap();
        assert_eq!(r.info().episode, 7);
        assert_eq!(r.scene(), old_scenes[1]);
        // Skipping ahead starts the newer one at once, from its first step.
        r.skip_ahead();
        assert_eq!((r.info().episode, r.info().steps), (12, 0));
        r.step().unwrap();
        assert_eq!(r.scene(), newer_scenes[0]);
        // Nothing waits now: skipping ahead changes nothing.
        r.skip_ahead();
        assert_eq!((r.info().episode, r.info().steps), (12, 1));
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

    /// The teacher's greedy action at the rollout's current state.
    fn suggested(r: &mut Rollout) -> KeyAction {
        let readout = r.teacher_readout().expect("a teacher is set");
        if r.is_continuous() {
            return KeyAction::Continuous(readout.policy[0]);
        }
        let best = (0..readout.policy.len())
            .max_by(|&a, &b| {
                readout.policy[a]
                    .total_cmp(&readout.policy[b])
                    .then(b.cmp(&a))
            })
            .unwrap();
        KeyAction::Discrete(best)
    }

    #[test]
    fn a_person_following_the_teacher_solves_doorkey_and_the_episode_is_a_demonstration() {
        let id = "Grid-DoorKey-8x8-v0";
        let mut r = Rollout::new(id, 1).unwrap();
        r.set_teacher(None).unwrap();
        r.start_human(5);
        assert!(r.is_human() && r.info().human && r.info().steps == 0);
        // The random policy no longer moves the env.
        assert_eq!(r.step().unwrap().steps, 0);
        let mut moves = 0;
        while !r.info().done() {
            let a = suggested(&mut r);
            r.human_step(a).unwrap();
            moves += 1;
            assert!(moves < 100, "the teacher's moves did not reach the goal");
        }
        assert!(r.info().terminated && r.info().episode_return > 0.0);
        let demos = r.demos();
        assert_eq!(demos.episodes.len(), 1);
        assert_eq!(demos.episodes[0].seed, Some(5));
        assert_eq!(demos.steps(), moves);
        // The file the page downloads loads back, checked against the env.
        let loaded = Demos::from_json(&demos.to_json()).unwrap();
        assert_eq!(&loaded, demos);
        // The next key starts the next episode, from the next seed.
        let info = r.human_step(KeyAction::Discrete(0)).unwrap();
        assert_eq!((info.episode, info.steps), (2, 1));
        let Source::Human { episode } = &r.source else {
            panic!("not a person's episode");
        };
        assert_eq!(episode.seed, Some(6));
        // A reset hands the env back to the random policy and keeps the demonstrations.
        r.reset(1);
        assert!(!r.is_human());
        assert_eq!(r.demos().episodes.len(), 1);
    }

    #[test]
    fn every_env_takes_a_persons_keys_and_records_what_they_saw() {
        for id in registry::ids() {
            let mut r = Rollout::new(&id, 0).unwrap();
            r.start_human(3);
            let mut env = env::make(&id).unwrap();
            let mut obs = vec![0.0; env.spec().observation_space.flat_dim()];
            env.reset(Some(3), &mut obs);
            let keys = crate::controls::bindings(&id);
            let mut seen = Vec::new();
            for i in 0..10 {
                if r.info().done() {
                    break;
                }
                // Cycles through the keys, skipping moves the position does not allow.
                let b = keys[i % keys.len()];
                seen.push(obs.clone());
                match r.human_step(b.action) {
                    Ok(_) => {
                        let a = match b.action {
                            KeyAction::Discrete(a) => DemoAction::Discrete(a),
                            KeyAction::Continuous(a) => DemoAction::Continuous(vec![a]),
                        };
                        env.step(a.as_action(), &mut obs).unwrap();
                    }
                    Err(RolloutError::IllegalMove) => {
                        seen.pop();
                    }
                    Err(e) => panic!("{id}: {e}"),
                }
            }
            let Source::Human { episode } = &r.source else {
                panic!("{id}: not a person's episode");
            };
            assert_eq!(episode.observations, seen, "{id}");
        }
    }

    #[test]
    fn illegal_and_wrong_kinds_of_moves_are_errors_that_record_nothing() {
        let mut r = Rollout::new("ConnectFour-v0", 0).unwrap();
        r.start_human(0);
        let mut column_full = false;
        for _ in 0..12 {
            match r.human_step(KeyAction::Discrete(0)) {
                Ok(info) if info.done() => break,
                Ok(_) => {}
                Err(RolloutError::IllegalMove) => {
                    column_full = true;
                    break;
                }
                Err(e) => panic!("{e}"),
            }
        }
        if column_full {
            let Source::Human { episode } = &r.source else {
                panic!("not a person's episode");
            };
            assert!(
                episode.actions.len() <= 6,
                "moves into a full column were kept"
            );
        }
        assert!(matches!(
            r.human_step(KeyAction::Continuous(1.0)),
            Err(RolloutError::WrongActionKind)
        ));
        let mut p = Rollout::new("Pendulum-v1", 0).unwrap();
        assert!(matches!(
            p.human_step(KeyAction::Discrete(0)),
            Err(RolloutError::WrongActionKind)
        ));
    }

    #[test]
    fn demonstrations_of_another_env_are_refused() {
        let mut r = Rollout::new("CartPole-v1", 0).unwrap();
        let other = Demos::new("MountainCar-v0").unwrap();
        assert!(r.add_demos(other).is_err());
        let mut same = Demos::new("CartPole-v1").unwrap();
        same.episodes.push(Episode {
            seed: None,
            observations: vec![vec![0.0; 4]],
            actions: vec![DemoAction::Discrete(1)],
            rewards: vec![1.0],
        });
        assert_eq!(r.add_demos(same).unwrap(), 1);
        assert_eq!(r.demos().steps(), 1);
        r.clear_demos();
        assert!(r.demos().episodes.is_empty());
    }

    #[test]
    fn the_teacher_readout_is_there_only_with_a_teacher() {
        let mut r = Rollout::new("CartPole-v1", 0).unwrap();
        assert_eq!(r.teacher_readout(), None);
        assert!(r.set_teacher(Some("oracle")).is_err());
        r.set_teacher(Some("lqr")).unwrap();
        let readout = r.teacher_readout().unwrap();
        assert_eq!(readout.policy.len(), 2);
        assert!((readout.policy.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert_eq!(readout.cell_values, None);
        r.clear_teacher();
        assert_eq!(r.teacher_readout(), None);
        let mut g = Rollout::new("Grid-Empty-8x8-v0", 0).unwrap();
        g.set_teacher(None).unwrap();
        assert_eq!(g.teacher_readout().unwrap().cell_values.unwrap().len(), 64);
    }
}
