//! Learning curves drawn with plotters on a canvas: env return, AI return and the baseline,
//! or the labeler's and reward model's accuracy; a run of several seeds as their mean with a
//! shaded min-max band. The page pushes points as metrics arrive and
//! redraws; the series live here so a redraw needs no copy from JS. The legend is HTML.

use measured::MeasuredCanvas;
use plotters::prelude::*;
use wasm_bindgen::prelude::*;
use web_sys::HtmlCanvasElement;

/// Line colours, picked by index: colour-blind-safe (Okabe-Ito).
const PALETTE: [RGBColor; 6] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
];

struct Series {
    colour: RGBColor,
    /// Drawn dashed-light (e.g. the baseline) rather than solid.
    faint: bool,
    points: Vec<(f64, f64)>,
    /// Several seeds' range around `points` (their mean): (x, min, max), drawn shaded.
    band: Vec<(f64, f64, f64)>,
}

/// A line chart with a fixed set of named series.
#[wasm_bindgen]
#[derive(Default)]
pub struct Chart {
    series: Vec<Series>,
}

#[wasm_bindgen]
impl Chart {
    #[wasm_bindgen(constructor)]
    pub fn new() -> Chart {
        Chart::default()
    }

    /// Adds a series; returns its index for [`Chart::extend`]. `colour` indexes the palette
    /// (the page's HTML legend uses the same colours).
    #[wasm_bindgen(js_name = addSeries)]
    pub fn add_series(&mut self, colour: usize, faint: bool) -> usize {
        self.series.push(Series {
            colour: PALETTE[colour % PALETTE.len()],
            faint,
            points: Vec::new(),
            band: Vec::new(),
        });
        self.series.len() - 1
    }

    /// Appends `xy` (x, y pairs, flattened) to series `index`; non-finite points are skipped.
    pub fn extend(&mut self, index: usize, xy: &[f64]) {
        if let Some(s) = self.series.get_mut(index) {
            s.points.extend(
                xy.chunks_exact(2)
                    .map(|p| (p[0], p[1]))
                    .filter(|(x, y)| x.is_finite() && y.is_finite()),
            );
        }
    }

    /// Appends several seeds' points to series `index`: `x, mean, min, max` quadruples,
    /// flattened. The mean extends the line and the range the band around it; points with a
    /// non-finite value, or a min above the max, are skipped.
    #[wasm_bindgen(js_name = extendBand)]
    pub fn extend_band(&mut self, index: usize, x_mean_min_max: &[f64]) {
        if let Some(s) = self.series.get_mut(index) {
            for p in x_mean_min_max.chunks_exact(4) {
                let [x, mean, lo, hi] = [p[0], p[1], p[2], p[3]];
                if p.iter().all(|v| v.is_finite()) && lo <= hi {
                    s.points.push((x, mean));
                    s.band.push((x, lo, hi));
                }
            }
        }
    }

    /// Empties every series (the names stay).
    pub fn clear(&mut self) {
        for s in &mut self.series {
            s.points.clear();
            s.band.clear();
        }
    }

    /// Points in series `index` (0 for an unknown index).
    pub fn len(&self, index: usize) -> usize {
        self.series.get(index).map_or(0, |s| s.points.len())
    }

    /// Points of series `index`'s band (0 without one, or for an unknown index).
    #[wasm_bindgen(js_name = bandLen)]
    pub fn band_len(&self, index: usize) -> usize {
        self.series.get(index).map_or(0, |s| s.band.len())
    }

    pub fn is_empty(&self) -> bool {
        self.series.iter().all(|s| s.points.is_empty())
    }

    /// Draws every series on `canvas`, with axes fitted to the data.
    pub fn draw(
        &self,
        canvas: HtmlCanvasElement,
        x_desc: &str,
        y_desc: &str,
    ) -> Result<(), JsError> {
        let backend = MeasuredCanvas::new(canvas)
            .ok_or_else(|| JsError::new("the chart canvas has no 2D context"))?;
        let root = backend.into_drawing_area();
        let err = |e: &dyn std::fmt::Display| JsError::new(&format!("chart: {e}"));
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let ((x0, x1), (y0, y1)) = bounds(self.series.iter().flat_map(|s| {
            let band = s.band.iter().flat_map(|&(x, lo, hi)| [(x, lo), (x, hi)]);
            s.points.iter().copied().chain(band)
        }));
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(34)
            .y_label_area_size(52)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .x_labels(6)
            .y_labels(6)
            .x_label_formatter(&|x| compact(*x))
            .light_line_style(RGBColor(240, 240, 240))
            .draw()
            .map_err(|e| err(&e))?;
        // Bands first, under every line: the upper edge left to right, the lower back.
        for s in self.series.iter().filter(|s| s.band.len() > 1) {
            let upper = s.band.iter().map(|&(x, _, hi)| (x, hi));
            let lower = s.band.iter().rev().map(|&(x, lo, _)| (x, lo));
            let shade = s.colour.mix(if s.faint { 0.12 } else { 0.2 }).filled();
            chart
                .draw_series(std::iter::once(Polygon::new(
                    upper.chain(lower).collect::<Vec<_>>(),
                    shade,
                )))
                .map_err(|e| err(&e))?;
        }
        for s in &self.series {
            let style = if s.faint {
                s.colour.mix(0.55).stroke_width(2)
            } else {
                s.colour.stroke_width(2)
            };
            chart
                .draw_series(LineSeries::new(s.points.iter().copied(), style))
                .map_err(|e| err(&e))?;
        }
        root.present().map_err(|e| err(&e))
    }
}

/// Axis ranges that hold every point, padded by 5% in y; `0..1` when there is nothing yet.
fn bounds(points: impl Iterator<Item = (f64, f64)>) -> ((f64, f64), (f64, f64)) {
    let mut x = (f64::INFINITY, f64::NEG_INFINITY);
    let mut y = (f64::INFINITY, f64::NEG_INFINITY);
    for (px, py) in points {
        x = (x.0.min(px), x.1.max(px));
        y = (y.0.min(py), y.1.max(py));
    }
    if !x.0.is_finite() {
        return ((0.0, 1.0), (0.0, 1.0));
    }
    let x0 = x.0.min(0.0);
    let x1 = if x.1 > x0 { x.1 } else { x0 + 1.0 };
    let span = y.1 - y.0;
    let pad = if span > 0.0 {
        span * 0.05
    } else {
        y.0.abs().max(1.0) * 0.1
    };
    ((x0, x1), (y.0 - pad, y.1 + pad))
}

/// `12000` as `12k`, `1500000` as `1.5M`: tick labels that fit.
fn compact(x: f64) -> String {
    let a = x.abs();
    if a >= 1e6 {
        format!("{}M", trim(x / 1e6))
    } else if a >= 1e3 {
        format!("{}k", trim(x / 1e3))
    } else {
        trim(x)
    }
}

fn trim(x: f64) -> String {
    let s = format!("{x:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

mod measured {
    use plotters_backend::{
        BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend,
        DrawingErrorKind,
    };
    use plotters_canvas::CanvasBackend;
    use wasm_bindgen::JsCast;
    use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

    type Error = <CanvasBackend as DrawingBackend>::ErrorType;

    /// The canvas backend, measuring text with the canvas itself: plotters' own measurement on the
    /// web adds a `style` attribute to a probe element, which the page's CSP forbids (and which
    /// forces a layout per label). The legend is HTML on the page for the same reason.
    pub struct MeasuredCanvas {
        inner: CanvasBackend,
        context: CanvasRenderingContext2d,
    }

    impl MeasuredCanvas {
        pub fn new(canvas: HtmlCanvasElement) -> Option<Self> {
            let context = canvas
                .get_context("2d")
                .ok()
                .flatten()?
                .dyn_into::<CanvasRenderingContext2d>()
                .ok()?;
            Some(Self {
                inner: CanvasBackend::with_canvas_object(canvas)?,
                context,
            })
        }
    }

    impl DrawingBackend for MeasuredCanvas {
        type ErrorType = Error;

        fn get_size(&self) -> (u32, u32) {
            self.inner.get_size()
        }

        fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Error>> {
            self.inner.ensure_prepared()
        }

        fn present(&mut self) -> Result<(), DrawingErrorKind<Error>> {
            self.inner.present()
        }

        fn draw_pixel(
            &mut self,
            point: BackendCoord,
            colour: BackendColor,
        ) -> Result<(), DrawingErrorKind<Error>> {
            self.inner.draw_pixel(point, colour)
        }

        fn draw_line<S: BackendStyle>(
            &mut self,
            from: BackendCoord,
            to: BackendCoord,
            style: &S,
        ) -> Result<(), DrawingErrorKind<Error>> {
            self.inner.draw_line(from, to, style)
        }

        fn draw_rect<S: BackendStyle>(
            &mut self,
            upper_left: BackendCoord,
            bottom_right: BackendCoord,
            style: &S,
            fill: bool,
        ) -> Result<(), DrawingErrorKind<Error>> {
            self.inner.draw_rect(upper_left, bottom_right, style, fill)
        }

        fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
            &mut self,
            path: I,
            style: &S,
        ) -> Result<(), DrawingErrorKind<Error>> {
            self.inner.draw_path(path, style)
        }

        fn draw_circle<S: BackendStyle>(
            &mut self,
            center: BackendCoord,
            radius: u32,
            style: &S,
            fill: bool,
        ) -> Result<(), DrawingErrorKind<Error>> {
            self.inner.draw_circle(center, radius, style, fill)
        }

        fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
            &mut self,
            vert: I,
            style: &S,
        ) -> Result<(), DrawingErrorKind<Error>> {
            self.inner.fill_polygon(vert, style)
        }

        fn draw_text<S: BackendTextStyle>(
            &mut self,
            text: &str,
            style: &S,
            pos: BackendCoord,
        ) -> Result<(), DrawingErrorKind<Error>> {
            self.inner.draw_text(text, style, pos)
        }

        fn estimate_text_size<S: BackendTextStyle>(
            &self,
            text: &str,
            style: &S,
        ) -> Result<(u32, u32), DrawingErrorKind<Error>> {
            // The font string `draw_text` sets, so the measure matches the drawing.
            self.context.set_font(&format!(
                "{} {}px {}",
                style.style().as_str(),
                style.size(),
                style.family().as_str(),
            ));
            let width = self
                .context
                .measure_text(text)
                .map(|m| m.width())
                .unwrap_or(0.0);
            Ok((width.ceil() as u32, style.size().ceil() as u32))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_hold_every_point_and_start_at_zero() {
        let a = [(100.0, 10.0), (200.0, 30.0)];
        let b = [(150.0, -5.0)];
        let ((x0, x1), (y0, y1)) = bounds(a.into_iter().chain(b));
        assert_eq!((x0, x1), (0.0, 200.0));
        assert!(y0 < -5.0 && y1 > 30.0, "{y0} {y1}");
    }

    #[test]
    fn bounds_of_nothing_or_one_point_are_not_empty() {
        assert_eq!(bounds(std::iter::empty()), ((0.0, 1.0), (0.0, 1.0)));
        let one = [(0.0, 500.0)];
        let ((x0, x1), (y0, y1)) = bounds(one.into_iter());
        assert!(x1 > x0 && y1 > y0 && y0 < 500.0 && y1 > 500.0);
    }

    #[test]
    fn extend_skips_non_finite_points_and_odd_tails() {
        let mut c = Chart::new();
        let i = c.add_series(0, false);
        c.extend(i, &[1.0, 2.0, f64::NAN, 3.0, 4.0, f64::INFINITY, 5.0]);
        assert_eq!(c.len(i), 1);
        c.extend(7, &[1.0, 1.0]);
        c.clear();
        assert!(c.is_empty());
    }

    #[test]
    fn a_band_extends_the_mean_line_and_its_range_and_skips_bad_points() {
        let mut c = Chart::new();
        let i = c.add_series(0, false);
        c.extend_band(
            i,
            &[
                1000.0,
                -150.0,
                -200.0,
                -100.0, // a point
                2000.0,
                f64::NAN,
                -1.0,
                1.0, // no mean
                3000.0,
                0.0,
                5.0,
                -5.0, // min above max
                4000.0,
                -120.0,
                -130.0,
                -110.0, // a point
                5000.0, // an odd tail
            ],
        );
        assert_eq!((c.len(i), c.band_len(i)), (2, 2));
        assert_eq!(c.band_len(9), 0);
        c.clear();
        assert_eq!(c.band_len(i), 0);
    }

    #[test]
    fn compact_tick_labels() {
        assert_eq!(compact(12_000.0), "12k");
        assert_eq!(compact(1_500_000.0), "1.5M");
        assert_eq!(compact(250.0), "250");
    }
}
