//! Hostile input to every reader of user files: checkpoints, demonstrations, labels files,
//! experiment configs, grid maps and replay input. Each reader must answer `Ok` or `Err`,
//! never panic (in the browser a panic kills the training worker and the run).
//!
//! Every property runs a fixed number of cases from a fixed seed, so a run is deterministic
//! and its time bounded; failures are not persisted to files.

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::RngSeed;
use rlaif::backend::CpuBackend;
use rlaif::env::grid::parse_map;
use rlaif::experiment::config::LESSONS;
use rlaif::experiment::{ExperimentConfig, Trainer};
use rlaif::feedback::demos::{DemoAction, Demos, record};
use rlaif::feedback::labels_file::LabelsFile;
use serde_json::Value;
use std::sync::OnceLock;

mod common;

use common::{Checkpoint, seal};

fn cpu() -> burn::tensor::Device {
    CpuBackend::NdArray.device()
}

/// `cases` cases from a fixed seed, no failure files, and no long shrinking.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        rng_seed: RngSeed::Fixed(0x5eed_f022),
        failure_persistence: None,
        max_shrink_iters: 256,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------
// Shared fixtures, built once.

struct Fixtures {
    /// CartPole, observations normalised, stopped mid-rollout and mid-episode.
    cartpole: Vec<u8>,
    /// Empty-8x8 in the preference mode, AI labels, after its first training round.
    grid_preference: Vec<u8>,
    /// That run's labels.
    labels: LabelsFile,
}

fn preference_config(source: &str) -> ExperimentConfig {
    let mut c = ExperimentConfig::preset("Grid-Empty-8x8-v0").unwrap();
    c.total_steps = 2_048;
    c.n_envs = 4;
    c.ppo.n_steps = 64;
    // Small networks keep the corpus checkpoint small.
    c.ppo.hidden = 16;
    c.feedback = serde_json::from_str(&format!(
        r#"{{"mode": "preference", "lambda": 0.5, "preference": {{"label_budget": 40,
        "segment_len": 8, "labels_per_update": 6, "initial_labels": 5, "hidden": 16,
        "label_source": "{source}"}}}}"#
    ))
    .unwrap();
    c
}

/// The checked-in seed corpus (`tests/fuzz_corpus/`): files written by
/// [`regenerate_the_seed_corpus`], which every property mutates. Kept as files so that a
/// change of format that no longer reads them fails [`the_seed_corpus_still_reads`].
const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz_corpus");
const CARTPOLE: &str = "checkpoints/cartpole-normalised.rlaif";
const GRID_PREFERENCE: &str = "checkpoints/empty-preference.rlaif";
const LABELS: &str = "labels/empty-preference.json";
const DEMOS: [&str; 3] = [
    "demos/cartpole.json",
    "demos/grid-empty.json",
    "demos/pendulum.json",
];

fn corpus_file(name: &str) -> Vec<u8> {
    let path = format!("{CORPUS}/{name}");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn fixtures() -> &'static Fixtures {
    static F: OnceLock<Fixtures> = OnceLock::new();
    F.get_or_init(|| Fixtures {
        cartpole: corpus_file(CARTPOLE),
        grid_preference: corpus_file(GRID_PREFERENCE),
        labels: LabelsFile::parse(&corpus_file(LABELS)).expect("the corpus labels file reads"),
    })
}

/// Small valid demonstrations files: discrete (CartPole, a grid) and continuous (Pendulum).
fn demos_files() -> &'static [String] {
    static D: OnceLock<Vec<String>> = OnceLock::new();
    D.get_or_init(|| {
        DEMOS
            .iter()
            .map(|name| String::from_utf8(corpus_file(name)).expect("UTF-8"))
            .collect()
    })
}

/// The corpus as this build writes it: a CartPole run (observations normalised, stopped
/// mid-rollout and mid-episode), an Empty-8x8 preference run after its first training round
/// and its labels, and demonstrations of three envs.
fn build_corpus() -> Vec<(&'static str, Vec<u8>)> {
    let mut c = ExperimentConfig::preset("CartPole-v1").unwrap();
    c.total_steps = 4_096;
    c.normalize_obs = true;
    let mut t = Trainer::new(c, &cpu()).unwrap();
    t.step_slice(700).unwrap();
    let cartpole = t.checkpoint().unwrap();

    let mut t = Trainer::new(preference_config("ai"), &cpu()).unwrap();
    t.step_slice(300).unwrap();
    assert!(t.updates() >= 1);
    let grid_preference = t.checkpoint().unwrap();
    let labels = t.labels_file();
    assert!(!labels.labels.is_empty());

    let cartpole_demos = record("CartPole-v1", 2, 3, &mut |_| DemoAction::Discrete(1)).unwrap();
    let mut grid = Demos::new("Grid-Empty-8x8-v0").unwrap();
    let mut turning = record("Grid-Empty-8x8-v0", 1, 5, &mut |_| DemoAction::Discrete(0))
        .unwrap()
        .episodes;
    for ep in &mut turning {
        ep.observations.truncate(5);
        ep.actions.truncate(5);
        ep.rewards.truncate(5);
    }
    grid.episodes = turning;
    let mut pendulum = record("Pendulum-v1", 1, 7, &mut |_| {
        DemoAction::Continuous(vec![0.5])
    })
    .unwrap();
    for ep in &mut pendulum.episodes {
        ep.observations.truncate(6);
        ep.actions.truncate(6);
        ep.rewards.truncate(6);
    }
    vec![
        (CARTPOLE, cartpole),
        (GRID_PREFERENCE, grid_preference),
        (LABELS, labels.to_json().into_bytes()),
        (DEMOS[0], cartpole_demos.to_json().into_bytes()),
        (DEMOS[1], grid.to_json().into_bytes()),
        (DEMOS[2], pendulum.to_json().into_bytes()),
    ]
}

/// Writes the seed corpus afresh: `cargo test -p rlaif --test fuzz_readers -- --ignored
/// regenerate_the_seed_corpus`. Only needed when a file format changes on purpose.
#[test]
#[ignore = "writes tests/fuzz_corpus; run by hand after a deliberate format change"]
fn regenerate_the_seed_corpus() {
    for (name, bytes) in build_corpus() {
        let path = format!("{CORPUS}/{name}");
        if let Some(dir) = std::path::Path::new(&path).parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(&path, bytes).unwrap();
    }
}

/// Every corpus file is valid as it stands: the checkpoints resume and train on, the labels
/// import and train, the demonstrations read.
#[test]
fn the_seed_corpus_still_reads() {
    let f = fixtures();
    for bytes in [&f.cartpole, &f.grid_preference] {
        let mut t = Trainer::resume(bytes, &cpu(), None).expect("a corpus checkpoint resumes");
        let before = t.env_steps();
        t.step_slice(64).unwrap();
        assert!(t.env_steps() > before);
    }
    let mut t = Trainer::new(preference_config("you"), &cpu()).unwrap();
    assert_eq!(t.import_labels(&f.labels).unwrap(), f.labels.labels.len());
    t.step_slice(64).unwrap();
    for text in demos_files() {
        Demos::from_json(text).expect("a corpus demonstrations file reads");
    }
}

// ---------------------------------------------------------------------------------------
// JSON mutation.

/// Raw JSON tokens that a `Value` cannot hold (or that are awkward), spliced in as text.
const RAW_TOKENS: &[&str] = &[
    "1e400",
    "-1e400",
    "18446744073709551616",
    "-9223372036854775809",
    "-0",
    "0.0000000000000000000000000000001",
    "1e-400",
    "NaN",
    "Infinity",
    "\"\\ud800\"",
    "\"\\u0000\"",
];

/// What replaces a value of a JSON document.
#[derive(Clone, Debug)]
enum Hostile {
    Value(Value),
    /// Index into [`RAW_TOKENS`].
    Raw(usize),
    /// An array nested this deep around `0`.
    Deep(usize),
    Remove,
    /// A copy of an array's last element appended this many times (long arrays).
    Repeat(usize),
}

fn hostile() -> impl Strategy<Value = Hostile> {
    let values = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::from(u64::MAX)),
        Just(Value::from(i64::MIN)),
        Just(Value::from(-1)),
        Just(Value::from(0)),
        Just(Value::from(1)),
        Just(Value::from(u64::from(u32::MAX) + 1)),
        Just(Value::from(1e308)),
        Just(Value::from(-1e308)),
        Just(Value::from(0.5)),
        Just(Value::from(f64::MIN_POSITIVE)),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        Just(Value::from("NaN")),
        Just(Value::from("inf")),
        Just(Value::from("")),
        ".{0,12}".prop_map(Value::from),
        Just(Value::from("x".repeat(10_000))),
        Just(Value::Array(Vec::new())),
        Just(serde_json::json!({})),
        Just(serde_json::json!([1, 2, 3])),
        Just(serde_json::json!([[0.0, 1.0], [2.0]])),
    ];
    prop_oneof![
        6 => values.prop_map(Hostile::Value),
        2 => (0..RAW_TOKENS.len()).prop_map(Hostile::Raw),
        1 => prop_oneof![1..40usize, 120..140usize, Just(3_000usize)].prop_map(Hostile::Deep),
        2 => Just(Hostile::Remove),
        1 => (1..2_000usize).prop_map(Hostile::Repeat),
    ]
}

/// Every node of `v` as a path of keys/indices (the root is the empty path).
fn paths(v: &Value, at: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
    out.push(at.clone());
    match v {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                at.push(PathStep::Index(i));
                paths(item, at, out);
                at.pop();
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                at.push(PathStep::Key(k.clone()));
                paths(item, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum PathStep {
    Key(String),
    Index(usize),
}

const RAW_MARK: &str = "@@raw-token@@";

/// Applies `(where, what)` mutations to the JSON document `text`; returns the new text.
fn mutate_json(text: &str, edits: &[(Index, Hostile)]) -> String {
    let mut doc: Value = serde_json::from_str(text).expect("the fixture is JSON");
    let mut raws = Vec::new();
    for (place, what) in edits {
        let mut all = Vec::new();
        paths(&doc, &mut Vec::new(), &mut all);
        // Prefer non-root nodes: replacing the whole document is rarely interesting.
        let path = if all.len() > 1 {
            &all[1 + place.index(all.len() - 1)]
        } else {
            &all[0]
        };
        let (last, parent_path) = match path.split_last() {
            Some((l, p)) => (Some(l), p),
            None => (None, &path[..]),
        };
        let mut parent = &mut doc;
        for step in parent_path {
            parent = match step {
                PathStep::Key(k) => &mut parent[k.as_str()],
                PathStep::Index(i) => &mut parent[*i],
            };
        }
        let replacement = match what {
            Hostile::Value(v) => Some(v.clone()),
            Hostile::Raw(i) => {
                raws.push(RAW_TOKENS[*i].to_string());
                Some(Value::from(format!("{RAW_MARK}{}", raws.len() - 1)))
            }
            Hostile::Deep(depth) => {
                // As text: a deep `Value` would overflow this test's own stack.
                raws.push(format!("{}0{}", "[".repeat(*depth), "]".repeat(*depth)));
                Some(Value::from(format!("{RAW_MARK}{}", raws.len() - 1)))
            }
            Hostile::Remove | Hostile::Repeat(_) => None,
        };
        match (last, replacement) {
            (None, Some(v)) => doc = v,
            (None, None) => {}
            (Some(step), Some(v)) => match step {
                PathStep::Key(k) => parent[k.as_str()] = v,
                PathStep::Index(i) => parent[*i] = v,
            },
            (Some(step), None) => match (parent, step, what) {
                (Value::Object(map), PathStep::Key(k), _) => {
                    map.remove(k);
                }
                (Value::Array(items), PathStep::Index(i), Hostile::Remove) => {
                    items.remove(*i);
                }
                (Value::Array(items), PathStep::Index(i), Hostile::Repeat(n)) => {
                    let item = items[*i].clone();
                    items.extend(std::iter::repeat_n(item, *n));
                }
                _ => {}
            },
        }
    }
    let mut out = serde_json::to_string(&doc).expect("a Value serialises");
    for (i, raw) in raws.iter().enumerate() {
        out = out.replace(&format!("\"{RAW_MARK}{i}\""), raw);
    }
    out
}

/// Replaces numbers of the JSON document `text` (picked by `edits`) with other numbers: the
/// structure stays valid, so the values reach the checks past parsing.
fn mutate_numbers(text: &str, edits: &[(Index, Value)]) -> String {
    let mut doc: Value = serde_json::from_str(text).expect("the fixture is JSON");
    let mut all = Vec::new();
    paths(&doc, &mut Vec::new(), &mut all);
    let numbers: Vec<_> = all
        .into_iter()
        .filter(|p| {
            let mut v = &doc;
            for step in p {
                v = match step {
                    PathStep::Key(k) => &v[k.as_str()],
                    PathStep::Index(i) => &v[*i],
                };
            }
            v.is_number()
        })
        .collect();
    for (place, x) in edits {
        let mut v = &mut doc;
        for step in &numbers[place.index(numbers.len())] {
            v = match step {
                PathStep::Key(k) => &mut v[k.as_str()],
                PathStep::Index(i) => &mut v[*i],
            };
        }
        *v = x.clone();
    }
    serde_json::to_string(&doc).expect("a Value serialises")
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        (0..10u64).prop_map(Value::from),
        Just(Value::from(u64::MAX)),
        Just(Value::from(u64::MAX - 1)),
        Just(Value::from(usize::MAX / 2)),
        Just(Value::from(u64::from(u32::MAX))),
        Just(Value::from(1_000_000_000u64)),
        Just(Value::from(-1)),
        Just(Value::from(2.5)),
        Just(Value::from(-0.0)),
        Just(Value::from(1e30)),
        Just(Value::from(-1e30)),
        Just(Value::from(1e300)),
        Just(Value::from(f64::from(f32::MAX) * 2.0)),
        any::<f64>().prop_map(Value::from),
    ]
}

fn json_edits(max: usize) -> impl Strategy<Value = Vec<(Index, Hostile)>> {
    prop::collection::vec((any::<Index>(), hostile()), 1..=max)
}

/// Byte-level edits of a text: overwrite, insert or delete at a position.
#[derive(Clone, Debug)]
enum ByteEdit {
    Set(Index, u8),
    Insert(Index, u8),
    Delete(Index),
    Truncate(Index),
}

fn byte_edit() -> impl Strategy<Value = ByteEdit> {
    // Mostly JSON punctuation and digits, which keep a text JSON-like for longer.
    let byte = prop_oneof![
        3 => prop::sample::select(b"{}[],:\"-+.0123456789eE \\ntfa".to_vec()),
        1 => any::<u8>(),
    ];
    prop_oneof![
        3 => (any::<Index>(), byte.clone()).prop_map(|(i, b)| ByteEdit::Set(i, b)),
        2 => (any::<Index>(), byte).prop_map(|(i, b)| ByteEdit::Insert(i, b)),
        2 => any::<Index>().prop_map(ByteEdit::Delete),
        1 => any::<Index>().prop_map(ByteEdit::Truncate),
    ]
}

fn apply_bytes(bytes: &mut Vec<u8>, edits: &[ByteEdit]) {
    for edit in edits {
        if bytes.is_empty() {
            if let ByteEdit::Insert(_, b) = edit {
                bytes.push(*b);
            }
            continue;
        }
        match edit {
            ByteEdit::Set(i, b) => {
                let at = i.index(bytes.len());
                bytes[at] = *b;
            }
            ByteEdit::Insert(i, b) => {
                let at = i.index(bytes.len() + 1);
                bytes.insert(at, *b);
            }
            ByteEdit::Delete(i) => {
                let at = i.index(bytes.len());
                bytes.remove(at);
            }
            ByteEdit::Truncate(i) => {
                let at = i.index(bytes.len());
                bytes.truncate(at);
            }
        }
    }
}

fn text_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

// ---------------------------------------------------------------------------------------
// 1. Checkpoints.

/// Resumes `bytes` (and reads its config alone); a resumed run must also step.
fn try_resume(bytes: &[u8]) {
    let _ = Trainer::checkpoint_config(bytes);
    if let Ok(mut t) = Trainer::resume(bytes, &cpu(), None) {
        let _ = t.step_slice(16);
    }
}

/// An edit of one section of a decoded checkpoint.
#[derive(Clone, Debug)]
enum SectionEdit {
    Bytes(Index, Vec<ByteEdit>),
    /// Overwrite 8 bytes at a position with a little-endian u64 (lengths, counters).
    U64(Index, Index, u64),
    /// Overwrite 4 bytes at a position with a little-endian f32 (weights, statistics).
    F32(Index, Index, f32),
    Drop(Index),
    Duplicate(Index),
    Retag(Index, u32),
}

fn section_edit() -> impl Strategy<Value = SectionEdit> {
    let u64s = prop_oneof![
        Just(u64::MAX),
        Just(u64::MAX / 2),
        Just(1u64 << 32),
        Just(0u64),
        0..64u64,
        any::<u64>(),
    ];
    let f32s = prop_oneof![
        Just(f32::NAN),
        Just(f32::INFINITY),
        Just(f32::NEG_INFINITY),
        Just(f32::MAX),
        Just(-0.0f32),
        Just(1e-40f32),
        any::<f32>(),
    ];
    prop_oneof![
        6 => (any::<Index>(), prop::collection::vec(byte_edit(), 1..4))
            .prop_map(|(s, e)| SectionEdit::Bytes(s, e)),
        3 => (any::<Index>(), any::<Index>(), u64s).prop_map(|(s, p, x)| SectionEdit::U64(s, p, x)),
        2 => (any::<Index>(), any::<Index>(), f32s).prop_map(|(s, p, x)| SectionEdit::F32(s, p, x)),
        1 => any::<Index>().prop_map(SectionEdit::Drop),
        1 => any::<Index>().prop_map(SectionEdit::Duplicate),
        1 => (any::<Index>(), 0..16u32).prop_map(|(s, t)| SectionEdit::Retag(s, t)),
    ]
}

fn apply_sections(ck: &mut Checkpoint, edits: &[SectionEdit]) {
    for edit in edits {
        if ck.sections.is_empty() {
            return;
        }
        let n = ck.sections.len();
        match edit {
            SectionEdit::Bytes(s, e) => apply_bytes(&mut ck.sections[s.index(n)].1, e),
            SectionEdit::U64(s, p, x) => {
                let body = &mut ck.sections[s.index(n)].1;
                if body.len() >= 8 {
                    let at = p.index(body.len() - 7);
                    body[at..at + 8].copy_from_slice(&x.to_le_bytes());
                }
            }
            SectionEdit::F32(s, p, x) => {
                let body = &mut ck.sections[s.index(n)].1;
                if body.len() >= 4 {
                    let at = p.index(body.len() - 3);
                    body[at..at + 4].copy_from_slice(&x.to_le_bytes());
                }
            }
            SectionEdit::Drop(s) => {
                ck.sections.remove(s.index(n));
            }
            SectionEdit::Duplicate(s) => {
                let sec = ck.sections[s.index(n)].clone();
                ck.sections.push(sec);
            }
            SectionEdit::Retag(s, t) => ck.sections[s.index(n)].0 = *t,
        }
    }
}

fn real_checkpoint(which: bool) -> &'static [u8] {
    let f = fixtures();
    if which {
        &f.grid_preference
    } else {
        &f.cartpole
    }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn random_bytes_do_not_panic_the_checkpoint_reader(
        bytes in prop::collection::vec(any::<u8>(), 0..256),
        with_head in any::<bool>(),
        which in any::<bool>(),
    ) {
        // With the real magic and version and a valid checksum, the sections are parsed.
        let bytes = if with_head {
            let mut b = real_checkpoint(which)[..12].to_vec();
            b.extend_from_slice(&bytes);
            seal(b)
        } else {
            bytes
        };
        try_resume(&bytes);
    }

    #[test]
    fn flipped_and_truncated_checkpoints_do_not_panic(
        which in any::<bool>(),
        edits in prop::collection::vec(byte_edit(), 1..4),
    ) {
        let mut bytes = real_checkpoint(which).to_vec();
        apply_bytes(&mut bytes, &edits);
        try_resume(&bytes);
    }
}

proptest! {
    // Each case resumes (and steps) a whole run: the slowest target.
    #![proptest_config(config(160))]

    #[test]
    fn resealed_checkpoints_with_changed_sections_do_not_panic(
        which in any::<bool>(),
        edits in prop::collection::vec(section_edit(), 1..4),
    ) {
        let mut ck = Checkpoint::decode(real_checkpoint(which));
        apply_sections(&mut ck, &edits);
        try_resume(&ck.encode());
    }

    #[test]
    fn resealed_checkpoints_with_a_mutated_config_do_not_panic(
        which in any::<bool>(),
        edits in json_edits(3),
    ) {
        // The config section is JSON: mutate it as JSON, keep the rest whole.
        let mut ck = Checkpoint::decode(real_checkpoint(which));
        let config = ck.sections.iter_mut().find(|(t, _)| *t == 1).expect("config section");
        config.1 = mutate_json(&text_of(&config.1), &edits).into_bytes();
        try_resume(&ck.encode());
    }
}

// ---------------------------------------------------------------------------------------
// 2. Demonstrations files.

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn random_text_does_not_panic_the_demos_reader(text in ".{0,200}") {
        let _ = Demos::from_json(&text);
        let _ = Demos::from_bytes(text.as_bytes());
    }

    #[test]
    fn mutated_demos_files_do_not_panic(
        which in 0..3usize,
        edits in json_edits(4),
        bytes in prop::collection::vec(byte_edit(), 0..3),
    ) {
        let text = mutate_json(&demos_files()[which], &edits);
        let mut b = text.into_bytes();
        apply_bytes(&mut b, &bytes);
        let _ = Demos::from_bytes(&b);
    }
}

// ---------------------------------------------------------------------------------------
// 3. Labels files, and importing them into a preference run.

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn random_text_does_not_panic_the_labels_reader(text in ".{0,200}") {
        let _ = LabelsFile::parse(text.as_bytes());
        let _ = LabelsFile::read(text.as_bytes());
    }
}

proptest! {
    // A fresh preference run per case.
    #![proptest_config(config(96))]

    #[test]
    fn mutated_labels_files_parse_and_import_without_panicking(
        structural in any::<bool>(),
        edits in json_edits(4),
        bytes in prop::collection::vec(byte_edit(), 0..2),
        numbers in prop::collection::vec((any::<Index>(), number()), 1..4),
    ) {
        let good = fixtures().labels.to_json();
        let b = if structural {
            let mut b = mutate_json(&good, &edits).into_bytes();
            apply_bytes(&mut b, &bytes);
            b
        } else {
            // Only numbers changed (seeds, starts, lengths, actions, steps): most parse.
            mutate_numbers(&good, &numbers).into_bytes()
        };
        if let Ok(file) = LabelsFile::parse(&b) {
            let mut t = Trainer::new(preference_config("you"), &cpu()).unwrap();
            if let Ok(n) = t.import_labels(&file)
                && n > 0
            {
                // The imported labels are the first round: train on them.
                let _ = t.step_slice(64);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// 4. Experiment configs: presets and lessons, mutated.

fn config_texts() -> &'static [String] {
    static C: OnceLock<Vec<String>> = OnceLock::new();
    C.get_or_init(|| {
        let mut texts: Vec<String> = ExperimentConfig::preset_ids()
            .map(|id| ExperimentConfig::preset(id).unwrap().to_json())
            .collect();
        texts.push(
            ExperimentConfig::preset("Grid-LavaCrossing-v0")
                .unwrap()
                .to_json(),
        );
        for (id, text) in LESSONS {
            ExperimentConfig::lesson(id).unwrap();
            texts.push((*text).to_string());
        }
        texts
    })
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn mutated_configs_do_not_panic(
        which in any::<Index>(),
        edits in json_edits(4),
        bytes in prop::collection::vec(byte_edit(), 0..2),
    ) {
        let texts = config_texts();
        let text = mutate_json(&texts[which.index(texts.len())], &edits);
        let mut b = text.into_bytes();
        apply_bytes(&mut b, &bytes);
        let _ = ExperimentConfig::from_json(&text_of(&b));
    }

    #[test]
    fn any_lesson_id_does_not_panic(id in ".{0,40}") {
        let _ = ExperimentConfig::lesson(&id);
        let _ = ExperimentConfig::preset(&id);
    }
}

proptest! {
    // A valid mutated config must also make a run (envs and networks built from it).
    #![proptest_config(config(64))]

    #[test]
    fn mutated_configs_that_validate_make_a_run(
        which in any::<Index>(),
        edits in json_edits(2),
    ) {
        let texts = config_texts();
        let text = mutate_json(&texts[which.index(texts.len())], &edits);
        if let Ok(c) = ExperimentConfig::from_json(&text) {
            let _ = Trainer::new(c, &cpu());
        }
    }
}

// ---------------------------------------------------------------------------------------
// 5. Grid maps.

fn map_line() -> impl Strategy<Value = String> {
    let header = (
        prop::sample::select(vec![
            "name",
            "max_steps",
            "reward_threshold",
            "nam",
            "",
            " max_steps",
        ]),
        prop_oneof![
            Just(String::new()),
            Just("0".to_string()),
            Just("-1".to_string()),
            Just("4294967296".to_string()),
            Just("99999999999999999999999".to_string()),
            Just("NaN".to_string()),
            Just("inf".to_string()),
            Just("1e309".to_string()),
            Just("0.9".to_string()),
            "[ -~]{0,12}",
        ],
    )
        .prop_map(|(k, v)| format!("{k}:{v}"));
    let row = prop::collection::vec(
        prop::sample::select(vec![
            '#', '.', 'G', '>', '<', '^', 'v', 'K', 'D', 'L', '~', 'x', ' ', 'é',
        ]),
        0..14,
    )
    .prop_map(|cs| cs.into_iter().collect::<String>());
    prop_oneof![
        2 => header,
        6 => row,
        1 => Just(String::new()),
        1 => Just("// a comment".to_string()),
        1 => ".{0,10}",
    ]
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn random_map_text_does_not_panic(lines in prop::collection::vec(map_line(), 0..14)) {
        let text = lines.join("\n");
        if let Ok(map) = parse_map(&text) {
            assert!(map.width() > 0 && map.height() > 0);
        }
    }

    #[test]
    fn mutated_builtin_maps_do_not_panic(
        which in any::<Index>(),
        edits in prop::collection::vec(byte_edit(), 1..6),
    ) {
        let maps = rlaif::env::grid::BUILTIN_MAPS;
        let mut b = maps[which.index(maps.len())].1.as_bytes().to_vec();
        apply_bytes(&mut b, &edits);
        let text = text_of(&b);
        if let Ok(mut world) = rlaif::env::grid::GridWorld::from_map_text(&text) {
            use rlaif::env::Env;
            let mut obs = vec![0.0; rlaif::env::grid::OBS_DIM];
            world.reset(Some(0), &mut obs);
            for a in 0..rlaif::env::grid::N_ACTIONS {
                let _ = world.step(rlaif::env::Action::Discrete(a), &mut obs);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// 6. Replay input.

fn replay_inputs() -> Vec<String> {
    let mut out = Vec::new();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/classic");
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    names.sort();
    // One fixture per env is enough.
    let mut seen = std::collections::BTreeSet::new();
    for path in names {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let input = &v["input"];
        let env = input["env_id"].as_str().unwrap_or_default().to_string();
        if seen.insert(env) {
            out.push(input.to_string());
        }
    }
    out.push(r#"{"env_id": "Grid-Empty-8x8-v0", "state": [], "actions": [2, 2, 1]}"#.into());
    out
}

fn replay_fixtures() -> &'static [String] {
    static R: OnceLock<Vec<String>> = OnceLock::new();
    R.get_or_init(replay_inputs)
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn random_text_does_not_panic_replay(text in ".{0,200}") {
        let _ = rlaif::replay::replay(&text, &mut Vec::new());
    }

    #[test]
    fn mutated_replay_inputs_do_not_panic(
        which in any::<Index>(),
        edits in json_edits(3),
        bytes in prop::collection::vec(byte_edit(), 0..2),
    ) {
        let inputs = replay_fixtures();
        let text = mutate_json(&inputs[which.index(inputs.len())], &edits);
        let mut b = text.into_bytes();
        apply_bytes(&mut b, &bytes);
        let _ = rlaif::replay::replay(&text_of(&b), &mut Vec::new());
    }
}
