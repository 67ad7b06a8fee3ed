// Fuzz tests of the URL-hash parser (web/state.js), under Node: hostile hashes (random
// characters, malformed `%` escapes, huge and odd numbers, repeated, empty and unknown keys,
// over-long values) and mutations of hashes the page writes and of the checked-in links in
// fixtures/links.txt go through `parseHash`, random valid settings go round
// `toHash`/`parseHash`, and hostile control values go through `readSetting`.
// Deterministic: every property draws a fixed number of cases from its own fixed seed, so a
// failure names its case and repeats on every run.

import { readFileSync } from "node:fs";
import { test } from "node:test";
import assert from "node:assert/strict";
import { EMBEDDABLE, MAX_HASH_LENGTH, SCHEMA, VERSION, defaults, parseHash, quote, readSetting, toHash } from "../../web/state.js";

const CASES = 3000;

// Env ids and teacher names with characters the hash must escape (`&`, `=`, `%`, `#`, `,`,
// spaces, non-ASCII) besides the usual ones.
const ODD_ENV = "Odd Env/ü&=%#,+-v0";
const LESSONS = { "doorkey-preference": "Grid-DoorKey-8x8-v0", "cartpole-direct": "CartPole-v1", "odd lesson ☃": ODD_ENV };
const TEACHERS = { "CartPole-v1": ["lqr", "energy", "demo"], "Grid-DoorKey-8x8-v0": [], [ODD_ENV]: ["t&=1", "ünï ☃", "a,b", "%25"] };
const lists = {
  envIds: Object.keys(TEACHERS),
  teachersFor: (env) => TEACHERS[env] ?? [],
  lessonEnv: (id) => (Object.hasOwn(LESSONS, id) ? LESSONS[id] : null),
};
/** The parser's own default when the page passes no lists. */
const noLists = {};

// --- a seeded PRNG (mulberry32) and helpers ---------------------------------------------------

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const int = (rng, n) => Math.floor(rng() * n);
const pick = (rng, xs) => xs[int(rng, xs.length)];
const chance = (rng, p) => rng() < p;

/** Runs `prop` on `count` inputs from `gen`; a failure names the case, the seed and the input. */
function forAll(name, seed, count, gen, prop) {
  const rng = mulberry32(seed);
  for (let i = 0; i < count; i++) {
    const input = gen(rng);
    try {
      prop(input);
    } catch (err) {
      const shown = JSON.stringify(input, (_, v) => (typeof v === "bigint" ? `${v}n` : v)) ?? String(input);
      const where = `${name}: case ${i} of seed ${seed} failed for ${shown.length > 600 ? `${shown.slice(0, 600)}…` : shown}`;
      if (err instanceof Error) {
        err.message = `${where}\n${err.message}`;
        throw err;
      }
      throw new Error(`${where}\nthrew a non-Error: ${String(err)}`);
    }
  }
}

// --- hostile material -----------------------------------------------------------------------

const HOSTILE_VALUES = [
  "", "1e400", "-1e400", "1e-400", "5e-324", "NaN", "Infinity", "-Infinity", "-0", "+0", "0x10", "0X1",
  "0b1", "0o7", " 1", "1 ", "\t", "\n", "1_000", "1,5", "١٢", "１", "1e", "e5", ".", "-", "+", "..1", "1..",
  "1.", ".5", "+.5e+1", "-.0", "1e+21", "1E5", "9".repeat(400), `0.${"0".repeat(400)}1`, "2147483647",
  "2147483648", "-2147483649", "4294967296", "100000", "100001", "64", "65", "240", "241", "0.1", "0.10001",
  "0.00001", "0.0000099", "true", "false", "null", "undefined", "[]", "{}", "__proto__", "constructor",
  "toString", "%", "%%", "%E0%A4%A", "%E0%A4", "%ZZ", "%G1", "%C0%AF", "%ED%A0%80", "%F4%90%80%80", "%FF",
  "%00", "%25", "%26", "%3D", "%23", "%2C", "%20", "%u0041", "<script>alert(1)</script>",
  "%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E", "\u0000", "\uD800", "\uDFFF", "😀", "\u202E", "e\u0301",
  "a".repeat(5000), "%41".repeat(1500), "lambda,seed,lambda", ",,,", ",", "env,preset", "evil,lambda",
  EMBEDDABLE.join(","), "constant", "linear", "ai", "you", "both", "none", "preference", "advice", "demo",
  "lqr", "energy", "CartPole-v1", "Grid-DoorKey-8x8-v0", encodeURIComponent(ODD_ENV), "doorkey-preference",
  "cartpole-direct", "1", "0", "2", "0.5", "=", "==", "&", "#",
];
const KEYS = [...Object.keys(SCHEMA), "v"];
const JUNK_KEYS = [
  "", "__proto__", "constructor", "prototype", "hasOwnProperty", "toString", "LAMBDA", "Lambda", " lambda",
  "lambda ", "lambda2", "lamb%64a", "%6Cambda", "%", "%E0%A4%A", "x".repeat(300), "😀", "a=b", "v2",
];

const MALFORMED_ESCAPES = ["%", "%A", "%G1", "%zz", "%E0%A4%A", "%E0%A4", "%C0%AF", "%ED%A0%80", "%F4%90%80%80", "%FF", "%C3", "%80"];

function randomChar(rng) {
  switch (int(rng, 9)) {
    case 0: return String.fromCharCode(32 + int(rng, 95)); // printable ASCII
    case 1: return pick(rng, ["&", "=", "%", "#", "+", ",", " ", "?", "/", ";", "-", "."]);
    case 2: return String.fromCharCode(int(rng, 32)); // control characters
    case 3: return String.fromCharCode(0xa0 + int(rng, 0x160)); // Latin-1 and on
    case 4: { // any BMP character outside the surrogates
      const c = int(rng, 0xf800);
      return String.fromCharCode(c < 0xd800 ? c : c + 0x800);
    }
    case 5: return String.fromCodePoint(0x10000 + int(rng, 0x100000)); // astral
    case 6: return String.fromCharCode(0xd800 + int(rng, 0x800)); // a lone surrogate
    case 7: return `%${int(rng, 256).toString(16).padStart(2, "0")}`; // any byte, maybe not UTF-8
    default: return String.fromCharCode(48 + int(rng, 10)); // a digit
  }
}

function randomString(rng, max) {
  const n = int(rng, max + 1);
  let s = "";
  for (let i = 0; i < n; i++) s += randomChar(rng);
  return s;
}

function randomNumberText(rng) {
  const sign = pick(rng, ["", "", "-", "+"]);
  const digits = () => String(int(rng, 10 ** (1 + int(rng, 6))));
  const mantissa = pick(rng, [digits(), `${digits()}.${digits()}`, `.${digits()}`, `${digits()}.`]);
  const exp = chance(rng, 0.3) ? `${pick(rng, ["e", "E"])}${pick(rng, ["", "-", "+"])}${int(rng, 500)}` : "";
  return sign + mantissa + exp;
}

function hostileValue(rng) {
  switch (int(rng, 9)) {
    case 0:
    case 1: return pick(rng, HOSTILE_VALUES);
    case 2: return randomNumberText(rng);
    case 3: return randomString(rng, 20);
    case 4: return pick(rng, MALFORMED_ESCAPES) + randomString(rng, 3);
    case 5: return encodeURIComponent(pick(rng, HOSTILE_VALUES).toWellFormed());
    case 6: return pick(rng, ["a", "9", "%41", "é", "&", ","]).repeat(1 + int(rng, 3000)); // long
    case 7: // a list of controls, with repeats, unknown and empty items
      return Array.from({ length: int(rng, 8) }, () => pick(rng, [...EMBEDDABLE, "", "evil", "__proto__", "LAMBDA", " seed"])).join(",");
    default: return String(randomNumberText(rng)).replace(/\d/, pick(rng, ["", " ", "x", "%", "_"]));
  }
}

function hostileKey(rng) {
  switch (int(rng, 5)) {
    case 0:
    case 1: return pick(rng, KEYS);
    case 2: return pick(rng, JUNK_KEYS);
    case 3: return encodeURIComponent(pick(rng, KEYS)).replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16)}`);
    default: return randomString(rng, 8);
  }
}

/** A random hash: raw random characters, or `key=value` parts built from hostile pieces. */
function hostileHash(rng) {
  const prefix = pick(rng, ["#", "#", "", "##", "#&"]);
  if (chance(rng, 0.3)) return prefix + randomString(rng, chance(rng, 0.05) ? 6000 : 200);
  const parts = [];
  const n = int(rng, 14);
  for (let i = 0; i < n; i++) {
    const key = hostileKey(rng);
    switch (int(rng, 6)) {
      case 0: parts.push(key); break; // a key with no value
      case 1: parts.push(`${key}=`); break;
      case 2: parts.push(`${key}==${hostileValue(rng)}`); break;
      default: parts.push(`${key}=${hostileValue(rng)}`);
    }
    if (chance(rng, 0.1)) parts.push(pick(rng, ["", "", "=", "&&", "v=1", "v=2"]));
  }
  return prefix + parts.join(pick(rng, ["&", "&", "&", "&&&", "&&"]));
}

// --- valid states ---------------------------------------------------------------------------

function randomNumber(rng, spec) {
  const { min, max } = spec;
  if (spec.type === "int") {
    return pick(rng, [min, max, min + int(rng, Math.min(max - min + 1, 10)), min + int(rng, max - min + 1)]);
  }
  switch (int(rng, 6)) {
    case 0: return pick(rng, [min, max]);
    case 1: return Number((min + rng() * (max - min)).toFixed(1 + int(rng, 6))) || min;
    case 2: return min > 0 ? min * (max / min) ** rng() : pick(rng, [5e-324, 1e-300, 1e-7, 2 ** -30]);
    case 3: return max - max * 2 ** -52; // just under the top
    default: return min + rng() * (max - min);
  }
}

/** A random state that is valid for `lists`: what the page could hold and write to its hash. */
function randomState(rng) {
  const state = defaults();
  for (const [key, spec] of Object.entries(SCHEMA)) {
    switch (spec.type) {
      case "float":
      case "int":
        state[key] = spec.default === null && chance(rng, 0.3) ? null : randomNumber(rng, spec);
        break;
      case "enum": state[key] = pick(rng, spec.values); break;
      case "bool": state[key] = chance(rng, 0.5); break;
      case "list": {
        const shuffled = [...EMBEDDABLE];
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = int(rng, i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
        }
        state[key] = shuffled.slice(0, chance(rng, 0.5) ? 0 : int(rng, EMBEDDABLE.length + 1));
        break;
      }
      default: break;
    }
  }
  state.env = pick(rng, lists.envIds);
  const teachers = lists.teachersFor(state.env);
  state.teacher = teachers.length > 0 && chance(rng, 0.7) ? pick(rng, teachers) : "";
  const lessons = Object.keys(LESSONS).filter((id) => LESSONS[id] === state.env);
  state.lesson = lessons.length > 0 && chance(rng, 0.4) ? pick(rng, lessons) : "";
  return state;
}

/** The checked-in seed corpus: links from the README and the browser tests (fixtures/links.txt). */
const LINKS = readFileSync(new URL("./fixtures/links.txt", import.meta.url), "utf8")
  .split("\n")
  .filter((line) => line.startsWith("#"));
assert.ok(LINKS.length >= 30, `the link corpus holds ${LINKS.length} links`);

/** Mutates the `&`-separated parts of a hash the page wrote, or of a link from the corpus. */
function mutatedHash(rng) {
  const seed = chance(rng, 0.5) ? pick(rng, LINKS) : toHash(randomState(rng));
  const parts = seed.replace(/^#/, "").split("&");
  const n = 1 + int(rng, 4);
  for (let m = 0; m < n; m++) {
    const i = int(rng, parts.length || 1);
    const part = parts[i] ?? "";
    const eq = part.indexOf("=");
    const key = eq < 0 ? part : part.slice(0, eq);
    switch (int(rng, 11)) {
      case 0: parts[i] = `${key}=${hostileValue(rng)}`; break; // replace the value
      case 1: parts.splice(i, 1); break; // delete the pair
      case 2: parts.splice(int(rng, parts.length + 1), 0, part); break; // duplicate it
      case 3: parts.splice(int(rng, parts.length + 1), 0, `${pick(rng, KEYS)}=${hostileValue(rng)}`); break; // a repeated key
      case 4: parts[i] = part.slice(0, int(rng, part.length + 1)); break; // truncate the pair
      case 5: parts.splice(int(rng, parts.length + 1), 0, `${hostileKey(rng)}=${hostileValue(rng)}`); break;
      case 6: parts[i] = `${pick(rng, KEYS)}${eq < 0 ? "" : part.slice(eq)}`; break; // another key's value
      case 7: parts.splice(int(rng, parts.length + 1), 0, pick(rng, ["", "=", "==", "&&", key])); break;
      case 8: { // a malformed escape somewhere in the pair
        const at = int(rng, part.length + 1);
        parts[i] = part.slice(0, at) + pick(rng, MALFORMED_ESCAPES) + part.slice(at);
        break;
      }
      case 9: parts[i] = part.toUpperCase(); break;
      default: { // truncate the whole hash
        const text = parts.join("&");
        parts.length = 0;
        parts.push(...text.slice(0, int(rng, text.length + 1)).split("&"));
      }
    }
  }
  return `#${parts.join("&")}`;
}

// --- the properties' checks -----------------------------------------------------------------

const NOTE_LENGTH = 1000;
const PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype).sort();

/** Whether `value` is one `spec` allows (`null` only where the default is `null`). */
function validValue(key, spec, value, l) {
  switch (spec.type) {
    case "float":
    case "int":
      if (value === null) return spec.default === null;
      return typeof value === "number" && Number.isFinite(value) && !Object.is(value, -0) &&
        value >= spec.min && value <= spec.max && (spec.type === "float" || Number.isInteger(value));
    case "enum": return spec.values.includes(value);
    case "bool": return typeof value === "boolean";
    case "list":
      return Array.isArray(value) && value.every((c) => EMBEDDABLE.includes(c)) && new Set(value).size === value.length;
    case "string":
      if (typeof value !== "string" || value.length > MAX_HASH_LENGTH) return false;
      if (key === "env") return value === spec.default || (l.envIds?.includes(value) ?? false);
      if (key === "lesson") return value === "" || Boolean(l.lessonEnv?.(value));
      return true;
    default: return false;
  }
}

/** Every setting of a parsed `state` is within the schema, and the teacher and lesson fit the env. */
function assertValidState(state, l) {
  assert.equal(Object.getPrototypeOf(state), Object.prototype);
  assert.deepEqual(Object.keys(state).sort(), Object.keys(SCHEMA).sort());
  for (const [key, spec] of Object.entries(SCHEMA)) {
    assert.ok(validValue(key, spec, state[key], l), `${key} = ${JSON.stringify(state[key])} is not valid`);
  }
  if (l.teachersFor && state.teacher !== "") assert.ok(l.teachersFor(state.env).includes(state.teacher), "teacher not of the env");
  if (l.lessonEnv && state.lesson !== "") assert.equal(l.lessonEnv(state.lesson), state.env, "lesson not of the env");
}

function tryDecode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

const NUMBER_TEXT = { float: /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i, int: /^[-+]?\d+$/ };

/** Whether the state holds exactly what `raw` says for `key` (nothing dropped, clamped or changed). */
function taken(spec, raw, value) {
  switch (spec.type) {
    case "float":
    case "int":
      return typeof value === "number" && NUMBER_TEXT[spec.type].test(raw) && Number(raw) === value;
    case "bool": return value ? raw === "1" || raw === "true" : raw === "0" || raw === "false";
    default: return value === raw;
  }
}

/**
 * Checks a `parseHash` result against a model of the hash format: keys not in the hash keep
 * their defaults, the last of a repeated key counts, and every value that is not read as it is
 * (ignored, clamped, dropped) has a note naming the setting and quoting the value, as does every
 * part that is not valid URL encoding, every unknown key and an unknown version.
 */
function assertModel(hash, l, { state, notes }) {
  assert.ok(Array.isArray(notes));
  for (const note of notes) {
    assert.equal(typeof note, "string");
    assert.ok(note.length <= NOTE_LENGTH, `a note of ${note.length} characters`);
  }
  const hasNote = (text) => assert.ok(notes.some((n) => n.includes(text)), `no note with ${text}: ${JSON.stringify(notes)}`);
  const text = String(hash).replace(/^#/, "");
  if (text === "") {
    assert.deepEqual({ state, notes }, { state: defaults(), notes: [] });
    return;
  }
  if (text.length > MAX_HASH_LENGTH) {
    assert.deepEqual(state, defaults());
    assert.equal(notes.length, 1);
    return;
  }
  const legacy = text.includes("=") ? null : tryDecode(text);
  if (legacy !== null && l.envIds?.includes(legacy)) {
    assert.deepEqual({ state, notes }, { state: { ...defaults(), env: legacy }, notes: [] });
    return;
  }
  const last = new Map();
  const unknown = [];
  const parts = text.split("&").filter((p) => p !== "");
  assert.ok(notes.length <= parts.length + KEYS.length + 2, `${notes.length} notes for ${parts.length} parts`);
  for (const part of parts) {
    const eq = part.indexOf("=");
    const key = tryDecode(eq < 0 ? part : part.slice(0, eq));
    const raw = tryDecode(eq < 0 ? "" : part.slice(eq + 1));
    if (key === null || raw === null) hasNote(`${quote(part)} is not valid URL encoding`);
    else if (KEYS.includes(key)) last.set(key, raw);
    else unknown.push(key);
  }
  if (unknown.length > 0) {
    hasNote(`unknown ${unknown.length === 1 ? "key" : "keys"} ${quote(unknown[0])}`);
    if (unknown.length > 3) hasNote(`and ${unknown.length - 3} more`);
  }
  if (last.has("v") && last.get("v") !== String(VERSION)) hasNote(`version ${quote(last.get("v"))}`);
  for (const [key, spec] of Object.entries(SCHEMA)) {
    const value = state[key];
    if (!last.has(key)) {
      assert.deepEqual(value, spec.default ?? null, `${key} is not in the hash but is not its default`);
      continue;
    }
    const raw = last.get(key);
    if (spec.type === "list") {
      const items = raw === "" ? [] : raw.split(",");
      assert.deepEqual(value, [...new Set(items.filter((c) => EMBEDDABLE.includes(c)))]);
      const bad = items.filter((c) => !EMBEDDABLE.includes(c));
      if (bad.length > 0) hasNote(`unknown ${spec.label} ${quote(bad[0])}`);
      continue;
    }
    if (taken(spec, raw, value)) continue;
    hasNote(`${spec.label} ${quote(raw)}`);
    // A number in range is taken; one outside is clamped; anything else leaves the default.
    const x = Number(raw);
    const number = (spec.type === "float" || spec.type === "int") && NUMBER_TEXT[spec.type].test(raw) && Number.isFinite(x);
    const expected = number ? Math.min(spec.max, Math.max(spec.min, x)) : spec.default ?? null;
    assert.deepEqual(value, expected, `${key} ${JSON.stringify(raw)} was not read as it is, and gave ${JSON.stringify(value)}`);
  }
}

/** All the checks of a hostile hash: no throw, valid settings, the model, purity, a clean rewrite. */
function checkHash(hash, l) {
  const result = parseHash(hash, l);
  assertValidState(result.state, l);
  assertModel(hash, l, result);
  assert.deepEqual(parseHash(hash, l), result, "parsing twice gives another result");
  assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), PROTOTYPE_KEYS, "Object.prototype was changed");
  if (l === lists) {
    // The page rewrites the hash from what it read: that must read back cleanly.
    const again = parseHash(toHash(result.state), l);
    assert.deepEqual(again, { state: result.state, notes: [] });
  }
}

// --- the properties -------------------------------------------------------------------------

test(`hostile hashes never throw and give settings within the schema (${CASES} cases)`, () => {
  forAll("hostile hash", 0x5eed0001, CASES, (rng) => ({ hash: hostileHash(rng), withLists: chance(rng, 0.8) }), ({ hash, withLists }) =>
    checkHash(hash, withLists ? lists : noLists));
});

test(`mutated hashes the page wrote give valid settings and name what was ignored (${CASES} cases)`, () => {
  forAll("mutated hash", 0x5eed0002, CASES, (rng) => mutatedHash(rng), (hash) => checkHash(hash, lists));
});

test(`random valid settings read back the same from their hash, with no notes (${CASES} cases)`, () => {
  forAll("round trip", 0x5eed0003, CASES, (rng) => randomState(rng), (state) => {
    const hash = toHash(state);
    assert.ok(hash.length <= MAX_HASH_LENGTH);
    assert.deepEqual(parseHash(hash, lists), { state, notes: [] });
    assert.equal(toHash(parseHash(hash, lists).state), hash);
  });
});

const ODD_RAWS = [null, undefined, true, false, 0, -0, 1, 0.5, 1e-7, 1e21, 2 ** 31, -1, NaN, Infinity, -Infinity, 10n, [], ["1"], [1, 2], {}, Symbol("x")];

test(`readSetting gives a valid value or a note for hostile values of every key (${CASES} cases)`, () => {
  const keys = Object.keys(SCHEMA);
  forAll("readSetting", 0x5eed0004, CASES, (rng) => ({
    key: keys[int(rng, keys.length)],
    raw: chance(rng, 0.15) ? pick(rng, ODD_RAWS) : tryDecode(hostileValue(rng)) ?? randomString(rng, 10),
    withLists: chance(rng, 0.8),
  }), ({ key, raw, withLists }) => {
    const l = withLists ? lists : noLists;
    const spec = SCHEMA[key];
    const result = readSetting(key, raw, l);
    assert.equal(Object.getPrototypeOf(result), Object.prototype);
    assert.ok(Object.keys(result).every((k) => k === "value" || k === "note"), Object.keys(result).join());
    assert.ok("value" in result || "note" in result);
    if ("note" in result) {
      assert.equal(typeof result.note, "string");
      assert.ok(result.note.length <= NOTE_LENGTH);
    }
    if (!("value" in result)) return;
    if (result.value === null) {
      assert.ok(raw === "" && spec.default === null, "null for a value that is not empty");
      return;
    }
    assert.ok(validValue(key, spec, result.value, l), `${key}: ${JSON.stringify(result.value)} is not valid`);
    // A control reads its value as the hash does, apart from the teacher and the lesson, which
    // the hash also checks against the env.
    const text = String(raw);
    if (key !== "teacher" && key !== "lesson" && text.isWellFormed()) {
      const fromHash = parseHash(`${key}=${encodeURIComponent(text)}`, l);
      assert.deepEqual(fromHash.state[key], result.value);
      assert.equal(fromHash.notes.length > 0, "note" in result);
    }
  });
  // Only the schema's own keys are settings: inherited names are unknown like any other.
  for (const key of ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf", "isPrototypeOf", "", "LAMBDA", "v"]) {
    for (const raw of ["", "1", "0.5"]) {
      assert.deepEqual(readSetting(key, raw, lists), { note: `unknown setting ${quote(key)}` }, `readSetting(${JSON.stringify(key)})`);
    }
  }
});
