//! MiniGrid's seven actions and what `step` does with each (`minigrid_env.py`).

use super::object::Object;
use super::world::World;

pub const LEFT: usize = 0;
pub const RIGHT: usize = 1;
pub const FORWARD: usize = 2;
pub const PICKUP: usize = 3;
pub const DROP: usize = 4;
pub const TOGGLE: usize = 5;
/// Does nothing (MiniGrid's `done`, unused by these tasks).
pub const DONE: usize = 6;
/// `len(Actions)`.
pub const N_ACTIONS: usize = 7;

/// What a forward step ran into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    Nothing,
    /// Moved onto the goal: the episode terminates with the goal reward.
    Goal,
    /// Moved onto lava: the episode terminates with 0.
    Lava,
}

/// The step from `pos` in facing `dir` (`DIR_TO_VEC`), if it stays on the grid.
fn front(world: &World, pos: (usize, usize)) -> Option<(usize, usize)> {
    let (dx, dy) = [(1, 0), (0, 1), (-1, 0), (0, -1)][usize::from(world.agent_dir % 4)];
    let (x, y) = (pos.0 as i64 + dx, pos.1 as i64 + dy);
    world
        .grid
        .contains(x, y)
        .then_some((x as usize, y as usize))
}

impl World {
    /// Applies one action (`< N_ACTIONS`) as MiniGrid's `step` does, with the cell in front
    /// read before the action. A front cell off the grid, which the layouts' walls make
    /// unreachable (MiniGrid would fail an assertion), blocks like a wall.
    pub fn act(&mut self, action: usize) -> Event {
        let Some(pos) = self.agent_pos else {
            return Event::Nothing;
        };
        let fwd = front(self, pos);
        let fwd_cell = fwd.and_then(|(x, y)| self.grid.get(x, y));
        match action {
            LEFT => self.agent_dir = (self.agent_dir + 3) % 4,
            RIGHT => self.agent_dir = (self.agent_dir + 1) % 4,
            FORWARD => {
                let Some(to) = fwd else {
                    return Event::Nothing;
                };
                if fwd_cell.is_none_or(|c| c.can_overlap()) {
                    self.agent_pos = Some(to);
                }
                match fwd_cell {
                    Some(Object::Goal) => return Event::Goal,
                    Some(Object::Lava) => return Event::Lava,
                    _ => {}
                }
            }
            PICKUP => {
                if let (Some((x, y)), Some(cell)) = (fwd, fwd_cell)
                    && cell.can_pickup()
                    && self.carrying.is_none()
                {
                    self.carrying = Some(cell);
                    self.grid.set(x, y, None);
                }
            }
            DROP => {
                if let (Some((x, y)), None) = (fwd, fwd_cell)
                    && let Some(carried) = self.carrying.take()
                {
                    self.grid.set(x, y, Some(carried));
                }
            }
            TOGGLE => {
                if let (Some((x, y)), Some(cell)) = (fwd, fwd_cell) {
                    self.grid.set(x, y, Some(cell.toggled(self.carrying)));
                }
            }
            _ => {}
        }
        Event::Nothing
    }
}
