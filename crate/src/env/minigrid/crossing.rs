//! `CrossingEnv` (`envs/crossing.py`): rivers of lava (LavaCrossing) or walls (SimpleCrossing)
//! across the room, each with one gap, on a random path from the top-left to the goal.

use super::object::Object;
use super::world::World;

pub const LAVA_MISSION: &str = "avoid the lava and get to the green goal square";
pub const WALL_MISSION: &str = "find the opening and get to the green goal square";

/// What the rivers are made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Obstacle {
    Lava,
    Wall,
}

/// A river's direction: MiniGrid's `v` (a column) and `h` (a row) markers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dir {
    Vertical,
    Horizontal,
}

/// `_gen_grid`, draw for draw: shuffle the candidate rivers and keep `crossings` of them,
/// shuffle the order of the gaps along the path, then draw each gap's place.
pub fn generate(world: &mut World, crossings: usize, obstacle: Obstacle) {
    let (w, h) = (world.grid.width(), world.grid.height());
    world.grid.wall_rect(0, 0, w, h);
    world.agent_pos = Some((1, 1));
    world.agent_dir = 0;
    world.put_obj(Object::Goal, w - 2, h - 2);

    let mut rivers: Vec<(Dir, usize)> = (2..h - 2)
        .step_by(2)
        .map(|i| (Dir::Vertical, i))
        .chain((2..w - 2).step_by(2).map(|j| (Dir::Horizontal, j)))
        .collect();
    world.rng.shuffle(&mut rivers);
    rivers.truncate(crossings);
    let sorted = |dir: Dir| {
        let mut v: Vec<usize> = rivers.iter().filter(|r| r.0 == dir).map(|r| r.1).collect();
        v.sort_unstable();
        v
    };
    let (rivers_v, rivers_h) = (sorted(Dir::Vertical), sorted(Dir::Horizontal));

    let obstacle = match obstacle {
        Obstacle::Lava => Object::Lava,
        Obstacle::Wall => Object::Wall,
    };
    for i in 1..w - 1 {
        for &j in &rivers_h {
            world.put_obj(obstacle, i, j);
        }
    }
    for &i in &rivers_v {
        for j in 1..h - 1 {
            world.put_obj(obstacle, i, j);
        }
    }

    // Crossing a vertical river is a horizontal move, and the other way round.
    let mut path: Vec<Dir> = std::iter::repeat_n(Dir::Horizontal, rivers_v.len())
        .chain(std::iter::repeat_n(Dir::Vertical, rivers_h.len()))
        .collect();
    world.rng.shuffle(&mut path);

    let limits_v: Vec<usize> = [0].into_iter().chain(rivers_v).chain([h - 1]).collect();
    let limits_h: Vec<usize> = [0].into_iter().chain(rivers_h).chain([w - 1]).collect();
    let (mut room_i, mut room_j) = (0, 0);
    for dir in path {
        let (i, j) = match dir {
            Dir::Horizontal => {
                let i = limits_v[room_i + 1];
                let j = choose(world, limits_h[room_j] + 1, limits_h[room_j + 1]);
                room_i += 1;
                (i, j)
            }
            Dir::Vertical => {
                let i = choose(world, limits_v[room_i] + 1, limits_v[room_i + 1]);
                let j = limits_h[room_j + 1];
                room_j += 1;
                (i, j)
            }
        };
        world.grid.set(i, j, None);
    }
}

/// `np_random.choice(range(low, high))`.
fn choose(world: &mut World, low: usize, high: usize) -> usize {
    low + world.rng.integers_usize(0, high.saturating_sub(low))
}
