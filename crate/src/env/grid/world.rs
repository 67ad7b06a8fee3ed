//! Grid-world dynamics with MiniGrid's semantics, and the [`Env`] built on them.

use super::cell::{Cell, Dir, dir_vec, turn_left, turn_right};
use super::map::{Map, MapError, parse_map};
use super::observation::{OBS_DIM, View};
use crate::env::{
    Action, Env, EnvError, EnvSpec, Scene, Space, Step, check_obs_len, discrete_action,
};

/// Action 0: turn counter-clockwise.
pub const TURN_LEFT: usize = 0;
/// Action 1: turn clockwise.
pub const TURN_RIGHT: usize = 1;
/// Action 2: step into the cell ahead if it can be entered.
pub const FORWARD: usize = 2;
/// Action 3: pick up the key ahead (when not already carrying one).
pub const PICKUP: usize = 3;
/// Action 4: open or close the door ahead; a locked door unlocks and opens when carrying a key.
pub const TOGGLE: usize = 4;
/// MiniGrid's drop and done actions are left out: no map needs them.
pub const N_ACTIONS: usize = 5;

/// What a step led to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Event {
    Nothing,
    ReachedGoal,
    EnteredLava,
}

/// Everything that changes while the agent acts: the layout (keys vanish, doors open) and
/// the agent. Hashable so that searches can remember visited states.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct State {
    pub cells: Vec<Cell>,
    pub pos: (usize, usize),
    pub dir: Dir,
    pub carrying: bool,
}

impl State {
    fn initial(map: &Map) -> Self {
        Self {
            cells: map.cells().to_vec(),
            pos: map.start(),
            dir: map.start_dir(),
            carrying: false,
        }
    }

    /// Index of the cell in front of the agent (`None` past the map's edge, which the wall
    /// border makes unreachable).
    fn front(&self, width: usize) -> Option<usize> {
        let (dx, dy) = dir_vec(self.dir);
        let x = self.pos.0.checked_add_signed(dx)?;
        let y = self.pos.1.checked_add_signed(dy)?;
        let height = self.cells.len() / width;
        (x < width && y < height).then_some(y * width + x)
    }

    /// Applies a valid action (`< N_ACTIONS`) as MiniGrid's `step` does.
    pub fn act(&mut self, width: usize, action: usize) -> Event {
        match action {
            TURN_LEFT => self.dir = turn_left(self.dir),
            TURN_RIGHT => self.dir = turn_right(self.dir),
            FORWARD => {
                if let Some(i) = self.front(width) {
                    let cell = self.cells[i];
                    if cell.can_enter() {
                        self.pos = (i % width, i / width);
                        match cell {
                            Cell::Goal => return Event::ReachedGoal,
                            Cell::Lava => return Event::EnteredLava,
                            _ => {}
                        }
                    }
                }
            }
            PICKUP => {
                if let Some(i) = self.front(width)
                    && self.cells[i] == Cell::Key
                    && !self.carrying
                {
                    self.cells[i] = Cell::Floor;
                    self.carrying = true;
                }
            }
            TOGGLE => {
                if let Some(i) = self.front(width) {
                    self.cells[i] = match self.cells[i] {
                        Cell::LockedDoor if self.carrying => Cell::OpenDoor,
                        Cell::ClosedDoor => Cell::OpenDoor,
                        Cell::OpenDoor => Cell::ClosedDoor,
                        other => other,
                    };
                }
            }
            _ => {}
        }
        Event::Nothing
    }
}

/// A grid world on a fixed map.
///
/// Rewards follow MiniGrid: reaching a goal ends the episode with `1 - 0.9 * t / max_steps`,
/// `t` counting this step; lava ends it with 0; every other step gives 0. The time limit is
/// the spec's `max_episode_steps` (the map's `max_steps`), applied by `registry::make`.
#[derive(Clone, Debug)]
pub struct GridWorld {
    map: Map,
    spec: EnvSpec,
    state: State,
    step_count: u32,
    reset_done: bool,
}

impl GridWorld {
    /// A world on a validated map, registered as `Grid-<name>-v0`.
    pub fn new(map: Map) -> Self {
        let spec = EnvSpec {
            id: format!("Grid-{}-v0", map.name()),
            observation_space: Space::box1(&[0.0; OBS_DIM], &[1.0; OBS_DIM]),
            action_space: Space::Discrete { n: N_ACTIONS },
            max_episode_steps: Some(map.max_steps()),
            reward_threshold: map.reward_threshold(),
            masked_actions: false,
        };
        let state = State::initial(&map);
        Self {
            map,
            spec,
            state,
            step_count: 0,
            reset_done: false,
        }
    }

    /// Parses a map (see `static/maps/README.md`) and builds its world; the name comes from
    /// the `name:` header, else `custom`.
    pub fn from_map_text(text: &str) -> Result<Self, MapError> {
        parse_map(text).map(Self::new)
    }

    /// The map as loaded: the initial layout, start and step limit.
    pub fn map(&self) -> &Map {
        &self.map
    }
    /// The current layout, row-major (`y * width + x`): keys picked up are gone, doors
    /// opened are open.
    pub fn cells(&self) -> &[Cell] {
        &self.state.cells
    }
    /// The current cell at `(x, y)`, `None` outside the map.
    pub fn cell(&self, x: usize, y: usize) -> Option<Cell> {
        let width = self.map.width();
        (x < width && y < self.map.height()).then(|| self.state.cells[y * width + x])
    }
    /// The agent's position `(x, y)`.
    pub fn agent_pos(&self) -> (usize, usize) {
        self.state.pos
    }
    /// The agent's facing: 0 right, 1 down, 2 left, 3 up.
    pub fn agent_dir(&self) -> Dir {
        self.state.dir
    }
    pub fn carrying_key(&self) -> bool {
        self.state.carrying
    }
    /// Steps taken since the last reset.
    pub fn step_count(&self) -> u32 {
        self.step_count
    }

    pub(super) fn state(&self) -> &State {
        &self.state
    }

    /// MiniGrid's `_reward`. The count is capped at `max_steps` so that stepping an unwrapped
    /// world past its limit still pays at least 0.1 for the goal.
    fn goal_reward(&self) -> f64 {
        let max = self.map.max_steps();
        1.0 - 0.9 * (f64::from(self.step_count.min(max)) / f64::from(max))
    }

    fn view(&self) -> View<'_> {
        View {
            cells: &self.state.cells,
            width: self.map.width(),
            height: self.map.height(),
            pos: self.state.pos,
            dir: self.state.dir,
            carrying: self.state.carrying,
        }
    }
}

impl Env for GridWorld {
    fn spec(&self) -> &EnvSpec {
        &self.spec
    }

    /// Restores the map's initial layout. The map is fixed, so the seed changes nothing; it
    /// is accepted so that every environment resets the same way.
    fn reset(&mut self, _seed: Option<u64>, obs: &mut [f32]) {
        self.state.cells.copy_from_slice(self.map.cells());
        self.state.pos = self.map.start();
        self.state.dir = self.map.start_dir();
        self.state.carrying = false;
        self.step_count = 0;
        self.reset_done = true;
        self.view().encode(obs);
    }

    fn step(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Step, EnvError> {
        let action = discrete_action(action, N_ACTIONS)?;
        check_obs_len(obs, OBS_DIM)?;
        if !self.reset_done {
            return Err(EnvError::NotReset);
        }
        self.step_count = self.step_count.saturating_add(1);
        let (reward, terminated) = match self.state.act(self.map.width(), action) {
            Event::ReachedGoal => (self.goal_reward(), true),
            Event::EnteredLava => (0.0, true),
            Event::Nothing => (0.0, false),
        };
        self.view().encode(obs);
        Ok(Step {
            reward,
            terminated,
            truncated: false,
        })
    }

    fn observe(&self, obs: &mut [f32]) {
        self.view().encode(obs);
    }

    fn grid_view(&self) -> Option<super::GridView> {
        Some(super::GridView {
            width: self.map.width(),
            height: self.map.height(),
            cells: self.state.cells.clone(),
            pos: self.state.pos,
            dir: self.state.dir,
            carrying_key: self.state.carrying,
            actions: super::GridActions::Compact,
        })
    }

    fn scene(&self) -> Scene {
        Scene::Grid {
            width: self.map.width(),
            height: self.map.height(),
            tiles: self.state.cells.iter().map(|c| c.tile()).collect(),
            agent_x: self.state.pos.0,
            agent_y: self.state.pos.1,
            agent_dir: self.state.dir,
            carrying_key: self.state.carrying,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reset world on `text`, with its observation buffer.
    fn world(text: &str) -> (GridWorld, Vec<f32>) {
        let mut w = GridWorld::from_map_text(text).expect("valid test map");
        let mut obs = vec![0.0; OBS_DIM];
        w.reset(Some(0), &mut obs);
        (w, obs)
    }

    fn act(w: &mut GridWorld, obs: &mut [f32], a: usize) -> Step {
        w.step(Action::Discrete(a), obs).expect("valid action")
    }

    // Agent at (1, 1) facing right; key below it, locked door and goal to the right.
    const KEY_DOOR: &str = "max_steps: 50\n#######\n#>.DG.#\n#K..d.#\n#######\n";

    #[test]
    fn turns_change_facing_only() {
        let (mut w, mut obs) = world(KEY_DOOR);
        assert_eq!(w.agent_dir(), 0);
        let s = act(&mut w, &mut obs, TURN_RIGHT);
        assert_eq!((w.agent_dir(), w.agent_pos()), (1, (1, 1)));
        assert_eq!((s.reward, s.terminated, s.truncated), (0.0, false, false));
        act(&mut w, &mut obs, TURN_LEFT);
        act(&mut w, &mut obs, TURN_LEFT);
        assert_eq!(w.agent_dir(), 3);
        assert_eq!(w.step_count(), 3);
    }

    #[test]
    fn forward_moves_onto_floor_but_not_into_walls_doors_or_keys() {
        let (mut w, mut obs) = world(KEY_DOOR);
        act(&mut w, &mut obs, FORWARD);
        assert_eq!(w.agent_pos(), (2, 1));
        // Locked door ahead.
        act(&mut w, &mut obs, FORWARD);
        assert_eq!(w.agent_pos(), (2, 1));
        // Wall above.
        act(&mut w, &mut obs, TURN_LEFT);
        act(&mut w, &mut obs, FORWARD);
        assert_eq!(w.agent_pos(), (2, 1));
        // Down to (2, 2), then face the key at (1, 2): it blocks.
        act(&mut w, &mut obs, TURN_LEFT);
        act(&mut w, &mut obs, TURN_LEFT);
        act(&mut w, &mut obs, FORWARD);
        assert_eq!(w.agent_pos(), (2, 2));
        act(&mut w, &mut obs, TURN_RIGHT);
        act(&mut w, &mut obs, FORWARD);
        assert_eq!(w.agent_pos(), (2, 2));
        // Two to the right is the closed door at (4, 2): (3, 2) is reachable, the door not.
        act(&mut w, &mut obs, TURN_RIGHT);
        act(&mut w, &mut obs, TURN_RIGHT);
        act(&mut w, &mut obs, FORWARD);
        act(&mut w, &mut obs, FORWARD);
        assert_eq!(w.agent_pos(), (3, 2));
    }

    #[test]
    fn pickup_takes_the_key_ahead_once() {
        let (mut w, mut obs) = world(KEY_DOOR);
        // Facing right: no key ahead, nothing happens.
        act(&mut w, &mut obs, PICKUP);
        assert!(!w.carrying_key());
        act(&mut w, &mut obs, TURN_RIGHT);
        act(&mut w, &mut obs, PICKUP);
        assert!(w.carrying_key());
        assert_eq!(w.cell(1, 2), Some(Cell::Floor));
        assert_eq!(obs[super::super::observation::CARRYING_INDEX], 1.0);
        // The key's cell can now be entered.
        act(&mut w, &mut obs, FORWARD);
        assert_eq!(w.agent_pos(), (1, 2));
        // The map itself is untouched.
        assert_eq!(w.map().cell(1, 2), Some(Cell::Key));
    }

    #[test]
    fn toggle_opens_and_closes_doors_and_unlocks_only_with_the_key() {
        let (mut w, mut obs) = world(KEY_DOOR);
        act(&mut w, &mut obs, FORWARD);
        act(&mut w, &mut obs, TOGGLE);
        assert_eq!(w.cell(3, 1), Some(Cell::LockedDoor), "no key yet");
        // Fetch the key: back to (1, 1) facing down.
        act(&mut w, &mut obs, TURN_RIGHT);
        act(&mut w, &mut obs, TURN_RIGHT);
        act(&mut w, &mut obs, FORWARD);
        act(&mut w, &mut obs, TURN_LEFT);
        act(&mut w, &mut obs, PICKUP);
        assert!(w.carrying_key());
        act(&mut w, &mut obs, TURN_LEFT);
        act(&mut w, &mut obs, FORWARD);
        act(&mut w, &mut obs, TOGGLE);
        assert_eq!(w.cell(3, 1), Some(Cell::OpenDoor));
        assert!(w.carrying_key(), "MiniGrid keeps the key after unlocking");
        // Toggling again closes it, now unlocked.
        act(&mut w, &mut obs, TOGGLE);
        assert_eq!(w.cell(3, 1), Some(Cell::ClosedDoor));
        act(&mut w, &mut obs, FORWARD);
        assert_eq!(w.agent_pos(), (2, 1), "a closed door blocks");
        act(&mut w, &mut obs, TOGGLE);
        act(&mut w, &mut obs, FORWARD);
        assert_eq!(w.agent_pos(), (3, 1), "an open door can be entered");
        assert!(matches!(
            w.scene(),
            Scene::Grid {
                carrying_key: true,
                agent_x: 3,
                ..
            }
        ));
    }

    #[test]
    fn goal_reward_decays_with_steps_taken() {
        let (mut w, mut obs) = world(KEY_DOOR);
        // Key, then through the locked door to the goal at (4, 1).
        for a in [TURN_RIGHT, PICKUP, TURN_LEFT, FORWARD, TOGGLE, FORWARD] {
            assert!(!act(&mut w, &mut obs, a).terminated);
        }
        let s = act(&mut w, &mut obs, FORWARD);
        assert!(s.terminated && !s.truncated);
        assert_eq!(w.agent_pos(), (4, 1));
        // Seven steps of fifty: 1 - 0.9 * 7 / 50.
        assert!((s.reward - 0.874).abs() < 1e-12, "{}", s.reward);
    }

    #[test]
    fn lava_terminates_with_zero_reward() {
        let (mut w, mut obs) = world("#####\n#>LG#\n#...#\n#####\n");
        let s = act(&mut w, &mut obs, FORWARD);
        assert_eq!(w.agent_pos(), (2, 1));
        assert_eq!((s.reward, s.terminated, s.truncated), (0.0, true, false));
    }

    #[test]
    fn reward_floor_holds_past_the_limit_when_unwrapped() {
        let (mut w, mut obs) = world("max_steps: 2\n####\n#>G#\n####\n");
        for _ in 0..4 {
            act(&mut w, &mut obs, TURN_LEFT);
        }
        let s = act(&mut w, &mut obs, FORWARD);
        assert!(
            s.terminated && !s.truncated,
            "the env itself never truncates"
        );
        assert!((s.reward - 0.1).abs() < 1e-12);
    }

    #[test]
    fn reset_restores_the_initial_layout() {
        let (mut w, mut obs) = world(KEY_DOOR);
        let first = obs.clone();
        for a in [TURN_RIGHT, PICKUP, FORWARD, TURN_LEFT] {
            act(&mut w, &mut obs, a);
        }
        assert_ne!(obs, first);
        w.reset(Some(7), &mut obs);
        assert_eq!(obs, first);
        assert_eq!(
            (w.agent_pos(), w.agent_dir(), w.carrying_key()),
            ((1, 1), 0, false)
        );
        assert_eq!(w.cells(), w.map().cells());
        assert_eq!(w.step_count(), 0);
    }

    #[test]
    fn invalid_calls_are_errors_that_change_nothing() {
        let mut w = GridWorld::from_map_text(KEY_DOOR).expect("valid");
        let mut obs = vec![0.0; OBS_DIM];
        assert_eq!(
            w.step(Action::Discrete(FORWARD), &mut obs),
            Err(EnvError::NotReset)
        );
        w.reset(None, &mut obs);
        assert_eq!(
            w.step(Action::Discrete(5), &mut obs),
            Err(EnvError::ActionOutOfRange { action: 5, n: 5 })
        );
        assert_eq!(
            w.step(Action::Continuous(&[0.0]), &mut obs),
            Err(EnvError::WrongActionKind {
                expected: "discrete"
            })
        );
        assert_eq!(
            w.step(Action::Discrete(FORWARD), &mut [0.0; 3]),
            Err(EnvError::WrongObservationLength {
                got: 3,
                expected: OBS_DIM
            })
        );
        assert_eq!((w.agent_pos(), w.step_count()), ((1, 1), 0));
    }

    #[test]
    fn spec_and_scene_describe_the_map() {
        let (w, _) = world("name: Room\n#####\n#^.G#\n#####\n");
        assert_eq!(w.spec().id, "Grid-Room-v0");
        assert_eq!(w.spec().action_space, Space::Discrete { n: 5 });
        assert_eq!(w.spec().observation_space.flat_dim(), 397);
        assert_eq!(w.spec().max_episode_steps, Some(60));
        let Scene::Grid {
            width,
            height,
            tiles,
            agent_x,
            agent_y,
            agent_dir,
            carrying_key,
        } = w.scene()
        else {
            panic!("not a grid scene");
        };
        assert_eq!(
            (width, height, agent_x, agent_y, agent_dir),
            (5, 3, 1, 1, 3)
        );
        assert!(!carrying_key);
        assert_eq!(tiles.len(), 15);
        assert_eq!(tiles[5 + 3], crate::env::render::Tile::Goal);
        assert_eq!(tiles[5 + 1], crate::env::render::Tile::Floor);
    }
}
