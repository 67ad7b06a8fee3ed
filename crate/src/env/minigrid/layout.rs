//! Which MiniGrid task an env plays: its generator, id, mission, size, step limit and
//! whether walls hide what lies behind them, each as MiniGrid registers it.

use super::crossing::{self, Obstacle};
use super::world::World;
use super::{door_key, empty, four_rooms, multi_room};
use crate::env::MakeError;

/// Largest grid side accepted, so that step limits and buffers stay small.
pub const MAX_SIZE: usize = 64;

/// A MiniGrid task and its parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout {
    /// `EmptyEnv(size)`; `random_start` is `agent_start_pos=None`.
    Empty {
        size: usize,
        random_start: bool,
    },
    DoorKey {
        size: usize,
    },
    FourRooms,
    /// `CrossingEnv(size, num_crossings, obstacle_type)`.
    Crossing {
        size: usize,
        crossings: usize,
        obstacle: Obstacle,
    },
    /// `MultiRoomEnv(minNumRooms, maxNumRooms, maxRoomSize)` on MiniGrid's 25x25 grid.
    MultiRoom {
        min_rooms: usize,
        max_rooms: usize,
        max_room_size: usize,
    },
}

impl Layout {
    /// Refuses parameters MiniGrid rejects or cannot generate (it would assert, raise or
    /// search forever), and sizes beyond [`MAX_SIZE`].
    pub fn validate(&self) -> Result<(), MakeError> {
        let bad = |why: String| Err(MakeError::BadOptions(why));
        match *self {
            Layout::Empty { size, .. } if !(4..=MAX_SIZE).contains(&size) => {
                bad(format!("Empty needs a size in 4..={MAX_SIZE}, got {size}"))
            }
            Layout::DoorKey { size } if !(5..=MAX_SIZE).contains(&size) => bad(format!(
                "DoorKey needs a size in 5..={MAX_SIZE}, got {size}"
            )),
            Layout::Crossing { size, .. }
                if !(5..=MAX_SIZE).contains(&size) || size.is_multiple_of(2) =>
            {
                bad(format!(
                    "Crossing needs an odd size in 5..={MAX_SIZE}, got {size}"
                ))
            }
            Layout::MultiRoom {
                min_rooms,
                max_rooms,
                max_room_size,
            } if min_rooms == 0
                || min_rooms > max_rooms
                || max_rooms > 6
                || !(4..=10).contains(&max_room_size) =>
            {
                bad(format!(
                    "MultiRoom needs 1 <= min_rooms <= max_rooms <= 6 and a room size in 4..=10, \
                     got {min_rooms}, {max_rooms}, {max_room_size}"
                ))
            }
            _ => Ok(()),
        }
    }

    /// The id MiniGrid registers this task under (a made-up one in MiniGrid's pattern where
    /// it registers none).
    pub fn id(&self) -> String {
        match *self {
            Layout::Empty {
                size,
                random_start: false,
            } => format!("MiniGrid-Empty-{size}x{size}-v0"),
            Layout::Empty {
                size,
                random_start: true,
            } => format!("MiniGrid-Empty-Random-{size}x{size}-v0"),
            Layout::DoorKey { size } => format!("MiniGrid-DoorKey-{size}x{size}-v0"),
            Layout::FourRooms => "MiniGrid-FourRooms-v0".into(),
            Layout::Crossing {
                size,
                crossings,
                obstacle,
            } => {
                let name = match obstacle {
                    Obstacle::Lava => "LavaCrossing",
                    Obstacle::Wall => "SimpleCrossing",
                };
                format!("MiniGrid-{name}S{size}N{crossings}-v0")
            }
            Layout::MultiRoom {
                min_rooms,
                max_rooms,
                max_room_size,
            } => {
                let rooms = if min_rooms == max_rooms {
                    format!("N{max_rooms}")
                } else {
                    format!("N{min_rooms}to{max_rooms}")
                };
                if max_room_size == 10 {
                    format!("MiniGrid-MultiRoom-{rooms}-v0")
                } else {
                    format!("MiniGrid-MultiRoom-{rooms}-S{max_room_size}-v0")
                }
            }
        }
    }

    /// The fixed mission string.
    pub fn mission(&self) -> &'static str {
        match self {
            Layout::Empty { .. } => empty::MISSION,
            Layout::DoorKey { .. } => door_key::MISSION,
            Layout::FourRooms => four_rooms::MISSION,
            Layout::Crossing {
                obstacle: Obstacle::Lava,
                ..
            } => crossing::LAVA_MISSION,
            Layout::Crossing {
                obstacle: Obstacle::Wall,
                ..
            } => crossing::WALL_MISSION,
            Layout::MultiRoom { .. } => multi_room::MISSION,
        }
    }

    /// Grid width and height.
    pub fn size(&self) -> (usize, usize) {
        match *self {
            Layout::Empty { size, .. }
            | Layout::DoorKey { size }
            | Layout::Crossing { size, .. } => (size, size),
            Layout::FourRooms => (four_rooms::SIZE, four_rooms::SIZE),
            Layout::MultiRoom { .. } => (multi_room::SIZE, multi_room::SIZE),
        }
    }

    /// MiniGrid's default `max_steps` for the task.
    pub fn max_steps(&self) -> u32 {
        let square = |size: usize| (size * size) as u32;
        match *self {
            Layout::Empty { size, .. } | Layout::Crossing { size, .. } => 4 * square(size),
            Layout::DoorKey { size } => 10 * square(size),
            Layout::FourRooms => 100,
            Layout::MultiRoom { max_rooms, .. } => 20 * max_rooms as u32,
        }
    }

    /// `see_through_walls`: only `EmptyEnv` sets it (for speed), so its view is never occluded.
    pub fn see_through_walls(&self) -> bool {
        matches!(self, Layout::Empty { .. })
    }

    /// `_gen_grid` on an emptied grid of [`Layout::size`].
    pub(super) fn generate(&self, world: &mut World) {
        world.grid.clear();
        match *self {
            Layout::Empty { random_start, .. } => empty::generate(world, random_start),
            Layout::DoorKey { .. } => door_key::generate(world),
            Layout::FourRooms => four_rooms::generate(world),
            Layout::Crossing {
                crossings,
                obstacle,
                ..
            } => crossing::generate(world, crossings, obstacle),
            Layout::MultiRoom {
                min_rooms,
                max_rooms,
                max_room_size,
            } => multi_room::generate(world, min_rooms, max_rooms, max_room_size),
        }
    }
}
