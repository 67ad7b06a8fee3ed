//! Depth-limited alpha-beta negamax over any [`Game`].
//!
//! Scores are from the point of view of the player to move. A won game scores
//! `WIN_SCORE - plies` (a quicker win is worth more, a slower loss hurts less), a draw 0, and a
//! position at the depth horizon its [`Game::evaluate`] heuristic. The search recurses on the
//! stack with copied boards, so it allocates nothing.

use super::game::{Game, Outcome};

/// Score of a win on the empty board; real wins score a little less (one per ply played).
pub const WIN_SCORE: i32 = 1_000_000;
/// Heuristic values stay strictly inside this bound, far below any win score.
pub const HEURISTIC_BOUND: i32 = 100_000;
/// Larger than any score, for the initial window.
const INFINITY: i32 = WIN_SCORE + 1_000;

/// Whether a score is a proven result (a win or loss found by the search), not a heuristic.
pub fn is_decisive(score: i32) -> bool {
    score.abs() > HEURISTIC_BOUND
}

/// Maps a search score to a value in [-1, 1] for the player to move: proven wins and losses
/// are exactly +1 and -1, heuristic scores are squashed with `tanh` so they never claim a
/// certain result. Meant as a teacher's value estimate.
pub fn score_to_value(score: i32) -> f64 {
    if is_decisive(score) {
        f64::from(score.signum())
    } else {
        (f64::from(score) / 64.0).tanh()
    }
}

/// Score of a finished game for the player to move.
fn terminal_score<G: Game>(game: &G) -> Option<i32> {
    game.outcome().map(|outcome| match outcome {
        Outcome::Draw => 0,
        Outcome::Win(p) => {
            let score = WIN_SCORE - game.plies() as i32;
            if p == game.to_move() { score } else { -score }
        }
    })
}

/// Fail-soft negamax: the exact value when it lies inside (alpha, beta), otherwise a bound on
/// the correct side of the window.
fn negamax<G: Game>(game: &G, depth: u8, mut alpha: i32, beta: i32) -> i32 {
    if let Some(score) = terminal_score(game) {
        return score;
    }
    if depth == 0 {
        return game.evaluate();
    }
    let legal = game.legal_mask();
    let mut best = -INFINITY;
    for &mv in G::MOVE_ORDER {
        if legal >> mv & 1 == 0 {
            continue;
        }
        let mut child = *game;
        if child.play(mv).is_err() {
            continue;
        }
        let score = -negamax(&child, depth - 1, -beta, -alpha);
        if score > best {
            best = score;
            if score > alpha {
                alpha = score;
                if alpha >= beta {
                    break;
                }
            }
        }
    }
    best
}

/// Searches every root move; with `keep_ties` the window stays one below the best so that
/// equally good moves get exact scores and join the returned set.
fn search_root<G: Game>(game: &G, depth: u8, keep_ties: bool) -> (u64, i32) {
    if let Some(score) = terminal_score(game) {
        return (0, score);
    }
    let depth = depth.max(1);
    let legal = game.legal_mask();
    let mut best = -INFINITY;
    let mut best_set = 0u64;
    for &mv in G::MOVE_ORDER {
        if legal >> mv & 1 == 0 {
            continue;
        }
        let mut child = *game;
        if child.play(mv).is_err() {
            continue;
        }
        let alpha = if keep_ties { best - 1 } else { best };
        let score = -negamax(&child, depth - 1, -INFINITY, -alpha);
        if score > best {
            best = score;
            best_set = 1 << mv;
        } else if keep_ties && score == best {
            best_set |= 1 << mv;
        }
    }
    (best_set, best)
}

/// The best move to `depth` plies (at least 1) and its score for the player to move. Ties go
/// to the move earliest in [`Game::MOVE_ORDER`]. `None` once the game is over (the score is
/// then the final result).
pub fn alpha_beta<G: Game>(game: &G, depth: u8) -> (Option<usize>, i32) {
    let (set, score) = search_root(game, depth, false);
    let mv = (set != 0).then(|| set.trailing_zeros() as usize);
    (mv, score)
}

/// Every move that scores best at `depth` plies, as a move mask, with that score. For an
/// opponent that breaks ties at random instead of always playing the same game.
pub fn best_moves<G: Game>(game: &G, depth: u8) -> (u64, i32) {
    search_root(game, depth, true)
}

/// The position's value in [-1, 1] for the player to move, searched to `depth` plies: a
/// teacher's judgement of who stands better.
pub fn value<G: Game>(game: &G, depth: u8) -> f64 {
    score_to_value(search_root(game, depth, false).1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::games::connect_four::ConnectFour;
    use crate::env::games::game::Player;
    use crate::env::games::tic_tac_toe::TicTacToe;

    /// Plain minimax without pruning, to check that pruning changes no value.
    fn minimax<G: Game>(game: &G, depth: u8) -> i32 {
        if let Some(score) = terminal_score(game) {
            return score;
        }
        if depth == 0 {
            return game.evaluate();
        }
        game.legal_moves()
            .map(|mv| {
                let mut child = *game;
                child.play(mv).unwrap();
                -minimax(&child, depth - 1)
            })
            .max()
            .unwrap()
    }

    #[test]
    fn empty_tic_tac_toe_is_a_draw_with_perfect_play() {
        let (mv, score) = alpha_beta(&TicTacToe::new(), 9);
        assert_eq!(score, 0);
        assert!(mv.is_some());
        assert_eq!(minimax(&TicTacToe::new(), 9), 0);
        // Every first move draws with perfect play.
        let (set, score) = best_moves(&TicTacToe::new(), 9);
        assert_eq!((set, score), (0b1_1111_1111, 0));
    }

    #[test]
    fn tic_tac_toe_finds_the_win_and_the_block() {
        // X X . / O O . / . . . with X to move: cell 2 wins at once.
        let g = TicTacToe::from_moves(&[0, 3, 1, 4]).unwrap();
        assert_eq!(alpha_beta(&g, 9), (Some(2), WIN_SCORE - 5));
        // X X . / O . . / . . . with O to move: only 2 avoids losing.
        let g = TicTacToe::from_moves(&[0, 3, 1]).unwrap();
        let (set, score) = best_moves(&g, 9);
        assert_eq!(set, 1 << 2);
        assert!(score <= 0);
    }

    #[test]
    fn alpha_beta_agrees_with_plain_minimax() {
        let positions: [&[usize]; 4] = [&[], &[3, 3], &[3, 2, 4, 4, 1], &[0, 6, 1, 5, 2]];
        for moves in positions {
            let g = ConnectFour::from_moves(moves).unwrap();
            for depth in 1..=4 {
                let (mv, score) = alpha_beta(&g, depth);
                assert_eq!(score, minimax(&g, depth), "{moves:?} depth {depth}");
                let mut child = g;
                child.play(mv.unwrap()).unwrap();
                assert_eq!(
                    -minimax(&child, depth - 1),
                    score,
                    "{moves:?} depth {depth}"
                );
                let (set, tied) = best_moves(&g, depth);
                assert_eq!(tied, score);
                for m in g.legal_moves() {
                    let mut child = g;
                    child.play(m).unwrap();
                    let exact = -minimax(&child, depth - 1);
                    assert_eq!(set >> m & 1 == 1, exact == score, "{moves:?} d{depth} m{m}");
                }
            }
        }
        for moves in [&[][..], &[4], &[0, 4, 8]] {
            let g = TicTacToe::from_moves(moves).unwrap();
            for depth in 1..=9 {
                assert_eq!(alpha_beta(&g, depth).1, minimax(&g, depth), "{moves:?}");
            }
        }
    }

    #[test]
    fn connect_four_takes_an_immediate_win() {
        // First has three on the bottom row in columns 1..3; columns 0 and 4 both win.
        let g = ConnectFour::from_moves(&[1, 1, 2, 2, 3, 3]).unwrap();
        for depth in 1..=5 {
            let (mv, score) = alpha_beta(&g, depth);
            assert!(mv == Some(0) || mv == Some(4), "depth {depth}: {mv:?}");
            assert_eq!(score, WIN_SCORE - 7);
        }
        // A vertical three: only column 6 wins.
        let g = ConnectFour::from_moves(&[6, 0, 6, 1, 6, 3]).unwrap();
        for depth in 1..=5 {
            assert_eq!(alpha_beta(&g, depth), (Some(6), WIN_SCORE - 7));
        }
    }

    #[test]
    fn connect_four_blocks_an_immediate_loss() {
        // First threatens column 6 vertically; second to move must block there.
        let g = ConnectFour::from_moves(&[6, 0, 6, 1, 6]).unwrap();
        assert_eq!(g.to_move(), Player::Second);
        for depth in 2..=6 {
            assert_eq!(alpha_beta(&g, depth).0, Some(6), "depth {depth}");
        }
        // Horizontal threat on the bottom row at columns 2..4 with both ends open: second
        // cannot stop both, and the search sees the loss coming.
        let g = ConnectFour::from_moves(&[2, 2, 3, 3, 4]).unwrap();
        let (_, score) = alpha_beta(&g, 4);
        assert!(is_decisive(score) && score < 0, "score {score}");
    }

    #[test]
    fn values_are_exact_for_proven_results() {
        assert_eq!(score_to_value(WIN_SCORE - 9), 1.0);
        assert_eq!(score_to_value(-(WIN_SCORE - 9)), -1.0);
        assert_eq!(score_to_value(0), 0.0);
        let h = score_to_value(HEURISTIC_BOUND - 1);
        assert!(h > 0.9 && h <= 1.0);
        let won = TicTacToe::from_moves(&[0, 3, 1, 4]).unwrap();
        assert_eq!(value(&won, 1), 1.0);
        assert_eq!(value(&TicTacToe::new(), 9), 0.0);
    }
}
