// The built site's modules and their sizes: raw, gzip -9 and brotli (quality 11), as a
// static host that compresses would send them. Used by the size-budget test and printed for
// the README by `node tests/e2e/sizes.mjs [DIST]`.

import fs from "node:fs/promises";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";

/**
 * Size budgets in bytes, gzipped (tests/e2e/size.test.mjs, backend.test.mjs): today's sizes
 * with 2% to spare, so that growth fails and a cut lowers them. The goals are 1,000,000 for the
 * first step and 2,440,000 (half of the 4.88 MB it weighed) for the WebGPU trainer; the
 * README's size table says how far off they are.
 */
export const BUDGETS = {
  /** What a visitor downloads before the first env step: the page (HTML, scripts, styles, the
   * viewer module) plus the CPU trainer. 1,281.6 kB when set. */
  firstStep: 1_310_000,
  /** The WebGPU trainer, fetched only where WebGPU is measured or used. 4,376.3 kB when set. */
  gpuTrainer: 4_470_000,
};

/**
 * Which module a file of the site belongs to, by trunk's output names: the two training
 * workers (`train-cpu-<hash>...`, `train-gpu-<hash>...`), the page (its HTML, scripts,
 * styles, icon and the viewer module), and content fetched on demand (lessons, maps,
 * presets, screenshots under `static/`).
 */
export function moduleOf(relPath) {
  const name = relPath.split("/").at(-1);
  if (relPath.includes("/")) return "content";
  if (name.startsWith("train-cpu")) return "cpu-trainer";
  if (name.startsWith("train-gpu")) return "gpu-trainer";
  return "page";
}

async function filesUnder(root, rel = "") {
  const out = [];
  for (const entry of await fs.readdir(path.join(root, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await filesUnder(root, child)));
    else if (entry.isFile()) out.push(child);
  }
  return out;
}

export const gzipSize = (bytes) => zlib.gzipSync(bytes, { level: 9 }).length;
export const brotliSize = (bytes) =>
  zlib.brotliCompressSync(bytes, {
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  }).length;

/** `{ module: { raw, gzip, brotli, files: [...] } }` for the site in `dist`. */
export async function siteSizes(dist) {
  const modules = {};
  for (const rel of (await filesUnder(dist)).sort()) {
    const bytes = await fs.readFile(path.join(dist, rel));
    const m = (modules[moduleOf(rel)] ??= { raw: 0, gzip: 0, brotli: 0, files: [] });
    const file = { path: rel, raw: bytes.length, gzip: gzipSize(bytes), brotli: brotliSize(bytes) };
    m.raw += file.raw;
    m.gzip += file.gzip;
    m.brotli += file.brotli;
    m.files.push(file);
  }
  return modules;
}

const kb = (n) => (n / 1000).toFixed(1);

/** A Markdown table of the modules, in kB (1000 bytes). */
export function table(modules) {
  const rows = [
    "| module | raw kB | gzip kB | brotli kB |",
    "| --- | ---: | ---: | ---: |",
  ];
  for (const name of ["page", "cpu-trainer", "gpu-trainer", "content"]) {
    const m = modules[name];
    if (m) rows.push(`| ${name} | ${kb(m.raw)} | ${kb(m.gzip)} | ${kb(m.brotli)} |`);
  }
  return rows.join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dist = path.resolve(process.argv[2] ?? "dist");
  const modules = await siteSizes(dist);
  console.log(table(modules));
  for (const [name, m] of Object.entries(modules)) {
    if (name === "content") continue;
    for (const f of m.files) console.log(`  ${name}: ${f.path} ${f.raw} raw, ${f.gzip} gzip, ${f.brotli} brotli`);
  }
}
