//! Search teachers for the board games: `minimax` (perfect Tic-tac-toe) and `alpha-beta`
//! (depth-limited, `alpha-beta:DEPTH`, default 4).
//!
//! The env is the learner's single-agent view: after the learner's move the opponent has
//! already replied, so the teacher judges positions with the learner to move. `Phi` is the
//! searched value for the learner in [-1, 1] (proven wins and losses exactly +-1, heuristic
//! positions squashed inside), the final result once the game is over. The policy is uniform
//! over the moves that search best.

use super::{Teacher, TeacherError, TeacherView};
use crate::env::games::search::{best_moves, score_to_value};
use crate::env::games::{ConnectFour, Game, TicTacToe};

/// The default depth of `alpha-beta`: quick, and wins nearly every game against random play.
pub const DEFAULT_DEPTH: u8 = 4;

pub fn judges_minimax(env_id: &str) -> bool {
    env_id == "TicTacToe-v0"
}

pub fn judges_alpha_beta(env_id: &str) -> bool {
    matches!(env_id, "ConnectFour-v0" | "TicTacToe-v0")
}

pub fn make_minimax(env_id: &str, option: Option<&str>) -> Result<Box<dyn Teacher>, TeacherError> {
    if let Some(o) = option {
        return Err(TeacherError::BadOption(format!(
            "minimax searches to the end and takes no option, got {o:?}"
        )));
    }
    match env_id {
        "TicTacToe-v0" => Ok(Box::new(Search::<TicTacToe>::new(
            "minimax".into(),
            TicTacToe::MAX_PLIES as u8,
        ))),
        _ => Err(TeacherError::BadOption(format!(
            "minimax cannot judge {env_id}"
        ))),
    }
}

pub fn make_alpha_beta(
    env_id: &str,
    option: Option<&str>,
) -> Result<Box<dyn Teacher>, TeacherError> {
    match env_id {
        "ConnectFour-v0" => alpha_beta::<ConnectFour>(option),
        "TicTacToe-v0" => alpha_beta::<TicTacToe>(option),
        _ => Err(TeacherError::BadOption(format!(
            "alpha-beta cannot judge {env_id}"
        ))),
    }
}

fn alpha_beta<G: Game + PartialEq>(option: Option<&str>) -> Result<Box<dyn Teacher>, TeacherError> {
    let max = G::MAX_SEARCH_DEPTH;
    let depth = match option {
        None => DEFAULT_DEPTH.min(max),
        Some(text) => match text.parse::<u8>() {
            Ok(d) if (1..=max).contains(&d) => d,
            _ => {
                return Err(TeacherError::BadOption(format!(
                    "alpha-beta depth must be a whole number of plies from 1 to {max}, got {text:?}"
                )));
            }
        },
    };
    Ok(Box::new(Search::<G>::new(
        format!("alpha-beta:{depth}"),
        depth,
    )))
}

/// What one search of a position found, for the learner.
#[derive(Clone, Copy)]
struct Judged {
    /// Moves that search best (0 once the game is over).
    best: u64,
    value: f64,
}

/// A search teacher for game `G`. The trainer asks for the value and the policy of the same
/// position in turn, so the last search is kept.
pub struct Search<G: Game> {
    name: String,
    depth: u8,
    last: Option<(G, u8, Judged)>,
}

impl<G: Game + PartialEq> Search<G> {
    fn new(name: String, depth: u8) -> Self {
        Self {
            name,
            depth,
            last: None,
        }
    }

    /// Searches the env's position; `None` when it is not a board of `G`.
    fn judge(&mut self, env: &dyn crate::env::Env) -> Option<Judged> {
        let crate::env::games::BoardView { cells, learner, .. } = env.board_view()?;
        let game = G::from_cells(&cells)?;
        if let Some((g, l, j)) = self.last
            && g == game
            && l == learner
        {
            return Some(j);
        }
        let judged = match game.winner() {
            Some(p) => Judged {
                best: 0,
                value: if p.number() == learner { 1.0 } else { -1.0 },
            },
            None if game.is_full() => Judged {
                best: 0,
                value: 0.0,
            },
            None => {
                let (best, score) = best_moves(&game, self.depth);
                let value = score_to_value(score);
                let mine = game.to_move().number() == learner;
                Judged {
                    best,
                    value: if mine { value } else { -value },
                }
            }
        };
        self.last = Some((game, learner, judged));
        Some(judged)
    }
}

impl<G: Game + PartialEq> Teacher for Search<G> {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn value(&mut self, view: TeacherView<'_>) -> f64 {
        self.judge(view.env).map_or(0.0, |j| j.value)
    }

    /// Uniform over the best legal moves; all zero once the game is over (nothing to play).
    fn policy(&mut self, view: TeacherView<'_>, out: &mut [f32]) {
        let best = self.judge(view.env).map_or(0, |j| j.best);
        let n = best.count_ones() as f32;
        for (mv, o) in out.iter_mut().enumerate() {
            *o = if mv < 64 && best >> mv & 1 == 1 {
                1.0 / n
            } else {
                0.0
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::games::{Opponent, Side};
    use crate::env::registry::{EnvOptions, make_with};
    use crate::env::{Action, Env};

    /// Plays one game with the teacher's greedy policy; returns the learner's return.
    fn play(env: &mut dyn Env, teacher: &mut dyn Teacher, seed: u64, moves: usize) -> f64 {
        let cells = env.spec().observation_space.flat_dim();
        let mut obs = vec![0.0; cells];
        env.reset(Some(seed), &mut obs);
        let mut out = vec![0.0; moves];
        let mut mask = vec![false; moves];
        loop {
            teacher.policy(
                TeacherView {
                    env: &*env,
                    obs: &obs,
                },
                &mut out,
            );
            env.action_mask(&mut mask);
            let total: f32 = out.iter().sum();
            assert!((total - 1.0).abs() < 1e-5, "policy sums to {total}");
            for (p, legal) in out.iter().zip(&mask) {
                assert!(*legal || *p == 0.0, "mass on an illegal move");
            }
            let a = (0..moves).find(|&m| out[m] > 0.0).unwrap();
            let step = env.step(Action::Discrete(a), &mut obs).unwrap();
            if step.terminated || step.truncated {
                let v = teacher.value(TeacherView {
                    env: &*env,
                    obs: &obs,
                });
                assert_eq!(v, step.reward, "the final value is the result");
                return step.reward;
            }
        }
    }

    fn options(opponent: Opponent, side: Side, seed: u64) -> EnvOptions {
        EnvOptions {
            opponent: Some(opponent),
            learner_side: Some(side),
            seed: Some(seed),
        }
    }

    #[test]
    fn alpha_beta_beats_random_play_at_connect_four() {
        let mut wins = 0;
        for game in 0..40u64 {
            let side = if game % 2 == 0 {
                Side::First
            } else {
                Side::Second
            };
            let mut env =
                make_with("ConnectFour-v0", &options(Opponent::Random, side, game)).unwrap();
            let mut teacher = make_alpha_beta("ConnectFour-v0", None).unwrap();
            if play(&mut *env, &mut *teacher, game, 7) == 1.0 {
                wins += 1;
            }
        }
        assert!(wins >= 38, "won {wins} of 40");
    }

    #[test]
    fn minimax_never_loses_at_tic_tac_toe() {
        for seed in 0..20u64 {
            for side in [Side::First, Side::Second] {
                for opponent in [Opponent::Random, Opponent::Perfect] {
                    let mut env =
                        make_with("TicTacToe-v0", &options(opponent, side, seed)).unwrap();
                    let mut teacher = make_minimax("TicTacToe-v0", None).unwrap();
                    let r = play(&mut *env, &mut *teacher, seed, 9);
                    assert!(
                        r >= 0.0,
                        "lost as {side:?} against {opponent:?}, seed {seed}"
                    );
                    if opponent == Opponent::Perfect {
                        assert_eq!(r, 0.0, "perfect play against perfect play draws");
                    }
                }
            }
        }
    }

    #[test]
    fn value_is_from_the_learners_side() {
        // Perfect play draws from the empty board and after any first move, whoever the learner
        // is; a board the learner has lost is -1 and one it has won +1.
        for side in [Side::First, Side::Second] {
            let mut env = make_with("TicTacToe-v0", &options(Opponent::Random, side, 0)).unwrap();
            let mut obs = vec![0.0; 9];
            env.reset(Some(0), &mut obs);
            let mut t = make_minimax("TicTacToe-v0", None).unwrap();
            assert_eq!(
                t.value(TeacherView {
                    env: &*env,
                    obs: &obs
                }),
                0.0
            );
        }
        let mut s = Search::<TicTacToe>::new("minimax".into(), 9);
        let won = TicTacToe::from_cells(&[1, 1, 1, 2, 2, 0, 0, 0, 0]).unwrap();
        assert_eq!(won.winner().map(|p| p.number()), Some(1));
        let (best, score) = best_moves(
            &TicTacToe::from_cells(&[1, 1, 0, 2, 2, 0, 0, 0, 0]).unwrap(),
            9,
        );
        assert_eq!(
            (best, score_to_value(score)),
            (1 << 2, 1.0),
            "the winning move"
        );
        assert!(s.last.take().is_none());
    }

    #[test]
    fn bad_depths_are_rejected() {
        for bad in ["0", "11", "-1", "deep", ""] {
            assert!(matches!(
                make_alpha_beta("ConnectFour-v0", Some(bad)),
                Err(TeacherError::BadOption(_))
            ));
        }
        let t = make_alpha_beta("ConnectFour-v0", Some("6")).unwrap();
        assert_eq!(t.name(), "alpha-beta:6");
        assert!(matches!(
            make_minimax("TicTacToe-v0", Some("3")),
            Err(TeacherError::BadOption(_))
        ));
    }

    #[test]
    fn boards_rebuild_from_cells_and_bad_cells_are_refused() {
        let mut g = ConnectFour::default();
        for mv in [3, 3, 2, 4, 2, 2] {
            g.play(mv).unwrap();
        }
        let cells: Vec<u8> = (0..6)
            .flat_map(|r| (0..7).map(move |c| (r, c)))
            .map(|(r, c)| g.cell(r, c).map_or(0, |p| p.number()))
            .collect();
        let rebuilt = ConnectFour::from_cells(&cells).unwrap();
        assert_eq!(
            rebuilt.stones(crate::env::games::Player::First),
            g.stones(crate::env::games::Player::First)
        );
        assert_eq!(rebuilt.legal_mask(), g.legal_mask());
        assert_eq!(rebuilt.to_move(), g.to_move());
        let mut floating = vec![0u8; 42];
        floating[0] = 1;
        assert!(ConnectFour::from_cells(&floating).is_none());
        assert!(TicTacToe::from_cells(&[2, 2, 0, 0, 0, 0, 0, 0, 0]).is_none());
        assert!(TicTacToe::from_cells(&[1; 8]).is_none());
    }
}
