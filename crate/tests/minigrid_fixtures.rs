//! Replays every MiniGrid reference fixture (`tests/fixtures/minigrid/<id>.json`, written by
//! `tests/fixtures/gen_minigrid.py` from MiniGrid itself) through `rlaif replay`'s seed form and
//! demands the same records: for each id and seed, the layout after `reset(seed)`, then every
//! step's image, facing, position, reward and flags. Each differing case reports its first
//! difference.

use serde_json::Value;
use std::path::{Path, PathBuf};

/// The ids the fixtures must cover.
const IDS: [&str; 12] = [
    "MiniGrid-Empty-8x8-v0",
    "MiniGrid-Empty-Random-6x6-v0",
    "MiniGrid-DoorKey-5x5-v0",
    "MiniGrid-DoorKey-6x6-v0",
    "MiniGrid-DoorKey-8x8-v0",
    "MiniGrid-DoorKey-16x16-v0",
    "MiniGrid-FourRooms-v0",
    "MiniGrid-LavaCrossingS9N1-v0",
    "MiniGrid-LavaCrossingS9N2-v0",
    "MiniGrid-LavaCrossingS9N3-v0",
    "MiniGrid-SimpleCrossingS9N1-v0",
    "MiniGrid-MultiRoom-N2-S4-v0",
];

fn fixture_path(id: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/minigrid")
        .join(format!("{id}.json"))
}

/// The fixture's string form of an encoded array: two base-36 digits per cell, the object
/// index and then `color * 3 + state`.
fn decode_cells(text: &str) -> Vec<u64> {
    let digits: Vec<u64> = text
        .chars()
        .map(|c| u64::from(c.to_digit(36).expect("base-36 digit")))
        .collect();
    assert!(digits.len().is_multiple_of(2), "odd cell string");
    digits
        .chunks_exact(2)
        .flat_map(|d| [d[0], d[1] / 3, d[1] % 3])
        .collect()
}

fn ints(value: &Value) -> Vec<u64> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default()
}

/// Where a flattened `(7, 7, 3)` image index lies, for messages.
fn image_index(i: usize) -> String {
    format!("view cell x={} y={} channel {}", i / 21, (i / 3) % 7, i % 3)
}

/// The first difference between two encoded arrays.
fn first_array_difference(
    field: &str,
    expected: &[u64],
    actual: &[u64],
    place: impl Fn(usize) -> String,
) -> Option<String> {
    if expected.len() != actual.len() {
        return Some(format!(
            "{field} has {} values, expected {}",
            actual.len(),
            expected.len()
        ));
    }
    let i = expected.iter().zip(actual).position(|(e, a)| e != a)?;
    Some(format!(
        "{field}[{i}] ({}) is {}, expected {}",
        place(i),
        actual[i],
        expected[i]
    ))
}

/// The expected line `t` of a case as `rlaif replay` prints it.
fn expected_line(case: &Value, t: usize) -> Value {
    let obs = case["obs"][t].as_str().expect("obs string");
    let mut line = serde_json::json!({
        "t": t,
        "obs": decode_cells(obs),
        "direction": case["direction"][t],
        "agent_pos": case["agent_pos"][t],
    });
    if t == 0 {
        line["grid"] = decode_cells(case["grid"].as_str().expect("grid string")).into();
        line["mission"] = case["mission"].clone();
    } else {
        line["action"] = case["actions"][t - 1].clone();
        line["reward"] = case["reward"][t - 1].as_f64().expect("reward").into();
        line["terminated"] = (case["terminated"][t - 1] == 1).into();
        line["truncated"] = (case["truncated"][t - 1] == 1).into();
    }
    line
}

/// The first difference between an expected and a printed line.
fn line_difference(expected: &Value, actual: &Value, grid_height: usize) -> Option<String> {
    let (Some(e), Some(a)) = (expected.as_object(), actual.as_object()) else {
        return Some(format!("not a JSON object: {actual}"));
    };
    let mut keys: Vec<&String> = a.keys().filter(|k| !e.contains_key(*k)).collect();
    if let Some(extra) = keys.pop() {
        return Some(format!("unexpected field `{extra}`"));
    }
    for (key, want) in e {
        let Some(got) = a.get(key) else {
            return Some(format!("missing field `{key}`"));
        };
        let diff = match key.as_str() {
            "obs" => first_array_difference("obs", &ints(want), &ints(got), image_index),
            "grid" => first_array_difference("grid", &ints(want), &ints(got), |i| {
                format!(
                    "cell x={} y={} channel {}",
                    i / 3 / grid_height,
                    (i / 3) % grid_height,
                    i % 3
                )
            }),
            "reward" => match (want.as_f64(), got.as_f64()) {
                (Some(w), Some(g)) if w.to_bits() == g.to_bits() => None,
                _ => Some(format!("reward is {got}, expected {want}")),
            },
            _ if want == got => None,
            _ => Some(format!("{key} is {got}, expected {want}")),
        };
        if diff.is_some() {
            return diff;
        }
    }
    None
}

/// Replays one case; its first difference, if any.
fn check_case(env_id: &str, grid_height: usize, case: &Value) -> Option<String> {
    let seed = case["seed"].as_u64().expect("seed");
    let where_ = format!("{env_id} seed {seed}");
    let input = serde_json::json!({
        "env_id": env_id,
        "seed": seed,
        "actions": case["actions"],
    })
    .to_string();
    let mut out = Vec::new();
    if let Err(e) = rlaif::replay::replay(&input, &mut out) {
        return Some(format!("{where_}: replay failed: {e}"));
    }
    let lines: Vec<Value> = String::from_utf8(out)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let expected_len = case["obs"].as_array().map_or(0, Vec::len);
    for (t, actual) in lines.iter().enumerate().take(expected_len) {
        let expected = expected_line(case, t);
        if let Some(diff) = line_difference(&expected, actual, grid_height) {
            let action = match t {
                0 => "after reset".to_string(),
                _ => format!("after action {}", case["actions"][t - 1]),
            };
            return Some(format!("{where_} line {t} ({action}): {diff}"));
        }
    }
    (lines.len() != expected_len).then(|| {
        format!(
            "{where_}: replay printed {} lines, MiniGrid's has {expected_len}",
            lines.len()
        )
    })
}

#[test]
fn minigrid_envs_reproduce_minigrid_per_seed() {
    let mut differences = Vec::new();
    let mut cases_run = 0;
    for id in IDS {
        let path = fixture_path(id);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let fixture: Value = serde_json::from_str(&text).expect("fixture is JSON");
        assert_eq!(fixture["env_id"], id);
        let env = rlaif::env::make(id).expect("registered id");
        assert_eq!(
            u64::from(env.spec().max_episode_steps.expect("a step limit")),
            fixture["max_steps"].as_u64().expect("max_steps"),
            "{id}: max_steps"
        );
        let (width, height) = match env.scene() {
            rlaif::env::Scene::Grid { width, height, .. } => (width, height),
            other => panic!("{id}: not a grid scene: {other:?}"),
        };
        let cases = fixture["cases"].as_array().expect("cases");
        assert_eq!(cases.len(), 10, "{id}: seeds");
        for case in cases {
            let grid_len = case["grid"].as_str().map_or(0, str::len) / 2;
            assert_eq!(grid_len, width * height, "{id}: grid size");
            cases_run += 1;
            differences.extend(check_case(id, height, case));
        }
    }
    assert!(
        differences.is_empty(),
        "{} of {cases_run} cases differ from MiniGrid:\n{}",
        differences.len(),
        differences.join("\n")
    );
    assert_eq!(cases_run, IDS.len() * 10);
}
