//! The mechanics of MiniGrid's `step` and view on hand-built positions. Whole episodes are
//! checked against MiniGrid itself in `crate/tests/minigrid_fixtures.rs`.

use super::rules::{DONE, DROP, FORWARD, LEFT, PICKUP, RIGHT, TOGGLE};
use super::*;
use crate::env::{Action, Env, EnvError, Step};

/// A reset DoorKey-5x5 env whose world is replaced by a walled `width x height` room with
/// the agent at `pos` facing `dir`; `build` adds objects.
fn room(
    width: usize,
    height: usize,
    pos: (usize, usize),
    dir: u8,
    build: impl FnOnce(&mut Grid),
) -> (MiniGridEnv, Vec<f32>) {
    let mut env = door_key(5).expect("valid size");
    let mut obs = vec![0.0; OBS_DIM];
    env.reset(Some(0), &mut obs);
    let world = env.world_mut();
    world.grid = Grid::new(width, height);
    world.grid.wall_rect(0, 0, width, height);
    build(&mut world.grid);
    world.agent_pos = Some(pos);
    world.agent_dir = dir;
    world.carrying = None;
    env.refresh();
    (env, obs)
}

fn act(env: &mut MiniGridEnv, obs: &mut [f32], action: usize) -> Step {
    env.step(Action::Discrete(action), obs)
        .expect("valid action")
}

fn image_at(env: &MiniGridEnv, x: usize, y: usize) -> [u8; 3] {
    let i = (x * VIEW_SIZE + y) * 3;
    let image = env.image();
    [image[i], image[i + 1], image[i + 2]]
}

const YELLOW_KEY: Object = Object::Key(Color::Yellow);
const LOCKED: Object = Object::Door {
    color: Color::Yellow,
    state: DoorState::Locked,
};

#[test]
fn turning_wraps_and_steps_count() {
    let (mut env, mut obs) = room(5, 5, (2, 2), 0, |_| {});
    act(&mut env, &mut obs, LEFT);
    assert_eq!(env.agent_dir(), 3);
    act(&mut env, &mut obs, RIGHT);
    act(&mut env, &mut obs, RIGHT);
    assert_eq!(env.agent_dir(), 1);
    assert_eq!(env.step_count(), 3);
    assert_eq!(obs[view::DIR_OFFSET + 1], 1.0);
}

#[test]
fn keys_are_picked_up_once_and_dropped_only_on_empty_cells() {
    let (mut env, mut obs) = room(6, 5, (1, 2), 0, |g| {
        g.set(2, 2, Some(YELLOW_KEY));
        g.set(1, 3, Some(Object::Key(Color::Blue)));
    });
    // A key blocks the way.
    act(&mut env, &mut obs, FORWARD);
    assert_eq!(env.agent_pos(), (1, 2));
    act(&mut env, &mut obs, PICKUP);
    assert_eq!(env.carrying(), Some(YELLOW_KEY));
    assert_eq!(env.grid().get(2, 2), None);
    // The carried key shows on the agent's own view cell.
    assert_eq!(image_at(&env, 3, 6), YELLOW_KEY.encode());
    // A second key is not taken while one is carried.
    act(&mut env, &mut obs, RIGHT);
    act(&mut env, &mut obs, PICKUP);
    assert_eq!(env.grid().get(1, 3), Some(Object::Key(Color::Blue)));
    // Nothing is dropped onto an occupied cell, or a wall.
    act(&mut env, &mut obs, DROP);
    assert_eq!(env.carrying(), Some(YELLOW_KEY));
    act(&mut env, &mut obs, RIGHT);
    act(&mut env, &mut obs, DROP);
    assert_eq!(env.carrying(), Some(YELLOW_KEY));
    // Onto the empty cell above it lands.
    act(&mut env, &mut obs, RIGHT);
    act(&mut env, &mut obs, DROP);
    assert_eq!(env.carrying(), None);
    assert_eq!(env.grid().get(1, 1), Some(YELLOW_KEY));
    assert_eq!(image_at(&env, 3, 6), [object::kind::EMPTY, 0, 0]);
    assert_eq!(image_at(&env, 3, 5), YELLOW_KEY.encode());
}

#[test]
fn a_locked_door_opens_only_with_its_key_and_then_toggles() {
    let (mut env, mut obs) = room(6, 5, (2, 2), 0, |g| {
        g.vert_wall(3, 0, None);
        g.set(3, 2, Some(LOCKED));
        g.set(1, 2, Some(Object::Key(Color::Blue)));
        g.set(2, 1, Some(YELLOW_KEY));
    });
    act(&mut env, &mut obs, TOGGLE);
    assert_eq!(env.grid().get(3, 2), Some(LOCKED));
    // The wrong color does not open it.
    act(&mut env, &mut obs, LEFT);
    act(&mut env, &mut obs, LEFT);
    act(&mut env, &mut obs, PICKUP);
    act(&mut env, &mut obs, RIGHT);
    act(&mut env, &mut obs, RIGHT);
    act(&mut env, &mut obs, TOGGLE);
    assert_eq!(env.grid().get(3, 2), Some(LOCKED));
    act(&mut env, &mut obs, FORWARD);
    assert_eq!(env.agent_pos(), (2, 2));
    // Swap keys: drop the blue one behind, take the yellow one above.
    act(&mut env, &mut obs, LEFT);
    act(&mut env, &mut obs, LEFT);
    act(&mut env, &mut obs, DROP);
    act(&mut env, &mut obs, RIGHT);
    act(&mut env, &mut obs, PICKUP);
    assert_eq!(env.carrying(), Some(YELLOW_KEY));
    act(&mut env, &mut obs, RIGHT);
    act(&mut env, &mut obs, TOGGLE);
    let open = Object::Door {
        color: Color::Yellow,
        state: DoorState::Open,
    };
    assert_eq!(env.grid().get(3, 2), Some(open));
    act(&mut env, &mut obs, FORWARD);
    assert_eq!(env.agent_pos(), (3, 2));
    // Step back out of the doorway and close it: a closed (no longer locked) door.
    act(&mut env, &mut obs, LEFT);
    act(&mut env, &mut obs, LEFT);
    act(&mut env, &mut obs, FORWARD);
    act(&mut env, &mut obs, LEFT);
    act(&mut env, &mut obs, LEFT);
    act(&mut env, &mut obs, TOGGLE);
    assert_eq!(env.grid().get(3, 2).map(Object::encode), Some([4, 4, 1]));
}

#[test]
fn the_goal_pays_by_the_step_count_and_terminates() {
    let (mut env, mut obs) = room(5, 5, (1, 1), 0, |g| {
        g.set(2, 1, Some(Object::Goal));
    });
    act(&mut env, &mut obs, DONE);
    act(&mut env, &mut obs, DONE);
    let step = act(&mut env, &mut obs, FORWARD);
    let max = f64::from(env.spec().max_episode_steps.expect("a limit"));
    assert_eq!(step.reward, 1.0 - 0.9 * (3.0 / max));
    assert!(step.terminated && !step.truncated);
    assert_eq!(env.agent_pos(), (2, 1));
}

#[test]
fn lava_terminates_with_nothing() {
    let (mut env, mut obs) = room(5, 5, (1, 1), 1, |g| {
        g.set(1, 2, Some(Object::Lava));
    });
    let step = act(&mut env, &mut obs, FORWARD);
    assert_eq!((step.reward, step.terminated), (0.0, true));
    assert_eq!(env.agent_pos(), (1, 2));
}

#[test]
fn walls_and_closed_doors_hide_the_room_behind() {
    // Agent at (1, 2) facing right; a wall at x 3 with a closed door at (3, 2), the goal
    // behind it at (4, 2).
    let (mut env, mut obs) = room(7, 5, (1, 2), 0, |g| {
        g.vert_wall(3, 0, None);
        g.set(
            3,
            2,
            Some(Object::Door {
                color: Color::Red,
                state: DoorState::Closed,
            }),
        );
        g.set(4, 2, Some(Object::Goal));
    });
    // Two ahead is the door (view y 4), three ahead the goal (view y 3): hidden.
    assert_eq!(image_at(&env, 3, 4), [4, 0, 1]);
    assert_eq!(image_at(&env, 3, 3), [object::kind::UNSEEN, 0, 0]);
    act(&mut env, &mut obs, FORWARD);
    act(&mut env, &mut obs, TOGGLE);
    assert_eq!(image_at(&env, 3, 5), [4, 0, 0]);
    assert_eq!(image_at(&env, 3, 4), Object::Goal.encode());
}

#[test]
fn the_env_truncates_itself_at_max_steps() {
    let mut env = multi_room(2, 2, 4).expect("valid");
    let mut obs = vec![0.0; OBS_DIM];
    env.reset(Some(1), &mut obs);
    for t in 1..=40 {
        let step = act(&mut env, &mut obs, DONE);
        assert_eq!(step.truncated, t == 40, "step {t}");
    }
}

#[test]
fn a_seed_fixes_the_layout_and_no_seed_continues_the_stream() {
    let mut env = door_key(8).expect("valid");
    let mut obs = vec![0.0; OBS_DIM];
    env.reset(Some(3), &mut obs);
    let first = env.minigrid();
    env.reset(None, &mut obs);
    let next = env.minigrid();
    env.reset(Some(3), &mut obs);
    assert_eq!(env.minigrid(), first);
    let layouts: std::collections::HashSet<Vec<u8>> = (0..20)
        .map(|s| {
            env.reset(Some(s), &mut obs);
            env.minigrid().map(|m| m.grid).unwrap_or_default()
        })
        .collect();
    assert!(layouts.len() > 5);
    assert_ne!(first, next);
}

#[test]
fn invalid_calls_are_errors_not_panics() {
    let mut env = four_rooms().expect("valid");
    let mut obs = vec![0.0; OBS_DIM];
    assert_eq!(
        env.step(Action::Discrete(0), &mut obs),
        Err(EnvError::NotReset)
    );
    env.reset(Some(0), &mut obs);
    assert!(env.step(Action::Discrete(7), &mut obs).is_err());
    assert!(env.step(Action::Discrete(0), &mut [0.0; 3]).is_err());
    for bad in [
        empty(3, false),
        door_key(4),
        lava_crossing(8, 1),
        multi_room(0, 2, 4),
        multi_room(3, 2, 4),
        multi_room(2, 2, 3),
    ] {
        assert!(bad.is_err());
    }
}

#[test]
fn ids_missions_and_limits_are_minigrids() {
    let cases = [
        (empty(8, false), "MiniGrid-Empty-8x8-v0", 256),
        (empty(6, true), "MiniGrid-Empty-Random-6x6-v0", 144),
        (door_key(5), "MiniGrid-DoorKey-5x5-v0", 250),
        (door_key(16), "MiniGrid-DoorKey-16x16-v0", 2560),
        (four_rooms(), "MiniGrid-FourRooms-v0", 100),
        (lava_crossing(9, 2), "MiniGrid-LavaCrossingS9N2-v0", 324),
        (simple_crossing(9, 1), "MiniGrid-SimpleCrossingS9N1-v0", 324),
        (multi_room(2, 2, 4), "MiniGrid-MultiRoom-N2-S4-v0", 40),
    ];
    for (env, id, max) in cases {
        let env = env.expect("valid");
        assert_eq!(env.spec().id, id);
        assert_eq!(env.spec().max_episode_steps, Some(max));
        assert_eq!(env.spec().observation_space.flat_dim(), 984);
    }
}

#[test]
fn the_planner_view_matches_the_grid() {
    let mut env = door_key(6).expect("valid");
    let mut obs = vec![0.0; OBS_DIM];
    env.reset(Some(5), &mut obs);
    let view = env.grid_view().expect("a grid view");
    assert_eq!(view.actions, crate::env::grid::GridActions::MiniGrid);
    let count = |c| view.cells.iter().filter(|&&x| x == c).count();
    use crate::env::grid::Cell;
    assert_eq!(
        (count(Cell::Key), count(Cell::LockedDoor), count(Cell::Goal)),
        (1, 1, 1)
    );
    assert_eq!(view.pos, env.agent_pos());
}
