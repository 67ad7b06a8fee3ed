//! Gymnasium's `TimeLimit` wrapper: truncates an episode after `max_episode_steps` steps.

use super::{Action, Env, EnvError, EnvSpec, Scene, Step};

pub struct TimeLimit<E> {
    inner: E,
    max_steps: u32,
    elapsed: u32,
}

impl<E: Env> TimeLimit<E> {
    pub fn new(inner: E, max_steps: u32) -> Self {
        Self {
            inner,
            max_steps,
            elapsed: 0,
        }
    }

    /// Steps taken since the last reset.
    pub fn elapsed_steps(&self) -> u32 {
        self.elapsed
    }

    pub fn inner(&self) -> &E {
        &self.inner
    }
}

impl<E: Env> Env for TimeLimit<E> {
    fn spec(&self) -> &EnvSpec {
        self.inner.spec()
    }

    fn reset(&mut self, seed: Option<u64>, obs: &mut [f32]) {
        self.elapsed = 0;
        self.inner.reset(seed, obs);
    }

    fn step(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Step, EnvError> {
        let mut step = self.inner.step(action, obs)?;
        self.elapsed += 1;
        if self.elapsed >= self.max_steps {
            step.truncated = true;
        }
        Ok(step)
    }

    fn action_mask(&self, mask: &mut [bool]) {
        self.inner.action_mask(mask)
    }

    fn observe(&self, obs: &mut [f32]) {
        self.inner.observe(obs)
    }

    fn state(&self) -> Option<Vec<f64>> {
        self.inner.state()
    }

    fn set_state(&mut self, state: &[f64]) -> Result<(), EnvError> {
        self.inner.set_state(state)
    }

    fn scene(&self) -> Scene {
        self.inner.scene()
    }

    fn board_view(&self) -> Option<crate::env::games::BoardView> {
        self.inner.board_view()
    }

    fn grid_view(&self) -> Option<crate::env::grid::GridView> {
        self.inner.grid_view()
    }

    fn minigrid(&self) -> Option<crate::env::minigrid::Snapshot> {
        self.inner.minigrid()
    }
}
