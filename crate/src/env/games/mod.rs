//! Two-player strategy games seen from one learner against a chosen opponent.
//!
//! [`Game`] is the board API (shared with search and, later, AI teachers); [`alpha_beta`]
//! searches any game; [`GameEnv`] turns a game plus an [`Opponent`] into a single-agent
//! [`crate::env::Env`].

pub mod connect_four;
pub mod game;
pub mod opponent;
pub mod search;
pub mod single_agent;
pub mod tic_tac_toe;

pub use connect_four::ConnectFour;
pub use game::{Game, Moves, Outcome, Player};
pub use search::{alpha_beta, best_moves, score_to_value, value};
pub use single_agent::GameEnv;
pub use tic_tac_toe::TicTacToe;

/// Who the learner plays against. Every opponent draws its randomness from the env's seeded
/// generator, so a seeded episode replays exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opponent {
    /// Uniformly random legal moves.
    Random,
    /// Alpha-beta search to the given depth (plies, at least 1), choosing at random among
    /// equally scored best moves.
    AlphaBeta { depth: u8 },
    /// Perfect play (full minimax; Tic-tac-toe only, Connect Four rejects it as `BadOptions`).
    Perfect,
}

/// Whether the learner moves first or second.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Side {
    #[default]
    First,
    Second,
}

/// A board position as teachers read it, whichever game: the typed counterpart of the
/// drawing's `Scene::Board`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoardView {
    pub rows: usize,
    pub cols: usize,
    /// Row-major from the top row: 0 empty, 1 first player, 2 second player.
    pub cells: Vec<u8>,
    /// Which player (1 or 2) the learner is.
    pub learner: u8,
}
