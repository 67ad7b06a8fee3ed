// End-to-end tests of the playground page's settings, links and embedding, in headless
// Chromium (no WebGPU adapter: the CPU trainer). The URL hash holds every setting; hostile
// hashes must load the defaults with a notice and run nothing; embeds show only the listed
// controls; the first load stays small and fetches no training code.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import zlib from "node:zlib";
import { artifacts, byId, distDir, notice, openSite, openTab, stepOnce } from "./harness.mjs";

let site;

before(async () => {
  site = await openSite();
});

after(async () => {
  await site?.close();
});

const TEST_IDS = [
  "env-select", "feedback-select", "teacher-select", "preset-select", "lambda", "seed", "play",
  "pause", "step", "reset", "share", "embed-code", "backend-badge", "notice", "rollout-canvas",
  "chart", "stat-episodes", "stat-env-steps", "stat-mean-return", "stat-baseline-mean-return",
  "stat-labels", "labels-from", "label-queue", "stat-labels-you", "freeze-after", "lesson-text",
  "race-table", "held-out-accuracy", "legend-ai-race", "lesson-select", "advanced",
];

const open = (hash = "") => openTab(site, hash);

const hashOf = (page) => page.evaluate(() => decodeURIComponent(location.hash));

/** Share of canvas pixels that differ from its most common colour. */
const inked = (page, id) =>
  page.$eval(byId(id), (canvas) => {
    const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
    const counts = new Map();
    for (let i = 0; i < data.length; i += 4) {
      const k = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    return 1 - Math.max(...counts.values()) / (data.length / 4);
  });

test("the page has every test id, a strict CSP, no inline script, and loads small", async (t) => {
  const requests = [];
  // The page's own requests; the service worker's (it caches the site once the page has
  // loaded, trainer included, for offline use) are not the first frame's cost.
  const listener = (req) => req.serviceWorker() || requests.push(new URL(req.url()).pathname);
  site.context.on("request", listener);
  const page = await open();
  site.context.off("request", listener);
  for (const id of TEST_IDS) {
    assert.equal(await page.locator(byId(id)).count(), 1, `no single element with data-testid=${id}`);
  }
  const csp = await page.$eval('meta[http-equiv="Content-Security-Policy"]', (m) => m.content);
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval';/);
  assert.equal(await page.locator("script:not([src])").count(), 0, "an inline script");
  assert.equal(await notice(page), null);
  // A visit without a link opens on the landing lesson, which the link then names.
  const landing = await hashOf(page);
  assert.match(landing, /^#v=1&env=MountainCar-v0&fb=direct&teacher=energy&lambda=0\.5&/);
  assert.match(landing, /&lesson=mountaincar-direct&/);
  assert.match(landing, /&seed=1&.*&base=1&/);
  assert.equal(await page.inputValue(byId("lesson-select")), "mountaincar-direct");
  assert.match(await page.textContent(byId("lesson-text")), /^Watch the run's curve climb/);
  assert.ok(await inked(page, "rollout-canvas") > 0.005, "the rollout canvas is blank");

  // Nothing of the trainer loads before training; what did load is the first frame's cost.
  assert.deepEqual(requests.filter((p) => p.includes("train-")), []);
  let gzip = 0;
  const sizes = {};
  for (const p of new Set(requests)) {
    const file = path.join(distDir, p === "/" ? "index.html" : p.slice(1));
    const bytes = await fs.readFile(file).catch(() => null);
    if (!bytes) continue;
    const z = zlib.gzipSync(bytes, { level: 9 }).length;
    sizes[p] = z;
    gzip += z;
  }
  const firstFrame = await page.evaluate(() => performance.getEntriesByName("first-frame")[0]?.startTime);
  t.diagnostic(`first load: ${(gzip / 1024).toFixed(1)} KB gzip ${JSON.stringify(sizes)}`);
  t.diagnostic(`first drawn frame at ${firstFrame?.toFixed(0)} ms after navigation`);
  assert.ok(gzip <= 1024 * 1024, `first load is ${gzip} bytes gzip`);
  assert.ok(typeof firstFrame === "number");
  for (const bin of ["train-cpu", "train-gpu"]) {
    const names = (await fs.readdir(distDir)).filter((f) => f.startsWith(`${bin}`) && f.endsWith(".wasm"));
    for (const f of names) {
      const z = zlib.gzipSync(await fs.readFile(path.join(distDir, f)), { level: 9 }).length;
      t.diagnostic(`${f}: ${(z / 1024).toFixed(1)} KB gzip (loaded on demand)`);
    }
  }
  await page.close();
});

test("at 1280x800 the lesson, the settings, Play, the canvas and the curves are in view without scrolling", async () => {
  const page = await open("");
  await page.setViewportSize({ width: 1280, height: 800 });
  for (const id of ["lesson-select", "lesson-text", "env-select", "feedback-select", "lambda", "play", "rollout-canvas", "chart", "stat-mean-return"]) {
    const box = await page.locator(byId(id)).boundingBox();
    assert.ok(box && box.y >= 0 && box.y + box.height <= 800, `${id} spans ${box?.y}px to ${box && box.y + box.height}px`);
  }
  await page.screenshot({ path: path.join(artifacts, "landing.png") });
  await page.close();
});

test("moving the lambda slider updates the hash", async () => {
  const page = await open("#v=1&fb=shaping");
  await page.focus(byId("lambda"));
  await page.keyboard.press("ArrowRight");
  assert.equal(await page.inputValue(byId("lambda")), "0.55");
  assert.match(await hashOf(page), /&lambda=0\.55&/);
  assert.equal(await page.textContent(byId("lambda-value")), "0.55");
  await page.close();
});

test("a shared link opened in a fresh page restores every setting", async () => {
  const page = await open("#v=1");
  await page.click(`${byId("advanced")} > summary`);
  await page.selectOption(byId("env-select"), "Grid-DoorKey-8x8-v0");
  await page.selectOption(byId("feedback-select"), "preference");
  await page.$eval(byId("lambda"), (e) => {
    e.value = "0.3";
    e.dispatchEvent(new Event("input", { bubbles: true }));
  });
  await page.selectOption(byId("schedule-select"), "linear");
  await page.$eval(byId("floor"), (e) => {
    e.value = "0.1";
    e.dispatchEvent(new Event("input", { bubbles: true }));
  });
  await page.$eval(byId("mistake"), (e) => {
    e.value = "0.2";
    e.dispatchEvent(new Event("input", { bubbles: true }));
  });
  await page.fill(byId("beta"), "4");
  await page.dispatchEvent(byId("beta"), "change");
  await page.fill(byId("lr"), "0.001");
  await page.dispatchEvent(byId("lr"), "change");
  await page.fill(byId("envs"), "8");
  await page.dispatchEvent(byId("envs"), "change");
  await page.fill(byId("seed"), "4242");
  await page.dispatchEvent(byId("seed"), "change");
  await page.selectOption(byId("backend-select"), "cpu");
  await page.uncheck(byId("baseline-toggle"));
  assert.equal(await notice(page), null);

  await page.click(byId("share"));
  await page.waitForFunction(() => !document.querySelector('[data-testid="copy-box"]').hidden);
  const link = await page.inputValue(byId("copy-text"));
  assert.ok(link.startsWith(site.origin), link);
  const controls = ["env-select", "feedback-select", "teacher-select", "lambda", "schedule-select", "floor",
    "mistake", "beta", "lr", "envs", "seed", "speed", "backend-select"];
  const values = async (p) => {
    const out = {};
    for (const id of controls) out[id] = await p.inputValue(byId(id));
    out.baseline = await p.isChecked(byId("baseline-toggle"));
    out.preset = await p.inputValue(byId("preset-select"));
    return out;
  };
  const expected = await values(page);
  assert.deepEqual(
    { ...expected, preset: undefined },
    {
      "env-select": "Grid-DoorKey-8x8-v0", "feedback-select": "preference", "teacher-select": "",
      lambda: "0.3", "schedule-select": "linear", floor: "0.1", mistake: "0.2", beta: "4", lr: "0.001",
      envs: "8", seed: "4242", speed: "30", "backend-select": "cpu", baseline: false, preset: undefined,
    },
  );
  await page.close();

  const fresh = await site.context.newPage();
  await fresh.goto(link);
  await fresh.waitForFunction(() => document.querySelector('[data-testid="backend-badge"]').dataset.ready === "1");
  assert.deepEqual(await values(fresh), expected);
  assert.equal(await notice(fresh), null);
  await fresh.close();
});

const JUNK = "x".repeat(100 * 1024);
const hostile = [
  ["unknown env, lambda=banana and script text",
    "#v=1&env=NoSuchEnv-v9&lambda=banana&seed=%3Cscript%3Ealert(1)%3C%2Fscript%3E&%3Cimg%20src%3Dx%20onerror%3Dalert(2)%3E=1",
    ['unknown environment "NoSuchEnv-v9"', 'lambda "banana" is not a number', 'seed "<script>alert(1)</script>"', 'unknown key "<img src=x onerror=alert(2)>"']],
  ["100 KB of junk", `#${JUNK}`, ["characters long"]],
  ["junk after valid keys", `#lambda=0.9&${JUNK}=1`, ["characters long"]],
  ["broken escapes and prototype keys", "#env=%E0%A4%A&__proto__=1&constructor=2&lambda=1e999", ["not valid URL encoding", "unknown keys", 'lambda "1e999" is not a number']],
];

for (const [name, hash, parts] of hostile) {
  test(`a hostile hash (${name}) loads the defaults with a notice`, async () => {
    const errorsBefore = site.pageErrors.length;
    const page = await open(hash);
    const text = await notice(page);
    assert.ok(text?.startsWith("Ignored from the link:"), text);
    for (const part of parts) assert.ok(text.includes(part), `notice lacks ${part}: ${text}`);
    assert.ok(text.length < 1000, `the notice is ${text.length} characters`);
    // Text only: no element was made from the URL.
    assert.equal(await page.$eval(byId("notice"), (n) => n.children.length), 0);
    assert.equal(await page.locator("img").count(), 0);
    assert.equal(await page.inputValue(byId("env-select")), "CartPole-v1");
    assert.equal(await page.inputValue(byId("lambda")), "0.5");
    assert.equal(await page.inputValue(byId("seed")), "1");
    // The hash is rewritten to what was actually used.
    assert.match(await hashOf(page), /^#v=1&env=CartPole-v1&/);
    assert.equal(site.pageErrors.length, errorsBefore, site.pageErrors.join("\n"));
    await page.close();
  });
}

test("values out of range are clamped on read, with a notice", async () => {
  const page = await open("#v=1&lambda=7&seed=-5&speed=100000&envs=0");
  assert.equal(await page.inputValue(byId("lambda")), "1");
  assert.equal(await page.inputValue(byId("seed")), "0");
  assert.equal(await page.inputValue(byId("speed")), "240");
  assert.equal(await page.inputValue(byId("envs")), "1");
  assert.match(await notice(page), /lambda "7" is outside 0\.\.1: using 1/);
  await page.close();
});

test("embed=1 shows only the listed controls, and the embed code reproduces it", async () => {
  const page = await open("#v=1&embed=1&controls=lambda,seed");
  for (const id of ["lambda", "seed", "play", "pause", "step", "reset", "rollout-canvas", "chart", "stat-mean-return"]) {
    assert.equal(await page.isVisible(byId(id)), true, `${id} is hidden in the embed`);
  }
  for (const id of ["env-select", "feedback-select", "teacher-select", "preset-select", "share", "embed-code", "backend-select", "lr"]) {
    assert.equal(await page.isVisible(byId(id)), false, `${id} shows in the embed`);
  }
  await page.screenshot({ path: path.join(artifacts, "embed.png"), fullPage: true });
  await page.close();

  const host = await open("#v=1&env=Acrobot-v1&lambda=0.7");
  await host.click(byId("embed-code"));
  const snippet = await host.inputValue(byId("copy-text"));
  assert.match(snippet, /^<iframe src="http:\/\/127\.0\.0\.1:\d+\/#v=1&amp;env=Acrobot-v1&amp;.*lambda=0\.7.*&amp;embed=1&amp;controls=fb%2Clambda%2Cseed" /);
  assert.match(snippet, /title="RLAIF Playground"/);
  await host.close();
});

test("keyboard: s steps training, space plays and pauses, r resets; the chart draws", async () => {
  const page = await open("#v=1&env=CartPole-v1&backend=cpu&seed=3");
  await page.keyboard.press("s");
  await page.waitForFunction(() => document.querySelector('[data-testid="train-status"]').dataset.state === "paused");
  assert.equal(await page.textContent(byId("stat-updates")), "1");
  // The canvas now replays the agent's latest finished episode (of any env: the newest there
  // is) instead of the random policy, and says which update it came from.
  const shown = (await page.textContent(byId("status"))).match(/^Agent · episode (\d+) \(update 1\) · steps 0 /);
  assert.ok(shown, await page.textContent(byId("status")));
  assert.equal(shown[1], await page.textContent(byId("stat-episodes")));
  await page.keyboard.press(" ");
  assert.equal(await page.isEnabled(byId("pause")), true);
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="stat-updates"]').textContent) >= 12);
  await page.keyboard.press(" ");
  await page.waitForFunction(() => document.querySelector('[data-testid="train-status"]').dataset.state === "paused");
  assert.equal(await page.isEnabled(byId("play")), true);
  const episodes = Number(await page.textContent(byId("stat-episodes")));
  assert.ok(episodes > 0);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  assert.ok(await inked(page, "chart") > 0.01, "the chart is blank after training");
  await page.screenshot({ path: path.join(artifacts, "playground.png"), fullPage: true });
  await page.keyboard.press("r");
  await page.waitForFunction(() => document.querySelector('[data-testid="train-status"]').dataset.state === "idle");
  assert.equal(await page.textContent(byId("stat-updates")), "0");
  assert.equal(await page.textContent(byId("stat-episodes")), "0");
  assert.match(await page.textContent(byId("status")), /^Random policy · episode 1 · steps 0 /);
  assert.equal(await notice(page), null);
  await page.close();
});

test("a feedback mode trains and reports its AI return", async () => {
  const page = await open("#v=1&env=CartPole-v1&fb=shaping&lambda=0.4&backend=cpu");
  await stepOnce(page);
  assert.equal(await notice(page), null);
  assert.equal(await page.getAttribute(byId("train-status"), "data-state"), "paused");
  assert.equal(await page.textContent(byId("stat-updates")), "1");
  await page.close();
});

test("preference mode asks the AI labeler and counts its labels; its run exports with them", async () => {
  const page = await open("#v=1&env=Grid-Empty-8x8-v0&fb=preference&lambda=0.5&backend=cpu");
  await stepOnce(page);
  assert.equal(await notice(page), null);
  const labels = Number(await page.textContent(byId("stat-labels")));
  assert.ok(labels > 0, `labels used after one update: ${labels}`);
  const [download] = await Promise.all([page.waitForEvent("download"), page.click(byId("export"))]);
  const file = path.join(artifacts, "exported-preference.rlaif");
  await download.saveAs(file);
  assert.equal(await notice(page), null);
  await page.close();

  // Another page continues it: the labels so far come along, and the next update asks more.
  const other = await open("#v=1&env=CartPole-v1&seed=1");
  await other.setInputFiles(byId("import-file"), file);
  await other.waitForFunction(() => /^Imported/.test(document.querySelector('[data-testid="train-status"]').textContent));
  assert.equal(await notice(other), null);
  assert.equal(await other.inputValue(byId("feedback-select")), "preference");
  await other.click(byId("step"));
  await other.waitForFunction(() => document.querySelector('[data-testid="stat-updates"]').textContent === "2");
  const after = Number(await other.textContent(byId("stat-labels")));
  assert.ok(after > labels, `labels after the imported run's next update: ${after} (before: ${labels})`);
  await other.close();
});

test("export downloads the agent; importing it continues the run; a bad file is explained", async () => {
  const page = await open("#v=1&env=CartPole-v1&backend=cpu&seed=5&envs=4");
  assert.equal(await page.isEnabled(byId("export")), false, "nothing to export before training");
  await page.click(byId("step"));
  await page.waitForFunction(() => document.querySelector('[data-testid="train-status"]').dataset.state === "paused");
  const steps = await page.textContent(byId("stat-env-steps"));
  const [download] = await Promise.all([page.waitForEvent("download"), page.click(byId("export"))]);
  const file = path.join(artifacts, "exported.rlaif");
  await download.saveAs(file);
  assert.match(download.suggestedFilename(), new RegExp(`^CartPole-v1-seed5-${steps}-steps\\.rlaif$`));
  const bytes = await fs.readFile(file);
  assert.equal(bytes.subarray(0, 8).toString(), "RLAIFCKP");
  await page.close();

  // Another env's page picks the run up where it stopped, with its settings.
  const other = await open("#v=1&env=Acrobot-v1&seed=1");
  await other.setInputFiles(byId("import-file"), file);
  await other.waitForFunction(() => /^Imported/.test(document.querySelector('[data-testid="train-status"]').textContent));
  assert.equal(await notice(other), null);
  assert.equal(await other.inputValue(byId("env-select")), "CartPole-v1");
  assert.equal(await other.inputValue(byId("seed")), "5");
  assert.equal(await other.textContent(byId("stat-env-steps")), steps);
  assert.equal(await other.getAttribute(byId("backend-badge"), "data-backend"), "cpu");
  await other.click(byId("step"));
  await other.waitForFunction(() => document.querySelector('[data-testid="stat-updates"]').textContent === "2");
  assert.equal(Number(await other.textContent(byId("stat-env-steps"))), 2 * Number(steps));

  // A corrupt file: a notice that says so, and the imported session goes on untouched.
  await other.setInputFiles(byId("import-file"), {
    name: "junk.rlaif", mimeType: "application/octet-stream", buffer: Buffer.from("not a checkpoint at all"),
  });
  await other.waitForFunction(() => !document.querySelector('[data-testid="notice"]').hidden);
  assert.match(await notice(other), /Import failed: .*not an rlaif checkpoint/);
  assert.equal(await other.inputValue(byId("env-select")), "CartPole-v1");
  await other.click(byId("step"));
  await other.waitForFunction(() => document.querySelector('[data-testid="stat-updates"]').textContent === "3");
  await other.close();
});

test("the built site works from a subfolder of a static host", async () => {
  const sub = await openSite([], "/courses/rl/playground/");
  try {
    const page = sub.page;
    await page.goto(`${sub.origin}/courses/rl/playground/#v=1&env=Grid-Empty-8x8-v0&backend=cpu&seed=2`);
    await page.waitForFunction(() => document.querySelector('[data-testid="backend-badge"]').dataset.ready === "1");
    assert.equal(await page.inputValue(byId("env-select")), "Grid-Empty-8x8-v0");
    await stepOnce(page);
    assert.equal(await notice(page), null);
    assert.equal(await page.textContent(byId("stat-updates")), "1");
    assert.deepEqual(sub.failedRequests, []);
    assert.deepEqual(sub.consoleErrors, []);
    assert.deepEqual(sub.pageErrors, []);
    assert.deepEqual(sub.foreignRequests, []);
  } finally {
    await sub.close();
  }
});

test("no console errors, page errors or requests to other origins", () => {
  assert.deepEqual(site.consoleErrors, []);
  assert.deepEqual(site.pageErrors, []);
  assert.deepEqual(site.foreignRequests, []);
});
