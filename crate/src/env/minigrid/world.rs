//! The episode state of a MiniGrid env and the base env's helpers that layouts build with:
//! `_rand_int`, `_rand_elem`, `put_obj`, `place_obj`, `place_agent`. Every random draw goes
//! through the env's one [`Generator`], in MiniGrid's order, so a seed gives its layout.

use super::grid::Grid;
use super::object::Object;
use crate::env::np_random::Generator;

/// The grid, the agent and the random stream.
#[derive(Clone, Debug)]
pub struct World {
    pub grid: Grid,
    /// `None` before a layout places the agent (MiniGrid's `(-1, -1)`).
    pub agent_pos: Option<(usize, usize)>,
    /// 0 right, 1 down, 2 left, 3 up.
    pub agent_dir: u8,
    pub carrying: Option<Object>,
    pub rng: Generator,
}

impl World {
    pub fn new(width: usize, height: usize) -> Self {
        Self {
            grid: Grid::new(width, height),
            agent_pos: None,
            agent_dir: 0,
            carrying: None,
            // Gymnasium seeds from the OS before the first seeded reset; this port starts
            // from seed 0 so that a run stays reproducible.
            rng: Generator::new(0),
        }
    }

    /// `_rand_int(low, high)`: uniform in `[low, high)`.
    pub fn rand_int(&mut self, low: i64, high: i64) -> i64 {
        self.rng.integers(low, high)
    }

    /// `_rand_int` on non-negative bounds.
    pub fn rand_usize(&mut self, low: usize, high: usize) -> usize {
        self.rng.integers_usize(low, high)
    }

    /// `_rand_elem(items)`: `items[_rand_int(0, len)]`; `None` when empty (MiniGrid raises).
    pub fn rand_elem<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        if items.is_empty() {
            return None;
        }
        items.get(self.rand_usize(0, items.len())).copied()
    }

    /// `put_obj(obj, x, y)`.
    pub fn put_obj(&mut self, obj: Object, x: usize, y: usize) {
        self.grid.set(x, y, Some(obj));
    }

    /// `place_obj(obj, top, size)`: draws `x` then `y` in the rectangle (clipped to the grid)
    /// until the cell is empty and not the agent's, then puts `obj` there. Where no cell
    /// qualifies MiniGrid would draw forever; this returns `None` and places nothing instead.
    pub fn place_obj(
        &mut self,
        obj: Option<Object>,
        top: (i64, i64),
        size: Option<(usize, usize)>,
    ) -> Option<(usize, usize)> {
        let (w, h) = (self.grid.width() as i64, self.grid.height() as i64);
        let top = (top.0.max(0), top.1.max(0));
        let size = size.map_or((w, h), |(sx, sy)| (sx as i64, sy as i64));
        let end = ((top.0 + size.0).min(w), (top.1 + size.1).min(h));
        if !self.any_free(top, end) {
            return None;
        }
        loop {
            let x = self.rand_int(top.0, end.0);
            let y = self.rand_int(top.1, end.1);
            if self.is_free(x, y) {
                let pos = (x as usize, y as usize);
                self.grid.set(pos.0, pos.1, obj);
                return Some(pos);
            }
        }
    }

    /// `place_agent(top, size, rand_dir)`.
    pub fn place_agent(
        &mut self,
        top: (i64, i64),
        size: Option<(usize, usize)>,
        rand_dir: bool,
    ) -> Option<(usize, usize)> {
        self.agent_pos = None;
        let pos = self.place_obj(None, top, size);
        self.agent_pos = pos;
        if rand_dir {
            self.agent_dir = self.rand_int(0, 4) as u8;
        }
        pos
    }

    /// A cell `place_obj` accepts: on the grid, empty and not the agent's.
    fn is_free(&self, x: i64, y: i64) -> bool {
        self.grid.contains(x, y)
            && self.grid.get(x as usize, y as usize).is_none()
            && self.agent_pos != Some((x as usize, y as usize))
    }

    fn any_free(&self, top: (i64, i64), end: (i64, i64)) -> bool {
        (top.1..end.1).any(|y| (top.0..end.0).any(|x| self.is_free(x, y)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn place_obj_avoids_objects_and_the_agent_and_gives_up_when_full() {
        let mut world = World::new(4, 3);
        world.grid.wall_rect(0, 0, 4, 3);
        world.agent_pos = Some((1, 1));
        // Only (2, 1) is free.
        for _ in 0..5 {
            world.grid.set(2, 1, None);
            assert_eq!(
                world.place_obj(Some(Object::Goal), (0, 0), None),
                Some((2, 1))
            );
        }
        assert_eq!(world.place_obj(Some(Object::Lava), (0, 0), None), None);
    }
}
