// End-to-end test of the RLHF loop in headless Chromium: preference feedback with labels from
// you. A scripted person watches each queued pair as the page plays it and answers from what
// the page shows (each canvas's accessible description of the frame on show: where the agent
// and the goal are), never from the AI labeler's verdict. The run waits for its first labels,
// trains on the reward model the answers teach, and must reach the env's reward threshold with
// at most 100 of the person's labels; a second person flips one answer in five and must still
// get there. Also: answers given while a training round runs are all applied, a reset discards
// the old run's queue, the labels download as a labels file, and the run's export carries them.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { artifacts, byId, notice, openSite, openTab } from "./harness.mjs";

/** Grid-Empty-8x8-v0's reward threshold (`rlaif envs`). */
const THRESHOLD = 0.9;
const MAX_LABELS = 100;
const HASH = "#v=1&env=Grid-Empty-8x8-v0&fb=preference&labels=you&lambda=0.5&backend=cpu&base=0&seed=1";

let site;

before(async () => {
  site = await openSite();
});

after(async () => {
  await site?.close();
});

const text = (page, id) => page.textContent(byId(id));
const number = async (page, id) => Number(await text(page, id));

/**
 * Watches the pair on show until both segments have been seen at their first and last states,
 * and returns how far each moved toward the goal (Manhattan distance, read from the canvases'
 * descriptions): `{ id, left, right }`, or null when the pair changed meanwhile.
 */
function watchPair(page) {
  return page.evaluate(async () => {
    const panel = document.querySelector('[data-testid="labeling-panel"]');
    const id = panel.dataset.query;
    const distance = (label) => {
      const a = label.match(/agent at \((\d+), (\d+)\)/);
      const g = label.match(/goal at \((\d+), (\d+)\)/);
      if (!a || !g) throw new Error(`cannot read the frame: ${label}`);
      return Math.abs(a[1] - g[1]) + Math.abs(a[2] - g[2]);
    };
    const seen = { left: {}, right: {} };
    const started = performance.now();
    while (performance.now() - started < 30_000) {
      if (panel.dataset.query !== id) return null;
      for (const side of ["left", "right"]) {
        const canvas = document.querySelector(`[data-testid="label-${side}"]`);
        const { position, len } = canvas.dataset;
        const label = canvas.getAttribute("aria-label") ?? "";
        if (position === "0") seen[side].first = distance(label);
        if (position !== undefined && position === len) seen[side].last = distance(label);
      }
      const done = (s) => s.first !== undefined && s.last !== undefined;
      if (done(seen.left) && done(seen.right)) {
        return { id, left: seen.left.first - seen.left.last, right: seen.right.first - seen.right.last };
      }
      await new Promise((resolve) => requestAnimationFrame(resolve));
    }
    throw new Error(`pair ${id}: not both segments seen from start to end within 30 s`);
  });
}

/**
 * Plays the person on `page` until the mean return reaches the threshold (or `MAX_LABELS` are
 * given, after which the run trains on without them). The person trains one update at a time
 * (Step) and answers every pair the run asked before the next, as `rlaif train --person`
 * does: in the page a free-running run outpaces a person watching every pair. `flipEvery`:
 * every n-th decided answer is flipped (0: none). Returns `{ labels, envSteps, seconds }`.
 */
async function labelUntilSolved(page, flipEvery) {
  await page.locator(byId("labeling-panel")).scrollIntoViewIfNeeded();
  await page.$eval(byId("label-speed"), (input) => {
    input.value = "60";
    input.dispatchEvent(new Event("input"));
  });
  const started = Date.now();
  let given = 0;
  let decided = 0;
  let sawWaiting = false;
  for (;;) {
    const mean = Number(await text(page, "stat-mean-return"));
    if (mean >= THRESHOLD) break;
    assert.ok(Date.now() - started < 6 * 60_000, `no threshold within 6 minutes (mean ${mean}, ${given} labels)`);
    // Read in one go: the status and the panel change together.
    const { state, status, waiting } = await page.evaluate(() => {
      const get = (id) => document.querySelector(`[data-testid="${id}"]`);
      return { state: get("train-status").dataset.state, status: get("train-status").textContent, waiting: get("label-waiting").textContent };
    });
    if (state === "waiting") {
      sawWaiting = true;
      const [, given, needed] = status.match(/^Waiting for your labels: (\d+) of (\d+) first labels\./) ?? [];
      assert.ok(needed, status);
      assert.equal(waiting, `The run waits for your first labels: ${given} of ${needed}.`);
    }
    if (state === "done" && Number(await text(page, "stat-mean-return")) >= THRESHOLD) break;
    assert.ok(!["error", "done"].includes(state), `the run stopped: ${status} ${await notice(page)} (mean return ${await text(page, "stat-mean-return")}, ${given} labels)`);
    const asking = await page.$eval(byId("labeling-panel"), (p) => p.dataset.state === "asking");
    if (!asking || given >= MAX_LABELS) {
      // Every pair of the round answered: the next update (Step), once the last one is done.
      // The key, not the button: clicking would scroll the panel (and its animation) away.
      if (await page.isEnabled(byId("step"))) await page.keyboard.press("s");
      else await page.waitForTimeout(100);
      continue;
    }
    const seen = await watchPair(page);
    if (seen === null) continue;
    if (given === 25 && flipEvery === 0) {
      await page.locator(byId("labeling-panel")).screenshot({ path: path.join(artifacts, "labeling-queue.png") });
    }
    let choice = seen.left > seen.right ? "left" : seen.right > seen.left ? "right" : "equal";
    if (choice !== "equal") {
      decided += 1;
      if (flipEvery > 0 && decided % flipEvery === 0) choice = choice === "left" ? "right" : "left";
    }
    const key = { left: "ArrowLeft", right: "ArrowRight", equal: "ArrowDown" }[choice];
    await page.keyboard.press(key);
    given += 1;
    // The next pair (or none) is on show.
    await page.waitForFunction((id) => document.querySelector('[data-testid="labeling-panel"]').dataset.query !== id, seen.id);
  }
  assert.ok(sawWaiting, "the run never waited for its first labels");
  const envSteps = await number(page, "stat-env-steps");
  const labels = await number(page, "stat-labels-you");
  assert.ok(labels <= MAX_LABELS, `${labels} labels`);
  assert.equal(labels, given, "every answer reached the run");
  assert.equal(await number(page, "stat-labels"), 0, "no AI label in you mode");
  return { labels, envSteps, seconds: (Date.now() - started) / 1000 };
}

for (const [name, flipEvery] of [["answers as they see it", 0], ["flips one answer in five", 5]]) {
  test(`a scripted person who ${name} teaches the run to the threshold with at most ${MAX_LABELS} labels`, { timeout: 8 * 60_000 }, async () => {
    const page = await openTab(site, HASH);
    assert.equal(await notice(page), null);
    assert.equal(await page.inputValue(byId("labels-from")), "you");
    assert.equal(await page.$eval(byId("labeling-panel"), (p) => p.dataset.mode), "queue");
    const result = await labelUntilSolved(page, flipEvery);
    console.log(`# person (${name}): threshold ${THRESHOLD} at ${result.envSteps} env steps, ${result.labels} labels, ${result.seconds.toFixed(1)} s`);
    await page.waitForFunction(() => ["paused", "done"].includes(document.querySelector('[data-testid="train-status"]').dataset.state));

    if (flipEvery === 0) {
      // The labels download as a labels file with every answer, its segments as seeds and actions.
      const [download] = await Promise.all([page.waitForEvent("download"), page.click(byId("labels-download"))]);
      const file = path.join(artifacts, "person-labels.json");
      await download.saveAs(file);
      const labels = JSON.parse(await fs.readFile(file, "utf8"));
      assert.equal(labels.format, "rlaif-labels");
      assert.equal(labels.env_id, "Grid-Empty-8x8-v0");
      assert.equal(labels.labels.length, result.labels);
      assert.ok(labels.labels.every((l) => l.source === "you" && ["left", "right", "equal"].includes(l.answer)));
      // The run's export carries them: another page continues the run with the labels.
      const [exported] = await Promise.all([page.waitForEvent("download"), page.click(byId("export"))]);
      const run = path.join(artifacts, "person-run.rlaif");
      await exported.saveAs(run);
      const other = await openTab(site, "#v=1&env=CartPole-v1");
      await other.setInputFiles(byId("import-file"), run);
      await other.waitForFunction(() => /^Imported/.test(document.querySelector('[data-testid="train-status"]').textContent));
      assert.equal(await notice(other), null);
      assert.equal(await other.inputValue(byId("labels-from")), "you");
      await other.click(byId("step"));
      await other.waitForFunction(() => document.querySelector('[data-testid="train-status"]').dataset.state === "paused");
      assert.equal(await notice(other), null);
      await other.close();
    }
    await page.close();
  });
}

test("answers given while the run trains are all applied in order, and a reset discards the queue", { timeout: 4 * 60_000 }, async () => {
  const page = await openTab(site, HASH);
  await page.locator(byId("labeling-panel")).scrollIntoViewIfNeeded();
  await page.click(byId("play"));
  await page.waitForFunction(() => document.querySelector('[data-testid="train-status"]').dataset.state === "waiting");
  const needed = Number((await text(page, "label-waiting")).match(/of (\d+)\./)[1]);
  assert.ok(needed > 0 && needed <= 64, `first round of ${needed}`);
  assert.equal(await number(page, "label-queue"), needed);
  // Every first-round pair answered at once, as fast as keys go: all reach the run.
  for (let k = 0; k < needed; k += 1) await page.keyboard.press(k % 2 === 0 ? "ArrowLeft" : "ArrowRight");
  await page.waitForFunction((n) => document.querySelector('[data-testid="stat-labels-you"]').textContent === String(n), needed);
  await page.waitForFunction(() => document.querySelector('[data-testid="train-status"]').dataset.state === "training");
  // Later rounds queue pairs while the run trains; answers then arrive mid-round.
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="label-queue"]').textContent) > 0, null, { timeout: 60_000 });
  const queued = await number(page, "label-queue");
  for (let k = 0; k < queued; k += 1) await page.keyboard.press(" ");
  await page.waitForFunction((n) => document.querySelector('[data-testid="stat-labels-you"]').textContent === String(n), needed + queued);
  assert.match(await text(page, "label-verdict"), /^You answered nothing \(skipped\)\./);

  // Reset: the old run's queue is gone, and the next run asks afresh.
  await page.click(byId("reset"));
  await page.waitForFunction(() => document.querySelector('[data-testid="train-status"]').dataset.state === "idle");
  assert.equal(await number(page, "label-queue"), 0);
  assert.equal(await page.$eval(byId("labeling-panel"), (p) => p.dataset.state), "idle");
  assert.equal(await number(page, "stat-labels-you"), 0);
  await page.click(byId("play"));
  await page.waitForFunction(() => document.querySelector('[data-testid="train-status"]').dataset.state === "waiting");
  assert.match(await text(page, "label-waiting"), /: 0 of \d+\.$/);
  await page.click(byId("pause"));
  await page.close();
});

test("with your labels the race has three lanes: no feedback, the AI's labels and yours, in one table", { timeout: 4 * 60_000 }, async () => {
  const page = await openTab(site, HASH.replace("base=0", "base=1"));
  await page.locator(byId("labeling-panel")).scrollIntoViewIfNeeded();
  assert.equal(await page.isVisible(byId("race-table")), false, "no race before a run");
  await page.click(byId("step"));
  await page.waitForFunction(() => document.querySelector('[data-testid="train-status"]').dataset.state === "waiting");
  // While the run waits for its first labels, neither racing run steps.
  const needed = Number((await text(page, "label-waiting")).match(/of (\d+)\./)[1]);
  assert.equal(await text(page, "stat-baseline-mean-return"), "0");
  for (let k = 0; k < needed; k += 1) await page.keyboard.press(k % 2 === 0 ? "ArrowLeft" : "ArrowRight");
  await page.waitForFunction(() => document.querySelector('[data-testid="train-status"]').dataset.state === "paused");
  for (let k = 0; k < 2; k += 1) {
    await page.keyboard.press("s");
    await page.waitForFunction(() => document.querySelector('[data-testid="train-status"]').dataset.state === "paused");
  }
  assert.equal(await page.isVisible(byId("legend-ai-race")), true);
  const rows = await page.$$eval(`${byId("race-table")} tbody tr`, (trs) =>
    trs.map((tr) => ({ lane: tr.dataset.lane, cells: [...tr.cells].map((c) => c.textContent) })));
  assert.deepEqual(rows.map((r) => r.lane), ["baseline", "ai", "you"]);
  const [baseline, ai, you] = rows;
  assert.deepEqual(baseline.cells.slice(2), ["–", "–", "–"], "no labels without feedback");
  assert.ok(Number(ai.cells[2]) >= needed, `the AI lane's labels: ${ai.cells[2]}`);
  assert.equal(ai.cells[3], "0");
  assert.equal(you.cells[2], "0", "no AI label in you mode");
  assert.equal(you.cells[3], String(needed));
  assert.match(you.cells[4], /^vs AI \d+% of \d+; vs reward model (none yet|\d+% of \d+)$/);
  for (const r of rows) assert.match(r.cells[1], /^(\d+|not yet \(\d+\))$/);
  assert.match(await text(page, "held-out-accuracy"), /before training on it: your labels (none yet|\d+% of \d+)\./);
  await page.close();
});

test("no console errors, page errors or requests to other origins", () => {
  assert.deepEqual(site.consoleErrors, []);
  assert.deepEqual(site.pageErrors, []);
  assert.deepEqual(site.foreignRequests, []);
});
