//! The labelling panel's JS face: [`Labeling`], a thin layer over [`Session`].

use super::pair_source::Segment;
use super::player::SegmentPlayer;
use super::session::{QueuedSegment, Session};
use super::{LabelingError, Side};
use crate::draw::{self, Pen};
use js_sys::{Object, Reflect};
use rlaif::env::Scene;
use rlaif::experiment::EpisodeRecording;
use rlaif::feedback::PreferenceConfig;
use wasm_bindgen::prelude::*;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

/// The labelling panel's model for the page: pairs, players and counts.
#[wasm_bindgen]
pub struct Labeling {
    session: Session,
}

fn js_error(e: LabelingError) -> JsError {
    JsError::new(&e.to_string())
}

#[wasm_bindgen]
impl Labeling {
    /// `teacher` is a registry name, or `""` for the env's default. No pair is on show until
    /// `nextPair()`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        env_id: &str,
        teacher: &str,
        segment_len: u32,
        seed: u32,
    ) -> Result<Labeling, JsError> {
        let teacher = (!teacher.is_empty()).then_some(teacher);
        let session = Session::new(env_id, teacher, segment_len as usize, u64::from(seed))
            .map_err(js_error)?;
        Ok(Labeling { session })
    }

    /// The preference mode's default segment length.
    #[wasm_bindgen(js_name = defaultSegmentLen)]
    pub fn default_segment_len() -> u32 {
        u32::try_from(PreferenceConfig::default().segment_len).unwrap_or(25)
    }

    #[wasm_bindgen(getter, js_name = envId)]
    pub fn env_id(&self) -> String {
        self.session.source().env_id().to_string()
    }

    /// Keeps the agent's finished episode (a worker `metrics` message's `episode`).
    #[wasm_bindgen(js_name = addEpisode)]
    pub fn add_episode(
        &mut self,
        seed: u64,
        actions: Vec<f32>,
        number: Option<f64>,
    ) -> Result<(), JsError> {
        self.session
            .add_episode(EpisodeRecording {
                number: number.map_or(0, |n| n as u64),
                seed,
                actions,
                // Not shown: the panel compares the teacher's returns.
                episode_return: 0.0,
            })
            .map_err(js_error)
    }

    /// Forgets the agent's episodes, when its run is discarded.
    #[wasm_bindgen(js_name = forgetAgent)]
    pub fn forget_agent(&mut self) {
        self.session.forget_agent();
    }

    /// Shows a new pair of segments (at their first states).
    #[wasm_bindgen(js_name = nextPair)]
    pub fn next_pair(&mut self) -> Result<(), JsError> {
        self.session.next_pair().map(|_| ()).map_err(js_error)
    }

    /// Shows a pair a preference run queued for a person (a worker query's `left` and
    /// `right`: each the episode's seed, the segment's first step and length, and the env
    /// actions from the episode's first step to the segment's last). A segment that does
    /// not replay in this env is an error, and the pair on show stays.
    #[allow(clippy::too_many_arguments)]
    #[wasm_bindgen(js_name = showQueued)]
    pub fn show_queued(
        &mut self,
        left_seed: u64,
        left_start: u32,
        left_len: u32,
        left_actions: Vec<f32>,
        right_seed: u64,
        right_start: u32,
        right_len: u32,
        right_actions: Vec<f32>,
    ) -> Result<(), JsError> {
        let queued = |seed, start: u32, len: u32, actions| QueuedSegment {
            seed,
            start: start as usize,
            len: len as usize,
            actions,
        };
        self.session
            .show_queued(
                queued(left_seed, left_start, left_len, left_actions),
                queued(right_seed, right_start, right_len, right_actions),
            )
            .map(|_| ())
            .map_err(js_error)
    }

    /// Forgets the pair on show (nothing is waiting to be labelled).
    #[wasm_bindgen(js_name = clearPair)]
    pub fn clear_pair(&mut self) {
        self.session.clear_pair();
    }

    /// Words for what each canvas shows now, `{ left, right }` (the canvases' accessible
    /// descriptions): where the agent is and what is around it.
    pub fn describe(&self) -> Object {
        let (l, r) = self.session.players();
        object(&[
            ("left", draw::describe(&l.scene()).into()),
            ("right", draw::describe(&r.scene()).into()),
        ])
    }

    /// Moves on to a new pair without counting the one on show.
    pub fn skip(&mut self) -> Result<(), JsError> {
        self.next_pair()
    }

    /// "agent" or "random policy": where the pair on show (or else the next) comes from.
    pub fn source(&self) -> String {
        let origin = match self.session.pair() {
            Some(pair) => pair.origin,
            None => self.session.source().origin(),
        };
        origin.name().to_string()
    }

    /// `choice` is "left", "right" or "equal". Returns `{ ai, agreed, answered, agreements,
    /// aiLeft, aiRight }`: the AI labeler's verdict, whether it is yours, the running counts
    /// and the teacher's return over each segment.
    pub fn answer(&mut self, choice: &str) -> Result<Object, JsError> {
        let choice = Side::parse(choice).map_err(js_error)?;
        let a = self.session.answer(choice).map_err(js_error)?;
        Ok(object(&[
            ("ai", a.ai.name().into()),
            ("agreed", a.agreed.into()),
            ("answered", a.answered.into()),
            ("agreements", a.agreements.into()),
            ("aiLeft", a.ai_left.into()),
            ("aiRight", a.ai_right.into()),
        ]))
    }

    /// The pair on show for captions: `{ source, answered, left, right }`, each side
    /// `{ episode, start, len, episodeLen, position }` (steps counted from 0); `null` before
    /// the first pair.
    pub fn pair(&self) -> JsValue {
        let Some(pair) = self.session.pair() else {
            return JsValue::NULL;
        };
        let (left, right) = self.session.players();
        let side = |s: &Segment, p: &SegmentPlayer| -> JsValue {
            object(&[
                ("episode", (s.episode.recording.number as f64).into()),
                ("start", (s.start as f64).into()),
                ("len", (s.len as f64).into()),
                ("episodeLen", (s.episode.steps() as f64).into()),
                ("position", (p.position() as f64).into()),
            ])
            .into()
        };
        object(&[
            ("source", pair.origin.name().into()),
            ("answered", self.session.is_answered().into()),
            ("left", side(&pair.left, left)),
            ("right", side(&pair.right, right)),
        ])
        .into()
    }

    /// Advances both segments one frame, in sync (see [`Session::step`]).
    pub fn step(&mut self) -> Result<(), JsError> {
        self.session.step().map_err(js_error)
    }

    /// Draws the left segment's current state on `left`, the right's on `right`.
    /// Both canvases by value, as [`crate::Viewer::draw`] explains.
    pub fn draw(&self, left: HtmlCanvasElement, right: HtmlCanvasElement) -> Result<(), JsValue> {
        let (l, r) = self.session.players();
        draw_on(&left, &l.scene())?;
        draw_on(&right, &r.scene())
    }
}

fn draw_on(canvas: &HtmlCanvasElement, scene: &Scene) -> Result<(), JsValue> {
    let ctx = canvas
        .get_context("2d")?
        .ok_or_else(|| JsError::new("the canvas has no 2D context"))?
        .dyn_into::<CanvasRenderingContext2d>()?;
    let pen = Pen::new(ctx, f64::from(canvas.width()), f64::from(canvas.height()));
    draw::scene(&pen, scene)
}

/// A plain JS object, so the page needs no `free()` for results.
fn object(fields: &[(&str, JsValue)]) -> Object {
    let obj = Object::new();
    for (key, value) in fields {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&obj, &JsValue::from_str(key), value);
    }
    obj
}
