//! [`MiniGridEnv`]: a layout played with MiniGrid's `reset` and `step`, behind the [`Env`]
//! trait.

use super::Snapshot;
use super::layout::Layout;
use super::object::{DoorState, Object};
use super::rules::{Event, N_ACTIONS};
use super::view::{self, Agent, IMAGE_LEN, OBS_DIM, ViewScratch};
use super::world::World;
use crate::env::grid::{Cell, GridActions, GridView};
use crate::env::np_random::Generator;
use crate::env::render::Scene;
use crate::env::{
    Action, Env, EnvError, EnvSpec, MakeError, Space, Step, check_obs_len, discrete_action,
};

/// A MiniGrid task, generated per seed as MiniGrid 3.x generates it.
///
/// `reset(Some(seed))` reseeds the generator as Gymnasium's `reset(seed=...)` does;
/// `reset(None)` continues its stream. Before the first seeded reset the stream is seed 0's
/// (Gymnasium would seed from the OS). The env truncates at `max_steps` itself, as MiniGrid
/// does; the registry's `TimeLimit` at the same count changes nothing.
#[derive(Clone, Debug)]
pub struct MiniGridEnv {
    layout: Layout,
    spec: EnvSpec,
    max_steps: u32,
    world: World,
    step_count: u32,
    reset_done: bool,
    /// The current `gen_obs()["image"]`, kept for snapshots.
    image: [u8; IMAGE_LEN],
    scratch: ViewScratch,
}

impl MiniGridEnv {
    /// An env for `layout`; an error for parameters MiniGrid cannot generate.
    pub fn new(layout: Layout) -> Result<Self, MakeError> {
        layout.validate()?;
        let (width, height) = layout.size();
        let max_steps = layout.max_steps();
        let spec = EnvSpec {
            id: layout.id(),
            observation_space: Space::box1(&[0.0; OBS_DIM], &[1.0; OBS_DIM]),
            action_space: Space::Discrete { n: N_ACTIONS },
            max_episode_steps: Some(max_steps),
            // MiniGrid registers no reward threshold.
            reward_threshold: None,
            masked_actions: false,
        };
        Ok(Self {
            layout,
            spec,
            max_steps,
            world: World::new(width, height),
            step_count: 0,
            reset_done: false,
            image: [0; IMAGE_LEN],
            scratch: ViewScratch::default(),
        })
    }

    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Steps since the last reset (MiniGrid's `step_count`).
    pub fn step_count(&self) -> u32 {
        self.step_count
    }

    /// The agent's cell, `(0, 0)` before the first reset.
    pub fn agent_pos(&self) -> (usize, usize) {
        self.world.agent_pos.unwrap_or((0, 0))
    }

    /// 0 right, 1 down, 2 left, 3 up.
    pub fn agent_dir(&self) -> u8 {
        self.world.agent_dir
    }

    pub fn carrying(&self) -> Option<Object> {
        self.world.carrying
    }

    /// The current `(7, 7, 3)` image, row-major.
    pub fn image(&self) -> &[u8; IMAGE_LEN] {
        &self.image
    }

    pub fn grid(&self) -> &super::Grid {
        &self.world.grid
    }

    /// MiniGrid's `_reward`: `1 - 0.9 * step_count / max_steps`, `step_count` counting this
    /// step (below 0.1 only when stepping past the limit, as MiniGrid pays it).
    fn goal_reward(&self) -> f64 {
        1.0 - 0.9 * (f64::from(self.step_count) / f64::from(self.max_steps))
    }

    /// `gen_obs()`: refreshes the image.
    fn refresh_image(&mut self) {
        let agent = Agent {
            pos: self.agent_pos(),
            dir: self.world.agent_dir,
            carrying: self.world.carrying,
        };
        view::gen_obs_image(
            &self.world.grid,
            &agent,
            self.layout.see_through_walls(),
            &mut self.scratch,
            &mut self.image,
        );
    }

    /// The episode state, for tests that build positions by hand.
    #[cfg(test)]
    pub(super) fn world_mut(&mut self) -> &mut World {
        &mut self.world
    }

    /// Recomputes the image after a test changed the world.
    #[cfg(test)]
    pub(super) fn refresh(&mut self) {
        self.refresh_image();
    }

    fn cells(&self) -> Vec<Cell> {
        let grid = &self.world.grid;
        (0..grid.height())
            .flat_map(|y| (0..grid.width()).map(move |x| cell_of(grid.get(x, y))))
            .collect()
    }
}

/// The planner's cell for a MiniGrid object.
fn cell_of(obj: Option<Object>) -> Cell {
    match obj {
        None => Cell::Floor,
        Some(Object::Wall) => Cell::Wall,
        Some(Object::Goal) => Cell::Goal,
        Some(Object::Lava) => Cell::Lava,
        Some(Object::Key(_)) => Cell::Key,
        Some(Object::Door { state, .. }) => match state {
            DoorState::Locked => Cell::LockedDoor,
            DoorState::Closed => Cell::ClosedDoor,
            DoorState::Open => Cell::OpenDoor,
        },
    }
}

impl Env for MiniGridEnv {
    fn spec(&self) -> &EnvSpec {
        &self.spec
    }

    fn reset(&mut self, seed: Option<u64>, obs: &mut [f32]) {
        if let Some(seed) = seed {
            self.world.rng = Generator::new(seed);
        }
        self.world.agent_pos = None;
        self.world.carrying = None;
        self.layout.generate(&mut self.world);
        self.step_count = 0;
        self.reset_done = true;
        self.refresh_image();
        self.observe(obs);
    }

    fn step(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Step, EnvError> {
        let action = discrete_action(action, N_ACTIONS)?;
        check_obs_len(obs, OBS_DIM)?;
        if !self.reset_done {
            return Err(EnvError::NotReset);
        }
        self.step_count = self.step_count.saturating_add(1);
        let (reward, terminated) = match self.world.act(action) {
            Event::Goal => (self.goal_reward(), true),
            Event::Lava => (0.0, true),
            Event::Nothing => (0.0, false),
        };
        self.refresh_image();
        self.observe(obs);
        Ok(Step {
            reward,
            terminated,
            truncated: self.step_count >= self.max_steps,
        })
    }

    fn observe(&self, obs: &mut [f32]) {
        view::write_one_hot(&self.image, self.world.agent_dir, obs);
    }

    fn scene(&self) -> Scene {
        let (agent_x, agent_y) = self.agent_pos();
        Scene::Grid {
            width: self.world.grid.width(),
            height: self.world.grid.height(),
            tiles: self.cells().into_iter().map(Cell::tile).collect(),
            agent_x,
            agent_y,
            agent_dir: self.world.agent_dir,
            carrying_key: self.world.carrying.is_some(),
        }
    }

    fn grid_view(&self) -> Option<GridView> {
        Some(GridView {
            width: self.world.grid.width(),
            height: self.world.grid.height(),
            cells: self.cells(),
            pos: self.agent_pos(),
            dir: self.world.agent_dir,
            carrying_key: self.world.carrying.is_some(),
            actions: GridActions::MiniGrid,
        })
    }

    fn minigrid(&self) -> Option<Snapshot> {
        let grid = &self.world.grid;
        Some(Snapshot {
            image: self.image.to_vec(),
            direction: self.world.agent_dir,
            agent_pos: self.agent_pos(),
            grid: grid.encode(),
            width: grid.width(),
            height: grid.height(),
            mission: self.layout.mission(),
        })
    }
}
