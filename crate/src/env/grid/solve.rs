//! Shortest action sequences to a goal, by breadth-first search over world states (layout,
//! position, facing, key). Used by the tests to check the built-in maps, and meant for a
//! shortest-path teacher.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};

use super::world::{Event, GridWorld, N_ACTIONS, State};

/// The fewest actions that take `world` from its current state onto a goal, or `None` when
/// no goal can be reached. Lava is avoided; the step limit is ignored.
pub fn shortest_path(world: &GridWorld) -> Option<Vec<usize>> {
    let width = world.map().width();
    let start = world.state().clone();
    // Each visited state's predecessor and the action that led to it.
    let mut parent: HashMap<State, Option<(State, usize)>> = HashMap::new();
    parent.insert(start.clone(), None);
    let mut queue = VecDeque::from([start]);
    while let Some(state) = queue.pop_front() {
        for action in 0..N_ACTIONS {
            let mut next = state.clone();
            match next.act(width, action) {
                Event::EnteredLava => continue,
                Event::ReachedGoal => {
                    let mut actions = vec![action];
                    let mut at = &state;
                    while let Some(Some((prev, a))) = parent.get(at) {
                        actions.push(*a);
                        at = prev;
                    }
                    actions.reverse();
                    return Some(actions);
                }
                Event::Nothing => {}
            }
            if !parent.contains_key(&next) {
                parent.insert(next.clone(), Some((state.clone(), action)));
                queue.push_back(next);
            }
        }
    }
    None
}

/// Distance to the goal (in actions) of every world state reachable from the states it was
/// asked about: a planner's lookup table. Each new layout costs one forward enumeration of
/// the states reachable from it and one backward breadth-first search from the goal; every
/// later lookup is a hash.
#[derive(Clone, Debug, Default)]
pub struct GoalDistances {
    width: usize,
    index: HashMap<State, u32>,
    /// Successor of each state under each action.
    next: Vec<[u32; N_ACTIONS]>,
    /// Fewest actions to a goal; `u32::MAX` for lava and states with no way out.
    dist: Vec<u32>,
    /// Largest finite distance seen in the first enumeration (the scale of a value).
    max_distance: u32,
}

/// Sentinel for "no path".
const UNREACHABLE: u32 = u32::MAX;

impl GoalDistances {
    /// An empty table for maps `width` cells wide.
    pub fn new(width: usize) -> Self {
        Self {
            width,
            ..Self::default()
        }
    }

    /// The id of a world state (layout row-major, agent position, facing, key), enumerating
    /// the states reachable from it on first sight. `None` when `cells` does not fit the width.
    pub fn lookup(
        &mut self,
        cells: &[super::Cell],
        pos: (usize, usize),
        dir: super::Dir,
        carrying: bool,
    ) -> Option<u32> {
        if self.width == 0 || !cells.len().is_multiple_of(self.width) || pos.0 >= self.width {
            return None;
        }
        if pos.1 * self.width + pos.0 >= cells.len() {
            return None;
        }
        let state = State {
            cells: cells.to_vec(),
            pos,
            dir: dir % 4,
            carrying,
        };
        if let Some(&id) = self.index.get(&state) {
            return Some(id);
        }
        Some(self.explore(state))
    }

    /// Fewest actions from state `id` to a goal (0 on the goal); `None` in lava or with no
    /// way to a goal.
    pub fn distance(&self, id: u32) -> Option<u32> {
        self.dist
            .get(id as usize)
            .copied()
            .filter(|&d| d != UNREACHABLE)
    }

    /// The largest finite distance among the states reachable from the first state looked up
    /// (for a fresh world: every state of an episode).
    pub fn max_distance(&self) -> u32 {
        self.max_distance
    }

    /// Writes which actions start a shortest path from state `id` (all false when none does).
    pub fn first_actions(&self, id: u32, out: &mut [bool]) {
        out.fill(false);
        let Some(d) = self.distance(id).filter(|&d| d > 0) else {
            return;
        };
        for (a, &n) in self.next[id as usize].iter().enumerate() {
            if let Some(o) = out.get_mut(a) {
                *o = self.dist[n as usize] == d - 1;
            }
        }
    }

    /// Adds every state reachable from `start`, then finds the distances of the new ones.
    /// Old states keep theirs: a state's distance depends only on what is reachable from it.
    fn explore(&mut self, start: State) -> u32 {
        let first = self.next.len() as u32;
        let start_id = self.insert(start.clone());
        let mut frontier = VecDeque::from([(start_id, start)]);
        let mut goals = Vec::new();
        while let Some((i, state)) = frontier.pop_front() {
            match state.cells[state.pos.1 * self.width + state.pos.0] {
                super::Cell::Goal => goals.push(i),
                super::Cell::Lava => {}
                _ => {
                    for action in 0..N_ACTIONS {
                        let mut next = state.clone();
                        next.act(self.width, action);
                        let id = match self.index.get(&next) {
                            Some(&id) => id,
                            None => {
                                let id = self.insert(next.clone());
                                frontier.push_back((id, next));
                                id
                            }
                        };
                        self.next[i as usize][action] = id;
                    }
                }
            }
        }
        self.backward(first, &goals);
        if first == 0 {
            self.max_distance = self
                .dist
                .iter()
                .copied()
                .filter(|&d| d != UNREACHABLE)
                .max()
                .unwrap_or(0);
        }
        start_id
    }

    fn insert(&mut self, state: State) -> u32 {
        let id = self.next.len() as u32;
        self.index.insert(state, id);
        self.next.push([id; N_ACTIONS]);
        self.dist.push(UNREACHABLE);
        id
    }

    /// Shortest distances of the states from `first` on, searching backwards from the goals
    /// and from the old states they can step into (whose distances are known). Unit costs with
    /// several start distances: Dijkstra's order, kept by a heap.
    fn backward(&mut self, first: u32, goals: &[u32]) {
        let n = self.next.len();
        let offset = first as usize;
        let mut preds: Vec<Vec<u32>> = vec![Vec::new(); n - offset];
        let mut heap = BinaryHeap::new();
        for &g in goals {
            self.dist[g as usize] = 0;
            heap.push(Reverse((0, g)));
        }
        for i in offset..n {
            for &j in &self.next[i] {
                if j as usize == i {
                    continue;
                }
                if j >= first {
                    preds[j as usize - offset].push(i as u32);
                } else if self.dist[j as usize] != UNREACHABLE {
                    let d = self.dist[j as usize] + 1;
                    if d < self.dist[i] {
                        self.dist[i] = d;
                        heap.push(Reverse((d, i as u32)));
                    }
                }
            }
        }
        while let Some(Reverse((d, s))) = heap.pop() {
            if d > self.dist[s as usize] {
                continue;
            }
            for &p in &preds[s as usize - offset] {
                if d + 1 < self.dist[p as usize] {
                    self.dist[p as usize] = d + 1;
                    heap.push(Reverse((d + 1, p)));
                }
            }
        }
    }
}
