//! The two-player game API shared by the boards, the search, the opponents and (later) AI
//! teachers. Boards are small `Copy` values, so a search explores a position by copying it
//! onto the stack: no allocation and no undo bookkeeping.

use crate::env::EnvError;

/// One of the two players. `First` moves on the empty board.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Player {
    First,
    Second,
}

impl Player {
    /// The other player.
    pub fn other(self) -> Self {
        match self {
            Player::First => Player::Second,
            Player::Second => Player::First,
        }
    }

    /// 1 for the first player, 2 for the second (the numbering of [`crate::env::Scene::Board`]).
    pub fn number(self) -> u8 {
        match self {
            Player::First => 1,
            Player::Second => 2,
        }
    }

    /// 0 or 1, for indexing per-player arrays.
    pub fn index(self) -> usize {
        match self {
            Player::First => 0,
            Player::Second => 1,
        }
    }
}

/// How a finished game ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    Win(Player),
    Draw,
}

/// A deterministic, alternating two-player game with at most 64 moves per position, so that
/// sets of moves fit one `u64` mask (bit `m` set means move `m` is legal).
pub trait Game: Copy + Default + Send + Sync + std::fmt::Debug + 'static {
    /// Board rows, for observations and drawing.
    const ROWS: usize;
    /// Board columns, for observations and drawing.
    const COLS: usize;
    /// Number of distinct moves, `0..MOVES` (the action space).
    const MOVES: usize;
    /// The longest a game can last, in plies.
    const MAX_PLIES: usize;
    /// Every move, most promising first: alpha-beta prunes more when good moves come early.
    const MOVE_ORDER: &'static [usize];
    /// Whether a search to `MAX_PLIES` is cheap enough to offer as a perfect opponent.
    const PERFECT_PLAY: bool;
    /// The deepest alpha-beta search offered as an opponent; deeper would stall a step.
    const MAX_SEARCH_DEPTH: u8;

    /// Whose turn it is (after the game ends: the player who would be next).
    fn to_move(&self) -> Player;

    /// Plies played so far.
    fn plies(&self) -> usize;

    /// Legal moves as bits; 0 once the game is over.
    fn legal_mask(&self) -> u64;

    /// Plays `mv` for the player to move. An out-of-range move is `ActionOutOfRange`; an
    /// occupied cell, a full column or any move after the game ended is `IllegalAction`. On
    /// error the board is unchanged.
    fn play(&mut self, mv: usize) -> Result<(), EnvError>;

    /// The winner, if someone has completed a line.
    fn winner(&self) -> Option<Player>;

    /// Whether every cell is taken.
    fn is_full(&self) -> bool;

    /// Who occupies a cell, by row from the top and column from the left.
    fn cell(&self, row: usize, col: usize) -> Option<Player>;

    /// The cell (row-major from the top) of the last stone placed, if any.
    fn last_cell(&self) -> Option<usize>;

    /// A heuristic value of a non-terminal position for the player to move: positive is good
    /// for them. Bounded well inside [`crate::env::games::search::HEURISTIC_BOUND`].
    fn evaluate(&self) -> i32;

    /// The position drawn as `cells` (row-major from the top: 0 empty, 1 first player, 2
    /// second, as in [`crate::env::Scene::Board`]), so that a teacher can rebuild the board it
    /// sees. `None` when no game reaches it: wrong length or value, stone counts that do not
    /// alternate, floating stones, or two winners. The last move is not known.
    fn from_cells(cells: &[u8]) -> Option<Self>;

    /// Whether `mv` is legal now.
    fn is_legal(&self, mv: usize) -> bool {
        mv < Self::MOVES && self.legal_mask() >> mv & 1 == 1
    }

    /// Legal moves in increasing order.
    fn legal_moves(&self) -> Moves {
        Moves(self.legal_mask())
    }

    /// The result once the game is over; `None` while it goes on.
    fn outcome(&self) -> Option<Outcome> {
        match self.winner() {
            Some(p) => Some(Outcome::Win(p)),
            None if self.is_full() => Some(Outcome::Draw),
            None => None,
        }
    }

    /// Whether the game has ended.
    fn is_over(&self) -> bool {
        self.outcome().is_some()
    }

    /// The position after playing `moves` from the start, or the first illegal move's error.
    fn from_moves(moves: &[usize]) -> Result<Self, EnvError> {
        let mut game = Self::default();
        for &mv in moves {
            game.play(mv)?;
        }
        Ok(game)
    }
}

/// Iterator over the set bits of a move mask, lowest first.
#[derive(Clone, Copy, Debug)]
pub struct Moves(pub u64);

impl Iterator for Moves {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.0 == 0 {
            return None;
        }
        let mv = self.0.trailing_zeros() as usize;
        self.0 &= self.0 - 1;
        Some(mv)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.0.count_ones() as usize;
        (n, Some(n))
    }
}

impl ExactSizeIterator for Moves {}

/// Shared range/legality check for `Game::play`, so both boards report errors alike.
pub(crate) fn check_move<G: Game>(game: &G, mv: usize) -> Result<(), EnvError> {
    if mv >= G::MOVES {
        return Err(EnvError::ActionOutOfRange {
            action: mv,
            n: G::MOVES,
        });
    }
    if !game.is_legal(mv) {
        return Err(EnvError::IllegalAction { action: mv });
    }
    Ok(())
}
