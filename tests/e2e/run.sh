#!/usr/bin/env bash
# Builds the page with trunk in release, with wasm-opt, as it is deployed, and runs the
# headless-Chromium test against it. Needs trunk, wasm-bindgen-cli 0.2.130 and binaryen's
# wasm-opt 132 on PATH (`bash .ci/setup` installs them), Node 20+, and Chromium
# (CHROMIUM=/path/to/chromium, default /usr/bin/chromium).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# Trunk.toml builds offline, so the crates must be in the local cache first.
cargo fetch --locked
export PATH="$root/web/node_modules/.bin:$PATH"
trunk build --release
cd tests/e2e
npm ci --no-audit --no-fund
DIST_DIR="$root/dist" node --test viewer.test.mjs
