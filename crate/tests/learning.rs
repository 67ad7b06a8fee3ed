//! Trainer behaviour: learning, determinism, checkpoints, and failures reported as errors.

use rlaif::backend::CpuBackend;
use rlaif::experiment::{CheckpointError, CsvWriter, ExperimentConfig, TrainError, Trainer};

fn cpu() -> burn::tensor::Device {
    CpuBackend::NdArray.device()
}

fn config(env: &str, steps: u64) -> ExperimentConfig {
    let mut c = ExperimentConfig::preset(env).unwrap();
    c.total_steps = steps;
    c
}

/// Runs `trainer` in slices of `slice` env steps up to `until`, appending CSV rows.
fn run_csv(trainer: &mut Trainer, until: u64, slice: u64, csv: &mut CsvWriter, out: &mut String) {
    while trainer.env_steps() < until && !trainer.is_finished() {
        trainer.step_slice(slice).unwrap();
        csv.write(&trainer.drain_metrics(), out);
    }
}

fn weights(trainer: &Trainer) -> Vec<u8> {
    use burn::module::Module;
    trainer
        .agent()
        .model
        .clone()
        .into_record()
        .into_bytes()
        .unwrap()
        .to_vec()
}

#[test]
fn cartpole_learns_well_above_random_in_a_few_thousand_steps() {
    let mut t = Trainer::new(config("CartPole-v1", 12_000), &cpu()).unwrap();
    t.run().unwrap();
    let mean = t.mean_return().unwrap();
    // A random policy averages about 22.
    assert!(mean > 60.0, "mean return {mean}");
}

#[test]
fn same_seed_same_csv_byte_for_byte_and_another_seed_differs() {
    let csv_of = |seed: u64| {
        let mut c = config("CartPole-v1", 3_000);
        c.seed = seed;
        let mut t = Trainer::new(c, &cpu()).unwrap();
        let mut csv = CsvWriter::new();
        let mut out = String::new();
        run_csv(&mut t, u64::MAX, 500, &mut csv, &mut out);
        out
    };
    let a = csv_of(5);
    assert!(a.lines().filter(|l| l.starts_with("update")).count() >= 5);
    assert_eq!(a, csv_of(5));
    assert_ne!(a, csv_of(6));
}

/// Stops mid-rollout and mid-episode, checkpoints, resumes in a fresh trainer, and expects
/// the same metrics and bit-identical weights as the uninterrupted run.
fn resume_matches(env: &str, n_steps: usize, total: u64, stop: u64) {
    resume_matches_config(config(env, total), n_steps, stop);
}

fn resume_matches_config(mut c: ExperimentConfig, n_steps: usize, stop: u64) {
    let env = c.env_id.clone();
    let env = env.as_str();
    c.ppo.n_steps = n_steps;
    c.n_envs = 4;
    let mut full = Trainer::new(c.clone(), &cpu()).unwrap();
    let (mut csv, mut expected) = (CsvWriter::new(), String::new());
    run_csv(&mut full, u64::MAX, 4, &mut csv, &mut expected);

    let mut first = Trainer::new(c, &cpu()).unwrap();
    let (mut csv, mut got) = (CsvWriter::new(), String::new());
    run_csv(&mut first, stop, 4, &mut csv, &mut got);
    assert!(
        !first.env_steps().is_multiple_of(4 * n_steps as u64),
        "stop mid-rollout"
    );
    let bytes = first.checkpoint().unwrap();
    drop(first);
    let mut resumed = Trainer::resume(&bytes, &cpu(), Some(env)).unwrap();
    run_csv(&mut resumed, u64::MAX, 4, &mut csv, &mut got);
    assert_eq!(expected, got, "{env}: metrics differ after resume");
    assert_eq!(weights(&full), weights(&resumed), "{env}: weights differ");
}

#[test]
fn resumed_run_equals_uninterrupted_run_continuous_with_normalisation() {
    // Pendulum: Gaussian policy, observation statistics, truncation bootstrapping.
    resume_matches("Pendulum-v1", 64, 2_048, 1_100);
}

#[test]
fn resumed_run_equals_uninterrupted_run_masked_game() {
    // Connect Four: masks, and the opponent's generator restored by replaying the episode.
    resume_matches("ConnectFour-v0", 16, 512, 200);
}

/// A LavaCrossing run (short random episodes: many end in lava) with `feedback` (JSON),
/// from the shortest-path teacher.
fn lava_with(feedback: &str, total: u64) -> ExperimentConfig {
    let mut c = config("Grid-LavaCrossing-v0", total);
    c.feedback = serde_json::from_str(feedback).unwrap();
    c
}

#[test]
fn resumed_run_equals_uninterrupted_run_with_shaping_and_advice() {
    // The teacher's potentials, AI returns and advice of the partial rollout.
    for mode in ["shaping", "advice"] {
        let fb = format!(r#"{{"mode": "{mode}", "lambda": 0.5}}"#);
        resume_matches_config(lava_with(&fb, 1_024), 64, 600);
    }
}

#[test]
fn resumed_preference_run_equals_uninterrupted_run() {
    // The labels, the reward model and its Adam state, the reward statistics, the smoothness
    // transitions and every generator: the resumed run asks the same queries and learns
    // the same model. Stopped after the first training round, mid-rollout.
    let potential = r#"{"mode": "preference", "lambda": 0.5, "preference": {"label_budget": 60,
        "segment_len": 8, "labels_per_update": 10, "reward_model": "potential",
        "reward_sign": "negative", "smoothness": 1.0, "ensemble": 2,
        "query_selection": "disagreement"}, "labeler": {"mistake": 0.2}}"#;
    resume_matches_config(lava_with(potential, 1_536), 64, 600);
    let step = r#"{"mode": "preference", "lambda": 0.5, "preference": {"label_budget": 60,
        "segment_len": 8, "labels_per_update": 10}}"#;
    resume_matches_config(lava_with(step, 1_536), 64, 600);
}

#[test]
fn a_learned_potential_reports_every_episode_with_its_ai_return() {
    // Its terms are known once the rollout is complete, so its episodes are reported then,
    // in the order they ended.
    let potential = r#"{"mode": "preference", "lambda": 0.5, "preference": {"label_budget": 40,
        "segment_len": 8, "labels_per_update": 10, "reward_model": "potential",
        "reward_sign": "negative"}}"#;
    let mut c = lava_with(potential, 2_048);
    c.ppo.n_steps = 64;
    c.n_envs = 4;
    let mut t = Trainer::new(c, &cpu()).unwrap();
    t.run().unwrap();
    let episodes: Vec<_> = t
        .drain_metrics()
        .into_iter()
        .filter_map(|m| match m {
            rlaif::experiment::Metric::Episode(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(episodes.len() as u64, t.episodes());
    assert!(episodes.len() >= 10, "only {} episodes", episodes.len());
    for (k, e) in episodes.iter().enumerate() {
        assert_eq!(e.episode, k as u64 + 1);
        let ai = e.ai_return.expect("an episode without its AI return");
        assert!(ai.is_finite());
    }
    // Once the model has labels, the terms are not all 0.
    assert!(episodes.iter().any(|e| e.ai_return != Some(0.0)));
    assert!(t.mean_ai_return().is_some_and(f64::is_finite));
}

#[test]
fn a_run_taught_by_demonstrations_resumes_exactly_with_the_same_file() {
    use rlaif::feedback::demos::{DemoAction, record};
    let mut k = 0;
    let demos = record("CartPole-v1", 2, 4, &mut |_| {
        k += 1;
        DemoAction::Discrete(k % 2)
    })
    .unwrap()
    .to_json();
    let mut c = config("CartPole-v1", 1_024);
    c.feedback =
        serde_json::from_str(r#"{"mode": "advice", "lambda": 0.5, "teacher": "demo:x"}"#).unwrap();
    c.ppo.n_steps = 64;
    c.n_envs = 4;
    let make = || Trainer::with_demonstrations(c.clone(), &cpu(), Some(demos.as_bytes())).unwrap();
    let mut full = make();
    let (mut csv, mut expected) = (CsvWriter::new(), String::new());
    run_csv(&mut full, u64::MAX, 4, &mut csv, &mut expected);

    let mut first = make();
    let (mut csv, mut got) = (CsvWriter::new(), String::new());
    run_csv(&mut first, 600, 4, &mut csv, &mut got);
    let bytes = first.checkpoint().unwrap();
    // The checkpoint does not hold the teacher: without the file, a clear error.
    let err = Trainer::resume(&bytes, &cpu(), None)
        .err()
        .expect("resumed without a teacher");
    assert!(err.to_string().contains("demonstrations"), "{err}");
    let mut resumed =
        Trainer::resume_with_demonstrations(&bytes, &cpu(), None, Some(demos.as_bytes())).unwrap();
    run_csv(&mut resumed, u64::MAX, 4, &mut csv, &mut got);
    assert_eq!(expected, got, "metrics differ after resume");
    assert_eq!(weights(&full), weights(&resumed));
}

#[test]
fn a_corrupt_preference_section_is_rejected_with_a_message() {
    let step = r#"{"mode": "preference", "lambda": 0.5, "preference": {"label_budget": 40,
        "segment_len": 8, "labels_per_update": 10}}"#;
    let mut c = lava_with(step, 2_048);
    c.ppo.n_steps = 64;
    c.n_envs = 4;
    let mut t = Trainer::new(c, &cpu()).unwrap();
    t.step_slice(600).unwrap();
    assert!(t.labels_used() > 0);
    let bytes = t.checkpoint().unwrap();
    assert!(Trainer::resume(&bytes, &cpu(), None).is_ok());
    // Cut the preference section out: the run cannot go on without its labels.
    let cut = without_section(&bytes, 10);
    match Trainer::resume(&cut, &cpu(), None) {
        Err(TrainError::Checkpoint(CheckpointError::Corrupt(what))) => {
            assert!(what.contains("preference"), "{what}")
        }
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("resumed a preference run without its labels"),
    }
}

/// `bytes` without its section `tag`, checksum recomputed (a well-formed file that lacks it).
fn without_section(bytes: &[u8], tag: u32) -> Vec<u8> {
    let body = &bytes[..bytes.len() - 8];
    let mut out = body[..12].to_vec();
    let mut at = 12;
    while at < body.len() {
        let t = u32::from_le_bytes(body[at..at + 4].try_into().unwrap());
        let n = u64::from_le_bytes(body[at + 4..at + 12].try_into().unwrap()) as usize;
        if t != tag {
            out.extend_from_slice(&body[at..at + 12 + n]);
        }
        at += 12 + n;
    }
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for &b in &out {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    out.extend_from_slice(&h.to_le_bytes());
    out
}

#[test]
fn corrupt_or_mismatched_checkpoints_are_rejected_with_a_message() {
    let mut t = Trainer::new(config("CartPole-v1", 1_000), &cpu()).unwrap();
    t.step_slice(300).unwrap();
    let bytes = t.checkpoint().unwrap();
    assert!(Trainer::resume(&bytes, &cpu(), Some("CartPole-v1")).is_ok());

    let err = |b: &[u8], env: &str| match Trainer::resume(b, &cpu(), Some(env)) {
        Err(TrainError::Checkpoint(e)) => e,
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("accepted a bad checkpoint"),
    };
    assert!(matches!(
        err(&bytes[..bytes.len() / 2], "CartPole-v1"),
        CheckpointError::Corrupt(_)
    ));
    let mut magic = bytes.clone();
    magic[0] = b'X';
    assert_eq!(err(&magic, "CartPole-v1"), CheckpointError::BadMagic);
    let mut flipped = bytes.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x40;
    assert!(matches!(
        err(&flipped, "CartPole-v1"),
        CheckpointError::Corrupt(_)
    ));
    let e = err(&bytes, "Acrobot-v1");
    assert!(e.to_string().contains("CartPole-v1"), "{e}");
    assert!(matches!(err(&[], "CartPole-v1"), CheckpointError::BadMagic));
}

#[test]
fn non_finite_losses_stop_training_with_an_error() {
    // Within the config's ranges: without Adam's epsilon a parameter whose gradient is 0
    // takes a step of 0 / 0.
    let mut c = config("CartPole-v1", 20_000);
    c.ppo.adam_eps = 0.0;
    let mut t = Trainer::new(c, &cpu()).unwrap();
    let e = t.run().unwrap_err();
    assert!(matches!(e, TrainError::NonFinite(_)), "{e}");
    assert!(e.to_string().contains("non-finite loss"), "{e}");
}

#[test]
fn the_last_episode_replays_through_a_fresh_env_to_the_same_return() {
    for env in [
        "CartPole-v1",
        "Pendulum-v1",
        "ConnectFour-v0",
        "Grid-DoorKey-8x8-v0",
        "MiniGrid-DoorKey-8x8-v0",
    ] {
        let mut t = Trainer::new(config(env, 100_000), &cpu()).unwrap();
        while t.last_episode().is_none() {
            t.step_slice(256).unwrap();
        }
        // A few more episodes, so the recording is not the first one's buffer.
        let first = t.last_episode().unwrap().number;
        while t.last_episode().unwrap().number < first + 3 {
            t.step_slice(256).unwrap();
        }
        let rec = t.last_episode().unwrap().clone();
        // The newest episode of any env: what the agent does now.
        assert_eq!(rec.number, t.episodes(), "{env}");
        let mut fresh = rlaif::env::make(env).unwrap();
        let mut frames = 0;
        let ret = rec.replay(fresh.as_mut(), |_| frames += 1).unwrap();
        assert_eq!(ret, rec.episode_return, "{env}");
        assert!(
            frames >= 1 && rec.actions.len().is_multiple_of(frames),
            "{env}"
        );

        // Cut short, it no longer matches the env.
        let mut cut = rec.clone();
        cut.actions
            .truncate(cut.actions.len() - cut.actions.len() / frames);
        if !cut.actions.is_empty() {
            let err = cut.replay(fresh.as_mut(), |_| {}).unwrap_err();
            assert!(err.to_string().contains("went on"), "{env}: {err}");
        }
    }
}

#[test]
fn a_snapshot_resumes_with_the_same_weights_and_state_and_trains_on() {
    let mut t = Trainer::new(config("CartPole-v1", 4_000), &cpu()).unwrap();
    t.step_slice(1_000).unwrap();
    let snapshot = rlaif::agent::ppo::block_on(t.snapshot_async()).unwrap();
    // Another CPU backend, as a GPU run would move to the CPU.
    let flex = CpuBackend::Flex.device();
    let mut resumed = Trainer::resume(&snapshot, &flex, Some("CartPole-v1")).unwrap();
    assert_eq!(weights(&resumed), weights(&t));
    assert_eq!(resumed.env_steps(), t.env_steps());
    assert_eq!(resumed.episodes(), t.episodes());
    assert_eq!(resumed.updates(), t.updates());
    // Without the optimizer state it is not the full checkpoint, but it trains on.
    let full = t.checkpoint().unwrap();
    assert!(snapshot.len() < full.len());
    resumed.run().unwrap();
    assert_eq!(resumed.env_steps(), 4_000);
}
