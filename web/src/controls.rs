//! Keyboard controls for playing an environment yourself, and the names of its actions (for
//! the keys' help line and the teacher's suggestion). One table per env family.

/// What a key does: a discrete action's index, or a continuous action's value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum KeyAction {
    Discrete(usize),
    Continuous(f32),
}

/// One key of an env's controls.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Binding {
    /// `KeyboardEvent.key` of the key.
    pub key: &'static str,
    /// How the help line shows the key.
    pub shown: &'static str,
    /// What the action does, in words.
    pub label: &'static str,
    pub action: KeyAction,
}

const fn discrete(
    key: &'static str,
    shown: &'static str,
    label: &'static str,
    a: usize,
) -> Binding {
    Binding {
        key,
        shown,
        label,
        action: KeyAction::Discrete(a),
    }
}

const fn continuous(
    key: &'static str,
    shown: &'static str,
    label: &'static str,
    a: f32,
) -> Binding {
    Binding {
        key,
        shown,
        label,
        action: KeyAction::Continuous(a),
    }
}

/// The fixed maps' five actions, in index order (`rlaif::env::grid`).
const GRID: [Binding; 5] = [
    discrete("ArrowLeft", "←", "turn left", 0),
    discrete("ArrowRight", "→", "turn right", 1),
    discrete("ArrowUp", "↑", "forward", 2),
    discrete("p", "P", "pick up", 3),
    discrete("t", "T", "toggle a door", 4),
];
/// MiniGrid's seven actions, in index order.
const MINIGRID: [Binding; 7] = [
    discrete("ArrowLeft", "←", "turn left", 0),
    discrete("ArrowRight", "→", "turn right", 1),
    discrete("ArrowUp", "↑", "forward", 2),
    discrete("p", "P", "pick up", 3),
    discrete("d", "D", "drop", 4),
    discrete("t", "T", "toggle a door", 5),
    discrete("Enter", "⏎", "done", 6),
];
const CART_POLE: [Binding; 2] = [
    discrete("ArrowLeft", "←", "push left", 0),
    discrete("ArrowRight", "→", "push right", 1),
];
const MOUNTAIN_CAR: [Binding; 3] = [
    discrete("ArrowLeft", "←", "push left", 0),
    discrete("ArrowDown", "↓", "no push", 1),
    discrete("ArrowRight", "→", "push right", 2),
];
const MOUNTAIN_CAR_CONTINUOUS: [Binding; 3] = [
    continuous("ArrowLeft", "←", "force -1", -1.0),
    continuous("ArrowDown", "↓", "no force", 0.0),
    continuous("ArrowRight", "→", "force +1", 1.0),
];
const ACROBOT: [Binding; 3] = [
    discrete("ArrowLeft", "←", "torque -1", 0),
    discrete("ArrowDown", "↓", "no torque", 1),
    discrete("ArrowRight", "→", "torque +1", 2),
];
const PENDULUM: [Binding; 3] = [
    continuous("ArrowLeft", "←", "torque -2", -2.0),
    continuous("ArrowDown", "↓", "no torque", 0.0),
    continuous("ArrowRight", "→", "torque +2", 2.0),
];
const CONNECT_FOUR: [Binding; 7] = [
    discrete("1", "1", "drop in column 1", 0),
    discrete("2", "2", "drop in column 2", 1),
    discrete("3", "3", "drop in column 3", 2),
    discrete("4", "4", "drop in column 4", 3),
    discrete("5", "5", "drop in column 5", 4),
    discrete("6", "6", "drop in column 6", 5),
    discrete("7", "7", "drop in column 7", 6),
];
const TIC_TAC_TOE: [Binding; 9] = [
    discrete("1", "1", "mark the top left", 0),
    discrete("2", "2", "mark the top middle", 1),
    discrete("3", "3", "mark the top right", 2),
    discrete("4", "4", "mark the middle left", 3),
    discrete("5", "5", "mark the centre", 4),
    discrete("6", "6", "mark the middle right", 5),
    discrete("7", "7", "mark the bottom left", 6),
    discrete("8", "8", "mark the bottom middle", 7),
    discrete("9", "9", "mark the bottom right", 8),
];

/// The keys that play `env_id` (empty for an env without controls).
pub fn bindings(env_id: &str) -> &'static [Binding] {
    match env_id {
        id if id.starts_with("Grid-") => &GRID,
        id if id.starts_with("MiniGrid-") => &MINIGRID,
        "CartPole-v1" => &CART_POLE,
        "MountainCar-v0" => &MOUNTAIN_CAR,
        "MountainCarContinuous-v0" => &MOUNTAIN_CAR_CONTINUOUS,
        "Acrobot-v1" => &ACROBOT,
        "Pendulum-v1" => &PENDULUM,
        "ConnectFour-v0" => &CONNECT_FOUR,
        "TicTacToe-v0" => &TIC_TAC_TOE,
        _ => &[],
    }
}

/// The binding of `key` in `env_id`, if any.
pub fn binding(env_id: &str, key: &str) -> Option<Binding> {
    bindings(env_id).iter().find(|b| b.key == key).copied()
}

/// What discrete action `a` of `env_id` does, in words.
pub fn action_label(env_id: &str, a: usize) -> Option<&'static str> {
    bindings(env_id)
        .iter()
        .find(|b| b.action == KeyAction::Discrete(a))
        .map(|b| b.label)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rlaif::env::{self, registry};

    #[test]
    fn every_env_is_playable_with_keys_covering_its_actions() {
        for id in registry::ids() {
            let keys = bindings(&id);
            assert!(!keys.is_empty(), "{id} has no keyboard controls");
            let env = env::make(&id).unwrap();
            match env.spec().action_space.n() {
                Some(n) => {
                    // One key per action, in index order, so labels name every action.
                    assert_eq!(keys.len(), n, "{id}");
                    for (a, b) in keys.iter().enumerate() {
                        assert_eq!(b.action, KeyAction::Discrete(a), "{id}");
                        assert_eq!(action_label(&id, a), Some(b.label), "{id}");
                    }
                }
                None => {
                    let rlaif::env::Space::Box { low, high, .. } = &env.spec().action_space else {
                        panic!("{id}: neither discrete nor a box");
                    };
                    assert_eq!(low.len(), 1, "{id}");
                    for b in keys {
                        let KeyAction::Continuous(a) = b.action else {
                            panic!("{id}: a discrete key for a continuous action");
                        };
                        assert!(
                            (low[0]..=high[0]).contains(&a),
                            "{id}: {a} is out of bounds"
                        );
                    }
                }
            }
            // No key twice, and none the page keeps for itself (space, s, r).
            for (i, b) in keys.iter().enumerate() {
                assert!(keys[..i].iter().all(|o| o.key != b.key), "{id}: {}", b.key);
                assert!(![" ", "s", "r"].contains(&b.key), "{id}: {}", b.key);
                assert_eq!(binding(&id, b.key), Some(*b));
            }
        }
        assert!(bindings("Nope-v0").is_empty());
        assert_eq!(binding("CartPole-v1", "ArrowUp"), None);
    }
}
