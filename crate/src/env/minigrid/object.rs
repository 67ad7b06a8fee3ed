//! MiniGrid's world objects, with the type, color and state indices its `encode` writes
//! (`core/constants.py`, `core/world_object.py`). Only the objects these layouts place exist
//! here: walls, goals, lava, keys and doors.

/// `OBJECT_TO_IDX`: the first value of an encoded cell.
pub mod kind {
    pub const UNSEEN: u8 = 0;
    pub const EMPTY: u8 = 1;
    pub const WALL: u8 = 2;
    pub const FLOOR: u8 = 3;
    pub const DOOR: u8 = 4;
    pub const KEY: u8 = 5;
    pub const BALL: u8 = 6;
    pub const BOX: u8 = 7;
    pub const GOAL: u8 = 8;
    pub const LAVA: u8 = 9;
    pub const AGENT: u8 = 10;
    /// Number of object indices (one-hot channels).
    pub const COUNT: usize = 11;
}

/// `COLOR_TO_IDX`; the discriminant is the encoded value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Color {
    Red = 0,
    Green = 1,
    Blue = 2,
    Purple = 3,
    Yellow = 4,
    Grey = 5,
}

impl Color {
    /// Number of colors (one-hot channels).
    pub const COUNT: usize = 6;

    /// `COLOR_NAMES`: sorted by name, the order in which MiniGrid draws a random color.
    pub const BY_NAME: [Color; 6] = [
        Color::Blue,
        Color::Green,
        Color::Grey,
        Color::Purple,
        Color::Red,
        Color::Yellow,
    ];

    pub fn index(self) -> u8 {
        self as u8
    }
}

/// `STATE_TO_IDX` for doors; the discriminant is the encoded value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DoorState {
    Open = 0,
    Closed = 1,
    Locked = 2,
}

impl DoorState {
    /// Number of states (one-hot channels).
    pub const COUNT: usize = 3;
}

/// One object in a grid cell (an empty cell is `None`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Object {
    /// Grey, as MiniGrid's default `Wall()`.
    Wall,
    /// Green.
    Goal,
    /// Red.
    Lava,
    Key(Color),
    Door {
        color: Color,
        state: DoorState,
    },
}

impl Object {
    /// `WorldObj.encode()`: `(type, color, state)`.
    pub fn encode(self) -> [u8; 3] {
        match self {
            Object::Wall => [kind::WALL, Color::Grey.index(), 0],
            Object::Goal => [kind::GOAL, Color::Green.index(), 0],
            Object::Lava => [kind::LAVA, Color::Red.index(), 0],
            Object::Key(color) => [kind::KEY, color.index(), 0],
            Object::Door { color, state } => [kind::DOOR, color.index(), state as u8],
        }
    }

    /// `can_overlap`: whether the agent may step onto it.
    pub fn can_overlap(self) -> bool {
        match self {
            Object::Goal | Object::Lava => true,
            Object::Door { state, .. } => state == DoorState::Open,
            Object::Wall | Object::Key(_) => false,
        }
    }

    /// `can_pickup`.
    pub fn can_pickup(self) -> bool {
        matches!(self, Object::Key(_))
    }

    /// `see_behind`: walls and doors that are not open hide what lies behind them.
    pub fn see_behind(self) -> bool {
        match self {
            Object::Wall => false,
            Object::Door { state, .. } => state == DoorState::Open,
            _ => true,
        }
    }

    /// `toggle` with `carrying` in hand: the object it becomes. A locked door opens only for
    /// a key of its color; other doors open or close; nothing else reacts.
    pub fn toggled(self, carrying: Option<Object>) -> Object {
        match self {
            Object::Door {
                color,
                state: DoorState::Locked,
            } => match carrying {
                Some(Object::Key(key)) if key == color => Object::Door {
                    color,
                    state: DoorState::Open,
                },
                _ => self,
            },
            Object::Door {
                color,
                state: DoorState::Open,
            } => Object::Door {
                color,
                state: DoorState::Closed,
            },
            Object::Door {
                color,
                state: DoorState::Closed,
            } => Object::Door {
                color,
                state: DoorState::Open,
            },
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_match_minigrid_constants() {
        assert_eq!(Object::Wall.encode(), [2, 5, 0]);
        assert_eq!(Object::Goal.encode(), [8, 1, 0]);
        assert_eq!(Object::Lava.encode(), [9, 0, 0]);
        assert_eq!(Object::Key(Color::Yellow).encode(), [5, 4, 0]);
        let door = |state| Object::Door {
            color: Color::Purple,
            state,
        };
        assert_eq!(door(DoorState::Open).encode(), [4, 3, 0]);
        assert_eq!(door(DoorState::Closed).encode(), [4, 3, 1]);
        assert_eq!(door(DoorState::Locked).encode(), [4, 3, 2]);
    }

    #[test]
    fn a_locked_door_needs_the_key_of_its_color() {
        let locked = Object::Door {
            color: Color::Yellow,
            state: DoorState::Locked,
        };
        assert_eq!(locked.toggled(None), locked);
        assert_eq!(locked.toggled(Some(Object::Key(Color::Blue))), locked);
        let open = locked.toggled(Some(Object::Key(Color::Yellow)));
        assert!(open.can_overlap() && open.see_behind());
        // Once unlocked it closes and opens like any door, key or not.
        let closed = open.toggled(None);
        assert_eq!(closed.encode(), [4, 4, 1]);
        assert_eq!(closed.toggled(None), open);
    }
}
