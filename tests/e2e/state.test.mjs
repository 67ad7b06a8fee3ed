// Unit tests of the URL-hash state (web/state.js), under Node: no browser needed.

import { test } from "node:test";
import assert from "node:assert/strict";
import { MAX_HASH_LENGTH, defaults, parseHash, readSetting, settingsOf, stateFromSettings, toHash } from "../../web/state.js";

const lists = {
  envIds: ["CartPole-v1", "Grid-DoorKey-8x8-v0"],
  teachersFor: (env) => (env === "CartPole-v1" ? ["lqr", "energy"] : []),
};

test("a hash the page wrote reads back to the same settings", () => {
  const state = {
    ...defaults(),
    env: "Grid-DoorKey-8x8-v0",
    fb: "preference",
    lambda: 0.35,
    sched: "linear",
    floor: 0.1,
    mistake: 0.2,
    beta: 5,
    lr: 0.0003,
    envs: 8,
    seed: 12345,
    speed: 90,
    backend: "cpu",
    base: false,
    embed: true,
    controls: ["lambda", "seed"],
  };
  const hash = toHash(state);
  assert.match(hash, /^#v=1&/);
  const { state: back, notes } = parseHash(hash, lists);
  assert.deepEqual(notes, []);
  assert.deepEqual(back, state);
});

test("missing keys take their defaults, and an empty hash is all defaults", () => {
  assert.deepEqual(parseHash("", lists), { state: defaults(), notes: [] });
  const { state, notes } = parseHash("#v=1&lambda=0.8", lists);
  assert.deepEqual(notes, []);
  assert.deepEqual(state, { ...defaults(), lambda: 0.8 });
});

test("out-of-range numbers are clamped, with a note", () => {
  const { state, notes } = parseHash("#v=1&lambda=5&seed=-3&envs=1000&lr=1e-9", lists);
  assert.equal(state.lambda, 1);
  assert.equal(state.seed, 0);
  assert.equal(state.envs, 64);
  assert.equal(state.lr, 1e-5);
  assert.equal(notes.length, 4);
  assert.match(notes[0], /lambda "5" is outside 0\.\.1: using 1/);
});

test("values of the wrong type are ignored and named", () => {
  const { state, notes } = parseHash(
    "#v=1&env=NoSuchEnv-v9&lambda=banana&seed=1.5&fb=telepathy&base=maybe&lambda2=3",
    lists,
  );
  assert.deepEqual(state, defaults());
  const text = notes.join("\n");
  for (const part of [
    'unknown environment "NoSuchEnv-v9"',
    'lambda "banana" is not a number',
    'seed "1.5" is not a whole number',
    'feedback mode "telepathy"',
    'baseline "maybe"',
    'unknown key "lambda2"',
  ]) {
    assert.ok(text.includes(part), `no note with ${part}: ${text}`);
  }
});

test("a teacher that does not judge the env is dropped", () => {
  const ok = parseHash("#env=CartPole-v1&teacher=lqr", lists);
  assert.equal(ok.state.teacher, "lqr");
  assert.deepEqual(ok.notes, []);
  const bad = parseHash("#env=Grid-DoorKey-8x8-v0&teacher=lqr", lists);
  assert.equal(bad.state.teacher, "");
  assert.match(bad.notes.join(), /teacher "lqr" does not judge Grid-DoorKey-8x8-v0/);
});

test("hostile hashes give the defaults and a bounded note, never an exception", () => {
  const junk = "x".repeat(100_000);
  const long = parseHash(`#${junk}`, lists);
  assert.deepEqual(long.state, defaults());
  assert.equal(long.notes.length, 1);
  assert.ok(long.notes[0].length < 200);
  assert.ok(String(MAX_HASH_LENGTH).length > 0);

  const script = "#env=%3Cscript%3Ealert(1)%3C%2Fscript%3E&lambda=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E";
  const s = parseHash(script, lists);
  assert.deepEqual(s.state, defaults());
  assert.equal(s.notes.length, 2);
  // Quoted, and cut short: the page shows notes as text.
  assert.ok(s.notes.every((n) => n.length < 120), s.notes.join("\n"));

  const broken = parseHash("#env=%E0%A4%A&lambda=%&=&&&constructor=1&__proto__=2", lists);
  assert.deepEqual(broken.state, defaults());
  assert.ok(broken.notes.some((n) => n.includes("not valid URL encoding")));
  assert.ok(broken.notes.some((n) => n.includes("unknown keys")));
  assert.equal({}.polluted, undefined);

  const many = parseHash(`#${Array.from({ length: 500 }, (_, i) => `k${i}=1`).join("&")}`, lists);
  assert.deepEqual(many.state, defaults());
  assert.match(many.notes[0], /unknown keys "k0", "k1", "k2" and 497 more/);
});

test("an unknown version is read as version 1, with a note", () => {
  const { state, notes } = parseHash("#v=7&lambda=0.25", lists);
  assert.equal(state.lambda, 0.25);
  assert.match(notes.join(), /version "7" is not known/);
});

test("the first viewer's links, just an env id, still open that env", () => {
  const { state, notes } = parseHash("#Grid-DoorKey-8x8-v0", lists);
  assert.equal(state.env, "Grid-DoorKey-8x8-v0");
  assert.deepEqual(notes, []);
});

test("controls keeps only settings an embed can show", () => {
  const { state, notes } = parseHash("#embed=1&controls=lambda,seed,lambda,evil", lists);
  assert.equal(state.embed, true);
  assert.deepEqual(state.controls, ["lambda", "seed"]);
  assert.match(notes.join(), /unknown controls "evil"/);
});

test("a control's value is read with the same rules: clamped, or kept when unreadable", () => {
  assert.deepEqual(readSetting("lambda", "0.7"), { value: 0.7 });
  assert.equal(readSetting("lambda", "3").value, 1);
  assert.match(readSetting("lambda", "3").note, /outside/);
  assert.equal(readSetting("seed", "abc").value, undefined);
  assert.deepEqual(readSetting("lr", ""), { value: null });
  assert.equal(readSetting("nope", "1").value, undefined);
});

test("an imported run's settings become the page's settings; view settings stay", () => {
  const current = { ...defaults(), speed: 90, backend: "cpu" };
  // As `Viewer.settingsOf` gives them (crate/src/experiment/settings.rs).
  const settings = {
    env_id: "CartPole-v1", seed: 42, total_steps: 50000, n_envs: 8, learning_rate: 0.001,
    feedback: "shaping", teacher: "lqr", lambda: 0.25,
    schedule: { kind: "linear", floor: 0.1, steps: 50000 },
    labeler: { beta: 0, mistake: 0.2, gamma: 1, skip: null, equal: 0 },
    preference: { label_source: "ai", freeze_after: 0 },
  };
  const { state, notes } = stateFromSettings(settings, current, lists);
  assert.deepEqual(notes, []);
  assert.equal(state.env, "CartPole-v1");
  assert.equal(state.seed, 42);
  assert.equal(state.envs, 8);
  assert.equal(state.lr, 0.001);
  assert.equal(state.fb, "shaping");
  assert.equal(state.teacher, "lqr");
  assert.equal(state.lambda, 0.25);
  assert.equal(state.sched, "linear");
  assert.equal(state.floor, 0.1);
  assert.equal(state.mistake, 0.2);
  assert.equal(state.beta, 0);
  assert.equal(state.speed, 90);
  assert.equal(state.backend, "cpu");

  // A plain run resets the feedback settings; odd values are clamped or dropped with notes.
  const odd = stateFromSettings({ env_id: "NoSuch-v9", seed: 3, n_envs: 500, feedback: "none", teacher: "lqr" }, current, lists);
  assert.equal(odd.state.fb, "none");
  assert.equal(odd.state.teacher, "");
  assert.equal(odd.state.env, "CartPole-v1");
  assert.equal(odd.state.envs, 64);
  assert.equal(odd.notes.length, 2, odd.notes.join("; "));
});

test("the page's settings leave out what the page does not set, so the preset's or lesson's stays", () => {
  const state = { ...defaults(), env: "Grid-DoorKey-8x8-v0", fb: "preference", lambda: 0.5, mistake: 0.1, seed: 7, lr: 0.0005 };
  assert.deepEqual(settingsOf(state, "demo:x"), {
    seed: 7,
    feedback: "preference",
    learning_rate: 0.0005,
    teacher: "",
    lambda: 0.5,
    schedule: { kind: "constant" },
    labeler: { beta: 0, mistake: 0.1 },
    preference: { label_source: "ai" },
  });
  // Plain PPO sets no feedback knob: the base's stay, unused.
  assert.deepEqual(settingsOf({ ...state, fb: "none", lr: null, envs: 4 }, "demo:x"), { seed: 7, feedback: "none", n_envs: 4 });
});

test("the settings name the page's demonstrations teacher and a linear schedule over the run", () => {
  const state = { ...defaults(), env: "Grid-DoorKey-8x8-v0", fb: "shaping", teacher: "demo", sched: "linear", floor: 0.2, beta: 3 };
  const settings = settingsOf(state, "demo:your-demonstrations");
  assert.equal(settings.teacher, "demo:your-demonstrations");
  assert.deepEqual(settings.schedule, { kind: "linear", floor: 0.2 });
  assert.equal(settings.labeler.beta, 3);
  assert.equal(settings.preference, undefined, "only a preference run sets the label source");
  assert.equal(settingsOf({ ...state, teacher: "inverted" }, "demo:x").teacher, "inverted");
  // And back: the page's state from these settings is the state they came from.
  const cartpole = { ...state, env: "CartPole-v1", teacher: "energy" };
  const back = stateFromSettings({ ...settingsOf(cartpole, "demo:x"), env_id: cartpole.env }, defaults(), lists);
  for (const key of ["env", "fb", "teacher", "sched", "floor", "beta", "seed"]) {
    assert.equal(back.state[key], cartpole[key], key);
  }
});

test("a link naming the demonstrations teacher without demonstrations says what is missing", () => {
  const withDemos = { ...lists, teachersFor: (env) => [...lists.teachersFor(env), "demo"] };
  assert.equal(parseHash("#env=CartPole-v1&teacher=demo", withDemos).state.teacher, "demo");
  const { state, notes } = parseHash("#env=CartPole-v1&teacher=demo", lists);
  assert.equal(state.teacher, "");
  assert.equal(notes.length, 1);
  assert.match(notes[0], /^teacher "demo" is learned from demonstrations of CartPole-v1, which this browser does not have/);
});

test("the label source is a hash key, goes into a preference run's config and comes back from it", () => {
  const { state, notes } = parseHash("#v=1&env=Grid-DoorKey-8x8-v0&fb=preference&labels=you", lists);
  assert.deepEqual(notes, []);
  assert.equal(state.labels, "you");
  assert.equal(parseHash(toHash(state), lists).state.labels, "you");
  const bad = parseHash("#v=1&labels=everyone", lists);
  assert.equal(bad.state.labels, "ai");
  assert.match(bad.notes[0], /labels from "everyone" is not one of ai, you, both/);

  const settings = settingsOf(state, "demo:x");
  assert.deepEqual(settings.preference, { label_source: "you" });
  const back = stateFromSettings({ ...settings, env_id: state.env }, defaults(), lists);
  assert.equal(back.state.labels, "you");
  assert.equal(stateFromSettings({ ...settings, preference: {} }, defaults(), lists).state.labels, "ai");
});

test("freeze is a hash key: 0 never freezes, unset keeps the base's, and it comes back from settings", () => {
  const base = { ...defaults(), env: "Grid-DoorKey-8x8-v0", fb: "preference" };
  assert.equal(settingsOf(base, "demo:x").preference.freeze_after, undefined, "unset: the base's");
  assert.equal(settingsOf({ ...base, freeze: 0 }, "demo:x").preference.freeze_after, 0, "0: never");
  assert.equal(settingsOf({ ...base, freeze: 12 }, "demo:x").preference.freeze_after, 12);
  const { state, notes } = parseHash("#v=1&env=Grid-DoorKey-8x8-v0&fb=preference&freeze=40", lists);
  assert.deepEqual(notes, []);
  assert.equal(state.freeze, 40);
  assert.equal(parseHash(toHash(state), lists).state.freeze, 40);
  const bad = parseHash("#v=1&freeze=-3", lists);
  assert.equal(bad.state.freeze, 0);
  assert.match(bad.notes[0], /freeze the reward model after "-3" is outside 0\.\.100000: using 0/);
  const settings = { ...settingsOf({ ...base, freeze: 40 }, "demo:x"), env_id: base.env };
  assert.equal(stateFromSettings(settings, defaults(), lists).state.freeze, 40);
  // Never freezing is left to the base config, as in a link without it.
  assert.equal(stateFromSettings({ ...settings, preference: { freeze_after: 0 } }, defaults(), lists).state.freeze, null);
});

test("a lesson is a hash key of its own env; another env's or an unknown lesson is dropped with a note", () => {
  const withLessons = { ...lists, lessonEnv: (id) => ({ "doorkey-preference": "Grid-DoorKey-8x8-v0" })[id] ?? null };
  const { state, notes } = parseHash("#v=1&env=Grid-DoorKey-8x8-v0&lesson=doorkey-preference", withLessons);
  assert.deepEqual(notes, []);
  assert.equal(state.lesson, "doorkey-preference");
  assert.match(toHash(state), /&lesson=doorkey-preference/);
  assert.doesNotMatch(toHash(defaults()), /lesson=/, "no lesson, no key");
  const other = parseHash("#v=1&env=CartPole-v1&lesson=doorkey-preference", withLessons);
  assert.equal(other.state.lesson, "");
  assert.deepEqual(other.notes, ['lesson "doorkey-preference" is a lesson of Grid-DoorKey-8x8-v0, not of CartPole-v1']);
  const unknown = parseHash("#v=1&lesson=%3Cb%3Ehi", withLessons);
  assert.equal(unknown.state.lesson, "");
  assert.deepEqual(unknown.notes, ['unknown lesson "<b>hi"']);
});

test("seeds side by side are a hash key, go into the settings and come back from them", () => {
  const { state, notes } = parseHash("#v=1&env=CartPole-v1&seeds=3", lists);
  assert.deepEqual(notes, []);
  assert.equal(state.seeds, 3);
  assert.equal(parseHash(toHash(state), lists).state.seeds, 3);
  assert.equal(settingsOf(state, "demo:x").seeds, 3);
  assert.equal(settingsOf({ ...state, seeds: null }, "demo:x").seeds, undefined, "unset: the base's");
  const clamped = parseHash("#v=1&seeds=40", lists);
  assert.equal(clamped.state.seeds, 8);
  assert.match(clamped.notes[0], /seeds side by side "40" is outside 1\.\.8: using 8/);
  assert.equal(stateFromSettings({ env_id: "CartPole-v1", seeds: 3, feedback: "none" }, defaults(), lists).state.seeds, 3);
  assert.equal(stateFromSettings({ env_id: "CartPole-v1", seeds: 1, feedback: "none" }, defaults(), lists).state.seeds, null);
});

test("a lesson's demonstrations teacher is the page's demo teacher, kept for the lesson before any demonstrations", () => {
  const withLesson = {
    ...lists,
    lessonEnv: (id) => (id === "doorkey-your-demonstrations" ? "Grid-DoorKey-8x8-v0" : null),
    teachersFor: (env, lesson) => [...lists.teachersFor(env), ...(lesson === "doorkey-your-demonstrations" ? ["demo"] : [])],
  };
  const settings = { env_id: "Grid-DoorKey-8x8-v0", feedback: "advice", teacher: "demo:your-demonstrations", lambda: 0.5 };
  const lesson = stateFromSettings(settings, defaults(), withLesson, "doorkey-your-demonstrations");
  assert.deepEqual(lesson.notes, []);
  assert.equal(lesson.state.lesson, "doorkey-your-demonstrations");
  assert.equal(lesson.state.teacher, "demo");
  assert.equal(lesson.state.fb, "advice");
  // Without the lesson (an imported run) a browser without demonstrations says so.
  const imported = stateFromSettings(settings, defaults(), withLesson);
  assert.equal(imported.state.teacher, "");
  assert.match(imported.notes[0], /^teacher "demo" is learned from demonstrations of Grid-DoorKey-8x8-v0/);
});
