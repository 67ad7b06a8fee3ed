//! `shortest-path`: a planner for the grid worlds that knows keys, doors and lava.
//!
//! `Phi(s) = 1 - d(s) / D`, where `d(s)` is the fewest actions from `s` to the goal and `D`
//! the largest such distance over the states reachable from the episode's start: 1 on the
//! goal, 0 at the farthest state, so each step along a shortest path gains `1 / D` (the
//! goal reward is at most 1, so one episode's worth of progress is on the env's scale). Lava
//! and states from which no goal can be reached are worth [`LOST`].

use super::{Teacher, TeacherError, TeacherView};
use crate::env::grid::{Cell, GoalDistances, GridActions, GridView, N_ACTIONS};

/// Value of lava and of states with no way to a goal: below every state that can still win.
pub const LOST: f64 = -1.0;

/// Whether `env_id` names a grid world: a fixed map (`Grid-<map>-v0`) or one of MiniGrid's
/// generated layouts (`MiniGrid-...`).
pub fn judges(env_id: &str) -> bool {
    (env_id.starts_with("Grid-") && env_id.ends_with("-v0")) || env_id.starts_with("MiniGrid-")
}

pub fn make(_env_id: &str, option: Option<&str>) -> Result<Box<dyn Teacher>, TeacherError> {
    if let Some(o) = option {
        return Err(TeacherError::BadOption(format!(
            "shortest-path takes no option, got {o:?}"
        )));
    }
    Ok(Box::new(ShortestPath::default()))
}

/// Layouts whose tables are kept: generated worlds give every episode its own layout, and a
/// vector of envs steps several at once.
const KEPT_LAYOUTS: usize = 64;

/// Distances come from a table built on first sight of each layout (one search per layout),
/// the most recently used first.
#[derive(Default)]
pub struct ShortestPath {
    tables: Vec<(Vec<u8>, GoalDistances)>,
    cells: Vec<Cell>,
    /// The current view's layout key, rebuilt in place on every lookup.
    key: Vec<u8>,
    /// The last value map: it depends only on the layout and the key, not on where the agent
    /// is, so a drawing per step recomputes it only when a door opens or the key is taken.
    heat: Option<HeatMap>,
}

/// What stays put while the agent acts (walls, goal, lava, where doors are), plus the width:
/// keys move or vanish and doors open, but within one layout this never changes.
fn write_layout_key(view: &GridView, key: &mut Vec<u8>) {
    key.clear();
    key.extend_from_slice(&(view.width as u64).to_le_bytes());
    key.extend(view.cells.iter().map(|c| match c {
        Cell::Floor | Cell::Key => 0,
        Cell::Wall => 1,
        Cell::Goal => 2,
        Cell::Lava => 3,
        Cell::LockedDoor | Cell::ClosedDoor | Cell::OpenDoor => 4,
    }));
}

struct HeatMap {
    cells: Vec<Cell>,
    carrying_key: bool,
    values: Vec<Option<f64>>,
}

impl ShortestPath {
    /// The table and the current state's id, or `None` when the env is not a grid world.
    fn locate(&mut self, env: &dyn crate::env::Env) -> Option<(&GoalDistances, u32)> {
        self.locate_in(env.grid_view()?)
    }

    /// [`ShortestPath::locate`] for a view already taken.
    fn locate_in(&mut self, view: GridView) -> Option<(&GoalDistances, u32)> {
        write_layout_key(&view, &mut self.key);
        match self.tables.iter().position(|(k, _)| *k == self.key) {
            Some(i) => self.tables[..=i].rotate_right(1),
            None => {
                self.tables.truncate(KEPT_LAYOUTS - 1);
                let table = GoalDistances::new(view.width);
                self.tables.insert(0, (self.key.clone(), table));
            }
        }
        let (pos, dir, carrying_key) = (view.pos, view.dir, view.carrying_key);
        self.cells = view.cells;
        let table = &mut self.tables.first_mut()?.1;
        let id = table.lookup(&self.cells, pos, dir, carrying_key)?;
        Some((table, id))
    }
}

/// `Phi` of a state with distance `d` to the goal (`None`: no way there).
fn value_of(table: &GoalDistances, d: Option<u32>) -> f64 {
    match d {
        Some(d) => 1.0 - f64::from(d) / f64::from(table.max_distance().max(1)),
        None => LOST,
    }
}

impl Teacher for ShortestPath {
    fn name(&self) -> String {
        "shortest-path".into()
    }

    fn value(&mut self, state: TeacherView<'_>) -> f64 {
        match self.locate(state.env) {
            Some((table, id)) => value_of(table, table.distance(id)),
            None => LOST,
        }
    }

    /// The agent moved to each enterable cell, facing its best way, doors and key as they are.
    fn cell_values(&mut self, state: TeacherView<'_>) -> Option<Vec<Option<f64>>> {
        let view = state.env.grid_view()?;
        let (width, carrying_key) = (view.width, view.carrying_key);
        // Looks the current state up first (the table's scale is this episode's), which also
        // fills `self.cells` with the layout.
        self.locate_in(view)?;
        if let Some(heat) = &self.heat
            && heat.carrying_key == carrying_key
            && heat.cells == self.cells
        {
            return Some(heat.values.clone());
        }
        let table = &mut self.tables.first_mut()?.1;
        let mut values = Vec::with_capacity(self.cells.len());
        for (i, cell) in self.cells.iter().enumerate() {
            // The agent only ever stands on cells it can enter.
            if !cell.can_enter() {
                values.push(None);
                continue;
            }
            let pos = (i % width, i / width);
            let mut best: Option<f64> = None;
            for dir in 0..4 {
                let Some(id) = table.lookup(&self.cells, pos, dir, carrying_key) else {
                    continue;
                };
                let v = value_of(table, table.distance(id));
                best = Some(best.map_or(v, |b: f64| b.max(v)));
            }
            values.push(best);
        }
        self.heat = Some(HeatMap {
            cells: self.cells.clone(),
            carrying_key,
            values: values.clone(),
        });
        Some(values)
    }

    /// Uniform over the actions that start a shortest path (uniform over the layout's moves
    /// when none does), written at the env's own action numbers: MiniGrid's drop and done
    /// never start a shortest path.
    fn policy(&mut self, state: TeacherView<'_>, out: &mut [f32]) {
        let actions = state
            .env
            .grid_view()
            .map_or(GridActions::Compact, |v| v.actions);
        let mut best = [false; N_ACTIONS];
        if let Some((table, id)) = self.locate(state.env) {
            table.first_actions(id, &mut best);
        }
        if !best.iter().any(|&b| b) {
            best = [true; N_ACTIONS];
        }
        let n = best.iter().filter(|&&b| b).count() as f32;
        out.fill(0.0);
        for (compact, _) in best.iter().enumerate().filter(|(_, b)| **b) {
            if let Some(o) = out.get_mut(actions.index_of(compact)) {
                *o = 1.0 / n;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::grid::{BUILTIN_MAPS, FORWARD, OBS_DIM, shortest_path};
    use crate::env::{Action, Env, Scene, registry};

    fn greedy(policy: &[f32]) -> usize {
        (0..policy.len())
            .max_by(|&a, &b| policy[a].total_cmp(&policy[b]).then(b.cmp(&a)))
            .unwrap_or(0)
    }

    #[test]
    fn follows_a_shortest_path_on_every_builtin_map_with_rising_value() {
        for (name, _) in BUILTIN_MAPS {
            let id = format!("Grid-{name}-v0");
            let mut env = registry::make(&id).unwrap();
            let mut teacher = make(&id, None).unwrap();
            let mut obs = vec![0.0; OBS_DIM];
            env.reset(Some(0), &mut obs);
            let optimal = {
                let mut world = crate::env::grid::GridWorld::from_map_text(
                    BUILTIN_MAPS.iter().find(|m| m.0 == *name).unwrap().1,
                )
                .unwrap();
                world.reset(Some(0), &mut obs);
                shortest_path(&world).unwrap().len()
            };
            let mut value = teacher.value(TeacherView {
                env: &*env,
                obs: &obs,
            });
            let mut policy = [0.0; N_ACTIONS];
            let mut steps = 0;
            loop {
                teacher.policy(
                    TeacherView {
                        env: &*env,
                        obs: &obs,
                    },
                    &mut policy,
                );
                assert!((policy.iter().sum::<f32>() - 1.0).abs() < 1e-6);
                let step = env
                    .step(Action::Discrete(greedy(&policy)), &mut obs)
                    .unwrap();
                steps += 1;
                let next = teacher.value(TeacherView {
                    env: &*env,
                    obs: &obs,
                });
                assert!(next > value, "{id}: value fell from {value} to {next}");
                value = next;
                if step.terminated || step.truncated {
                    assert!(step.terminated && step.reward > 0.0, "{id}: no goal");
                    break;
                }
            }
            assert_eq!(steps, optimal, "{id}: not a shortest path");
            assert_eq!(value, 1.0, "{id}: the goal is worth 1");
        }
    }

    #[test]
    fn lava_is_worth_less_than_any_state_that_can_still_win() {
        let text = "max_steps: 20\n#####\n#>LG#\n#...#\n#####\n";
        let mut env: Box<dyn Env> =
            Box::new(crate::env::grid::GridWorld::from_map_text(text).unwrap());
        let mut teacher = ShortestPath::default();
        let mut obs = vec![0.0; OBS_DIM];
        env.reset(None, &mut obs);
        let start = teacher.value(TeacherView {
            env: &*env,
            obs: &obs,
        });
        assert!(start >= 0.0);
        let mut policy = [0.0; N_ACTIONS];
        teacher.policy(
            TeacherView {
                env: &*env,
                obs: &obs,
            },
            &mut policy,
        );
        assert_eq!(policy[FORWARD], 0.0, "forward walks into lava");
        env.step(Action::Discrete(FORWARD), &mut obs).unwrap();
        assert_eq!(
            teacher.value(TeacherView {
                env: &*env,
                obs: &obs
            }),
            LOST
        );
    }

    #[test]
    fn states_first_seen_mid_episode_get_exact_distances() {
        // Seen first after the key is taken, then from the start: both tables agree with a
        // fresh search.
        let text = "max_steps: 50\n#######\n#>.DG.#\n#K..d.#\n#######\n";
        let mut env = crate::env::grid::GridWorld::from_map_text(text).unwrap();
        let mut teacher = ShortestPath::default();
        let mut obs = vec![0.0; OBS_DIM];
        env.reset(None, &mut obs);
        for a in [1, 3, 0] {
            env.step(Action::Discrete(a), &mut obs).unwrap();
        }
        let (t, id) = teacher.locate(&env).unwrap();
        assert_eq!(
            t.distance(id),
            Some(shortest_path(&env).unwrap().len() as u32)
        );
        env.reset(None, &mut obs);
        let (t, id) = teacher.locate(&env).unwrap();
        assert_eq!(
            t.distance(id),
            Some(shortest_path(&env).unwrap().len() as u32)
        );
    }

    #[test]
    fn cell_values_map_the_goal_walls_lava_and_the_agent() {
        for (name, _) in BUILTIN_MAPS {
            let id = format!("Grid-{name}-v0");
            let mut env = registry::make(&id).unwrap();
            let mut obs = vec![0.0; OBS_DIM];
            env.reset(Some(0), &mut obs);
            let mut teacher = make(&id, None).unwrap();
            let view = TeacherView {
                env: &*env,
                obs: &obs,
            };
            let values = teacher.cell_values(view).unwrap();
            let Scene::Grid {
                width,
                height,
                tiles,
                agent_x,
                agent_y,
                ..
            } = env.scene()
            else {
                panic!("{id} is not a grid");
            };
            assert_eq!(values.len(), width * height, "{id}");
            for (tile, value) in tiles.iter().zip(&values) {
                match Cell::from_tile(*tile) {
                    Cell::Wall => assert_eq!(*value, None, "{id}: a wall"),
                    Cell::Goal => assert_eq!(*value, Some(1.0), "{id}: the goal"),
                    Cell::Lava => assert_eq!(*value, Some(LOST), "{id}: lava"),
                    _ => {}
                }
            }
            // The agent's own cell, facing its best way, is worth at least where it faces now.
            let here = values[agent_y * width + agent_x].unwrap();
            assert!(here >= teacher.value(view), "{id}");
            assert!(here < 1.0, "{id}: the start is not the goal");
            // The wrong teacher's map is the mirror image.
            let mut wrong = super::super::make(Some("inverted"), &id).unwrap();
            let mirrored: Vec<_> = values.iter().map(|v| v.map(|x| -x)).collect();
            assert_eq!(wrong.cell_values(view).unwrap(), mirrored, "{id}");
        }
    }

    #[test]
    fn the_kept_value_map_is_the_one_computed_afresh_along_an_episode() {
        let id = "Grid-DoorKey-8x8-v0";
        let mut env = registry::make(id).unwrap();
        let mut obs = vec![0.0; OBS_DIM];
        env.reset(Some(0), &mut obs);
        let mut teacher = ShortestPath::default();
        let mut policy = [0.0; N_ACTIONS];
        loop {
            let view = TeacherView {
                env: &*env,
                obs: &obs,
            };
            let kept = teacher.cell_values(view).unwrap();
            teacher.heat = None;
            assert_eq!(teacher.cell_values(view).unwrap(), kept);
            teacher.policy(view, &mut policy);
            let step = env
                .step(Action::Discrete(greedy(&policy)), &mut obs)
                .unwrap();
            if step.terminated || step.truncated {
                break;
            }
        }
    }

    #[test]
    fn only_grid_teachers_have_cell_values() {
        let env = registry::make("CartPole-v1").unwrap();
        let mut teacher = super::super::make(None, "CartPole-v1").unwrap();
        let obs = [0.0; 4];
        let view = TeacherView {
            env: &*env,
            obs: &obs,
        };
        assert_eq!(teacher.cell_values(view), None);
    }
}
