// The playground page: settings (kept in the URL hash, see state.js), the rollout canvas driven
// by the wasm `Viewer` (with the teacher's view of it, and a person's play recorded as
// demonstrations), training in a worker (trainer.js) with a baseline racing it, and the
// learning curves drawn by the wasm `Chart`. Text from the URL is only ever set as text.

import { SCHEMA, defaults, parseHash, readSetting, settingsOf, stateFromSettings, toHash } from "./state.js";
import { TrainerClient, WorkerFailure, detectWebGpu } from "./trainer.js";
import { fitCanvas } from "./canvas.js";
import { LabelingPanel } from "./labeling.js"; // labelling panel
import { PageMode } from "./page-mode.js";
import { BENCH_UPDATES, decide, keep, keptChoice, sizeKey } from "./backend-choice.js";

const MAX_STEPS_PER_FRAME = 8;
// How long the last frame of a finished episode stays up while playing.
const HOLD_AFTER_DONE_MS = 500;
/**
 * How long a newer agent episode may wait behind the one on the canvas before the canvas skips
 * ahead to it: short episodes play whole, long ones give way, so the canvas shows the agent now.
 */
const FALL_BEHIND_MS = 2000;
/** Agent episodes remembered for the canvas's caption. */
const KEEP_AGENT_EPISODES = 16;
// The teacher name a config gets for the page's own demonstrations (the core's
// `YOUR_DEMONSTRATIONS`: a lesson with it asks the person to play first).
const DEMO_TEACHER = "demo:your-demonstrations";
// Where a person's demonstrations of each env are kept between visits.
const demoKey = (env) => `rlaif-playground.demos.${env}`;
// Controls an embed shows when the author lists none.
const EMBED_CONTROLS = ["fb", "lambda", "seed"];

/** Named starting points; choosing one sets these keys, the rest stay as they are. */
const PRESETS = [
  { id: "cartpole", label: "CartPole: reward only", set: { env: "CartPole-v1", fb: "none" } },
  { id: "cartpole-shaping", label: "CartPole: teacher shaping", set: { env: "CartPole-v1", fb: "shaping", lambda: 0.5 } },
  { id: "mountaincar-direct", label: "MountainCar: direct AI reward", set: { env: "MountainCar-v0", fb: "direct", lambda: 0.5 } },
  { id: "doorkey-preference", label: "DoorKey: AI preferences", set: { env: "MiniGrid-DoorKey-8x8-v0", fb: "preference", lambda: 0.5 } },
  { id: "empty-wrong-shaping", label: "Empty: a wrong teacher, shaping", set: { env: "Grid-Empty-8x8-v0", fb: "shaping", teacher: "inverted", lambda: 0.25 } },
  { id: "empty-wrong-direct", label: "Empty: a wrong teacher, direct", set: { env: "Grid-Empty-8x8-v0", fb: "direct", teacher: "inverted", lambda: 1 } },
  { id: "connectfour-advice", label: "Connect Four: teacher advice", set: { env: "ConnectFour-v0", fb: "advice", lambda: 0.3 } },
];
/**
 * The lesson a visit without a link opens on: one where AI feedback visibly wins against the
 * racing baseline within seconds (static/presets/lessons/mountaincar-direct.json).
 */
const LANDING_LESSON = "mountaincar-direct";

const el = (id) => document.querySelector(`[data-testid="${id}"]`);
const ui = {
  env: el("env-select"),
  preset: el("preset-select"),
  lesson: el("lesson-select"),
  fb: el("feedback-select"),
  teacher: el("teacher-select"),
  labels: el("labels-from"),
  freeze: el("freeze-after"),
  lessonText: el("lesson-text"),
  raceTable: el("race-table"),
  heldOut: el("held-out-accuracy"),
  labelsDownload: el("labels-download"),
  labelsLoad: el("labels-load"),
  labelsFile: el("labels-file"),
  lambda: el("lambda"),
  sched: el("schedule-select"),
  floor: el("floor"),
  mistake: el("mistake"),
  beta: el("beta"),
  lr: el("lr"),
  envs: el("envs"),
  seed: el("seed"),
  seeds: el("seeds"),
  speed: el("speed"),
  backend: el("backend-select"),
  base: el("baseline-toggle"),
  ov: el("overlay-toggle"),
  readout: el("teacher-readout"),
  humanPlay: el("human-play"),
  humanKeys: el("human-keys"),
  demosDownload: el("demos-download"),
  demosLoad: el("demos-load"),
  demosFile: el("demos-file"),
  demosClear: el("demos-clear"),
  demoEpisodes: el("demo-episodes"),
  demoSteps: el("demo-steps"),
  demoStorage: el("demo-storage"),
  play: el("play"),
  pause: el("pause"),
  step: el("step"),
  reset: el("reset"),
  share: el("share"),
  embedCode: el("embed-code"),
  exportAgent: el("export"),
  importAgent: el("import"),
  importFile: el("import-file"),
  copyBox: el("copy-box"),
  copyLabel: el("copy-label"),
  copyText: el("copy-text"),
  notice: el("notice"),
  badge: el("backend-badge"),
  canvas: el("rollout-canvas"),
  chart: el("chart"),
  accuracyPanel: el("accuracy-panel"),
  accuracyChart: el("accuracy-chart"),
  status: el("status"),
  trainStatus: el("train-status"),
  stats: {
    episodes: el("stat-episodes"),
    envSteps: el("stat-env-steps"),
    mean: el("stat-mean-return"),
    baselineMean: el("stat-baseline-mean-return"),
    labels: el("stat-labels"),
    labelsYou: el("stat-labels-you"),
    updates: el("stat-updates"),
    firstMean: el("stat-first-mean-return"),
    stepsPerSecond: el("stat-steps-per-second"),
  },
};

/** Which element shows which setting, and how its value is read. */
const CONTROLS = [
  ["env", "select"], ["fb", "select"], ["labels", "select"], ["freeze", "number"], ["teacher", "select"], ["lambda", "range"],
  ["sched", "select"], ["floor", "range"], ["mistake", "range"], ["beta", "number"],
  ["lr", "number"], ["envs", "number"], ["seed", "number"], ["seeds", "number"], ["speed", "range"],
  ["backend", "select"], ["base", "checkbox"], ["ov", "checkbox"],
];
/** Settings that only change what is shown: the session goes on when they change. */
const VIEW_ONLY = ["speed", "ov"];

const page = {
  B: null,
  envIds: [],
  state: defaults(),
  hashNotes: [],
  error: null,
  viewer: null,
  /** The labelling panel (labeling.js). */
  labels: null,
  charts: null,
  gpu: null,
  /** The run's latest snapshot `{ bytes, baseline, envSteps }`, to continue on a fresh CPU worker if its worker fails or crashes. */
  snapshot: null,
  /** The demonstrations text the session's teacher learned from (a `demo` teacher), if any. */
  sessionDemos: null,
  /** Seeds the session trains side by side (its config's `seeds`): above 1, the chart draws bands. */
  sessionSeeds: 1,
  /** Counts the sessions started, so that work for one (measuring backends) never touches the next. */
  sessionCount: 0,
  /** The session's config JSON. */
  sessionConfig: null,
  /** The session (its count) whose first metrics start measuring WebGPU against the CPU (`auto`). */
  measureAfterFirstMetrics: null,
  /** What the page is doing (page-mode.js): idle, training, stepping, paused, human or importing. */
  mode: new PageMode((to, from) => onModeChange(to, from)),
  client: null,
  // Training: the backend holding a session, the request in flight, and the last metrics.
  session: null,
  /** The backend of the request in flight (a new session's before its first request ends). */
  training: null,
  inFlight: null,
  redrawPending: false,
  anim: { last: 0, debt: 0, holdUntil: 0, viewerSeed: 0 },
  /**
   * The agent's episodes the canvas was sent, newest last (`{ number, update, at }`): the
   * canvas says which update an episode came from, and skips ahead when it falls behind.
   */
  agentEpisodes: [],
};

// --- notices -------------------------------------------------------------------------------

function renderNotice() {
  const lines = [];
  if (page.hashNotes.length > 0) lines.push(`Ignored from the link: ${page.hashNotes.join("; ")}.`);
  if (page.error) lines.push(page.error);
  ui.notice.textContent = lines.join("\n");
  ui.notice.hidden = lines.length === 0;
}

function showError(err) {
  page.error = err instanceof Error ? err.message : String(err);
  renderNotice();
}

function clearError() {
  page.error = null;
  renderNotice();
}

// --- settings and the hash -----------------------------------------------------------------

const lists = () => ({
  envIds: page.envIds,
  lessonEnv: (id) => lessonConfig(id)?.env_id ?? null,
  teachersFor: (env, lesson) => [...page.B.Viewer.teachers(env), ...(hasDemos(env) || lessonAsksDemos(lesson) ? ["demo"] : [])],
});

/** Whether lesson `id` learns from the person's demonstrations (which they record first). */
function lessonAsksDemos(id) {
  return lessonConfig(id)?.feedback?.teacher === DEMO_TEACHER;
}

function writeHash() {
  history.replaceState(null, "", toHash(page.state));
}

function option(select, value, text) {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = text;
  select.append(o);
}

function fillTeachers() {
  ui.teacher.replaceChildren();
  const names = page.B.Viewer.teachers(page.state.env);
  option(ui.teacher, "", names.length > 0 ? `default (${names[0]})` : "none built in for this env");
  for (const name of names) option(ui.teacher, name, name);
  if (hasDemos(page.state.env)) {
    const n = page.viewer?.envId === page.state.env ? page.viewer.demoEpisodes() : "saved";
    option(ui.teacher, "demo", `learned from your demonstrations (${n} episodes)`);
  } else if (page.state.teacher === "demo") {
    // A lesson on demonstrations, before any: the choice stays, and Play says what is missing.
    option(ui.teacher, "demo", "learned from your demonstrations (none yet: play it yourself first)");
  }
  ui.teacher.value = page.state.teacher;
}

/** Lesson `id`'s config (parsed), or null for an unknown id. */
function lessonConfig(id) {
  if (!id || !page.B.Viewer.lessons().includes(id)) return null;
  return JSON.parse(page.B.Viewer.lesson(id));
}

function presetOf(state) {
  if (state.lesson !== "") return "custom";
  const match = PRESETS.find((p) => Object.entries(p.set).every(([k, v]) => state[k] === v));
  return match ? match.id : "custom";
}

/** The config the page's settings edit: the lesson's when one is chosen, else the env's preset. */
function baseConfig(state) {
  return lessonConfig(state.lesson) ?? JSON.parse(page.B.Viewer.preset(state.env));
}

/** Shows `page.state` in every control. */
function showState() {
  const s = page.state;
  for (const [key, kind] of CONTROLS) {
    const input = ui[key];
    if (kind === "checkbox") input.checked = s[key];
    else input.value = s[key] === null ? "" : String(s[key]);
  }
  fillTeachers();
  ui.preset.value = presetOf(s);
  ui.lesson.value = s.lesson;
  el("lambda-value").textContent = String(s.lambda);
  el("floor-value").textContent = String(s.floor);
  el("mistake-value").textContent = String(s.mistake);
  el("speed-value").textContent = String(s.speed);
  ui.accuracyPanel.hidden = s.fb !== "preference";
  // Placeholders show the preset's values for what the link leaves to the preset.
  try {
    const preset = baseConfig(s);
    ui.lr.placeholder = String(preset.ppo.learning_rate);
    ui.envs.placeholder = String(preset.n_envs);
    ui.seeds.placeholder = String(preset.seeds ?? 1);
    const freeze = preset.feedback?.preference?.freeze_after;
    ui.freeze.placeholder = freeze ? String(freeze) : "never";
    const notes = s.lesson !== "" ? preset.notes : null;
    ui.lessonText.textContent = notes ?? "";
    ui.lessonText.hidden = !notes;
  } catch {
    ui.lr.placeholder = ui.envs.placeholder = ui.seeds.placeholder = ui.freeze.placeholder = "preset";
  }
  // Labelling panel: a new env, teacher, seed or label source starts it afresh (the same
  // ones change nothing); with labels from you it shows the run's queued pairs.
  page.labels?.configure(s.env, s.teacher, s.seed, labelsFromYou());
  enableControls();
}

/** Preference feedback with labels from you (or both): the run asks you. */
function labelsFromYou() {
  return page.state.fb === "preference" && page.state.labels !== "ai";
}

/**
 * Why a control does nothing with the current settings, or null. Such a control is disabled
 * and says why (beside it and on hover), instead of taking a value that changes nothing.
 */
function idleReason(key) {
  const s = page.state;
  const none = "No feedback: choose a feedback mode first.";
  const labeler = "Only preference feedback asks a labeler.";
  switch (key) {
    case "lambda":
    case "sched":
      return s.fb === "none" ? none : null;
    case "floor":
      if (s.fb === "none") return none;
      return s.sched === "linear" ? null : "Only a linear schedule decays to a floor.";
    case "teacher":
      return s.fb === "none" && !s.ov ? "No feedback asks a teacher: choose a feedback mode, or show the teacher." : null;
    case "labels":
    case "freeze":
    case "mistake":
    case "beta":
      return s.fb === "preference" ? null : labeler;
    case "base":
      return s.fb === "none" ? "No feedback: a baseline would be the same run, so none races." : null;
    case "seeds":
      return labelsFromYou() ? "Your labels train one seed: several seeds cannot all wait for you." : null;
    default:
      return null;
  }
}

/** Enables the controls once the page has started, each unless it does nothing now (see `idleReason`). */
function enableControls() {
  if (!page.started) return;
  for (const [key] of CONTROLS) {
    const input = ui[key];
    const reason = idleReason(key);
    input.disabled = reason !== null;
    // A control's own help comes back once it does something again.
    input.dataset.help ??= input.title;
    input.title = reason ?? input.dataset.help;
    const label = input.closest("label");
    if (reason) label.dataset.reason = reason;
    else delete label.dataset.reason;
  }
  ui.lesson.disabled = false;
  ui.labelsDownload.disabled = (page.session === null && page.inFlight === null) || !labelsFromYou();
  ui.labelsLoad.disabled = !labelsFromYou();
}

/** Reads a control's value through the same rules as the hash (typed, clamped). */
function readControl(key, kind) {
  const input = ui[key];
  let raw;
  if (kind === "checkbox") raw = input.checked ? "1" : "0";
  else raw = input.value.trim();
  const { value, note } = readSetting(key, raw, lists());
  return { value, notes: note ? [note] : [] };
}

function applyEmbed() {
  const embed = page.state.embed;
  document.body.classList.toggle("embed", embed);
  const shown = page.state.controls.length > 0 ? page.state.controls : EMBED_CONTROLS;
  for (const node of document.querySelectorAll("[data-control]")) {
    node.hidden = embed && !shown.includes(node.dataset.control);
  }
  if (embed) el("advanced").open = true;
}

// --- the rollout canvas --------------------------------------------------------------------

function showEpisode(info) {
  const who = info.human ? "You" : info.agent ? "Agent" : "Random policy";
  const sent = info.agent ? page.agentEpisodes.find((e) => e.number === info.episode) : null;
  const parts = [
    `${who} · episode ${info.episode}${sent ? ` (update ${sent.update})` : ""}`,
    `steps ${info.steps}`,
    `return ${info.episodeReturn.toFixed(2)}`,
  ];
  if (info.terminated) parts.push("terminated");
  if (info.truncated) parts.push("truncated");
  ui.status.textContent = parts.join(" · ");
}

function drawRollout() {
  if (!page.viewer) return;
  try {
    page.viewer.draw(ui.canvas);
    if (performance.getEntriesByName("first-frame").length === 0) performance.mark("first-frame");
    showEpisode(page.viewer.info());
    showTeacher();
  } catch (err) {
    showError(err);
  }
}

function stepRollout() {
  if (!page.viewer) return null;
  try {
    return page.viewer.step();
  } catch (err) {
    showError(err);
    return null;
  }
}

function makeViewer() {
  try {
    const next = new page.B.Viewer(page.state.env);
    page.viewer?.free();
    page.viewer = next;
    page.anim.viewerSeed = page.state.seed;
    page.viewer.reset(page.anim.viewerSeed);
    // A new env (or seed) ends a person's play.
    if (page.mode.is("human")) page.mode.go(page.session !== null ? "paused" : "idle");
    loadStoredDemos();
    applyOverlay();
  } catch (err) {
    showError(err);
  }
  drawRollout();
}

// --- the teacher's view ----------------------------------------------------------------------

/** Sets the viewer's teacher to the chosen one when the overlay is on (none when it is off). */
function applyOverlay() {
  if (!page.viewer) return;
  ui.readout.hidden = !page.state.ov;
  if (!page.state.ov) {
    page.viewer.clearTeacher();
    return;
  }
  // The learned teacher only exists once a run learns it: the overlay shows the default one.
  const name = page.state.teacher === "demo" ? "" : page.state.teacher;
  try {
    page.viewer.setTeacher(name);
  } catch (err) {
    page.viewer.clearTeacher();
    ui.readout.textContent = `No teacher to show: ${err?.message ?? err}`;
  }
}

function showTeacher() {
  if (!page.state.ov) return;
  const t = page.viewer.teacher();
  if (!t) return;
  const names = page.B.Viewer.teachers(page.state.env);
  const name = page.state.teacher === "" || page.state.teacher === "demo" ? names[0] : page.state.teacher;
  const parts = [`Teacher ${name}: value ${t.value.toFixed(3)}`, `suggests ${t.suggestion}`];
  if (t.heatmap) parts.push("map: its value of each cell, red lowest, green highest");
  ui.readout.textContent = parts.join(" · ");
}

// --- a person at the keyboard ----------------------------------------------------------------

function hasDemos(env) {
  if (page.viewer?.envId === env) return page.viewer.demoEpisodes() > 0;
  try {
    return localStorage.getItem(demoKey(env)) !== null;
  } catch {
    return false;
  }
}

/** Loads the demonstrations this browser kept for the viewer's env. */
function loadStoredDemos() {
  let text = null;
  try {
    text = localStorage.getItem(demoKey(page.viewer.envId));
    ui.demoStorage.textContent = "";
  } catch (err) {
    ui.demoStorage.textContent = `This browser keeps no storage for the page (${err?.message ?? err}): download your demonstrations to keep them.`;
  }
  if (text !== null) {
    try {
      page.viewer.addDemos(text);
    } catch (err) {
      // Kept as it is in storage: nothing the user made is thrown away.
      showError(`Your saved demonstrations of ${page.viewer.envId} could not be read: ${err?.message ?? err}`);
    }
  }
  showDemoCounts();
}

/** Keeps the demonstrations in this browser, saying so when it cannot. */
function storeDemos() {
  const env = page.viewer.envId;
  try {
    if (page.viewer.demoEpisodes() > 0) localStorage.setItem(demoKey(env), page.viewer.demosJson());
    else localStorage.removeItem(demoKey(env));
    ui.demoStorage.textContent = "Kept in this browser.";
  } catch (err) {
    ui.demoStorage.textContent = `Not kept in this browser (${err?.message ?? err}): download them to keep them.`;
  }
}

function showDemoCounts() {
  const episodes = page.viewer ? page.viewer.demoEpisodes() : 0;
  ui.demoEpisodes.textContent = String(episodes);
  ui.demoSteps.textContent = String(page.viewer ? page.viewer.demoSteps() : 0);
  ui.demosDownload.disabled = episodes === 0;
  ui.demosClear.disabled = episodes === 0;
  fillTeachers();
}

function showHuman(on) {
  ui.humanPlay.setAttribute("aria-pressed", String(on));
  ui.humanPlay.textContent = on ? "Stop playing" : "Play it yourself";
  ui.humanKeys.hidden = !on;
  if (on) ui.humanKeys.textContent = `Keys: ${page.viewer.keys().join(" · ")}. A key after the episode ends starts the next one.`;
}

/** Hands the canvas to the person at the keyboard, or back to the agent and random policy. */
async function toggleHuman() {
  if (!page.viewer || page.mode.is("importing")) return;
  if (page.mode.is("human")) {
    leaveHuman();
    return;
  }
  if (page.mode.is("training")) await pause();
  // A step still in flight ends on its own; its episode no longer replaces the person's.
  page.viewer.startHuman(page.state.seed);
  page.mode.go("human");
  clearError();
  drawRollout();
}

/** The person stops playing: the canvas goes back to the random policy and the kept run. */
function leaveHuman() {
  page.viewer.reset(page.anim.viewerSeed);
  page.mode.go(page.session !== null || page.inFlight ? "paused" : "idle");
  drawRollout();
}

/** A key while a person plays: `true` when it was an action of the env. */
function humanKey(event) {
  let info;
  try {
    info = page.viewer.humanKey(event.key);
  } catch (err) {
    showError(err);
    return true;
  }
  if (info === undefined) return false;
  clearError();
  drawRollout();
  if (info.done) {
    storeDemos();
    showDemoCounts();
    ui.trainStatus.textContent = `Your episode ended with return ${info.episodeReturn.toFixed(2)}: it is demonstration ${page.viewer.demoEpisodes()}. Press a key to play the next one.`;
  }
  return true;
}

function downloadDemos() {
  download(new Blob([page.viewer.demosJson()], { type: "application/json" }), `${page.viewer.envId}-demos.json`);
}

/**
 * Why `file` is too large to read as a `kind` file (`checkpoint`, `demos` or `labels`: the
 * core's caps), or null: a larger file is refused before it is read.
 */
function tooLarge(file, kind) {
  const max = page.B.Viewer.fileLimits()[kind];
  if (file.size <= max) return null;
  const mib = (n) => `${(n / 2 ** 20).toFixed(n < 2 ** 20 ? 2 : 0)} MiB`;
  return `${file.name} is ${mib(file.size)}, larger than the ${mib(max)} a ${kind === "checkpoint" ? "run file" : `${kind === "demos" ? "demonstrations" : "labels"} file`} may be`;
}

async function loadDemos(file) {
  const large = tooLarge(file, "demos");
  if (large) return showError(`Could not load ${file.name}: ${large}.`);
  try {
    const added = page.viewer.addDemos(await file.text());
    storeDemos();
    showDemoCounts();
    clearError();
    ui.trainStatus.textContent = `Loaded ${added} episodes of demonstrations from ${file.name}.`;
  } catch (err) {
    showError(`Could not load ${file.name}: ${err?.message ?? err}`);
  }
}

async function clearDemos() {
  page.viewer.clearDemos();
  storeDemos();
  if (page.state.teacher === "demo") {
    page.state.teacher = "";
    writeHash();
    await discardSession("Demonstrations cleared: the teacher is the default one again.");
  }
  showDemoCounts();
}

function tick(now) {
  if (!page.mode.animates) return;
  const a = page.anim;
  if (now >= a.holdUntil) {
    a.debt += ((now - a.last) / 1000) * page.state.speed;
    const steps = Math.min(Math.floor(a.debt), MAX_STEPS_PER_FRAME);
    a.debt = Math.min(a.debt - steps, 1);
    skipAheadIfBehind(now);
    for (let i = 0; i < steps; i += 1) {
      const info = stepRollout();
      if (!info) break;
      if (info.done) {
        a.holdUntil = now + HOLD_AFTER_DONE_MS;
        break;
      }
    }
    if (steps > 0) drawRollout();
  }
  a.last = now;
  requestAnimationFrame(tick);
}

/** Skips the canvas to the newest agent episode once it has waited `FALL_BEHIND_MS`. */
function skipAheadIfBehind(now) {
  const newest = page.agentEpisodes.at(-1);
  if (!newest || !page.viewer || page.mode.is("human") || now - newest.at < FALL_BEHIND_MS) return;
  const info = page.viewer.info();
  if (info.agent && info.episode !== newest.number) page.viewer.skipAhead();
}

/** After every change of `page.mode`: the canvas's clock, the person's keys, the buttons. */
function onModeChange(to, from) {
  document.body.dataset.mode = to;
  if (to === "training") {
    page.anim.last = performance.now();
    page.anim.debt = 0;
    requestAnimationFrame(tick);
  }
  if (to === "human" || from === "human") showHuman(to === "human");
  updateButtons();
}

/** Where a run that stopped training leaves the page: paused with its run kept, or idle without. */
function afterRun() {
  if (page.mode.is("training", "stepping")) page.mode.go(page.session !== null ? "paused" : "idle");
}

function updateButtons() {
  const ready = page.viewer !== null && !page.mode.is("importing");
  enableControls();
  ui.play.disabled = !ready || page.mode.is("training");
  ui.pause.disabled = !page.mode.is("training");
  ui.step.disabled = !ready || page.inFlight !== null;
  ui.reset.disabled = !ready;
  ui.exportAgent.disabled = page.session === null || page.inFlight !== null;
}

// --- charts and stats ----------------------------------------------------------------------

function makeCharts() {
  const returns = new page.B.Chart();
  const series = {
    run: returns.addSeries(0, false),
    ai: returns.addSeries(2, false),
    baseline: returns.addSeries(1, true),
    aiRace: returns.addSeries(5, true),
  };
  const accuracy = new page.B.Chart();
  const acc = {
    labeler: accuracy.addSeries(3, false),
    model: accuracy.addSeries(4, false),
  };
  page.charts = { returns, series, accuracy, acc };
}

function drawCharts() {
  page.redrawPending = false;
  try {
    fitCanvas(ui.chart);
    page.charts.returns.draw(ui.chart, "environment steps", "mean return");
    if (!ui.accuracyPanel.hidden) {
      fitCanvas(ui.accuracyChart);
      page.charts.accuracy.draw(ui.accuracyChart, "environment steps", "accuracy");
    }
  } catch (err) {
    showError(err);
  }
}

function scheduleChart() {
  if (page.redrawPending) return;
  page.redrawPending = true;
  requestAnimationFrame(drawCharts);
}

const plain = (x, digits) => (typeof x === "number" && Number.isFinite(x) ? x.toFixed(digits) : null);

function resetStats() {
  for (const key of ["episodes", "envSteps", "mean", "baselineMean", "labels", "labelsYou", "updates"]) {
    ui.stats[key].textContent = "0";
  }
  ui.stats.firstMean.textContent = "–";
  ui.stats.stepsPerSecond.textContent = "–";
  delete ui.stats.baselineMean.dataset.envSteps;
  page.charts.returns.clear();
  page.charts.accuracy.clear();
  el("legend-ai").hidden = true;
  el("legend-ai-race").hidden = true;
  page.race = {};
  showRace();
  ui.heldOut.textContent = "";
  scheduleChart();
}

const percent = (pair) => (pair && pair[1] > 0 ? `${Math.round((100 * pair[0]) / pair[1])}% of ${pair[1]}` : "none yet");

/**
 * The race's table: for each lane (no feedback, the AI's labels, yours), the env steps at
 * which its mean return first reached the env's threshold, the labels it used by source, and
 * how your labels agreed with the AI's and with the reward model's predictions.
 */
function showRace() {
  const race = page.race ?? {};
  const body = ui.raceTable.querySelector("tbody");
  body.replaceChildren();
  const you = labelsFromYou();
  const lanes = [
    ["baseline", "No feedback", race.baseline],
    ["ai", you ? "AI labels" : "AI feedback", you ? race.aiRace : race.run],
    ...(you ? [["you", page.state.labels === "both" ? "AI and your labels" : "Your labels", race.run]] : []),
  ];
  let rows = 0;
  for (const [lane, name, r] of lanes) {
    if (!r) continue;
    rows += 1;
    const tr = document.createElement("tr");
    tr.dataset.lane = lane;
    const solved = typeof r.solvedAt === "number" ? String(r.solvedAt) : r.threshold == null ? "no threshold" : `not yet (${r.envSteps})`;
    const agreement = lane === "you" ? `vs AI ${percent(r.youVsAi)}; vs reward model ${percent(r.youVsModel)}` : "–";
    const cells = [name, solved, typeof r.labelsUsed === "number" ? String(r.labelsUsed) : "–", typeof r.labelsYou === "number" ? String(r.labelsYou) : "–", agreement];
    for (const text of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    body.append(tr);
  }
  const threshold = race.run?.threshold;
  ui.raceTable.querySelector("caption").textContent =
    threshold == null ? "The race: env steps to the env's threshold" : `The race: env steps until the mean return first reached ${threshold}`;
  ui.raceTable.hidden = rows < 2;
}

/** The reward model's accuracy on each source's labels before it trained on them, and whether it is frozen. */
function showHeldOut(r) {
  if (!Array.isArray(r.aiVsModel) && !(r.aiVsModel instanceof Float64Array)) {
    ui.heldOut.textContent = "";
    return;
  }
  const parts = [];
  if (page.state.labels !== "you") parts.push(`AI labels ${percent(r.aiVsModel)}`);
  if (labelsFromYou()) parts.push(`your labels ${percent(r.youVsModel)}`);
  let text = `Reward model on each new label, before training on it: ${parts.join("; ")}.`;
  if (r.frozen) text += ` The reward model is frozen after ${(r.labelsUsed ?? 0) + (r.labelsYou ?? 0)} labels: PPO now optimises a fixed reward, and a policy can exploit its mistakes.`;
  ui.heldOut.textContent = text;
}

function onWorkerMessage(m, backend) {
  if (m.type === "crash") {
    // The worker holding the run crashed between requests: the run comes back from its
    // snapshot. (A crash of a worker without the run costs nothing: the next use loads anew.)
    if (backend === page.session && !page.inFlight) afterCrash(new WorkerFailure("crash", m.message), "The trainer crashed");
  } else if (m.type === "answered") {
    page.labels?.onAnswered(m);
  } else if (m.type === "queue") {
    if ((page.session ?? page.training) !== null) page.labels?.onQueue(m.session, m);
    if (typeof m.labelsYou === "number") ui.stats.labelsYou.textContent = String(m.labelsYou);
    if (m.waiting) showWaiting(m.waiting);
    else if (ui.trainStatus.dataset.state === "waiting") {
      setTrainStatus(page.training ? "training" : "paused", "Your first labels are in: the run trains on them.");
    }
  } else if (m.type === "snapshot") {
    page.snapshot = { bytes: m.bytes, baseline: m.baseline, envSteps: m.envSteps };
  } else if (m.type === "status") {
    setTrainStatus("compiling", m.text);
  } else if (m.type === "metrics") {
    if (page.measureAfterFirstMetrics === page.sessionCount && backend === "cpu") {
      // The run trains: now WebGPU may load, without delaying the first step.
      page.measureAfterFirstMetrics = null;
      measureBackends(page.sessionCount, page.sessionConfig).catch((err) => {
        const on = page.session ?? "cpu";
        setBadge(on, `${on === "gpu" ? "WebGPU" : "CPU"} — the backends were not compared: ${err?.message ?? err}`);
      });
    }
    const r = m.run;
    ui.stats.episodes.textContent = String(r.episodes);
    ui.stats.envSteps.textContent = String(r.envSteps);
    ui.stats.updates.textContent = String(r.updates);
    ui.stats.mean.textContent = plain(r.meanReturn, 2) ?? ui.stats.mean.textContent;
    ui.stats.firstMean.textContent = plain(r.firstMeanReturn, 2) ?? "–";
    if (typeof m.stepsPerSecond === "number") {
      ui.stats.stepsPerSecond.textContent = plain(m.stepsPerSecond, 0);
    }
    extendCurve(page.charts.series.run, r);
    // The agent's latest episode replaces the random policy on the canvas.
    if (r.episode && page.mode.replays && page.viewer?.envId === page.state.env) {
      const e = r.episode;
      page.viewer.replay(e.seed, e.actions, e.number, e.episodeReturn);
      page.agentEpisodes.push({ number: e.number, update: r.updates, at: performance.now() });
      if (page.agentEpisodes.length > KEEP_AGENT_EPISODES) page.agentEpisodes.shift();
      page.labels?.addEpisode(e); // labelling panel: segments from the agent's episodes
      if (!page.mode.animates) drawRollout();
    }
    // Feedback runs also report the AI return and, in preference mode, labels and accuracies.
    if (r.aiCurve?.length > 0) {
      page.charts.returns.extend(page.charts.series.ai, r.aiCurve);
      el("legend-ai").hidden = false;
    }
    if (typeof r.labelsUsed === "number") ui.stats.labels.textContent = String(r.labelsUsed);
    if (typeof r.labelsYou === "number") ui.stats.labelsYou.textContent = String(r.labelsYou);
    page.labels?.onQueue(m.session, r, r.envSteps);
    if (r.labelerAccuracy) page.charts.accuracy.extend(page.charts.acc.labeler, r.labelerAccuracy);
    if (r.rewardModelAccuracy) page.charts.accuracy.extend(page.charts.acc.model, r.rewardModelAccuracy);
    page.race = { run: r, baseline: m.baseline ?? page.race?.baseline, aiRace: m.aiRace ?? page.race?.aiRace };
    showRace();
    showHeldOut(r);
    if (m.aiRace) {
      page.charts.returns.extend(page.charts.series.aiRace, m.aiRace.curve);
      el("legend-ai-race").hidden = false;
    }
    if (m.baseline) {
      const b = m.baseline;
      ui.stats.baselineMean.textContent = plain(b.meanReturn, 2) ?? ui.stats.baselineMean.textContent;
      ui.stats.baselineMean.dataset.envSteps = String(b.envSteps);
      extendCurve(page.charts.series.baseline, b);
    }
    if (r.waiting) {
      showWaiting(r.waiting);
    } else {
      setTrainStatus("training", `Training ${page.state.env}: ${r.envSteps} env steps, ${r.updates} updates`);
    }
    scheduleChart();
  }
}

/**
 * Extends a lane's line on the returns chart: its own curve, or with several seeds their
 * mean and min-max band (`lane.band`: x, mean, min, max), once every seed has a mean.
 */
function extendCurve(series, lane) {
  const chart = page.charts.returns;
  if (page.sessionSeeds > 1) chart.extendBand(series, lane.band ?? []);
  else chart.extend(series, lane.curve);
  ui.chart.dataset.bandPoints = String(chart.bandLen(page.charts.series.run));
}

/**
 * Sets the session's seeds, and the legend's line on them: the env return's and the baseline's
 * lines become means with a band, while the AI return and the numbers stay the first seed's.
 */
function setSessionSeeds(n) {
  page.sessionSeeds = n;
  const legend = el("legend-band");
  legend.hidden = n <= 1;
  legend.textContent = n > 1
    ? `Env return and baseline: the mean of ${n} seeds (${page.state.seed} to ${page.state.seed + n - 1}), shaded over their range. The AI return and the numbers below are seed ${page.state.seed}'s.`
    : "";
}

/** The run waits for a person's first labels: `{ given, needed }`. */
function showWaiting({ given, needed }) {
  setTrainStatus("waiting", `Waiting for your labels: ${given} of ${needed} first labels. Label the pairs below; training goes on once they are in.`);
}

function setTrainStatus(state, text) {
  ui.trainStatus.dataset.state = state;
  ui.trainStatus.textContent = text;
}

// --- training ------------------------------------------------------------------------------

/** Settings the core refused: they do not make a valid run (the message says which and why). */
class SettingsError extends Error {}

/**
 * The `ExperimentConfig` JSON for the current settings: the lesson's config or the env's
 * preset, with the page's settings laid on by the core (one schema with the CLI's flags).
 */
function buildConfig() {
  const s = page.state;
  const base = s.lesson !== "" ? page.B.Viewer.lesson(s.lesson) : page.B.Viewer.preset(s.env);
  try {
    return page.B.Viewer.configWith(base, JSON.stringify(settingsOf(s, DEMO_TEACHER)));
  } catch (err) {
    throw new SettingsError(err?.message ?? String(err));
  }
}

/** The page's settings for a run's config (JSON): lesson `lesson`'s, or an imported run's. */
function stateOfConfig(configJson, lesson = "") {
  return stateFromSettings(JSON.parse(page.B.Viewer.settingsOf(configJson)), page.state, lists(), lesson);
}

/** A new session's run request: the config, and the demonstrations its teacher learns from. */
function newRunRequest(updates) {
  // With your labels, the baseline's race gains a third lane: the AI labeler's labels.
  // Without feedback a baseline would be the same run: none races.
  const race = page.state.base && page.state.fb !== "none";
  const request = { updates, config: buildConfig(), baseline: race, raceAi: race && labelsFromYou() };
  setSessionSeeds(JSON.parse(request.config).seeds ?? 1);
  if (page.state.fb !== "none" && page.state.teacher === "demo") {
    if (!page.viewer || page.viewer.demoEpisodes() === 0) {
      throw new SettingsError('the teacher learns from your demonstrations, and there are none yet: press "Play it yourself" and finish an episode or three (or add a demonstrations file), then Play');
    }
    request.demos = page.viewer.demosJson();
  }
  return request;
}

/**
 * The backend a new session starts on, with the badge saying which and why. `auto` starts on
 * the CPU: its trainer is light and trains at once, and WebGPU, where an adapter exists, is
 * measured against it once the run trains (`measureBackends`).
 */
async function chooseBackend() {
  const choice = page.state.backend;
  if (choice === "cpu") return setBadge("cpu", "CPU — chosen");
  page.gpu ??= await detectWebGpu();
  if (choice === "gpu") {
    return page.gpu.ok ? setBadge("gpu", `WebGPU (${page.gpu.name})`) : setBadge("cpu", `CPU — WebGPU unavailable: ${page.gpu.reason}`);
  }
  if (!page.gpu.ok) return setBadge("cpu", `CPU — ${page.gpu.reason}`);
  return setBadge("cpu", `CPU — WebGPU (${page.gpu.name}) is measured against it once the run trains`);
}

/** The page's localStorage, or null where the browser refuses it (a sandboxed embed). */
function storage() {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/**
 * `auto` with a WebGPU adapter, once the session trains on the CPU: loads the WebGPU worker
 * in the background, times a few updates of the run's config on both backends there (or takes
 * the choice kept from an earlier visit), and moves the run to WebGPU only if WebGPU measured
 * faster. The badge says what was measured and chosen.
 */
async function measureBackends(count, config) {
  const key = sizeKey(config, page.gpu.name);
  let choice = keptChoice(storage(), key);
  if (!choice) {
    setBadge("cpu", `CPU — loading WebGPU (${page.gpu.name}) to measure it against the CPU…`);
    let timings;
    try {
      timings = await page.client.request("gpu", { type: "bench", config, updates: BENCH_UPDATES }, "bench");
    } catch (err) {
      timings = { gpuError: err?.message ?? String(err) };
    }
    choice = decide(timings);
    if (Number.isFinite(timings.cpuMs) && Number.isFinite(timings.gpuMs)) keep(storage(), key, timings);
  }
  // A run reset or replaced meanwhile has its own measurement.
  if (count !== page.sessionCount) return;
  if (choice.backend === "cpu" || page.session === "gpu" || page.training === "gpu") {
    setBadge(page.session ?? page.training ?? "cpu", choice.text);
    return;
  }
  await moveToGpu(count, choice.text);
}

/**
 * Moves the session from the CPU worker to the WebGPU worker through its snapshot (the path
 * the CPU fallback takes the other way): pauses it after its current update, imports the
 * snapshot there, and trains on if it was training. A run that cannot move stays, saying why.
 */
async function moveToGpu(count, text) {
  const stays = page.sessionSeeds > 1
    ? `${page.sessionSeeds} seeds side by side`
    : labelsFromYou() ? "a run asking for your labels" : null;
  if (stays) return setBadge("cpu", `${text}; the run stays on the CPU (${stays} cannot move)`);
  const resume = page.mode.is("training");
  setTrainStatus("starting", "Moving the run to WebGPU…");
  await stopTraining();
  if (count !== page.sessionCount || page.session !== "cpu" || page.inFlight) return;
  let done;
  page.inFlight = new Promise((resolve) => (done = resolve));
  updateButtons();
  const snapshot = page.snapshot;
  let moved = false;
  try {
    if (!snapshot) throw new Error("the run has no snapshot yet");
    await restoreSnapshot(snapshot, "gpu");
    moved = true;
  } catch (err) {
    setBadge("cpu", `${text}, but the run could not move (${err?.message ?? err}): it stays on the CPU`);
  } finally {
    page.inFlight = null;
    done();
    updateButtons();
  }
  if (moved) setBadge("gpu", `${text}; the run moved to WebGPU at step ${snapshot.envSteps}`);
  if (count !== page.sessionCount) return;
  if (resume && page.mode.is("training")) train(Infinity);
  else setTrainStatus("paused", "Paused.");
}

function setBadge(backend, text) {
  ui.badge.textContent = text;
  ui.badge.dataset.backend = backend;
  return backend;
}

/** Trains `updates` more updates (Infinity: until paused), starting a session if none. */
async function train(updates) {
  if (page.inFlight) return;
  let resolveDone;
  page.inFlight = new Promise((resolve) => (resolveDone = resolve));
  updateButtons();
  try {
    let backend = page.session;
    let request = { updates };
    if (backend === null) {
      backend = await chooseBackend();
      request = newRunRequest(updates);
      page.sessionDemos = request.demos ?? null;
      page.sessionCount += 1;
      page.sessionConfig = request.config;
      const measure = backend === "cpu" && page.state.backend === "auto" && page.gpu?.ok;
      page.measureAfterFirstMetrics = measure ? page.sessionCount : null;
      resetStats();
      setTrainStatus(backend === "gpu" ? "compiling" : "starting", `Loading the ${backend === "gpu" ? "WebGPU" : "CPU"} trainer…`);
    }
    let reason;
    // The worker holding the run, for answers given while it trains.
    page.training = backend;
    try {
      reason = await page.client.run(backend, request);
    } catch (err) {
      // WebGPU that fails falls back to the CPU, and a worker that crashed is replaced by a
      // fresh CPU worker, with the reason on the badge.
      const failed = err instanceof WorkerFailure &&
        (backend === "gpu" ? ["device", "load", "crash"] : ["crash"]).includes(err.stage);
      if (!failed) throw err;
      const from = backend;
      backend = "cpu";
      page.training = backend;
      reason = await continueOnCpu(err, updates, from);
    }
    page.session = backend;
    const text = { finished: "Done: the run reached its total steps.", paused: "Paused.", stepped: "Paused after a step." };
    setTrainStatus(reason === "finished" ? "done" : "paused", text[reason] ?? reason);
    if (reason === "finished" || page.mode.is("stepping")) afterRun();
  } catch (err) {
    page.session = null;
    afterRun();
    setTrainStatus("error", "Training failed.");
    const refused = err instanceof SettingsError || (err instanceof WorkerFailure && err.stage === "config");
    const stage = refused ? "These settings do not make a run" : "Training failed";
    showError(`${stage}: ${err?.message ?? err}`);
  } finally {
    page.training = null;
    page.inFlight = null;
    resolveDone();
    updateButtons();
  }
  // Play pressed during a step: the run trains on once the step is in.
  if (updates === 1 && page.mode.is("training") && page.session !== null) train(Infinity);
}

/** What failed, for the badge and the status line. */
function failureText(err, from) {
  return from === "gpu" ? `WebGPU failed (${err.message})` : `the CPU trainer crashed (${err.message})`;
}

/**
 * After WebGPU failed or a worker crashed: continues the run on a fresh CPU worker from its
 * latest snapshot (weights, statistics, counters and envs; from WebGPU, Adam starts afresh),
 * or, without one, starts it there anew.
 */
async function continueOnCpu(err, updates, from) {
  // A run that had begun (it sent metrics, or continues a session) goes on from its snapshot.
  const snapshot = err.midRun || page.session !== null ? page.snapshot : null;
  page.snapshot = null;
  if (snapshot) {
    try {
      await restoreSnapshot(snapshot);
      setBadge("cpu", `CPU — ${failureText(err, from)}; the run went on from step ${snapshot.envSteps}`);
      setTrainStatus("training", `${from === "gpu" ? "WebGPU failed" : "The trainer crashed"}: continuing on the CPU from step ${snapshot.envSteps}.`);
      return await page.client.run("cpu", { updates });
    } catch (importErr) {
      // The snapshot did not load: start afresh below, saying both reasons.
      err = new WorkerFailure(err.stage, `${err.message}; its snapshot did not load: ${importErr?.message ?? importErr}`, err.midRun);
    }
  }
  setBadge("cpu", `CPU — ${failureText(err, from)}`);
  resetStats();
  return page.client.run("cpu", newRunRequest(updates));
}

/** Loads `snapshot` into the `backend` worker (the CPU's unless moving to WebGPU) as its session. */
async function restoreSnapshot(snapshot, backend = "cpu") {
  // A teacher learned from demonstrations is not in the snapshot: it learns again from the
  // same demonstrations, with the same seed.
  const demos = page.sessionDemos ?? undefined;
  await page.client.request(backend, { type: "import", bytes: snapshot.bytes, baseline: snapshot.baseline, demos }, "imported");
  page.session = backend;
  // A snapshot holds the first seed alone: the lines go on as that seed's.
  setSessionSeeds(1);
}

/**
 * A request between runs (import, labels, export) crashed its worker, and the session with
 * it: the run comes back on a fresh CPU worker from its latest snapshot. Says what happened.
 */
async function afterCrash(err, what) {
  const snapshot = page.snapshot;
  page.snapshot = null;
  if (!snapshot || page.session === null) {
    page.session = null;
    showError(`${what}: ${err.message}. There was no snapshot of the run to go on from: press Play to start afresh.`);
    return;
  }
  try {
    await restoreSnapshot(snapshot);
    page.snapshot = snapshot;
    setBadge("cpu", `CPU — ${failureText(err, "cpu")}; the run went on from step ${snapshot.envSteps}`);
    ui.stats.envSteps.textContent = String(snapshot.envSteps);
    showError(`${what}: ${err.message}. The run is kept: it goes on from its snapshot at step ${snapshot.envSteps}.`);
    setTrainStatus("paused", `The trainer crashed: the run goes on from step ${snapshot.envSteps}.`);
  } catch (importErr) {
    page.session = null;
    showError(`${what}: ${err.message}; its snapshot did not load either (${importErr?.message ?? importErr}).`);
  }
}

async function stopTraining() {
  const running = page.inFlight;
  if (running) {
    page.client.pause();
    await running;
  }
}

/** Ends the session (settings changed or Reset): the next Play starts afresh. */
async function discardSession(text) {
  // The canvas goes back to the random policy at once, and ignores agent episodes that the
  // ending run still sends.
  page.mode.go("idle");
  page.agentEpisodes = [];
  page.viewer?.reset(page.anim.viewerSeed);
  page.labels?.forgetAgent();
  page.anim.holdUntil = 0;
  drawRollout();
  await stopTraining();
  await page.client.reset();
  // Queries the ending run sent meanwhile are forgotten too: they are never answered.
  page.labels?.forgetAgent();
  page.session = null;
  page.snapshot = null;
  setSessionSeeds(1);
  resetStats();
  setTrainStatus("idle", text);
}

// --- controls ------------------------------------------------------------------------------

async function onControl(key, kind) {
  const { value, notes } = readControl(key, kind);
  if (notes.length > 0) showError(`${SCHEMA[key].label}: ${notes.join("; ")}`);
  else clearError();
  if (value !== undefined) page.state[key] = value;
  // A lesson is one env's: another env leaves it.
  if (key === "env") Object.assign(page.state, { teacher: "", lesson: "" });
  showState();
  writeHash();
  if (key === "env" || key === "seed") makeViewer();
  else if (key === "teacher" || key === "ov") {
    applyOverlay();
    drawRollout();
  }
  if (key === "fb") scheduleChart();
  if (!VIEW_ONLY.includes(key)) await discardSession("Settings changed: press Play to train with them.");
}

async function onPreset() {
  const preset = PRESETS.find((p) => p.id === ui.preset.value);
  if (!preset) return;
  const envChanged = preset.set.env !== page.state.env;
  // The preset's teacher, or the env's default when it names none.
  Object.assign(page.state, { teacher: "", lesson: "" }, preset.set);
  showState();
  writeHash();
  if (envChanged) makeViewer();
  else {
    applyOverlay();
    drawRollout();
  }
  await discardSession("Preset loaded: press Play to train.");
}

/** Opens lesson `id`: every setting its config has (the view settings stay), and its text. */
function applyLesson(id) {
  const { state } = stateOfConfig(page.B.Viewer.lesson(id), id);
  // A lesson races its baseline: that is what it shows.
  page.state = { ...state, lesson: id, base: true };
}

async function onLesson() {
  const id = ui.lesson.value;
  const envBefore = page.state.env;
  if (id === "") page.state.lesson = "";
  else applyLesson(id);
  showState();
  writeHash();
  if (page.state.env !== envBefore) makeViewer();
  else {
    applyOverlay();
    drawRollout();
  }
  await discardSession(id === "" ? "The lesson is left: the settings shown stay, yours to change; knobs without a control here come from the environment's preset again." : "Lesson loaded: press Play to train.");
}

function play() {
  if (page.mode.is("training", "importing")) return;
  clearError();
  if (page.mode.is("human")) leaveHuman();
  page.mode.go("training");
  // During a step, training goes on when the step is in (see `train`).
  if (!page.inFlight) train(Infinity);
}

async function pause() {
  // A paused canvas stays as it is: the update still in flight may not swap in its episode.
  if (page.mode.is("training", "stepping")) page.mode.go("paused");
  page.client.pause();
}

function step() {
  if (page.inFlight || page.mode.is("importing")) return;
  if (page.mode.is("human")) leaveHuman();
  if (stepRollout()) drawRollout();
  page.mode.go("stepping");
  train(1);
}

async function reset() {
  page.anim.viewerSeed += 1;
  await discardSession("Reset: press Play to train.");
}

async function copy(label, text) {
  ui.copyText.value = text;
  ui.copyBox.hidden = false;
  let copied = false;
  try {
    await navigator.clipboard.writeText(text);
    copied = true;
  } catch {
    copied = false;
  }
  ui.copyLabel.textContent = copied ? `${label} copied:` : `${label} (select and copy):`;
  if (!copied) ui.copyText.select();
}

// --- export and import ---------------------------------------------------------------------

/** Saves `blob` as a download named `name`. */
function download(blob, name) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 0);
}

/** Calls `handle(file)` with each file picked in `input` (which is cleared, so the same file
 * can be picked again). */
function onFilePicked(input, handle) {
  input.addEventListener("change", () => {
    const file = input.files?.[0];
    input.value = "";
    if (file) handle(file);
  });
}

/** Downloads the session's run (weights, optimizer, statistics, config) as one file. */
async function exportAgent() {
  if (page.session === null) return;
  if (page.state.fb !== "none" && page.state.teacher === "demo") {
    showError("Export failed: a run whose teacher is learned from your demonstrations cannot be exported yet (the file would not hold the teacher). Export the demonstrations instead, with Download demonstrations.");
    return;
  }
  await stopTraining();
  try {
    const m = await page.client.request(page.session, { type: "export" }, "exported");
    const name = `${m.envId}-seed${page.state.seed}-${m.envSteps}-steps.rlaif`;
    download(new Blob([m.bytes], { type: "application/octet-stream" }), name);
    const partial = m.optimizer ? "" : " It was read back from WebGPU without the optimiser's state: a run continued from it starts Adam afresh.";
    setTrainStatus("paused", `Exported ${name}.${partial}`);
  } catch (err) {
    showError(`Export failed: ${err?.message ?? err}`);
  }
}

/** Continues the run in an exported file on the CPU; a bad file is explained, nothing lost. */
async function importAgent(file) {
  const large = tooLarge(file, "checkpoint");
  if (large) return showError(`Import failed: ${large}.`);
  let bytes;
  try {
    bytes = new Uint8Array(await file.arrayBuffer());
  } catch (err) {
    showError(`Import failed: the file could not be read (${err?.message ?? err})`);
    return;
  }
  await stopTraining();
  page.mode.go("importing");
  // A failed import leaves the run as it was, paused.
  const failed = (text) => {
    showError(text);
    page.mode.go(page.session !== null ? "paused" : "idle");
  };
  let m;
  try {
    m = await page.client.request("cpu", { type: "import", bytes }, "imported", [bytes.buffer]);
  } catch (err) {
    // The current session, if any, is untouched: the worker replaces it only on success, and
    // a worker that crashed gives the run back from its snapshot.
    if (err instanceof WorkerFailure && err.stage === "crash" && page.session === "cpu") {
      await afterCrash(err, "Import failed");
      page.mode.go(page.session !== null ? "paused" : "idle");
    } else {
      failed(`Import failed: ${err?.message ?? err}`);
    }
    return;
  }
  page.snapshot = null;
  let state, notes;
  try {
    ({ state, notes } = stateOfConfig(m.config));
  } catch (err) {
    page.session = "cpu";
    failed(`Import failed: the run's config could not be read (${err?.message ?? err})`);
    return;
  }
  page.state = state;
  page.state.backend = "cpu";
  page.state.base = false;
  showState();
  writeHash();
  makeViewer();
  resetStats();
  page.session = "cpu";
  setSessionSeeds(1);
  page.mode.go("paused");
  setBadge("cpu", "CPU — imported run");
  ui.stats.episodes.textContent = String(m.episodes);
  ui.stats.envSteps.textContent = String(m.envSteps);
  ui.stats.updates.textContent = String(m.updates);
  ui.stats.mean.textContent = plain(m.meanReturn, 2) ?? "0";
  const kept = notes.length > 0 ? ` (${notes.join("; ")})` : "";
  setTrainStatus(
    "paused",
    `Imported ${file.name}: ${m.envSteps} env steps of ${state.env}${kept}. Press Play to continue it; settings the page has no control for come from the file.`,
  );
  updateButtons();
}

/** Runs `fn` with the run paused (the worker answers file requests between runs), then plays on if it was playing. */
async function withRunPaused(fn) {
  const wasPlaying = page.mode.is("training");
  await stopTraining();
  try {
    return await fn();
  } finally {
    if (wasPlaying && page.session !== null && !page.inFlight) train(Infinity);
  }
}

/** Downloads the run's labels (yours and, with both, the AI's) as a labels file. */
async function downloadLabels() {
  if (page.session === null && page.inFlight === null) return;
  await withRunPaused(async () => {
    try {
      const m = await page.client.request(page.session, { type: "labels" }, "labels");
      download(new Blob([m.json], { type: "application/json" }), `${page.state.env}-seed${page.state.seed}-labels.json`);
    } catch (err) {
      showError(`Downloading the labels failed: ${err?.message ?? err}`);
    }
  });
}

/** Adds a labels file's labels to the run: all of them, or none with the reason. */
async function loadLabels(file) {
  if (page.session === null && page.inFlight === null) {
    showError(`Could not add ${file.name}: press Play first, so there is a run to add the labels to.`);
    return;
  }
  const large = tooLarge(file, "labels");
  if (large) return showError(`Could not add ${file.name}: ${large}.`);
  let json;
  try {
    json = await file.text();
  } catch (err) {
    showError(`Could not read ${file.name}: ${err?.message ?? err}`);
    return;
  }
  await withRunPaused(async () => {
    try {
      const m = await page.client.request(page.session, { type: "import-labels", json }, "labels-imported");
      clearError();
      setTrainStatus("paused", `Added ${m.count} labels from ${file.name}.`);
    } catch (err) {
      if (err instanceof WorkerFailure && err.stage === "crash") await afterCrash(err, `Could not add ${file.name}`);
      else showError(`Could not add ${file.name}: ${err?.message ?? err}`);
    }
  });
}

function share() {
  writeHash();
  return copy("Link", location.href);
}

function embedCode() {
  const controls = page.state.controls.length > 0 ? page.state.controls : EMBED_CONTROLS;
  const url = new URL(location.href);
  url.hash = toHash({ ...page.state, embed: true, controls });
  const src = url.href.replaceAll("&", "&amp;").replaceAll('"', "&quot;");
  const snippet = `<iframe src="${src}" width="800" height="720" style="border:0" title="RLAIF Playground" loading="lazy"></iframe>`;
  return copy("Embed code", snippet);
}

function onKey(event) {
  const target = event.target;
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (target instanceof HTMLSelectElement || target instanceof HTMLTextAreaElement) return;
  if (target instanceof HTMLInputElement && !["range", "checkbox"].includes(target.type)) return;
  // Queued pairs waiting for a label: the panel's keys answer them.
  const human = page.mode.is("human");
  if (!human && !(target instanceof HTMLInputElement) && page.labels?.onKey(event)) {
    event.preventDefault();
    return;
  }
  // A person playing: the env's keys move it (a focused slider keeps its arrow keys).
  if (human && !(target instanceof HTMLInputElement && target.type === "range") && humanKey(event)) {
    event.preventDefault();
    return;
  }
  if (event.key === " ") {
    event.preventDefault();
    if (page.mode.is("training")) pause();
    else if (page.viewer) play();
  } else if (event.key === "s" || event.key === "S") {
    step();
  } else if (event.key === "r" || event.key === "R") {
    reset();
  }
}

// --- start ---------------------------------------------------------------------------------

async function start(bindings) {
  page.B = bindings;
  // The labelling panel; a queued pair's answer goes to the worker holding the run.
  page.labels = new LabelingPanel(bindings, el("labeling-panel"), (answer) => {
    const backend = page.session ?? page.training;
    if (backend) page.client.answer(backend, answer);
  });
  page.envIds = bindings.Viewer.envIds();
  page.client = new TrainerClient(onWorkerMessage);
  if (page.envIds.length === 0) {
    ui.status.textContent = "";
    showError("No environments are registered in this build.");
    return;
  }
  for (const id of page.envIds) option(ui.env, id, id);
  for (const mode of bindings.Viewer.feedbackModes()) option(ui.fb, mode, mode);
  option(ui.preset, "custom", "custom");
  for (const p of PRESETS) {
    if (page.envIds.includes(p.set.env)) option(ui.preset, p.id, p.label);
  }
  // One line per lesson: its title (static/presets/lessons/).
  option(ui.lesson, "", "none: your own settings");
  for (const id of bindings.Viewer.lessons()) {
    const lesson = lessonConfig(id);
    if (page.envIds.includes(lesson.env_id)) option(ui.lesson, id, lesson.title ?? id);
  }

  const { state, notes } = parseHash(location.hash, lists());
  page.state = state;
  page.hashNotes = notes;
  // A visit without a link opens on a lesson; any link keeps what it says.
  if (location.hash === "" || location.hash === "#") applyLesson(LANDING_LESSON);
  renderNotice();
  showState();
  applyEmbed();
  writeHash();
  makeCharts();

  for (const [key, kind] of CONTROLS) {
    const event = kind === "range" ? "input" : "change";
    ui[key].addEventListener(event, () => onControl(key, kind));
  }
  ui.preset.addEventListener("change", onPreset);
  ui.lesson.addEventListener("change", onLesson);
  ui.play.addEventListener("click", play);
  ui.pause.addEventListener("click", pause);
  ui.step.addEventListener("click", step);
  ui.reset.addEventListener("click", reset);
  ui.share.addEventListener("click", share);
  ui.exportAgent.addEventListener("click", exportAgent);
  ui.importAgent.addEventListener("click", () => ui.importFile.click());
  onFilePicked(ui.importFile, importAgent);
  ui.embedCode.addEventListener("click", embedCode);
  ui.humanPlay.addEventListener("click", toggleHuman);
  ui.demosDownload.addEventListener("click", downloadDemos);
  ui.demosLoad.addEventListener("click", () => ui.demosFile.click());
  onFilePicked(ui.demosFile, loadDemos);
  ui.demosClear.addEventListener("click", clearDemos);
  ui.labelsDownload.addEventListener("click", downloadLabels);
  ui.labelsLoad.addEventListener("click", () => ui.labelsFile.click());
  onFilePicked(ui.labelsFile, loadLabels);
  document.addEventListener("keydown", onKey);
  // A hash edited by hand (or a link followed on this page) is read like a fresh load.
  window.addEventListener("hashchange", async () => {
    const next = parseHash(location.hash, lists());
    page.state = next.state;
    page.hashNotes = next.notes;
    page.error = null;
    renderNotice();
    showState();
    applyEmbed();
    writeHash();
    makeViewer();
    await discardSession("Settings changed: press Play to train with them.");
  });
  window.addEventListener("resize", () => {
    fitCanvas(ui.canvas);
    drawRollout();
    scheduleChart();
  });

  // Software 2D canvases: an accelerated canvas shares the GPU process with WebGPU training,
  // and its frames then wait on the training's work (main-thread tasks over 50 ms).
  for (const canvas of [ui.canvas, ui.chart, ui.accuracyChart]) {
    canvas.getContext("2d", { willReadFrequently: true });
  }
  page.started = true;
  enableControls();
  for (const b of [ui.preset, ui.share, ui.embedCode, ui.importAgent, ui.humanPlay, ui.demosLoad]) b.disabled = false;
  fitCanvas(ui.canvas);
  makeViewer();
  resetStats();
  document.body.dataset.mode = page.mode.current;
  updateButtons();
  // The badge says up front what training would use (nothing is loaded for it yet).
  chooseBackend().then(() => (ui.badge.dataset.ready = "1"));
}

window.addEventListener("error", (event) => showError(event.error ?? event.message));
window.addEventListener("unhandledrejection", (event) => showError(event.reason));

// boot.js sets `window.wasmBindings` and then fires `TrunkApplicationStarted`; this module may
// run before or after that.
if (window.wasmBindings) {
  start(window.wasmBindings);
} else {
  window.addEventListener("TrunkApplicationStarted", () => start(window.wasmBindings), { once: true });
}
