// Trunk post-build hook (Trunk.toml): writes the service worker `sw.js` into the build with the
// build's file list, so a visited page works offline. Release builds list every file of the
// site (the WebGPU trainer as `lazy`: cached when first used, not downloaded by everyone);
// debug builds (`trunk serve`) list none, so editing and reloading is never served stale files.
// The cache's name is a hash of the files, so a deploy that changes any file gets a new one.

import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const staging = process.env.TRUNK_STAGING_DIR;
if (!staging) {
  console.error("offline.mjs runs as trunk's post_build hook: TRUNK_STAGING_DIR is not set");
  process.exit(1);
}
const release = process.env.TRUNK_PROFILE === "release";
const template = await fs.readFile(path.join(path.dirname(fileURLToPath(import.meta.url)), "sw.js"), "utf8");
const PLACEHOLDER = 'const PRECACHE = { version: "dev", files: [], lazy: [] };';
if (!template.includes(PLACEHOLDER)) {
  console.error("offline.mjs: web/sw.js lost its PRECACHE line");
  process.exit(1);
}

async function filesUnder(root, rel = "") {
  const out = [];
  for (const entry of await fs.readdir(path.join(root, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await filesUnder(root, child)));
    else if (entry.isFile() && child !== "sw.js") out.push(child);
  }
  return out.sort();
}

let precache = { version: "dev", files: [], lazy: [] };
if (release) {
  const hash = crypto.createHash("sha256");
  const files = [];
  const lazy = [];
  for (const file of await filesUnder(staging)) {
    hash.update(file).update("\0").update(await fs.readFile(path.join(staging, file))).update("\0");
    (file.startsWith("train-gpu") ? lazy : files).push(file);
  }
  precache = { version: hash.digest("hex").slice(0, 16), files, lazy };
}
await fs.writeFile(
  path.join(staging, "sw.js"),
  template.replace(PLACEHOLDER, `const PRECACHE = ${JSON.stringify(precache)};`),
);
console.log(
  release
    ? `sw.js: ${precache.files.length} files cached at install, ${precache.lazy.length} when first used (${precache.version})`
    : "sw.js: debug build, nothing cached",
);
