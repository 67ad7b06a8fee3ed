//! Hostile checkpoints: well-formed files (their checksum recomputed, as anyone can) whose
//! contents are wrong. Each is refused with an error that names what is wrong, never a
//! panic, which in the browser would kill the training worker and the run.

use rlaif::backend::CpuBackend;
use rlaif::experiment::{ExperimentConfig, Trainer};

fn cpu() -> burn::tensor::Device {
    CpuBackend::NdArray.device()
}

mod common;

use common::{
    CONFIG, COUNTERS, Checkpoint, EPISODES, FEEDBACK, MODEL, NORM, OPTIM, PREFERENCE, ROLLOUT, seal,
};

fn put_u64(body: &mut [u8], at: usize, x: u64) {
    body[at..at + 8].copy_from_slice(&x.to_le_bytes());
}

fn get_u64(body: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(body[at..at + 8].try_into().unwrap())
}

fn put_f64(body: &mut [u8], at: usize, x: f64) {
    put_u64(body, at, x.to_bits());
}

/// CartPole without feedback, observations normalised, stopped mid-rollout and mid-episode.
fn cartpole() -> Vec<u8> {
    let mut c = ExperimentConfig::preset("CartPole-v1").unwrap();
    c.total_steps = 4_096;
    c.normalize_obs = true;
    let mut t = Trainer::new(c, &cpu()).unwrap();
    t.step_slice(700).unwrap();
    assert!(t.updates() >= 1 && t.episodes() >= 1);
    t.checkpoint().unwrap()
}

/// An Empty-8x8 preference run labelled by the AI, stopped after its first training round.
fn grid_preference() -> Vec<u8> {
    let mut c = ExperimentConfig::preset("Grid-Empty-8x8-v0").unwrap();
    c.total_steps = 2_048;
    c.n_envs = 4;
    c.ppo.n_steps = 64;
    c.feedback = serde_json::from_str(
        r#"{"mode": "preference", "lambda": 0.5, "preference": {"label_budget": 40,
        "segment_len": 8, "labels_per_update": 6}}"#,
    )
    .unwrap();
    let mut t = Trainer::new(c, &cpu()).unwrap();
    t.step_slice(300).unwrap();
    assert!(t.updates() >= 1);
    t.checkpoint().unwrap()
}

/// The error resuming `bytes` gives; it must name every one of `expected`.
fn refused(bytes: &[u8], expected: &[&str]) -> String {
    let e = match Trainer::resume(bytes, &cpu(), None) {
        Ok(_) => panic!("a hostile checkpoint was resumed (expected {expected:?})"),
        Err(e) => e.to_string(),
    };
    for part in expected {
        assert!(e.contains(part), "{e:?} does not name {part:?}");
    }
    e
}

#[test]
fn a_decoded_and_re_encoded_checkpoint_still_resumes() {
    for bytes in [cartpole(), grid_preference()] {
        let again = Checkpoint::decode(&bytes).encode();
        assert_eq!(again, bytes);
        let mut t = Trainer::resume(&again, &cpu(), None).unwrap();
        t.step_slice(64).unwrap();
    }
}

#[test]
fn config_values_out_of_range_are_refused_by_the_configs_validation() {
    let bytes = cartpole();
    for (field, value, expected) in [
        (
            "clip_coef",
            "-0.2",
            "ppo.clip_coef must lie in [0, 1], got -0.2",
        ),
        (
            "clip_coef",
            "3.0",
            "ppo.clip_coef must lie in [0, 1], got 3",
        ),
        (
            "learning_rate",
            "-0.001",
            "ppo.learning_rate must lie in (0, 1], got -0.001",
        ),
        (
            "learning_rate",
            "0.0",
            "ppo.learning_rate must lie in (0, 1], got 0",
        ),
        (
            "gae_lambda",
            "1.5",
            "ppo.gae_lambda must lie in [0, 1], got 1.5",
        ),
        ("gamma", "-1.0", "ppo.gamma must lie in [0, 1], got -1"),
        ("hidden", "1099511627776", "ppo.hidden must be 1 to 1024"),
        // JSON has no NaN: the line it is on names it.
        ("clip_coef", "NaN", "near `\"clip_coef\": NaN"),
        ("learning_rate", "NaN", "near `\"learning_rate\": NaN"),
        ("learning_rate", "-inf", "near `\"learning_rate\": -inf"),
    ] {
        let mut ck = Checkpoint::decode(&bytes);
        let mut config = ck.config();
        config["ppo"][field] = "PLACEHOLDER".into();
        let text = serde_json::to_string_pretty(&config)
            .unwrap()
            .replace("\"PLACEHOLDER\"", value);
        *ck.section(CONFIG) = text.into_bytes();
        let hostile = ck.encode();
        let e = refused(&hostile, &[expected]);
        assert!(e.starts_with("checkpoint is truncated or corrupt ("), "{e}");
        // The config alone is checked the same way.
        let e = Trainer::checkpoint_config(&hostile)
            .unwrap_err()
            .to_string();
        assert!(e.contains(expected), "{e}");
    }
    // The run's total steps and env count too.
    let mut ck = Checkpoint::decode(&bytes);
    let mut config = ck.config();
    config["total_steps"] = u64::MAX.into();
    ck.set_config(&config);
    refused(
        &ck.encode(),
        &["total_steps must be 1 to 1000000000000, got 18446744073709551615"],
    );
}

#[test]
fn the_feedback_lambda_is_refused_out_of_range_in_the_config_and_in_the_run_state() {
    let bytes = grid_preference();
    let mut ck = Checkpoint::decode(&bytes);
    let mut config = ck.config();
    config["feedback"]["lambda"] = 2.0.into();
    ck.set_config(&config);
    refused(&ck.encode(), &["lambda must be in [0, 1], got 2"]);
    // The running lambda, the feedback section's first value.
    for (lambda, shown) in [(-0.5, "-0.5"), (f64::NAN, "NaN"), (f64::INFINITY, "inf")] {
        let mut ck = Checkpoint::decode(&bytes);
        put_f64(ck.section(FEEDBACK), 0, lambda);
        refused(
            &ck.encode(),
            &[&format!("feedback: lambda {shown} is outside [0, 1]")],
        );
    }
}

#[test]
fn a_weights_section_of_another_shape_or_garbage_is_refused() {
    let bytes = cartpole();
    // A valid config whose net is narrower than the weights.
    let mut ck = Checkpoint::decode(&bytes);
    let mut config = ck.config();
    config["ppo"]["hidden"] = 8.into();
    ck.set_config(&config);
    refused(&ck.encode(), &["checkpoint does not match: weights"]);
    for (tag, what) in [(MODEL, "weights"), (OPTIM, "optimizer")] {
        let mut ck = Checkpoint::decode(&bytes);
        let body = ck.section(tag);
        body.truncate(body.len() / 2);
        refused(&ck.encode(), &[what]);
    }
}

#[test]
fn an_optimizer_state_tensor_without_its_parameter_is_refused() {
    // burn's loader expects every state tensor to name its parameter, and panics otherwise.
    let bytes = cartpole();
    let mut ck = Checkpoint::decode(&bytes);
    let body = ck.section(OPTIM);
    let pack = burn_pack::Reader::from_bytes(burn_pack::Bytes::from_bytes_vec(body.clone()))
        .unwrap()
        .into_tensors()
        .unwrap();
    assert!(!pack.is_empty() && pack.iter().all(|t| t.param_id.is_some()));
    let unnamed = pack
        .into_iter()
        .map(|t| {
            let (name, dtype, shape, _, data) = t.into_parts().unwrap();
            burn_pack::Tensor::new(name, dtype, shape, None, data)
        })
        .collect();
    *body = burn_pack::Writer::new(unnamed)
        .into_bytes()
        .unwrap()
        .to_vec();
    refused(&ck.encode(), &["optimizer", "names no parameter"]);
}

#[test]
fn counters_near_u64_max_are_refused() {
    let bytes = cartpole();
    // env_steps, episodes, updates, solved_at.
    for (at, expected) in [
        (
            0,
            "counters: env_steps 18446744073709551615 is more than the",
        ),
        (
            8,
            "counters: episodes 18446744073709551615 is more than env_steps",
        ),
        (
            16,
            "counters: updates 18446744073709551614 is more than env_steps",
        ),
        (
            24,
            "counters: solved_at 18446744073709551614 is more than env_steps",
        ),
    ] {
        let mut ck = Checkpoint::decode(&bytes);
        let value = if at == 0 || at == 8 {
            u64::MAX
        } else {
            u64::MAX - 1
        };
        put_u64(ck.section(COUNTERS), at, value);
        refused(&ck.encode(), &[expected]);
    }
    // An env's episode index, which counts on as its episodes end.
    let mut ck = Checkpoint::decode(&bytes);
    put_u64(ck.section(EPISODES), 0, u64::MAX);
    refused(
        &ck.encode(),
        &["episodes: env 0 is in episode 18446744073709551615"],
    );
}

#[test]
fn observation_statistics_that_do_not_fit_the_env_are_refused() {
    let bytes = cartpole();
    let mut ck = Checkpoint::decode(&bytes);
    let norm = ck.section(NORM);
    // [4 means][4 variances][count][clip], each list after its length.
    assert_eq!(norm.len(), 8 + 32 + 8 + 32 + 16);
    let (count_at, clip_at, var0_at) = (80, 88, 48);
    // Three means for CartPole's four observations.
    let mut short = norm[..8].to_vec();
    put_u64(&mut short, 0, 3);
    short.extend_from_slice(&norm[16..]);
    *norm = short;
    refused(
        &ck.encode(),
        &["normaliser: 3 means and 4 variances for observations of 4 values"],
    );
    // Clamping to a negative or NaN clip would panic.
    for (clip, shown) in [(-10.0, "-10"), (f64::NAN, "NaN")] {
        let mut ck = Checkpoint::decode(&bytes);
        put_f64(ck.section(NORM), clip_at, clip);
        refused(
            &ck.encode(),
            &[&format!(
                "normaliser: clip {shown} is not a positive number"
            )],
        );
    }
    let mut ck = Checkpoint::decode(&bytes);
    put_f64(ck.section(NORM), count_at, f64::INFINITY);
    refused(
        &ck.encode(),
        &["normaliser: count inf is not a positive number"],
    );
    let mut ck = Checkpoint::decode(&bytes);
    put_f64(ck.section(NORM), var0_at, -1.0);
    refused(
        &ck.encode(),
        &["normaliser: dimension 0 has mean", "and variance -1"],
    );
}

/// Where the first labelled pair's length is in the preference section: after the label
/// counts (3), the generators (5 x 4), the reward statistics (a mean and a variance, each
/// after its length, a count and a clip), the potential scale and the pair count.
const FIRST_PAIR_LEN: usize = 8 * (3 + 20 + 2 + 2 + 2 + 1 + 1);

#[test]
fn a_labelled_pair_that_overflows_or_does_not_fit_the_reward_model_is_refused() {
    let bytes = grid_preference();
    let mut ck = Checkpoint::decode(&bytes);
    let pref = ck.section(PREFERENCE);
    assert!(get_u64(pref, FIRST_PAIR_LEN - 8) > 0, "the run has labels");
    let rows = get_u64(pref, FIRST_PAIR_LEN);
    assert_eq!(rows, 8, "a step model's pair has the segment's steps");
    // The length times the input size overflows a usize.
    for len in [u64::MAX, u64::MAX / 2 + 1, 1 << 62] {
        let mut ck = Checkpoint::decode(&bytes);
        put_u64(ck.section(PREFERENCE), FIRST_PAIR_LEN, len);
        refused(
            &ck.encode(),
            &[&format!(
                "preference state: a labelled pair of {len} rows of"
            )],
        );
    }
    // A length that does not fit its floats.
    let mut ck = Checkpoint::decode(&bytes);
    put_u64(ck.section(PREFERENCE), FIRST_PAIR_LEN, 9);
    refused(
        &ck.encode(),
        &[
            "a labelled pair of 9 rows of",
            "(the run's pairs have 9 rows)",
        ],
    );
    // The pair's first list of floats claims more than the file holds.
    let mut ck = Checkpoint::decode(&bytes);
    put_u64(ck.section(PREFERENCE), FIRST_PAIR_LEN + 8, u64::MAX / 4);
    refused(
        &ck.encode(),
        &["preference state: a length of 4611686018427387903 values is more than the"],
    );
    // The reward statistics' clip, which normalisation clamps to.
    let mut ck = Checkpoint::decode(&bytes);
    put_f64(ck.section(PREFERENCE), FIRST_PAIR_LEN - 24, -1.0);
    refused(
        &ck.encode(),
        &["preference state: reward statistics", "clip -1"],
    );
}

#[test]
fn a_truncated_body_is_refused() {
    let bytes = cartpole();
    // A section shorter than its contents.
    let mut ck = Checkpoint::decode(&bytes);
    ck.section(COUNTERS).truncate(20);
    refused(&ck.encode(), &["counters: needs 8 more bytes, 4 left"]);
    let mut ck = Checkpoint::decode(&bytes);
    ck.section(ROLLOUT).truncate(30);
    refused(&ck.encode(), &["rollout: a length of", "more than the"]);
    // The file cut short, its checksum recomputed: the last section's length is too long.
    let body = &bytes[..bytes.len() - 8];
    let last = Checkpoint::decode(&bytes).sections.last().unwrap().0;
    let cut = seal(body[..body.len() - 10].to_vec());
    refused(
        &cut,
        &[&format!("section {last}: length"), "is more than the"],
    );
    // A required section missing.
    let mut ck = Checkpoint::decode(&bytes);
    ck.sections.retain(|(t, _)| *t != COUNTERS);
    refused(&ck.encode(), &["missing counters"]);
}

#[test]
fn a_length_field_larger_than_the_file_is_refused() {
    let bytes = cartpole();
    // The rollout's length, then its observations' count.
    let mut ck = Checkpoint::decode(&bytes);
    put_u64(ck.section(ROLLOUT), 0, u64::MAX);
    refused(
        &ck.encode(),
        &["rollout: length 18446744073709551615 is more than ppo.n_steps"],
    );
    let mut ck = Checkpoint::decode(&bytes);
    let left = ck.section(ROLLOUT).len() - 16;
    put_u64(ck.section(ROLLOUT), 8, u64::MAX);
    refused(
        &ck.encode(),
        &[&format!(
            "rollout: a length of 18446744073709551615 values is more than the {left} bytes left"
        )],
    );
    // A section header's length.
    let mut hostile = bytes[..bytes.len() - 8].to_vec();
    put_u64(&mut hostile, 12 + 4, u64::MAX);
    refused(
        &seal(hostile),
        &["section 1: length 18446744073709551615 is more than the"],
    );
    // An env's running-episode actions.
    let mut ck = Checkpoint::decode(&bytes);
    put_u64(ck.section(EPISODES), 8, 1 << 40);
    refused(
        &ck.encode(),
        &["episodes: a length of 1099511627776 values is more than the"],
    );
}

#[test]
fn sections_that_do_not_fit_the_runs_config_are_refused() {
    let bytes = cartpole();
    // The run normalises observations: its statistics cannot be left out.
    let mut ck = Checkpoint::decode(&bytes);
    ck.section(NORM).clear();
    refused(
        &ck.encode(),
        &["normaliser: missing for a run that normalises"],
    );
    // A run without normalisation does not take statistics.
    let mut ck = Checkpoint::decode(&bytes);
    let mut config = ck.config();
    config["normalize_obs"] = false.into();
    ck.set_config(&config);
    refused(
        &ck.encode(),
        &["normaliser: given for a run that does not normalise"],
    );
    // A run without feedback takes no feedback state, nor a run with feedback none.
    let preference = grid_preference();
    let mut ck = Checkpoint::decode(&preference);
    let mut config = ck.config();
    config["feedback"] = serde_json::json!({"mode": "none"});
    ck.set_config(&config);
    refused(&ck.encode(), &["feedback state for a run without feedback"]);
    let mut ck = Checkpoint::decode(&preference);
    ck.remove(FEEDBACK);
    refused(
        &ck.encode(),
        &["missing feedback state for a run with feedback"],
    );
    let mut ck = Checkpoint::decode(&preference);
    ck.remove(PREFERENCE);
    refused(&ck.encode(), &["missing preference state"]);
}

#[test]
fn a_recent_return_that_is_not_finite_is_refused() {
    let bytes = cartpole();
    let mut ck = Checkpoint::decode(&bytes);
    let counters = ck.section(COUNTERS);
    // Four counters, then the recent returns after their length.
    assert!(get_u64(counters, 32) >= 1, "the run has finished episodes");
    put_f64(counters, 40, f64::NAN);
    refused(&ck.encode(), &["counters: a recent return is NaN"]);
}
