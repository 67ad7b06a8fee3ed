//! Shortest action sequences to a goal, by breadth-first search over world states (layout,
//! position, facing, key). Used by the tests to check the built-in maps, and meant for a
//! shortest-path teacher.

use std::collections::{HashMap, VecDeque};

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
