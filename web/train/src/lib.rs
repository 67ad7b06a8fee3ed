//! The page's training worker: the rlaif [`Trainer`] in a dedicated Web Worker, so training
//! never blocks the page's main thread.
//!
//! The same code builds twice (see `Cargo.toml`): `train-cpu` on burn's CPU backend and
//! `train-gpu` on WebGPU, so the page fetches the large WebGPU module only when it uses it.
//! The protocol is in [`protocol`]; the device set-up in [`device`]; a run and the baseline
//! racing it in [`session`].

pub mod bench;
pub mod device;
pub mod protocol;
pub mod session;

use js_sys::Object;
use protocol::{Request, RunRequest, object, post, post_object};
use rlaif::backend::DEFAULT_CPU;
use rlaif::experiment::ExperimentConfig;
use rlaif::feedback::preference::{Answer, AnswerReport};
use session::Session;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent, WorkerGlobalScope};

pub use device::BackendKind;

/// Installs the message handler and tells the page the worker is ready. Called from `main`.
pub fn start(kind: BackendKind) {
    // A panic (a bug: every input is checked) leaves the module unusable. It is logged and
    // reported as a `crash` error, so the page ends this worker and continues the run from
    // its latest snapshot on a fresh one.
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        post_error("crash", info.to_string());
    }));
    let worker = Rc::new(Worker {
        kind,
        devices: device::Devices::default(),
        pause: Cell::new(false),
        running: Cell::new(false),
        last_snapshot: Cell::new(Some(f64::NEG_INFINITY)),
        session: RefCell::new(None),
        session_number: Cell::new(0),
        answers: RefCell::new(Vec::new()),
        wake: RefCell::new(None),
    });
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let handler = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        Rc::clone(&worker).on_message(&event.data());
    });
    scope.set_onmessage(Some(handler.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    handler.forget();
    post(&[("type", "ready".into()), ("backend", kind.name().into())]);
}

struct Worker {
    kind: BackendKind,
    devices: device::Devices,
    /// Set by a `pause` message; the run ends after its current slice.
    pause: Cell<bool>,
    running: Cell<bool>,
    /// When the last snapshot was posted (ms), or `None` once snapshots failed; see
    /// [`Worker::post_snapshot`].
    last_snapshot: Cell<Option<f64>>,
    /// Taken out while a run is in progress, put back when it ends.
    session: RefCell<Option<Session>>,
    /// Numbers each session, so that an answer to a query of a session that was replaced or
    /// reset is never applied to the new one.
    session_number: Cell<u32>,
    /// A person's answers that came while the session was out of its cell, applied in order
    /// before the run's next slice.
    answers: RefCell<Vec<(u64, Answer)>>,
    /// Resolves the promise a run waiting for labels awaits; see [`Worker::wait_for_answers`].
    wake: RefCell<Option<js_sys::Function>>,
}

/// Why a run ended early.
enum Failure {
    /// The config was rejected: nothing ran.
    Config(String),
    /// The backend could not start: the page falls back to the CPU.
    Device(String),
    Train(String),
}

/// Tells the page what came of an answer: the AI labeler's verdict and the reward model's
/// prediction on the pair, or why it was not applied.
fn post_answered(id: u64, answer: Answer, result: Result<AnswerReport, String>) {
    let mut fields = vec![
        ("type", "answered".into()),
        ("id", (id as f64).into()),
        ("answer", answer.name().into()),
    ];
    match result {
        Ok(report) => {
            fields.push(("ai", report.ai.name().into()));
            fields.push(("model", report.model.into()));
        }
        Err(why) => fields.push(("refused", why.into())),
    }
    post(&fields);
}

fn post_error(stage: &str, message: String) {
    post(&[
        ("type", "error".into()),
        ("stage", stage.into()),
        ("message", message.into()),
    ]);
}

impl Worker {
    fn on_message(self: Rc<Self>, data: &JsValue) {
        match Request::parse(data) {
            Ok(Request::Panic) => panic!("a `panic` message asked for it"),
            Ok(Request::Pause) => {
                self.pause.set(true);
                self.wake();
            }
            Ok(Request::Answer {
                session,
                id,
                answer,
            }) => self.on_answer(session, id, answer),
            Ok(Request::Reset) if !self.running.get() => self.replace_session(None),
            Ok(Request::Labels) if !self.running.get() => match &*self.session.borrow() {
                Some(session) => post(&[
                    ("type", "labels".into()),
                    ("json", session.labels_json().into()),
                ]),
                None => post_error(
                    "labels",
                    "no run yet: its labels are kept once it starts".into(),
                ),
            },
            Ok(Request::ImportLabels(json)) if !self.running.get() => {
                let result = match &mut *self.session.borrow_mut() {
                    Some(session) => session
                        .import_labels(&json)
                        .map(|count| (count, session.queue_message(self.session_number.get()))),
                    None => Err("no run yet: start one, then add the labels".into()),
                };
                match result {
                    Ok((count, queue)) => {
                        post(&[
                            ("type", "labels-imported".into()),
                            ("count", (count as f64).into()),
                        ]);
                        post_object(&queue);
                    }
                    Err(m) => post_error("labels", m),
                }
            }
            Ok(Request::Export) if !self.running.get() => {
                self.running.set(true);
                wasm_bindgen_futures::spawn_local(async move {
                    self.export().await;
                    self.running.set(false);
                });
            }
            Ok(Request::Import {
                bytes,
                baseline,
                demos,
            }) if !self.running.get() => {
                self.running.set(true);
                wasm_bindgen_futures::spawn_local(async move {
                    let result = self
                        .import(&bytes, baseline.as_deref(), demos.as_deref())
                        .await;
                    self.running.set(false);
                    match result {
                        Ok(message) => post_object(&message),
                        Err(m) => post_error("import", m),
                    }
                });
            }
            Ok(Request::Bench { config, updates }) if !self.running.get() => {
                self.running.set(true);
                wasm_bindgen_futures::spawn_local(async move {
                    let result = self.bench(&config, updates).await;
                    self.running.set(false);
                    match result {
                        Ok(message) => post_object(&message),
                        Err(m) => post_error("config", m),
                    }
                });
            }
            Ok(Request::Run(request)) if !self.running.get() => {
                self.running.set(true);
                self.pause.set(false);
                wasm_bindgen_futures::spawn_local(async move {
                    let result = self.run(request).await;
                    self.running.set(false);
                    match result {
                        Ok(reason) => post(&[("type", "done".into()), ("reason", reason.into())]),
                        Err(Failure::Config(m)) => post_error("config", m),
                        Err(Failure::Device(m)) => post_error("device", m),
                        Err(Failure::Train(m)) => post_error("train", m),
                    }
                });
            }
            Ok(_) => post_error("request", "a run is in progress: pause it first".into()),
            Err(message) => post_error("request", message),
        }
    }

    /// Times `updates` updates of `json` on the CPU and, in the WebGPU worker, on WebGPU: the
    /// `bench` reply, each backend's ms per update or why it has none. A bad config is an error.
    async fn bench(&self, json: &str, updates: u32) -> Result<Object, String> {
        let config = ExperimentConfig::from_json(json).map_err(|e| e.to_string())?;
        let now = js_sys::Date::now;
        let cpu = bench::ms_per_update(&config, &DEFAULT_CPU.device(), updates, now).await;
        let gpu = match self.kind {
            BackendKind::Gpu => match self.devices.get(BackendKind::Gpu).await {
                Ok(ready) => bench::ms_per_update(&config, &ready.device, updates, now).await,
                Err(e) => Err(e),
            },
            BackendKind::Cpu => Err("the CPU worker has no WebGPU".into()),
        };
        let mut fields: Vec<(&str, JsValue)> = vec![("type", "bench".into())];
        match cpu {
            Ok(ms) => fields.push(("cpuMs", ms.into())),
            Err(e) => fields.push(("cpuError", e.into())),
        }
        match gpu {
            Ok(ms) => fields.push(("gpuMs", ms.into())),
            Err(e) => fields.push(("gpuError", e.into())),
        }
        Ok(object(&fields))
    }

    /// Replaces the session, numbering the new one, and forgets answers to the old one.
    fn replace_session(&self, session: Option<Session>) {
        *self.session.borrow_mut() = session;
        self.session_number
            .set(self.session_number.get().wrapping_add(1));
        self.answers.borrow_mut().clear();
    }

    /// A person's answer: applied now when no run holds the session, else kept for the run
    /// to apply before its next slice (waking it if it waits for labels). An answer to
    /// another session than the current one is refused.
    fn on_answer(&self, session: u32, id: u64, answer: Answer) {
        if session != self.session_number.get() {
            post_answered(id, answer, Err("its run was reset or replaced".into()));
            return;
        }
        self.answers.borrow_mut().push((id, answer));
        if let Some(session) = &mut *self.session.borrow_mut() {
            self.apply_answers(session);
        }
        self.wake();
    }

    /// Applies the answers kept so far, in order, and posts what came of each and the queue.
    fn apply_answers(&self, session: &mut Session) {
        let answers = std::mem::take(&mut *self.answers.borrow_mut());
        if answers.is_empty() {
            return;
        }
        for (id, answer) in answers {
            post_answered(id, answer, session.answer(id, answer));
        }
        post_object(&session.queue_message(self.session_number.get()));
    }

    /// Resolves the promise of a run waiting for labels, if one waits.
    fn wake(&self) {
        if let Some(resolve) = self.wake.borrow_mut().take() {
            // Calling a promise's resolve function does not throw.
            let _ = resolve.call0(&JsValue::NULL);
        }
    }

    /// Waits until an answer or a pause arrives (a run waiting for a person's labels).
    async fn wait_for_answers(&self) {
        if !self.answers.borrow().is_empty() || self.pause.get() {
            return;
        }
        let promise = js_sys::Promise::new(&mut |resolve, _reject| {
            *self.wake.borrow_mut() = Some(resolve);
        });
        let _ = JsFuture::from(promise).await;
    }

    /// Posts a `snapshot` of the run (after the first update, then at most every few
    /// seconds, and with `now` when a run ends): if this worker fails or crashes later, the
    /// page continues the run on a fresh CPU worker from it. The CPU's is a whole checkpoint;
    /// WebGPU's is read back without Adam's moments.
    async fn post_snapshot(&self, session: &Session, force: bool) {
        const EVERY_MS: f64 = 5_000.0;
        let Some(last) = self.last_snapshot.get() else {
            return;
        };
        let now = js_sys::Date::now();
        if now - last < EVERY_MS && !force {
            return;
        }
        let both = if self.kind == BackendKind::Gpu {
            match session.snapshot().await {
                Ok(run) => session.baseline_snapshot().await.map(|b| (run, b)),
                Err(e) => Err(e),
            }
        } else {
            session
                .export()
                .and_then(|run| session.baseline_export().map(|b| (run, b)))
        };
        match both {
            Ok((bytes, baseline)) => {
                self.last_snapshot.set(Some(now));
                let baseline = baseline.map_or(JsValue::UNDEFINED, |b| {
                    js_sys::Uint8Array::from(&b[..]).into()
                });
                post(&[
                    ("type", "snapshot".into()),
                    ("bytes", js_sys::Uint8Array::from(&bytes[..]).into()),
                    ("baseline", baseline),
                    ("envSteps", (session.env_steps() as f64).into()),
                ]);
            }
            // Not fatal: without a snapshot a failing worker's run restarts on the CPU.
            Err(_) => self.last_snapshot.set(None),
        }
    }

    /// Posts the session's checkpoint as `exported`, or an `export` error saying why not. A
    /// WebGPU run is read back asynchronously as a snapshot: everything but Adam's moments
    /// (`optimizer: false`), which a continued run starts afresh.
    async fn export(&self) {
        // Out of its cell while the readback is awaited (no other request runs meanwhile).
        let taken = self.session.borrow_mut().take();
        let result = match &taken {
            None => Err("nothing to export yet: train first".to_string()),
            Some(session) => {
                let with_optimizer = self.kind != BackendKind::Gpu;
                let bytes = if with_optimizer {
                    session.export()
                } else {
                    session.snapshot().await
                };
                bytes.map(|bytes| {
                    (
                        bytes,
                        session.env_id().to_string(),
                        session.env_steps(),
                        with_optimizer,
                    )
                })
            }
        };
        *self.session.borrow_mut() = taken;
        match result {
            Ok((bytes, env_id, env_steps, with_optimizer)) => post(&[
                ("type", "exported".into()),
                ("bytes", js_sys::Uint8Array::from(&bytes[..]).into()),
                ("envId", env_id.into()),
                ("envSteps", (env_steps as f64).into()),
                ("optimizer", with_optimizer.into()),
            ]),
            Err(message) => post_error("export", message),
        }
    }

    /// Replaces the session with the run in checkpoint `bytes` (and its baseline's; `demos`
    /// teach a `demo:` teacher again).
    async fn import(
        &self,
        bytes: &[u8],
        baseline: Option<&[u8]>,
        demos: Option<&str>,
    ) -> Result<js_sys::Object, String> {
        let device = self.devices.get(self.kind).await?;
        let session = Session::import(bytes, baseline, demos, &device.device)?;
        let message = session.imported_message();
        self.replace_session(Some(session));
        Ok(message)
    }

    async fn run(&self, request: RunRequest) -> Result<&'static str, Failure> {
        let device = self.devices.get(self.kind).await.map_err(Failure::Device)?;
        if let Some(json) = &request.config {
            let session = Session::new(
                json,
                request.demos.as_deref(),
                request.baseline,
                request.race_ai,
                &device.device,
            )
            .map_err(Failure::Config)?;
            post(&[
                ("type", "device".into()),
                ("backend", self.kind.name().into()),
                ("name", device.name.clone().into()),
            ]);
            if self.kind == BackendKind::Gpu {
                post(&[
                    ("type", "status".into()),
                    (
                        "text",
                        "Compiling WebGPU shaders: the first update takes several seconds…".into(),
                    ),
                ]);
            }
            self.replace_session(Some(session));
            self.last_snapshot.set(Some(f64::NEG_INFINITY));
        }
        let mut session = self
            .session
            .borrow_mut()
            .take()
            .ok_or_else(|| Failure::Config("no session to continue: send a config".into()))?;
        let result = self.run_session(&mut session, request.updates).await;
        if result.is_ok() {
            self.post_snapshot(&session, true).await;
        }
        *self.session.borrow_mut() = Some(session);
        result
    }

    async fn run_session(
        &self,
        session: &mut Session,
        updates: u64,
    ) -> Result<&'static str, Failure> {
        let until = session.updates().saturating_add(updates);
        while session.updates() < until {
            self.apply_answers(session);
            if self.pause.get() {
                return Ok("paused");
            }
            if session.finished() {
                return Ok("finished");
            }
            let metrics = session
                .step(self.session_number.get())
                .await
                .map_err(Failure::Train)?;
            post_object(&metrics);
            if session.waiting() {
                // No step until a person's answer (or a pause) comes.
                self.wait_for_answers().await;
                continue;
            }
            self.post_snapshot(session, false).await;
            yield_to_event_loop().await;
        }
        Ok(if session.finished() {
            "finished"
        } else {
            "stepped"
        })
    }
}

/// Lets queued messages (such as `pause`) run: the CPU backend never awaits otherwise.
async fn yield_to_event_loop() {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let scope: WorkerGlobalScope = js_sys::global().unchecked_into();
        // Without a timer the run simply continues; nothing to report.
        let _ = scope.set_timeout_with_callback(&resolve);
    });
    let _ = JsFuture::from(promise).await;
}
