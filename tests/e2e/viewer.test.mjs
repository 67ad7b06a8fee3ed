// End-to-end test of the built viewer page in headless Chromium.
//
// Serves DIST_DIR (default: dist/ at the repository root) from a tiny static server on
// 127.0.0.1, then drives the page: every environment in the picker must draw a non-blank
// canvas that changes when stepped, the controls must work, and the page must log no
// console errors, throw no page errors and request nothing from any other origin.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "..", "..");
const distDir = path.resolve(repoRoot, process.env.DIST_DIR ?? "dist");
const artifacts = path.join(repoRoot, "tests", "artifacts");

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
};

/** Serves files under `root`; anything outside it or missing is a 404. */
function serve(root) {
  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, "http://localhost");
      let rel = decodeURIComponent(url.pathname);
      if (rel.endsWith("/")) rel += "index.html";
      const file = path.resolve(root, "." + rel);
      if (!file.startsWith(root + path.sep)) throw new Error("outside root");
      const body = await fs.readFile(file);
      const type = MIME[path.extname(file)] ?? "application/octet-stream";
      res.writeHead(200, { "content-type": type, "cache-control": "no-store" });
      res.end(body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found");
    }
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

let server;
let origin;
let context;
let page;
let profileDir;
const consoleErrors = [];
const pageErrors = [];
const foreignRequests = [];

before(async () => {
  await fs.access(path.join(distDir, "index.html")).catch(() => {
    throw new Error(`no built page at ${distDir}; run \`trunk build\` first (or set DIST_DIR)`);
  });
  server = await serve(distDir);
  origin = `http://127.0.0.1:${server.address().port}`;
  profileDir = await fs.mkdtemp(path.join(os.tmpdir(), "rlaif-e2e-"));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    viewport: { width: 900, height: 820 },
    args: [
      "--no-sandbox",
      "--disable-gpu-sandbox",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  context.on("request", (req) => {
    if (new URL(req.url()).origin !== origin) foreignRequests.push(req.url());
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (msg) => {
    if (msg.type() === "error") consoleErrors.push(msg.text());
  });
  page.on("pageerror", (err) => pageErrors.push(String(err)));
  await fs.mkdir(artifacts, { recursive: true });
});

after(async () => {
  await context?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
  if (profileDir) await fs.rm(profileDir, { recursive: true, force: true });
});

const byId = (id) => `[data-testid="${id}"]`;

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
  await page.goto(`${origin}/`);
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
    assert.match(await status(), /^Episode \d+ · steps \d+ · return -?\d+\.\d\d/, id);
    assert.equal(await noticeShown(), null, id);
    const file = id.replace(/[^A-Za-z0-9._-]/g, "_");
    await page.locator(byId("rollout-canvas")).screenshot({
      path: path.join(artifacts, `${file}.png`),
    });
  }
});

test("play steps until paused, and reset starts episode 1 again", async () => {
  await page.click(byId("reset"));
  assert.match(await status(), /^Episode 1 · steps 0 · return 0\.00/);
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
  assert.match(await status(), /^Episode 1 · steps 0 · return 0\.00/);
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
  assert.deepEqual(consoleErrors, []);
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(foreignRequests, []);
});
