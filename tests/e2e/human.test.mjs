// End-to-end tests of the person in the loop, in headless Chromium (the CPU trainer): the
// teacher's overlay on the canvas, playing an env with the keyboard, the demonstrations that
// makes (kept in the browser, downloaded, loaded back, refused when bad) and a run whose
// teacher is learned from them.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { artifacts, byId, notice, openSite, openTab, stepOnce } from "./harness.mjs";

let site;

before(async () => {
  site = await openSite();
});

after(async () => {
  await site?.close();
});

const text = (page, id) => page.$eval(byId(id), (n) => n.textContent);

/** The canvas's pixels, to compare two drawings. */
const pixels = (page) =>
  page.$eval(byId("rollout-canvas"), (c) => Array.from(c.getContext("2d").getImageData(0, 0, c.width, c.height).data));

/** The grid keys for the teacher's suggestion as the readout words it. */
const GRID_KEYS = [
  ["turn left", "ArrowLeft"],
  ["turn right", "ArrowRight"],
  ["forward", "ArrowUp"],
  ["pick up", "p"],
  ["toggle a door", "t"],
];

/** Plays one DoorKey episode by following the teacher's suggestions on the readout. */
async function followTheTeacher(page) {
  for (let move = 0; move < 100; move += 1) {
    const status = await text(page, "status");
    if (status.includes("terminated") || status.includes("truncated")) return status;
    const readout = await text(page, "teacher-readout");
    const suggestion = readout.match(/suggests (.+?) \(/)?.[1].split(" or ")[0];
    const key = GRID_KEYS.find(([words]) => words === suggestion)?.[1];
    assert.ok(key, `no key for the suggestion in ${JSON.stringify(readout)}`);
    await page.keyboard.press(key);
  }
  throw new Error("the teacher's moves did not end the episode");
}

test("the teacher overlay shows its value, its suggestion and a heatmap, and the hash keeps it", async () => {
  const page = await openTab(site, "#env=Grid-DoorKey-8x8-v0&seed=1");
  assert.equal(await page.$eval(byId("teacher-readout"), (n) => n.hidden), true);
  const plain = await pixels(page);
  await page.check(byId("overlay-toggle"));
  const readout = await text(page, "teacher-readout");
  assert.match(readout, /^Teacher shortest-path: value -?\d\.\d{3} · suggests .+ · map: /);
  assert.notDeepEqual(await pixels(page), plain, "the heatmap changed nothing on the canvas");
  assert.match(await page.evaluate(() => location.hash), /&ov=1/);
  // A view setting: no notice, and the run (none yet) is not reset.
  assert.equal(await notice(page), null);
  // The wrong teacher's view is the opposite one.
  await page.selectOption(byId("teacher-select"), "inverted");
  assert.match(await text(page, "teacher-readout"), /^Teacher inverted: value/);
  // CartPole's LQR has no map, but a value and a push.
  await page.selectOption(byId("env-select"), "CartPole-v1");
  assert.match(await text(page, "teacher-readout"), /^Teacher lqr: value -?\d+\.\d{3} · suggests push (left|right) \(\d+%\)$/);
  await page.close();
});

test("a wrong-teacher preset sets its teacher, and the overlay shows that teacher", async () => {
  const page = await openTab(site, "#env=Grid-Empty-8x8-v0&ov=1");
  await page.selectOption(byId("preset-select"), "empty-wrong-direct");
  assert.equal(await page.inputValue(byId("teacher-select")), "inverted");
  assert.equal(await page.inputValue(byId("feedback-select")), "direct");
  assert.equal(await page.inputValue(byId("lambda")), "1");
  assert.match(await text(page, "teacher-readout"), /^Teacher inverted: value /);
  assert.match(await page.evaluate(() => location.hash), /fb=direct&teacher=inverted&lambda=1&/);
  await page.close();
});

test("a MiniGrid env draws the layout its seed generates, a new one per seed, and the teacher walks it", async () => {
  const page = await openTab(site, "#env=MiniGrid-DoorKey-8x8-v0&seed=1&ov=1");
  const first = await pixels(page);
  // Stepping the seed draws another layout; going back draws the first again.
  await page.fill(byId("seed"), "2");
  await page.dispatchEvent(byId("seed"), "change");
  const second = await pixels(page);
  assert.notDeepEqual(second, first, "seeds 1 and 2 drew the same layout");
  await page.fill(byId("seed"), "1");
  await page.dispatchEvent(byId("seed"), "change");
  assert.deepEqual(await pixels(page), first, "seed 1 drew another layout the second time");
  // The shortest-path teacher reads the generated layout: following it by keyboard reaches the goal.
  await page.click(byId("human-play"));
  assert.match(await text(page, "human-keys"), /D drop/);
  const status = await followTheTeacher(page);
  assert.match(status, /^You · episode 1 · steps \d+ · return 0\.\d+ · terminated$/);
  await page.close();
});

test("a person plays DoorKey by keyboard, the episode becomes a demonstration kept in the browser", async () => {
  const page = await openTab(site, "#env=Grid-DoorKey-8x8-v0&seed=3&ov=1");
  assert.equal(await text(page, "demo-episodes"), "0");
  assert.equal(await page.$eval(byId("demos-download"), (b) => b.disabled), true);
  await page.click(byId("human-play"));
  assert.match(await text(page, "human-keys"), /↑ forward/);
  assert.match(await text(page, "status"), /^You · episode 1 · steps 0/);
  // A key the env does not use does nothing; an arrow moves the agent.
  await page.keyboard.press("x");
  assert.match(await text(page, "status"), /steps 0/);
  const status = await followTheTeacher(page);
  assert.match(status, /^You · episode 1 · steps \d+ · return 0\.\d+ · terminated$/);
  assert.equal(await text(page, "demo-episodes"), "1");
  const steps = Number(await text(page, "demo-steps"));
  assert.ok(steps > 5 && steps === Number(status.match(/steps (\d+)/)[1]));
  assert.equal(await text(page, "demo-storage"), "Kept in this browser.");
  await page.screenshot({ path: path.join(artifacts, "human-play.png"), fullPage: true });
  // The download is a demonstrations file with that episode.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click(byId("demos-download"))]);
  assert.equal(download.suggestedFilename(), "Grid-DoorKey-8x8-v0-demos.json");
  const file = path.join(artifacts, "doorkey-demos.json");
  await download.saveAs(file);
  const demos = JSON.parse(await fs.readFile(file, "utf8"));
  assert.equal(demos.format, "rlaif-demos");
  assert.equal(demos.episodes.length, 1);
  assert.equal(demos.episodes[0].actions.length, steps);
  assert.equal(demos.episodes[0].seed, 3);
  await page.close();

  // A fresh tab of the same browser has them, and offers the teacher learned from them.
  const again = await openTab(site, "#env=Grid-DoorKey-8x8-v0&seed=3");
  assert.equal(await text(again, "demo-episodes"), "1");
  const options = await again.$$eval(`${byId("teacher-select")} option`, (os) => os.map((o) => o.value));
  assert.ok(options.includes("demo"), `teacher options ${options}`);
  // Loading the downloaded file adds its episode; a bad file is explained and changes nothing.
  await again.setInputFiles(byId("demos-file"), file);
  await again.waitForFunction(() => document.querySelector('[data-testid="demo-episodes"]').textContent === "2");
  await again.setInputFiles(byId("demos-file"), {
    name: "junk.json",
    mimeType: "application/json",
    buffer: Buffer.from('{"format": "rlaif-demos", "version": 1, "env_id": "CartPole-v1"}'),
  });
  await again.waitForFunction(() => !document.querySelector('[data-testid="notice"]').hidden);
  assert.match(await notice(again), /^Could not load junk\.json: /);
  assert.equal(await text(again, "demo-episodes"), "2");

  // Shaping from the teacher learned from the demonstrations trains.
  await again.selectOption(byId("feedback-select"), "shaping");
  await again.selectOption(byId("teacher-select"), "demo");
  assert.match(await again.evaluate(() => location.hash), /teacher=demo/);
  await stepOnce(again);
  assert.equal(await again.$eval(byId("train-status"), (n) => n.dataset.state), "paused", await notice(again));
  assert.equal(await text(again, "stat-updates"), "1");
  // Exporting such a run is refused with the reason.
  await again.click(byId("export"));
  assert.match(await notice(again), /learned from your demonstrations cannot be exported yet/);

  // Clearing them forgets them here and in the browser, and the teacher goes back to the default.
  await again.click(byId("demos-clear"));
  assert.equal(await text(again, "demo-episodes"), "0");
  assert.equal(await again.$eval(byId("teacher-select"), (s) => s.value), "");
  await again.close();
  const cleared = await openTab(site, "#env=Grid-DoorKey-8x8-v0&teacher=demo");
  assert.equal(await text(cleared, "demo-episodes"), "0");
  assert.match(await notice(cleared), /teacher "demo" is learned from demonstrations of Grid-DoorKey-8x8-v0, which this browser does not have/);
  await cleared.close();
});

test("every environment can be played with its keys", async () => {
  const page = await openTab(site, "#v=1");
  const ids = await page.$$eval(`${byId("env-select")} option`, (os) => os.map((o) => o.value));
  for (const id of ids) {
    await page.selectOption(byId("env-select"), id);
    await page.click(byId("human-play"));
    const keys = await text(page, "human-keys");
    // The first key listed, e.g. "← turn left" or "1 drop in column 1".
    const first = keys.replace(/^Keys: /, "").split(" · ")[0].split(" ")[0];
    const key = { "←": "ArrowLeft", "→": "ArrowRight", "↑": "ArrowUp", "↓": "ArrowDown" }[first] ?? first;
    await page.keyboard.press(key);
    assert.match(await text(page, "status"), /^You · episode 1 · steps 1 /, id);
    // Play hands the canvas back: the random policy or the agent.
    await page.click(byId("human-play"));
    assert.doesNotMatch(await text(page, "status"), /^You/, id);
  }
  assert.equal(await notice(page), null);
  await page.close();
});

test("no console errors, page errors or requests to other origins", () => {
  assert.deepEqual(site.consoleErrors, []);
  assert.deepEqual(site.pageErrors, []);
  assert.deepEqual(site.foreignRequests, []);
});
