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

use super::registry::{Entry, Family};

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

/// This family's registry lines.
pub fn entries() -> Vec<Entry> {
    vec![
        entry::<ConnectFour>("ConnectFour-v0"),
        entry::<TicTacToe>("TicTacToe-v0"),
    ]
}

/// A registry line for game `G` as a single-agent env.
fn entry<G: Game>(id: &'static str) -> Entry {
    Entry::new(id, Family::Game, move |options| {
        GameEnv::<G>::new(id, options)
    })
}
