// Unit tests of the page's modes (web/page-mode.js), under Node.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MODES, PageMode, TRANSITIONS } from "../../web/page-mode.js";

test("the page starts idle and reports each change of mode once", () => {
  const changes = [];
  const mode = new PageMode((to, from) => changes.push(`${from}->${to}`));
  assert.equal(mode.current, "idle");
  mode.go("training");
  mode.go("training");
  mode.go("paused");
  mode.go("human");
  mode.go("paused");
  mode.go("stepping");
  mode.go("idle");
  assert.deepEqual(changes, ["idle->training", "training->paused", "paused->human", "human->paused", "paused->stepping", "stepping->idle"]);
});

test("transitions the page cannot make throw and leave the mode as it was", () => {
  const mode = new PageMode();
  mode.go("training");
  assert.throws(() => mode.go("human"), /cannot go from training to human/);
  assert.equal(mode.current, "training");
  mode.go("importing");
  for (const to of ["training", "stepping", "human"]) {
    assert.equal(mode.can(to), false, to);
    assert.throws(() => mode.go(to), /cannot go from importing/);
  }
  assert.throws(() => mode.go("dancing"), /unknown page mode "dancing"/);
  assert.equal(mode.current, "importing");
});

test("every mode can be left for idle (settings changed or reset) and the table names only modes", () => {
  for (const from of MODES) {
    assert.ok(Array.isArray(TRANSITIONS[from]), from);
    for (const to of TRANSITIONS[from]) assert.ok(MODES.includes(to), `${from} -> ${to}`);
    const mode = new PageMode();
    mode.current = from;
    assert.ok(mode.can("idle"), `${from} -> idle`);
  }
});

test("the canvas takes the run's episodes only while it trains, and animates only while training", () => {
  const mode = new PageMode();
  const seen = {};
  for (const m of ["training", "stepping", "paused", "human", "importing", "idle"]) {
    mode.current = m;
    seen[m] = [mode.replays, mode.animates];
  }
  assert.deepEqual(seen, {
    training: [true, true],
    stepping: [true, false],
    paused: [false, false],
    human: [false, false],
    importing: [false, false],
    idle: [false, false],
  });
});
