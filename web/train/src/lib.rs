//! The page's training worker: the rlaif [`Trainer`] in a dedicated Web Worker, so training
//! never blocks the page's main thread.
//!
//! The same code builds twice (see `Cargo.toml`): `train-cpu` on burn's CPU backend and
//! `train-gpu` on WebGPU, so the page fetches the large WebGPU module only when it uses it.
//! The protocol is in [`protocol`]; the device set-up in [`device`].

pub mod device;
pub mod protocol;

use protocol::{Request, post};
use rlaif::experiment::{ExperimentConfig, Metric, Trainer};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent, WorkerGlobalScope};

pub use device::BackendKind;

/// Episodes averaged for the "first episodes" mean the page compares against.
const FIRST_EPISODES: usize = 20;

/// Installs the message handler and tells the page the worker is ready. Called from `main`.
pub fn start(kind: BackendKind) {
    console_error_panic_hook::set_once();
    let worker = Rc::new(Worker {
        kind,
        devices: device::Devices::default(),
        stop: Cell::new(false),
        running: Cell::new(false),
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
    /// Set by a `stop` message; the run ends after its current slice.
    stop: Cell<bool>,
    running: Cell<bool>,
}

/// Why a run ended early.
enum Failure {
    /// The backend could not start: the page falls back to the CPU.
    Device(String),
    Train(String),
}

impl Worker {
    fn on_message(self: Rc<Self>, data: &JsValue) {
        match Request::parse(data) {
            Ok(Request::Stop) => self.stop.set(true),
            Ok(Request::Train(request)) if !self.running.get() => {
                self.running.set(true);
                self.stop.set(false);
                wasm_bindgen_futures::spawn_local(async move {
                    let result = self.train(&request).await;
                    self.running.set(false);
                    match result {
                        Ok(reason) => post(&[("type", "done".into()), ("reason", reason.into())]),
                        Err(Failure::Device(message)) => post(&[
                            ("type", "error".into()),
                            ("stage", "device".into()),
                            ("message", message.into()),
                        ]),
                        Err(Failure::Train(message)) => post(&[
                            ("type", "error".into()),
                            ("stage", "train".into()),
                            ("message", message.into()),
                        ]),
                    }
                });
            }
            Ok(Request::Train(_)) => post(&[
                ("type", "error".into()),
                ("stage", "train".into()),
                ("message", "a run is already in progress".into()),
            ]),
            Err(message) => post(&[
                ("type", "error".into()),
                ("stage", "request".into()),
                ("message", message.into()),
            ]),
        }
    }

    async fn train(&self, request: &protocol::TrainRequest) -> Result<&'static str, Failure> {
        let device = self.devices.get(self.kind).await.map_err(Failure::Device)?;
        post(&[
            ("type", "device".into()),
            ("backend", self.kind.name().into()),
            ("name", device.name.clone().into()),
        ]);
        let fail = |e: &dyn std::fmt::Display| Failure::Train(e.to_string());
        let mut config = ExperimentConfig::preset(&request.env_id).map_err(|e| fail(&e))?;
        config.seed = request.seed;
        let mut trainer = Trainer::new(config, &device.device).map_err(|e| fail(&e))?;
        trainer.set_clock(|| js_sys::Date::now() / 1000.0);
        let config = trainer.config();
        // One PPO update per slice: a slice is one rollout.
        let slice = (config.n_envs * config.ppo.n_steps) as u64;
        let max_updates = request.max_updates.max(1);
        if self.kind == BackendKind::Gpu {
            post(&[
                ("type", "status".into()),
                (
                    "text",
                    "Compiling WebGPU shaders: the first update takes several seconds…".into(),
                ),
            ]);
        }
        let mut first: Vec<f64> = Vec::with_capacity(FIRST_EPISODES);
        loop {
            if self.stop.get() {
                return Ok("stopped");
            }
            let report = trainer
                .step_slice_async(slice)
                .await
                .map_err(|e| fail(&e))?;
            let mut returns = Vec::new();
            let mut steps_per_second = None;
            for metric in trainer.drain_metrics() {
                match metric {
                    Metric::Episode(e) => {
                        if first.len() < FIRST_EPISODES {
                            first.push(e.episode_return);
                        }
                        returns.push(e.episode_return);
                    }
                    Metric::Update(u) => steps_per_second = u.steps_per_second,
                }
            }
            let mean =
                |xs: &[f64]| (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64);
            post(&[
                ("type", "metrics".into()),
                ("envSteps", (trainer.env_steps() as f64).into()),
                ("episodes", (trainer.episodes() as f64).into()),
                ("updates", (trainer.updates() as f64).into()),
                ("meanReturn", trainer.mean_return().into()),
                (
                    "firstMeanReturn",
                    (first.len() == FIRST_EPISODES)
                        .then(|| mean(&first))
                        .flatten()
                        .into(),
                ),
                ("stepsPerSecond", steps_per_second.into()),
                ("returns", js_sys::Float64Array::from(&returns[..]).into()),
            ]);
            if trainer.updates() >= max_updates || report.finished {
                return Ok("finished");
            }
            yield_to_event_loop().await;
        }
    }
}

/// Lets queued messages (such as `stop`) run: the CPU backend never awaits otherwise.
async fn yield_to_event_loop() {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let scope: WorkerGlobalScope = js_sys::global().unchecked_into();
        // Without a timer the run simply continues; nothing to report.
        let _ = scope.set_timeout_with_callback(&resolve);
    });
    let _ = JsFuture::from(promise).await;
}
