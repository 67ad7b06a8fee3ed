//! Grid worlds: tiles in MiniGrid's colours and the agent as a triangle facing its way.

use super::Pen;
use rlaif::env::render::Tile;
use wasm_bindgen::JsValue;

const FLOOR: &str = "#f3f1e8";
const LINE: &str = "#d6d1c0";
const WALL: &str = "#7d7d7d";
const GOAL: &str = "#3fae49";
const LAVA: &str = "#ef7d22";
const LAVA_WAVE: &str = "#b84c12";
const KEY: &str = "#e3b505";
const DOOR: &str = "#9a6a3a";
const LOCKED: &str = "#c9a227";
const AGENT: &str = "#d1283a";

/// A grid scene, gathered so the drawing takes one argument.
pub struct GridView<'a> {
    pub width: usize,
    pub height: usize,
    pub tiles: &'a [Tile],
    pub agent: (usize, usize),
    pub dir: u8,
    pub carrying_key: bool,
    /// A teacher's value per cell, drawn as a heatmap (see [`heat_colour`]).
    pub cell_values: Option<&'a [Option<f64>]>,
}

/// Heatmap colour of a value `t` in [0, 1] of the map's range: red (worst) through yellow to
/// green (best), see-through so the tiles show.
pub fn heat_colour(t: f64) -> String {
    let hue = 120.0 * t.clamp(0.0, 1.0);
    format!("hsla({hue:.0}, 75%, 48%, 0.42)")
}

/// `value` placed in the map's `[lo, hi]` range (the middle when the range is a point).
pub fn heat_position(value: f64, lo: f64, hi: f64) -> f64 {
    if hi > lo {
        (value - lo) / (hi - lo)
    } else {
        0.5
    }
}

/// The agent's triangle in cell units (0..1, y down), pointing right for 0, down for 1, left
/// for 2 and up for 3 (MiniGrid's directions).
pub fn agent_triangle(dir: u8) -> [(f64, f64); 3] {
    let right = [(0.86, 0.5), (0.18, 0.2), (0.18, 0.8)];
    right.map(|(x, y)| {
        let (mut dx, mut dy) = (x - 0.5, y - 0.5);
        // Each quarter turn is clockwise on screen: right -> down -> left -> up.
        for _ in 0..dir % 4 {
            (dx, dy) = (-dy, dx);
        }
        (0.5 + dx, 0.5 + dy)
    })
}

pub fn grid(pen: &Pen, g: &GridView<'_>) -> Result<(), JsValue> {
    if g.width == 0 || g.height == 0 {
        return Ok(());
    }
    let cell = (pen.w / g.width as f64).min(pen.h / g.height as f64);
    let x0 = (pen.w - cell * g.width as f64) / 2.0;
    let y0 = (pen.h - cell * g.height as f64) / 2.0;
    let at = |cx: usize, cy: usize, u: f64, v: f64| {
        (x0 + (cx as f64 + u) * cell, y0 + (cy as f64 + v) * cell)
    };
    for cy in 0..g.height {
        for cx in 0..g.width {
            let tile = g
                .tiles
                .get(cy * g.width + cx)
                .copied()
                .unwrap_or(Tile::Floor);
            let (x, y) = at(cx, cy, 0.0, 0.0);
            tile_at(pen, tile, x, y, cell)?;
        }
    }
    if let Some(values) = g.cell_values {
        let known = values.iter().flatten().copied().filter(|v| v.is_finite());
        let (lo, hi) = known.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        for (i, value) in values.iter().enumerate().take(g.width * g.height) {
            if let Some(v) = value.filter(|v| v.is_finite()) {
                let (x, y) = at(i % g.width, i / g.width, 0.0, 0.0);
                pen.rect(x, y, cell, cell, &heat_colour(heat_position(v, lo, hi)));
            }
        }
    }
    let (ax, ay) = g.agent;
    if ax < g.width && ay < g.height {
        let tri = agent_triangle(g.dir).map(|(u, v)| at(ax, ay, u, v));
        pen.polygon(&tri, AGENT);
        if g.carrying_key {
            let (x, y) = at(ax, ay, 0.62, 0.04);
            key(pen, x, y, cell * 0.34)?;
        }
    }
    Ok(())
}

/// One tile whose top-left corner is `(x, y)`.
fn tile_at(pen: &Pen, tile: Tile, x: f64, y: f64, s: f64) -> Result<(), JsValue> {
    pen.rect(x, y, s, s, FLOOR);
    match tile {
        Tile::Floor => {}
        Tile::Wall => pen.rect(x, y, s, s, WALL),
        Tile::Goal => pen.rect(x + s * 0.04, y + s * 0.04, s * 0.92, s * 0.92, GOAL),
        Tile::Lava => {
            pen.rect(x, y, s, s, LAVA);
            for row in [0.3, 0.5, 0.7] {
                let wave: Vec<(f64, f64)> = (0..=4)
                    .map(|i| {
                        let u = 0.15 + 0.175 * i as f64;
                        let v = row + if i % 2 == 0 { -0.05 } else { 0.05 };
                        (x + u * s, y + v * s)
                    })
                    .collect();
                pen.polyline(&wave, (s * 0.04).max(1.0), LAVA_WAVE);
            }
        }
        Tile::Key => key(pen, x + s * 0.15, y + s * 0.15, s * 0.7)?,
        Tile::Door { open: true, .. } => pen.rect_outline(
            x + 1.5,
            y + 1.5,
            s - 3.0,
            s - 3.0,
            (s * 0.06).max(1.5),
            DOOR,
        ),
        Tile::Door { locked, .. } => {
            let fill = if locked { LOCKED } else { DOOR };
            pen.rect(x + s * 0.04, y + s * 0.04, s * 0.92, s * 0.92, fill);
            pen.rect_outline(
                x + s * 0.12,
                y + s * 0.12,
                s * 0.76,
                s * 0.76,
                (s * 0.04).max(1.0),
                "#4a3520",
            );
            if locked {
                // A keyhole.
                pen.circle(x + s * 0.5, y + s * 0.44, s * 0.08, "#2b2b2b")?;
                pen.rect(x + s * 0.47, y + s * 0.44, s * 0.06, s * 0.2, "#2b2b2b");
            } else {
                pen.circle(x + s * 0.72, y + s * 0.5, s * 0.06, "#2b2b2b")?;
            }
        }
    }
    pen.rect_outline(x, y, s, s, 1.0, LINE);
    Ok(())
}

/// A key icon filling the `s` x `s` square whose top-left corner is `(x, y)`.
fn key(pen: &Pen, x: f64, y: f64, s: f64) -> Result<(), JsValue> {
    let (bx, by) = (x + s * 0.28, y + s * 0.5);
    pen.circle(bx, by, s * 0.22, KEY)?;
    pen.circle(bx, by, s * 0.09, FLOOR)?;
    let w = (s * 0.1).max(1.0);
    pen.line((bx + s * 0.2, by), (x + s * 0.95, by), w, KEY);
    pen.line((x + s * 0.8, by), (x + s * 0.8, by + s * 0.18), w, KEY);
    pen.line((x + s * 0.66, by), (x + s * 0.66, by + s * 0.14), w, KEY);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tip(dir: u8) -> (f64, f64) {
        agent_triangle(dir)[0]
    }

    #[test]
    fn triangle_points_the_agents_way() {
        // 0 right, 1 down (canvas y grows downwards), 2 left, 3 up.
        let (x, y) = tip(0);
        assert!(x > 0.8 && (y - 0.5).abs() < 1e-9);
        let (x, y) = tip(1);
        assert!(y > 0.8 && (x - 0.5).abs() < 1e-9);
        let (x, y) = tip(2);
        assert!(x < 0.2 && (y - 0.5).abs() < 1e-9);
        let (x, y) = tip(3);
        assert!(y < 0.2 && (x - 0.5).abs() < 1e-9);
        assert_eq!(agent_triangle(4), agent_triangle(0));
    }

    #[test]
    fn heatmap_runs_from_red_at_the_worst_to_green_at_the_best() {
        assert_eq!(heat_position(-1.0, -1.0, 1.0), 0.0);
        assert_eq!(heat_position(1.0, -1.0, 1.0), 1.0);
        assert_eq!(heat_position(0.0, -1.0, 1.0), 0.5);
        assert_eq!(heat_position(3.0, 3.0, 3.0), 0.5);
        assert_eq!(heat_colour(0.0), "hsla(0, 75%, 48%, 0.42)");
        assert_eq!(heat_colour(1.0), "hsla(120, 75%, 48%, 0.42)");
        assert_eq!(heat_colour(7.0), heat_colour(1.0));
    }

    #[test]
    fn triangle_stays_inside_its_cell() {
        for dir in 0..4 {
            for (x, y) in agent_triangle(dir) {
                assert!((0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&y));
            }
        }
    }
}
