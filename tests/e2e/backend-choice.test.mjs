// The page's measured backend choice (web/backend-choice.js), with injected timings.

import { test } from "node:test";
import assert from "node:assert/strict";
import { MAX_KEPT, STORE_KEY, decide, keep, keptChoice, readKept, sizeKey } from "../../web/backend-choice.js";

/** A localStorage stand-in. */
function memoryStorage(initial = {}) {
  const data = new Map(Object.entries(initial));
  return {
    getItem: (k) => (data.has(k) ? data.get(k) : null),
    setItem: (k, v) => data.set(k, String(v)),
    data,
  };
}

const cartpole = { env_id: "CartPole-v1", n_envs: 16, ppo: { n_steps: 16, n_epochs: 4, minibatch_size: 128, hidden: 32, layers: 2 } };

test("the faster backend wins; a tie keeps the CPU", () => {
  assert.equal(decide({ cpuMs: 4, gpuMs: 38 }).backend, "cpu");
  assert.equal(decide({ cpuMs: 40, gpuMs: 6 }).backend, "gpu");
  assert.equal(decide({ cpuMs: 5, gpuMs: 5 }).backend, "cpu");
  assert.equal(decide({ cpuMs: 4, gpuMs: 38 }).text, "CPU — measured WebGPU 38 ms/update vs CPU 4.0 ms");
  assert.equal(decide({ cpuMs: 40, gpuMs: 6 }).text, "WebGPU — measured WebGPU 6.0 ms/update vs CPU 40 ms");
});

test("a backend that failed to measure is never chosen over the CPU, and the badge says why", () => {
  const gpuFailed = decide({ cpuMs: 4, gpuError: "WebGPU did not start: lost device" });
  assert.equal(gpuFailed.backend, "cpu");
  assert.match(gpuFailed.text, /lost device/);
  const cpuFailed = decide({ gpuMs: 3, cpuError: "out of memory" });
  assert.equal(cpuFailed.backend, "cpu");
  assert.match(cpuFailed.text, /out of memory/);
  for (const bad of [NaN, Infinity, -1, 0, "3"]) assert.equal(decide({ cpuMs: 100, gpuMs: bad }).backend, "cpu");
});

test("a kept choice answers for its own size and adapter only", () => {
  const storage = memoryStorage();
  const key = sizeKey(cartpole, "SwiftShader");
  keep(storage, key, { cpuMs: 4, gpuMs: 900 });
  assert.deepEqual(keptChoice(storage, key)?.backend, "cpu");
  assert.match(keptChoice(storage, key).text, /earlier visit/);
  const wider = { ...cartpole, ppo: { ...cartpole.ppo, hidden: 256 } };
  assert.equal(keptChoice(storage, sizeKey(wider, "SwiftShader")), null, "another network size measures again");
  assert.equal(keptChoice(storage, sizeKey(cartpole, "Some GPU")), null, "another adapter measures again");
  assert.equal(keptChoice(storage, sizeKey({ ...cartpole, n_envs: 256 }, "SwiftShader")), null);
  assert.equal(keptChoice(storage, sizeKey(JSON.stringify(cartpole), "SwiftShader"))?.backend, "cpu", "a config as JSON text keys the same");
});

test("unreadable or tampered storage is no choice, and keeping never throws", () => {
  assert.deepEqual(readKept(memoryStorage({ [STORE_KEY]: "{not json" })), {});
  assert.deepEqual(readKept(memoryStorage({ [STORE_KEY]: "[1,2]" })), {});
  assert.deepEqual(readKept(null), {});
  const key = sizeKey(cartpole, "A");
  // A hand-edited entry that claims WebGPU against its own timings is not trusted.
  const tampered = memoryStorage({ [STORE_KEY]: JSON.stringify({ [key]: { backend: "gpu", cpuMs: 1, gpuMs: 50 } }) });
  assert.equal(keptChoice(tampered, key), null);
  const bogus = memoryStorage({ [STORE_KEY]: JSON.stringify({ [key]: { backend: "tpu", cpuMs: 1, gpuMs: 50 } }) });
  assert.equal(keptChoice(bogus, key), null);
  const full = { getItem: () => null, setItem: () => { throw new Error("QuotaExceededError"); } };
  assert.doesNotThrow(() => keep(full, key, { cpuMs: 1, gpuMs: 2 }));
});

test("only the newest choices are kept", () => {
  const storage = memoryStorage();
  for (let i = 0; i < MAX_KEPT + 5; i++) keep(storage, `key-${i}`, { cpuMs: 1, gpuMs: 2 }, 1000 + i);
  const kept = readKept(storage);
  assert.equal(Object.keys(kept).length, MAX_KEPT);
  assert.ok(!("key-0" in kept) && `key-${MAX_KEPT + 4}` in kept);
});
