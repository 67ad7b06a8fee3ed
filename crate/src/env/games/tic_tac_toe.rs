//! Tic-tac-toe on a 3x3 board; cell `row * 3 + col`, row 0 at the top.

use super::game::{Game, Player, check_move};
use crate::env::EnvError;

const FULL: u16 = 0b1_1111_1111;

/// The eight lines as cell masks: rows, columns, diagonals.
const LINES: [u16; 8] = [
    0b000_000_111,
    0b000_111_000,
    0b111_000_000,
    0b001_001_001,
    0b010_010_010,
    0b100_100_100,
    0b100_010_001,
    0b001_010_100,
];

/// Heuristic weight of a line holding n stones of one player and none of the other's.
const LINE_WEIGHT: [i32; 4] = [0, 1, 4, 0];

/// A Tic-tac-toe position; `Copy` so search copies instead of undoing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TicTacToe {
    /// Stones by [`Player::index`], bit `row * 3 + col`.
    stones: [u16; 2],
    last: Option<u8>,
    winner: Option<Player>,
}

impl TicTacToe {
    pub fn new() -> Self {
        Self::default()
    }

    /// A player's stones as a 9-bit mask (bit `row * 3 + col`).
    pub fn stones(&self, player: Player) -> u16 {
        self.stones[player.index()]
    }

    fn occupied(&self) -> u16 {
        self.stones[0] | self.stones[1]
    }
}

impl Game for TicTacToe {
    const ROWS: usize = 3;
    const COLS: usize = 3;
    const MOVES: usize = 9;
    const MAX_PLIES: usize = 9;
    const MOVE_ORDER: &'static [usize] = &[4, 0, 2, 6, 8, 1, 3, 5, 7];
    const PERFECT_PLAY: bool = true;
    const MAX_SEARCH_DEPTH: u8 = 9;

    fn to_move(&self) -> Player {
        if self.plies().is_multiple_of(2) {
            Player::First
        } else {
            Player::Second
        }
    }

    fn plies(&self) -> usize {
        self.occupied().count_ones() as usize
    }

    fn legal_mask(&self) -> u64 {
        if self.winner.is_some() {
            return 0;
        }
        u64::from(!self.occupied() & FULL)
    }

    fn play(&mut self, mv: usize) -> Result<(), EnvError> {
        check_move(self, mv)?;
        let player = self.to_move();
        let stones = &mut self.stones[player.index()];
        *stones |= 1 << mv;
        if LINES.iter().any(|&l| l & !*stones == 0) {
            self.winner = Some(player);
        }
        self.last = Some(mv as u8);
        Ok(())
    }

    fn winner(&self) -> Option<Player> {
        self.winner
    }

    fn from_cells(cells: &[u8]) -> Option<Self> {
        if cells.len() != 9 {
            return None;
        }
        let mut game = Self::default();
        for (i, &cell) in cells.iter().enumerate() {
            match cell {
                0 => {}
                1 | 2 => game.stones[usize::from(cell - 1)] |= 1 << i,
                _ => return None,
            }
        }
        let [first, second] = game.stones.map(u16::count_ones);
        if first != second && first != second + 1 {
            return None;
        }
        let won = |stones: u16| LINES.iter().any(|&l| l & !stones == 0);
        game.winner = match (won(game.stones[0]), won(game.stones[1])) {
            (true, true) => return None,
            (true, false) => Some(Player::First),
            (false, true) => Some(Player::Second),
            (false, false) => None,
        };
        Some(game)
    }

    fn is_full(&self) -> bool {
        self.occupied() == FULL
    }

    fn cell(&self, row: usize, col: usize) -> Option<Player> {
        if row >= 3 || col >= 3 {
            return None;
        }
        let bit = 1u16 << (row * 3 + col);
        if self.stones[0] & bit != 0 {
            Some(Player::First)
        } else if self.stones[1] & bit != 0 {
            Some(Player::Second)
        } else {
            None
        }
    }

    fn last_cell(&self) -> Option<usize> {
        self.last.map(usize::from)
    }

    /// Open lines with one or two stones (weighted), minus the opponent's.
    fn evaluate(&self) -> i32 {
        let me = self.stones[self.to_move().index()];
        let them = self.stones[self.to_move().other().index()];
        LINES
            .iter()
            .map(|&l| {
                let mine = (l & me).count_ones() as usize;
                let theirs = (l & them).count_ones() as usize;
                match (mine, theirs) {
                    (m, 0) => LINE_WEIGHT[m],
                    (0, t) => -LINE_WEIGHT[t],
                    _ => 0,
                }
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::games::game::Outcome;
    use std::collections::HashSet;

    fn game(moves: &[usize]) -> TicTacToe {
        TicTacToe::from_moves(moves).expect("legal moves")
    }

    #[test]
    fn every_line_wins_for_either_player() {
        for &line in &LINES {
            let cells: Vec<usize> = (0..9).filter(|c| line >> c & 1 == 1).collect();
            let others: Vec<usize> = (0..9).filter(|c| line >> c & 1 == 0).collect();
            // First takes the line; second plays elsewhere without completing anything.
            let mut g = TicTacToe::new();
            for (k, &cell) in cells.iter().enumerate() {
                g.play(cell).unwrap();
                if k < 2 {
                    let reply = others.iter().copied().find(|&c| g.is_legal(c)).unwrap();
                    g.play(reply).unwrap();
                }
            }
            assert_eq!(g.winner(), Some(Player::First), "line {line:09b}");
            assert_eq!(g.outcome(), Some(Outcome::Win(Player::First)));
            assert_eq!(g.legal_mask(), 0);
        }
        // Second wins the middle column.
        let g = game(&[0, 1, 2, 4, 3, 7]);
        assert_eq!(g.winner(), Some(Player::Second));
    }

    #[test]
    fn occupied_and_out_of_range_cells_are_errors_that_change_nothing() {
        let mut g = game(&[4]);
        let before = g;
        assert_eq!(g.play(4), Err(EnvError::IllegalAction { action: 4 }));
        assert_eq!(
            g.play(9),
            Err(EnvError::ActionOutOfRange { action: 9, n: 9 })
        );
        assert_eq!(g, before);
        assert_eq!(g.legal_mask(), 0b1_1110_1111);
    }

    #[test]
    fn a_full_board_without_a_line_is_a_draw() {
        // X O X / X O O / O X X
        let g = game(&[0, 1, 2, 4, 3, 5, 7, 6, 8]);
        assert_eq!(g.winner(), None);
        assert!(g.is_full());
        assert_eq!(g.outcome(), Some(Outcome::Draw));
    }

    #[test]
    fn a_win_on_the_last_cell_is_a_win_not_a_draw() {
        // X O X / O X O / O X X: the ninth stone completes the diagonal 0-4-8.
        let g = game(&[0, 1, 2, 3, 4, 5, 7, 6, 8]);
        assert!(g.is_full());
        assert_eq!(g.winner(), Some(Player::First));
        assert_eq!(g.outcome(), Some(Outcome::Win(Player::First)));
    }

    #[test]
    fn game_tree_counts_match_the_known_values() {
        // 255,168 possible games and 5,478 reachable positions (including the empty board).
        fn walk(g: &TicTacToe, seen: &mut HashSet<[u16; 2]>) -> u64 {
            seen.insert(g.stones);
            if g.is_over() {
                return 1;
            }
            g.legal_moves()
                .map(|mv| {
                    let mut child = *g;
                    child.play(mv).unwrap();
                    walk(&child, seen)
                })
                .sum()
        }
        let mut seen = HashSet::new();
        assert_eq!(walk(&TicTacToe::new(), &mut seen), 255_168);
        assert_eq!(seen.len(), 5_478);
    }
}
