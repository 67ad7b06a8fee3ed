//! N copies of one environment stepped together, with auto-reset.
//!
//! Auto-reset follows SB3's "same step" convention (Gymnasium's `AutoresetMode.SAME_STEP`):
//! when a sub-env's episode ends, it is reset inside the same `step`, `obs` holds the new
//! episode's first observation and `final_obs` keeps the last observation of the finished one
//! (needed to bootstrap the value of a truncated episode). All buffers are allocated once.

use super::{Action, Env, EnvError, EnvSpec};
use super::{EnvOptions, MakeError, make_with};

/// Called with (env index, action, the env after its step, its observation, the step) before
/// any auto-reset.
pub type StepObserver<'a> = dyn FnMut(usize, Action<'_>, &dyn Env, &[f32], &super::Step) + 'a;

pub struct VecEnv {
    envs: Vec<Box<dyn Env>>,
    spec: EnvSpec,
    obs_dim: usize,
    act_dim: usize,
    n_actions: usize,
    /// Current observations, `num_envs * obs_dim`, row per env.
    pub obs: Vec<f32>,
    /// Last observation of an episode that ended this step (valid where `done(i)`).
    pub final_obs: Vec<f32>,
    pub rewards: Vec<f64>,
    pub terminated: Vec<bool>,
    pub truncated: Vec<bool>,
    /// Legal-action masks for the current observations, `num_envs * n_actions` (discrete only).
    pub masks: Vec<bool>,
    /// Undiscounted return and length of the running episode per env.
    episode_return: Vec<f64>,
    episode_length: Vec<u32>,
    /// Return and length of the episode that ended this step (valid where `done(i)`).
    pub final_return: Vec<f64>,
    pub final_length: Vec<u32>,
    /// With per-episode seeding on: the base seed, and how many episodes each env started.
    episode_seed_base: Option<u64>,
    episodes_started: Vec<u64>,
}

/// Seed of env `env`'s `episode`-th episode under per-episode seeding (SplitMix64 mixing).
pub fn episode_seed(base: u64, env: usize, episode: u64) -> u64 {
    let mut z = base
        ^ (env as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ episode.wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl VecEnv {
    /// Makes `num_envs` copies of `id`. Call [`VecEnv::reset`] before stepping.
    pub fn new(id: &str, num_envs: usize, options: &EnvOptions) -> Result<Self, MakeError> {
        if num_envs == 0 {
            return Err(MakeError::BadOptions(
                "a VecEnv needs at least one env".into(),
            ));
        }
        let envs = (0..num_envs)
            .map(|_| make_with(id, options))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::from_envs(envs))
    }

    /// Wraps already-made envs; they must share one spec.
    pub fn from_envs(envs: Vec<Box<dyn Env>>) -> Self {
        let spec = envs[0].spec().clone();
        let n = envs.len();
        let obs_dim = spec.observation_space.flat_dim();
        let n_actions = spec.action_space.n().unwrap_or(0);
        let act_dim = spec.action_space.flat_dim();
        Self {
            envs,
            spec,
            obs_dim,
            act_dim,
            n_actions,
            obs: vec![0.0; n * obs_dim],
            final_obs: vec![0.0; n * obs_dim],
            rewards: vec![0.0; n],
            terminated: vec![false; n],
            truncated: vec![false; n],
            masks: vec![true; n * n_actions],
            episode_return: vec![0.0; n],
            episode_length: vec![0; n],
            final_return: vec![0.0; n],
            final_length: vec![0; n],
            episode_seed_base: None,
            episodes_started: vec![0; n],
        }
    }

    pub fn num_envs(&self) -> usize {
        self.envs.len()
    }

    pub fn spec(&self) -> &EnvSpec {
        &self.spec
    }

    pub fn obs_dim(&self) -> usize {
        self.obs_dim
    }

    /// Whether env `i`'s episode ended on the last step.
    pub fn done(&self, i: usize) -> bool {
        self.terminated[i] || self.truncated[i]
    }

    /// The sub-envs, e.g. to draw one of them.
    pub fn envs(&self) -> &[Box<dyn Env>] {
        &self.envs
    }

    /// Resets every env; env `i` is seeded with `seed + i` so runs are reproducible.
    pub fn reset(&mut self, seed: u64) {
        for i in 0..self.envs.len() {
            let range = i * self.obs_dim..(i + 1) * self.obs_dim;
            self.envs[i].reset(Some(seed.wrapping_add(i as u64)), &mut self.obs[range]);
            self.episode_return[i] = 0.0;
            self.episode_length[i] = 0;
            self.refresh_mask(i);
        }
        self.terminated.fill(false);
        self.truncated.fill(false);
    }

    /// Resets every env and turns on per-episode seeding: every episode, including the ones
    /// auto-reset later, starts from [`episode_seed`]`(base, env, k)`. An episode is then a
    /// function of its seed and its actions, so a trainer can restore an env mid-episode
    /// exactly (see [`VecEnv::restore_episode`]).
    pub fn reset_episode_seeded(&mut self, base: u64) {
        self.episode_seed_base = Some(base);
        for i in 0..self.envs.len() {
            self.episodes_started[i] = 0;
            self.reset_env(i, Some(episode_seed(base, i, 0)));
        }
        self.terminated.fill(false);
        self.truncated.fill(false);
    }

    /// Index of env `i`'s running episode under per-episode seeding (0 for the first).
    pub fn episode_index(&self, i: usize) -> u64 {
        self.episodes_started[i]
    }

    /// The seed env `i`'s `episode`-th episode started from, under per-episode seeding.
    pub fn seed_of_episode(&self, i: usize, episode: u64) -> Option<u64> {
        self.episode_seed_base
            .map(|base| episode_seed(base, i, episode))
    }

    /// Puts env `i` back into its `episode`-th episode after `actions` (per-episode seeding
    /// must be on): resets it with that episode's seed and replays the actions, each
    /// `act_dim` floats (a discrete action is its index as f32). Returns false if the
    /// replay ended the episode, which means the actions do not belong to a running episode.
    pub fn restore_episode(
        &mut self,
        i: usize,
        episode: u64,
        actions: &[f32],
    ) -> Result<bool, EnvError> {
        let Some(base) = self.episode_seed_base else {
            return Ok(false);
        };
        self.episodes_started[i] = episode;
        self.reset_env(i, Some(episode_seed(base, i, episode)));
        let discrete = self.n_actions > 0;
        for a in actions.chunks(self.act_dim.max(1)) {
            if discrete {
                self.step_one(i, Action::Discrete(a[0] as usize), &mut |_, _, _, _, _| {})?;
            } else {
                self.step_one(i, Action::Continuous(a), &mut |_, _, _, _, _| {})?;
            }
            if self.done(i) {
                return Ok(false);
            }
        }
        self.terminated[i] = false;
        self.truncated[i] = false;
        Ok(true)
    }

    fn reset_env(&mut self, i: usize, seed: Option<u64>) {
        let range = i * self.obs_dim..(i + 1) * self.obs_dim;
        self.envs[i].reset(seed, &mut self.obs[range]);
        self.episode_return[i] = 0.0;
        self.episode_length[i] = 0;
        self.refresh_mask(i);
    }

    /// Steps every env with one discrete action each.
    pub fn step_discrete(&mut self, actions: &[usize]) -> Result<(), EnvError> {
        self.step_discrete_observed(actions, &mut |_, _, _, _, _| {})
    }

    /// [`VecEnv::step_discrete`], calling `observe` after each env's step and before its
    /// auto-reset, so a teacher can judge the state the step reached.
    pub fn step_discrete_observed(
        &mut self,
        actions: &[usize],
        observe: &mut StepObserver<'_>,
    ) -> Result<(), EnvError> {
        if actions.len() != self.envs.len() {
            return Err(EnvError::WrongActionLength {
                got: actions.len(),
                expected: self.envs.len(),
            });
        }
        for (i, &a) in actions.iter().enumerate() {
            self.step_one(i, Action::Discrete(a), &mut *observe)?;
        }
        Ok(())
    }

    /// [`VecEnv::step_continuous`] with an observer, as [`VecEnv::step_discrete_observed`].
    pub fn step_continuous_observed(
        &mut self,
        actions: &[f32],
        observe: &mut StepObserver<'_>,
    ) -> Result<(), EnvError> {
        let expected = self.envs.len() * self.act_dim;
        if actions.len() != expected {
            return Err(EnvError::WrongActionLength {
                got: actions.len(),
                expected,
            });
        }
        for i in 0..self.envs.len() {
            let a = &actions[i * self.act_dim..(i + 1) * self.act_dim];
            self.step_one(i, Action::Continuous(a), &mut *observe)?;
        }
        Ok(())
    }

    /// Steps every env with one continuous action each; `actions` is `num_envs * act_dim`.
    pub fn step_continuous(&mut self, actions: &[f32]) -> Result<(), EnvError> {
        self.step_continuous_observed(actions, &mut |_, _, _, _, _| {})
    }

    fn step_one(
        &mut self,
        i: usize,
        action: Action<'_>,
        observe: &mut StepObserver<'_>,
    ) -> Result<(), EnvError> {
        let range = i * self.obs_dim..(i + 1) * self.obs_dim;
        let step = self.envs[i].step(action, &mut self.obs[range.clone()])?;
        observe(
            i,
            action,
            self.envs[i].as_ref(),
            &self.obs[range.clone()],
            &step,
        );
        self.rewards[i] = step.reward;
        self.terminated[i] = step.terminated;
        self.truncated[i] = step.truncated;
        self.episode_return[i] += step.reward;
        self.episode_length[i] += 1;
        if step.terminated || step.truncated {
            self.final_obs[range.clone()].copy_from_slice(&self.obs[range.clone()]);
            self.final_return[i] = self.episode_return[i];
            self.final_length[i] = self.episode_length[i];
            self.episode_return[i] = 0.0;
            self.episode_length[i] = 0;
            let seed = self.episode_seed_base.map(|base| {
                self.episodes_started[i] += 1;
                episode_seed(base, i, self.episodes_started[i])
            });
            self.envs[i].reset(seed, &mut self.obs[range]);
        }
        self.refresh_mask(i);
        Ok(())
    }

    fn refresh_mask(&mut self, i: usize) {
        if self.n_actions > 0 {
            let m = &mut self.masks[i * self.n_actions..(i + 1) * self.n_actions];
            self.envs[i].action_mask(m);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::{Scene, Space, Step};

    /// Counts up from its seed; terminates when the count reaches `seed + 3`; action 1 is only
    /// legal on even counts.
    struct Counter {
        spec: EnvSpec,
        start: u64,
        count: u64,
    }

    impl Counter {
        fn boxed() -> Box<dyn Env> {
            Box::new(Counter {
                spec: EnvSpec {
                    id: "Counter-v0".into(),
                    observation_space: Space::box1(&[0.0], &[1e9]),
                    action_space: Space::Discrete { n: 2 },
                    max_episode_steps: None,
                    reward_threshold: None,
                    masked_actions: false,
                },
                start: 0,
                count: 0,
            })
        }
    }

    impl Env for Counter {
        fn spec(&self) -> &EnvSpec {
            &self.spec
        }
        fn reset(&mut self, seed: Option<u64>, obs: &mut [f32]) {
            if let Some(s) = seed {
                self.start = s;
            }
            self.count = self.start;
            self.observe(obs);
        }
        fn step(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Step, EnvError> {
            let a = crate::env::discrete_action(action, 2)?;
            self.count += 1;
            self.observe(obs);
            Ok(Step {
                reward: a as f64 + 1.0,
                terminated: self.count == self.start + 3,
                truncated: false,
            })
        }
        fn action_mask(&self, mask: &mut [bool]) {
            mask[0] = true;
            mask[1] = self.count.is_multiple_of(2);
        }
        fn observe(&self, obs: &mut [f32]) {
            obs[0] = self.count as f32;
        }
        fn scene(&self) -> Scene {
            Scene::Pendulum {
                theta: 0.0,
                last_torque: 0.0,
            }
        }
    }

    #[test]
    fn seeds_each_env_and_auto_resets_in_the_same_step() {
        let mut v = VecEnv::from_envs(vec![Counter::boxed(), Counter::boxed()]);
        v.reset(10);
        assert_eq!(v.obs, vec![10.0, 11.0]);
        assert_eq!(v.masks, vec![true, true, true, false]);
        v.step_discrete(&[1, 0]).unwrap();
        v.step_discrete(&[0, 0]).unwrap();
        assert!(!v.done(0));
        assert_eq!(v.obs, vec![12.0, 13.0]);
        v.step_discrete(&[1, 1]).unwrap();
        // Both episodes end on their third step: obs is the new episode's first, final_obs
        // the last of the finished one.
        assert!(v.done(0) && v.done(1));
        assert!(v.terminated[0] && !v.truncated[0]);
        assert_eq!(v.obs, vec![10.0, 11.0]);
        assert_eq!(v.final_obs, vec![13.0, 14.0]);
        assert_eq!(v.final_return, vec![2.0 + 1.0 + 2.0, 1.0 + 1.0 + 2.0]);
        assert_eq!(v.final_length, vec![3, 3]);
        v.step_discrete(&[0, 0]).unwrap();
        assert!(!v.done(0));
    }

    #[test]
    fn rejects_wrong_action_counts_and_bad_actions() {
        let mut v = VecEnv::from_envs(vec![Counter::boxed(), Counter::boxed()]);
        v.reset(0);
        assert_eq!(
            v.step_discrete(&[0]),
            Err(EnvError::WrongActionLength {
                got: 1,
                expected: 2
            })
        );
        assert_eq!(
            v.step_discrete(&[0, 5]),
            Err(EnvError::ActionOutOfRange { action: 5, n: 2 })
        );
        assert!(v.step_continuous(&[0.0, 0.0]).is_err());
    }

    #[test]
    fn episode_seeding_makes_episodes_restorable_mid_way() {
        let opts = EnvOptions::default();
        let mut a = VecEnv::new("CartPole-v1", 2, &opts).unwrap();
        a.reset_episode_seeded(9);
        let mut log = Vec::new();
        let mut episode = 0;
        for k in 0..60 {
            let acts = [k % 2, (k / 3) % 2];
            a.step_discrete(&acts).unwrap();
            if a.done(1) {
                log.clear();
                episode += 1;
            } else {
                log.push(acts[1] as f32);
            }
        }
        assert!(episode > 0, "the test needs an auto-reset");
        assert_eq!(a.episode_index(1), episode);
        let mut b = VecEnv::new("CartPole-v1", 2, &opts).unwrap();
        b.reset_episode_seeded(9);
        assert!(b.restore_episode(1, episode, &log).unwrap());
        assert_eq!(a.obs[4..8], b.obs[4..8]);
        // A different episode index gives a different start.
        let mut c = VecEnv::new("CartPole-v1", 2, &opts).unwrap();
        c.reset_episode_seeded(9);
        c.restore_episode(1, episode + 1, &log).unwrap();
        assert_ne!(a.obs[4..8], c.obs[4..8]);
    }

    #[test]
    fn empty_vec_env_is_an_error() {
        assert!(VecEnv::new("CartPole-v1", 0, &EnvOptions::default()).is_err());
    }
}
