//! `MultiRoomEnv` (`envs/multiroom.py`): a chain of rooms joined by closed doors of changing
//! colors, the agent in the first room and the goal in the last.

use super::object::{Color, DoorState, Object};
use super::world::World;

pub const MISSION: &str = "traverse the rooms to get to the goal";
/// MiniGrid's default grid for MultiRoom.
pub const SIZE: usize = 25;
/// `_placeRoom`'s `minSz`.
const MIN_ROOM_SIZE: i64 = 4;

/// One room: its top-left corner, size and the door it is entered by.
#[derive(Clone, Copy, Debug)]
struct Room {
    top: (i64, i64),
    size: (i64, i64),
    entry_door: (i64, i64),
}

/// What `_placeRoom` reads besides the list it grows.
struct Planner {
    max_room_size: i64,
    width: i64,
    height: i64,
}

/// `_gen_grid`, draw for draw: plan chains of rooms until one is as long as the number of
/// rooms drawn, then draw their walls and doors and place the agent and the goal.
pub fn generate(world: &mut World, min_rooms: usize, max_rooms: usize, max_room_size: usize) {
    let (w, h) = (world.grid.width(), world.grid.height());
    let planner = Planner {
        max_room_size: max_room_size as i64,
        width: w as i64,
        height: h as i64,
    };
    let num_rooms = world.rand_usize(min_rooms, max_rooms + 1);
    let mut rooms: Vec<Room> = Vec::new();
    while rooms.len() < num_rooms {
        let mut current = Vec::new();
        let entry = (
            world.rand_int(0, planner.width - 2),
            world.rand_int(0, planner.width - 2),
        );
        planner.place_room(world, num_rooms, &mut current, 2, entry);
        if current.len() > rooms.len() {
            rooms = current;
        }
    }

    world.grid.clear();
    let mut prev_color: Option<Color> = None;
    for (idx, room) in rooms.iter().enumerate() {
        let (top_x, top_y) = (room.top.0 as usize, room.top.1 as usize);
        let (size_x, size_y) = (room.size.0 as usize, room.size.1 as usize);
        for i in 0..size_x {
            world.grid.set(top_x + i, top_y, Some(Object::Wall));
            world
                .grid
                .set(top_x + i, top_y + size_y - 1, Some(Object::Wall));
        }
        for j in 0..size_y {
            world.grid.set(top_x, top_y + j, Some(Object::Wall));
            world
                .grid
                .set(top_x + size_x - 1, top_y + j, Some(Object::Wall));
        }
        if idx > 0 {
            let colors: Vec<Color> = Color::BY_NAME
                .into_iter()
                .filter(|&c| Some(c) != prev_color)
                .collect();
            let Some(color) = world.rand_elem(&colors) else {
                continue;
            };
            let door = Object::Door {
                color,
                state: DoorState::Closed,
            };
            let (x, y) = room.entry_door;
            world.grid.set(x as usize, y as usize, Some(door));
            prev_color = Some(color);
        }
    }
    if let (Some(first), Some(last)) = (rooms.first().copied(), rooms.last().copied()) {
        world.place_agent(first.top, Some(room_size(first)), true);
        world.place_obj(Some(Object::Goal), last.top, Some(room_size(last)));
    }
}

fn room_size(room: Room) -> (usize, usize) {
    (room.size.0 as usize, room.size.1 as usize)
}

impl Planner {
    /// `_placeRoom`: draws a room's size and place against the wall it is entered by; if it
    /// fits and overlaps no earlier room (but the one it is entered from), adds it and tries
    /// up to 8 exits for the next room. `false` only when this room itself does not fit.
    fn place_room(
        &self,
        world: &mut World,
        num_left: usize,
        rooms: &mut Vec<Room>,
        entry_wall: u8,
        entry: (i64, i64),
    ) -> bool {
        let size_x = world.rand_int(MIN_ROOM_SIZE, self.max_room_size + 1);
        let size_y = world.rand_int(MIN_ROOM_SIZE, self.max_room_size + 1);
        let (top_x, top_y) = if rooms.is_empty() {
            entry
        } else {
            match entry_wall {
                0 => {
                    let y = entry.1;
                    (entry.0 - size_x + 1, world.rand_int(y - size_y + 2, y))
                }
                1 => {
                    let x = entry.0;
                    (world.rand_int(x - size_x + 2, x), entry.1 - size_y + 1)
                }
                2 => {
                    let y = entry.1;
                    (entry.0, world.rand_int(y - size_y + 2, y))
                }
                _ => {
                    let x = entry.0;
                    (world.rand_int(x - size_x + 2, x), entry.1)
                }
            }
        };
        if top_x < 0 || top_y < 0 {
            return false;
        }
        if top_x + size_x > self.width || top_y + size_y >= self.height {
            return false;
        }
        let earlier = &rooms[..rooms.len().saturating_sub(1)];
        for room in earlier {
            let apart = top_x + size_x < room.top.0
                || room.top.0 + room.size.0 <= top_x
                || top_y + size_y < room.top.1
                || room.top.1 + room.size.1 <= top_y;
            if !apart {
                return false;
            }
        }
        rooms.push(Room {
            top: (top_x, top_y),
            size: (size_x, size_y),
            entry_door: entry,
        });
        if num_left <= 1 {
            return true;
        }
        for _ in 0..8 {
            let walls: Vec<u8> = (0..4).filter(|&w| w != entry_wall).collect();
            let Some(exit_wall) = world.rand_elem(&walls) else {
                break;
            };
            let next_entry_wall = (exit_wall + 2) % 4;
            let exit = match exit_wall {
                0 => (top_x + size_x - 1, top_y + world.rand_int(1, size_y - 1)),
                1 => (top_x + world.rand_int(1, size_x - 1), top_y + size_y - 1),
                2 => (top_x, top_y + world.rand_int(1, size_y - 1)),
                _ => (top_x + world.rand_int(1, size_x - 1), top_y),
            };
            if self.place_room(world, num_left - 1, rooms, next_entry_wall, exit) {
                break;
            }
        }
        true
    }
}
