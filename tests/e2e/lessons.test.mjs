// Lessons on the page, in headless Chromium: a lesson chosen from the preset list loads its
// whole config (knobs the page has no control for included), shows its text, and lives in the
// link as `lesson=`; the reward-hacking lesson's model freezes after its 50 labels and the page
// says so. A link naming another env's lesson, or none that exists, says what it ignored.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { byId, notice, openSite, openTab } from "./harness.mjs";

let site;

before(async () => {
  site = await openSite();
});

after(async () => {
  await site?.close();
});

const text = (page, id) => page.textContent(byId(id));
const hashOf = (page) => page.evaluate(() => decodeURIComponent(location.hash));
const state = (page) => page.$eval(byId("train-status"), (s) => s.dataset.state);

/** One PPO update (Step), waited for. */
async function step(page) {
  const before = Number(await text(page, "stat-updates"));
  await page.click(byId("step"));
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid="stat-updates"]').textContent) > n, before);
  await page.waitForFunction(() => document.querySelector('[data-testid="train-status"]').dataset.state === "paused");
}

test("the reward-hacking lesson loads from the preset list, says what it teaches, and freezes its model", { timeout: 3 * 60_000 }, async () => {
  const page = await openTab(site, "#v=1&env=Grid-Empty-8x8-v0&backend=cpu&base=0");
  assert.equal(await page.isVisible(byId("lesson-text")), false, "no lesson, no lesson text");
  await page.selectOption(byId("preset-select"), "empty-reward-hacking");
  assert.match(await hashOf(page), /&fb=preference&/);
  assert.match(await hashOf(page), /&freeze=50&/);
  assert.match(await hashOf(page), /&lesson=empty-reward-hacking/);
  assert.equal(await page.isVisible(byId("lesson-text")), true);
  assert.match(await text(page, "lesson-text"), /reward hacking/i);
  assert.match(await text(page, "lesson-text"), /potential/);
  assert.equal(await page.inputValue(byId("freeze-after")), "50");
  assert.equal(await page.inputValue(byId("feedback-select")), "preference");

  // 25 labels a round: frozen once the second round's are trained on.
  await step(page);
  assert.equal(await text(page, "stat-labels"), "25");
  assert.doesNotMatch(await text(page, "held-out-accuracy"), /frozen/);
  await step(page);
  await step(page);
  assert.equal(await text(page, "stat-labels"), "50", "no label after the freeze");
  assert.match(await text(page, "held-out-accuracy"), /^Reward model on each new label, before training on it: AI labels \d+% of \d+\./);
  assert.match(await text(page, "held-out-accuracy"), /The reward model is frozen after 50 labels/);
  assert.equal(await notice(page), null);

  // The link carries the lesson: another tab opens on it.
  const hash = await hashOf(page);
  const other = await openTab(site, hash);
  assert.equal(await notice(other), null);
  assert.equal(await other.inputValue(byId("preset-select")), "empty-reward-hacking");
  assert.equal(await other.isVisible(byId("lesson-text")), true);
  // Another env leaves the lesson.
  await other.selectOption(byId("env-select"), "CartPole-v1");
  assert.doesNotMatch(await hashOf(other), /lesson=/);
  assert.equal(await other.isVisible(byId("lesson-text")), false);
  await other.close();
  await page.close();
});

test("a link with another env's lesson, or an unknown one, says what it ignored", async () => {
  const page = await openTab(site, "#v=1&env=CartPole-v1&lesson=empty-reward-hacking");
  assert.match(await notice(page), /lesson "empty-reward-hacking" is a lesson of Grid-Empty-8x8-v0, not of CartPole-v1/);
  assert.doesNotMatch(await hashOf(page), /lesson=/);
  await page.close();
  const unknown = await openTab(site, "#v=1&env=CartPole-v1&lesson=no-such-lesson");
  assert.match(await notice(unknown), /unknown lesson "no-such-lesson"/);
  await unknown.close();
});

test("no console errors, page errors or requests to other origins", () => {
  assert.deepEqual(site.consoleErrors, []);
  assert.deepEqual(site.pageErrors, []);
  assert.deepEqual(site.foreignRequests, []);
});
