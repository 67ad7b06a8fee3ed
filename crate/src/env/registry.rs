//! Environments by id, as Gymnasium's `make`: the one list of every id, its family and the
//! constructor behind it, in the manner of Gymnasium's `register(id=..., entry_point=...)`.
//! Each env's spec (spaces, step limit, reward threshold, masked actions) comes from the env
//! itself; families export constructors and know nothing of this list.

use super::classic::{Acrobot, CartPole, MountainCar, MountainCarContinuous, Pendulum};
use super::games::{ConnectFour, GameEnv, TicTacToe};
use super::grid::builtin_map;
use super::minigrid;
use super::{Action, Env, EnvError, EnvSpec, Scene, Step, TimeLimit};

pub use super::options::{EnvOptions, MakeError};

/// Which family an environment belongs to (for grouping in pickers and listings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Family {
    ClassicControl,
    /// Your own fixed maps (`static/maps`), registered as `Grid-<name>-v0`.
    GridWorld,
    /// MiniGrid's generated layouts under MiniGrid's ids.
    MiniGrid,
    Game,
}

type Constructor = Box<dyn Fn(&EnvOptions) -> Result<Box<dyn Env>, MakeError> + Send + Sync>;

/// One registered environment.
pub struct Entry {
    pub id: String,
    pub family: Family,
    pub make: Constructor,
}

impl Entry {
    /// Registers a constructor. The env it makes is wrapped in [`TimeLimit`] here, around the
    /// concrete type, so stepping costs one dynamic call rather than two.
    pub fn new<E: Env + 'static>(
        id: impl Into<String>,
        family: Family,
        make: impl Fn(&EnvOptions) -> Result<E, MakeError> + Send + Sync + 'static,
    ) -> Self {
        Self {
            id: id.into(),
            family,
            make: Box::new(move |options| {
                let env = make(options)?;
                Ok(match env.spec().max_episode_steps {
                    Some(limit) => Box::new(TimeLimit::new(env, limit)) as Box<dyn Env>,
                    None => Box::new(env),
                })
            }),
        }
    }
}

/// Every registered environment, in display order.
pub fn entries() -> Vec<Entry> {
    use Family::*;
    vec![
        // Gymnasium's classic control.
        Entry::new("CartPole-v1", ClassicControl, |_| Ok(CartPole::new())),
        Entry::new("MountainCar-v0", ClassicControl, |_| Ok(MountainCar::new())),
        Entry::new("MountainCarContinuous-v0", ClassicControl, |_| {
            Ok(MountainCarContinuous::new())
        }),
        Entry::new("Acrobot-v1", ClassicControl, |_| Ok(Acrobot::new())),
        Entry::new("Pendulum-v1", ClassicControl, |_| Ok(Pendulum::new())),
        // Fixed maps, drawn from `static/maps` (one file each).
        Entry::new("Grid-Empty-8x8-v0", GridWorld, |_| builtin_map("Empty-8x8")),
        Entry::new("Grid-FourRooms-v0", GridWorld, |_| builtin_map("FourRooms")),
        Entry::new("Grid-DoorKey-8x8-v0", GridWorld, |_| {
            builtin_map("DoorKey-8x8")
        }),
        Entry::new("Grid-LavaCrossing-v0", GridWorld, |_| {
            builtin_map("LavaCrossing")
        }),
        // MiniGrid's layouts, generated per seed.
        Entry::new("MiniGrid-Empty-8x8-v0", MiniGrid, |_| {
            minigrid::empty(8, false)
        }),
        Entry::new("MiniGrid-Empty-Random-6x6-v0", MiniGrid, |_| {
            minigrid::empty(6, true)
        }),
        Entry::new("MiniGrid-DoorKey-5x5-v0", MiniGrid, |_| {
            minigrid::door_key(5)
        }),
        Entry::new("MiniGrid-DoorKey-6x6-v0", MiniGrid, |_| {
            minigrid::door_key(6)
        }),
        Entry::new("MiniGrid-DoorKey-8x8-v0", MiniGrid, |_| {
            minigrid::door_key(8)
        }),
        Entry::new("MiniGrid-DoorKey-16x16-v0", MiniGrid, |_| {
            minigrid::door_key(16)
        }),
        Entry::new("MiniGrid-FourRooms-v0", MiniGrid, |_| {
            minigrid::four_rooms()
        }),
        Entry::new("MiniGrid-LavaCrossingS9N1-v0", MiniGrid, |_| {
            minigrid::lava_crossing(9, 1)
        }),
        Entry::new("MiniGrid-LavaCrossingS9N2-v0", MiniGrid, |_| {
            minigrid::lava_crossing(9, 2)
        }),
        Entry::new("MiniGrid-LavaCrossingS9N3-v0", MiniGrid, |_| {
            minigrid::lava_crossing(9, 3)
        }),
        Entry::new("MiniGrid-SimpleCrossingS9N1-v0", MiniGrid, |_| {
            minigrid::simple_crossing(9, 1)
        }),
        Entry::new("MiniGrid-MultiRoom-N2-S4-v0", MiniGrid, |_| {
            minigrid::multi_room(2, 2, 4)
        }),
        // Two-player games against a chosen opponent.
        Entry::new("ConnectFour-v0", Game, |o| {
            GameEnv::<ConnectFour>::new("ConnectFour-v0", o)
        }),
        Entry::new("TicTacToe-v0", Game, |o| {
            GameEnv::<TicTacToe>::new("TicTacToe-v0", o)
        }),
    ]
}

/// Every registered id, in display order.
pub fn ids() -> Vec<String> {
    entries().into_iter().map(|e| e.id).collect()
}

/// The registered entry of `id`, if any.
pub fn entry(id: &str) -> Option<Entry> {
    entries().into_iter().find(|e| e.id == id)
}

/// Makes an environment by id with default options, wrapped in its time limit.
pub fn make(id: &str) -> Result<Box<dyn Env>, MakeError> {
    make_with(id, &EnvOptions::default())
}

/// Makes an environment by id, wrapped in [`TimeLimit`] when its spec has a step limit.
pub fn make_with(id: &str, options: &EnvOptions) -> Result<Box<dyn Env>, MakeError> {
    let entry = entry(id).ok_or_else(|| MakeError::UnknownId(id.to_string()))?;
    (entry.make)(options)
}

impl Env for Box<dyn Env> {
    fn spec(&self) -> &EnvSpec {
        (**self).spec()
    }
    fn reset(&mut self, seed: Option<u64>, obs: &mut [f32]) {
        (**self).reset(seed, obs)
    }
    fn step(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Step, EnvError> {
        (**self).step(action, obs)
    }
    fn action_mask(&self, mask: &mut [bool]) {
        (**self).action_mask(mask)
    }
    fn observe(&self, obs: &mut [f32]) {
        (**self).observe(obs)
    }
    fn state(&self) -> Option<Vec<f64>> {
        (**self).state()
    }
    fn set_state(&mut self, state: &[f64]) -> Result<(), EnvError> {
        (**self).set_state(state)
    }
    fn scene(&self) -> Scene {
        (**self).scene()
    }
    fn board_view(&self) -> Option<crate::env::games::BoardView> {
        (**self).board_view()
    }

    fn grid_view(&self) -> Option<super::grid::GridView> {
        (**self).grid_view()
    }

    fn minigrid(&self) -> Option<super::minigrid::Snapshot> {
        (**self).minigrid()
    }
}
