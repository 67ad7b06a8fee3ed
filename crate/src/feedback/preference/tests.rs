use super::*;

/// A synthetic rollout: 2-dim observations uniform in [-1, 1], two discrete actions,
/// episodes ending at random, and reward = teacher score = `obs[0]` (or `reward_of`).
struct Synthetic {
    n_envs: usize,
    n_steps: usize,
    obs: Vec<f32>,
    actions: Vec<f32>,
    env_rewards: Vec<f32>,
    teacher_scores: Vec<f32>,
    dones: Vec<bool>,
}

impl Synthetic {
    fn new(n_envs: usize, n_steps: usize, seed: u64) -> Self {
        let mut rng = AgentRng::new(seed);
        let rows = n_envs * n_steps;
        let obs: Vec<f32> = (0..rows * 2)
            .map(|_| (rng.uniform() * 2.0 - 1.0) as f32)
            .collect();
        let actions = (0..rows).map(|_| rng.below(2) as f32).collect();
        let dones = (0..rows).map(|_| rng.uniform() < 0.03).collect();
        let env_rewards: Vec<f32> = (0..rows).map(|r| obs[r * 2]).collect();
        Self {
            n_envs,
            n_steps,
            obs,
            actions,
            teacher_scores: env_rewards.clone(),
            env_rewards,
            dones,
        }
    }

    fn view(&self) -> RolloutView<'_> {
        RolloutView {
            n_envs: self.n_envs,
            n_steps: self.n_steps,
            obs_dim: 2,
            act_dim: 1,
            obs: &self.obs,
            actions: &self.actions,
            env_rewards: &self.env_rewards,
            teacher_scores: &self.teacher_scores,
            dones: &self.dones,
            next: None,
            episodes: None,
        }
    }
}

const ACTION: ActionSpec = ActionSpec::Discrete {
    n: 2,
    masked: false,
};

fn pref() -> PreferenceConfig {
    PreferenceConfig {
        label_budget: 200,
        segment_len: 5,
        labels_per_update: 25,
        hidden: 32,
        learning_rate: 1e-3,
        epochs: 8,
        ..PreferenceConfig::default()
    }
}

/// Runs `updates` rounds on fresh rollouts; returns the learner and every round's stats.
fn run(
    pref: &PreferenceConfig,
    labeler: &LabelerConfig,
    updates: usize,
    seed: u64,
) -> (PreferenceLearner, Vec<PreferenceStats>) {
    let mut learner = PreferenceLearner::new(pref, labeler, 2, ACTION, seed).unwrap();
    let stats = (0..updates)
        .map(|u| {
            let data = Synthetic::new(4, 64, 1000 + u as u64);
            learner
                .after_rollout(&data.view(), u as f64 / updates as f64)
                .unwrap()
        })
        .collect();
    (learner, stats)
}

/// Mean held-out accuracy of the rounds after the budget ran out (the model is fixed
/// then, so this averages its accuracy over several rollouts' held-out pairs).
fn final_accuracy(stats: &[PreferenceStats]) -> f64 {
    let done: Vec<f64> = stats
        .iter()
        .filter(|s| s.new_labels == 0)
        .filter_map(|s| s.reward_model_accuracy)
        .collect();
    assert!(done.len() >= 3, "{stats:?}");
    done.iter().sum::<f64>() / done.len() as f64
}

#[test]
fn segments_stay_inside_episode_pieces() {
    // Two envs, six steps; env 0 ends an episode at t = 2, env 1 runs through.
    let mut dones = vec![false; 12];
    dones[2 * 2] = true;
    let s = Segments::find(&dones, 2, 4);
    assert_eq!(s.len, 4);
    assert_eq!(s.starts, vec![(1, 0), (1, 1), (1, 2)]);
    let s = Segments::find(&dones, 2, 3);
    assert_eq!(
        s.starts,
        vec![(0, 0), (1, 0), (1, 1), (1, 2), (0, 3), (1, 3)]
    );
    // Longer than any piece: the longest piece's length, here one start only.
    let s = Segments::find(&dones, 2, 10);
    assert_eq!((s.len, s.starts.clone()), (6, vec![(1, 0)]));
    // Every step ends an episode: one-step segments.
    let s = Segments::find(&[true; 6], 2, 5);
    assert_eq!((s.len, s.starts.len()), (1, 6));
}

#[test]
fn a_perfect_labeler_teaches_the_reward_model_to_rank_held_out_pairs() {
    // 200 labels in 8 rounds of 25, then 4 rounds with the model fixed.
    let (mut learner, perfect) = run(&pref(), &LabelerConfig::default(), 12, 7);
    let last = perfect[11];
    assert_eq!(last.labels_used, 200);
    assert_eq!(last.labeler_accuracy, Some(1.0));
    let first = perfect[0].reward_model_accuracy.unwrap();
    let acc = final_accuracy(&perfect);
    assert!(acc >= 0.9, "perfect labels: held-out accuracy {acc}");
    assert!(acc > first, "no progress from {first} to {acc}");

    // Its normalised reward orders the rows of a new rollout like obs[0] does.
    let data = Synthetic::new(4, 64, 5);
    let mut r = vec![0.0; 256];
    learner.rewards(&data.view(), &mut r).unwrap();
    let (mut agree, mut total) = (0, 0);
    for i in 0..256 {
        for j in i + 1..256 {
            let truth = data.obs[i * 2] - data.obs[j * 2];
            if truth.abs() > 0.1 {
                total += 1;
                agree += usize::from((r[i] - r[j]) * truth > 0.0);
            }
        }
    }
    let rank = agree as f64 / total as f64;
    assert!(rank > 0.9, "row ranking {rank}");
    let mean = r.iter().map(|&x| x as f64).sum::<f64>() / 256.0;
    assert!(mean.abs() < 0.5, "normalised mean {mean}");

    // Coin-flip labels teach next to nothing.
    let coin = LabelerConfig {
        mistake: 0.5,
        ..LabelerConfig::default()
    };
    let (_, noisy) = run(&pref(), &coin, 12, 7);
    let noisy_acc = final_accuracy(&noisy);
    let labeler_acc = noisy[11].labeler_accuracy.unwrap();
    assert!(
        (labeler_acc - 0.5).abs() < 0.15,
        "coin labeler {labeler_acc}"
    );
    assert!(
        acc - noisy_acc > 0.2,
        "perfect {acc} vs coin-flip {noisy_acc}"
    );
}

#[test]
fn same_seed_same_labels_model_and_rewards() {
    let labeler = LabelerConfig {
        beta: Some(2.0),
        mistake: 0.1,
        ..LabelerConfig::default()
    };
    let small = PreferenceConfig {
        label_budget: 30,
        epochs: 2,
        ..pref()
    };
    let data = Synthetic::new(4, 64, 3);
    let rewards = |seed| {
        let (mut learner, stats) = run(&small, &labeler, 2, seed);
        let stats = stats[1];
        let mut r = vec![0.0; 256];
        learner.rewards(&data.view(), &mut r).unwrap();
        (stats, r)
    };
    let (s1, r1) = rewards(11);
    let (s2, r2) = rewards(11);
    assert_eq!(s1, s2);
    assert_eq!(r1, r2);
    let (_, r3) = rewards(12);
    assert_ne!(r1, r3);
}

#[test]
fn the_budget_and_schedule_bound_the_queries_and_skips_are_charged() {
    let data = Synthetic::new(2, 32, 1);
    let config = PreferenceConfig {
        label_budget: 10,
        labels_per_update: 4,
        epochs: 1,
        ..pref()
    };
    // Every query skipped (no segment reaches a return of 100): charged, never trained.
    let skipper = LabelerConfig {
        skip: Some(100.0),
        ..LabelerConfig::default()
    };
    let mut l = PreferenceLearner::new(&config, &skipper, 2, ACTION, 0).unwrap();
    let used: Vec<(usize, u64)> = (0..4)
        .map(|_| {
            let s = l.after_rollout(&data.view(), 0.0).unwrap();
            assert_eq!(s.reward_model_loss, None);
            assert_eq!(s.reward_model_accuracy, None);
            (s.new_labels, s.labels_used)
        })
        .collect();
    assert_eq!(used, vec![(4, 4), (4, 8), (2, 10), (0, 10)]);
    assert_eq!(l.labelled_pairs(), 0);
    let mut r = vec![1.0; 64];
    l.rewards(&data.view(), &mut r).unwrap();
    assert!(r.iter().all(|&x| x == 0.0), "no labels, no reward");

    let decaying = PreferenceConfig {
        labels_per_update: 20,
        query_schedule: QuerySchedule::Decaying,
        label_budget: 1000,
        ..config
    };
    let l = PreferenceLearner::new(&decaying, &skipper, 2, ACTION, 0).unwrap();
    assert_eq!(l.queries_due(0.0), 20);
    assert_eq!(l.queries_due(0.25), 15);
    assert_eq!(l.queries_due(1.0), 1);
}

#[test]
fn initial_labels_front_load_the_budget_and_min_steps_raise_the_epochs() {
    let data = Synthetic::new(2, 32, 1);
    let config = PreferenceConfig {
        label_budget: 30,
        labels_per_update: 4,
        initial_labels: Some(20),
        epochs: 2,
        min_gradient_steps: 10,
        ..pref()
    };
    let mut l = PreferenceLearner::new(&config, &LabelerConfig::default(), 2, ACTION, 0).unwrap();
    // No labels yet: one minibatch, so 10 steps take 10 passes.
    assert_eq!(l.training_epochs(), 10);
    let used: Vec<(usize, u64)> = (0..5)
        .map(|_| {
            let s = l.after_rollout(&data.view(), 0.0).unwrap();
            (s.new_labels, s.labels_used)
        })
        .collect();
    assert_eq!(used, vec![(20, 20), (4, 24), (4, 28), (2, 30), (0, 30)]);
    // 30 labels fit one minibatch of 64: still 10 passes; with 100 labels (2 minibatches)
    // 5 passes, and the configured epochs once they take more steps.
    assert_eq!(l.training_epochs(), 10);
    let many = l.pairs[0].clone();
    l.pairs.resize(100, many);
    assert_eq!(l.training_epochs(), 5);
    l.pairs.resize(700, l.pairs[0].clone());
    assert_eq!(l.training_epochs(), 2);
    // Without initial_labels the first round asks labels_per_update, as before.
    let plain = PreferenceConfig {
        initial_labels: None,
        ..config
    };
    let l = PreferenceLearner::new(&plain, &LabelerConfig::default(), 2, ACTION, 0).unwrap();
    assert_eq!(l.queries_due(0.0), 4);
}

#[test]
fn disagreement_is_the_std_of_the_members_return_differences() {
    // Two members, two pairs: differences (1, 3) and (2, 2).
    let members = vec![vec![1.0, 0.0, 2.0, 0.0], vec![3.0, 0.0, 1.0, -1.0]];
    assert_eq!(disagreement(&members), vec![1.0, 0.0]);
    assert!(disagreement(&[]).is_empty());
}

#[test]
fn disagreement_selection_asks_the_pairs_the_ensemble_is_unsure_of() {
    let config = PreferenceConfig {
        ensemble: 3,
        query_selection: QuerySelection::Disagreement,
        ..pref()
    };
    let mut l = PreferenceLearner::new(&config, &LabelerConfig::default(), 2, ACTION, 3).unwrap();
    let data = Synthetic::new(4, 64, 1);
    let view = data.view();
    let segments = Segments::find(view.dones, view.n_envs, config.segment_len);
    // Before any label: uniform, the same draws as uniform selection would make.
    let mut uniform_rng = l.query_rng.clone();
    let first = l.choose_pairs(&view, &segments, 5);
    let expected: Vec<_> = (0..5)
        .map(|_| segments.pick_pair(&mut uniform_rng))
        .collect();
    assert_eq!(first, expected);
    l.after_rollout(&view, 0.0).unwrap();
    // Trained: the chosen pairs are the most disputed of ten times as many candidates.
    let mut probe = l.query_rng.clone();
    let chosen = l.choose_pairs(&view, &segments, 5);
    assert_eq!(chosen.len(), 5);
    let candidates: Vec<_> = (0..5 * DISAGREEMENT_CANDIDATES)
        .map(|_| segments.pick_pair(&mut probe))
        .collect();
    let spread_of = |pairs: &[(Start, Start)]| {
        let mut features = Vec::new();
        let mut terminal = Vec::new();
        for &(a, b) in pairs {
            for start in [a, b] {
                let (f, t) = l.segment_features(&view, &segments, start);
                features.extend(f);
                terminal.push(t);
            }
        }
        disagreement(
            &l.model
                .member_segment_returns(&features, segments.len, &terminal),
        )
    };
    let all = spread_of(&candidates);
    let picked = spread_of(&chosen);
    let mut sorted = all.clone();
    sorted.sort_by(|x, y| y.total_cmp(x));
    assert!(
        picked.iter().all(|p| *p >= sorted[4] - 1e-12),
        "{picked:?} {sorted:?}"
    );
    assert!(picked.iter().sum::<f64>() > 5.0 * all.iter().sum::<f64>() / all.len() as f64);
    let stats = l.after_rollout(&view, 0.1).unwrap();
    assert_eq!(stats.new_labels, 25);
    assert_eq!(stats.labels_used, 50);
}

#[test]
fn a_labeler_that_always_errs_scores_zero_accuracy() {
    let wrong = LabelerConfig {
        mistake: 1.0,
        ..LabelerConfig::default()
    };
    let config = PreferenceConfig {
        epochs: 1,
        ..pref()
    };
    let (_, stats) = run(&config, &wrong, 1, 3);
    let stats = stats[0];
    assert_eq!(stats.new_labels, 25);
    assert_eq!(stats.labeler_accuracy, Some(0.0));
    assert!(stats.reward_model_loss.is_some_and(|l| l.is_finite()));
}

#[test]
fn malformed_rollouts_and_knobs_are_errors() {
    let config = pref();
    let labeler = LabelerConfig::default();
    let mut l = PreferenceLearner::new(&config, &labeler, 2, ACTION, 0).unwrap();
    let mut data = Synthetic::new(2, 16, 1);
    let mut short = data.view();
    short.dones = &data.dones[..5];
    assert!(matches!(
        l.after_rollout(&short, 0.0),
        Err(PreferenceError::BadInput(m)) if m.contains("dones")
    ));
    let mut wide = data.view();
    wide.act_dim = 2;
    assert!(l.after_rollout(&wide, 0.0).is_err());
    assert!(l.after_rollout(&data.view(), f64::NAN).is_err());
    assert!(l.rewards(&data.view(), &mut [0.0; 3]).is_err());
    data.teacher_scores[7] = f32::INFINITY;
    assert_eq!(
        l.after_rollout(&data.view(), 0.0),
        Err(PreferenceError::NonFiniteScore {
            row: 7,
            score: f32::INFINITY
        })
    );
    assert_eq!(l.labels_used(), 0);

    let bad = PreferenceConfig {
        ensemble: 0,
        ..config
    };
    assert!(PreferenceLearner::new(&bad, &labeler, 2, ACTION, 0).is_err());
    let noisy = LabelerConfig {
        mistake: 2.0,
        ..labeler
    };
    assert!(PreferenceLearner::new(&config, &noisy, 2, ACTION, 0).is_err());
    let nothing = ActionSpec::Discrete {
        n: 0,
        masked: false,
    };
    assert!(PreferenceLearner::new(&config, &labeler, 0, nothing, 0).is_err());
}

/// A rollout whose teacher scores progress along `obs[0]`: each env walks a random walk
/// `x` in [-1, 1], obs `[x, noise]`, score `x' - x` (a potential difference), no episode
/// ends; `last_obs` holds the state after the last step.
struct Walk {
    data: Synthetic,
    last_obs: Vec<f32>,
}

impl Walk {
    fn new(n_envs: usize, n_steps: usize, seed: u64) -> Self {
        let mut rng = AgentRng::new(seed);
        let mut data = Synthetic::new(n_envs, n_steps, seed);
        data.dones.fill(false);
        let mut x: Vec<f32> = (0..n_envs)
            .map(|_| (rng.uniform() * 2.0 - 1.0) as f32)
            .collect();
        for t in 0..=n_steps {
            for (env, x) in x.iter_mut().enumerate() {
                let before = *x;
                *x = (*x + (rng.uniform() as f32 - 0.5) * 0.4).clamp(-1.0, 1.0);
                if t < n_steps {
                    let row = t * n_envs + env;
                    data.obs[row * 2] = before;
                    data.obs[row * 2 + 1] = (rng.uniform() * 2.0 - 1.0) as f32;
                }
            }
        }
        // The state after row (t, env) is row (t + 1, env); after the last step, last_obs.
        let last_obs: Vec<f32> = (0..n_envs).flat_map(|env| [x[env], 0.0]).collect();
        let rows = n_envs * n_steps;
        for row in 0..rows {
            let after = if row + n_envs < rows {
                data.obs[(row + n_envs) * 2]
            } else {
                last_obs[(row % n_envs) * 2]
            };
            data.teacher_scores[row] = after - data.obs[row * 2];
            data.env_rewards[row] = data.teacher_scores[row];
        }
        Self { data, last_obs }
    }

    fn view<'a>(&'a self, terminated: &'a [bool]) -> RolloutView<'a> {
        let mut v = self.data.view();
        v.next = Some(NextStates {
            terminated,
            truncated_rows: &[],
            truncated_obs: &[],
            last_obs: &self.last_obs,
        });
        v
    }
}

fn potential_pref() -> PreferenceConfig {
    PreferenceConfig {
        reward_model: RewardModelKind::Potential,
        ..pref()
    }
}

#[test]
fn the_potential_model_learns_a_progress_labeler_from_few_labels() {
    let config = potential_pref();
    let mut learner =
        PreferenceLearner::new(&config, &LabelerConfig::default(), 2, ACTION, 7).unwrap();
    assert!(learner.is_potential());
    let no_end = vec![false; 4 * 64];
    let mut accuracy = Vec::new();
    for u in 0..12 {
        let walk = Walk::new(4, 64, 100 + u);
        let stats = learner
            .after_rollout(&walk.view(&no_end), u as f64 / 12.0)
            .unwrap();
        if stats.new_labels == 0 {
            accuracy.extend(stats.reward_model_accuracy);
        }
    }
    assert_eq!(learner.labels_used(), 200);
    assert!(accuracy.len() >= 3);
    let acc = accuracy.iter().sum::<f64>() / accuracy.len() as f64;
    assert!(acc >= 0.9, "held-out accuracy {acc}");
    // h rises with x: moving right is rewarded, moving left costs.
    let walk = Walk::new(4, 64, 1);
    let mut out = vec![0.0; 256];
    learner
        .potential_rewards(&walk.view(&no_end), 1.0, &mut out)
        .unwrap();
    let agree = out
        .iter()
        .zip(&walk.data.teacher_scores)
        .filter(|(_, s)| s.abs() > 0.05)
        .map(|(f, s)| usize::from(f * s > 0.0))
        .collect::<Vec<_>>();
    let share = agree.iter().sum::<usize>() as f64 / agree.len() as f64;
    assert!(share > 0.9, "sign agreement {share}");
}

#[test]
fn potential_rewards_cancel_over_a_cycle_and_end_episodes_correctly() {
    let mut learner =
        PreferenceLearner::new(&potential_pref(), &LabelerConfig::default(), 2, ACTION, 3).unwrap();
    let walk = Walk::new(4, 64, 9);
    learner
        .after_rollout(&walk.view(&[false; 256]), 0.0)
        .unwrap();
    assert!(learner.labelled_pairs() > 0);
    // Two envs, six steps. Env 0 goes round A -> B -> C -> A twice (the state after its
    // last step is A again). Env 1 terminates at t = 1 and is truncated at t = 4 with
    // final state X.
    let (a, b, c, x) = ([0.9, 0.1], [-0.3, 0.5], [0.2, -0.8], [-0.7, -0.2]);
    let mut data = Synthetic::new(2, 6, 1);
    let cycle = [a, b, c, a, b, c];
    let other = [b, c, a, b, c, a];
    for t in 0..6 {
        data.obs[(t * 2) * 2..(t * 2) * 2 + 2].copy_from_slice(&cycle[t]);
        data.obs[(t * 2 + 1) * 2..(t * 2 + 1) * 2 + 2].copy_from_slice(&other[t]);
    }
    data.dones.fill(false);
    data.dones[2 + 1] = true;
    data.dones[8 + 1] = true;
    let mut terminated = vec![false; 12];
    terminated[2 + 1] = true;
    let last_obs = [a, b].concat();
    let mut view = data.view();
    view.next = Some(NextStates {
        terminated: &terminated,
        truncated_rows: &[9],
        truncated_obs: &x,
        last_obs: &last_obs,
    });
    let [ha, hb, hc, hx] = [a, b, c, x].map(|s| f64::from(learner.model.predict(&s)[0]));
    let scale = f64::from(learner.potential_scale);
    let mut out = vec![0.0; 12];
    learner.potential_rewards(&view, 1.0, &mut out).unwrap();
    let env0: Vec<f64> = (0..6).map(|t| f64::from(out[t * 2])).collect();
    assert!(
        env0.iter().any(|f| f.abs() > 1e-3),
        "a flat potential: {env0:?}"
    );
    // With gamma = 1 a closed cycle earns nothing, so it cannot be farmed.
    let cycle_sum: f64 = env0.iter().sum();
    assert!(cycle_sum.abs() < 1e-5, "cycle sum {cycle_sum}");
    // A terminal state is worth 0; a truncated step reads its final state.
    let close = |got: f32, want: f64| (f64::from(got) - want).abs() < 1e-5;
    assert!(close(out[3], -hc / scale), "{} vs {}", out[3], -hc / scale);
    assert!(close(out[9], (hx - hc) / scale));
    assert!(
        close(out[11], (hb - ha) / scale),
        "last step reads last_obs"
    );
    // gamma discounts the state after the step.
    learner.potential_rewards(&view, 0.9, &mut out).unwrap();
    assert!(close(out[0], (0.9 * hb - ha) / scale));
    assert!(close(out[3], -hc / scale));

    // Malformed views are errors: no next states, a done row that is neither terminated
    // nor truncated, and the step model's entry point.
    let mut bare = view;
    bare.next = None;
    assert!(learner.potential_rewards(&bare, 1.0, &mut out).is_err());
    assert!(learner.after_rollout(&bare, 0.0).is_err());
    let mut lost = view;
    lost.next = Some(NextStates {
        truncated_rows: &[],
        truncated_obs: &[],
        ..view.next.unwrap()
    });
    assert!(matches!(
        learner.potential_rewards(&lost, 1.0, &mut out),
        Err(PreferenceError::BadInput(m)) if m.contains("row 9")
    ));
    assert!(learner.rewards(&view, &mut out).is_err());
}

#[test]
fn non_finite_observations_stop_training_with_an_error() {
    let mut data = Synthetic::new(2, 16, 1);
    data.obs.iter_mut().for_each(|x| *x = f32::NAN);
    let mut l = PreferenceLearner::new(&pref(), &LabelerConfig::default(), 2, ACTION, 0).unwrap();
    assert!(matches!(
        l.after_rollout(&data.view(), 0.0),
        Err(PreferenceError::NonFiniteLoss(_))
    ));
    // A model trained on good data still refuses to reward a NaN observation.
    let good = Synthetic::new(2, 16, 1);
    let mut l = PreferenceLearner::new(&pref(), &LabelerConfig::default(), 2, ACTION, 0).unwrap();
    l.after_rollout(&good.view(), 0.0).unwrap();
    let mut out = vec![0.0; 32];
    l.rewards(&data.view(), &mut out).unwrap_err();
    assert!(matches!(
        l.rewards(&data.view(), &mut out),
        Err(PreferenceError::NonFiniteReward { row: 0 })
    ));
    l.rewards(&good.view(), &mut out).unwrap();
    assert!(out.iter().all(|r| r.is_finite()), "statistics stay clean");
}

#[test]
fn a_frozen_model_asks_and_trains_no_more_and_its_reward_stops_moving() {
    let frozen = PreferenceConfig {
        freeze_after: Some(60),
        ..pref()
    };
    let (mut learner, stats) = run(&frozen, &LabelerConfig::default(), 6, 7);
    let asked: Vec<u64> = stats.iter().map(|s| s.labels_used).collect();
    // 25 a round until 60: the third round asks 10, then nothing.
    assert_eq!(asked, vec![25, 50, 60, 60, 60, 60]);
    let frozen_at: Vec<bool> = stats.iter().map(|s| s.frozen).collect();
    assert_eq!(frozen_at, vec![false, false, true, true, true, true]);
    assert!(stats[3..].iter().all(|s| s.reward_model_loss.is_none()));
    assert!(learner.is_frozen());
    // The reward is one fixed function: the same rollout gets the same rewards twice, and
    // the same as a learner restored from its state, after other rollouts went by.
    let data = Synthetic::new(4, 64, 99);
    let mut first = vec![0.0; data.view().rows()];
    learner.rewards(&data.view(), &mut first).unwrap();
    for u in 0..3 {
        learner
            .after_rollout(&Synthetic::new(4, 64, 500 + u).view(), 0.9)
            .unwrap();
        let mut other = vec![0.0; data.view().rows()];
        learner
            .rewards(&Synthetic::new(4, 64, 600 + u).view(), &mut other)
            .unwrap();
    }
    let mut again = vec![0.0; data.view().rows()];
    learner.rewards(&data.view(), &mut again).unwrap();
    assert_eq!(first, again);
    // Without freezing, the running statistics move and the same rollout's rewards change.
    let (mut moving, _) = run(&pref(), &LabelerConfig::default(), 3, 7);
    let mut before = vec![0.0; data.view().rows()];
    moving.rewards(&data.view(), &mut before).unwrap();
    moving
        .rewards(&Synthetic::new(4, 64, 777).view(), &mut again)
        .unwrap();
    let mut after = vec![0.0; data.view().rows()];
    moving.rewards(&data.view(), &mut after).unwrap();
    assert_ne!(before, after);
    // Zero is no freezing point.
    let zero = PreferenceConfig {
        freeze_after: Some(0),
        ..pref()
    };
    assert!(PreferenceLearner::new(&zero, &LabelerConfig::default(), 2, ACTION, 1).is_err());
}

#[test]
fn the_model_is_scored_on_each_ai_label_before_it_trains_on_it() {
    let (_, stats) = run(&pref(), &LabelerConfig::default(), 6, 3);
    // The first round's labels meet an untrained model: nothing to score yet.
    assert_eq!(stats[0].ai_vs_model, None);
    let late = stats[5].ai_vs_model.expect("scored after the first round");
    // A noiseless labeler of a learnable reward: the model predicts most new labels.
    assert!(late > 0.7, "{late}");
    // A labeler that always errs: the model, trained on its flipped labels, predicts them too.
    let contrary = LabelerConfig {
        mistake: 1.0,
        ..LabelerConfig::default()
    };
    let (_, flipped) = run(&pref(), &contrary, 6, 3);
    assert!(flipped[5].ai_vs_model.expect("scored") > 0.7);
}
