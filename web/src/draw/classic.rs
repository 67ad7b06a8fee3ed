//! Classic-control scenes, drawn as Gymnasium renders them. Geometry is computed in world
//! coordinates with y pointing up (Gymnasium's convention) and mapped to the canvas by a
//! [`Frame`], so the pure helpers below can be unit-tested natively.

use super::Pen;
use std::f64::consts::PI;
use wasm_bindgen::JsValue;

const INK: &str = "#222222";
const ACCENT: &str = "#d1495b";
/// Torques and pushes, distinct from every body colour.
const FORCE: &str = "#1d4e89";

/// Maps world coordinates (y up) to canvas pixels (y down).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame {
    /// Canvas position of the world origin.
    pub origin: (f64, f64),
    /// Canvas pixels per world unit, on both axes.
    pub scale: f64,
}

impl Frame {
    /// A frame that fits the world box `[x0, x1] x [y0, y1]` into a `w` x `h` canvas, centred.
    pub fn fit(w: f64, h: f64, (x0, x1): (f64, f64), (y0, y1): (f64, f64)) -> Self {
        let scale = (w / (x1 - x0)).min(h / (y1 - y0));
        let origin = (
            w / 2.0 - (x0 + x1) / 2.0 * scale,
            h / 2.0 + (y0 + y1) / 2.0 * scale,
        );
        Self { origin, scale }
    }

    pub fn at(&self, (x, y): (f64, f64)) -> (f64, f64) {
        (
            self.origin.0 + x * self.scale,
            self.origin.1 - y * self.scale,
        )
    }

    pub fn len(&self, d: f64) -> f64 {
        d * self.scale
    }
}

/// Offset from the pivot to the tip of a pole of length `len` at angle `theta` from upright;
/// positive angles lean right, as in CartPole.
pub fn pole_tip(theta: f64, len: f64) -> (f64, f64) {
    (len * theta.sin(), len * theta.cos())
}

/// MountainCar's track height, `sin(3x) * 0.45 + 0.55`.
pub fn mountain_height(x: f64) -> f64 {
    (3.0 * x).sin() * 0.45 + 0.55
}

/// The two joints of the Acrobot (unit links, hanging down at zero angles), as Gymnasium
/// renders them: `p1 = (sin t1, -cos t1)`, `p2 = p1 + (sin(t1+t2), -cos(t1+t2))`.
pub fn acrobot_joints(theta1: f64, theta2: f64) -> [(f64, f64); 2] {
    let p1 = (theta1.sin(), -theta1.cos());
    let a = theta1 + theta2;
    [p1, (p1.0 + a.sin(), p1.1 - a.cos())]
}

/// The tip of the Pendulum's unit rod; `theta = 0` is upright, positive is counter-clockwise.
pub fn pendulum_tip(theta: f64) -> (f64, f64) {
    (-theta.sin(), theta.cos())
}

/// End angle of a torque arc that starts at math angle `start` and turns counter-clockwise
/// for positive `amount` (in [-1, 1]), up to `max_sweep` radians.
pub fn torque_arc_end(start: f64, amount: f64, max_sweep: f64) -> f64 {
    start + amount.clamp(-1.0, 1.0) * max_sweep
}

/// An arrow head (three world points) whose base centre is `at` and which points along `dir`.
fn arrow_head(at: (f64, f64), dir: (f64, f64), size: f64) -> [(f64, f64); 3] {
    let n = (dir.0.hypot(dir.1)).max(1e-12);
    let (dx, dy) = (dir.0 / n, dir.1 / n);
    let (nx, ny) = (-dy, dx);
    [
        (at.0 + dx * size, at.1 + dy * size),
        (at.0 + nx * size * 0.6, at.1 + ny * size * 0.6),
        (at.0 - nx * size * 0.6, at.1 - ny * size * 0.6),
    ]
}

/// A curved arrow round `centre` showing a torque: counter-clockwise for positive `amount`.
fn torque_arrow(
    pen: &Pen,
    frame: &Frame,
    centre: (f64, f64),
    r: f64,
    start: f64,
    amount: f64,
) -> Result<(), JsValue> {
    if amount.abs() < 1e-3 || !amount.is_finite() {
        return Ok(());
    }
    let end = torque_arc_end(start, amount, 1.4 * PI);
    // Canvas angles run clockwise on screen, so world angles are negated.
    pen.arc(
        frame.at(centre),
        frame.len(r),
        (-start, -end),
        frame.len(0.05).max(2.0),
        FORCE,
    )?;
    let tip = (centre.0 + r * end.cos(), centre.1 + r * end.sin());
    let s = amount.signum();
    let dir = (-end.sin() * s, end.cos() * s);
    let head = arrow_head(tip, dir, 0.12).map(|p| frame.at(p));
    pen.polygon(&head, FORCE);
    Ok(())
}

pub fn cart_pole(pen: &Pen, x: f64, theta: f64, x_threshold: f64) -> Result<(), JsValue> {
    let half = x_threshold.abs().max(0.5) + 0.6;
    let frame = Frame::fit(pen.w, pen.h, (-half, half), (-0.5, 1.7));
    // Track and the limits beyond which the episode ends.
    pen.line(
        frame.at((-half + 0.1, 0.0)),
        frame.at((half - 0.1, 0.0)),
        2.0,
        INK,
    );
    for side in [-1.0, 1.0] {
        pen.dashed(
            frame.at((side * x_threshold, -0.2)),
            frame.at((side * x_threshold, 1.5)),
            1.5,
            ACCENT,
        );
    }
    // Cart with wheels; the pole hinges on its top.
    let (cw, ch) = (0.5, 0.3);
    let top_left = frame.at((x - cw / 2.0, 0.06 + ch));
    pen.rect(top_left.0, top_left.1, frame.len(cw), frame.len(ch), INK);
    for dx in [-0.15, 0.15] {
        let c = frame.at((x + dx, 0.05));
        pen.circle(c.0, c.1, frame.len(0.05), "#555555")?;
    }
    let pivot = (x, 0.06 + ch);
    let (tx, ty) = pole_tip(theta, 1.0);
    pen.line(
        frame.at(pivot),
        frame.at((pivot.0 + tx, pivot.1 + ty)),
        frame.len(0.1),
        "#ca9865",
    );
    let p = frame.at(pivot);
    pen.circle(p.0, p.1, frame.len(0.05), "#8184cb")
}

/// MountainCar's state, gathered so the drawing takes one argument.
pub struct Mountain {
    pub position: f64,
    pub min: f64,
    pub max: f64,
    pub goal: f64,
    pub push: f64,
}

pub fn mountain_car(pen: &Pen, m: &Mountain) -> Result<(), JsValue> {
    let frame = Frame::fit(pen.w, pen.h, (m.min - 0.05, m.max + 0.05), (-0.02, 1.22));
    const N: usize = 120;
    let mut ground: Vec<(f64, f64)> = (0..=N)
        .map(|i| {
            let x = m.min + (m.max - m.min) * i as f64 / N as f64;
            frame.at((x, mountain_height(x)))
        })
        .collect();
    let curve = ground.clone();
    ground.push(frame.at((m.max, -0.02)));
    ground.push(frame.at((m.min, -0.02)));
    pen.polygon(&ground, "#e9dfc4");
    pen.polyline(&curve, 2.5, "#5b4a32");

    // Flag at the goal.
    let base = (m.goal, mountain_height(m.goal));
    let top = (base.0, base.1 + 0.16);
    pen.line(frame.at(base), frame.at(top), 2.0, INK);
    pen.polygon(
        &[
            frame.at(top),
            frame.at((top.0, top.1 - 0.055)),
            frame.at((top.0 + 0.09, top.1 - 0.0275)),
        ],
        "#e3c214",
    );

    // The car, tilted with the slope.
    let x = m.position;
    let y = mountain_height(x);
    let a = (1.35 * (3.0 * x).cos()).atan();
    let local = |u: f64, v: f64| (x + u * a.cos() - v * a.sin(), y + u * a.sin() + v * a.cos());
    let body = [
        local(-0.06, 0.025),
        local(0.06, 0.025),
        local(0.06, 0.07),
        local(-0.06, 0.07),
    ]
    .map(|p| frame.at(p));
    pen.polygon(&body, INK);
    for u in [-0.035, 0.035] {
        let c = frame.at(local(u, 0.02));
        pen.circle(c.0, c.1, frame.len(0.018), "#7f7f7f")?;
    }
    // The last push, as a horizontal arrow above the car.
    if m.push.abs() > 1e-3 && m.push.is_finite() {
        let from = (x, y + 0.14);
        let to = (x + m.push.clamp(-1.0, 1.0) * 0.14, y + 0.14);
        pen.line(frame.at(from), frame.at(to), 3.0, FORCE);
        let head = arrow_head(to, (m.push, 0.0), 0.035).map(|p| frame.at(p));
        pen.polygon(&head, FORCE);
    }
    Ok(())
}

pub fn acrobot(pen: &Pen, theta1: f64, theta2: f64, torque: f64) -> Result<(), JsValue> {
    let bound = 2.2;
    let frame = Frame::fit(pen.w, pen.h, (-bound, bound), (-bound, bound));
    // The free end must rise above this line (height 1 above the pivot).
    pen.dashed(frame.at((-bound, 1.0)), frame.at((bound, 1.0)), 1.5, INK);
    let [p1, p2] = acrobot_joints(theta1, theta2);
    let link = frame.len(0.16);
    pen.line(frame.at((0.0, 0.0)), frame.at(p1), link, "#00b3b3");
    pen.line(frame.at(p1), frame.at(p2), link, "#00b3b3");
    for p in [(0.0, 0.0), p1] {
        let c = frame.at(p);
        pen.circle(c.0, c.1, frame.len(0.09), "#cccc00")?;
    }
    // Torque acts on the second joint; start the arc pointing back along the first link.
    let back = (-p1.1).atan2(-p1.0);
    torque_arrow(pen, &frame, p1, 0.32, back, torque)
}

pub fn pendulum(pen: &Pen, theta: f64, torque: f64) -> Result<(), JsValue> {
    // Tighter than Gymnasium's 2.2 so the unit rod fills the canvas.
    let bound = 1.3;
    let frame = Frame::fit(pen.w, pen.h, (-bound, bound), (-bound, bound));
    let tip = pendulum_tip(theta);
    pen.line(
        frame.at((0.0, 0.0)),
        frame.at(tip),
        frame.len(0.2),
        "#cc4d4d",
    );
    let c = frame.at((0.0, 0.0));
    pen.circle(c.0, c.1, frame.len(0.05), INK)?;
    // Torque in [-2, 2], drawn from the bottom of the circle.
    torque_arrow(pen, &frame, (0.0, 0.0), 0.6, -PI / 2.0, torque / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: (f64, f64), b: (f64, f64)) -> bool {
        (a.0 - b.0).abs() < 1e-9 && (a.1 - b.1).abs() < 1e-9
    }

    #[test]
    fn frame_flips_y_and_centres_the_box() {
        let f = Frame::fit(600.0, 400.0, (-3.0, 3.0), (-1.0, 1.0));
        assert_eq!(f.scale, 100.0);
        assert!(close(f.at((0.0, 0.0)), (300.0, 200.0)));
        // World up is canvas up (smaller y).
        assert!(close(f.at((1.0, 1.0)), (400.0, 100.0)));
        // The narrower axis decides the scale; the box stays centred.
        let g = Frame::fit(400.0, 400.0, (0.0, 4.0), (0.0, 1.0));
        assert_eq!(g.scale, 100.0);
        assert!(close(g.at((2.0, 0.5)), (200.0, 200.0)));
    }

    #[test]
    fn cart_pole_leans_right_for_positive_theta() {
        let (x, y) = pole_tip(0.2, 1.0);
        assert!(x > 0.0 && y > 0.0);
        assert!(close(pole_tip(0.0, 2.0), (0.0, 2.0)));
    }

    #[test]
    fn mountain_matches_gymnasium() {
        assert!((mountain_height(0.0) - 0.55).abs() < 1e-12);
        assert!((mountain_height(PI / 6.0) - 1.0).abs() < 1e-12);
        // The valley bottom of the standard track lies near -0.52.
        assert!(mountain_height(-PI / 6.0) < mountain_height(-0.4));
    }

    #[test]
    fn acrobot_hangs_down_and_swings_right_for_positive_theta1() {
        let [p1, p2] = acrobot_joints(0.0, 0.0);
        assert!(close(p1, (0.0, -1.0)));
        assert!(close(p2, (0.0, -2.0)));
        let [p1, p2] = acrobot_joints(PI, 0.0);
        assert!(close(p1, (0.0, 1.0)));
        assert!(close(p2, (0.0, 2.0)));
        let [p1, _] = acrobot_joints(0.3, 0.0);
        assert!(p1.0 > 0.0);
        // theta2 bends the second link relative to the first.
        let [_, p2] = acrobot_joints(0.0, PI / 2.0);
        assert!(close(p2, (1.0, -1.0)));
    }

    #[test]
    fn pendulum_is_upright_at_zero_and_turns_counter_clockwise() {
        assert!(close(pendulum_tip(0.0), (0.0, 1.0)));
        assert!(close(pendulum_tip(PI / 2.0), (-1.0, 0.0)));
    }

    #[test]
    fn torque_arc_turns_with_the_sign_of_the_torque() {
        assert!(torque_arc_end(0.0, 0.5, PI) > 0.0);
        assert!(torque_arc_end(0.0, -0.5, PI) < 0.0);
        assert_eq!(torque_arc_end(1.0, 3.0, 2.0), 3.0);
    }

    #[test]
    fn arrow_head_points_along_its_direction() {
        let [tip, a, b] = arrow_head((1.0, 1.0), (0.0, 2.0), 0.5);
        assert!(close(tip, (1.0, 1.5)));
        assert!((a.1 - 1.0).abs() < 1e-12 && (b.1 - 1.0).abs() < 1e-12);
    }
}
