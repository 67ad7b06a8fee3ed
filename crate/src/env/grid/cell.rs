//! What a grid cell can hold, and the agent's four facings.

use crate::env::render::Tile;

/// The contents of one cell. The discriminant is the cell's channel in the observation's
/// one-hot encoding, so the order is part of the observation layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cell {
    Floor = 0,
    Wall = 1,
    Goal = 2,
    Lava = 3,
    Key = 4,
    /// Opens only for an agent carrying the key (and then stays unlocked).
    LockedDoor = 5,
    ClosedDoor = 6,
    OpenDoor = 7,
}

impl Cell {
    /// Number of cell kinds, i.e. one-hot channels per observed cell.
    pub const COUNT: usize = 8;

    /// The map character for this cell (`d` for a closed door; an open door has no
    /// character of its own and is never written in a map).
    pub fn from_char(c: char) -> Option<Cell> {
        Some(match c {
            '.' => Cell::Floor,
            '#' => Cell::Wall,
            'G' => Cell::Goal,
            'L' => Cell::Lava,
            'K' => Cell::Key,
            'D' => Cell::LockedDoor,
            'd' => Cell::ClosedDoor,
            _ => return None,
        })
    }

    /// Whether the agent may stand here (MiniGrid's `can_overlap`). Lava and the goal count:
    /// walking onto them ends the episode.
    pub fn can_enter(self) -> bool {
        matches!(self, Cell::Floor | Cell::Goal | Cell::Lava | Cell::OpenDoor)
    }

    /// The cell a drawing tile shows (the inverse of [`Cell::tile`]), so that a planner can
    /// rebuild the layout from a [`crate::env::Scene`].
    pub fn from_tile(tile: Tile) -> Cell {
        match tile {
            Tile::Floor => Cell::Floor,
            Tile::Wall => Cell::Wall,
            Tile::Goal => Cell::Goal,
            Tile::Lava => Cell::Lava,
            Tile::Key => Cell::Key,
            Tile::Door { open: true, .. } => Cell::OpenDoor,
            Tile::Door { locked: true, .. } => Cell::LockedDoor,
            Tile::Door { .. } => Cell::ClosedDoor,
        }
    }

    /// The drawing tile for this cell.
    pub fn tile(self) -> Tile {
        match self {
            Cell::Floor => Tile::Floor,
            Cell::Wall => Tile::Wall,
            Cell::Goal => Tile::Goal,
            Cell::Lava => Tile::Lava,
            Cell::Key => Tile::Key,
            Cell::LockedDoor => Tile::Door {
                open: false,
                locked: true,
            },
            Cell::ClosedDoor => Tile::Door {
                open: false,
                locked: false,
            },
            Cell::OpenDoor => Tile::Door {
                open: true,
                locked: false,
            },
        }
    }
}

/// Facing as MiniGrid numbers it: 0 right, 1 down, 2 left, 3 up (y grows downwards).
pub type Dir = u8;

/// Unit step `(dx, dy)` for each facing.
const DIR_VEC: [(isize, isize); 4] = [(1, 0), (0, 1), (-1, 0), (0, -1)];

/// The unit step for facing `dir` (taken modulo 4).
pub fn dir_vec(dir: Dir) -> (isize, isize) {
    DIR_VEC[usize::from(dir % 4)]
}

/// The facing after a left (counter-clockwise) turn.
pub fn turn_left(dir: Dir) -> Dir {
    (dir + 3) % 4
}

/// The facing after a right (clockwise) turn.
pub fn turn_right(dir: Dir) -> Dir {
    (dir + 1) % 4
}

/// The map character of an agent start for each facing.
pub const START_CHARS: [char; 4] = ['>', 'v', '<', '^'];

/// The facing of an agent start character.
pub fn start_dir_from_char(c: char) -> Option<Dir> {
    START_CHARS.iter().position(|&s| s == c).map(|d| d as Dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turns_follow_minigrid_numbering() {
        // Right (0) turned right faces down (1); up (3) turned right wraps to right (0).
        assert_eq!(turn_right(0), 1);
        assert_eq!(turn_right(3), 0);
        assert_eq!(turn_left(0), 3);
        assert_eq!(turn_left(1), 0);
        assert_eq!(dir_vec(1), (0, 1));
        assert_eq!(dir_vec(3), (0, -1));
    }

    #[test]
    fn only_open_cells_can_be_entered() {
        assert!(Cell::OpenDoor.can_enter());
        assert!(Cell::Lava.can_enter());
        for c in [Cell::Wall, Cell::Key, Cell::LockedDoor, Cell::ClosedDoor] {
            assert!(!c.can_enter(), "{c:?}");
        }
    }
}
