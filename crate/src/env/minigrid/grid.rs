//! MiniGrid's `Grid` (`core/grid.py`): cells of optional objects, the wall helpers with their
//! draw order, `encode`, and the `slice`/`rotate_left`/`process_vis` steps of the agent's view.
//! The `_into` forms write into a grid that already exists, so the view costs no allocation.

use super::object::{Object, kind};

/// A `width x height` grid; cell `(x, y)` is stored at `y * width + x`, as MiniGrid does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grid {
    width: usize,
    height: usize,
    cells: Vec<Option<Object>>,
}

impl Grid {
    /// An empty grid (every cell `None`).
    pub fn new(width: usize, height: usize) -> Self {
        Self {
            width,
            height,
            cells: vec![None; width * height],
        }
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn height(&self) -> usize {
        self.height
    }

    /// Empties every cell, keeping the size.
    pub fn clear(&mut self) {
        self.cells.fill(None);
    }

    /// Whether `(x, y)` lies on the grid.
    pub fn contains(&self, x: i64, y: i64) -> bool {
        x >= 0 && y >= 0 && (x as u64) < self.width as u64 && (y as u64) < self.height as u64
    }

    /// The object at `(x, y)`; `None` for an empty cell and off the grid (where MiniGrid
    /// asserts; callers check [`Grid::contains`] where the difference matters).
    pub fn get(&self, x: usize, y: usize) -> Option<Object> {
        if x < self.width && y < self.height {
            self.cells[y * self.width + x]
        } else {
            None
        }
    }

    /// Sets `(x, y)`; off the grid it does nothing (MiniGrid asserts; no layout does it).
    pub fn set(&mut self, x: usize, y: usize, value: Option<Object>) {
        if x < self.width && y < self.height {
            self.cells[y * self.width + x] = value;
        }
    }

    /// `horz_wall(x, y, length)`; `None` runs to the right edge.
    pub fn horz_wall(&mut self, x: usize, y: usize, length: Option<usize>) {
        let length = length.unwrap_or(self.width.saturating_sub(x));
        for i in 0..length {
            self.set(x + i, y, Some(Object::Wall));
        }
    }

    /// `vert_wall(x, y, length)`; `None` runs to the bottom edge.
    pub fn vert_wall(&mut self, x: usize, y: usize, length: Option<usize>) {
        let length = length.unwrap_or(self.height.saturating_sub(y));
        for j in 0..length {
            self.set(x, y + j, Some(Object::Wall));
        }
    }

    /// `wall_rect(x, y, w, h)`: top, bottom, left, right, in that order.
    pub fn wall_rect(&mut self, x: usize, y: usize, w: usize, h: usize) {
        self.horz_wall(x, y, Some(w));
        self.horz_wall(x, (y + h).saturating_sub(1), Some(w));
        self.vert_wall(x, y, Some(h));
        self.vert_wall((x + w).saturating_sub(1), y, Some(h));
    }

    /// `encode(vis_mask)` written into `out`, `(width, height, 3)` row-major: cell `(x, y)`
    /// at `(x * height + y) * 3`. Masked-out cells are `(0, 0, 0)` (unseen), empty visible
    /// cells `(1, 0, 0)`. `mask` is indexed as the cells (`y * width + x`); `None` shows all.
    /// Writes only as much as `out` holds.
    pub fn encode_into(&self, mask: Option<&[bool]>, out: &mut [u8]) {
        for x in 0..self.width {
            for y in 0..self.height {
                let i = y * self.width + x;
                let visible = mask.is_none_or(|m| m.get(i).copied().unwrap_or(false));
                let value = match (visible, self.cells[i]) {
                    (false, _) => [kind::UNSEEN, 0, 0],
                    (true, None) => [kind::EMPTY, 0, 0],
                    (true, Some(obj)) => obj.encode(),
                };
                let at = (x * self.height + y) * 3;
                if let Some(slot) = out.get_mut(at..at + 3) {
                    slot.copy_from_slice(&value);
                }
            }
        }
    }

    /// `encode()`: the whole grid, every cell visible.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![0; self.width * self.height * 3];
        self.encode_into(None, &mut out);
        out
    }

    /// `slice(top_x, top_y, out.width, out.height)` written into `out`: cells off this grid
    /// read as walls.
    pub fn slice_into(&self, top_x: i64, top_y: i64, out: &mut Grid) {
        for j in 0..out.height {
            for i in 0..out.width {
                let (x, y) = (top_x + i as i64, top_y + j as i64);
                let value = if self.contains(x, y) {
                    self.get(x as usize, y as usize)
                } else {
                    Some(Object::Wall)
                };
                out.set(i, j, value);
            }
        }
    }

    /// `slice(top_x, top_y, width, height)`.
    pub fn slice(&self, top_x: i64, top_y: i64, width: usize, height: usize) -> Grid {
        let mut out = Grid::new(width, height);
        self.slice_into(top_x, top_y, &mut out);
        out
    }

    /// `rotate_left()` (counter-clockwise) written into `out`, which takes the swapped size:
    /// cell `(i, j)` lands on `(j, width - 1 - i)`.
    pub fn rotate_left_into(&self, out: &mut Grid) {
        out.width = self.height;
        out.height = self.width;
        out.cells.resize(self.cells.len(), None);
        for i in 0..self.width {
            for j in 0..self.height {
                out.set(j, self.width - 1 - i, self.get(i, j));
            }
        }
    }

    /// `rotate_left()`.
    pub fn rotate_left(&self) -> Grid {
        let mut out = Grid::new(self.height, self.width);
        self.rotate_left_into(&mut out);
        out
    }

    /// `process_vis(agent_pos)`: which cells the agent at `agent` sees, written into `mask`
    /// (indexed as the cells, resized to fit), sweeping from the bottom row up and spreading
    /// sideways and upwards from every visible cell that does not block the view. Cells not
    /// seen are emptied, as MiniGrid does.
    pub fn process_vis(&mut self, agent: (usize, usize), mask: &mut Vec<bool>) {
        let (w, h) = (self.width, self.height);
        mask.clear();
        mask.resize(w * h, false);
        if agent.0 >= w || agent.1 >= h {
            self.clear();
            return;
        }
        mask[agent.1 * w + agent.0] = true;
        let transparent =
            |grid: &Grid, i: usize, j: usize| grid.get(i, j).is_none_or(|c| c.see_behind());
        for j in (0..h).rev() {
            for i in 0..w.saturating_sub(1) {
                if !mask[j * w + i] || !transparent(self, i, j) {
                    continue;
                }
                mask[j * w + i + 1] = true;
                if j > 0 {
                    mask[(j - 1) * w + i + 1] = true;
                    mask[(j - 1) * w + i] = true;
                }
            }
            for i in (1..w).rev() {
                if !mask[j * w + i] || !transparent(self, i, j) {
                    continue;
                }
                mask[j * w + i - 1] = true;
                if j > 0 {
                    mask[(j - 1) * w + i - 1] = true;
                    mask[(j - 1) * w + i] = true;
                }
            }
        }
        for (cell, &seen) in self.cells.iter_mut().zip(mask.iter()) {
            if !seen {
                *cell = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::minigrid::object::{Color, DoorState};

    #[test]
    fn encode_is_x_major() {
        let mut g = Grid::new(3, 4);
        g.set(2, 1, Some(Object::Goal));
        let e = g.encode();
        assert_eq!(e.len(), 36);
        assert_eq!(&e[(2 * 4 + 1) * 3..(2 * 4 + 1) * 3 + 3], &[8, 1, 0]);
        assert_eq!(&e[0..3], &[1, 0, 0]);
    }

    #[test]
    fn wall_rect_draws_the_border() {
        let mut g = Grid::new(5, 4);
        g.wall_rect(0, 0, 5, 4);
        for x in 0..5 {
            assert_eq!(g.get(x, 0), Some(Object::Wall));
            assert_eq!(g.get(x, 3), Some(Object::Wall));
        }
        assert_eq!(g.get(0, 2), Some(Object::Wall));
        assert_eq!(g.get(4, 2), Some(Object::Wall));
        assert_eq!(g.get(2, 2), None);
    }

    #[test]
    fn rotate_left_moves_the_right_column_to_the_top_row() {
        let mut g = Grid::new(3, 2);
        g.set(2, 0, Some(Object::Goal));
        g.set(0, 1, Some(Object::Lava));
        let r = g.rotate_left();
        assert_eq!((r.width(), r.height()), (2, 3));
        assert_eq!(r.get(0, 0), Some(Object::Goal));
        assert_eq!(r.get(1, 2), Some(Object::Lava));
        // Four turns give the grid back.
        assert_eq!(r.rotate_left().rotate_left().rotate_left(), g);
    }

    #[test]
    fn slice_reads_walls_off_the_grid() {
        let mut g = Grid::new(3, 3);
        g.set(0, 0, Some(Object::Goal));
        let s = g.slice(-1, -1, 3, 3);
        assert_eq!(s.get(0, 0), Some(Object::Wall));
        assert_eq!(s.get(2, 0), Some(Object::Wall));
        assert_eq!(s.get(1, 1), Some(Object::Goal));
        assert_eq!(s.get(2, 2), None);
    }

    #[test]
    fn walls_and_closed_doors_occlude_but_open_doors_do_not() {
        // A 5x5 view with the agent at the bottom centre and a wall row across row 2, with a
        // door in its middle.
        let view = |door: DoorState| {
            let mut g = Grid::new(5, 5);
            g.horz_wall(0, 2, None);
            g.set(
                2,
                2,
                Some(Object::Door {
                    color: Color::Red,
                    state: door,
                }),
            );
            g.set(2, 0, Some(Object::Goal));
            let mut mask = Vec::new();
            g.process_vis((2, 4), &mut mask);
            (g, mask)
        };
        let (closed, mask) = view(DoorState::Closed);
        // The wall row itself is seen, nothing behind it.
        assert!((0..5).all(|x| mask[2 * 5 + x]));
        assert!((0..5).all(|x| !mask[x] && !mask[5 + x]));
        assert_eq!(closed.get(2, 0), None);
        let (open, mask) = view(DoorState::Open);
        assert!(mask[5 + 2] && mask[2]);
        assert_eq!(open.get(2, 0), Some(Object::Goal));
    }
}
