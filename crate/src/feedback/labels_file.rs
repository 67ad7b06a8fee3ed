//! Labels as data: a run's preference labels, each with its two segments as seeds and
//! actions, its answer, its source and when it was given, as one JSON file.
//!
//! ```json
//! { "format": "rlaif-labels", "version": 1, "env_id": "MiniGrid-…",
//!   "labels": [ { "left":  { "seed": 7, "start": 0, "len": 25, "actions": [2, 2, 0, …] },
//!                 "right": { "seed": 9, "start": 30, "len": 25, "actions": [ … ] },
//!                 "answer": "left", "source": "you", "at_step": 2048 } ] }
//! ```
//!
//! A segment replays in a fresh env of `env_id`: reset with `seed`, send `actions` (from
//! the episode's first step to the segment's last), and the segment is steps
//! `start..start + len`. `answer` is `left`, `right`, `equal` or `skip`; `source` is `you`
//! or `ai`; `at_step` is the run's env steps when the label was given.

use super::preference::LabelRecord;
use serde::{Deserialize, Serialize};
use std::io::Read;

/// The `format` field's value.
pub const LABELS_FORMAT: &str = "rlaif-labels";
/// The format's version this build reads and writes.
pub const LABELS_VERSION: u32 = 1;
/// Larger files are refused while reading, before they are held whole.
pub const MAX_LABELS_FILE_BYTES: u64 = 64 << 20;
/// Labels in one file at most.
pub const MAX_LABELS: usize = 100_000;

#[derive(Debug, thiserror::Error)]
pub enum LabelsFileError {
    #[error("labels file: {0}")]
    Io(#[from] std::io::Error),
    #[error("labels file is over {} MiB", MAX_LABELS_FILE_BYTES >> 20)]
    TooLarge,
    #[error("labels file is not valid: {0}")]
    Json(#[from] serde_json::Error),
    #[error("labels file: {0}")]
    Invalid(String),
}

/// A labels file (see the module docs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelsFile {
    pub format: String,
    pub version: u32,
    pub env_id: String,
    pub labels: Vec<LabelRecord>,
}

impl LabelsFile {
    pub fn new(env_id: &str, labels: Vec<LabelRecord>) -> Self {
        Self {
            format: LABELS_FORMAT.into(),
            version: LABELS_VERSION,
            env_id: env_id.into(),
            labels,
        }
    }

    pub fn to_json(&self) -> String {
        // Plain data of strings, integers and finite floats always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a file from `reader`, at most [`MAX_LABELS_FILE_BYTES`], and checks it.
    pub fn read(reader: impl Read) -> Result<Self, LabelsFileError> {
        use crate::input::{InputError, read_capped};
        let bytes =
            read_capped(reader, MAX_LABELS_FILE_BYTES, "labels file").map_err(|e| match e {
                InputError::Io { source, .. } => LabelsFileError::Io(source),
                InputError::TooLarge { .. } => LabelsFileError::TooLarge,
                other => LabelsFileError::Invalid(other.to_string()),
            })?;
        Self::parse(&bytes)
    }

    /// Parses and checks a file's bytes: its format and version, and that every segment is
    /// whole (it names at least one step, and its actions reach its end).
    pub fn parse(bytes: &[u8]) -> Result<Self, LabelsFileError> {
        if bytes.len() as u64 > MAX_LABELS_FILE_BYTES {
            return Err(LabelsFileError::TooLarge);
        }
        let file: LabelsFile = serde_json::from_slice(bytes)?;
        let bad = |msg: String| Err(LabelsFileError::Invalid(msg));
        if file.format != LABELS_FORMAT {
            return bad(format!(
                "format is {:?}, expected {LABELS_FORMAT:?}",
                file.format.chars().take(40).collect::<String>()
            ));
        }
        if file.version != LABELS_VERSION {
            return bad(format!(
                "version {} is not one this build reads ({LABELS_VERSION})",
                file.version
            ));
        }
        if file.labels.len() > MAX_LABELS {
            return bad(format!(
                "{} labels, more than the {MAX_LABELS} a file may hold",
                file.labels.len()
            ));
        }
        for (k, label) in file.labels.iter().enumerate() {
            for (side, seg) in [("left", &label.left), ("right", &label.right)] {
                let end = seg.start.checked_add(seg.len);
                if seg.len == 0 || end.is_none_or(|end| seg.actions.len() < end) {
                    return bad(format!(
                        "label {k}: the {side} segment (steps {} to {} of its episode) is not \
                         covered by its {} actions",
                        seg.start,
                        seg.start.saturating_add(seg.len),
                        seg.actions.len()
                    ));
                }
                if seg.actions.iter().any(|a| !a.is_finite()) {
                    return bad(format!(
                        "label {k}: the {side} segment has a non-finite action"
                    ));
                }
            }
            if label.left.len != label.right.len {
                return bad(format!(
                    "label {k}: its segments have {} and {} steps; a pair's are equally long",
                    label.left.len, label.right.len
                ));
            }
        }
        Ok(file)
    }
}
