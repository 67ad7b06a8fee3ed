// Train mode: trains the selected environment in a dedicated worker, so the page's main thread
// only receives metrics and never blocks. Two worker builds exist (see index.html): `train-cpu`
// and `train-gpu` (WebGPU, much larger); each is fetched the first time it is used.

const el = (id) => document.querySelector(`[data-testid="${id}"]`);
const ui = {
  env: el("env-select"),
  backend: el("backend-select"),
  updates: el("train-updates"),
  train: el("train"),
  badge: el("backend-badge"),
  episodes: el("stat-episodes"),
  mean: el("stat-mean-return"),
  firstMean: el("stat-first-mean-return"),
  updatesDone: el("stat-updates"),
  stepsPerSecond: el("stat-steps-per-second"),
  status: el("train-status"),
  notice: el("notice"),
};

/** One worker per backend, created on first use and kept (its device is initialised once). */
const workers = new Map();
let active = null;

/** A worker that failed; `stage` says whether falling back to the CPU makes sense. */
class WorkerFailure extends Error {
  constructor(stage, message) {
    super(message);
    this.stage = stage;
  }
}

function setStatus(state, text) {
  ui.status.dataset.state = state;
  ui.status.textContent = text;
}

function showError(message) {
  ui.notice.textContent = message;
  ui.notice.hidden = false;
}

const fmt = (x, digits = 1) => (typeof x === "number" && Number.isFinite(x) ? x.toFixed(digits) : "–");

function resetStats() {
  ui.episodes.textContent = "0";
  ui.mean.textContent = "–";
  ui.firstMean.textContent = "–";
  ui.updatesDone.textContent = "0";
  ui.stepsPerSecond.textContent = "–";
}

function showMetrics(m) {
  ui.episodes.textContent = String(m.episodes);
  ui.mean.textContent = fmt(m.meanReturn, 2);
  ui.firstMean.textContent = fmt(m.firstMeanReturn, 2);
  ui.updatesDone.textContent = String(m.updates);
  if (typeof m.stepsPerSecond === "number") ui.stepsPerSecond.textContent = fmt(m.stepsPerSecond, 0);
}

/** Whether WebGPU can run here: an adapter, not just `navigator.gpu`, must exist. */
async function detectWebGpu() {
  if (!navigator.gpu) return { ok: false, reason: "this browser has no WebGPU" };
  try {
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) return { ok: false, reason: "no WebGPU adapter" };
    const info = adapter.info ?? {};
    const name =
      info.description || [info.vendor, info.architecture].filter(Boolean).join(" ") || "adapter";
    return { ok: true, name };
  } catch (err) {
    return { ok: false, reason: `the WebGPU adapter request failed (${err?.message ?? err})` };
  }
}

/** The worker for `backend`, once it has said it is ready. */
function getWorker(backend) {
  if (!workers.has(backend)) {
    const ready = new Promise((resolve, reject) => {
      const url = new URL(`./train-${backend}_loader.js`, import.meta.url);
      const worker = new Worker(url, { type: "module" });
      const onMessage = (event) => {
        if (event.data?.type !== "ready") return;
        worker.removeEventListener("message", onMessage);
        worker.removeEventListener("error", onError);
        resolve(worker);
      };
      const onError = (event) => {
        event.preventDefault();
        reject(new WorkerFailure("load", event.message || `the ${backend} worker did not load`));
      };
      worker.addEventListener("message", onMessage);
      worker.addEventListener("error", onError);
    });
    // A worker that failed to load is not kept, so a later run tries again.
    ready.catch(() => workers.delete(backend));
    workers.set(backend, ready);
  }
  return workers.get(backend);
}

/** Forgets a worker whose module crashed (a Rust panic leaves it unusable). */
function discardWorker(backend, worker) {
  worker.terminate();
  workers.delete(backend);
}

/** Runs one training request on `backend`; resolves with the reason it ended. */
async function runOn(backend, request) {
  const worker = await getWorker(backend);
  return new Promise((resolve, reject) => {
    let sawMetrics = false;
    const finish = () => {
      worker.removeEventListener("message", onMessage);
      worker.removeEventListener("error", onError);
      active = null;
    };
    const onMessage = (event) => {
      const m = event.data ?? {};
      switch (m.type) {
        case "status":
          setStatus(backend === "gpu" && !sawMetrics ? "compiling" : "training", m.text);
          break;
        case "metrics":
          sawMetrics = true;
          showMetrics(m);
          setStatus("training", `Training ${request.envId}: ${m.envSteps} env steps`);
          break;
        case "done":
          finish();
          resolve(m.reason);
          break;
        case "error":
          finish();
          reject(new WorkerFailure(sawMetrics ? "train" : m.stage, m.message));
          break;
        default:
          break;
      }
    };
    const onError = (event) => {
      event.preventDefault();
      finish();
      discardWorker(backend, worker);
      reject(new WorkerFailure(sawMetrics ? "train" : "crash", event.message || "the worker crashed"));
    };
    worker.addEventListener("message", onMessage);
    worker.addEventListener("error", onError);
    active = worker;
    worker.postMessage({ type: "train", ...request });
  });
}

function setRunning(running) {
  ui.train.textContent = running ? "Stop" : "Train";
  ui.backend.disabled = running;
  ui.updates.disabled = running;
}

async function train() {
  if (active) {
    active.postMessage({ type: "stop" });
    return;
  }
  const updates = Number.parseInt(ui.updates.value, 10);
  const request = {
    envId: ui.env.value,
    seed: 1,
    maxUpdates: Number.isFinite(updates) && updates > 0 ? updates : undefined,
  };
  resetStats();
  setRunning(true);
  setStatus("starting", "Starting…");
  const choice = ui.backend.value;
  let backend = "cpu";
  if (choice === "cpu") {
    ui.badge.textContent = "CPU — chosen";
  } else {
    const gpu = await detectWebGpu();
    if (gpu.ok) {
      backend = "gpu";
      ui.badge.textContent = `WebGPU (${gpu.name})`;
    } else {
      ui.badge.textContent = `CPU — ${gpu.reason}`;
    }
  }
  ui.badge.dataset.backend = backend;
  try {
    let reason;
    try {
      setStatus(backend === "gpu" ? "compiling" : "starting", `Loading the ${backend === "gpu" ? "WebGPU" : "CPU"} trainer…`);
      reason = await runOn(backend, request);
    } catch (err) {
      // WebGPU that does not start (or crashes before training) falls back to the CPU.
      if (backend !== "gpu" || !(err instanceof WorkerFailure) || err.stage === "train") throw err;
      ui.badge.textContent = `CPU — WebGPU failed: ${err.message}`;
      ui.badge.dataset.backend = "cpu";
      resetStats();
      reason = await runOn("cpu", request);
    }
    setStatus(reason === "stopped" ? "stopped" : "done", reason === "stopped" ? "Stopped." : "Done.");
  } catch (err) {
    setStatus("error", "Training failed.");
    showError(`Training failed: ${err?.message ?? err}`);
  } finally {
    setRunning(false);
  }
}

ui.train.addEventListener("click", () => {
  if (ui.env.value) train();
});

// Enabled once the viewer has listed the environments (see app.js).
if (window.wasmBindings) {
  ui.train.disabled = false;
} else {
  window.addEventListener("TrunkApplicationStarted", () => (ui.train.disabled = false), {
    once: true,
  });
}
