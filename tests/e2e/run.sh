#!/usr/bin/env bash
# Builds the page with trunk in release, with wasm-opt, as it is deployed (the viewer and both
# training workers, CPU and WebGPU), and runs the headless-Chromium tests against it: the
# viewer, then training on SwiftShader's WebGPU and on the CPU fallback. Needs trunk, wasm-bindgen-cli 0.2.130 and binaryen's
# wasm-opt 116 on PATH (`bash .ci/setup` installs them), Node 20+, and Chromium
# (CHROMIUM=/path/to/chromium, default /usr/bin/chromium).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# Trunk.toml builds offline, so the crates must be in the local cache first.
cargo fetch --locked
trunk build --release
cd tests/e2e
npm ci --no-audit --no-fund
DIST_DIR="$root/dist" node --test --test-concurrency=1 size.test.mjs state.test.mjs page-mode.test.mjs backend-choice.test.mjs hash-fuzz.test.mjs viewer.test.mjs page.test.mjs human.test.mjs labeling.test.mjs person.test.mjs lessons.test.mjs hostile.test.mjs offline.test.mjs backend.test.mjs train.test.mjs
