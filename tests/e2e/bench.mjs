// Benchmark, not a test: how fast the built page trains CartPole in headless Chromium on the
// CPU worker (the figure the size settings must not slow by more than 10%). Each repeat opens
// a fresh browser, presses Play, and times the env steps between the end of the warm-up
// updates and the last update; the median of the repeats is printed. Timings depend on the
// machine and its load: compare builds on the same machine, one after the other.
//
//   DIST_DIR=dist node tests/e2e/bench.mjs [--repeats 5] [--warmup 20] [--updates 380]

import { parseArgs } from "node:util";
import { byId, openSite } from "./harness.mjs";

const { values } = parseArgs({
  options: {
    repeats: { type: "string", default: "5" },
    warmup: { type: "string", default: "20" },
    updates: { type: "string", default: "380" },
  },
});
const count = (name) => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number above 0, not '${values[name]}'`);
  return n;
};
const repeats = count("repeats");
const warmup = count("warmup");
const updates = count("updates");
if (updates <= warmup) throw new Error("--updates must be above --warmup");

// No baseline and no feedback: one run, so the figure is the trainer's own speed. The preset
// trains 100,000 steps of 256 per update: 390 updates.
const HASH = "#v=1&env=CartPole-v1&fb=none&backend=cpu&base=0&seed=1";

/** Waits until the run has made `n` updates; returns [updates, env steps, ms] at that moment. */
async function at(page, n) {
  await page.waitForFunction(
    (n) => {
      const state = document.querySelector('[data-testid="train-status"]').dataset.state;
      if (["error", "done"].includes(state)) throw new Error(`the run ended early: ${state}`);
      return Number(document.querySelector('[data-testid="stat-updates"]').textContent) >= n;
    },
    n,
    { timeout: 10 * 60_000, polling: "raf" },
  );
  return page.evaluate(() => [
    Number(document.querySelector('[data-testid="stat-updates"]').textContent),
    Number(document.querySelector('[data-testid="stat-env-steps"]').textContent),
    performance.now(),
  ]);
}

const rates = [];
for (let i = 0; i < repeats; i++) {
  const site = await openSite();
  try {
    const { page } = site;
    await page.goto(`${site.origin}/${HASH}`);
    await page.waitForFunction(() => document.querySelector('[data-testid="backend-badge"]').dataset.ready === "1");
    await page.click(byId("play"));
    const [u0, s0, t0] = await at(page, warmup);
    const [u1, s1, t1] = await at(page, updates);
    const rate = (s1 - s0) / ((t1 - t0) / 1000);
    rates.push(rate);
    console.log(`repeat ${i + 1}: ${s1 - s0} env steps in ${u1 - u0} updates, ${((t1 - t0) / 1000).toFixed(2)} s: ${Math.round(rate)} env steps/s`);
  } finally {
    await site.close();
  }
}
rates.sort((a, b) => a - b);
const median = rates[Math.floor(rates.length / 2)];
console.log(`median of ${repeats}: ${Math.round(median)} env steps/s (range ${Math.round(rates[0])} to ${Math.round(rates.at(-1))})`);
