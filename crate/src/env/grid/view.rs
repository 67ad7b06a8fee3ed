//! The typed view of a grid world's state that teachers and planners read, whichever family
//! (fixed maps or MiniGrid's generated layouts) the env belongs to.

use super::cell::{Cell, Dir};

/// Which action numbering the env uses; the layout and moves are the same in both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GridActions {
    /// The fixed maps' five actions: left, right, forward, pickup, toggle.
    Compact,
    /// MiniGrid's seven: left, right, forward, pickup, drop, toggle, done.
    MiniGrid,
}

impl GridActions {
    /// Number of discrete actions.
    pub fn count(self) -> usize {
        match self {
            GridActions::Compact => 5,
            GridActions::MiniGrid => 7,
        }
    }

    /// The env's index of a compact action (`TURN_LEFT`..=`TOGGLE`).
    pub fn index_of(self, compact: usize) -> usize {
        match (self, compact) {
            (GridActions::MiniGrid, super::TOGGLE) => 5,
            (_, a) => a,
        }
    }
}

/// A grid world's state: the layout row-major (`y * width + x`), keys taken gone and doors as
/// they are now, and the agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GridView {
    pub width: usize,
    pub height: usize,
    pub cells: Vec<Cell>,
    pub pos: (usize, usize),
    /// 0 right, 1 down, 2 left, 3 up.
    pub dir: Dir,
    pub carrying_key: bool,
    pub actions: GridActions,
}
