//! Connect Four on the standard 6x7 board, as two bitboards.
//!
//! Bit `col * 7 + row` (row 0 at the bottom) holds a cell. Each column spends 7 bits on 6
//! cells: the 7th is a sentinel row that is never set, so the shifts that test for four in a
//! row cannot run from the top of one column into the bottom of the next.

use super::game::{Game, Player, check_move};
use crate::env::EnvError;

pub const ROWS: usize = 6;
pub const COLS: usize = 7;
/// Bits per column: the 6 cells and the empty sentinel.
const STRIDE: usize = ROWS + 1;

/// Shifts between neighbouring cells: vertical, horizontal, and the two diagonals.
const DIRECTIONS: [usize; 4] = [1, STRIDE, STRIDE - 1, STRIDE + 1];

/// The centre column's cells; stones there take part in the most lines.
const CENTRE: u64 = 0b11_1111 << (3 * STRIDE);

/// Heuristic weight of a four-cell window holding n stones of one player and none of the
/// other's (an open window). Full windows never reach the heuristic: they end the game.
const WINDOW_WEIGHT: [i32; 5] = [0, 1, 4, 16, 0];
/// Heuristic weight of each stone in the centre column.
const CENTRE_WEIGHT: i32 = 3;

/// Every four-cell line on the board: 24 horizontal, 21 vertical, 12 + 12 diagonal.
const WINDOWS: [u64; 69] = windows();

const fn windows() -> [u64; 69] {
    let mut out = [0u64; 69];
    let mut n = 0;
    // (column step, row step) per direction; a window starts wherever its fourth cell is
    // still on the board.
    let dirs: [(i32, i32); 4] = [(1, 0), (0, 1), (1, 1), (1, -1)];
    let mut d = 0;
    while d < 4 {
        let (dc, dr) = dirs[d];
        let mut col = 0i32;
        while col < COLS as i32 {
            let mut row = 0i32;
            while row < ROWS as i32 {
                let end_col = col + 3 * dc;
                let end_row = row + 3 * dr;
                if end_col >= 0 && end_col < COLS as i32 && end_row >= 0 && end_row < ROWS as i32 {
                    let mut mask = 0u64;
                    let mut k = 0;
                    while k < 4 {
                        let c = (col + k * dc) as usize;
                        let r = (row + k * dr) as usize;
                        mask |= 1u64 << (c * STRIDE + r);
                        k += 1;
                    }
                    out[n] = mask;
                    n += 1;
                }
                row += 1;
            }
            col += 1;
        }
        d += 1;
    }
    assert!(n == 69);
    out
}

/// Whether a player's bitboard holds four in a row in any direction.
fn has_four(stones: u64) -> bool {
    DIRECTIONS.iter().any(|&d| {
        let pairs = stones & (stones >> d);
        pairs & (pairs >> (2 * d)) != 0
    })
}

/// A Connect Four position. `Copy`, 32 bytes: search copies it instead of undoing moves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ConnectFour {
    /// Stones by [`Player::index`].
    stones: [u64; 2],
    /// Stones in each column.
    heights: [u8; COLS],
    plies: u8,
    /// Cell (row-major from the top) of the last stone.
    last: Option<u8>,
    winner: Option<Player>,
}

impl ConnectFour {
    pub fn new() -> Self {
        Self::default()
    }

    /// A player's stones as a bitboard (bit `col * 7 + row`, row 0 at the bottom).
    pub fn stones(&self, player: Player) -> u64 {
        self.stones[player.index()]
    }

    /// Stones in a column (0..=6), or `None` for a column off the board.
    pub fn height(&self, col: usize) -> Option<usize> {
        self.heights.get(col).map(|&h| h as usize)
    }
}

impl Game for ConnectFour {
    const ROWS: usize = ROWS;
    const COLS: usize = COLS;
    const MOVES: usize = COLS;
    const MAX_PLIES: usize = ROWS * COLS;
    const MOVE_ORDER: &'static [usize] = &[3, 2, 4, 1, 5, 0, 6];
    /// Solving Connect Four needs a far stronger solver than a plain alpha-beta.
    const PERFECT_PLAY: bool = false;
    /// Depth 10 costs up to about 0.2 s a move natively; 4 to 6 is a quick, fair opponent.
    const MAX_SEARCH_DEPTH: u8 = 10;

    fn to_move(&self) -> Player {
        if self.plies.is_multiple_of(2) {
            Player::First
        } else {
            Player::Second
        }
    }

    fn plies(&self) -> usize {
        self.plies as usize
    }

    fn legal_mask(&self) -> u64 {
        if self.winner.is_some() {
            return 0;
        }
        self.heights
            .iter()
            .enumerate()
            .filter(|&(_, &h)| (h as usize) < ROWS)
            .fold(0, |mask, (col, _)| mask | 1 << col)
    }

    fn play(&mut self, mv: usize) -> Result<(), EnvError> {
        check_move(self, mv)?;
        let player = self.to_move();
        let row = self.heights[mv] as usize;
        let stones = &mut self.stones[player.index()];
        *stones |= 1 << (mv * STRIDE + row);
        let won = has_four(*stones);
        self.heights[mv] += 1;
        self.plies += 1;
        self.last = Some(((ROWS - 1 - row) * COLS + mv) as u8);
        if won {
            self.winner = Some(player);
        }
        Ok(())
    }

    fn winner(&self) -> Option<Player> {
        self.winner
    }

    fn from_cells(cells: &[u8]) -> Option<Self> {
        if cells.len() != ROWS * COLS {
            return None;
        }
        let mut game = Self::default();
        for col in 0..COLS {
            // From the bottom row up: stones first, then only empty cells.
            for row in 0..ROWS {
                let cell = cells[(ROWS - 1 - row) * COLS + col];
                match cell {
                    0 => {}
                    1 | 2 if game.heights[col] as usize == row => {
                        game.stones[usize::from(cell - 1)] |= 1 << (col * STRIDE + row);
                        game.heights[col] += 1;
                    }
                    _ => return None,
                }
            }
        }
        let [first, second] = game.stones.map(u64::count_ones);
        if first != second && first != second + 1 {
            return None;
        }
        game.plies = (first + second) as u8;
        game.winner = match (has_four(game.stones[0]), has_four(game.stones[1])) {
            (true, true) => return None,
            (true, false) => Some(Player::First),
            (false, true) => Some(Player::Second),
            (false, false) => None,
        };
        Some(game)
    }

    fn is_full(&self) -> bool {
        self.plies as usize == ROWS * COLS
    }

    fn cell(&self, row: usize, col: usize) -> Option<Player> {
        if row >= ROWS || col >= COLS {
            return None;
        }
        let bit = 1u64 << (col * STRIDE + (ROWS - 1 - row));
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

    /// Open windows of 2 and 3 (weighted), minus the opponent's, plus centre stones.
    fn evaluate(&self) -> i32 {
        let me = self.stones[self.to_move().index()];
        let them = self.stones[self.to_move().other().index()];
        let mut score = 0;
        for &w in &WINDOWS {
            let mine = (w & me).count_ones() as usize;
            let theirs = (w & them).count_ones() as usize;
            if theirs == 0 {
                score += WINDOW_WEIGHT[mine];
            } else if mine == 0 {
                score -= WINDOW_WEIGHT[theirs];
            }
        }
        let centre = (me & CENTRE).count_ones() as i32 - (them & CENTRE).count_ones() as i32;
        score + CENTRE_WEIGHT * centre
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::games::game::Outcome;
    use std::collections::HashSet;

    fn game(moves: &[usize]) -> ConnectFour {
        ConnectFour::from_moves(moves).expect("legal moves")
    }

    /// Four in a row by brute force over `cell`, independent of the bitboard shifts.
    fn naive_winner(g: &ConnectFour) -> Option<Player> {
        let dirs = [(0i32, 1i32), (1, 0), (1, 1), (1, -1)];
        for row in 0..ROWS as i32 {
            for col in 0..COLS as i32 {
                for &(dr, dc) in &dirs {
                    let cells: Vec<_> = (0..4)
                        .map(|k| (row + k * dr, col + k * dc))
                        .filter(|&(r, c)| r >= 0 && r < ROWS as i32 && c >= 0 && c < COLS as i32)
                        .map(|(r, c)| g.cell(r as usize, c as usize))
                        .collect();
                    if cells.len() == 4
                        && cells[0].is_some()
                        && cells.iter().all(|&x| x == cells[0])
                    {
                        return cells[0];
                    }
                }
            }
        }
        None
    }

    #[test]
    fn window_table_covers_every_line_once() {
        let set: HashSet<u64> = WINDOWS.iter().copied().collect();
        assert_eq!(set.len(), 69);
        assert!(WINDOWS.iter().all(|w| w.count_ones() == 4));
        // No window touches a sentinel bit.
        let sentinels: u64 = (0..COLS).map(|c| 1u64 << (c * STRIDE + ROWS)).sum();
        assert!(WINDOWS.iter().all(|w| w & sentinels == 0));
    }

    #[test]
    fn horizontal_win_on_the_bottom_row_at_the_right_edge() {
        // First plays 3,4,5,6 on the bottom row; second stacks on top of them.
        let g = game(&[3, 3, 4, 4, 5, 5, 6]);
        assert_eq!(g.winner(), Some(Player::First));
        assert_eq!(g.outcome(), Some(Outcome::Win(Player::First)));
        assert_eq!(g.legal_mask(), 0);
        assert_eq!(naive_winner(&g), Some(Player::First));
    }

    #[test]
    fn horizontal_win_on_the_top_row_at_the_left_edge() {
        // Rows 0..=4 of columns 0..=3 in a pattern with no line (columns 0,1 start with first's
        // stone, columns 2,3 with second's), built row by row.
        let mut g = ConnectFour::new();
        for row in 0..5 {
            let order = if row % 2 == 0 {
                [0, 2, 1, 3]
            } else {
                [2, 0, 3, 1]
            };
            for mv in order {
                g.play(mv).unwrap();
                assert_eq!(g.winner(), None, "premature win in row {row}");
            }
        }
        for mv in [0, 6, 1, 6, 2, 5] {
            g.play(mv).unwrap();
            assert_eq!(g.winner(), None);
        }
        g.play(3).unwrap();
        assert_eq!(g.winner(), Some(Player::First));
        assert_eq!(naive_winner(&g), Some(Player::First));
        assert!((0..4).all(|c| g.cell(0, c) == Some(Player::First)));
    }

    #[test]
    fn vertical_win_at_the_top_of_the_edge_column() {
        // Column 6: two second-player stones below, then four first-player stones to the top.
        let g = game(&[0, 6, 1, 6, 6, 0, 6, 1, 6, 0, 6]);
        assert_eq!(g.winner(), Some(Player::First));
        assert_eq!(g.height(6), Some(6));
        assert_eq!(naive_winner(&g), Some(Player::First));
    }

    #[test]
    fn rising_diagonal_win_from_the_bottom_left_corner() {
        // First: (c0,r0) (c1,r1) (c2,r2) (c3,r3).
        let g = game(&[0, 1, 1, 2, 2, 3, 2, 3, 3, 6, 3]);
        assert_eq!(g.winner(), Some(Player::First));
        assert_eq!(naive_winner(&g), Some(Player::First));
    }

    #[test]
    fn falling_diagonal_win_into_the_bottom_right_corner() {
        // First: (c3,r3) (c4,r2) (c5,r1) (c6,r0).
        let g = game(&[6, 5, 5, 4, 4, 3, 4, 3, 3, 0, 3]);
        assert_eq!(g.winner(), Some(Player::First));
        assert_eq!(naive_winner(&g), Some(Player::First));
    }

    #[test]
    fn no_false_vertical_win_across_the_column_wrap() {
        // First owns the top three cells of column 0 and the bottom cell of column 1: bits
        // 3,4,5 and 7. Without the sentinel (bit 6) this would read as four in a row.
        let g = game(&[1, 0, 3, 0, 5, 0, 0, 6, 0, 6, 0]);
        let first = g.stones(Player::First);
        assert_eq!(first & 0b1011_1000, 0b1011_1000, "bits 3,4,5,7 are first's");
        assert_eq!(g.winner(), None);
        assert_eq!(naive_winner(&g), None);
    }

    #[test]
    fn every_shift_pattern_off_the_board_lines_passes_a_sentinel() {
        // For each start bit and direction, four bits that avoid the sentinel row and the
        // bits past the last column must form a real line of the board.
        let board: u64 = (0..COLS).map(|c| 0b11_1111u64 << (c * STRIDE)).sum();
        for start in 0..COLS * STRIDE {
            for &d in &DIRECTIONS {
                let bits: u64 = (0..4)
                    .map(|k| start + k * d)
                    .filter(|&b| b < 64)
                    .map(|b| 1u64 << b)
                    .sum();
                if bits.count_ones() == 4 && bits & !board == 0 {
                    assert!(WINDOWS.contains(&bits), "start {start} step {d}: {bits:b}");
                    assert!(has_four(bits));
                } else {
                    assert!(!has_four(bits & board), "start {start} step {d}");
                }
            }
        }
    }

    #[test]
    fn full_column_and_out_of_range_are_errors_that_change_nothing() {
        let mut g = game(&[2, 2, 2, 2, 2, 2]);
        let before = g;
        assert_eq!(g.play(2), Err(EnvError::IllegalAction { action: 2 }));
        assert_eq!(g, before);
        assert_eq!(
            g.play(7),
            Err(EnvError::ActionOutOfRange { action: 7, n: 7 })
        );
        assert_eq!(g, before);
        assert_eq!(g.legal_mask(), 0b111_1011);
    }

    #[test]
    fn moves_after_a_win_are_illegal() {
        let mut g = game(&[0, 1, 0, 1, 0, 1, 0]);
        assert_eq!(g.winner(), Some(Player::First));
        let before = g;
        assert_eq!(g.play(3), Err(EnvError::IllegalAction { action: 3 }));
        assert_eq!(g, before);
    }

    #[test]
    fn a_full_board_without_a_line_is_a_draw() {
        // Columns filled in pairs with patterns that never line up four.
        let order = [
            0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 2, 3, 2, 3, 2, 3, 3, 2, 3, 2, 3, 2, 4, 5, 4, 5, 4,
            5, 5, 4, 5, 4, 5, 4, 6, 6, 6, 6, 6, 6,
        ];
        let mut g = ConnectFour::new();
        for (i, &mv) in order.iter().enumerate() {
            g.play(mv).unwrap();
            if i + 1 < order.len() {
                assert_eq!(g.outcome(), None, "ended early after ply {}", i + 1);
            }
        }
        assert_eq!(naive_winner(&g), None);
        assert!(g.is_full());
        assert_eq!(g.outcome(), Some(Outcome::Draw));
        assert_eq!(g.legal_mask(), 0);
    }

    #[test]
    fn cells_and_last_move_are_indexed_from_the_top_row() {
        let g = game(&[3, 3]);
        assert_eq!(g.cell(5, 3), Some(Player::First));
        assert_eq!(g.cell(4, 3), Some(Player::Second));
        assert_eq!(g.cell(0, 3), None);
        assert_eq!(g.last_cell(), Some(4 * COLS + 3));
        assert_eq!(g.cell(6, 0), None);
    }

    #[test]
    fn distinct_positions_after_each_ply_match_the_known_counts() {
        // Legal Connect Four positions after n plies (OEIS A212693); finished games stop, so
        // ply 8 also checks that no move follows a win.
        let known = [1usize, 7, 49, 238, 1120, 4263, 16422, 54859];
        let mut layer: HashSet<ConnectFour> = HashSet::from([ConnectFour::new()]);
        for (ply, &count) in known.iter().enumerate() {
            let keys: HashSet<(u64, u64)> =
                layer.iter().map(|g| (g.stones[0], g.stones[1])).collect();
            assert_eq!(keys.len(), count, "positions after {ply} plies");
            let mut next = HashSet::new();
            for g in &layer {
                for mv in g.legal_moves() {
                    let mut child = *g;
                    child.play(mv).unwrap();
                    // Drop the move history so transpositions merge.
                    child.last = None;
                    next.insert(child);
                }
            }
            layer = next;
        }
    }

    #[test]
    fn heuristic_prefers_the_centre_and_is_antisymmetric() {
        let centre = game(&[3]);
        let edge = game(&[0]);
        // After one move it is second's turn: the first player's centre stone is bad for them.
        assert!(centre.evaluate() < edge.evaluate());
        assert_eq!(ConnectFour::new().evaluate(), 0);
        // The centre stone opens 7 windows (4 horizontal, 1 vertical, 2 diagonal) plus the
        // centre bonus; the corner stone opens 3 (one in each direction but the falling one).
        assert_eq!(centre.evaluate(), -(7 * WINDOW_WEIGHT[1] + CENTRE_WEIGHT));
        assert_eq!(edge.evaluate(), -3 * WINDOW_WEIGHT[1]);
        // Two stacked stones in column 0 with second to move: one vertical window holds both;
        // one vertical, two horizontal and two rising windows hold one of them.
        let stacked = game(&[0, 6, 0]);
        let first = WINDOW_WEIGHT[2] + 5 * WINDOW_WEIGHT[1];
        let second = 3 * WINDOW_WEIGHT[1];
        assert_eq!(stacked.evaluate(), second - first);
    }
}
