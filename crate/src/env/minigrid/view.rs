//! The agent's partial view, as MiniGrid's `gen_obs_grid`/`gen_obs` build it, and the learner's
//! one-hot encoding of it.
//!
//! Observation layout ([`OBS_DIM`] values, each 0 or 1): for each view cell in the image's
//! `[x][y]` order (`x` across the view from the agent's left, `y` down the view towards the
//! agent, which stands at `(3, 6)`), 20 channels: the object index one-hot (11, `unseen` to
//! `agent`), the color one-hot (6) and the state one-hot (3); then the facing one-hot (4: right,
//! down, left, up).

use super::grid::Grid;
use super::object::{Color, DoorState, Object, kind};

/// `agent_view_size`.
pub const VIEW_SIZE: usize = 7;
/// Values in the `(7, 7, 3)` image.
pub const IMAGE_LEN: usize = VIEW_SIZE * VIEW_SIZE * 3;
/// One-hot channels per view cell.
pub const CELL_CHANNELS: usize = kind::COUNT + Color::COUNT + DoorState::COUNT;
/// Offset of the facing one-hot.
pub const DIR_OFFSET: usize = VIEW_SIZE * VIEW_SIZE * CELL_CHANNELS;
/// Observation length: `7 * 7 * 20 + 4 = 984`.
pub const OBS_DIM: usize = DIR_OFFSET + 4;

/// The agent as the view needs it.
#[derive(Clone, Copy, Debug)]
pub struct Agent {
    pub pos: (usize, usize),
    /// 0 right, 1 down, 2 left, 3 up.
    pub dir: u8,
    pub carrying: Option<Object>,
}

/// Reusable buffers for building the view without allocating.
#[derive(Clone, Debug)]
pub struct ViewScratch {
    a: Grid,
    b: Grid,
    mask: Vec<bool>,
}

impl Default for ViewScratch {
    fn default() -> Self {
        Self {
            a: Grid::new(VIEW_SIZE, VIEW_SIZE),
            b: Grid::new(VIEW_SIZE, VIEW_SIZE),
            mask: Vec::with_capacity(VIEW_SIZE * VIEW_SIZE),
        }
    }
}

/// `get_view_exts`: the top-left world cell of the square the agent sees.
fn view_top_left(agent: &Agent) -> (i64, i64) {
    let (x, y) = (agent.pos.0 as i64, agent.pos.1 as i64);
    let (size, half) = (VIEW_SIZE as i64, (VIEW_SIZE / 2) as i64);
    match agent.dir {
        0 => (x, y - half),
        1 => (x - half, y),
        2 => (x - size + 1, y - half),
        _ => (x - half, y - size + 1),
    }
}

/// `gen_obs()["image"]`: slices the square ahead of the agent, turns it left `dir + 1` times
/// so that the agent looks up the view, hides what walls and closed doors occlude (unless
/// `see_through_walls`), shows the carried object (or nothing) on the agent's cell, and
/// encodes it `(7, 7, 3)` row-major.
pub fn gen_obs_image(
    world: &Grid,
    agent: &Agent,
    see_through_walls: bool,
    scratch: &mut ViewScratch,
    image: &mut [u8; IMAGE_LEN],
) {
    let (top_x, top_y) = view_top_left(agent);
    let ViewScratch { a, b, mask } = scratch;
    world.slice_into(top_x, top_y, a);
    for _ in 0..=(agent.dir % 4) {
        a.rotate_left_into(b);
        std::mem::swap(a, b);
    }
    let agent_cell = (VIEW_SIZE / 2, VIEW_SIZE - 1);
    if see_through_walls {
        mask.clear();
        mask.resize(VIEW_SIZE * VIEW_SIZE, true);
    } else {
        a.process_vis(agent_cell, mask);
    }
    a.set(agent_cell.0, agent_cell.1, agent.carrying);
    a.encode_into(Some(mask), image);
}

/// Writes the learner's observation: the image one-hot per cell, then the facing one-hot.
/// Does nothing unless `obs.len() == OBS_DIM`.
pub fn write_one_hot(image: &[u8; IMAGE_LEN], dir: u8, obs: &mut [f32]) {
    if obs.len() != OBS_DIM {
        return;
    }
    obs.fill(0.0);
    for (cell, values) in image.chunks_exact(3).enumerate() {
        let base = cell * CELL_CHANNELS;
        let channels = [
            usize::from(values[0]).min(kind::COUNT - 1),
            kind::COUNT + usize::from(values[1]).min(Color::COUNT - 1),
            kind::COUNT + Color::COUNT + usize::from(values[2]).min(DoorState::COUNT - 1),
        ];
        for channel in channels {
            obs[base + channel] = 1.0;
        }
    }
    obs[DIR_OFFSET + usize::from(dir % 4)] = 1.0;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(world: &Grid, agent: Agent, see_through: bool) -> [u8; IMAGE_LEN] {
        let mut out = [0; IMAGE_LEN];
        gen_obs_image(
            world,
            &agent,
            see_through,
            &mut ViewScratch::default(),
            &mut out,
        );
        out
    }

    fn at(image: &[u8; IMAGE_LEN], x: usize, y: usize) -> [u8; 3] {
        let i = (x * VIEW_SIZE + y) * 3;
        [image[i], image[i + 1], image[i + 2]]
    }

    #[test]
    fn the_view_looks_ahead_with_the_agent_at_the_bottom_centre() {
        let mut world = Grid::new(9, 9);
        world.wall_rect(0, 0, 9, 9);
        // Goal two cells to the right of an agent at (2, 4) facing right, lava one below it.
        world.set(4, 4, Some(Object::Goal));
        world.set(2, 5, Some(Object::Lava));
        let agent = Agent {
            pos: (2, 4),
            dir: 0,
            carrying: None,
        };
        let img = image(&world, agent, false);
        assert_eq!(at(&img, 3, 6), [kind::EMPTY, 0, 0]);
        assert_eq!(at(&img, 3, 4), Object::Goal.encode());
        // Facing right, the agent's right hand is down the grid: view x 4.
        assert_eq!(at(&img, 4, 6), Object::Lava.encode());
        // Behind the right wall (x 8 is six ahead, the wall) nothing; the wall itself shows.
        assert_eq!(at(&img, 3, 0), Object::Wall.encode());
    }

    #[test]
    fn the_carried_object_shows_on_the_agent_cell() {
        let mut world = Grid::new(5, 5);
        world.wall_rect(0, 0, 5, 5);
        let agent = Agent {
            pos: (2, 2),
            dir: 3,
            carrying: Some(Object::Key(Color::Yellow)),
        };
        let img = image(&world, agent, false);
        assert_eq!(at(&img, 3, 6), [kind::KEY, Color::Yellow.index(), 0]);
        // Above the top wall (off the grid) is unseen: the wall at y 0 is 2 ahead (view y 4).
        assert_eq!(at(&img, 3, 4), Object::Wall.encode());
        assert_eq!(at(&img, 3, 3), [kind::UNSEEN, 0, 0]);
        // Seeing through walls shows the walls the slice adds off the grid.
        let img = image(&world, agent, true);
        assert_eq!(at(&img, 3, 3), Object::Wall.encode());
    }

    #[test]
    fn one_hot_has_three_ones_per_cell_and_the_facing() {
        let mut world = Grid::new(5, 5);
        world.wall_rect(0, 0, 5, 5);
        let agent = Agent {
            pos: (1, 1),
            dir: 2,
            carrying: None,
        };
        let img = image(&world, agent, false);
        let mut obs = vec![0.5; OBS_DIM];
        write_one_hot(&img, 2, &mut obs);
        assert_eq!(OBS_DIM, 984);
        assert!(obs.iter().all(|&v| v == 0.0 || v == 1.0));
        assert_eq!(obs.iter().filter(|&&v| v == 1.0).count(), 49 * 3 + 1);
        assert_eq!(obs[DIR_OFFSET + 2], 1.0);
        // The agent's cell (3, 6) is empty: object 1, color 0, state 0.
        let base = (3 * VIEW_SIZE + 6) * CELL_CHANNELS;
        assert_eq!(obs[base + kind::EMPTY as usize], 1.0);
        assert_eq!(obs[base + kind::COUNT], 1.0);
        assert_eq!(obs[base + kind::COUNT + Color::COUNT], 1.0);
    }
}
