// End-to-end test of the built viewer page in headless Chromium.
//
// Serves DIST_DIR (default: dist/ at the repository root) from a tiny static server on
// 127.0.0.1, then drives the page: every environment in the picker must draw a non-blank
// canvas that changes when stepped, the controls must work, and the page must log no
// console errors, throw no page errors and request nothing from any other origin.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { artifacts, byId, openSite } from "./harness.mjs";

let site;
let page;

before(async () => {
  site = await openSite();
  page = site.page;
});

after(async () => {
  await site?.close();
});

const origin = () => site.origin;

/** Pixel statistics of the canvas: distinct colours, share of non-background pixels, hash. */
function canvasStats() {
  return page.$eval(byId("rollout-canvas"), (canvas) => {
    const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
    const counts = new Map();
    let hash = 2166136261;
    for (let i = 0; i < data.length; i += 4) {
      const rgba = (data[i] << 24) | (data[i + 1] << 16) | (data[i + 2] << 8) | data[i + 3];
      counts.set(rgba, (counts.get(rgba) ?? 0) + 1);
      hash = Math.imul(hash ^ rgba, 16777619);
    }
    const pixels = data.length / 4;
    const background = Math.max(...counts.values());
    return {
      colours: counts.size,
      foreground: (pixels - background) / pixels,
      hash: hash >>> 0,
    };
  });
}

const status = () => page.textContent(byId("status"));
const noticeShown = () => page.$eval(byId("notice"), (n) => (n.hidden ? null : n.textContent));

test("the page loads and lists the registered environments", async () => {
  await page.goto(`${origin()}/`);
  await page.waitForFunction(
    () =>
      !document.querySelector('[data-testid="env-select"]').disabled ||
      !document.querySelector('[data-testid="notice"]').hidden,
  );
  assert.equal(await noticeShown(), null);
  const ids = await page.$$eval(`${byId("env-select")} option`, (os) => os.map((o) => o.value));
  const registered = await page.evaluate(() => window.wasmBindings.Viewer.envIds());
  assert.deepEqual(ids, registered);
  assert.ok(ids.length > 0, "the registry lists no environments");
});

test("every environment draws, and stepping changes the drawing", async () => {
  const ids = await page.$$eval(`${byId("env-select")} option`, (os) => os.map((o) => o.value));
  for (const id of ids) {
    await page.selectOption(byId("env-select"), id);
    assert.equal(await noticeShown(), null, id);
    const first = await canvasStats();
    let stats = first;
    // Some steps draw the same picture (a grid agent bumping into a wall); a few must not.
    for (let i = 0; i < 20 && stats.hash === first.hash; i += 1) {
      await page.click(byId("step"));
      stats = await canvasStats();
    }
    assert.notEqual(stats.hash, first.hash, `${id}: stepping never changed the canvas`);
    assert.ok(stats.colours >= 4, `${id}: only ${stats.colours} colours on the canvas`);
    assert.ok(stats.foreground > 0.005, `${id}: canvas is almost blank (${stats.foreground})`);
    // After an update the canvas may follow the agent's newest episode instead.
    assert.match(await status(), /^(Random policy · episode \d+|Agent · episode \d+ \(update \d+\)) · steps \d+ · return -?\d+\.\d\d/, id);
    assert.equal(await noticeShown(), null, id);
    const file = id.replace(/[^A-Za-z0-9._-]/g, "_");
    await page.locator(byId("rollout-canvas")).screenshot({
      path: path.join(artifacts, `${file}.png`),
    });
  }
});

test("play steps until paused, and reset starts episode 1 again", async () => {
  await page.click(byId("reset"));
  assert.match(await status(), /^Random policy · episode 1 · steps 0 · return 0\.00/);
  await page.click(byId("play"));
  assert.equal(await page.isDisabled(byId("play")), true);
  await page.waitForFunction(() =>
    /steps ([3-9]|\d\d+)/.test(document.querySelector('[data-testid="status"]').textContent),
  );
  await page.click(byId("pause"));
  const paused = await status();
  // Let several animation frames pass; nothing may step while paused.
  await page.evaluate(
    () =>
      new Promise((resolve) => {
        let n = 0;
        const frame = () => (++n >= 10 ? resolve() : requestAnimationFrame(frame));
        requestAnimationFrame(frame);
      }),
  );
  assert.equal(await status(), paused);
  await page.click(byId("reset"));
  assert.match(await status(), /^Random policy · episode 1 · steps 0 · return 0\.00/);
});

test("an unknown id is a JS error with the registry's message", async () => {
  const message = await page.evaluate(() => {
    try {
      new window.wasmBindings.Viewer("NoSuchEnv-v0");
      return null;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  });
  assert.match(message ?? "", /unknown environment id 'NoSuchEnv-v0'/);
});

test("screenshot for the README", async () => {
  const ids = await page.$$eval(`${byId("env-select")} option`, (os) => os.map((o) => o.value));
  const pick = ids.find((id) => id.startsWith("CartPole")) ?? ids[0];
  await page.selectOption(byId("env-select"), pick);
  for (let i = 0; i < 8; i += 1) await page.click(byId("step"));
  await page.screenshot({ path: path.join(artifacts, "viewer.png"), fullPage: true });
});

test("no console errors, page errors or requests to other origins", () => {
  assert.deepEqual(site.consoleErrors, []);
  assert.deepEqual(site.pageErrors, []);
  assert.deepEqual(site.foreignRequests, []);
});
