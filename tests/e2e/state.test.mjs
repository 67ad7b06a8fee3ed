// Unit tests of the URL-hash state (web/state.js), under Node: no browser needed.

import { test } from "node:test";
import assert from "node:assert/strict";
import { MAX_HASH_LENGTH, defaults, experimentConfig, parseHash, readSetting, stateFromConfig, toHash } from "../../web/state.js";

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

test("an imported run's config becomes the page's settings; view settings stay", () => {
  const current = { ...defaults(), speed: 90, backend: "cpu" };
  const config = {
    env_id: "CartPole-v1", seed: 42, total_steps: 50000, n_envs: 8,
    ppo: { learning_rate: 0.001 },
    feedback: {
      mode: "shaping", teacher: "lqr", lambda: 0.25,
      schedule: { kind: "linear", floor: 0.1, steps: 50000 },
      labeler: { beta: null, mistake: 0.2 },
    },
  };
  const { state, notes } = stateFromConfig(config, current, lists);
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
  const odd = stateFromConfig({ env_id: "NoSuch-v9", seed: 3, n_envs: 500, ppo: {} }, current, lists);
  assert.equal(odd.state.fb, "none");
  assert.equal(odd.state.env, "CartPole-v1");
  assert.equal(odd.state.envs, 64);
  assert.equal(odd.notes.length, 2, odd.notes.join("; "));
});

const DOORKEY_PRESET = {
  env_id: "Grid-DoorKey-8x8-v0",
  seed: 1,
  total_steps: 300000,
  n_envs: 8,
  ppo: { n_steps: 128, learning_rate: 0.001 },
  feedback: { preference: { label_budget: 1000, labels_per_update: 50, reward_model: "potential", reward_sign: "negative" } },
};

test("the run's config keeps the preset's feedback knobs the page has no control for", () => {
  const state = { ...defaults(), env: "Grid-DoorKey-8x8-v0", fb: "preference", lambda: 0.5, mistake: 0.1, seed: 7, lr: 0.0005 };
  const config = experimentConfig(state, DOORKEY_PRESET, "demo:x");
  assert.deepEqual(config.feedback.preference, { ...DOORKEY_PRESET.feedback.preference, label_source: "ai" });
  assert.equal(config.feedback.mode, "preference");
  assert.equal(config.feedback.lambda, 0.5);
  assert.equal(config.feedback.teacher, null);
  assert.deepEqual(config.feedback.labeler, { beta: null, mistake: 0.1 });
  assert.deepEqual(config.feedback.schedule, { kind: "constant" });
  assert.equal(config.seed, 7);
  assert.deepEqual(config.ppo, { n_steps: 128, learning_rate: 0.0005 });
  assert.equal(config.n_envs, 8, "the preset's envs when the page sets none");
  // The preset itself is not edited.
  assert.equal(DOORKEY_PRESET.seed, 1);
  assert.equal(DOORKEY_PRESET.ppo.learning_rate, 0.001);
});

test("the run's config names the page's demonstrations teacher, a linear schedule and no feedback", () => {
  const state = { ...defaults(), env: "Grid-DoorKey-8x8-v0", fb: "shaping", teacher: "demo", sched: "linear", floor: 0.2, beta: 3 };
  const config = experimentConfig(state, DOORKEY_PRESET, "demo:your-demonstrations");
  assert.equal(config.feedback.teacher, "demo:your-demonstrations");
  assert.deepEqual(config.feedback.schedule, { kind: "linear", floor: 0.2, steps: 300000 });
  assert.equal(config.feedback.labeler.beta, 3);
  const plain = experimentConfig({ ...state, fb: "none" }, DOORKEY_PRESET, "demo:x");
  assert.equal(plain.feedback, undefined, "plain PPO carries no feedback");
  const named = experimentConfig({ ...state, teacher: "inverted" }, DOORKEY_PRESET, "demo:x");
  assert.equal(named.feedback.teacher, "inverted");
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

  const config = experimentConfig(state, DOORKEY_PRESET, "demo:x");
  assert.equal(config.feedback.preference.label_source, "you");
  // The preset's other preference knobs stay.
  assert.equal(config.feedback.preference.label_budget, 1000);
  // Only a preference run takes it.
  assert.deepEqual(experimentConfig({ ...state, fb: "shaping" }, DOORKEY_PRESET, "demo:x").feedback.preference, DOORKEY_PRESET.feedback.preference);

  const back = stateFromConfig(config, defaults(), lists);
  assert.equal(back.state.labels, "you");
  assert.equal(stateFromConfig({ ...config, feedback: { ...config.feedback, preference: {} } }, defaults(), lists).state.labels, "ai");
});

test("freeze is a hash key: 0 never freezes, unset keeps the preset's, and it comes back from a config", () => {
  const base = { ...defaults(), env: "Grid-DoorKey-8x8-v0", fb: "preference" };
  const frozen = { ...DOORKEY_PRESET, feedback: { preference: { ...DOORKEY_PRESET.feedback.preference, freeze_after: 30 } } };
  assert.equal(experimentConfig(base, frozen, "demo:x").feedback.preference.freeze_after, 30, "unset: the preset's");
  assert.equal(experimentConfig({ ...base, freeze: 0 }, frozen, "demo:x").feedback.preference.freeze_after, null, "0: never");
  assert.equal(experimentConfig({ ...base, freeze: 12 }, frozen, "demo:x").feedback.preference.freeze_after, 12);
  const { state, notes } = parseHash("#v=1&env=Grid-DoorKey-8x8-v0&fb=preference&freeze=40", lists);
  assert.deepEqual(notes, []);
  assert.equal(state.freeze, 40);
  assert.equal(parseHash(toHash(state), lists).state.freeze, 40);
  const bad = parseHash("#v=1&freeze=-3", lists);
  assert.equal(bad.state.freeze, 0);
  assert.match(bad.notes[0], /freeze the reward model after "-3" is outside 0\.\.100000: using 0/);
  const config = experimentConfig({ ...base, freeze: 40 }, DOORKEY_PRESET, "demo:x");
  assert.equal(stateFromConfig(config, defaults(), lists).state.freeze, 40);
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
