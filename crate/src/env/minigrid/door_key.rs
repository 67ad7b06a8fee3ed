//! `DoorKeyEnv` (`envs/doorkey.py`): a wall splits the room; the key to its locked door lies
//! on the agent's side, the goal on the other.

use super::object::{Color, DoorState, Object};
use super::world::World;

pub const MISSION: &str = "use the key to open the door and then get to the goal";

/// `_gen_grid`, draw for draw.
pub fn generate(world: &mut World) {
    let (w, h) = (world.grid.width(), world.grid.height());
    world.grid.wall_rect(0, 0, w, h);
    world.put_obj(Object::Goal, w - 2, h - 2);
    let split = world.rand_usize(2, w - 2);
    world.grid.vert_wall(split, 0, None);
    world.place_agent((0, 0), Some((split, h)), true);
    let door = world.rand_usize(1, h - 2);
    world.put_obj(
        Object::Door {
            color: Color::Yellow,
            state: DoorState::Locked,
        },
        split,
        door,
    );
    world.place_obj(Some(Object::Key(Color::Yellow)), (0, 0), Some((split, h)));
}
