#!/usr/bin/env bash
# Builds the page with trunk (debug profile, no wasm-opt) and runs the headless-Chromium test
# against it. Needs trunk and wasm-bindgen-cli 0.2.130 on PATH, Node 20+, and Chromium
# (CHROMIUM=/path/to/chromium, default /usr/bin/chromium).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# Trunk.toml builds offline, so the crates must be in the local cache first.
cargo fetch --locked
trunk build
cd tests/e2e
npm ci --no-audit --no-fund
DIST_DIR="$root/dist" node --test viewer.test.mjs
