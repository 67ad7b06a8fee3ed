// Offline after one visit: the release build's service worker (web/sw.js, its file list
// written by web/offline.mjs) caches the site, so after the server is gone a reload opens the
// page and trains. Served from a sub-path, as a course page would host it. The cache holds one
// deploy's files, all of this site's origin and folder, and not the WebGPU trainer until it is
// used.

import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { byId, distDir, openSite } from "./harness.mjs";

const PREFIX = "/course/rl/";
const HASH = "#v=1&env=CartPole-v1&fb=none&backend=auto&base=0&seed=1";

/** Keeps the live registration of the worker for `scope` as `window.__registration`. */
const watchRegistration = (page, scope) =>
  page.evaluate(async (scope) => {
    window.__registration = await navigator.serviceWorker.getRegistration(scope);
    if (!window.__registration) throw new Error(`no service worker for ${scope}`);
  }, scope);

const ready = (page) =>
  page.waitForFunction(() => document.querySelector('[data-testid="backend-badge"]').dataset.ready === "1");

/** `{ cacheName: [url, ...] }` of the page's origin. */
const cacheContents = (page) =>
  page.evaluate(async () => {
    const out = {};
    for (const name of await caches.keys()) {
      out[name] = (await (await caches.open(name)).keys()).map((request) => request.url);
    }
    return out;
  });

test("after one visit the page reloads and trains with the server gone", { timeout: 5 * 60_000 }, async () => {
  const site = await openSite([], PREFIX);
  try {
    const { page } = site;
    await page.goto(`${site.origin}${PREFIX}${HASH}`);
    await ready(page);
    // The worker installs, caches the deploy and takes the page over.
    await page.evaluate(() => navigator.serviceWorker.ready);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);

    const caches = await cacheContents(page);
    const names = Object.keys(caches);
    assert.equal(names.length, 1, `one deploy's cache, not ${names.join(", ")}`);
    assert.match(names[0], /^rlaif-playground-[0-9a-f]{16}$/);
    const urls = caches[names[0]];
    const base = site.origin + PREFIX;
    for (const url of urls) assert.ok(url.startsWith(base), `${url} is outside the site's folder`);
    const files = urls.map((url) => url.slice(base.length));
    for (const wanted of [/^index\.html$/, /^boot\.js$/, /^app-.*\.js$/, /^rlaif-web-.*_bg\.wasm$/, /^train-cpu.*_bg\.wasm$/]) {
      assert.ok(files.some((f) => wanted.test(f)), `${wanted} is not cached: ${files.join(", ")}`);
    }
    assert.ok(!files.some((f) => f.startsWith("train-gpu")), "the WebGPU trainer was downloaded though unused");
    assert.ok(!files.includes("sw.js"), "the worker cached itself");

    await site.stopServing();
    await page.reload();
    await ready(page);
    assert.equal(await page.inputValue(byId("env-select")), "CartPole-v1");
    await page.click(byId("play"));
    await page.waitForFunction(
      () => {
        const state = document.querySelector('[data-testid="train-status"]').dataset.state;
        if (state === "error") return true;
        return Number(document.querySelector('[data-testid="stat-updates"]').textContent) >= 5;
      },
      null,
      { timeout: 3 * 60_000 },
    );
    const notice = await page.$eval(byId("notice"), (n) => (n.hidden ? null : n.textContent));
    assert.equal(notice, null, `offline, the page reported: ${notice}`);
    assert.ok(Number(await page.textContent(byId("stat-updates"))) >= 5);
    assert.deepEqual(site.pageErrors, []);
    assert.deepEqual(site.foreignRequests, []);
  } finally {
    await site.close();
  }
});

// A new deploy replaces the cache whole: while a tab of the old deploy is open, every page is
// still the old deploy's (from its cache, never a mix with the new files); once the old tabs
// are closed, the new deploy serves and the old cache is gone.
test("a new deploy takes over cleanly once the old deploy's tabs are closed", { timeout: 5 * 60_000 }, async () => {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), "rlaif-deploys-"));
  const deploy = { a: path.join(work, "a"), b: path.join(work, "b") };
  await fs.cp(distDir, deploy.a, { recursive: true });
  await fs.cp(distDir, deploy.b, { recursive: true });
  // Deploy B: a marked page, and the worker of a build with other files (another cache name).
  const index = path.join(deploy.b, "index.html");
  await fs.writeFile(index, (await fs.readFile(index, "utf8")).replace("<head>", '<head>\n    <meta name="deploy" content="b" />'));
  const sw = path.join(deploy.b, "sw.js");
  const swText = await fs.readFile(sw, "utf8");
  const [, version] = swText.match(/"version":"([0-9a-f]{16})"/) ?? [];
  assert.ok(version, "the built sw.js has no cache version");
  const versionB = [...version].reverse().join("");
  await fs.writeFile(sw, swText.replace(`"version":"${version}"`, `"version":"${versionB}"`));

  let live = deploy.a;
  const site = await openSite([], PREFIX, () => live);
  const deployOf = (page) => page.evaluate(() => document.querySelector('meta[name="deploy"]')?.content ?? "a");
  try {
    const first = site.page;
    await first.goto(`${site.origin}${PREFIX}${HASH}`);
    await ready(first);
    await first.evaluate(() => navigator.serviceWorker.ready);
    await first.waitForFunction(() => navigator.serviceWorker.controller !== null);

    live = deploy.b;
    const second = await site.context.newPage();
    await second.goto(`${site.origin}${PREFIX}${HASH}`);
    await ready(second);
    // The new deploy's worker installs and waits; the pages stay the old deploy's.
    await watchRegistration(second, PREFIX);
    await second.waitForFunction(() => window.__registration.waiting != null, null, { polling: 100 });
    assert.equal(await deployOf(second), "a");
    assert.deepEqual(Object.keys(await cacheContents(second)).sort(), [`rlaif-playground-${version}`, `rlaif-playground-${versionB}`].sort());

    await first.close();
    await second.close();
    // With no tab of the old deploy left, the new worker activates; watched from a page
    // outside the site's folder, which no worker controls.
    const outside = await site.context.newPage();
    await outside.goto(`${site.origin}/outside-the-site`);
    await watchRegistration(outside, PREFIX);
    await outside.waitForFunction(
      () => {
        const r = window.__registration;
        return r.waiting == null && r.installing == null && r.active?.state === "activated";
      },
      null,
      { polling: 100 },
    );
    const third = await site.context.newPage();
    await third.goto(`${site.origin}${PREFIX}${HASH}`);
    await ready(third);
    assert.equal(await deployOf(third), "b");
    assert.deepEqual(Object.keys(await cacheContents(third)), [`rlaif-playground-${versionB}`]);
    assert.deepEqual(site.pageErrors, []);
  } finally {
    await site.close();
    await fs.rm(work, { recursive: true, force: true });
  }
});
