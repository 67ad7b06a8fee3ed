//! A two-player game as a single-agent [`Env`]: the learner plays one side and the
//! [`Opponent`] answers inside the same `step`, so the learner only ever sees positions where
//! it is to move.

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::game::{Game, Outcome, Player};
use super::{Opponent, Side};
use crate::env::{
    Action, Env, EnvError, EnvSpec, Scene, Space, Step, check_obs_len, discrete_action,
};
use crate::env::{EnvOptions, MakeError};

/// The seed of the opponent's generator when the options give none.
pub const DEFAULT_SEED: u64 = 0;

impl Side {
    /// The player the learner controls.
    pub fn player(self) -> Player {
        match self {
            Side::First => Player::First,
            Side::Second => Player::Second,
        }
    }
}

/// Mean return at which a learner counts as having solved the game: only set where the best
/// achievable mean is known and clearly separates good from mediocre play.
///
/// - Against `Random`: 0.9, i.e. winning nearly every game (a depth-4 search wins over 95% of
///   Connect Four games as either side; perfect Tic-tac-toe averages about 0.98 moving
///   first). Moving second in Tic-tac-toe, perfect play only averages about 0.84, so that
///   pairing gets 0.75.
/// - Against `Perfect` (Tic-tac-toe): 0.0, i.e. never losing, as a win is impossible.
/// - Against an alpha-beta opponent: none, as what is achievable depends on its depth.
pub fn reward_threshold<G: Game>(opponent: Opponent, side: Side) -> Option<f64> {
    match (opponent, side) {
        (Opponent::Random, Side::Second) if G::PERFECT_PLAY => Some(0.75),
        (Opponent::Random, _) => Some(0.9),
        (Opponent::Perfect, _) => Some(0.0),
        (Opponent::AlphaBeta { .. }, _) => None,
    }
}

/// The learner's view of a game against a fixed opponent.
pub struct GameEnv<G: Game> {
    spec: EnvSpec,
    game: G,
    learner: Player,
    opponent: Opponent,
    rng: StdRng,
    /// Set by `reset`; `step` refuses to run before it.
    started: bool,
}

impl<G: Game> GameEnv<G> {
    /// A new env with the given registry id; fails when the opponent cannot play `G`.
    pub fn new(id: &str, options: &EnvOptions) -> Result<Self, MakeError> {
        let opponent = options.opponent.unwrap_or(Opponent::Random);
        opponent.check::<G>()?;
        let side = options.learner_side.unwrap_or_default();
        let cells = G::ROWS * G::COLS;
        let spec = EnvSpec {
            id: id.to_string(),
            observation_space: Space::Box {
                low: vec![-1.0; cells],
                high: vec![1.0; cells],
                shape: vec![G::ROWS, G::COLS],
            },
            action_space: Space::Discrete { n: G::MOVES },
            max_episode_steps: None,
            reward_threshold: reward_threshold::<G>(opponent, side),
            masked_actions: true,
        };
        Ok(Self {
            spec,
            game: G::default(),
            learner: side.player(),
            opponent,
            rng: StdRng::seed_from_u64(options.seed.unwrap_or(DEFAULT_SEED)),
            started: false,
        })
    }

    /// The current position, for teachers and tests.
    pub fn game(&self) -> &G {
        &self.game
    }

    /// The player the learner controls.
    pub fn learner(&self) -> Player {
        self.learner
    }

    pub fn opponent(&self) -> Opponent {
        self.opponent
    }

    /// The learner's reward for the game's result so far.
    fn reward(&self) -> f64 {
        match self.game.outcome() {
            Some(Outcome::Win(p)) if p == self.learner => 1.0,
            Some(Outcome::Win(_)) => -1.0,
            Some(Outcome::Draw) | None => 0.0,
        }
    }

    /// Lets the opponent move if it is its turn and the game goes on.
    fn opponent_moves(&mut self) {
        if self.game.to_move() != self.learner
            && let Some(mv) = self.opponent.choose(&self.game, &mut self.rng)
        {
            // The opponent only picks legal moves, so this cannot fail.
            let _ = self.game.play(mv);
        }
    }
}

impl<G: Game> GameEnv<G> {
    /// The board row-major from the top: 0 empty, else the player's number.
    fn board_cells(&self) -> Vec<u8> {
        (0..G::ROWS)
            .flat_map(|r| (0..G::COLS).map(move |c| (r, c)))
            .map(|(r, c)| self.game.cell(r, c).map_or(0, Player::number))
            .collect()
    }
}

impl<G: Game> Env for GameEnv<G> {
    fn spec(&self) -> &EnvSpec {
        &self.spec
    }

    fn reset(&mut self, seed: Option<u64>, obs: &mut [f32]) {
        if let Some(seed) = seed {
            self.rng = StdRng::seed_from_u64(seed);
        }
        self.game = G::default();
        self.started = true;
        self.opponent_moves();
        self.observe(obs);
    }

    /// Plays the learner's move and the opponent's reply. Before `reset`, and after the game
    /// has ended, returns `NotReset`; an illegal move leaves everything unchanged.
    fn step(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Step, EnvError> {
        if !self.started || self.game.is_over() {
            return Err(EnvError::NotReset);
        }
        let mv = discrete_action(action, G::MOVES)?;
        check_obs_len(obs, G::ROWS * G::COLS)?;
        self.game.play(mv)?;
        self.opponent_moves();
        self.observe(obs);
        Ok(Step {
            reward: self.reward(),
            terminated: self.game.is_over(),
            truncated: false,
        })
    }

    fn action_mask(&self, mask: &mut [bool]) {
        let legal = self.game.legal_mask();
        for (mv, m) in mask.iter_mut().enumerate() {
            *m = mv < G::MOVES && legal >> mv & 1 == 1;
        }
    }

    /// +1 for the learner's stones, -1 for the opponent's, 0 for empty, row-major from the
    /// top row.
    fn observe(&self, obs: &mut [f32]) {
        let cells = (0..G::ROWS).flat_map(|r| (0..G::COLS).map(move |c| (r, c)));
        for (o, (r, c)) in obs.iter_mut().zip(cells) {
            *o = match self.game.cell(r, c) {
                Some(p) if p == self.learner => 1.0,
                Some(_) => -1.0,
                None => 0.0,
            };
        }
    }

    fn board_view(&self) -> Option<super::BoardView> {
        Some(super::BoardView {
            rows: G::ROWS,
            cols: G::COLS,
            cells: self.board_cells(),
            learner: self.learner.number(),
        })
    }

    fn scene(&self) -> Scene {
        let cells = self.board_cells();
        Scene::Board {
            rows: G::ROWS,
            cols: G::COLS,
            cells,
            learner: self.learner.number(),
            last_move: self.game.last_cell(),
            outcome: self.game.outcome().map(|o| match o {
                Outcome::Win(p) => p.number(),
                Outcome::Draw => 0,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::games::connect_four::ConnectFour;
    use crate::env::games::search::alpha_beta;
    use crate::env::games::tic_tac_toe::TicTacToe;
    use crate::env::registry::make_with;
    use proptest::prelude::*;

    fn options(opponent: Opponent, side: Side, seed: u64) -> EnvOptions {
        EnvOptions {
            opponent: Some(opponent),
            learner_side: Some(side),
            seed: Some(seed),
        }
    }

    fn env<G: Game>(opponent: Opponent, side: Side, seed: u64) -> GameEnv<G> {
        GameEnv::new("test", &options(opponent, side, seed)).unwrap()
    }

    /// Plays one episode with a learner that searches `depth` plies; returns the return.
    fn episode<G: Game>(env: &mut GameEnv<G>, depth: u8, seed: u64) -> f64 {
        let mut obs = vec![0.0; G::ROWS * G::COLS];
        env.reset(Some(seed), &mut obs);
        let mut total = 0.0;
        for _ in 0..G::MAX_PLIES {
            let (mv, _) = alpha_beta(env.game(), depth);
            let step = env.step(Action::Discrete(mv.unwrap()), &mut obs).unwrap();
            total += step.reward;
            if step.terminated {
                return total;
            }
            assert_eq!(step.reward, 0.0);
        }
        panic!("episode did not end within {} plies", G::MAX_PLIES);
    }

    #[test]
    fn registry_makes_both_games_with_their_spaces() {
        for (id, cells, n) in [("ConnectFour-v0", 42, 7), ("TicTacToe-v0", 9, 9)] {
            let env = make_with(id, &EnvOptions::default()).unwrap();
            let spec = env.spec();
            assert_eq!(spec.id, id);
            assert_eq!(spec.observation_space.flat_dim(), cells);
            assert_eq!(spec.action_space, Space::Discrete { n });
            assert_eq!(spec.max_episode_steps, None);
            assert_eq!(spec.reward_threshold, Some(0.9));
        }
        let perfect = EnvOptions {
            opponent: Some(Opponent::Perfect),
            ..EnvOptions::default()
        };
        assert!(matches!(
            make_with("ConnectFour-v0", &perfect),
            Err(MakeError::BadOptions(_))
        ));
        let spec = make_with("TicTacToe-v0", &perfect).unwrap().spec().clone();
        assert_eq!(spec.reward_threshold, Some(0.0));
    }

    #[test]
    fn step_before_reset_and_after_the_end_is_refused() {
        let mut e = env::<TicTacToe>(Opponent::Perfect, Side::First, 0);
        let mut obs = [0.0; 9];
        assert_eq!(
            e.step(Action::Discrete(0), &mut obs),
            Err(EnvError::NotReset)
        );
        e.reset(Some(0), &mut obs);
        // Lowest-index play against perfect play: X0 O4 X1 O2 X3 O6 and O wins on 2-4-6.
        let mut last = None;
        for mv in [0, 1, 3] {
            last = Some(e.step(Action::Discrete(mv), &mut obs).unwrap());
        }
        let last = last.unwrap();
        assert_eq!(
            last,
            Step {
                reward: -1.0,
                terminated: true,
                truncated: false
            }
        );
        assert_eq!(e.game().outcome(), Some(Outcome::Win(Player::Second)));
        assert_eq!(obs, [1.0, 1.0, -1.0, 1.0, -1.0, 0.0, -1.0, 0.0, 0.0]);
        let mut mask = [true; 9];
        e.action_mask(&mut mask);
        assert_eq!(mask, [false; 9]);
        assert_eq!(
            e.step(Action::Discrete(5), &mut obs),
            Err(EnvError::NotReset)
        );
        match e.scene() {
            Scene::Board {
                outcome,
                last_move,
                learner,
                ..
            } => {
                assert_eq!(outcome, Some(2));
                assert_eq!(last_move, Some(6));
                assert_eq!(learner, 1);
            }
            other => panic!("unexpected scene {other:?}"),
        }
    }

    #[test]
    fn illegal_moves_are_errors_and_change_nothing() {
        let mut e = env::<ConnectFour>(Opponent::Random, Side::First, 3);
        let mut obs = [0.0; 42];
        e.reset(Some(3), &mut obs);
        // Fill column 0 (the opponent may also drop stones there).
        while e.game().height(0) != Some(6) {
            e.step(Action::Discrete(0), &mut obs).unwrap();
            if e.game().is_over() {
                e.reset(None, &mut obs);
            }
        }
        let before = *e.game();
        let obs_before = obs;
        assert_eq!(
            e.step(Action::Discrete(0), &mut obs),
            Err(EnvError::IllegalAction { action: 0 })
        );
        assert_eq!(
            e.step(Action::Discrete(7), &mut obs),
            Err(EnvError::ActionOutOfRange { action: 7, n: 7 })
        );
        assert!(e.step(Action::Continuous(&[0.0]), &mut obs).is_err());
        assert!(e.step(Action::Discrete(1), &mut [0.0; 41]).is_err());
        assert_eq!(*e.game(), before);
        assert_eq!(obs, obs_before);
        let mut mask = [true; 7];
        e.action_mask(&mut mask);
        assert!(!mask[0]);
    }

    #[test]
    fn learner_second_lets_the_opponent_open() {
        let mut e = env::<ConnectFour>(Opponent::Random, Side::Second, 11);
        let mut obs = [0.0; 42];
        e.reset(None, &mut obs);
        assert_eq!(e.game().plies(), 1);
        assert_eq!(e.game().to_move(), Player::Second);
        // The opponent's stone is on the bottom row, seen as -1.
        assert_eq!(obs.iter().filter(|&&v| v == -1.0).count(), 1);
        assert!(obs[35..].contains(&-1.0));
        assert!(!obs.contains(&1.0));
        match e.scene() {
            Scene::Board {
                cells,
                learner,
                last_move,
                rows,
                cols,
                ..
            } => {
                assert_eq!((rows, cols, learner), (6, 7, 2));
                let first = cells.iter().position(|&c| c == 1).unwrap();
                assert_eq!(last_move, Some(first));
                assert_eq!(obs[first], -1.0);
            }
            other => panic!("unexpected scene {other:?}"),
        }
        // After the learner moves, the opponent has replied: three stones, two of them its.
        e.step(Action::Discrete(3), &mut obs).unwrap();
        assert_eq!(e.game().plies(), 3);
        assert_eq!(obs.iter().filter(|&&v| v == -1.0).count(), 2);
        assert_eq!(obs[38], 1.0, "learner's stone at the bottom of column 3");
    }

    #[test]
    fn seeds_fix_the_opponent() {
        let openings = |seed: Option<u64>, option_seed: u64| {
            let mut e = env::<ConnectFour>(Opponent::Random, Side::Second, option_seed);
            let mut obs = [0.0; 42];
            (0..8)
                .map(|_| {
                    e.reset(seed, &mut obs);
                    e.game().last_cell().unwrap()
                })
                .collect::<Vec<_>>()
        };
        // The option seed fixes the stream until a seeded reset.
        assert_eq!(openings(None, 5), openings(None, 5));
        assert_ne!(openings(None, 5), openings(None, 6));
        // reset(Some(seed)) reseeds: every episode opens the same way, whatever the option.
        let fixed = openings(Some(9), 1);
        assert_eq!(fixed, openings(Some(9), 2));
        assert!(fixed.iter().all(|&c| c == fixed[0]));
    }

    #[test]
    fn rewards_follow_the_learner_side() {
        // A perfect learner against random never loses and wins most games, on both sides;
        // its mean return reaches the documented thresholds.
        for (side, threshold) in [(Side::First, 0.9), (Side::Second, 0.75)] {
            assert_eq!(
                reward_threshold::<TicTacToe>(Opponent::Random, side),
                Some(threshold)
            );
            let mut e = env::<TicTacToe>(Opponent::Random, side, 0);
            let returns: Vec<f64> = (0..100).map(|s| episode(&mut e, 9, s)).collect();
            assert!(returns.iter().all(|&r| r == 0.0 || r == 1.0), "{side:?}");
            let mean = returns.iter().sum::<f64>() / returns.len() as f64;
            assert!(mean >= threshold, "{side:?}: mean {mean}");
        }
        // Perfect play on both sides always draws: return 0.
        let mut e = env::<TicTacToe>(Opponent::Perfect, Side::Second, 0);
        let returns: Vec<f64> = (0..20).map(|s| episode(&mut e, 9, s)).collect();
        assert!(
            returns.iter().all(|&r| r == 0.0),
            "perfect vs perfect draws"
        );
    }

    #[test]
    fn connect_four_search_learner_reaches_the_threshold() {
        for side in [Side::First, Side::Second] {
            let mut e = env::<ConnectFour>(Opponent::Random, side, 0);
            let mean = (0..40).map(|s| episode(&mut e, 4, s)).sum::<f64>() / 40.0;
            assert!(mean >= 0.9, "{side:?}: mean {mean}");
        }
    }

    /// Random legal play through the env: masks agree with the game, and each episode ends
    /// within the board size with a reward that matches the outcome.
    fn random_episodes<G: Game>(choices: &[u8], side: Side, seed: u64) {
        let mut e = env::<G>(Opponent::Random, side, seed);
        let mut obs = vec![0.0; G::ROWS * G::COLS];
        let mut mask = vec![false; G::MOVES];
        let mut choices = choices.iter().cycle();
        e.reset(Some(seed), &mut obs);
        for _ in 0..3 {
            let mut learner_moves = 0;
            loop {
                e.action_mask(&mut mask);
                for (mv, &allowed) in mask.iter().enumerate() {
                    let mut copy = *e.game();
                    assert_eq!(allowed, copy.play(mv).is_ok(), "mask for move {mv}");
                }
                let legal: Vec<usize> = (0..G::MOVES).filter(|&m| mask[m]).collect();
                assert!(!legal.is_empty(), "a running game has a legal move");
                let mv = legal[*choices.next().unwrap() as usize % legal.len()];
                let step = e.step(Action::Discrete(mv), &mut obs).unwrap();
                learner_moves += 1;
                assert!(e.game().plies() <= G::MAX_PLIES);
                assert!(learner_moves <= G::MAX_PLIES.div_ceil(2));
                let expected = match e.game().outcome() {
                    Some(Outcome::Win(p)) if p == e.learner() => 1.0,
                    Some(Outcome::Win(_)) => -1.0,
                    _ => 0.0,
                };
                assert_eq!(step.reward, expected);
                assert_eq!(step.terminated, e.game().outcome().is_some());
                assert!(!step.truncated);
                if step.terminated {
                    // A winner moved last; a draw fills the board.
                    match e.game().outcome() {
                        Some(Outcome::Win(p)) => assert_eq!(p, e.game().to_move().other()),
                        _ => assert!(e.game().is_full()),
                    }
                    break;
                }
            }
            e.reset(None, &mut obs);
        }
    }

    proptest! {
        #[test]
        fn random_connect_four_play_is_consistent(
            choices in proptest::collection::vec(any::<u8>(), 1..64),
            seed in any::<u64>(),
            second in any::<bool>(),
        ) {
            let side = if second { Side::Second } else { Side::First };
            random_episodes::<ConnectFour>(&choices, side, seed);
        }

        #[test]
        fn random_tic_tac_toe_play_is_consistent(
            choices in proptest::collection::vec(any::<u8>(), 1..16),
            seed in any::<u64>(),
            second in any::<bool>(),
        ) {
            let side = if second { Side::Second } else { Side::First };
            random_episodes::<TicTacToe>(&choices, side, seed);
        }

        #[test]
        fn random_games_end_within_the_board(moves in proptest::collection::vec(0usize..7, 0..80)) {
            let mut g = ConnectFour::new();
            let mut played = 0;
            for mv in moves {
                let before = g;
                match g.play(mv) {
                    Ok(()) => played += 1,
                    Err(_) => prop_assert_eq!(g, before),
                }
                prop_assert!(played <= 42);
                prop_assert_eq!(g.plies(), played);
            }
            prop_assert_eq!(g.legal_mask() == 0, g.outcome().is_some());
        }
    }
}
