//! Every layout MiniGrid's generators draw is solvable, and the shortest-path teacher solves it.
//!
//! - 10,000 seeds per id: a walk from the agent to the goal exists (cells reachable without
//!   lava, doors opened on the way, a locked door once a reachable key is taken).
//! - The first seeds of each id: the teacher's greedy policy, walked in the env itself, reaches
//!   the goal in exactly as many steps as its search says (so the planner's model of the rules
//!   is the env's). The same on all 10,000 seeds is `--ignored` here, for a release build:
//!   `cargo test --release -p rlaif --test minigrid_solvable -- --ignored`.

use std::collections::VecDeque;

use rlaif::env::grid::{Cell, GoalDistances, GridView};
use rlaif::env::registry::{self, Family};
use rlaif::env::{Action, Env, make};
use rlaif::feedback::teacher::{self, TeacherView};

/// Seeds per id whose layouts are checked for a way to the goal.
const SEEDS: u64 = 10_000;
/// Seeds per id on which the teacher plays the episode out in a debug build.
const PLAYED: u64 = 25;

fn minigrid_ids() -> Vec<String> {
    registry::entries()
        .into_iter()
        .filter(|e| e.family == Family::MiniGrid)
        .map(|e| e.id)
        .collect()
}

/// Whether the goal can be walked to: cells reached from the agent through floor and doors
/// (a locked one only with a key), where a key next to a reached cell can be picked up.
fn goal_reachable(view: &GridView) -> bool {
    let (w, h) = (view.width, view.height);
    let mut cells = view.cells.clone();
    let mut carrying = view.carrying_key;
    loop {
        let mut seen = vec![false; w * h];
        let start = view.pos.1 * w + view.pos.0;
        seen[start] = true;
        let mut queue = VecDeque::from([start]);
        let mut key_next_to = None;
        while let Some(i) = queue.pop_front() {
            if cells[i] == Cell::Goal {
                return true;
            }
            let (x, y) = (i % w, i / w);
            let around = [
                (x + 1 < w).then(|| i + 1),
                (x > 0).then(|| i - 1),
                (y + 1 < h).then(|| i + w),
                (y > 0).then(|| i - w),
            ];
            for j in around.into_iter().flatten() {
                let open = match cells[j] {
                    Cell::Floor | Cell::Goal | Cell::OpenDoor | Cell::ClosedDoor => true,
                    Cell::LockedDoor => carrying,
                    Cell::Key => {
                        key_next_to.get_or_insert(j);
                        false
                    }
                    Cell::Wall | Cell::Lava => false,
                };
                if open && !seen[j] {
                    seen[j] = true;
                    queue.push_back(j);
                }
            }
        }
        match key_next_to {
            // Take the key and search again: locked doors now open.
            Some(k) if !carrying => {
                cells[k] = Cell::Floor;
                carrying = true;
            }
            _ => return false,
        }
    }
}

/// Fewest actions from the env's current state to a goal by the teacher's planner.
fn planned_distance(env: &dyn Env) -> Option<u32> {
    let view = env.grid_view().expect("a MiniGrid env has a grid view");
    let mut table = GoalDistances::new(view.width);
    let id = table.lookup(&view.cells, view.pos, view.dir, view.carrying_key)?;
    table.distance(id)
}

#[test]
fn every_generated_layout_has_a_way_to_the_goal() {
    let ids = minigrid_ids();
    assert!(ids.len() >= 12, "{ids:?}");
    for id in ids {
        let mut env = make(&id).expect("makes");
        let mut obs = vec![0.0; env.spec().observation_space.flat_dim()];
        for seed in 0..SEEDS {
            env.reset(Some(seed), &mut obs);
            let view = env.grid_view().expect("grid view");
            assert!(
                goal_reachable(&view),
                "{id} seed {seed}: no way to the goal"
            );
            assert_ne!(view.cells[view.pos.1 * view.width + view.pos.0], Cell::Goal);
        }
    }
}

#[test]
fn the_check_sees_walls_lava_doors_and_keys() {
    // A 5x4 room: agent at (1, 1), `middle` at (2, 1), the goal at (3, 1), and below the
    // agent either a key or a wall; the rest is wall.
    let view = |middle: Cell, below: Cell| {
        let mut cells = vec![Cell::Wall; 20];
        cells[6] = Cell::Floor;
        cells[7] = middle;
        cells[8] = Cell::Goal;
        cells[11] = below;
        GridView {
            width: 5,
            height: 4,
            cells,
            pos: (1, 1),
            dir: 0,
            carrying_key: false,
            actions: rlaif::env::grid::GridActions::MiniGrid,
        }
    };
    assert!(goal_reachable(&view(Cell::Floor, Cell::Wall)));
    assert!(goal_reachable(&view(Cell::ClosedDoor, Cell::Wall)));
    assert!(goal_reachable(&view(Cell::OpenDoor, Cell::Wall)));
    assert!(!goal_reachable(&view(Cell::Wall, Cell::Key)));
    assert!(!goal_reachable(&view(Cell::Lava, Cell::Key)));
    assert!(!goal_reachable(&view(Cell::LockedDoor, Cell::Wall)));
    assert!(goal_reachable(&view(Cell::LockedDoor, Cell::Key)));
}

/// Plays `seeds` episodes of every MiniGrid id with the teacher's greedy policy.
fn teacher_walks_to_the_goal(seeds: u64) {
    for id in minigrid_ids() {
        let mut env = make(&id).expect("makes");
        let mut teacher = teacher::make(Some("shortest-path"), &id).expect("judges MiniGrid");
        let n = env.spec().action_space.n().expect("discrete");
        let mut obs = vec![0.0; env.spec().observation_space.flat_dim()];
        let mut policy = vec![0.0f32; n];
        for seed in 0..seeds {
            env.reset(Some(seed), &mut obs);
            let expected = planned_distance(&*env).expect("solvable");
            let mut steps = 0;
            loop {
                teacher.policy(
                    TeacherView {
                        env: &*env,
                        obs: &obs,
                    },
                    &mut policy,
                );
                let best = (0..n)
                    .max_by(|&a, &b| policy[a].total_cmp(&policy[b]).then(b.cmp(&a)))
                    .expect("actions");
                assert!(policy[best] > 0.0, "{id} seed {seed}: no suggestion");
                let step = env.step(Action::Discrete(best), &mut obs).expect("legal");
                steps += 1;
                if step.terminated || step.truncated {
                    assert!(
                        step.terminated && step.reward > 0.0,
                        "{id} seed {seed}: ended without the goal after {steps} steps"
                    );
                    break;
                }
                assert!(
                    steps <= expected,
                    "{id} seed {seed}: longer than {expected}"
                );
            }
            assert_eq!(steps, expected, "{id} seed {seed}: not a shortest path");
        }
    }
}

#[test]
fn the_shortest_path_teacher_walks_the_first_layouts_to_the_goal() {
    teacher_walks_to_the_goal(PLAYED);
}

#[test]
#[ignore = "10,000 searches per id: run in a release build"]
fn the_shortest_path_teacher_walks_every_layout_to_the_goal() {
    teacher_walks_to_the_goal(SEEDS);
}
