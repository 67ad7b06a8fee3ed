//! Messages between the page and the worker (plain JS objects).
//!
//! Page to worker:
//! - `{ type: "run", config?, demos?, baseline, updates }`: with `config` (an `ExperimentConfig`
//!   as JSON) a new session starts, replacing the old one; without it the current session goes
//!   on. A config whose teacher is `demo:NAME` comes with `demos`, the demonstrations file's
//!   JSON text, which the teacher is learned from before training starts.
//!   `baseline: true` races a second trainer, the same config without feedback, in the same
//!   worker; `raceAi: true` (preference mode, labels from a person) races a third, the same
//!   config labelled by the AI labeler alone. The run ends after `updates` more PPO updates, at the end of the run, or on `pause`.
//! - `{ type: "pause" }`: the run ends after its current slice; the session is kept.
//! - `{ type: "reset" }`: forgets the session.
//! - `{ type: "export" }`: the session's run as checkpoint bytes (between runs; from WebGPU
//!   without Adam's moments).
//! - `{ type: "import", bytes, baseline?, demos? }`: a new session continuing the run in
//!   checkpoint `bytes` (a `Uint8Array`; with `baseline`, its racing baseline's snapshot, as a
//!   WebGPU worker's `snapshot` message gives them; without it, no baseline; with `demos`, the
//!   demonstrations file's text that a `demo:` teacher is learned from again).
//! - `{ type: "answer", session, id, answer }`: a person's answer (`left`, `right`, `equal`
//!   or `skip`) to query `id` of session `session` (preference mode, labels from a person).
//!   Accepted while a run is in progress too: it is applied before the run's next slice, in
//!   the order given, and never to another session than the one that asked.
//! - `{ type: "labels" }`: the session's labels so far, as a labels file (between runs).
//! - `{ type: "import-labels", json }`: adds a labels file's labels to the session (between
//!   runs); all of them, or none with an error.
//! - `{ type: "bench", config, updates }`: ms per update of `config` (an `ExperimentConfig` as
//!   JSON) on each backend this worker has, over `updates` (1 to 20) timed updates after an
//!   untimed one (see [`crate::bench`]); between runs, leaving the session as it is.
//! - `{ type: "panic" }`: panics on purpose. The page never sends it; the browser tests do,
//!   to check that a crash ends in a message and a kept run.
//!
//! Files are refused over their caps (`rlaif::input`) before they are copied into the worker.
//!
//! Worker to page: `ready`, `device` (backend and device name), `status` (text to show),
//! `exported` (`bytes`, `envId`, `envSteps`, `optimizer`: whether Adam's state is in), `imported` (`config` JSON and the run's totals),
//! `snapshot` (`bytes`, `baseline` when one races, `envSteps`: the run to continue on a fresh
//! CPU worker should this one fail or crash; posted after the first update, then every few
//! seconds, and when a run ends),
//! `answered` (`id`, `answer`, and the AI labeler's verdict `ai` and the reward model's
//! `P(left > right)` `model` when the pair was asked; or `refused`, why it was not applied),
//! `queue` (the queue fields of `metrics`, after answers were applied), `labels` (`json`: a
//! labels file), `labels-imported` (`count`), `bench` (`cpuMs` and `gpuMs`, or `cpuError` and `gpuError`
//! saying why one was not measured),
//! `metrics` (`session`: the session's number, which answers name; `run` and, when racing,
//! `baseline` and `aiRace`: totals (`threshold`, the env's reward threshold, and `solvedAt`,
//! the env steps at which the mean return first reached it, among them), means, new curve points and the
//! latest finished episode of any env as `episode: { number, seed (BigInt), actions,
//! episodeReturn }`, sent once, for the page to replay; feedback
//! runs add `aiCurve`, `labelsUsed`, `labelerAccuracy` and `rewardModelAccuracy`, which
//! the page draws when present; with labels from a person, `labelsYou`, `queries` (the
//! queries asked since the last message: `{ id, askedAt, left, right }`, each side
//! `{ seed (BigInt), start, len, actions }`, the actions from the episode's first step),
//! `queueIds` (the ids still waiting), `waiting` (`{ given, needed }` while the run waits for
//! its first labels), `youVsAi` and `youVsModel` (`[agreed, compared]`)); preference runs
//! add `aiVsModel` (`[agreed, compared]`: the reward model's predictions of the AI's labels
//! before it trained on them) and `frozen` (the reward model trains no more), `done` (`reason`:
//! finished, paused or stepped) and `error` (`stage`: request, config, device, train, export,
//! import, labels, or crash: the worker panicked and is unusable, `message` says why).

use js_sys::{Object, Reflect};
use rlaif::feedback::preference::Answer;
use rlaif::input::{MAX_CHECKPOINT_BYTES, MAX_CONFIG_BYTES, MAX_DEMOS_BYTES, MAX_LABELS_BYTES};
use wasm_bindgen::prelude::*;
use web_sys::DedicatedWorkerGlobalScope;

pub struct RunRequest {
    /// A new session's config, as JSON; `None` continues the current session.
    pub config: Option<String>,
    /// Demonstrations (a `rlaif-demos` JSON file's text) for a `demo:` teacher.
    pub demos: Option<String>,
    /// Race a baseline without feedback alongside (new sessions only).
    pub baseline: bool,
    /// Preference mode with labels from a person: race a third trainer, the same config
    /// with the AI labeler's labels, alongside (new sessions only).
    pub race_ai: bool,
    /// PPO updates (of the main run) before this request ends.
    pub updates: u64,
}

pub enum Request {
    Run(RunRequest),
    /// A person's answer to query `id` of session `session`.
    Answer {
        session: u32,
        id: u64,
        answer: Answer,
    },
    Labels,
    ImportLabels(String),
    Pause,
    Reset,
    Export,
    /// Panics on purpose (see the module docs).
    Panic,
    /// Times `updates` updates of a config (JSON) on each of this worker's backends.
    Bench {
        config: String,
        updates: u32,
    },
    /// Checkpoint bytes to continue, its baseline's, and the demonstrations its teacher is
    /// learned from (a `demo:` teacher is not in the checkpoint).
    Import {
        bytes: Vec<u8>,
        baseline: Option<Vec<u8>>,
        demos: Option<String>,
    },
}

impl Request {
    /// Reads a message from the page; anything malformed is an error message, not a panic.
    pub fn parse(data: &JsValue) -> Result<Request, String> {
        let field = |name: &str| Reflect::get(data, &JsValue::from_str(name)).ok();
        let kind = field("type").and_then(|v| v.as_string());
        match kind.as_deref() {
            Some("pause") => Ok(Request::Pause),
            Some("panic") => Ok(Request::Panic),
            Some("reset") => Ok(Request::Reset),
            Some("export") => Ok(Request::Export),
            Some("labels") => Ok(Request::Labels),
            Some("import-labels") => text(
                field("json"),
                MAX_LABELS_BYTES,
                "import-labels: json",
                "labels file",
            )?
            .map(Request::ImportLabels)
            .ok_or_else(|| "import-labels: json must be a string".into()),
            Some("answer") => {
                let whole = |name: &str| {
                    field(name)
                        .and_then(|v| v.as_f64())
                        .filter(|x| x.fract() == 0.0 && *x >= 0.0 && *x < 2f64.powi(53))
                };
                let session = whole("session")
                    .filter(|x| *x <= f64::from(u32::MAX))
                    .ok_or("answer: session must be a whole number")?;
                let id = whole("id").ok_or("answer: id must be a whole number")?;
                let answer = field("answer")
                    .and_then(|v| v.as_string())
                    .ok_or("answer: answer must be a string")?;
                Ok(Request::Answer {
                    session: session as u32,
                    id: id as u64,
                    answer: Answer::parse(&answer).map_err(|e| format!("answer: {e}"))?,
                })
            }
            Some("import") => {
                let bytes = checkpoint(field("bytes"), "import: bytes")?
                    .ok_or("import: bytes must be a Uint8Array")?;
                let baseline = checkpoint(field("baseline"), "import: baseline")?;
                let demos = text(
                    field("demos"),
                    MAX_DEMOS_BYTES,
                    "import: demos",
                    "demonstrations file",
                )?;
                Ok(Request::Import {
                    bytes,
                    baseline,
                    demos,
                })
            }
            Some("bench") => {
                let config = text(field("config"), MAX_CONFIG_BYTES, "bench: config", "config")?
                    .ok_or("bench: config must be a JSON string")?;
                let updates = field("updates")
                    .and_then(|v| v.as_f64())
                    .filter(|x| x.fract() == 0.0 && (1.0..=20.0).contains(x))
                    .ok_or("bench: updates must be a whole number from 1 to 20")?;
                Ok(Request::Bench {
                    config,
                    updates: updates as u32,
                })
            }
            Some("run") => {
                let config = match field("config") {
                    Some(v) if v.is_undefined() || v.is_null() => None,
                    Some(v) => Some(v.as_string().ok_or("run: config must be a JSON string")?),
                    None => None,
                };
                let demos = text(
                    field("demos"),
                    MAX_DEMOS_BYTES,
                    "run: demos",
                    "demonstrations file",
                )?;
                let updates = field("updates")
                    .and_then(|v| v.as_f64())
                    .filter(|x| *x >= 1.0)
                    .ok_or("run: updates must be a number of at least 1")?;
                Ok(Request::Run(RunRequest {
                    config,
                    demos,
                    baseline: field("baseline").is_some_and(|v| v.is_truthy()),
                    race_ai: field("raceAi").is_some_and(|v| v.is_truthy()),
                    // Infinity (play until paused) saturates.
                    updates: updates as u64,
                }))
            }
            _ => Err(
                "unknown message: expected type 'run', 'pause', 'reset', 'export', 'import', \
                 'answer', 'labels', 'import-labels', 'bench' or 'panic'"
                    .into(),
            ),
        }
    }
}

/// A checkpoint field: absent, or a `Uint8Array` of at most [`MAX_CHECKPOINT_BYTES`], copied.
fn checkpoint(value: Option<JsValue>, name: &str) -> Result<Option<Vec<u8>>, String> {
    match value {
        None => Ok(None),
        Some(v) if v.is_undefined() || v.is_null() => Ok(None),
        Some(v) if v.is_instance_of::<js_sys::Uint8Array>() => {
            let array = js_sys::Uint8Array::new(&v);
            if u64::from(array.length()) > MAX_CHECKPOINT_BYTES {
                return Err(format!(
                    "the checkpoint is {} bytes, more than the {MAX_CHECKPOINT_BYTES} a \
                     checkpoint may be",
                    array.length()
                ));
            }
            Ok(Some(array.to_vec()))
        }
        Some(_) => Err(format!("{name} must be a Uint8Array")),
    }
}

/// A text field: absent, or a string of at most `max` bytes (refused by its UTF-16 length
/// before it is copied; the reader checks the UTF-8 bytes again).
fn text(
    value: Option<JsValue>,
    max: u64,
    name: &str,
    file: &str,
) -> Result<Option<String>, String> {
    match value {
        None => Ok(None),
        Some(v) if v.is_undefined() || v.is_null() => Ok(None),
        Some(v) => {
            let s = v
                .dyn_into::<js_sys::JsString>()
                .map_err(|_| format!("{name} must be a JSON string"))?;
            if u64::from(s.length()) > max {
                return Err(format!("the {file} is larger than {} MiB", max >> 20));
            }
            Ok(Some(String::from(s)))
        }
    }
}

/// A plain JS object with these fields.
pub fn object(fields: &[(&str, JsValue)]) -> Object {
    let obj = Object::new();
    for (key, value) in fields {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&obj, &JsValue::from_str(key), value);
    }
    obj
}

/// Posts `{ key: value, ... }` to the page.
pub fn post(fields: &[(&str, JsValue)]) {
    post_object(&object(fields));
}

/// Posts a message built with [`object`].
pub fn post_object(message: &Object) {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    // Posting plain objects and typed arrays cannot fail to clone.
    let _ = scope.post_message(message);
}
