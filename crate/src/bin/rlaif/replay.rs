//! `rlaif replay FILE`: the conformance interface against Gymnasium reference trajectories.

use std::io::{BufWriter, Write};

pub fn run(file: &str) -> Result<(), String> {
    use rlaif::input::{MAX_REPLAY_BYTES, read_capped_text, read_text_file};
    let input = if file == "-" {
        read_capped_text(std::io::stdin().lock(), MAX_REPLAY_BYTES, "standard input")
    } else {
        read_text_file(file, MAX_REPLAY_BYTES)
    }
    .map_err(|e| e.to_string())?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    rlaif::replay::replay(&input, &mut out).map_err(|e| e.to_string())?;
    out.flush().map_err(|e| format!("cannot write output: {e}"))
}
