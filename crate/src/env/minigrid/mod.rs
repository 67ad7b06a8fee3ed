//! MiniGrid's own tasks under MiniGrid's ids, generated per seed exactly as MiniGrid 3.x
//! generates them (same NumPy draws in the same order), with its seven actions, rewards,
//! truncation and 7x7 egocentric view with occlusion.
//!
//! Each layout generator is a file of its own (`empty`, `door_key`, `four_rooms`, `crossing`,
//! `multi_room`); they build with the base env's helpers (`world`) on the [`grid`] of
//! [`object`]s, and [`layout`] says which one a task uses. [`MiniGridEnv`] plays any of them; the constructors below make
//! the registered tasks. The learner's observation layout is described in [`view`].

mod crossing;
mod door_key;
mod empty;
mod env;
mod four_rooms;
pub mod grid;
pub mod layout;
mod multi_room;
pub mod object;
mod rules;
pub mod view;
mod world;

#[cfg(test)]
mod tests;

pub use crossing::Obstacle;
pub use env::MiniGridEnv;
pub use grid::Grid;
pub use layout::Layout;
pub use object::{Color, DoorState, Object};
pub use rules::{DONE, DROP, FORWARD, LEFT, N_ACTIONS, PICKUP, RIGHT, TOGGLE};
pub use view::{IMAGE_LEN, OBS_DIM, VIEW_SIZE};

use crate::env::MakeError;

/// What `rlaif replay` records of a MiniGrid env: its observation and layout in MiniGrid's
/// own encoding, so that they compare value for value with the Python env's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// `obs["image"]`, the `(7, 7, 3)` array flattened row-major.
    pub image: Vec<u8>,
    /// `obs["direction"]`: 0 right, 1 down, 2 left, 3 up.
    pub direction: u8,
    /// `env.unwrapped.agent_pos` as `(x, y)`.
    pub agent_pos: (usize, usize),
    /// `env.unwrapped.grid.encode()`, the `(width, height, 3)` array flattened row-major.
    pub grid: Vec<u8>,
    pub width: usize,
    pub height: usize,
    pub mission: &'static str,
}

/// `MiniGrid-Empty-{size}x{size}-v0`, or `MiniGrid-Empty-Random-{size}x{size}-v0` with a
/// random start.
pub fn empty(size: usize, random_start: bool) -> Result<MiniGridEnv, MakeError> {
    MiniGridEnv::new(Layout::Empty { size, random_start })
}

/// `MiniGrid-DoorKey-{size}x{size}-v0`.
pub fn door_key(size: usize) -> Result<MiniGridEnv, MakeError> {
    MiniGridEnv::new(Layout::DoorKey { size })
}

/// `MiniGrid-FourRooms-v0`.
pub fn four_rooms() -> Result<MiniGridEnv, MakeError> {
    MiniGridEnv::new(Layout::FourRooms)
}

/// `MiniGrid-LavaCrossingS{size}N{crossings}-v0`.
pub fn lava_crossing(size: usize, crossings: usize) -> Result<MiniGridEnv, MakeError> {
    MiniGridEnv::new(Layout::Crossing {
        size,
        crossings,
        obstacle: Obstacle::Lava,
    })
}

/// `MiniGrid-SimpleCrossingS{size}N{crossings}-v0` (rivers of wall).
pub fn simple_crossing(size: usize, crossings: usize) -> Result<MiniGridEnv, MakeError> {
    MiniGridEnv::new(Layout::Crossing {
        size,
        crossings,
        obstacle: Obstacle::Wall,
    })
}

/// `MiniGrid-MultiRoom-N{rooms}-S{max_room_size}-v0` (MiniGrid's ids have equal minimum
/// and maximum room counts).
pub fn multi_room(
    min_rooms: usize,
    max_rooms: usize,
    max_room_size: usize,
) -> Result<MiniGridEnv, MakeError> {
    MiniGridEnv::new(Layout::MultiRoom {
        min_rooms,
        max_rooms,
        max_room_size,
    })
}
