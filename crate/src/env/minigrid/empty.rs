//! `EmptyEnv` (`envs/empty.py`): a walled room with the goal in the bottom-right corner.

use super::object::Object;
use super::world::World;

pub const MISSION: &str = "get to the green goal square";

/// `_gen_grid`: the agent starts at `(1, 1)` facing right, or anywhere with any facing when
/// `random_start` (MiniGrid's `agent_start_pos=None`).
pub fn generate(world: &mut World, random_start: bool) {
    let (w, h) = (world.grid.width(), world.grid.height());
    world.grid.wall_rect(0, 0, w, h);
    world.put_obj(Object::Goal, w - 2, h - 2);
    if random_start {
        world.place_agent((0, 0), None, true);
    } else {
        world.agent_pos = Some((1, 1));
        world.agent_dir = 0;
    }
}
