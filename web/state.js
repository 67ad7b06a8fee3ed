// The page's settings in the URL hash, TensorFlow Playground style: `#v=1&env=CartPole-v1&...`.
// Typed keys with defaults for missing ones, numbers clamped to their range, unknown keys
// ignored. Reading never throws: whatever cannot be read falls back to its default, and a note
// says what was ignored, for the page to show as text. Pure functions, tested under Node.

export const VERSION = 1;
/** Longer hashes are not read at all (links the page writes are a few hundred characters). */
export const MAX_HASH_LENGTH = 4096;
/** Values quoted in notes are cut to this many characters. */
const QUOTE_LENGTH = 40;

export const FEEDBACK_MODES = ["none", "direct", "shaping", "preference", "advice"];
/** Who labels the preference mode's pairs: the AI labeler, you, or both. */
export const LABEL_SOURCES = ["ai", "you", "both"];

/**
 * Every key the hash may hold. `null` defaults mean "not set": the env's preset decides.
 * `env` and `teacher` are checked against the lists the page passes to `parseHash`.
 */
export const SCHEMA = {
  env: { type: "string", default: "CartPole-v1", label: "environment" },
  fb: { type: "enum", values: FEEDBACK_MODES, default: "none", label: "feedback mode" },
  teacher: { type: "string", default: "", label: "teacher" },
  lambda: { type: "float", min: 0, max: 1, default: 0.5, label: "lambda" },
  sched: { type: "enum", values: ["constant", "linear"], default: "constant", label: "schedule" },
  floor: { type: "float", min: 0, max: 1, default: 0, label: "lambda floor" },
  mistake: { type: "float", min: 0, max: 0.5, default: 0, label: "labeler mistake rate" },
  beta: { type: "float", min: 0, max: 100, default: 0, label: "labeler beta" },
  labels: { type: "enum", values: LABEL_SOURCES, default: "ai", label: "labels from" },
  freeze: { type: "int", min: 0, max: 100000, default: null, label: "freeze the reward model after" },
  lesson: { type: "string", default: "", label: "lesson" },
  lr: { type: "float", min: 1e-5, max: 0.1, default: null, label: "learning rate" },
  envs: { type: "int", min: 1, max: 64, default: null, label: "parallel envs" },
  seed: { type: "int", min: 0, max: 2 ** 31 - 1, default: 1, label: "seed" },
  seeds: { type: "int", min: 1, max: 8, default: null, label: "seeds side by side" },
  speed: { type: "int", min: 1, max: 240, default: 30, label: "simulation speed" },
  backend: { type: "enum", values: ["auto", "cpu", "gpu"], default: "auto", label: "backend" },
  base: { type: "bool", default: true, label: "baseline" },
  ov: { type: "bool", default: false, label: "teacher overlay" },
  embed: { type: "bool", default: false, label: "embed" },
  controls: { type: "list", default: [], label: "controls" },
};

/**
 * Settings an embed may show through `controls=` (the buttons always show), and `labels`,
 * the labelling panel.
 */
export const EMBEDDABLE = [
  "env", "preset", "fb", "teacher", "lambda", "sched", "floor", "mistake", "beta", "lr",
  "envs", "seed", "seeds", "speed", "backend", "base", "ov", "labels", "freeze",
];

export function defaults() {
  const state = {};
  for (const [key, spec] of Object.entries(SCHEMA)) {
    state[key] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
  }
  return state;
}

/** `"banana"` for notes: JSON-quoted, cut short, never markup (the page sets it as text). */
export function quote(text) {
  const s = String(text);
  const cut = s.length > QUOTE_LENGTH ? `${s.slice(0, QUOTE_LENGTH)}…` : s;
  return JSON.stringify(cut);
}

const FLOAT = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;
const INT = /^[-+]?\d+$/;

/** Reads one value; returns `{ value }` or `{ note }` (ignored) or both (clamped). */
function readValue(key, spec, raw, lists) {
  const label = spec.label;
  switch (spec.type) {
    case "float":
    case "int": {
      const re = spec.type === "int" ? INT : FLOAT;
      if (!re.test(raw)) {
        const what = spec.type === "int" ? "a whole number" : "a number";
        return { note: `${label} ${quote(raw)} is not ${what}` };
      }
      const x = Number(raw);
      if (!Number.isFinite(x)) return { note: `${label} ${quote(raw)} is not ${"a number"}` };
      const value = Math.min(spec.max, Math.max(spec.min, x));
      if (value !== x) {
        return { value, note: `${label} ${quote(raw)} is outside ${spec.min}..${spec.max}: using ${value}` };
      }
      return { value };
    }
    case "enum":
      if (spec.values.includes(raw)) return { value: raw };
      return { note: `${label} ${quote(raw)} is not one of ${spec.values.join(", ")}` };
    case "bool":
      if (raw === "1" || raw === "true") return { value: true };
      if (raw === "0" || raw === "false") return { value: false };
      return { note: `${label} ${quote(raw)} is not 0 or 1` };
    case "list": {
      const items = raw === "" ? [] : raw.split(",");
      const known = items.filter((c) => EMBEDDABLE.includes(c));
      const unknown = items.filter((c) => !EMBEDDABLE.includes(c));
      const value = [...new Set(known)];
      if (unknown.length > 0) {
        return { value, note: `unknown ${label} ${unknown.slice(0, 3).map(quote).join(", ")}${unknown.length > 3 ? ` and ${unknown.length - 3} more` : ""}` };
      }
      return { value };
    }
    case "string":
      if (key === "env") {
        if (lists.envIds?.includes(raw)) return { value: raw };
        return { note: `unknown environment ${quote(raw)}` };
      }
      if (key === "lesson") {
        if (raw === "" || lists.lessonEnv?.(raw)) return { value: raw };
        return { note: `unknown lesson ${quote(raw)}` };
      }
      return { value: raw };
    default:
      return { note: `${label} cannot be read` };
  }
}

/**
 * Reads `hash` (with or without its `#`). `lists.envIds` are the known environments and
 * `lists.teachersFor(env, lesson)` the teachers for one (a lesson may bring its own). Returns `{ state, notes }`: every key of
 * `SCHEMA` set (from the hash or its default) and a list of what was ignored or clamped.
 */
export function parseHash(hash, lists = {}) {
  const state = defaults();
  const notes = [];
  const text = String(hash ?? "").replace(/^#/, "");
  if (text === "") return { state, notes };
  if (text.length > MAX_HASH_LENGTH) {
    notes.push(`the link's settings are ${text.length} characters long (at most ${MAX_HASH_LENGTH} are read), so all were ignored`);
    return { state, notes };
  }
  // The first viewer's links were just `#<env id>`.
  if (!text.includes("=") && lists.envIds?.includes(safeDecode(text) ?? "")) {
    state.env = safeDecode(text);
    return { state, notes };
  }
  const seen = new Map();
  const unknown = [];
  for (const part of text.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const key = safeDecode(rawKey);
    const value = safeDecode(eq < 0 ? "" : part.slice(eq + 1));
    if (key === null || value === null) {
      notes.push(`${quote(part)} is not valid URL encoding`);
      continue;
    }
    if (key === "v" || Object.hasOwn(SCHEMA, key)) seen.set(key, value);
    else unknown.push(key);
  }
  if (unknown.length > 0) {
    const shown = unknown.slice(0, 3).map(quote).join(", ");
    const more = unknown.length > 3 ? ` and ${unknown.length - 3} more` : "";
    notes.push(`unknown ${unknown.length === 1 ? "key" : "keys"} ${shown}${more}`);
  }
  if (seen.has("v") && seen.get("v") !== String(VERSION)) {
    notes.push(`version ${quote(seen.get("v"))} is not known: read as version ${VERSION}`);
  }
  for (const [key, spec] of Object.entries(SCHEMA)) {
    if (!seen.has(key)) continue;
    const { value, note } = readValue(key, spec, seen.get(key), lists);
    if (note) notes.push(note);
    if (value !== undefined) state[key] = value;
  }
  // A lesson belongs to one env: with another, the env's own preset is used.
  if (state.lesson !== "" && lists.lessonEnv && lists.lessonEnv(state.lesson) !== state.env) {
    notes.push(`lesson ${quote(state.lesson)} is a lesson of ${lists.lessonEnv(state.lesson)}, not of ${state.env}`);
    state.lesson = "";
  }
  // A teacher must judge the chosen env; "" is the env's default teacher.
  if (state.teacher !== "" && lists.teachersFor) {
    const known = lists.teachersFor(state.env, state.lesson);
    if (!known.includes(state.teacher)) {
      notes.push(
        state.teacher === "demo"
          ? `teacher "demo" is learned from demonstrations of ${state.env}, which this browser does not have (a link does not carry them): play the environment yourself or load a demonstrations file`
          : `teacher ${quote(state.teacher)} does not judge ${state.env}`,
      );
      state.teacher = "";
    }
  }
  return { state, notes };
}

/**
 * Reads one setting as a control gives it: `{ value }` (possibly clamped, with a `note`), or
 * just `{ note }` when it cannot be read and the old value should stay.
 */
export function readSetting(key, raw, lists = {}) {
  // Own keys only: `SCHEMA["constructor"]` and the like are inherited, not settings.
  const spec = Object.hasOwn(SCHEMA, key) ? SCHEMA[key] : undefined;
  if (!spec) return { note: `unknown setting ${quote(key)}` };
  if (raw === "" && spec.default === null) return { value: null };
  return readValue(key, spec, String(raw), lists);
}

function safeDecode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

function writeValue(spec, value) {
  switch (spec.type) {
    case "bool":
      return value ? "1" : "0";
    case "list":
      return value.join(",");
    default:
      return String(value);
  }
}

/** The hash for `state`: the version first, then every setting that is set. */
export function toHash(state) {
  const parts = [`v=${VERSION}`];
  for (const [key, spec] of Object.entries(SCHEMA)) {
    const value = state[key];
    if (value === null || value === undefined) continue;
    // Embedding keys only when used, so a shared link stays a normal page.
    if ((key === "embed" && !value) || (key === "controls" && value.length === 0)) continue;
    if (key === "lesson" && value === "") continue;
    parts.push(`${key}=${encodeURIComponent(writeValue(spec, value))}`);
  }
  return `#${parts.join("&")}`;
}

/**
 * The page's settings for `settings`, the core's `Settings` of a run (parsed JSON, from
 * `Viewer.settingsOf` of a lesson's or an imported run's config), keeping the view settings
 * (`speed`, `backend`, `base`, `ov`, `embed`, `controls`) of `current`. Values go through the
 * same reading as a hash, so an out-of-range value is clamped with a note; settings the page
 * has no control for (other PPO hyperparameters, total steps) stay in the run only. With
 * `lesson`, the settings are that lesson's (its teacher is checked as the lesson's).
 * Returns `{ state, notes }` like `parseHash`.
 */
export function stateFromSettings(settings, current, lists = {}, lesson = "") {
  const mode = typeof settings?.feedback === "string" ? settings.feedback : "none";
  const page = {
    env: settings?.env_id,
    seed: settings?.seed,
    lr: settings?.learning_rate,
    envs: settings?.n_envs,
    // One seed is left unset: the base config decides, as for a link without it.
    seeds: settings?.seeds > 1 ? settings.seeds : undefined,
    fb: mode,
  };
  if (mode !== "none") {
    const schedule = settings.schedule ?? {};
    Object.assign(page, {
      // Any `demo:` teacher is the page's own demonstrations.
      teacher: typeof settings.teacher === "string" && settings.teacher.startsWith("demo:") ? "demo" : settings.teacher ?? "",
      lambda: settings.lambda,
      sched: schedule.kind,
      floor: schedule.kind === "linear" ? schedule.floor : undefined,
      mistake: settings.labeler?.mistake,
      beta: settings.labeler?.beta ?? 0,
    });
    if (mode === "preference") {
      page.labels = settings.preference?.label_source ?? "ai";
      // 0 (never) is left unset: the run's base config decides, as for a link without it.
      const freeze = settings.preference?.freeze_after;
      page.freeze = freeze > 0 ? freeze : undefined;
    }
  }
  if (lesson !== "") page.lesson = lesson;
  const parts = [`v=${VERSION}`];
  for (const [key, value] of Object.entries(page)) {
    if (value === undefined || value === null) continue;
    parts.push(`${key}=${encodeURIComponent(String(value))}`);
  }
  const { state, notes } = parseHash(parts.join("&"), lists);
  for (const key of ["speed", "backend", "base", "ov", "embed", "controls"]) {
    if (current && key in current) state[key] = current[key];
  }
  return { state, notes };
}

/**
 * The page's `state` as the core's `Settings` (crate/src/experiment/settings.rs), which
 * `Viewer.configWith` lays onto the env's preset or the lesson. What the page leaves unset
 * (no learning rate or envs typed in) and what it has no control for (the preference mode's
 * reward model, segments and budget, other labeler knobs) are left out: the base's stay.
 * The teacher `demo` (the page's own demonstrations) becomes `demoTeacher`.
 */
export function settingsOf(state, demoTeacher) {
  const settings = { seed: state.seed, feedback: state.fb };
  if (state.lr !== null) settings.learning_rate = state.lr;
  if (state.envs !== null) settings.n_envs = state.envs;
  if (state.seeds !== null) settings.seeds = state.seeds;
  if (state.fb === "none") return settings;
  Object.assign(settings, {
    // "" is the env's own teacher.
    teacher: state.teacher === "demo" ? demoTeacher : state.teacher,
    lambda: state.lambda,
    // A linear decay lasts the run.
    schedule: state.sched === "linear" ? { kind: "linear", floor: state.floor } : { kind: "constant" },
    // Beta 0 is a rational labeler.
    labeler: { beta: state.beta, mistake: state.mistake },
  });
  if (state.fb === "preference") {
    settings.preference = { label_source: state.labels };
    // 0 is "never"; unset keeps the base's.
    if (state.freeze !== null) settings.preference.freeze_after = state.freeze;
  }
  return settings;
}
