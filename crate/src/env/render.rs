//! What a front end needs to draw an environment's current state. Built on demand for
//! drawing, never on the stepping path.

use serde::Serialize;

/// One grid-world tile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Tile {
    Floor,
    Wall,
    Goal,
    Lava,
    Key,
    /// A door; `locked` doors need the key, `open` ones can be walked through.
    Door {
        open: bool,
        locked: bool,
    },
}

/// A drawable description of an environment's state.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind")]
pub enum Scene {
    CartPole {
        x: f64,
        theta: f64,
        /// |x| beyond which the episode terminates.
        x_threshold: f64,
    },
    MountainCar {
        position: f64,
        min_position: f64,
        max_position: f64,
        goal_position: f64,
        /// Last force or torque applied, scaled to [-1, 1] (0 before the first step).
        last_push: f64,
    },
    Acrobot {
        theta1: f64,
        theta2: f64,
        /// Last torque applied, in [-1, 1].
        last_torque: f64,
    },
    Pendulum {
        theta: f64,
        /// Last torque applied, in [-2, 2] (0 before the first step).
        last_torque: f64,
    },
    Grid {
        width: usize,
        height: usize,
        /// Row-major tiles, `height * width` of them.
        tiles: Vec<Tile>,
        agent_x: usize,
        agent_y: usize,
        /// Facing: 0 right, 1 down, 2 left, 3 up (MiniGrid's convention).
        agent_dir: u8,
        carrying_key: bool,
    },
    Board {
        rows: usize,
        cols: usize,
        /// Row-major from the top row: 0 empty, 1 first player, 2 second player.
        cells: Vec<u8>,
        /// Which player (1 or 2) the learner is.
        learner: u8,
        /// Last move as a cell index, if any.
        last_move: Option<usize>,
        /// 1 or 2 for a winner, 0 for a draw, `None` while the game goes on.
        outcome: Option<u8>,
    },
}
