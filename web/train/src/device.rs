//! The burn device a worker trains on, initialised once and kept: a second WebGPU
//! initialisation fails, and shader compilation is paid once.

use burn::tensor::Device;
use rlaif::backend::DEFAULT_CPU;
use std::cell::RefCell;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    Cpu,
    Gpu,
}

impl BackendKind {
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Cpu => "cpu",
            BackendKind::Gpu => "gpu",
        }
    }
}

#[derive(Clone)]
pub struct Ready {
    pub device: Device,
    /// Short name, e.g. `cpu-flex` or `gpu-wgpu`.
    pub name: String,
}

/// The worker's device, or why it could not start (remembered, so a retry says the same).
#[derive(Default)]
pub struct Devices {
    state: RefCell<Option<Result<Ready, String>>>,
}

impl Devices {
    pub async fn get(&self, kind: BackendKind) -> Result<Ready, String> {
        if let Some(state) = self.state.borrow().as_ref() {
            return state.clone();
        }
        let state = match kind {
            BackendKind::Cpu => Ok(Ready {
                device: DEFAULT_CPU.device(),
                name: DEFAULT_CPU.name().to_string(),
            }),
            BackendKind::Gpu => gpu().await.map(|device| Ready {
                device,
                name: "gpu-wgpu".into(),
            }),
        };
        *self.state.borrow_mut() = Some(state.clone());
        state
    }
}

/// Starts WebGPU, after checking `navigator.gpu` exists (wgpu panics without it).
#[cfg(feature = "gpu")]
async fn gpu() -> Result<Device, String> {
    use js_sys::Reflect;
    use wasm_bindgen::JsValue;
    let get = |target: &JsValue, key: &str| {
        Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    };
    let navigator = get(&js_sys::global(), "navigator");
    if navigator.is_undefined() || get(&navigator, "gpu").is_undefined() {
        return Err("this browser has no WebGPU (navigator.gpu is missing)".into());
    }
    Device::wgpu_options()
        .init_async()
        .await
        .map_err(|e| format!("WebGPU did not start: {e}"))
}

#[cfg(not(feature = "gpu"))]
async fn gpu() -> Result<Device, String> {
    Err("this build has no WebGPU backend".into())
}
