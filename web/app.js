// The viewer page: wires the controls to the wasm `Viewer` that trunk's loader exposes as
// `window.wasmBindings`. Everything shown comes from the module; the page fetches nothing else.

const STEPS_PER_SECOND = 30;
const MAX_STEPS_PER_FRAME = 4;
// How long the last frame of a finished episode stays up while playing.
const HOLD_AFTER_DONE_MS = 700;

const el = (id) => document.querySelector(`[data-testid="${id}"]`);
const ui = {
  select: el("env-select"),
  step: el("step"),
  play: el("play"),
  pause: el("pause"),
  reset: el("reset"),
  canvas: el("rollout-canvas"),
  status: el("status"),
  notice: el("notice"),
};

const state = {
  Viewer: null,
  viewer: null,
  seed: 0,
  playing: false,
  last: 0,
  debt: 0,
  holdUntil: 0,
};

function showError(err) {
  const message = err instanceof Error ? err.message : String(err);
  ui.notice.textContent = message;
  ui.notice.hidden = false;
}

function clearError() {
  ui.notice.textContent = "";
  ui.notice.hidden = true;
}

function showStatus(info) {
  const parts = [
    `Episode ${info.episode}`,
    `steps ${info.steps}`,
    `return ${info.episodeReturn.toFixed(2)}`,
  ];
  if (info.terminated) parts.push("terminated");
  if (info.truncated) parts.push("truncated");
  ui.status.textContent = `${parts.join(" · ")}  (seed ${state.seed})`;
}

function draw() {
  if (!state.viewer) return;
  try {
    state.viewer.draw(ui.canvas);
    showStatus(state.viewer.info());
  } catch (err) {
    setPlaying(false);
    showError(err);
  }
}

// Keeps the canvas's pixel size equal to its displayed size, so drawings stay sharp.
function fitCanvas() {
  const ratio = window.devicePixelRatio || 1;
  const width = Math.max(1, Math.round(ui.canvas.clientWidth * ratio));
  const height = Math.max(1, Math.round(ui.canvas.clientHeight * ratio));
  if (ui.canvas.width !== width || ui.canvas.height !== height) {
    ui.canvas.width = width;
    ui.canvas.height = height;
  }
}

function stepOnce() {
  if (!state.viewer) return null;
  try {
    return state.viewer.step();
  } catch (err) {
    setPlaying(false);
    showError(err);
    return null;
  }
}

function setPlaying(playing) {
  state.playing = playing && state.viewer !== null;
  ui.play.disabled = state.playing || !state.viewer;
  ui.pause.disabled = !state.playing;
  if (state.playing) {
    state.last = performance.now();
    state.debt = 0;
    requestAnimationFrame(tick);
  }
}

function tick(now) {
  if (!state.playing) return;
  if (now >= state.holdUntil) {
    state.debt += ((now - state.last) / 1000) * STEPS_PER_SECOND;
    const steps = Math.min(Math.floor(state.debt), MAX_STEPS_PER_FRAME);
    state.debt = Math.min(state.debt - steps, 1);
    for (let i = 0; i < steps; i += 1) {
      const info = stepOnce();
      if (!info) return;
      if (info.done) {
        state.holdUntil = now + HOLD_AFTER_DONE_MS;
        break;
      }
    }
    draw();
  }
  state.last = now;
  requestAnimationFrame(tick);
}

function selectEnv(id) {
  try {
    const next = new state.Viewer(id);
    if (state.viewer) state.viewer.free();
    state.viewer = next;
    state.viewer.reset(state.seed);
    clearError();
    history.replaceState(null, "", `#${encodeURIComponent(id)}`);
  } catch (err) {
    showError(err);
  }
  draw();
}

function start(bindings) {
  state.Viewer = bindings.Viewer;
  const ids = state.Viewer.envIds();
  for (const id of ids) {
    const option = document.createElement("option");
    option.value = id;
    option.textContent = id;
    ui.select.append(option);
  }
  if (ids.length === 0) {
    ui.status.textContent = "";
    showError("No environments are registered in this build.");
    return;
  }
  const wanted = decodeURIComponent(location.hash.slice(1));
  ui.select.value = ids.includes(wanted) ? wanted : ids[0];

  ui.select.addEventListener("change", () => selectEnv(ui.select.value));
  ui.step.addEventListener("click", () => {
    if (stepOnce()) draw();
  });
  ui.play.addEventListener("click", () => setPlaying(true));
  ui.pause.addEventListener("click", () => setPlaying(false));
  ui.reset.addEventListener("click", () => {
    if (!state.viewer) return;
    state.seed += 1;
    state.viewer.reset(state.seed);
    state.holdUntil = 0;
    draw();
  });
  window.addEventListener("resize", () => {
    fitCanvas();
    draw();
  });

  for (const control of [ui.select, ui.step, ui.reset]) control.disabled = false;
  fitCanvas();
  selectEnv(ui.select.value);
  setPlaying(false);
}

window.addEventListener("error", (event) => showError(event.error ?? event.message));
window.addEventListener("unhandledrejection", (event) => showError(event.reason));

// Trunk's loader sets `window.wasmBindings` and then fires `TrunkApplicationStarted`; this
// module may run before or after that.
if (window.wasmBindings) {
  start(window.wasmBindings);
} else {
  window.addEventListener("TrunkApplicationStarted", () => start(window.wasmBindings), {
    once: true,
  });
}
