// End-to-end tests of the labelling panel in headless Chromium: two segments draw side by
// side, answers are counted and compared with the AI labeler's verdict (shown only after you
// answer), the counts and the agreement read-out stay consistent, embeds hide the panel
// unless `controls=` lists `labels`, and nothing logs an error.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { artifacts, byId, notice, openSite, openTab, stepOnce } from "./harness.mjs";

let site;

before(async () => {
  site = await openSite();
});

after(async () => {
  await site?.close();
});

const open = (hash) => openTab(site, hash);

const panelState = (page) => page.$eval(byId("labeling-panel"), (p) => p.dataset.state);
const panelAi = (page) => page.$eval(byId("labeling-panel"), (p) => p.dataset.ai ?? null);
const text = (page, id) => page.textContent(byId(id));

/** Share of non-background pixels and a hash of the canvas. */
const canvasStats = (page, id) =>
  page.$eval(byId(id), (canvas) => {
    const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
    const counts = new Map();
    let hash = 2166136261;
    for (let i = 0; i < data.length; i += 4) {
      const k = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
      counts.set(k, (counts.get(k) ?? 0) + 1);
      hash = Math.imul(hash ^ k, 16777619);
    }
    return { inked: 1 - Math.max(...counts.values()) / (data.length / 4), hash: hash >>> 0 };
  });

/** `{ agreements, answered, percent }` from the read-out, or null before any answer. */
async function agreement(page) {
  const t = await text(page, "label-agreement");
  if (t === "No pairs labelled yet.") return null;
  const m = t.match(/^You agreed with the AI labeler on (\d+) of (\d+) pairs? \((\d+)%\)\.$/);
  assert.ok(m, `unexpected agreement text: ${t}`);
  return { agreements: Number(m[1]), answered: Number(m[2]), percent: Number(m[3]) };
}

/** Answers `choice` and checks the reveal; returns the AI's verdict. */
async function answer(page, choice) {
  assert.equal(await panelState(page), "asking");
  assert.equal(await panelAi(page), null, "the AI verdict shows before the answer");
  await page.click(byId(`prefer-${choice}`));
  assert.equal(await panelState(page), "answered");
  const ai = await panelAi(page);
  assert.ok(["left", "right", "equal"].includes(ai), `AI verdict ${ai}`);
  const verdict = await text(page, "label-verdict");
  assert.match(verdict, ai === "equal" ? /judged them equally good/ : new RegExp(`preferred the ${ai} segment`));
  assert.match(verdict, choice === ai ? /you agreed\.$/ : /you did not agree\.$/);
  for (const id of ["prefer-left", "prefer-right", "prefer-equal", "prefer-skip"]) {
    assert.equal(await page.isDisabled(byId(id)), true, `${id} stays enabled after answering`);
  }
  return ai;
}

test("the panel draws two segments, counts answers and agrees with itself", async () => {
  const errors = site.consoleErrors.length + site.pageErrors.length;
  const page = await open("#v=1");
  assert.equal(await notice(page), null);
  await page.locator(byId("labeling-panel")).scrollIntoViewIfNeeded();
  await page.waitForFunction(() => document.querySelector('[data-testid="labeling-panel"]').dataset.state === "asking");
  assert.equal(await agreement(page), null);
  assert.equal(await text(page, "stat-human-labels"), "0");
  assert.match(await text(page, "label-source"), /random policy/);
  assert.match(await text(page, "label-left-caption"), /^Left: random episode \d+, steps \d+–\d+ of \d+$/);
  assert.match(await text(page, "label-right-caption"), /^Right: random episode \d+, steps \d+–\d+ of \d+$/);
  assert.match(await text(page, "labeling-panel"), /do not train the reward model/);

  const left = await canvasStats(page, "label-left");
  const right = await canvasStats(page, "label-right");
  assert.ok(left.inked > 0.005, `the left canvas is blank (${left.inked})`);
  assert.ok(right.inked > 0.005, `the right canvas is blank (${right.inked})`);
  // The segments play: within a few seconds each canvas shows another frame.
  await page.waitForFunction(
    ([l, r]) => {
      const hash = (id) => {
        const c = document.querySelector(`[data-testid="${id}"]`);
        const { data } = c.getContext("2d").getImageData(0, 0, c.width, c.height);
        let h = 2166136261;
        for (let i = 0; i < data.length; i += 4) h = Math.imul(h ^ ((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]), 16777619);
        return h >>> 0;
      };
      return hash("label-left") !== l && hash("label-right") !== r;
    },
    [left.hash, right.hash],
    { timeout: 10_000, polling: 200 },
  );

  let expected = { answered: 0, agreements: 0 };
  const choices = ["left", "right", "equal", "skip", "left", "right"];
  for (const choice of choices) {
    if (choice === "skip") {
      await page.click(byId("prefer-skip"));
      assert.equal(await panelState(page), "asking");
    } else {
      const ai = await answer(page, choice);
      expected = { answered: expected.answered + 1, agreements: expected.agreements + (ai === choice ? 1 : 0) };
      assert.equal(await page.isDisabled(byId("label-next")), false);
      await page.click(byId("label-next"));
    }
    assert.equal(await text(page, "stat-human-labels"), String(expected.answered));
    const a = await agreement(page);
    if (expected.answered === 0) {
      assert.equal(a, null);
    } else {
      assert.deepEqual(a, { ...expected, percent: Math.round((100 * expected.agreements) / expected.answered) });
    }
  }
  assert.equal(expected.answered, 5);
  await page.screenshot({ path: path.join(artifacts, "labeling.png"), fullPage: true });
  assert.equal(site.consoleErrors.length + site.pageErrors.length, errors, [...site.consoleErrors, ...site.pageErrors].join("\n"));
  await page.close();
});

test("on a grid map, answering what the AI labeler says agrees 100%", async () => {
  const errors = site.consoleErrors.length + site.pageErrors.length;
  const page = await open("#env=Grid-DoorKey-8x8-v0");
  assert.equal(await notice(page), null);
  await page.waitForFunction(() => document.querySelector('[data-testid="labeling-panel"]').dataset.state === "asking");
  // A second Labeling with the panel's settings (env, default teacher, default segment
  // length, the page's seed) draws the same pairs: asking it first tells the AI's verdict
  // without the page revealing it early.
  await page.evaluate(() => {
    const L = window.wasmBindings.Labeling;
    window.twin = new L("Grid-DoorKey-8x8-v0", "", L.defaultSegmentLen(), 1);
    window.twin.nextPair();
  });
  const pairs = 6;
  for (let k = 0; k < pairs; k += 1) {
    const twin = await page.evaluate(() => {
      const pair = window.twin.pair();
      return { ai: window.twin.answer("left").ai, left: pair.left, right: pair.right };
    });
    // The twin shows the same pair as the panel.
    const caption = (side) => `steps ${side.start + 1}–${side.start + side.len} of ${side.episodeLen}`;
    assert.ok((await text(page, "label-left-caption")).endsWith(caption(twin.left)));
    assert.ok((await text(page, "label-right-caption")).endsWith(caption(twin.right)));
    assert.equal(await answer(page, twin.ai), twin.ai);
    await page.click(byId("label-next"));
    await page.evaluate(() => window.twin.nextPair());
  }
  assert.deepEqual(await agreement(page), { agreements: pairs, answered: pairs, percent: 100 });
  assert.equal(await text(page, "stat-human-labels"), String(pairs));
  await page.evaluate(() => window.twin.free());

  // Another env starts the counts afresh.
  await page.selectOption(byId("env-select"), "Grid-Empty-8x8-v0");
  assert.equal(await text(page, "stat-human-labels"), "0");
  assert.equal(await panelState(page), "asking");
  assert.equal(await notice(page), null);
  assert.equal(site.consoleErrors.length + site.pageErrors.length, errors, [...site.consoleErrors, ...site.pageErrors].join("\n"));
  await page.close();
});

test("the agent's episodes feed the panel, and a reset forgets them", async () => {
  const page = await open("#env=CartPole-v1&backend=cpu&base=0&seed=3");
  assert.match(await text(page, "label-source"), /random policy/);
  // A few updates give the agent finished episodes to cut segments from.
  for (let i = 0; i < 3; i += 1) await stepOnce(page);
  await page.click(byId("prefer-skip"));
  assert.equal(await text(page, "label-source"), "Segments from the agent's latest episodes.");
  assert.match(await text(page, "label-left-caption"), /^Left: agent episode \d+, steps /);
  await page.click(byId("reset"));
  await page.waitForFunction(() => document.querySelector('[data-testid="train-status"]').dataset.state === "idle");
  await page.click(byId("prefer-skip"));
  assert.match(await text(page, "label-source"), /random policy/);
  assert.equal(await notice(page), null);
  await page.close();
});

test("an embed hides the panel unless controls lists labels", async () => {
  const hidden = await open("#v=1&embed=1&controls=lambda,seed");
  assert.equal(await hidden.isVisible(byId("labeling-panel")), false);
  await hidden.close();
  const shown = await open("#v=1&embed=1&controls=lambda,labels");
  assert.equal(await shown.isVisible(byId("labeling-panel")), true);
  assert.equal(await shown.isVisible(byId("label-left")), true);
  assert.equal(await shown.isVisible(byId("env-select")), false);
  await shown.close();
});
