// Lessons on the page, in headless Chromium: a visit without a link opens on the landing
// lesson, where Play shows the run with feedback ahead of the baseline within a budget of env
// steps; a lesson chosen from the lesson list loads its whole config (knobs the page has no
// control for included), shows its text, and lives in the link and the embed code as
// `lesson=`; the reward-hacking lesson's model freezes after its 50 labels and the page says
// so. A link naming another env's lesson, or none that exists, says what it ignored. Controls
// that do nothing in the current mode are disabled and say why; without feedback no baseline
// races.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { artifacts, byId, notice, openSite, openTab, repoRoot, stepOnce } from "./harness.mjs";

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
  await page.selectOption(byId("lesson-select"), "empty-reward-hacking");
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
  assert.equal(await other.inputValue(byId("lesson-select")), "empty-reward-hacking");
  assert.equal(await other.isVisible(byId("lesson-text")), true);
  // Another env leaves the lesson.
  await other.selectOption(byId("env-select"), "CartPole-v1");
  assert.doesNotMatch(await hashOf(other), /lesson=/);
  assert.equal(await other.isVisible(byId("lesson-text")), false);
  await other.close();
  await page.close();
});

test("a visit without a link opens on a lesson where feedback visibly beats the baseline", { timeout: 3 * 60_000 }, async () => {
  const page = await openTab(site, "");
  assert.equal(await page.inputValue(byId("lesson-select")), "mountaincar-direct");
  assert.equal(await page.inputValue(byId("env-select")), "MountainCar-v0");
  assert.equal(await page.isVisible(byId("lesson-text")), true);
  assert.match(await text(page, "lesson-text"), /Try lambda 0/);
  assert.equal(await page.isChecked(byId("baseline-toggle")), true);
  // A budget of env steps, not of time: by 32k steps the run with the teacher's reward has
  // climbed out, the baseline (the env's sparse reward alone) has not.
  const mode = () => page.evaluate(() => document.body.dataset.mode);
  assert.equal(await mode(), "idle");
  assert.equal(await page.getAttribute(byId("seeds"), "placeholder"), "3", "the lesson trains three seeds");
  await page.click(byId("play"));
  assert.equal(await mode(), "training");
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="stat-env-steps"]').textContent) >= 32_768, null, { timeout: 2 * 60_000, polling: 100 });
  await page.click(byId("pause"));
  await page.waitForFunction(() => document.querySelector('[data-testid="train-status"]').dataset.state === "paused");
  assert.equal(await mode(), "paused");
  const run = Number(await text(page, "stat-mean-return"));
  const baseline = Number(await text(page, "stat-baseline-mean-return"));
  assert.ok(run >= baseline + 30, `run ${run} against baseline ${baseline}`);
  assert.equal(baseline, -200, "the baseline never reached the flag");
  assert.equal(await notice(page), null);
  // Three seeds: the lines are their means, with a shaded band, and the legend says so.
  assert.equal(await page.isVisible(byId("legend-band")), true);
  assert.match(await text(page, "legend-band"), /^Env return and baseline: the mean of 3 seeds \(1 to 3\), shaded over their range\. The AI return and the numbers below are seed 1's\.$/);
  const band = Number(await page.getAttribute(byId("chart"), "data-band-points"));
  assert.ok(band >= 1, `band points ${band}`);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(artifacts, "landing-trained.png") });

  // The embed code carries the lesson; embedded at phone width it still trains.
  await page.click(byId("embed-code"));
  const snippet = await page.inputValue(byId("copy-text"));
  const src = snippet.match(/src="([^"]+)"/)[1].replaceAll("&amp;", "&");
  assert.match(src, /&lesson=mountaincar-direct/);
  await page.close();
  const embed = await openTab(site, new URL(src).hash);
  await embed.setViewportSize({ width: 360, height: 640 });
  assert.equal(await embed.isVisible(byId("lesson-select")), false, "the lesson list shows in the embed");
  assert.equal(await embed.isVisible(byId("lesson-text")), true);
  assert.equal(await embed.isVisible(byId("play")), true);
  const width = await embed.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `the embed is ${width}px wide at 360px`);
  await embed.screenshot({ path: path.join(artifacts, "embed-lesson.png"), fullPage: true });
  await embed.close();
});

test("the demonstrations lesson asks for your episodes first, then its agent learns from them ahead of the baseline", { timeout: 3 * 60_000 }, async () => {
  const page = await openTab(site, "#v=1&env=Grid-DoorKey-8x8-v0&backend=cpu");
  await page.selectOption(byId("lesson-select"), "doorkey-your-demonstrations");
  assert.match(await text(page, "lesson-text"), /^First play it yourself/);
  assert.equal(await page.inputValue(byId("feedback-select")), "advice");
  assert.equal(await page.inputValue(byId("teacher-select")), "demo");
  assert.match(await page.$eval(byId("teacher-select"), (s) => s.selectedOptions[0].textContent), /none yet: play it yourself first/);
  // Without demonstrations, Play says what to do, and nothing trains.
  await page.click(byId("play"));
  await page.waitForFunction(() => document.querySelector('[data-testid="train-status"]').dataset.state === "error");
  assert.match(await notice(page), /^These settings do not make a run: the teacher learns from your demonstrations, and there are none yet: press "Play it yourself"/);
  assert.equal(await page.evaluate(() => document.body.dataset.mode), "idle");
  // Three episodes recorded earlier (by the shortest-path teacher: `rlaif demos record --env
  // Grid-DoorKey-8x8-v0 --episodes 3 --seed 3`), added as a person adds their file.
  await page.setInputFiles(byId("demos-file"), path.join(repoRoot, "tests", "e2e", "fixtures", "doorkey-demos.json"));
  await page.waitForFunction(() => document.querySelector('[data-testid="demo-episodes"]').textContent === "3");
  assert.match(await page.$eval(byId("teacher-select"), (s) => s.selectedOptions[0].textContent), /\(3 episodes\)/);
  // A budget of env steps: by 64k steps the advised run has reached DoorKey's 0.9 (seed 1 did
  // at 41k natively), while the baseline, on the sparse reward alone, is behind it.
  await page.click(byId("play"));
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="stat-env-steps"]').textContent) >= 65_536, null, { timeout: 2 * 60_000, polling: 100 });
  await page.click(byId("pause"));
  await page.waitForFunction(() => document.querySelector('[data-testid="train-status"]').dataset.state === "paused");
  const run = Number(await text(page, "stat-mean-return"));
  const baseline = Number(await text(page, "stat-baseline-mean-return"));
  assert.ok(run >= 0.9, `run ${run}`);
  assert.ok(run > baseline + 0.1, `run ${run} against baseline ${baseline}`);
  assert.equal(await notice(page), null);
  await page.close();
});

test("controls that do nothing say why; without feedback no baseline races", async () => {
  const page = await openTab(site, "#v=1&env=CartPole-v1&backend=cpu&base=1&seed=2");
  const reason = (id) => page.$eval(byId(id), (e) => (e.disabled ? e.closest("label").dataset.reason ?? "" : null));
  assert.match(await reason("lambda"), /^No feedback/);
  assert.match(await reason("schedule-select"), /^No feedback/);
  assert.match(await reason("baseline-toggle"), /a baseline would be the same run/);
  assert.match(await reason("mistake"), /^Only preference feedback/);
  assert.match(await reason("labels-from"), /^Only preference feedback/);
  assert.equal(await page.getAttribute(byId("lambda"), "title"), await reason("lambda"), "the reason shows on hover too");
  // One update without feedback: no baseline moved.
  await stepOnce(page);
  assert.equal(await page.getAttribute(byId("stat-baseline-mean-return"), "data-env-steps"), null);

  // Shaping: lambda and the baseline mean something now; the floor only with a linear schedule.
  await page.selectOption(byId("feedback-select"), "shaping");
  assert.equal(await reason("lambda"), null);
  assert.equal(await reason("baseline-toggle"), null);
  assert.match(await reason("floor"), /linear schedule/);
  await page.selectOption(byId("schedule-select"), "linear");
  assert.equal(await reason("floor"), null);
  await stepOnce(page);
  assert.equal(
    await page.getAttribute(byId("stat-baseline-mean-return"), "data-env-steps"),
    await text(page, "stat-env-steps"),
    "the baseline races with feedback",
  );
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
