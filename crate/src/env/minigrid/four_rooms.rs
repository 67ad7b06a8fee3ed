//! `FourRoomsEnv` (`envs/fourrooms.py`): four rooms joined by one gap in each inner wall, the
//! agent and the goal anywhere.

use super::object::Object;
use super::world::World;

pub const MISSION: &str = "reach the goal";
/// FourRooms is always 19x19.
pub const SIZE: usize = 19;

/// `_gen_grid`, draw for draw.
pub fn generate(world: &mut World) {
    let (w, h) = (world.grid.width(), world.grid.height());
    world.grid.horz_wall(0, 0, None);
    world.grid.horz_wall(0, h - 1, None);
    world.grid.vert_wall(0, 0, None);
    world.grid.vert_wall(w - 1, 0, None);
    let (room_w, room_h) = (w / 2, h / 2);
    for j in 0..2 {
        for i in 0..2 {
            let (x_left, y_top) = (i * room_w, j * room_h);
            let (x_right, y_bottom) = (x_left + room_w, y_top + room_h);
            if i + 1 < 2 {
                world.grid.vert_wall(x_right, y_top, Some(room_h));
                let y = world.rand_usize(y_top + 1, y_bottom);
                world.grid.set(x_right, y, None);
            }
            if j + 1 < 2 {
                world.grid.horz_wall(x_left, y_bottom, Some(room_w));
                let x = world.rand_usize(x_left + 1, x_right);
                world.grid.set(x, y_bottom, None);
            }
        }
    }
    world.place_agent((0, 0), None, true);
    world.place_obj(Some(Object::Goal), (0, 0), None);
}
