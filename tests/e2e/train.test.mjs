// End-to-end test of training in the page, in headless Chromium, twice: once with Chromium's
// software WebGPU adapter (SwiftShader), where the page must train on WebGPU, and once without
// any adapter, where it must fall back to the CPU and say why. Each run trains CartPole from
// the Play button until a number of PPO updates, pauses, and must have raised the mean return
// above that of the first episodes, without any console error or foreign request. Main-thread
// tasks over 50 ms are reported as a diagnostic, not asserted: they depend on the machine's
// load. On the CPU the run has teacher shaping and a baseline without feedback races
// alongside, an update for each of the run's.

import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { WEBGPU_ARGS, artifacts, byId, openSite } from "./harness.mjs";

const runs = [
  {
    name: "WebGPU (SwiftShader): trains on the GPU",
    args: WEBGPU_ARGS,
    hash: "#v=1&env=CartPole-v1&backend=gpu&base=0&seed=1",
    backend: "gpu",
    // SwiftShader takes about 170 ms per minibatch step: a few updates prove correctness.
    updates: 25,
    margin: 15,
    badge: /^WebGPU \(.+\)$/,
    timeout: 8 * 60_000,
  },
  {
    name: "no WebGPU adapter: falls back to the CPU, says why, and races a baseline",
    args: [],
    hash: "#v=1&env=CartPole-v1&fb=shaping&lambda=0.5&backend=auto&base=1&seed=1",
    backend: "cpu",
    // The CPU in wasm runs PPO at about native speed: train further, expect more.
    updates: 150,
    margin: 100,
    badge: /^CPU — no WebGPU adapter$/,
    timeout: 5 * 60_000,
  },
];

const number = async (page, id) => {
  const text = (await page.textContent(byId(id))).trim();
  assert.match(text, /^-?\d+(\.\d+)?$/, `${id} is not a plain number: '${text}'`);
  return Number(text);
};

for (const run of runs) {
  test(run.name, { timeout: run.timeout + 60_000 }, async (t) => {
    const site = await openSite(run.args);
    try {
      const { page } = site;
      await page.goto(`${site.origin}/${run.hash}`);
      await page.waitForFunction(
        () =>
          document.querySelector('[data-testid="backend-badge"]').dataset.ready === "1" ||
          !document.querySelector('[data-testid="notice"]').hidden,
      );
      assert.equal(await page.inputValue(byId("env-select")), "CartPole-v1");
      assert.match((await page.textContent(byId("backend-badge"))).trim(), run.badge);

      // Watch the main thread and the training state from before the first click.
      await page.evaluate(() => {
        if (!PerformanceObserver.supportedEntryTypes.includes("longtask")) {
          throw new Error("this browser does not report long tasks");
        }
        window.__longTasks = [];
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) window.__longTasks.push(Math.round(e.duration));
        }).observe({ type: "longtask" });
        // Animation frames the page gets while training (reported, not asserted: timing).
        window.__frames = 0;
        const count = () => {
          window.__frames += 1;
          requestAnimationFrame(count);
        };
        requestAnimationFrame(count);
        const status = document.querySelector('[data-testid="train-status"]');
        window.__states = [status.dataset.state];
        new MutationObserver(() => {
          const s = status.dataset.state;
          if (window.__states.at(-1) !== s) window.__states.push(s);
        }).observe(status, { attributes: true, attributeFilter: ["data-state"] });
      });

      await page.evaluate(() => (window.__t0 = performance.now()));
      await page.click(byId("play"));
      // Train for the updates and at least 20 s (or to the end of the run, if sooner), watching
      // for long tasks all along.
      await page.waitForFunction(
        (n) => {
          const state = document.querySelector('[data-testid="train-status"]').dataset.state;
          const updates = Number(document.querySelector('[data-testid="stat-updates"]').textContent);
          return (
            (updates >= n && performance.now() - window.__t0 >= 20_000) ||
            ["done", "error"].includes(state)
          );
        },
        run.updates,
        { timeout: run.timeout, polling: 250 },
      );
      const fps = await page.evaluate(() => window.__frames / ((performance.now() - window.__t0) / 1000));
      if (await page.isEnabled(byId("pause"))) await page.click(byId("pause"));
      await page.waitForFunction(
        () =>
          ["paused", "done", "error"].includes(
            document.querySelector('[data-testid="train-status"]').dataset.state,
          ),
        null,
        { timeout: run.timeout },
      );

      const states = await page.evaluate(() => window.__states);
      const notice = await page.$eval(byId("notice"), (n) => (n.hidden ? null : n.textContent));
      assert.equal(notice, null, `the page reported: ${notice}`);
      assert.ok(["paused", "done"].includes(states.at(-1)), `states: ${states.join(" -> ")}`);
      const badge = (await page.textContent(byId("backend-badge"))).trim();
      assert.match(badge, run.badge);
      assert.equal(await page.getAttribute(byId("backend-badge"), "data-backend"), run.backend);
      if (run.backend === "gpu") {
        // The first WebGPU update compiles shaders for seconds: the page must say so.
        assert.ok(states.includes("compiling"), `states: ${states.join(" -> ")}`);
      }

      const updates = await number(page, "stat-updates");
      const episodes = await number(page, "stat-episodes");
      const envSteps = await number(page, "stat-env-steps");
      const first = await number(page, "stat-first-mean-return");
      const mean = await number(page, "stat-mean-return");
      const baseline = await number(page, "stat-baseline-mean-return");
      const labels = await number(page, "stat-labels");
      const stepsPerSecond = await number(page, "stat-steps-per-second");
      t.diagnostic(
        `${badge}: ${updates} updates, ${episodes} episodes, ${envSteps} env steps, mean return ` +
          `${first} -> ${mean} (baseline ${baseline}), ${stepsPerSecond} env steps/s, ` +
          `${fps.toFixed(1)} animation frames/s`,
      );
      assert.ok(updates >= run.updates, `only ${updates} updates`);
      assert.ok(episodes > 20, `only ${episodes} episodes`);
      assert.ok(envSteps >= updates * 256, `${envSteps} env steps for ${updates} updates`);
      assert.equal(labels, 0, "shaping asks no labeler, yet AI labels were counted");
      assert.ok(
        mean >= first + run.margin,
        `mean return ${mean} did not rise ${run.margin} above the first episodes' ${first}`,
      );
      if (run.backend === "cpu") {
        // The baseline moved in step with the run.
        const baselineSteps = Number(await page.getAttribute(byId("stat-baseline-mean-return"), "data-env-steps"));
        assert.equal(baselineSteps, envSteps, "the baseline did not race the run");
      }

      // Responsiveness is a measurement, not a pass/fail: a loaded machine stretches any task.
      const longTasks = await page.evaluate(() => window.__longTasks);
      t.diagnostic(`${badge}: main-thread tasks over 50 ms during training: ${JSON.stringify(longTasks)}`);
      const file = run.backend === "gpu" ? "train-webgpu.png" : "train-cpu.png";
      await page.screenshot({ path: path.join(artifacts, file), fullPage: true });
      if (run.backend === "gpu") {
        // A WebGPU run exports too: read back asynchronously, without Adam's moments.
        const [download] = await Promise.all([page.waitForEvent("download"), page.click(byId("export"))]);
        const bytes = await fs.readFile(await download.path());
        assert.equal(bytes.subarray(0, 8).toString("latin1"), "RLAIFCKP");
        assert.match(await page.textContent(byId("train-status")), /without the optimiser's state/);
      }
      assert.deepEqual(site.consoleErrors, []);
      assert.deepEqual(site.pageErrors, []);
      assert.deepEqual(site.foreignRequests, []);
    } finally {
      await site.close();
    }
  });
}

// A GPU that is lost mid-run: the WebGPU worker dies (here an uncaught error thrown inside it,
// which is how a panic there reaches the page too). The page must continue the same run on the
// CPU from the worker's last snapshot, not start over, and say so on the badge; the racing
// baseline goes on from the same snapshot.
test("WebGPU lost mid-run: the run goes on on the CPU from its last snapshot", { timeout: 7 * 60_000 }, async () => {
  const site = await openSite(WEBGPU_ARGS);
  try {
    const { page } = site;
    await page.goto(`${site.origin}/#v=1&env=CartPole-v1&fb=shaping&lambda=0.5&backend=gpu&base=1&seed=2`);
    await page.waitForFunction(() => document.querySelector('[data-testid="backend-badge"]').dataset.ready === "1");
    await page.click(byId("play"));
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid="stat-updates"]').textContent) >= 3,
      null,
      { timeout: 5 * 60_000, polling: 250 },
    );
    assert.equal(await page.getAttribute(byId("backend-badge"), "data-backend"), "gpu");
    const gpuWorker = page.workers().find((w) => w.url().includes("train-gpu"));
    assert.ok(gpuWorker, `no WebGPU worker among ${page.workers().map((w) => w.url()).join(", ")}`);
    await gpuWorker.evaluate(() => {
      setTimeout(() => {
        throw new Error("simulated GPU loss");
      }, 0);
    });
    await page.waitForFunction(
      () => document.querySelector('[data-testid="backend-badge"]').dataset.backend === "cpu",
      null,
      { timeout: 60_000 },
    );
    const badge = (await page.textContent(byId("backend-badge"))).trim();
    const resumedAt = Number(badge.match(/went on from step (\d+)$/)?.[1]);
    assert.match(badge, /^CPU — WebGPU failed \(.*simulated GPU loss.*\); the run went on from step \d+$/);
    assert.ok(resumedAt >= 256, `resumed at step ${resumedAt}`);
    // Training goes on from there on the CPU, counting on from the snapshot's steps.
    await page.waitForFunction(
      (from) => Number(document.querySelector('[data-testid="stat-env-steps"]').textContent) >= from + 10 * 256,
      resumedAt,
      { timeout: 60_000, polling: 250 },
    );
    await page.click(byId("pause"));
    await page.waitForFunction(() => document.querySelector('[data-testid="train-status"]').dataset.state === "paused");
    // The baseline moves in step with the run (an update each): restarted from step 0 it would
    // lag by the snapshot's steps.
    const runSteps = Number(await page.textContent(byId("stat-env-steps")));
    const baselineSteps = Number(await page.getAttribute(byId("stat-baseline-mean-return"), "data-env-steps"));
    assert.equal(baselineSteps, runSteps, "the baseline did not go on from the snapshot");
    const notice = await page.$eval(byId("notice"), (n) => (n.hidden ? null : n.textContent));
    assert.equal(notice, null, `the page reported: ${notice}`);
    assert.deepEqual(site.pageErrors, []);
    assert.deepEqual(site.consoleErrors.filter((e) => !e.includes("simulated GPU loss")), []);
    assert.deepEqual(site.foreignRequests, []);
  } finally {
    await site.close();
  }
});
