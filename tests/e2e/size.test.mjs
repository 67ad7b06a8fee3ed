// Size budgets of the built site's modules, gzipped (`gzip -9`), as a static host sends them.
// Sizes are deterministic for a build, unlike times, so a module that outgrows its budget
// fails here. The budgets are what a visitor downloads before anything trains (the page and
// the CPU trainer) and the WebGPU trainer, fetched only where WebGPU is used.

import { test } from "node:test";
import assert from "node:assert/strict";
import { distDir } from "./harness.mjs";
import { BUDGETS, siteSizes, table } from "./sizes.mjs";

test("the modules fit their size budgets", async (t) => {
  const modules = await siteSizes(distDir);
  t.diagnostic(`\n${table(modules)}`);
  for (const name of ["page", "cpu-trainer", "gpu-trainer"]) assert.ok(modules[name], `no ${name} files in ${distDir}`);
  const firstStep = modules.page.gzip + modules["cpu-trainer"].gzip;
  assert.ok(
    firstStep <= BUDGETS.firstStep,
    `the page and the CPU trainer weigh ${firstStep} bytes gzipped, over their budget of ${BUDGETS.firstStep}`,
  );
  assert.ok(
    modules["gpu-trainer"].gzip <= BUDGETS.gpuTrainer,
    `the WebGPU trainer weighs ${modules["gpu-trainer"].gzip} bytes gzipped, over its budget of ${BUDGETS.gpuTrainer}`,
  );
});
