//! Drawing a [`Scene`] on a 2D canvas, one module per kind of scene. Every drawing scales to
//! the canvas size, so the page can size the canvas as it likes.

mod board;
mod classic;
mod describe;
mod grid;
mod pen;

pub use describe::describe;
pub use pen::Pen;

use rlaif::env::Scene;
use wasm_bindgen::JsValue;

/// Page background; the CSS uses the same colour around the canvas.
pub const BACKGROUND: &str = "#fbfaf5";

/// Clears the canvas and draws `scene` on it.
pub fn scene(pen: &Pen, scene: &Scene) -> Result<(), JsValue> {
    scene_with_values(pen, scene, None)
}

/// [`scene`], with a teacher's per-cell values as a heatmap under a grid world's agent.
pub fn scene_with_values(
    pen: &Pen,
    scene: &Scene,
    cell_values: Option<&[Option<f64>]>,
) -> Result<(), JsValue> {
    pen.clear(BACKGROUND);
    match scene {
        Scene::CartPole {
            x,
            theta,
            x_threshold,
        } => classic::cart_pole(pen, *x, *theta, *x_threshold),
        Scene::MountainCar {
            position,
            min_position,
            max_position,
            goal_position,
            last_push,
        } => classic::mountain_car(
            pen,
            &classic::Mountain {
                position: *position,
                min: *min_position,
                max: *max_position,
                goal: *goal_position,
                push: *last_push,
            },
        ),
        Scene::Acrobot {
            theta1,
            theta2,
            last_torque,
        } => classic::acrobot(pen, *theta1, *theta2, *last_torque),
        Scene::Pendulum { theta, last_torque } => classic::pendulum(pen, *theta, *last_torque),
        Scene::Grid {
            width,
            height,
            tiles,
            agent_x,
            agent_y,
            agent_dir,
            carrying_key,
        } => grid::grid(
            pen,
            &grid::GridView {
                width: *width,
                height: *height,
                tiles,
                agent: (*agent_x, *agent_y),
                dir: *agent_dir,
                carrying_key: *carrying_key,
                cell_values,
            },
        ),
        Scene::Board {
            rows,
            cols,
            cells,
            learner,
            last_move,
            outcome,
        } => board::board(
            pen,
            &board::BoardView {
                rows: *rows,
                cols: *cols,
                cells,
                learner: *learner,
                last_move: *last_move,
                outcome: *outcome,
            },
        ),
    }
}
