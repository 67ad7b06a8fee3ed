//! Replays every Gymnasium reference fixture (`tests/fixtures/classic/*.json`, written by
//! `tests/fixtures/gen_classic.py` from Gymnasium itself) and demands the same output bit for
//! bit: every float as the identical f64, every flag and integer equal. Also checks that seeded
//! and following unseeded resets start exactly where Gymnasium's do
//! (`tests/fixtures/classic_resets.json`, written by `tests/fixtures/gen_resets.py`).

use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/classic");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// Compares `actual` with `expected`, pushing one message per differing leaf.
fn compare(path: &str, expected: &Value, actual: &Value, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Number(e), Value::Number(a)) => {
            let same = match (e.as_i64(), a.as_i64()) {
                (Some(x), Some(y)) => x == y,
                _ => match (e.as_f64(), a.as_f64()) {
                    (Some(x), Some(y)) => x.to_bits() == y.to_bits(),
                    _ => false,
                },
            };
            if !same {
                out.push(format!("{path}: expected {e}, got {a}"));
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                out.push(format!(
                    "{path}: expected {} values, got {}",
                    e.len(),
                    a.len()
                ));
                return;
            }
            for (i, (x, y)) in e.iter().zip(a).enumerate() {
                compare(&format!("{path}[{i}]"), x, y, out);
            }
        }
        (Value::Object(e), Value::Object(a)) => {
            for (key, x) in e {
                match a.get(key) {
                    Some(y) => compare(&format!("{path}.{key}"), x, y, out),
                    None => out.push(format!("{path}: missing field `{key}`")),
                }
            }
            for key in a.keys().filter(|k| !e.contains_key(*k)) {
                out.push(format!("{path}: unexpected field `{key}`"));
            }
        }
        _ if expected == actual => {}
        _ => out.push(format!("{path}: expected {expected}, got {actual}")),
    }
}

/// Runs one fixture and returns its mismatches, each naming the fixture, line and field.
fn check(file: &Path) -> Vec<String> {
    let name = file
        .file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let text = std::fs::read_to_string(file).expect("fixture readable");
    let fixture: Value = serde_json::from_str(&text).expect("fixture is JSON");
    let input = fixture["input"].to_string();
    let expected = fixture["expected"].as_array().expect("expected is a list");

    let mut out = Vec::new();
    if let Err(e) = rlaif::replay::replay(&input, &mut out) {
        return vec![format!("{name}: replay failed: {e}")];
    }
    let actual: Vec<Value> = String::from_utf8(out)
        .expect("replay prints UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("replay prints JSON lines"))
        .collect();

    let mut mismatches = Vec::new();
    if actual.len() != expected.len() {
        mismatches.push(format!(
            "{name}: expected {} lines, got {}",
            expected.len(),
            actual.len()
        ));
    }
    for (line, (e, a)) in expected.iter().zip(&actual).enumerate() {
        compare(&format!("{name} line {line}"), e, a, &mut mismatches);
    }
    mismatches
}

#[test]
fn classic_envs_reproduce_gymnasium_bit_for_bit() {
    let files = fixtures();
    for prefix in [
        "cartpole",
        "mountaincar_",
        "mountaincar_continuous",
        "acrobot",
        "pendulum",
    ] {
        let n = files
            .iter()
            .filter(|f| {
                f.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
            })
            .count();
        assert!(n >= 3, "only {n} fixtures for {prefix}");
    }
    let mismatches: Vec<String> = files.iter().flat_map(|f| check(f)).collect();
    assert_no_mismatches(&mismatches);
}

/// The obs and state after each reset, in the fixture's layout.
fn reset_record(env: &dyn rlaif::env::Env, obs: &[f32]) -> Value {
    let obs: Vec<f64> = obs.iter().map(|&o| f64::from(o)).collect();
    serde_json::json!({"obs": obs, "state": env.state().expect("classic envs expose their state")})
}

#[test]
fn classic_resets_start_where_gymnasium_does() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/classic_resets.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let fixture: Value = serde_json::from_str(&text).expect("fixture is JSON");
    let ids = [
        "CartPole-v1",
        "MountainCar-v0",
        "MountainCarContinuous-v0",
        "Acrobot-v1",
        "Pendulum-v1",
    ];
    let mut mismatches = Vec::new();
    for id in ids {
        let cases = fixture[id].as_array().expect("one list of cases per env");
        assert_eq!(cases.len(), 10, "{id}: seeds 0..=9");
        for case in cases {
            let seed = case["seed"].as_u64().expect("seed");
            let expected = case["resets"].as_array().expect("resets");
            assert_eq!(
                expected.len(),
                3,
                "{id} seed {seed}: one seeded, two unseeded resets"
            );
            let mut env = rlaif::env::make(id).expect("registered id");
            let mut obs = vec![0.0; env.spec().observation_space.flat_dim()];
            for (i, e) in expected.iter().enumerate() {
                env.reset((i == 0).then_some(seed), &mut obs);
                let actual = reset_record(&env, &obs);
                compare(
                    &format!("{id} seed {seed} reset {i}"),
                    e,
                    &actual,
                    &mut mismatches,
                );
            }
        }
    }
    assert_no_mismatches(&mismatches);
}

#[test]
fn the_comparison_catches_a_one_ulp_difference() {
    let e: Value = serde_json::from_str(r#"{"t":1,"obs":[0.1],"terminated":false}"#).unwrap();
    let next = f64::from_bits(0.1f64.to_bits() + 1);
    let a: Value = serde_json::json!({"t": 1, "obs": [next], "terminated": false});
    let mut out = Vec::new();
    compare("x line 1", &e, &a, &mut out);
    assert_eq!(out.len(), 1);
    assert!(out[0].starts_with("x line 1.obs[0]"), "{}", out[0]);
    let flipped = serde_json::json!({"t": 1, "obs": [0.1], "terminated": true});
    out.clear();
    compare("x line 1", &e, &flipped, &mut out);
    assert_eq!(out, vec!["x line 1.terminated: expected false, got true"]);
}

/// Fails with the count and the first 40 of `mismatches`, if any.
fn assert_no_mismatches(mismatches: &[String]) {
    assert!(
        mismatches.is_empty(),
        "{} mismatches, first ones:\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(40)].join("\n")
    );
}
