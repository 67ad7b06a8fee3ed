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
mod world;

pub use cell::{Cell, Dir};
pub use map::{DEFAULT_NAME, Map, MapError, parse_map};
pub use observation::{OBS_DIM, VIEW, observed_cell};
pub use solve::{GoalDistances, shortest_path};
pub use world::{FORWARD, GridWorld, N_ACTIONS, PICKUP, TOGGLE, TURN_LEFT, TURN_RIGHT};

use super::registry::{Entry, Family, MakeError};

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

/// This family's registry lines: one per built-in map.
pub fn entries() -> Vec<Entry> {
    BUILTIN_MAPS
        .iter()
        .map(|&(name, text)| {
            Entry::new(format!("Grid-{name}-v0"), Family::GridWorld, move |_| {
                make(text)
            })
        })
        .collect()
}

fn make(text: &str) -> Result<GridWorld, MakeError> {
    GridWorld::from_map_text(text).map_err(|e| MakeError::BadMap(e.to_string()))
}
