// Hostile files and crashes on the page, in headless Chromium: a run file with a valid
// checksum over bad contents, a truncated one, a malformed labels file, one of another env,
// and files over the core's size caps are each refused with the reason, and the run on the
// page is kept (it steps on from where it was). A training worker that panics, mid-run or
// between runs, ends in a message and the run goes on from its latest snapshot on a fresh
// CPU worker.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { artifacts, byId, notice, openSite, openTab, stepOnce } from "./harness.mjs";

let site;

before(async () => {
  site = await openSite();
  await fs.mkdir(artifacts, { recursive: true });
});

after(async () => {
  await site?.close();
});

const text = (page, id) => page.textContent(byId(id));
const COUNTERS = 6;

/** FNV-1a 64 of `bytes`, as the checkpoint's last 8 bytes hold it. */
function fnv1a(bytes) {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h;
}

/** `bytes` with section `tag`'s first u64 set to `value` and the checksum recomputed. */
function withFirstU64(bytes, tag, value) {
  const out = Buffer.from(bytes);
  let at = 12;
  const end = out.length - 8;
  while (at < end) {
    const t = out.readUInt32LE(at);
    const len = Number(out.readBigUInt64LE(at + 4));
    if (t === tag) {
      out.writeBigUInt64LE(value, at + 12);
      out.writeBigUInt64LE(fnv1a(out.subarray(0, end)), end);
      return out;
    }
    at += 12 + len;
  }
  throw new Error(`no section ${tag}`);
}

/** Picks `file` (a path or `{ name, buffer }`) in `input` and waits for the notice. */
async function pick(page, input, file) {
  await page.evaluate(() => {
    document.querySelector('[data-testid="notice"]').hidden = true;
  });
  await page.setInputFiles(byId(input), file);
  await page.waitForFunction(() => !document.querySelector('[data-testid="notice"]').hidden);
  return notice(page);
}

/** Picks a file named `name` one byte over 64 MiB (the demonstrations' and labels files' cap) in `input`; the notice. */
async function pickOversize(page, input, name) {
  const big = path.join(artifacts, name);
  await fs.writeFile(big, Buffer.alloc(64 * 2 ** 20 + 1, 0x20));
  try {
    return await pick(page, input, big);
  } finally {
    await fs.rm(big);
  }
}

/** The run is where it was, and steps on from there. */
async function keptAt(page, steps, updates) {
  assert.equal(await text(page, "stat-env-steps"), steps);
  assert.equal(await text(page, "stat-updates"), String(updates));
  await stepOnce(page);
  assert.equal(await text(page, "stat-updates"), String(updates + 1));
  assert.equal(Number(await text(page, "stat-env-steps")), ((updates + 1) * Number(steps)) / updates);
}

test("hostile run files and oversize files are refused with the reason, and the run is kept", { timeout: 3 * 60_000 }, async () => {
  const page = await openTab(site, "#v=1&env=CartPole-v1&backend=cpu&seed=3&envs=4&base=0");
  await stepOnce(page);
  const steps = await text(page, "stat-env-steps");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click(byId("export"))]);
  const file = path.join(artifacts, "hostile-base.rlaif");
  await download.saveAs(file);
  const good = await fs.readFile(file);

  // A valid checksum over a counter no run can reach.
  const counters = withFirstU64(good, COUNTERS, 0xffffffffffffffffn);
  assert.match(
    await pick(page, "import-file", { name: "counters.rlaif", mimeType: "application/octet-stream", buffer: counters }),
    /^Import failed: .*counters: env_steps 18446744073709551615 is more than the \d+ a run can reach/,
  );
  await keptAt(page, steps, 1);

  // Cut short.
  const steps2 = await text(page, "stat-env-steps");
  assert.match(
    await pick(page, "import-file", { name: "cut.rlaif", mimeType: "application/octet-stream", buffer: good.subarray(0, good.length - 100) }),
    /^Import failed: .*checkpoint is truncated or corrupt/,
  );
  await keptAt(page, steps2, 2);

  // Over the demonstrations cap (64 MiB): refused before it is read.
  assert.equal(
    await pickOversize(page, "demos-file", "too-large-demos.json"),
    "Could not load too-large-demos.json: too-large-demos.json is 64 MiB, larger than the 64 MiB a demonstrations file may be.",
  );
  const steps3 = await text(page, "stat-env-steps");
  await keptAt(page, steps3, 3);
  await page.close();
});

test("a hostile or oversize labels file is refused with the reason, and the preference run is kept", { timeout: 3 * 60_000 }, async () => {
  const page = await openTab(site, "#v=1&env=Grid-Empty-8x8-v0&fb=preference&backend=cpu&seed=2&envs=4&base=0");
  await stepOnce(page);
  const steps = await text(page, "stat-env-steps");
  const labels = await text(page, "stat-labels");
  const json = (body) => ({ name: body.name, mimeType: "application/json", buffer: Buffer.from(body.text) });

  assert.match(await pick(page, "labels-file", json({ name: "junk.json", text: "{\"format\": " })), /^Could not add junk\.json: labels file is not valid/);
  const otherEnv = JSON.stringify({ format: "rlaif-labels", version: 1, env_id: "CartPole-v1", labels: [] });
  assert.match(await pick(page, "labels-file", json({ name: "other.json", text: otherEnv })), /^Could not add other\.json: .*CartPole-v1/);
  assert.equal(
    await pickOversize(page, "labels-file", "too-large-labels.json"),
    "Could not add too-large-labels.json: too-large-labels.json is 64 MiB, larger than the 64 MiB a labels file may be.",
  );
  assert.equal(await text(page, "stat-labels"), labels);
  await keptAt(page, steps, 1);
  await page.close();
});

/** Sends the page's CPU training worker a `panic` message, as if a bug had hit. */
async function panicWorker(page) {
  const worker = page.workers().find((w) => w.url().includes("train-cpu"));
  assert.ok(worker, "the CPU worker runs");
  await worker.evaluate(() => {
    self.dispatchEvent(new MessageEvent("message", { data: { type: "panic" } }));
  }).catch(() => {}); // the worker may be ended before the call returns
}

test("a worker that crashes mid-run or between runs ends in a message, and the run goes on from its snapshot", { timeout: 3 * 60_000 }, async () => {
  const page = await openTab(site, "#v=1&env=CartPole-v1&backend=cpu&seed=4&envs=4&base=0");
  await stepOnce(page);
  const steps = Number(await text(page, "stat-env-steps"));

  // Between runs: the message says so, and the run continues from the snapshot taken as its
  // last request ended, which is where it stands.
  await panicWorker(page);
  await page.waitForFunction(() => !document.querySelector('[data-testid="notice"]').hidden);
  assert.match(await notice(page), /^The trainer crashed: panicked at [^\n]*: a `panic` message asked for it\. The run is kept: it goes on from its snapshot at step \d+\.$/);
  assert.match(await text(page, "backend-badge"), /CPU — the CPU trainer crashed .*; the run went on from step \d+/);
  assert.equal(Number(await text(page, "stat-env-steps")), steps);
  await stepOnce(page);
  assert.equal(await text(page, "stat-updates"), "2");
  assert.equal(Number(await text(page, "stat-env-steps")), 2 * steps);

  // Mid-run: Play, a crash, and training goes on without the user doing anything.
  await page.click(byId("play"));
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="stat-updates"]').textContent) >= 4);
  const badge = await text(page, "backend-badge");
  await panicWorker(page);
  await page.waitForFunction((old) => {
    const now = document.querySelector('[data-testid="backend-badge"]').textContent;
    return now !== old && /the CPU trainer crashed .*went on from step/.test(now);
  }, badge);
  const from = Number((await text(page, "backend-badge")).match(/went on from step (\d+)/)[1]);
  assert.ok(from >= 2 * steps, `the snapshot is of the run so far (step ${from})`);
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid="stat-env-steps"]').textContent) > n, from);
  await page.click(byId("pause"));
  await page.waitForFunction(() => document.querySelector('[data-testid="train-status"]').dataset.state === "paused");
  await page.close();
});

test("no page errors or requests to other origins; the only console errors are the crashes asked for", () => {
  assert.deepEqual(site.pageErrors, []);
  assert.deepEqual(site.foreignRequests, []);
  // The panic hook logs the panic, and the trap that follows it may be logged too.
  const unexpected = site.consoleErrors.filter((e) => !/a `panic` message asked for it|RuntimeError: unreachable/.test(e));
  assert.deepEqual(unexpected, []);
});
