// `backend=auto` by measurement, and what the page downloads before it trains. The run starts
// on the CPU trainer at once: at most 1 MB gzipped (each file counted at its `gzip -9` size,
// since the test server does not compress) before the first env step, with or without a
// WebGPU adapter. With SwiftShader's adapter present, the WebGPU worker then loads in the
// background, times the run's updates on both backends, and the CPU is kept, the badge saying
// what was measured; the next visit reuses the measurement without loading WebGPU; and a kept
// measurement in WebGPU's favour moves a running run to WebGPU through its snapshot.

import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { WEBGPU_ARGS, byId, distDir, openSite } from "./harness.mjs";
import { BUDGETS, gzipSize } from "./sizes.mjs";

const HASH = "#v=1&env=CartPole-v1&fb=none&backend=auto&base=0&seed=1";
const STORE_KEY = "rlaif-playground:backend-choices";

/**
 * Records the site's files the page (and its workers, not the service worker) requests, and
 * marks how many had been requested when the first env step shows on the page.
 */
async function recordUntilFirstStep(site, page) {
  const urls = [];
  site.context.on("request", (request) => {
    if (request.serviceWorker()) return;
    const url = new URL(request.url());
    if (url.origin === site.origin) urls.push(url.pathname);
  });
  let firstStep = null;
  await page.exposeBinding("__firstStep", () => {
    firstStep ??= urls.length;
  });
  await page.addInitScript(() => {
    addEventListener("DOMContentLoaded", () => {
      const steps = document.querySelector('[data-testid="stat-env-steps"]');
      new MutationObserver(() => {
        if (Number(steps.textContent) > 0) window.__firstStep();
      }).observe(steps, { childList: true, characterData: true, subtree: true });
    });
  });
  return {
    urls,
    /**
     * The distinct files requested before the first step, and their gzipped bytes: all up to
     * the CPU trainer's last file (a step needs it, so everything before it came first) or the
     * first step's mark, whichever is earlier in the record. (The mark reaches the test a
     * moment late: a request made just after the step can be recorded before it.)
     */
    async beforeFirstStep() {
      assert.notEqual(firstStep, null, "no env step was seen");
      const lastCpu = urls.findLastIndex((u) => u.includes("train-cpu"));
      assert.ok(lastCpu >= 0 && lastCpu < firstStep, `the CPU trainer was not fetched before the first step: ${urls.join(", ")}`);
      const files = [...new Set(urls.slice(0, lastCpu + 1).map((p) => p.slice(1) || "index.html"))];
      let bytes = 0;
      for (const file of files) bytes += gzipSize(await fs.readFile(path.join(distDir, file)));
      return { files, bytes };
    },
  };
}

const waitForSteps = (page, n) =>
  page.waitForFunction(
    (n) => {
      const state = document.querySelector('[data-testid="train-status"]').dataset.state;
      if (state === "error") throw new Error(document.querySelector('[data-testid="notice"]').textContent);
      return Number(document.querySelector('[data-testid="stat-env-steps"]').textContent) >= n;
    },
    n,
    { timeout: 4 * 60_000, polling: 100 },
  );

const badge = async (page) => (await page.textContent(byId("backend-badge"))).trim();

/** Pauses the run (CartPole's whole run takes the CPU a few seconds) and waits until it has. */
async function pause(page) {
  if (await page.isEnabled(byId("pause"))) await page.click(byId("pause"));
  await page.waitForFunction(() =>
    ["paused", "done"].includes(document.querySelector('[data-testid="train-status"]').dataset.state),
  );
}

test("without WebGPU the first step trains within its byte budget", { timeout: 4 * 60_000 }, async (t) => {
  const site = await openSite();
  try {
    const { page } = site;
    const record = await recordUntilFirstStep(site, page);
    await page.goto(`${site.origin}/${HASH}`);
    await page.waitForFunction(() => document.querySelector('[data-testid="backend-badge"]').dataset.ready === "1");
    await page.click(byId("play"));
    await waitForSteps(page, 1);
    const { files, bytes } = await record.beforeFirstStep();
    t.diagnostic(`${bytes} bytes gzipped before the first step: ${files.join(", ")}`);
    assert.ok(files.some((f) => /^train-cpu.*_bg\.wasm$/.test(f)), `the CPU trainer was not counted: ${files.join(", ")}`);
    assert.ok(bytes <= BUDGETS.firstStep, `${bytes} bytes before the first step, over ${BUDGETS.firstStep}`);
    assert.ok(!record.urls.some((u) => u.includes("train-gpu")), "the WebGPU trainer was fetched with no adapter");
    assert.match(await badge(page), /^CPU — no WebGPU adapter$/);
    assert.deepEqual(site.pageErrors, []);
  } finally {
    await site.close();
  }
});

test("with SwiftShader's adapter, auto trains on the CPU first, measures WebGPU, keeps the CPU and says why", { timeout: 10 * 60_000 }, async (t) => {
  const site = await openSite(WEBGPU_ARGS);
  try {
    const { page } = site;
    const record = await recordUntilFirstStep(site, page);
    await page.goto(`${site.origin}/${HASH}`);
    await page.waitForFunction(() => document.querySelector('[data-testid="backend-badge"]').dataset.ready === "1");
    assert.match(await badge(page), /^CPU — WebGPU \(.+\) is measured against it once the run trains$/);
    await page.click(byId("play"));
    await waitForSteps(page, 1);
    // Paused, so the run is there to move when the measurement ends (it runs all the same).
    await pause(page);
    const { files, bytes } = await record.beforeFirstStep();
    t.diagnostic(`${bytes} bytes gzipped before the first step: ${files.join(", ")}`);
    assert.ok(!files.some((f) => f.startsWith("train-gpu")), `the WebGPU trainer came before the first step: ${files.join(", ")}`);
    assert.ok(bytes <= BUDGETS.firstStep, `${bytes} bytes before the first step, over ${BUDGETS.firstStep}`);

    // WebGPU loads in the background and is measured; SwiftShader loses to the CPU.
    await page.waitForFunction(
      () => /measured WebGPU/.test(document.querySelector('[data-testid="backend-badge"]').textContent),
      null,
      { timeout: 6 * 60_000, polling: 250 },
    );
    const measured = await badge(page);
    t.diagnostic(measured);
    const [, gpuMs, cpuMs] = measured.match(/^CPU — measured WebGPU ([\d.]+) ms\/update vs CPU ([\d.]+) ms$/) ?? [];
    assert.ok(Number(gpuMs) > Number(cpuMs), `badge: ${measured}`);
    assert.equal(await page.getAttribute(byId("backend-badge"), "data-backend"), "cpu");
    assert.ok(record.urls.some((u) => u.includes("train-gpu")), "WebGPU was never loaded to be measured");
    // The run stays on the CPU and trains on there.
    const steps = Number(await page.textContent(byId("stat-env-steps")));
    await page.click(byId("play"));
    await waitForSteps(page, steps + 2 * 256);
    await pause(page);
    assert.equal(await page.getAttribute(byId("backend-badge"), "data-backend"), "cpu");

    // The next visit takes the kept measurement and never downloads WebGPU.
    const again = await site.context.newPage();
    const gpuFetches = [];
    again.on("request", (r) => r.url().includes("train-gpu") && gpuFetches.push(r.url()));
    await again.goto(`${site.origin}/${HASH}`);
    await again.waitForFunction(() => document.querySelector('[data-testid="backend-badge"]').dataset.ready === "1");
    await again.click(byId("play"));
    await again.waitForFunction(
      () => /earlier visit/.test(document.querySelector('[data-testid="backend-badge"]').textContent),
      null,
      { timeout: 2 * 60_000, polling: 100 },
    );
    assert.match(await badge(again), /^CPU — measured WebGPU [\d.]+ ms\/update vs CPU [\d.]+ ms \(measured on an earlier visit\)$/);
    assert.deepEqual(gpuFetches, []);
    await pause(again);

    // A measurement kept in WebGPU's favour (as a real GPU at a large batch would give) moves
    // the run to WebGPU mid-run, from its snapshot, and it trains on there.
    await again.evaluate((key) => {
      const kept = JSON.parse(localStorage.getItem(key));
      for (const entry of Object.values(kept)) Object.assign(entry, { backend: "gpu", cpuMs: 1000, gpuMs: 1 });
      localStorage.setItem(key, JSON.stringify(kept));
    }, STORE_KEY);
    await again.click(byId("reset"));
    await again.click(byId("play"));
    await waitForSteps(again, 1);
    await pause(again);
    await again.waitForFunction(
      () => document.querySelector('[data-testid="backend-badge"]').dataset.backend === "gpu",
      null,
      { timeout: 4 * 60_000, polling: 250 },
    );
    const moved = await badge(again);
    t.diagnostic(moved);
    const at = Number(moved.match(/moved to WebGPU at step (\d+)$/)?.[1]);
    assert.ok(at >= 256, `badge: ${moved}`);
    // It trains on, on WebGPU, from the step it moved at.
    await again.click(byId("play"));
    await waitForSteps(again, at + 2 * 256);
    await pause(again);
    assert.equal(await again.getAttribute(byId("backend-badge"), "data-backend"), "gpu");
    const notice = await again.$eval(byId("notice"), (n) => (n.hidden ? null : n.textContent));
    assert.equal(notice, null, `the page reported: ${notice}`);
    assert.deepEqual(site.pageErrors, []);
    assert.deepEqual(site.foreignRequests, []);
  } finally {
    await site.close();
  }
});
