//! Two-player strategy games seen from one learner against a chosen opponent.

use super::registry::Entry;

/// Who the learner plays against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opponent {
    /// Uniformly random legal moves.
    Random,
    /// Alpha-beta search to the given depth (plies).
    AlphaBeta { depth: u8 },
    /// Perfect play (full minimax; Tic-tac-toe only).
    Perfect,
}

/// Whether the learner moves first or second.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Side {
    #[default]
    First,
    Second,
}

/// This family's registry lines.
pub fn entries() -> Vec<Entry> {
    vec![]
}
