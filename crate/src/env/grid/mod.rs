//! MiniGrid-like grid worlds defined by ASCII maps.
//!
//! A map (format in `static/maps/README.md`) fixes the layout, the agent's start and the
//! step limit; [`GridWorld`] plays it with MiniGrid's actions, rewards and egocentric 7x7
//! observation. The built-in maps are compiled in, so the CLI and the web build share them.

mod cell;
mod map;
mod observation;
mod reach;
mod solve;
mod view;
mod world;

pub use cell::{Cell, Dir};
pub use map::{DEFAULT_NAME, Map, MapError, parse_map};
pub use observation::{OBS_DIM, VIEW, observed_cell};
pub use solve::{GoalDistances, shortest_path};
pub use view::{GridActions, GridView};
pub use world::{FORWARD, GridWorld, N_ACTIONS, PICKUP, TOGGLE, TURN_LEFT, TURN_RIGHT};

use super::MakeError;

/// The built-in maps as `(name, map text)`; each is registered as `Grid-<name>-v0`.
pub const BUILTIN_MAPS: &[(&str, &str)] = &[
    (
        "Empty-8x8",
        include_str!("../../../../static/maps/Empty-8x8.txt"),
    ),
    (
        "FourRooms",
        include_str!("../../../../static/maps/FourRooms.txt"),
    ),
    (
        "DoorKey-8x8",
        include_str!("../../../../static/maps/DoorKey-8x8.txt"),
    ),
    (
        "LavaCrossing",
        include_str!("../../../../static/maps/LavaCrossing.txt"),
    ),
];

/// The built-in map `name` (one of [`BUILTIN_MAPS`]) as a world.
pub fn builtin_map(name: &str) -> Result<GridWorld, MakeError> {
    let (_, text) = BUILTIN_MAPS
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(|| MakeError::BadMap(format!("no built-in map named '{name}'")))?;
    GridWorld::from_map_text(text).map_err(|e| MakeError::BadMap(e.to_string()))
}
