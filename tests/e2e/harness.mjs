// Shared by the browser tests: a static server for the built site on 127.0.0.1 and a
// headless Chromium (Debian's, through playwright-core; no browser downloads) that records
// console errors, page errors and requests to other origins.

import http from "node:http";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, "..", "..");
export const distDir = path.resolve(repoRoot, process.env.DIST_DIR ?? "dist");
export const artifacts = path.join(repoRoot, "tests", "artifacts");

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

/**
 * Serves files under `root` (a folder, or a function giving the folder to serve now, as a
 * deploy replacing a site would) at URL path `prefix` (a folder, e.g. `/course/rl/`); anything
 * outside either, or missing, is a 404.
 */
export function serve(rootNow, prefix = "/") {
  const server = http.createServer(async (req, res) => {
    try {
      const root = typeof rootNow === "function" ? rootNow() : rootNow;
      const url = new URL(req.url, "http://localhost");
      if (!url.pathname.startsWith(prefix)) throw new Error("outside the prefix");
      let rel = "/" + decodeURIComponent(url.pathname.slice(prefix.length));
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

/** Flags that make headless Chromium quiet and offline-safe here. */
export const BASE_ARGS = [
  "--no-sandbox",
  "--disable-gpu-sandbox",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Chromium's software WebGPU adapter: slow, but real, so the WebGPU path can be tested. */
export const WEBGPU_ARGS = ["--enable-unsafe-webgpu", "--use-webgpu-adapter=swiftshader"];

/**
 * Serves the built site (or `root`, as `serve` takes it) at `prefix` and opens it in a fresh
 * headless Chromium with `extraArgs`. Returns `{ origin, page, consoleErrors, pageErrors,
 * foreignRequests, failedRequests, stopServing, close }`.
 */
export async function openSite(extraArgs = [], prefix = "/", root = distDir) {
  await fs.access(path.join(distDir, "index.html")).catch(() => {
    throw new Error(`no built page at ${distDir}; run \`trunk build\` first (or set DIST_DIR)`);
  });
  const server = await serve(root, prefix);
  const origin = `http://127.0.0.1:${server.address().port}`;
  const profileDir = await fs.mkdtemp(path.join(os.tmpdir(), "rlaif-e2e-"));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    viewport: { width: 900, height: 820 },
    args: [...BASE_ARGS, ...extraArgs],
  });
  const site = {
    origin,
    context,
    consoleErrors: [],
    pageErrors: [],
    foreignRequests: [],
    /** Same-origin requests answered with an error status. */
    failedRequests: [],
    /** Takes the site off the network for good: the server stops and drops its connections. */
    async stopServing() {
      await context.setOffline(true);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
    async close() {
      await context.close();
      if (server.listening) await new Promise((resolve) => server.close(resolve));
      await fs.rm(profileDir, { recursive: true, force: true });
    },
  };
  context.on("request", (req) => {
    if (new URL(req.url()).origin !== origin) site.foreignRequests.push(req.url());
  });
  context.on("response", (res) => {
    if (res.status() >= 400) site.failedRequests.push(`${res.status()} ${res.url()}`);
  });
  site.page = context.pages()[0] ?? (await context.newPage());
  site.page.on("console", (msg) => {
    if (msg.type() === "error") site.consoleErrors.push(msg.text());
  });
  site.page.on("pageerror", (err) => site.pageErrors.push(String(err)));
  await fs.mkdir(artifacts, { recursive: true });
  return site;
}

export const byId = (id) => `[data-testid="${id}"]`;

/** A fresh tab of `site` on `hash`, once the page has started (or failed to); its console
 * errors, page errors and any dialog are recorded on `site`. */
export async function openTab(site, hash = "") {
  const page = await site.context.newPage();
  page.on("console", (msg) => {
    if (msg.type() === "error") site.consoleErrors.push(msg.text());
  });
  page.on("pageerror", (err) => site.pageErrors.push(String(err)));
  page.on("dialog", (dialog) => {
    site.pageErrors.push(`a dialog opened: ${dialog.message()}`);
    dialog.dismiss();
  });
  await page.goto(`${site.origin}/${hash}`);
  await page.waitForFunction(() => document.querySelector('[data-testid="backend-badge"]').dataset.ready === "1");
  return page;
}

/** Clicks Step and waits until that one update has ended (paused) or failed. */
export async function stepOnce(page) {
  // The status is already "paused" after an earlier step, so wait for the update count to
  // move too (or for an error).
  const before = Number(await page.textContent(byId("stat-updates"))) || 0;
  await page.click(byId("step"));
  await page.waitForFunction((n) => {
    const state = document.querySelector('[data-testid="train-status"]').dataset.state;
    const updates = Number(document.querySelector('[data-testid="stat-updates"]').textContent) || 0;
    return state === "error" || (state === "paused" && updates > n);
  }, before);
}

/** The notice's text, or `null` while it is hidden. */
export const notice = (page) => page.$eval(byId("notice"), (n) => (n.hidden ? null : n.textContent));
