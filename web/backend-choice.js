// `backend=auto` by measurement. A run starts on the CPU at once; where WebGPU has an adapter,
// the WebGPU worker loads in the background and times a few identical updates of the run's
// own config on WebGPU and on the CPU (`bench`, web/train/src/lib.rs), and the run moves to
// WebGPU only when WebGPU measured faster. A software adapter (SwiftShader) is a thousand
// times slower than the CPU; at small batches even a real GPU loses. The choice is kept per
// browser, adapter and run size, so the next visit neither measures nor downloads WebGPU
// again to learn the same thing. Pure functions over plain data, tested under Node.

/** localStorage key of the kept choices. */
export const STORE_KEY = "rlaif-playground:backend-choices";
/** Choices kept; the oldest go first. */
export const MAX_KEPT = 32;
/** Updates timed on each backend, after one untimed (WebGPU compiles its shaders then). */
export const BENCH_UPDATES = 3;

/**
 * What an update's cost depends on: the adapter, the env, the batch and the network, and the
 * feedback mode (a reward model trains too). Runs with the same key measure the same.
 */
export function sizeKey(config, adapter) {
  const c = typeof config === "string" ? JSON.parse(config) : config;
  const ppo = c.ppo ?? {};
  return [
    adapter,
    c.env_id,
    `envs=${c.n_envs}`,
    `steps=${ppo.n_steps}`,
    `epochs=${ppo.n_epochs}`,
    `minibatch=${ppo.minibatch_size}`,
    `hidden=${ppo.hidden}x${ppo.layers}`,
    `feedback=${c.feedback?.mode ?? "none"}`,
  ].join("|");
}

const ms = (x) => (x >= 10 ? x.toFixed(0) : x.toFixed(1));

/**
 * The backend a measurement picks: `{ cpuMs, gpuMs }` in ms per update, either missing with
 * `cpuError` / `gpuError` saying why. WebGPU only when strictly faster (a tie keeps the CPU:
 * no large module, no move mid-run). Returns `{ backend, text }`, `text` for the badge.
 */
export function decide({ cpuMs, gpuMs, cpuError, gpuError }) {
  const ok = (x) => typeof x === "number" && Number.isFinite(x) && x > 0;
  if (!ok(gpuMs)) {
    return { backend: "cpu", text: `CPU — WebGPU could not be measured: ${gpuError ?? "no timing"}` };
  }
  if (!ok(cpuMs)) {
    // The CPU trains this run already; a failed CPU timing is no reason to leave it.
    return { backend: "cpu", text: `CPU — the CPU could not be measured (${cpuError ?? "no timing"}), WebGPU ${ms(gpuMs)} ms/update` };
  }
  const backend = gpuMs < cpuMs ? "gpu" : "cpu";
  const text = `${backend === "gpu" ? "WebGPU" : "CPU"} — measured WebGPU ${ms(gpuMs)} ms/update vs CPU ${ms(cpuMs)} ms`;
  return { backend, text };
}

/** The kept choices, `{ key: { backend, cpuMs, gpuMs, at } }`; anything unreadable is none. */
export function readKept(storage) {
  try {
    const kept = JSON.parse(storage?.getItem(STORE_KEY) ?? "{}");
    return kept && typeof kept === "object" && !Array.isArray(kept) ? kept : {};
  } catch {
    return {};
  }
}

/** The kept choice for `key` as `decide` returns it, or null. */
export function keptChoice(storage, key) {
  const entry = readKept(storage)[key];
  if (!entry || !["cpu", "gpu"].includes(entry.backend)) return null;
  const measured = decide(entry);
  if (measured.backend !== entry.backend) return null;
  return { backend: entry.backend, text: `${measured.text} (measured on an earlier visit)` };
}

/** Keeps a measurement for `key`, dropping the oldest beyond `MAX_KEPT`. Never throws. */
export function keep(storage, key, { cpuMs, gpuMs }, now = Date.now()) {
  const kept = readKept(storage);
  kept[key] = { backend: decide({ cpuMs, gpuMs }).backend, cpuMs, gpuMs, at: now };
  const newest = Object.entries(kept)
    .sort(([, a], [, b]) => (b.at ?? 0) - (a.at ?? 0))
    .slice(0, MAX_KEPT);
  try {
    storage?.setItem(STORE_KEY, JSON.stringify(Object.fromEntries(newest)));
  } catch {
    // Storage full or refused (a private window): the next visit measures again.
  }
}
