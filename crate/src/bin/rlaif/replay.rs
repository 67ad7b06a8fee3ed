//! `rlaif replay FILE`: the conformance interface against Gymnasium reference trajectories.

use std::io::{BufWriter, Read, Write};

pub fn run(file: &str) -> Result<(), String> {
    let input = if file == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        text
    } else {
        std::fs::read_to_string(file).map_err(|e| format!("cannot read {file}: {e}"))?
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    rlaif::replay::replay(&input, &mut out).map_err(|e| e.to_string())?;
    out.flush().map_err(|e| format!("cannot write output: {e}"))
}
