//! A thin wrapper over the canvas 2D context with the few shapes the drawings need, so each
//! drawing reads as geometry rather than canvas calls.

use std::f64::consts::TAU;
use wasm_bindgen::JsValue;
use web_sys::CanvasRenderingContext2d;

pub struct Pen {
    ctx: CanvasRenderingContext2d,
    /// Canvas width in canvas pixels.
    pub w: f64,
    /// Canvas height in canvas pixels.
    pub h: f64,
}

impl Pen {
    pub fn new(ctx: CanvasRenderingContext2d, w: f64, h: f64) -> Self {
        Self { ctx, w, h }
    }

    pub fn clear(&self, colour: &str) {
        self.ctx.set_fill_style_str(colour);
        self.ctx.fill_rect(0.0, 0.0, self.w, self.h);
    }

    pub fn rect(&self, x: f64, y: f64, w: f64, h: f64, colour: &str) {
        self.ctx.set_fill_style_str(colour);
        self.ctx.fill_rect(x, y, w, h);
    }

    pub fn rect_outline(&self, x: f64, y: f64, w: f64, h: f64, width: f64, colour: &str) {
        self.ctx.set_line_width(width);
        self.ctx.set_stroke_style_str(colour);
        self.ctx.stroke_rect(x, y, w, h);
    }

    pub fn circle(&self, x: f64, y: f64, r: f64, colour: &str) -> Result<(), JsValue> {
        self.ctx.begin_path();
        self.ctx.arc(x, y, r.max(0.0), 0.0, TAU)?;
        self.ctx.set_fill_style_str(colour);
        self.ctx.fill();
        Ok(())
    }

    pub fn ring(&self, x: f64, y: f64, r: f64, width: f64, colour: &str) -> Result<(), JsValue> {
        self.ctx.begin_path();
        self.ctx.arc(x, y, r.max(0.0), 0.0, TAU)?;
        self.ctx.set_line_width(width);
        self.ctx.set_stroke_style_str(colour);
        self.ctx.stroke();
        Ok(())
    }

    /// A straight segment with round caps (links, rods, poles).
    pub fn line(&self, from: (f64, f64), to: (f64, f64), width: f64, colour: &str) {
        self.ctx.begin_path();
        self.ctx.move_to(from.0, from.1);
        self.ctx.line_to(to.0, to.1);
        self.ctx.set_line_width(width);
        self.ctx.set_line_cap("round");
        self.ctx.set_stroke_style_str(colour);
        self.ctx.stroke();
    }

    /// A dashed segment (limits and goal lines).
    pub fn dashed(&self, from: (f64, f64), to: (f64, f64), width: f64, colour: &str) {
        let dash = js_sys::Array::of2(&JsValue::from(6.0), &JsValue::from(5.0));
        // set_line_dash only fails for non-finite entries, which these are not.
        let _ = self.ctx.set_line_dash(&dash);
        self.ctx.set_line_cap("butt");
        self.ctx.begin_path();
        self.ctx.move_to(from.0, from.1);
        self.ctx.line_to(to.0, to.1);
        self.ctx.set_line_width(width);
        self.ctx.set_stroke_style_str(colour);
        self.ctx.stroke();
        let _ = self.ctx.set_line_dash(&js_sys::Array::new());
    }

    /// A closed polygon, filled.
    pub fn polygon(&self, points: &[(f64, f64)], colour: &str) {
        let Some((first, rest)) = points.split_first() else {
            return;
        };
        self.ctx.begin_path();
        self.ctx.move_to(first.0, first.1);
        for p in rest {
            self.ctx.line_to(p.0, p.1);
        }
        self.ctx.close_path();
        self.ctx.set_fill_style_str(colour);
        self.ctx.fill();
    }

    /// An open polyline.
    pub fn polyline(&self, points: &[(f64, f64)], width: f64, colour: &str) {
        let Some((first, rest)) = points.split_first() else {
            return;
        };
        self.ctx.begin_path();
        self.ctx.move_to(first.0, first.1);
        for p in rest {
            self.ctx.line_to(p.0, p.1);
        }
        self.ctx.set_line_width(width);
        self.ctx.set_line_join("round");
        self.ctx.set_line_cap("round");
        self.ctx.set_stroke_style_str(colour);
        self.ctx.stroke();
    }

    /// A circular arc from `start` to `end` (canvas angles, clockwise on screen when
    /// `end > start`), stroked.
    pub fn arc(
        &self,
        centre: (f64, f64),
        r: f64,
        (start, end): (f64, f64),
        width: f64,
        colour: &str,
    ) -> Result<(), JsValue> {
        self.ctx.begin_path();
        self.ctx
            .arc_with_anticlockwise(centre.0, centre.1, r.max(0.0), start, end, end < start)?;
        self.ctx.set_line_width(width);
        self.ctx.set_line_cap("round");
        self.ctx.set_stroke_style_str(colour);
        self.ctx.stroke();
        Ok(())
    }

    /// Text centred on a point; `size` is the font size in canvas pixels.
    pub fn text(&self, s: &str, at: (f64, f64), size: f64, colour: &str) -> Result<(), JsValue> {
        self.ctx
            .set_font(&format!("600 {:.0}px system-ui, sans-serif", size.max(1.0)));
        self.ctx.set_text_align("center");
        self.ctx.set_text_baseline("middle");
        self.ctx.set_fill_style_str(colour);
        self.ctx.fill_text(s, at.0, at.1)
    }
}
