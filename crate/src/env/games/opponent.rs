//! How an [`Opponent`] chooses its move.

use rand::{Rng, RngExt};

use super::Opponent;
use super::game::Game;
use super::search::best_moves;
use crate::env::MakeError;

impl Opponent {
    /// Checks that this opponent can play `G`: `Perfect` needs a game small enough to search
    /// to the end, and a search depth must lie in `1..=G::MAX_SEARCH_DEPTH`.
    pub fn check<G: Game>(self) -> Result<(), MakeError> {
        match self {
            Opponent::Random => Ok(()),
            Opponent::Perfect if G::PERFECT_PLAY => Ok(()),
            Opponent::Perfect => Err(MakeError::BadOptions(
                "perfect play is not available for this game; use an alpha-beta opponent".into(),
            )),
            Opponent::AlphaBeta { depth } if (1..=G::MAX_SEARCH_DEPTH).contains(&depth) => Ok(()),
            Opponent::AlphaBeta { depth } => Err(MakeError::BadOptions(format!(
                "alpha-beta depth {depth} is outside 1..={}",
                G::MAX_SEARCH_DEPTH
            ))),
        }
    }

    /// Chooses a move for the player to move, or `None` once the game is over. Search
    /// opponents pick uniformly among equally scored best moves, so they are strong but do
    /// not replay one game forever; all randomness comes from `rng`.
    pub fn choose<G: Game>(self, game: &G, rng: &mut impl Rng) -> Option<usize> {
        let candidates = match self {
            Opponent::Random => game.legal_mask(),
            Opponent::AlphaBeta { depth } => best_moves(game, depth).0,
            Opponent::Perfect => best_moves(game, G::MAX_PLIES as u8).0,
        };
        pick(candidates, rng)
    }
}

/// A uniformly chosen set bit of `mask`, or `None` when it is empty.
fn pick(mut mask: u64, rng: &mut impl Rng) -> Option<usize> {
    let count = mask.count_ones();
    if count == 0 {
        return None;
    }
    for _ in 0..rng.random_range(0..count) {
        mask &= mask - 1;
    }
    Some(mask.trailing_zeros() as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::games::connect_four::ConnectFour;
    use crate::env::games::game::{Outcome, Player};
    use crate::env::games::tic_tac_toe::TicTacToe;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    /// Plays one game between two opponents, `first` moving first.
    fn play_out<G: Game>(first: Opponent, second: Opponent, rng: &mut StdRng) -> Outcome {
        let mut game = G::default();
        while game.outcome().is_none() {
            let who = match game.to_move() {
                Player::First => first,
                Player::Second => second,
            };
            let mv = who
                .choose(&game, rng)
                .expect("a move while the game goes on");
            game.play(mv).expect("opponents choose legal moves");
        }
        game.outcome().unwrap()
    }

    #[test]
    fn perfect_opponents_are_checked_per_game() {
        assert!(Opponent::Perfect.check::<TicTacToe>().is_ok());
        assert!(matches!(
            Opponent::Perfect.check::<ConnectFour>(),
            Err(MakeError::BadOptions(_))
        ));
        assert!(
            Opponent::AlphaBeta { depth: 0 }
                .check::<ConnectFour>()
                .is_err()
        );
        assert!(
            Opponent::AlphaBeta { depth: 11 }
                .check::<ConnectFour>()
                .is_err()
        );
        assert!(
            Opponent::AlphaBeta { depth: 10 }
                .check::<ConnectFour>()
                .is_ok()
        );
        assert!(
            Opponent::AlphaBeta { depth: 10 }
                .check::<TicTacToe>()
                .is_err()
        );
    }

    #[test]
    fn pick_is_uniform_over_set_bits_and_none_on_empty() {
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(pick(0, &mut rng), None);
        let mut counts = [0u32; 64];
        for _ in 0..3000 {
            counts[pick(0b1010_0100, &mut rng).unwrap()] += 1;
        }
        assert_eq!(counts.iter().sum::<u32>(), 3000);
        for bit in [2, 5, 7] {
            assert!(
                (850..1150).contains(&counts[bit]),
                "bit {bit}: {}",
                counts[bit]
            );
        }
    }

    #[test]
    fn random_opponent_is_reproducible_by_seed() {
        let game = ConnectFour::new();
        let draw = |seed| {
            let mut rng = StdRng::seed_from_u64(seed);
            (0..20)
                .map(|_| Opponent::Random.choose(&game, &mut rng).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
    }

    #[test]
    fn perfect_tic_tac_toe_never_loses_to_random() {
        let mut rng = StdRng::seed_from_u64(2024);
        for _ in 0..100 {
            let o = play_out::<TicTacToe>(Opponent::Perfect, Opponent::Random, &mut rng);
            assert_ne!(o, Outcome::Win(Player::Second));
            let o = play_out::<TicTacToe>(Opponent::Random, Opponent::Perfect, &mut rng);
            assert_ne!(o, Outcome::Win(Player::First));
        }
    }

    #[test]
    fn perfect_against_perfect_always_draws() {
        let mut rng = StdRng::seed_from_u64(5);
        for _ in 0..30 {
            let o = play_out::<TicTacToe>(Opponent::Perfect, Opponent::Perfect, &mut rng);
            assert_eq!(o, Outcome::Draw);
        }
    }

    #[test]
    fn connect_four_depth_4_beats_random_in_at_least_95_percent() {
        let mut rng = StdRng::seed_from_u64(42);
        let search = Opponent::AlphaBeta { depth: 4 };
        let mut wins = 0;
        for g in 0..200 {
            // Alternate sides so both openings are covered.
            let (first, second, me) = if g % 2 == 0 {
                (search, Opponent::Random, Player::First)
            } else {
                (Opponent::Random, search, Player::Second)
            };
            if play_out::<ConnectFour>(first, second, &mut rng) == Outcome::Win(me) {
                wins += 1;
            }
        }
        assert!(wins >= 190, "won {wins} of 200");
    }
}
