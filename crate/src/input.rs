//! Files people make and pass around, read with their size cap applied while reading: an
//! oversize (or endless) input is refused before it is held in memory, not after.

use std::io::Read;

/// Checkpoints larger than this are refused, and none larger is written (1 GiB: a rollout
/// buffer holds at most `MAX_ROLLOUT_FLOATS` floats, 256 MiB).
pub const MAX_CHECKPOINT_BYTES: u64 = 1 << 30;
/// Experiment configs, presets and lessons (1 MiB; a preset is about 1 KiB).
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;
/// `rlaif replay` input (64 MiB).
pub const MAX_REPLAY_BYTES: u64 = 64 << 20;
/// Demonstrations files (see [`crate::feedback::demos::MAX_BYTES`]).
pub const MAX_DEMOS_BYTES: u64 = crate::feedback::demos::MAX_BYTES as u64;
/// Labels files (see [`crate::feedback::labels_file::MAX_LABELS_FILE_BYTES`]).
pub const MAX_LABELS_BYTES: u64 = crate::feedback::labels_file::MAX_LABELS_FILE_BYTES;

/// Why an input was not read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot read {what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("{what} is larger than {} (at most {} bytes are read)", mib(*max), max)]
    TooLarge { what: String, max: u64 },
    #[error("{what} is not UTF-8 text")]
    NotText { what: String },
}

fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes >> 20)
}

/// Reads `reader` (named `what` in errors) to its end, refusing it once it passes `max` bytes.
pub fn read_capped(reader: impl Read, max: u64, what: &str) -> Result<Vec<u8>, InputError> {
    let mut bytes = Vec::new();
    reader
        .take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|source| InputError::Io {
            what: what.into(),
            source,
        })?;
    if bytes.len() as u64 > max {
        return Err(InputError::TooLarge {
            what: what.into(),
            max,
        });
    }
    Ok(bytes)
}

/// [`read_capped`] of a text input.
pub fn read_capped_text(reader: impl Read, max: u64, what: &str) -> Result<String, InputError> {
    String::from_utf8(read_capped(reader, max, what)?)
        .map_err(|_| InputError::NotText { what: what.into() })
}

/// [`read_capped`] of the file at `path`.
pub fn read_file(path: &str, max: u64) -> Result<Vec<u8>, InputError> {
    let file = std::fs::File::open(path).map_err(|source| InputError::Io {
        what: path.into(),
        source,
    })?;
    read_capped(file, max, path)
}

/// [`read_capped_text`] of the file at `path`.
pub fn read_text_file(path: &str, max: u64) -> Result<String, InputError> {
    String::from_utf8(read_file(path, max)?).map_err(|_| InputError::NotText { what: path.into() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_input_at_the_cap_is_read_and_one_byte_more_is_refused() {
        let at_cap = [b'x'; 100];
        assert_eq!(read_capped(&at_cap[..], 100, "input").unwrap().len(), 100);
        let over = [b'x'; 101];
        let e = read_capped(&over[..], 100, "the file").unwrap_err();
        assert!(matches!(e, InputError::TooLarge { max: 100, .. }));
        assert!(e.to_string().starts_with("the file is larger than"));
    }

    #[test]
    fn an_endless_input_stops_at_the_cap() {
        let e = read_capped(std::io::repeat(0), 1 << 16, "standard input").unwrap_err();
        assert!(matches!(e, InputError::TooLarge { .. }));
    }

    #[test]
    fn text_that_is_not_utf8_is_refused_by_name() {
        let e = read_capped_text(&[0xff, 0xfe][..], 10, "map.txt").unwrap_err();
        assert_eq!(e.to_string(), "map.txt is not UTF-8 text");
    }
}
