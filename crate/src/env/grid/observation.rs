//! The agent's observation: a MiniGrid-style egocentric 7x7 view, one-hot per cell, plus
//! its facing and whether it carries a key.
//!
//! Layout (397 values, each 0 or 1):
//! - `[0, 392)`: the view, row-major over 7 rows and 7 columns, 8 channels per cell (see
//!   [`Cell`]'s discriminants: floor, wall, goal, lava, key, locked door, closed door, open
//!   door). The agent stands in the bottom row's centre (row 6, column 3) looking up the
//!   view: row 0 is six cells ahead, column 0 is three cells to its left. Cells outside the
//!   map read as wall, as in MiniGrid. The agent's own cell shows what it stands on.
//! - `[392, 396)`: facing one-hot (0 right, 1 down, 2 left, 3 up).
//! - `396`: 1 when carrying a key.
//!
//! Unlike MiniGrid's default, walls do not occlude: the whole 7x7 square is visible. This
//! keeps the encoding a pure function of the state and the maps are small enough for it.

use super::cell::{Cell, Dir, dir_vec};

/// Side of the square view.
pub const VIEW: usize = 7;
/// Observation length: `7 * 7 * 8 + 4 + 1`.
pub const OBS_DIM: usize = VIEW * VIEW * Cell::COUNT + 4 + 1;
/// Offset of the facing one-hot.
pub const DIR_OFFSET: usize = VIEW * VIEW * Cell::COUNT;
/// Index of the carrying-key flag.
pub const CARRYING_INDEX: usize = DIR_OFFSET + 4;

/// What the encoder needs to know about the world.
pub struct View<'a> {
    pub cells: &'a [Cell],
    pub width: usize,
    pub height: usize,
    pub pos: (usize, usize),
    pub dir: Dir,
    pub carrying: bool,
}

impl View<'_> {
    /// The world cell seen at view `(row, col)`: `6 - row` cells ahead and `col - 3` to the
    /// right of the agent. Outside the map reads as wall.
    pub fn cell_at(&self, row: usize, col: usize) -> Cell {
        let ahead = (VIEW - 1 - row) as isize;
        let right = col as isize - (VIEW / 2) as isize;
        let (fx, fy) = dir_vec(self.dir);
        // With y growing downwards, the agent's right-hand side is its facing turned clockwise.
        let (rx, ry) = (-fy, fx);
        let x = self.pos.0 as isize + ahead * fx + right * rx;
        let y = self.pos.1 as isize + ahead * fy + right * ry;
        if x < 0 || y < 0 || x as usize >= self.width || y as usize >= self.height {
            return Cell::Wall;
        }
        self.cells
            .get(y as usize * self.width + x as usize)
            .copied()
            .unwrap_or(Cell::Wall)
    }

    /// Writes the observation into `obs`; does nothing unless `obs.len() == OBS_DIM`.
    pub fn encode(&self, obs: &mut [f32]) {
        if obs.len() != OBS_DIM {
            return;
        }
        obs.fill(0.0);
        for row in 0..VIEW {
            for col in 0..VIEW {
                let cell = self.cell_at(row, col);
                obs[(row * VIEW + col) * Cell::COUNT + cell as usize] = 1.0;
            }
        }
        obs[DIR_OFFSET + usize::from(self.dir % 4)] = 1.0;
        if self.carrying {
            obs[CARRYING_INDEX] = 1.0;
        }
    }
}

/// The one-hot channel set at view `(row, col)` of an encoded observation, if exactly one is.
pub fn observed_cell(obs: &[f32], row: usize, col: usize) -> Option<Cell> {
    const CELLS: [Cell; Cell::COUNT] = [
        Cell::Floor,
        Cell::Wall,
        Cell::Goal,
        Cell::Lava,
        Cell::Key,
        Cell::LockedDoor,
        Cell::ClosedDoor,
        Cell::OpenDoor,
    ];
    let start = (row * VIEW + col) * Cell::COUNT;
    let channels = obs.get(start..start + Cell::COUNT)?;
    let mut hot = channels.iter().enumerate().filter(|(_, v)| **v == 1.0);
    match (hot.next(), hot.next()) {
        (Some((i, _)), None) if channels.iter().all(|&v| v == 0.0 || v == 1.0) => Some(CELLS[i]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 9x9 walled room of floor with the agent at (4, 4) and a goal at `goal`.
    fn room(goal: (usize, usize)) -> Vec<Cell> {
        let mut cells = vec![Cell::Floor; 81];
        for i in 0..9 {
            cells[i] = Cell::Wall;
            cells[72 + i] = Cell::Wall;
            cells[i * 9] = Cell::Wall;
            cells[i * 9 + 8] = Cell::Wall;
        }
        cells[goal.1 * 9 + goal.0] = Cell::Goal;
        cells
    }

    fn encode(cells: &[Cell], dir: Dir) -> Vec<f32> {
        let view = View {
            cells,
            width: 9,
            height: 9,
            pos: (4, 4),
            dir,
            carrying: false,
        };
        let mut obs = vec![0.5; OBS_DIM];
        view.encode(&mut obs);
        obs
    }

    /// View positions holding the goal.
    fn goals(obs: &[f32]) -> Vec<(usize, usize)> {
        (0..VIEW)
            .flat_map(|r| (0..VIEW).map(move |c| (r, c)))
            .filter(|&(r, c)| observed_cell(obs, r, c) == Some(Cell::Goal))
            .collect()
    }

    #[test]
    fn dimension_is_minigrid_view_plus_direction_and_key() {
        assert_eq!(OBS_DIM, 397);
    }

    #[test]
    fn every_cell_is_one_hot_and_facing_is_set() {
        let obs = encode(&room((6, 4)), 2);
        for r in 0..VIEW {
            for c in 0..VIEW {
                assert!(observed_cell(&obs, r, c).is_some(), "({r}, {c})");
            }
        }
        assert_eq!(&obs[DIR_OFFSET..DIR_OFFSET + 4], &[0.0, 0.0, 1.0, 0.0]);
        assert_eq!(obs[CARRYING_INDEX], 0.0);
    }

    #[test]
    fn goal_ahead_is_in_the_centre_column_above_the_agent() {
        // Facing right (0), the goal two cells to the right is two rows above the agent.
        assert_eq!(goals(&encode(&room((6, 4)), 0)), vec![(4, 3)]);
        // Facing up (3), a goal two cells up is in the same place.
        assert_eq!(goals(&encode(&room((4, 2)), 3)), vec![(4, 3)]);
    }

    #[test]
    fn turning_right_moves_what_was_ahead_to_the_left() {
        // The goal was two ahead while facing right; facing down it is two to the left.
        assert_eq!(goals(&encode(&room((6, 4)), 1)), vec![(6, 1)]);
        // Facing left it is behind the agent, outside the view.
        assert!(goals(&encode(&room((6, 4)), 2)).is_empty());
        // Facing up it is two to the right.
        assert_eq!(goals(&encode(&room((6, 4)), 3)), vec![(6, 5)]);
    }

    #[test]
    fn outside_the_map_reads_as_wall_and_walls_are_placed_by_distance() {
        // Facing right from (4, 4): the right border wall is at x = 8, four cells ahead (row 2);
        // rows 0 and 1 lie outside the map. All three read as wall.
        let obs = encode(&room((6, 6)), 0);
        for row in 0..=2 {
            assert_eq!(observed_cell(&obs, row, 3), Some(Cell::Wall), "row {row}");
        }
        assert_eq!(observed_cell(&obs, 3, 3), Some(Cell::Floor));
        // Facing down, the agent's right-hand side is the left of the map (x decreasing):
        // column 6 is three cells to the right, x = 1, floor.
        let obs = encode(&room((6, 6)), 1);
        assert_eq!(observed_cell(&obs, 6, 6), Some(Cell::Floor));
        // The goal at (6, 6) is two ahead (row 4) and two to the left (column 1).
        assert_eq!(goals(&obs), vec![(4, 1)]);
    }

    #[test]
    fn wrong_length_buffer_is_left_alone() {
        let cells = room((6, 4));
        let view = View {
            cells: &cells,
            width: 9,
            height: 9,
            pos: (4, 4),
            dir: 0,
            carrying: true,
        };
        let mut short = vec![0.5; 10];
        view.encode(&mut short);
        assert!(short.iter().all(|&v| v == 0.5));
        let mut obs = vec![0.0; OBS_DIM];
        view.encode(&mut obs);
        assert_eq!(obs[CARRYING_INDEX], 1.0);
    }
}
