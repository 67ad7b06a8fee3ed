//! Board games: a 3x3 board is drawn as Tic-tac-toe (X and O), any other size as a Connect
//! Four-style rack of discs. The last move is highlighted and a caption names the learner and
//! the outcome.

use super::Pen;
use wasm_bindgen::JsValue;

const P1: &str = "#d62839";
const P2_DISC: &str = "#f4c430";
const P2_MARK: &str = "#00798c";
const RACK: &str = "#1d4e89";
const INK: &str = "#222222";

/// A board scene, gathered so the drawing takes one argument.
pub struct BoardView<'a> {
    pub rows: usize,
    pub cols: usize,
    pub cells: &'a [u8],
    pub learner: u8,
    pub last_move: Option<usize>,
    pub outcome: Option<u8>,
}

/// How pieces look, which also names the players in the caption.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Marks,
    Discs,
}

impl Style {
    pub fn of(rows: usize, cols: usize) -> Self {
        if rows == 3 && cols == 3 {
            Style::Marks
        } else {
            Style::Discs
        }
    }

    fn name(self, player: u8) -> &'static str {
        match (self, player) {
            (Style::Marks, 1) => "X",
            (Style::Marks, _) => "O",
            (Style::Discs, 1) => "Red",
            (Style::Discs, _) => "Yellow",
        }
    }
}

/// The line under the board: who the learner is while playing, then who won.
pub fn caption(style: Style, learner: u8, outcome: Option<u8>) -> String {
    let me = style.name(learner);
    match outcome {
        None => format!("Learner plays {me}"),
        Some(0) => "Draw".to_string(),
        Some(p) if p == learner => format!("Learner ({me}) wins"),
        Some(p) => format!("Opponent ({}) wins", style.name(p)),
    }
}

pub fn board(pen: &Pen, b: &BoardView<'_>) -> Result<(), JsValue> {
    if b.rows == 0 || b.cols == 0 {
        return Ok(());
    }
    let style = Style::of(b.rows, b.cols);
    let caption_h = (pen.h * 0.1).clamp(16.0, 40.0);
    let cell = (pen.w / b.cols as f64).min((pen.h - caption_h) / b.rows as f64) * 0.9;
    let x0 = (pen.w - cell * b.cols as f64) / 2.0;
    let y0 = (pen.h - caption_h - cell * b.rows as f64) / 2.0;
    let centre = |i: usize| {
        let (r, c) = (i / b.cols, i % b.cols);
        (x0 + (c as f64 + 0.5) * cell, y0 + (r as f64 + 0.5) * cell)
    };
    let n = b.rows * b.cols;
    let cell_of = |i: usize| b.cells.get(i).copied().unwrap_or(0);
    match style {
        Style::Marks => {
            if let Some(m) = b.last_move.filter(|&m| m < n) {
                let (cx, cy) = centre(m);
                pen.rect(cx - cell / 2.0, cy - cell / 2.0, cell, cell, "#fff1b8");
            }
            let w = (cell * 0.04).max(2.0);
            for k in 1..b.cols {
                let x = x0 + k as f64 * cell;
                pen.line((x, y0), (x, y0 + cell * b.rows as f64), w, INK);
            }
            for k in 1..b.rows {
                let y = y0 + k as f64 * cell;
                pen.line((x0, y), (x0 + cell * b.cols as f64, y), w, INK);
            }
            for i in 0..n {
                let (cx, cy) = centre(i);
                let r = cell * 0.3;
                match cell_of(i) {
                    1 => {
                        pen.line((cx - r, cy - r), (cx + r, cy + r), cell * 0.09, P1);
                        pen.line((cx - r, cy + r), (cx + r, cy - r), cell * 0.09, P1);
                    }
                    2 => pen.ring(cx, cy, r, cell * 0.09, P2_MARK)?,
                    _ => {}
                }
            }
        }
        Style::Discs => {
            pen.rect(x0, y0, cell * b.cols as f64, cell * b.rows as f64, RACK);
            for i in 0..n {
                let (cx, cy) = centre(i);
                let colour = match cell_of(i) {
                    1 => P1,
                    2 => P2_DISC,
                    _ => super::BACKGROUND,
                };
                pen.circle(cx, cy, cell * 0.4, colour)?;
            }
            if let Some(m) = b.last_move.filter(|&m| m < n) {
                let (cx, cy) = centre(m);
                pen.ring(cx, cy, cell * 0.26, (cell * 0.07).max(2.0), "#ffffff")?;
            }
        }
    }
    let text = caption(style, b.learner, b.outcome);
    let colour = match b.outcome {
        Some(p) if p != 0 && p != b.learner => P1,
        Some(p) if p == b.learner => "#2e7d32",
        _ => INK,
    };
    pen.text(
        &text,
        (pen.w / 2.0, pen.h - caption_h / 2.0),
        caption_h * 0.6,
        colour,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_by_three_is_tic_tac_toe() {
        assert_eq!(Style::of(3, 3), Style::Marks);
        assert_eq!(Style::of(6, 7), Style::Discs);
    }

    #[test]
    fn caption_names_learner_and_outcome() {
        assert_eq!(caption(Style::Marks, 1, None), "Learner plays X");
        assert_eq!(caption(Style::Marks, 2, None), "Learner plays O");
        assert_eq!(caption(Style::Discs, 2, Some(2)), "Learner (Yellow) wins");
        assert_eq!(caption(Style::Discs, 2, Some(1)), "Opponent (Red) wins");
        assert_eq!(caption(Style::Marks, 1, Some(0)), "Draw");
    }
}
